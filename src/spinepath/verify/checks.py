"""The checks run on every enumerated case, one method per kind of unit.

Each takes the case, its pathway and a :class:`Tally` to record into. The
invariants checked on a unit are those of ``knowledge/invariants.yaml`` whose scope
it is and whose ``when`` holds; their checks are in :mod:`spinepath.verify.invariants`.
Each reads only the parts of the pathway its unit covers, and the unit's keys include
what its invariants read (see :mod:`spinepath.verify.cones`), so that running them
inside a block is sound. Coverage gaps and fired rules are recorded too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from spinepath.case.model import Case
from spinepath.kb.model import OFFERED, Condition, Invariant, KnowledgeBase
from spinepath.pathway.model import Pathway
from spinepath.verify.cones import Unit
from spinepath.verify.invariants import (
    CAUTION_CHECKS,
    OPTION_CHECKS,
    PATHWAY_CHECKS,
    Seen,
    applies,
    bound,
)


@dataclass
class Group:
    """Cases sharing one finding: how many (enumerated, and raw ones), and one example."""

    cases: int = 0
    raw: int = 0
    example: tuple[int, int, dict[str, Any]] | None = None

    def add(self, weight: int, where: tuple[int, int], data: dict[str, Any]) -> None:
        self.cases += 1
        self.raw += weight
        if self.example is None or where < self.example[:2]:
            self.example = (*where, data)

    def merge(self, other: Group) -> None:
        self.cases += other.cases
        self.raw += other.raw
        if other.example and (self.example is None or other.example[:2] < self.example[:2]):
            self.example = other.example


@dataclass
class Tally:
    """What the checks found over some cases: violations, coverage gaps, rules that fired."""

    violations: dict[tuple[str, str], Group] = field(default_factory=dict)
    uncovered: dict[str, Group] = field(default_factory=dict)
    fired: set[str] = field(default_factory=set)
    cases: int = 0

    def merge(self, other: Tally) -> None:
        for target, source in (
            (self.violations, other.violations),
            (self.uncovered, other.uncovered),
        ):
            for key, group in source.items():
                target.setdefault(key, Group()).merge(group)  # type: ignore[arg-type]
        self.fired |= other.fired
        self.cases += other.cases

    def renumber(self, blocks: dict[int, int]) -> None:
        """Give the examples the block numbers ``blocks`` maps theirs to."""
        for groups in (self.violations, self.uncovered):
            for group in groups.values():  # type: ignore[attr-defined]
                if group.example is not None:
                    block, index, data = group.example
                    group.example = (blocks[block], index, data)


@dataclass
class CaseContext:
    """One enumerated case and where it came from."""

    case: Case
    data: dict[str, Any]
    weight: int
    where: tuple[int, int]
    tally: Tally

    def violation(self, check: str, detail: str) -> None:
        self.tally.violations.setdefault((check, detail), Group()).add(
            self.weight, self.where, self.data
        )

    def uncovered(self, group: str) -> None:
        self.tally.uncovered.setdefault(group, Group()).add(self.weight, self.where, self.data)


class Checker:
    """The checks of one knowledge base: its invariants (``invariants.yaml``, bound to their
    checks in :mod:`spinepath.verify.invariants`), coverage and which rules fired."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.invariants = bound(kb)
        self.stage_of = {t.id: s.id for s in kb.stages for t in s.treatments}
        self.always_on = {
            option for rule in kb.rules if not rule.when for option in rule.then.options
        }
        self.reads = {rule.id: rule.reads() for rule in kb.rules}
        self._scoped = {
            scope: [i for i in self.invariants.values() if i.id in checks]
            for scope, checks in (
                ("pathway", PATHWAY_CHECKS),
                ("option", OPTION_CHECKS),
                ("caution", CAUTION_CHECKS),
            )
        }
        #: The case keys the invariants' ``when`` conditions read (what :meth:`_live` caches on).
        self._when_keys = tuple(
            sorted(
                {
                    _read_key(kb, c)
                    for invariants in self._scoped.values()
                    for i in invariants
                    for c in i.when
                }
            )
        )
        self._live_by: dict[tuple[Any, ...], _Live] = {}
        self._calls: dict[int, tuple[list[Unit], list[Any], frozenset[str]]] = {}

    def check(self, ctx: CaseContext, pathway: Pathway, units: list[Unit]) -> None:
        seen = Seen(self.kb, ctx.case, pathway, self.reads)
        live = self._live(ctx.case)
        calls, rules = self._units(units)
        for method, name in calls:
            method(ctx, seen, live, name)
        # Which of the units' rules fired (each rule is recorded once it fired anywhere).
        fired = ctx.tally.fired
        if not rules <= fired:
            fired |= rules.intersection(step.rule for step in pathway.trace)

    def _live(self, case: Case) -> _Live:
        """The invariants of each scope whose ``when`` holds for the case: a function of the
        keys those conditions read, so worked out once per combination of their values."""
        key = tuple(_hashable(getattr(case, k)) for k in self._when_keys)
        live = self._live_by.get(key)
        if live is None:
            facts = {k: getattr(case, k) for k in Case.model_fields}
            live = self._live_by[key] = {
                scope: [i for i in invariants if applies(self.kb, i, facts)]
                for scope, invariants in self._scoped.items()
            }
        return live

    def _units(self, units: list[Unit]) -> tuple[list[Any], frozenset[str]]:
        """The check method and name of each unit but the rules, and the rules' ids
        (worked out once per list of units)."""
        cached = self._calls.get(id(units))
        if cached is None or cached[0] is not units:
            calls = [(getattr(self, "_" + u.kind), u.name) for u in units if u.kind != "rule"]
            rules = frozenset(u.name for u in units if u.kind == "rule")
            cached = self._calls[id(units)] = (units, calls, rules)
        return cached[1], cached[2]

    def _stage(self, ctx: CaseContext, seen: Seen, live: _Live, _name: str) -> None:
        for invariant in live["pathway"]:
            for detail in PATHWAY_CHECKS[invariant.id](invariant, seen):
                ctx.violation(invariant.title, detail)

    def _option(self, ctx: CaseContext, seen: Seen, live: _Live, option_id: str) -> None:
        option = seen.pathway.option(option_id)
        if option is None:
            return
        stage = self.stage_of[option_id]
        for invariant in live["option"]:
            if invariant.covers(stage, option_id):
                for detail in OPTION_CHECKS[invariant.id](invariant, seen, option):
                    ctx.violation(invariant.title, detail)

    def _caution(self, ctx: CaseContext, seen: Seen, live: _Live, caution_id: str) -> None:
        for caution in seen.pathway.cautions:
            if caution.id == caution_id:
                for invariant in live["caution"]:
                    for detail in CAUTION_CHECKS[invariant.id](invariant, seen, caution):
                        ctx.violation(invariant.title, detail)
                if caution_id.startswith("uncovered"):
                    ctx.uncovered(f"caution {caution_id} ({caution.stage})")

    def _coverage(self, ctx: CaseContext, seen: Seen, live: _Live, stage_id: str) -> None:
        pathway = seen.pathway
        if pathway.current_stage != stage_id:
            return
        stage = pathway.stage(stage_id)
        offered = [
            o
            for o in (stage.options if stage else [])
            if o.verdict in OFFERED and o.id not in self.always_on
        ]
        if not offered:
            ctx.uncovered(f"current stage {stage_id}: no option beyond the always-on ones")


def _read_key(kb: KnowledgeBase, condition: Condition) -> str:
    """The case key a condition on the case reads (as :meth:`KnowledgeBase.holds` does)."""
    if condition.kind == "measure":
        return kb.measures[condition.subject].key
    if condition.kind == "red_flags":
        return "red_flags"
    return condition.subject


def _hashable(value: object) -> object:
    """A case value as a key: lists (the red flags) as tuples, types kept apart."""
    if isinstance(value, list):
        return (list, tuple(value))
    return (type(value), value)


_Live = dict[str, list[Invariant]]
