"""The categorical case space of the contract, and its reduction to value classes.

Every categorical key of the case model is a *dimension*. A dimension's raw
values are every value the key takes (``unknown`` and not-stated included; a
tri-state key's "not stated" *is* ``unknown``). The values are partitioned into
classes by the value sets that anything downstream tests them against:

- every rule condition on the key (a literal membership test on the flat case
  fact, so two values in exactly the same condition sets are indistinguishable
  to every rule);
- "is it unknown / not stated", for every key some rule lists in
  ``missing_facts`` (reported only when unknown) or tests with a value set that
  mixes unknown and known values (the "no recommendation on an unknown fact"
  check must see the difference; a set of only known or only unknown values
  already tells them apart);
- the value sets the safety invariants test (see :data:`CHECK_SETS`).

One representative per class is therefore enough. ``red_flags`` is read only
as any/none, so its 64 subsets form two classes. The keys that the case model
couples through contradictions (:data:`COUPLED`) form one joint dimension whose
values are only the *valid* combinations, so that contradictory cases are
excluded (and counted) rather than checked.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

from spinepath.case.model import CASE_KEYS, UNKNOWN, Case, allowed_values
from spinepath.kb.model import KnowledgeBase

#: Keys the case model couples through ``Case.contradictions``: enumerated jointly.
COUPLED: tuple[str, ...] = (
    "herniation",
    "prior_discectomy",
    "discectomy_outcome",
    "large_lamina_removal",
)

#: Value sets the safety invariants of :mod:`spinepath.verify.checks` test.
CHECK_SETS: dict[str, list[frozenset[object]]] = {
    "conservative_care": [frozenset({"failed"})],
    "non_invasive_therapy": [frozenset({"failed"})],
    "daily_life": [frozenset({"cannot_live_normally"})],
    "onset": [frozenset({"chronic"})],
}

RED_FLAG_EXAMPLE = "cauda_equina"
UNKNOWN_VALUES = frozenset({UNKNOWN, None})


def _vkey(value: object) -> tuple[str, object]:
    """A hashable key that keeps ``True`` and ``1`` apart."""
    return (type(value).__name__, value)


@dataclass(frozen=True)
class ValueClass:
    """A class of indistinguishable values: its representative and how many raw values it holds."""

    representative: Any
    members: tuple[Any, ...]
    raw: int

    def label(self) -> str:
        return "|".join(_shown(m) for m in self.members)


@dataclass(frozen=True)
class Dimension:
    """One axis of the space: a key, or the coupled keys taken together."""

    name: str
    keys: tuple[str, ...]
    classes: tuple[ValueClass, ...]
    raw_values: int
    excluded: int = 0
    why: str = ""

    @property
    def raw_valid(self) -> int:
        return sum(c.raw for c in self.classes)


@dataclass
class Space:
    """The whole space: its dimensions, and which dimension holds each key."""

    dimensions: list[Dimension]
    held: dict[str, str] = field(default_factory=dict)

    def dimension_of(self, key: str) -> str:
        for dim in self.dimensions:
            if key in dim.keys:
                return dim.name
        raise KeyError(key)

    @property
    def raw_size(self) -> int:
        """Every combination of every categorical value, contradictions included."""
        return math.prod(d.raw_values for d in self.dimensions)

    @property
    def valid_size(self) -> int:
        return math.prod(d.raw_valid for d in self.dimensions)

    @property
    def reduced_size(self) -> int:
        return math.prod(len(d.classes) for d in self.dimensions)

    def dims(self, names: frozenset[str] | set[str]) -> list[Dimension]:
        return [d for d in self.dimensions if d.name in names]

    def case_data(self, assignment: dict[str, ValueClass]) -> dict[str, Any]:
        """A case mapping for one class per dimension (dimensions left out stay at defaults)."""
        data: dict[str, Any] = {"onset": "acute"}
        for dim in self.dimensions:
            chosen = assignment.get(dim.name) or self.default(dim)
            values = chosen.representative
            if len(dim.keys) == 1:
                values = (values,)
            for key, value in zip(dim.keys, values, strict=True):
                if not _is_default(key, value):
                    data[key] = list(value) if key == "red_flags" else value
        return data

    @staticmethod
    def default(dim: Dimension) -> ValueClass:
        """The class a dimension is held at when a block does not vary it: the default case."""
        defaults = tuple(_default_value(k) for k in dim.keys)
        target = defaults[0] if len(dim.keys) == 1 else defaults
        for cls in dim.classes:
            if any(_same(m, target) for m in cls.members):
                return ValueClass(representative=target, members=cls.members, raw=cls.raw)
        return dim.classes[0]


def _same(a: object, b: object) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _default_value(key: str) -> object:
    if key == "onset":
        return "acute"
    if key == "red_flags":
        return ()
    default = Case.model_fields[key].default
    return default


def _is_default(key: str, value: object) -> bool:
    if key == "onset":
        return False
    if key == "red_flags":
        return not value
    return _same(value, _default_value(key))


def _shown(value: object) -> str:
    if value is None:
        return "not stated"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "(" + ",".join(_shown(v) for v in value) + ")"
    return str(value)


def tested_sets(kb: KnowledgeBase) -> dict[str, list[frozenset[object]]]:
    """For each case key, every value set something tests it against (see module docstring)."""
    sets: dict[str, list[frozenset[object]]] = {}

    def add(key: str, values: frozenset[object]) -> None:
        keyed = frozenset(_vkey(v) for v in values)
        if keyed not in sets.setdefault(key, []):
            sets[key].append(keyed)

    for rule in kb.rules:
        for condition in rule.when:
            if condition.kind == "case":
                values = frozenset(condition.values)
                add(condition.subject, values)
                if values & UNKNOWN_VALUES and values - UNKNOWN_VALUES:
                    # A matched rule may then read an unknown value: the
                    # "no recommendation on an unknown fact" check tells them apart.
                    add(condition.subject, UNKNOWN_VALUES)
        for fact in rule.then.missing_facts:
            add(fact, UNKNOWN_VALUES)
    for key, value_sets in CHECK_SETS.items():
        for values in value_sets:
            add(key, values)
    return sets


def _classes(
    values: list[Any], signature: Any, weights: list[int] | None = None
) -> tuple[ValueClass, ...]:
    groups: dict[Any, list[int]] = {}
    for index, value in enumerate(values):
        groups.setdefault(signature(value), []).append(index)
    weights = weights or [1] * len(values)
    return tuple(
        ValueClass(
            representative=values[idx[0]],
            members=tuple(values[i] for i in idx),
            raw=sum(weights[i] for i in idx),
        )
        for idx in groups.values()
    )


def build_space(kb: KnowledgeBase) -> Space:
    """The reduced space of ``kb``: value classes per dimension, computed from the rule data."""
    sets = tested_sets(kb)
    dims: list[Dimension] = []
    held: dict[str, str] = {}
    for key in CASE_KEYS:
        if key in COUPLED[1:] or key == "red_flags":
            continue
        if key == COUPLED[0]:
            dims.append(_coupled_dimension(sets))
            continue
        values = allowed_values(key)
        if values is None:
            held[key] = (
                "a number or text: no rule may test it (the loader refuses), held not stated"
            )
            continue
        key_sets = sets.get(key, [])

        def signature(value: object, key_sets: list[frozenset[object]] = key_sets) -> Any:
            return tuple(_vkey(value) in s for s in key_sets)

        classes = _classes(list(values), signature)
        why = (
            "read by no rule and no check: all values alike"
            if not key_sets
            else f"{len(key_sets)} tested value set(s)"
        )
        if len(classes) == 1:
            held[key] = why + ", held at one value"
        dims.append(Dimension(key, (key,), classes, raw_values=len(values), why=why))
    dims.append(_red_flag_dimension(kb))
    return Space(dimensions=dims, held=held)


def _red_flag_dimension(kb: KnowledgeBase) -> Dimension:
    flags = allowed_values_red_flags()
    raw = 2 ** len(flags)
    read = any(c.kind == "red_flags" for r in kb.rules for c in r.when)
    any_class = ValueClass(representative=(RED_FLAG_EXAMPLE,), members=("any",), raw=raw - 1)
    none_class = ValueClass(representative=(), members=("none",), raw=1)
    if not read:
        classes: tuple[ValueClass, ...] = (
            ValueClass(representative=(), members=("none", "any"), raw=raw),
        )
    else:
        classes = (none_class, any_class)
    return Dimension(
        "red_flags",
        ("red_flags",),
        classes,
        raw_values=raw,
        why=f"{raw} subsets of {len(flags)} flags; rules test only any/none",
    )


def allowed_values_red_flags() -> tuple[str, ...]:
    import typing

    from spinepath.case.model import RedFlag

    return typing.get_args(RedFlag)


def _coupled_dimension(sets: dict[str, list[frozenset[object]]]) -> Dimension:
    per_key = [list(allowed_values(k) or ()) for k in COUPLED]
    combos = list(itertools.product(*per_key))
    valid = [combo for combo in combos if not _contradicts(combo)]

    def signature(combo: tuple[Any, ...]) -> Any:
        return tuple(
            tuple(_vkey(value) in s for s in sets.get(key, []))
            for key, value in zip(COUPLED, combo, strict=True)
        )

    return Dimension(
        "+".join(COUPLED),
        COUPLED,
        _classes(valid, signature),
        raw_values=len(combos),
        excluded=len(combos) - len(valid),
        why="coupled by the case model's contradictions: only valid combinations enumerated",
    )


def _contradicts(combo: tuple[Any, ...]) -> bool:
    """Whether the case model rejects these coupled values (the rest held at defaults)."""
    from pydantic import ValidationError

    data: dict[str, Any] = {"onset": "acute"}
    for key, value in zip(COUPLED, combo, strict=True):
        if not _is_default(key, value):
            data[key] = value
    try:
        Case.model_validate(data)
    except ValidationError:
        return True
    return False
