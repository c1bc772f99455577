"""Cones of influence: which case keys each part of a pathway can depend on.

A rule fires when all its conditions hold. A ``case`` condition reads one key;
``red_flags`` reads the red flags; an intermediate reads whatever the rules
that establish it read; ``no_option_in: S`` reads whatever every rule that
concludes an option of stage S reads. The *cone* of a rule is the closure of
that. Whether a rule fires, and so anything it concludes, is a function of the
keys in its cone alone: the keys outside can be held at any one value.

Each checked quantity (a *unit*: the current stage, one option, one caution,
one rule's firing, one stage's coverage) gets the cone of the rules it is made
of, plus the keys the invariants checked on it test (their ``when`` and
``requires`` in ``invariants.yaml``: an invariant that reads a new key widens
its units, never silently). Units whose key sets are contained in
a larger one are checked inside it, so only the maximal *blocks* are
enumerated, each as the product of the value classes of its keys, everything
else held at the default case. This is the second, structural, reduction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from spinepath.engine.compiler import dependencies
from spinepath.kb.model import KnowledgeBase, Rule
from spinepath.verify.space import Space, verified_invariants


def rule_cones(kb: KnowledgeBase) -> dict[str, frozenset[str]]:
    """Each rule's cone: the case keys (``red_flags`` included) its firing can depend on."""
    depends_on = dependencies(kb)
    cones: dict[str, frozenset[str]] = {}

    def cone(rule: Rule, seen: tuple[str, ...] = ()) -> frozenset[str]:
        if rule.id in cones:
            return cones[rule.id]
        if rule.id in seen:  # the compiler refuses cycles; stay finite regardless
            return frozenset()
        keys: set[str] = set()
        for condition in rule.when:
            if condition.key is not None:  # a case fact, a measure's number, the red flags
                keys.add(condition.key)
        for dep in depends_on[rule.id]:
            keys |= cone(dep, (*seen, rule.id))
        cones[rule.id] = frozenset(keys)
        return cones[rule.id]

    for rule in kb.rules:
        cone(rule)
    return cones


@dataclass
class Unit:
    """One checked quantity and the case keys it depends on."""

    kind: str  # "stage", "option", "caution", "rule", "coverage"
    name: str
    keys: frozenset[str]
    dims: frozenset[str] = frozenset()


@dataclass
class Block:
    """A set of dimensions of ``space`` enumerated in full, and the units checked in it."""

    dims: frozenset[str]
    space: Space
    units: list[Unit] = field(default_factory=list)
    size: int = 0


def units(kb: KnowledgeBase) -> list[Unit]:
    """Every checked quantity of ``kb``, with its keys."""
    cones = rule_cones(kb)

    def of(rules: list[Rule]) -> frozenset[str]:
        keys: set[str] = set()
        for rule in rules:
            keys |= cones[rule.id]
        return frozenset(keys)

    invariants = verified_invariants(kb)

    def read_by(scope: str, stage: str = "", option: str = "") -> frozenset[str]:
        """The keys the invariants checked on a unit read (``invariants.yaml``)."""
        return frozenset(
            key
            for i in invariants
            if i.scope == scope and (scope != "option" or i.covers(stage, option))
            for key in i.reads()
        )

    # Caps and alerts weigh on every option's shown verdict and on the headline.
    shaping = [r for r in kb.rules if r.then.current_stage or r.then.cap or r.then.alert]
    stage_keys = of(shaping) | {"red_flags"}
    found = [Unit("stage", "current stage", stage_keys | read_by("pathway"))]
    for stage in kb.stages:
        option_rules: list[Rule] = []
        for treatment in stage.treatments:
            rules = [r for r in kb.rules if treatment.id in r.then.options]
            option_rules += rules
            if rules:
                # The shown verdict depends on the stage's status; the invariants on
                # the option read their own keys.
                keys = of(rules) | stage_keys | read_by("option", stage.id, treatment.id)
                found.append(Unit("option", treatment.id, keys))
        found.append(Unit("coverage", stage.id, of(option_rules) | stage_keys))
    cautions: dict[str, list[Rule]] = {}
    for rule in kb.rules:
        if rule.then.caution:
            cautions.setdefault(rule.then.caution.id, []).append(rule)
    found += [
        Unit("caution", cid, of(rules) | read_by("caution")) for cid, rules in cautions.items()
    ]
    found += [Unit("rule", r.id, cones[r.id]) for r in kb.rules]
    return found


def blocks(
    kb: KnowledgeBase, space: Space, select: Callable[[Unit], bool] = lambda unit: True
) -> list[Block]:
    """The maximal blocks to enumerate for the ``select``-ed units, each with the units
    checked in it (largest first)."""
    found = [unit for unit in units(kb) if select(unit)]
    for unit in found:
        unit.dims = frozenset(space.dimension_of(k) for k in unit.keys)
    distinct = sorted({u.dims for u in found}, key=lambda d: (-len(d), sorted(d)))
    maximal: list[frozenset[str]] = []
    for dims in distinct:
        if not any(dims <= other for other in maximal):
            maximal.append(dims)
    result = [Block(dims=dims, space=space) for dims in maximal]
    for block in result:
        block.size = 1
        for dim in space.dims(block.dims):
            block.size *= len(dim.classes)
    result.sort(key=lambda b: -b.size)
    for unit in found:
        # The smallest block that holds the unit: any holding block gives the
        # same answer, the smallest enumerates the fewest cases per answer.
        home = min((b for b in result if unit.dims <= b.dims), key=lambda b: b.size)
        home.units.append(unit)
    return result
