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
- the value sets the invariants test (their ``when`` and ``requires`` conditions in
  ``invariants.yaml``, read exactly like a rule's), and "is it unknown / not stated"
  for the keys rules test, when an invariant reads whether the deciding rule's facts
  are known (``reads_rule_facts``).

One representative per class is therefore enough. ``red_flags`` is read only
through its screen (never asked, none, urgent, emergency), so its 64 subsets and
"never asked" form at most four classes. A number that a measure reads in bands
(``measures.yaml``) takes as values the edges of its bands and of the case
model's contradictions, plus "not stated"; numbers are counted by these
representatives, not by every whole number. The keys that the case model couples
through contradictions (:data:`COUPLED`) form joint dimensions whose values are
only the *valid* combinations, so that contradictory cases are excluded (and
counted) rather than checked.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

from spinepath.case.model import (
    ACUTE_MAX_MONTHS,
    CASE_KEYS,
    UNKNOWN,
    Case,
    allowed_values,
    same_value,
    spelled,
)
from spinepath.kb.model import Condition, Invariant, KnowledgeBase

#: Groups of keys the case model couples through ``Case.contradictions``: each group is
#: enumerated jointly, over its valid combinations only.
COUPLED_GROUPS: tuple[tuple[str, ...], ...] = (
    ("herniation", "prior_discectomy", "discectomy_outcome", "large_lamina_removal"),
    ("onset", "symptom_months", "conservative_care"),
)
COUPLED: tuple[str, ...] = COUPLED_GROUPS[0]

#: Where the case model's contradictions cut a number, besides the measures' bands.
CONTRADICTION_EDGES: dict[str, tuple[int, ...]] = {
    "symptom_months": (0, 1, ACUTE_MAX_MONTHS, ACUTE_MAX_MONTHS + 1),
}

#: One red-flag list per screen, and how many of the 64 subsets (or "never asked") it stands for.
RED_FLAG_EXAMPLES: dict[str, tuple[str, ...]] = {
    "emergency": ("cauda_equina",),
    "urgent": ("cancer_history",),
}
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
    #: Each dimension's default class, found once: the context's has thousands of members.
    _defaults: dict[str, ValueClass] = field(default_factory=dict, repr=False, compare=False)

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
        data: dict[str, Any] = {"onset": "chronic"}
        for dim in self.dimensions:
            chosen = assignment.get(dim.name) or self.default_of(dim)
            values = chosen.representative
            if len(dim.keys) == 1:
                values = (values,)
            for key, value in zip(dim.keys, values, strict=True):
                if not is_default(key, value):
                    data[key] = list(value) if isinstance(value, tuple) else value
        return data

    def default_of(self, dim: Dimension) -> ValueClass:
        """The class ``dim`` is held at (:meth:`default`), found once per space."""
        found = self._defaults.get(dim.name)
        if found is None:
            found = self._defaults[dim.name] = self.default(dim)
        return found

    @staticmethod
    def default(dim: Dimension) -> ValueClass:
        """The class a dimension is held at when a block does not vary it: the default case."""
        defaults = tuple(_default_value(k) for k in dim.keys)
        target = defaults[0] if len(dim.keys) == 1 else defaults
        for cls in dim.classes:
            if any(same_value(m, target) for m in cls.members):
                return ValueClass(representative=target, members=cls.members, raw=cls.raw)
        return dim.classes[0]


def _default_value(key: str) -> object:
    if key == "onset":
        return "chronic"
    return Case.model_fields[key].default


def is_default(key: str, value: object) -> bool:
    if key == "onset":
        return False
    return same_value(value, _default_value(key))


def _shown(value: object) -> str:
    """A value as a case file spells it; a joint value in parentheses."""
    if value is None:
        return "not stated"
    if isinstance(value, tuple):
        return "(" + ",".join(_shown(v) for v in value) + ")"
    return spelled(value)


def number_values(kb: KnowledgeBase, key: str) -> tuple[object, ...] | None:
    """The representatives of a number some measure reads: band and contradiction edges,
    and not stated; ``None`` for a number no measure reads."""
    edges = set(kb.band_edges(key))
    if not edges:
        return None
    edges |= set(CONTRADICTION_EDGES.get(key, ()))
    return (None, *sorted(edges))


def key_values(kb: KnowledgeBase, key: str) -> tuple[object, ...] | None:
    """The values a key takes in the space: its categories, or a number's representatives."""
    return allowed_values(key) or number_values(kb, key)


def tested_sets(kb: KnowledgeBase) -> dict[str, list[frozenset[object]]]:
    """For each case key, every value set something tests it against (see module docstring)."""
    sets: dict[str, list[frozenset[object]]] = {}

    def add(key: str, values: frozenset[object]) -> None:
        keyed = frozenset(_vkey(v) for v in values)
        if keyed not in sets.setdefault(key, []):
            sets[key].append(keyed)

    def tested(condition: Condition, unknown_apart: bool) -> None:
        if condition.kind == "measure" and condition.key:
            measure = kb.measures[condition.subject]
            numbers = number_values(kb, condition.key) or ()
            inside = (n for n in numbers if measure.band(n) in condition.values)  # type: ignore[arg-type]
            add(condition.key, frozenset(inside))
            add(condition.key, frozenset({None}))
        if condition.kind == "case":
            values = frozenset(condition.values)
            add(condition.subject, values)
            if unknown_apart and values & UNKNOWN_VALUES and values - UNKNOWN_VALUES:
                # A matched rule may then read an unknown value: an invariant that
                # reads whether the rule's facts are known tells them apart.
                add(condition.subject, UNKNOWN_VALUES)

    invariants = verified_invariants(kb)
    unknown_apart = any(i.reads_rule_facts for i in invariants)
    for rule in kb.rules:
        for condition in rule.when:
            tested(condition, unknown_apart)
        for fact in rule.then.missing_facts:
            add(fact, UNKNOWN_VALUES)
    for invariant in invariants:
        for condition in (*invariant.when, *invariant.requires):
            tested(condition, False)
    return sets


def verified_invariants(kb: KnowledgeBase) -> list[Invariant]:
    """The invariants ``spinepath verify`` checks (the reduction must keep what they read)."""
    return [i for i in kb.invariants.values() if "verify" in i.checked_by]


def invariant_keys(kb: KnowledgeBase) -> frozenset[str]:
    """Every case key some verified invariant tests (``when`` and ``requires``)."""
    return frozenset(key for i in verified_invariants(kb) for key in i.reads())


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
    coupled_keys = {key for group in COUPLED_GROUPS for key in group}
    for key in CASE_KEYS:
        if key == "red_flags":
            continue
        if key in coupled_keys:
            group = next(g for g in COUPLED_GROUPS if key in g)
            if key == group[0]:
                dims.append(_coupled_dimension(kb, group, sets))
            continue
        values = key_values(kb, key)
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
    """Never asked, none, urgent only, emergency: the four screens rules and checks tell apart."""
    flags = allowed_values_red_flags()
    emergency = [f for f in flags if kb.red_flags[f].level == "emergency"]
    subsets = 2 ** len(flags)
    with_emergency = subsets - 2 ** (len(flags) - len(emergency))
    classes = (
        ValueClass(representative=None, members=("never asked",), raw=1),
        ValueClass(representative=(), members=("none",), raw=1),
        ValueClass(
            representative=RED_FLAG_EXAMPLES["urgent"],
            members=("urgent only",),
            raw=subsets - 1 - with_emergency,
        ),
        ValueClass(
            representative=RED_FLAG_EXAMPLES["emergency"],
            members=("emergency",),
            raw=with_emergency,
        ),
    )
    return Dimension(
        "red_flags",
        ("red_flags",),
        classes,
        raw_values=subsets + 1,
        why=f"{subsets} subsets of {len(flags)} flags and never asked; rules read the screen",
    )


def allowed_values_red_flags() -> tuple[str, ...]:
    from spinepath.case.model import RED_FLAGS

    return RED_FLAGS


def _coupled_dimension(
    kb: KnowledgeBase, group: tuple[str, ...], sets: dict[str, list[frozenset[object]]]
) -> Dimension:
    per_key = [list(key_values(kb, k) or ()) for k in group]
    combos = list(itertools.product(*per_key))
    valid = [combo for combo in combos if not _contradicts(group, combo)]

    def signature(combo: tuple[Any, ...]) -> Any:
        return tuple(
            tuple(_vkey(value) in s for s in sets.get(key, []))
            for key, value in zip(group, combo, strict=True)
        )

    return Dimension(
        "+".join(group),
        group,
        _classes(valid, signature),
        raw_values=len(combos),
        excluded=len(combos) - len(valid),
        why="coupled by the case model's contradictions: only valid combinations enumerated",
    )


def _contradicts(group: tuple[str, ...], combo: tuple[Any, ...]) -> bool:
    """Whether the case model rejects these coupled values (the rest held at defaults)."""
    from pydantic import ValidationError

    data: dict[str, Any] = {"onset": "chronic"}
    for key, value in zip(group, combo, strict=True):
        if not is_default(key, value):
            data[key] = value
    try:
        Case.model_validate(data)
    except ValidationError:
        return True
    return False
