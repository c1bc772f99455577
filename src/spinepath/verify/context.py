"""The third reduction: the case's *context* taken as one dimension of distinct behaviours.

The context is what decides where a case stands and how far its verdicts may go:
the keys read by the rules that conclude a current stage, a cap or an alert, and
every key an invariant of ``invariants.yaml`` tests (the surgical gates: how long
the pain has lasted, what has been tried, daily life, the red-flag screen, an
earlier fusion; the onset for cortisone). Their
product is large (tens of thousands of value-class combinations) while the
findings that choose an operation are read by other rules; joined, the two would
make blocks of tens of millions of cases.

A *context rule* is one whose cone (:func:`~spinepath.verify.cones.rule_cones`)
lies inside the context keys: whether it fires, and what it concludes, is a
function of the context alone. Units whose keys lie inside the context (the
current stage, the alerts, the options and cautions of context rules) are
checked in blocks over the full product of the context's value classes, as
before. The other units (an operation chosen by findings, a caution on findings)
see the context only through:

- the intermediates context rules establish, where a non-context rule reads them;
- the value of every context key that a non-context rule reads directly;
- the current stage (so every stage's status), the caps on each stage, and the
  options context rules speak to (they join the verdicts of the same option);
- what the invariants read from the context (``invariants.yaml``): whether each of
  their ``when`` conditions holds, and their unmet ``requires`` (the surgical
  gates), besides the red-flag screen.

Two context assignments that agree on all of these give every such unit the same
conclusions, pathway parts and check results, for any findings. So for these
units one representative per *behaviour* is enough: the context keys become one
joint dimension whose classes are the behaviours, each weighted by the raw cases
it stands for. The behaviours are found by running the engine on every
combination of the context's value classes, with the findings held at the
default case (sound by the cone argument: context rules do not read findings).
Those cases are exactly the cases of the block over the context's dimensions, in
the same order, so ``spinepath verify`` reads the behaviours off the engine runs
that check that block (:mod:`~spinepath.verify.run`) instead of running the
engine on them twice; :func:`quotient` runs them alone, and
``tests/test_verify.py`` checks that both give the same plan. A case on which the
engine fails is a behaviour of its own.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from spinepath.case.model import Case
from spinepath.engine.runner import Firing, PathwayEngine, engine_for
from spinepath.errors import EngineError
from spinepath.kb.model import KnowledgeBase
from spinepath.verify.cones import rule_cones
from spinepath.verify.invariants import unmet
from spinepath.verify.space import (
    Dimension,
    Space,
    ValueClass,
    invariant_keys,
    verified_invariants,
)


def invariants_see(kb: KnowledgeBase, case: Case, then: list[Any]) -> list[Any]:
    """What the invariants read of the context (``invariants.yaml``): whether each ``when``
    condition holds, and the unmet ``requires`` (gates) where they can matter.

    A gate guards an option *shown* as recommended, which happens only at a current,
    uncapped stage: elsewhere the unmet gates are left out of the signature.
    """
    facts = {key: getattr(case, key) for key in Case.model_fields}
    current = [t.current_stage for t in then if t.current_stage]
    capped = {stage for t in then if t.cap for stage in t.cap.stages}
    seen: list[Any] = []
    for invariant in verified_invariants(kb):
        seen.append([kb.holds(c, facts) for c in invariant.when])
        stages = set(invariant.stages) or {s.id for s in kb.stages}
        reachable = len(current) == 1 and current[0] in stages - capped
        seen.append(unmet(invariant, case, kb) if invariant.requires and reachable else [])
    return seen


def context_keys(kb: KnowledgeBase, space: Space) -> frozenset[str]:
    """Every key of a dimension that the stage, cap and alert rules or the invariants read.

    A context rule that lists a missing fact outside the context pulls that fact's
    dimension in too, since what it concludes then depends on that fact.
    """
    cones = rule_cones(kb)
    keys: set[str] = set(invariant_keys(kb)) | {"red_flags"}
    for rule in kb.rules:
        if rule.then.current_stage or rule.then.cap or rule.then.alert:
            keys |= cones[rule.id]
    while True:
        widened = {k for dim in space.dimensions if set(dim.keys) & keys for k in dim.keys}
        for rule in kb.rules:
            if cones[rule.id] <= widened:
                widened |= set(rule.then.missing_facts)
        if widened == keys:
            return frozenset(keys)
        keys = widened


class Behaviours:
    """How the units outside the context see each combination of the context's value
    classes: its *signature* (see the module docstring), and the quotient space built
    from the signatures of every combination."""

    def __init__(self, kb: KnowledgeBase, space: Space, keys: frozenset[str]) -> None:
        self.kb, self.space = kb, space
        #: The context's dimensions, in the space's order (the order of :meth:`combos`).
        self.context = [dim for dim in space.dimensions if set(dim.keys) <= keys]
        cones = rule_cones(kb)
        self.context_rules = {rule.id for rule in kb.rules if cones[rule.id] <= keys}
        self.read_intermediates = {
            c.subject
            for rule in kb.rules
            if rule.id not in self.context_rules
            for c in rule.when
            if c.kind == "intermediate"
        }
        self.read_directly = sorted(
            {
                c.key
                for rule in kb.rules
                if rule.id not in self.context_rules
                for c in rule.when
                if c.key is not None and c.key in keys
            }
        )

    @property
    def size(self) -> int:
        """How many combinations the context has (the engine runs this often to find them)."""
        return math.prod(len(dim.classes) for dim in self.context)

    def combos(self) -> Iterator[tuple[ValueClass, ...]]:
        """Every combination, in mixed radix with the last dimension fastest: the order in
        which a block over exactly the context's dimensions enumerates its cases."""
        return itertools.product(*(dim.classes for dim in self.context))

    def case_of(self, combo: tuple[ValueClass, ...]) -> Case:
        """The case of one combination, findings at the default case."""
        assignment = {dim.name: cls for dim, cls in zip(self.context, combo, strict=True)}
        return Case.model_validate(self.space.case_data(assignment))

    def signature(self, case: Case, firings: list[Firing] | EngineError) -> str:
        """What the units outside the context see of ``case``, given the engine's firings
        on it (or the engine's error, a behaviour of its own that every case sharing it
        then reports)."""
        if isinstance(firings, EngineError):
            return json.dumps(["engine error", firings.problems])
        then = [f.rule.then for f in firings if f.rule.id in self.context_rules]
        return json.dumps(
            [
                sorted({n for t in then for n in t.establish if n in self.read_intermediates}),
                [t.current_stage for t in then if t.current_stage],
                sorted({(stage, t.cap.verdict) for t in then if t.cap for stage in t.cap.stages}),
                sorted({(option, verdict) for t in then for option, verdict in t.options.items()}),
                [getattr(case, key) for key in self.read_directly],
                invariants_see(self.kb, case, then),
                self.kb.red_flag_level(case.red_flags),
            ],
            sort_keys=True,
            default=str,
        )

    def quotient(self, signatures: Sequence[str]) -> Space:
        """The space with the context replaced by one dimension of behaviours, given the
        signature of every combination in the order of :meth:`combos`."""
        context = self.context
        flat_keys = tuple(k for dim in context for k in dim.keys)
        groups: dict[str, list[tuple[tuple[Any, ...], int, str]]] = {}
        for combo, signature in zip(self.combos(), signatures, strict=True):
            values = tuple(
                v
                for dim, cls in zip(context, combo, strict=True)
                for v in (cls.representative if len(dim.keys) > 1 else (cls.representative,))
            )
            label = ";".join(cls.label() for cls in combo)
            groups.setdefault(signature, []).append(
                (values, math.prod(c.raw for c in combo), label)
            )
        classes = tuple(
            ValueClass(
                representative=members[0][0],
                members=tuple(label for _, _, label in members),
                raw=sum(raw for _, raw, _ in members),
            )
            for members in groups.values()
        )
        joint = Dimension(
            name="context",
            keys=flat_keys,
            classes=classes,
            raw_values=math.prod(dim.raw_values for dim in context),
            excluded=math.prod(dim.raw_values for dim in context)
            - math.prod(dim.raw_valid for dim in context),
            why=(
                f"{self.size:,} combinations of "
                f"{', '.join(d.name for d in context)} behave in {len(classes):,} distinct ways "
                "(same context rules fired, same invariant conditions, same red-flag screen)"
            ),
        )
        others = [dim for dim in self.space.dimensions if dim not in context]
        return Space(dimensions=[*others, joint], held=self.space.held)


def infer_firings(engine: PathwayEngine, case: Case) -> list[Firing] | EngineError:
    """The engine's firings on ``case``, or its error."""
    try:
        return engine.infer(case).firings
    except EngineError as error:
        return error


def quotient(
    kb: KnowledgeBase,
    space: Space,
    keys: frozenset[str],
    progress: Callable[[int], None] | None = None,
) -> Space:
    """``space`` with its context dimensions replaced by one dimension of behaviours, as
    seen by the units outside the context (see the module docstring), found by running
    the engine on every combination in this process (``progress`` is called with the
    number of combinations run, every :data:`PROGRESS_STEP`)."""
    behaviours = Behaviours(kb, space, keys)
    engine = engine_for(kb)
    signatures = []
    for done, combo in enumerate(behaviours.combos(), 1):
        case = behaviours.case_of(combo)
        signatures.append(behaviours.signature(case, infer_firings(engine, case)))
        if progress and done % PROGRESS_STEP == 0:
            progress(PROGRESS_STEP)
    if progress and len(signatures) % PROGRESS_STEP:
        progress(len(signatures) % PROGRESS_STEP)
    return behaviours.quotient(signatures)


#: How many combinations :func:`quotient` runs between two calls of its progress callback.
PROGRESS_STEP = 500
