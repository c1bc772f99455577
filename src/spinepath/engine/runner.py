"""Running a case through the compiled rules, with a structured trace of every firing.

The engine is experta with the performance layer of
:mod:`spinepath.engine.speedups`; :mod:`spinepath.engine.reference` runs the
same rules on experta as released, and the tests hold the two to each other.

One engine is built per knowledge base and reused, with ``reset()`` between
cases: building the RETE network is the expensive part, and a reset leaves
nothing of the previous case behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from spinepath.case.model import CASE_KEYS, Case, is_not_stated
from spinepath.engine.compiler import CaseFact, Established, OptionConcluded, compile_rules
from spinepath.engine.speedups import (
    CachingEngine,
    FastMatcher,
    RuleOrderStrategy,
    trusted_fact,
)
from spinepath.errors import EngineError
from spinepath.kb.model import OFFERED, KnowledgeBase, Rule


@dataclass(frozen=True)
class Firing:
    """One rule firing: what it matched and what it concluded."""

    rule: Rule
    matched: dict[str, Any]
    concluded: list[dict[str, Any]]


@dataclass
class Inference:
    """Everything the engine concluded for one case, in firing order."""

    case: Case
    firings: list[Firing] = field(default_factory=list)


def case_fact(kb: KnowledgeBase, case: Case) -> Any:
    """The case as the one flat fact the rules match, with its red-flag screen and measures."""
    values = dict(zip(CASE_KEYS, _case_values(case), strict=True))
    flags = case.red_flags
    values["red_flags"] = None if flags is None else tuple(flags)
    values["red_flag_screen"] = kb.red_flag_screen(flags)
    for name, measure in kb.measures.items():
        values[name] = measure.band(values[measure.key])
    # The values come from the validated case: built as ``CaseFact(**values)`` would
    # build it, without experta's per-key ``__setitem__`` (see speedups.trusted_fact).
    return trusted_fact(CaseFact, values)


_case_values = attrgetter(*CASE_KEYS)


@dataclass(frozen=True)
class _Plan:
    """What a rule's firing does, worked out once per rule (it depends only on the rule
    and the knowledge base), so that :func:`fire` only looks at the case."""

    establish: tuple[str, ...]
    #: Each option the rule speaks to, its verdict, and the stage whose ``OptionConcluded``
    #: its firing declares (``None`` when no ``no_option_in`` condition reads it).
    options: tuple[tuple[str, str, str | None], ...]
    current_stage: str | None
    caution: str | None
    alert: str | None
    cap: tuple[tuple[str, ...], str] | None
    missing_facts: tuple[str, ...]
    #: For ``_matched``: (kind, key in the trace, slot of the case fact or shown value).
    matched: tuple[tuple[str, str, Any], ...]


_PLANS: dict[int, tuple[Rule, _Plan]] = {}


def _plan(engine: Any, rule: Rule) -> _Plan:
    """The plan of ``rule``, made on its first firing and kept per rule object.

    It reads ``engine.option_stage`` and ``engine.tested_stages``; every engine
    (experta, and the benchmark's anchors) derives both from the knowledge base
    the rule belongs to, so they are the same for every firing of the rule.
    """
    found = _PLANS.get(id(rule))
    if found is not None and found[0] is rule:
        return found[1]
    then = rule.then
    options = tuple(
        (
            option,
            verdict,
            stage
            if (stage := engine.option_stage[option]) in engine.tested_stages and verdict in OFFERED
            else None,
        )
        for option, verdict in then.options.items()
    )
    matched: list[tuple[str, str, Any]] = []
    for condition in rule.when:
        if condition.kind == "case":
            matched.append(("slot", condition.subject, condition.subject))
        elif condition.kind == "measure":
            matched.append(("slot", condition.key or condition.subject, condition.key))
        elif condition.kind == "red_flags":
            matched.append(("flags", "red_flags", "red_flags"))
        elif condition.kind == "intermediate":
            shown = "established" if condition.values[0] else "not established"
            matched.append(("shown", condition.subject, shown))
        else:
            matched.append(("shown", f"options in {condition.subject}", "none"))
    plan = _Plan(
        establish=tuple(then.establish),
        options=options,
        current_stage=then.current_stage or None,
        caution=then.caution.id if then.caution else None,
        alert=then.alert.id if then.alert else None,
        cap=(tuple(then.cap.stages), then.cap.verdict) if then.cap else None,
        missing_facts=tuple(then.missing_facts),
        matched=tuple(matched),
    )
    _PLANS[id(rule)] = (rule, plan)
    return plan


def fire(engine: Any, rule: Rule, case: Any) -> None:
    """What every compiled rule does when it fires: declare its conclusions and trace it."""
    found = _PLANS.get(id(rule))
    plan = found[1] if found is not None and found[0] is rule else _plan(engine, rule)
    concluded: list[dict[str, Any]] = []
    for name in plan.establish:
        is_new = engine.declare(trusted_fact(Established, {"name": name})) is not None
        concluded.append({"establish": name} if is_new else {"establish": name, "already": True})
    if plan.current_stage:
        concluded.append({"current_stage": plan.current_stage})
    for option, verdict, stage in plan.options:
        if stage is not None:
            # Only ``no_option_in`` conditions read these facts, and they ask
            # whether anything is offered: an option the sources advise against
            # does not cover the case.
            engine.declare(trusted_fact(OptionConcluded, {"option": option, "stage": stage}))
        concluded.append({"option": option, "verdict": verdict})
    if plan.caution:
        concluded.append({"caution": plan.caution})
    if plan.alert:
        concluded.append({"alert": plan.alert})
    if plan.cap:
        concluded.append({"cap": list(plan.cap[0]), "at_most": plan.cap[1]})
    for fact in plan.missing_facts:
        # A rule lists the facts its decision needs; only the ones this case
        # leaves open are missing.
        if is_not_stated(case[fact]):
            concluded.append({"missing_fact": fact})
    # ``Firing(rule, matched, concluded)``: the frozen dataclass's ``__init__`` sets
    # each field through ``object.__setattr__``; the same fields, set at once.
    firing = _new_object(Firing)
    firing.__dict__.update(rule=rule, matched=_matched(plan, case), concluded=concluded)
    engine.firings.append(firing)


_new_object = object.__new__


def _matched(plan: _Plan, case: Any) -> dict[str, Any]:
    matched: dict[str, Any] = {}
    for kind, key, what in plan.matched:
        if kind == "slot":
            matched[key] = case[what]
        elif kind == "shown":
            matched[key] = what
        else:
            flags = case["red_flags"]
            matched[key] = None if flags is None else list(flags)
    return matched


class PathwayEngine:
    """An experta engine compiled from a knowledge base, reusable across cases."""

    def __init__(self, kb: KnowledgeBase) -> None:
        attributes = compile_rules(kb, fire)
        attributes["__strategy__"] = RuleOrderStrategy
        attributes["__matcher__"] = FastMatcher
        engine_class = type("SpinepathKnowledgeEngine", (CachingEngine,), attributes)
        self._setup(kb, engine_class())

    def _setup(self, kb: KnowledgeBase, engine: Any) -> None:
        self.kb = kb
        self._engine = engine
        self._engine.kb = kb
        self._engine.option_stage = {t.id: s.id for s in kb.stages for t in s.treatments}
        self._engine.tested_stages = {
            c.subject for r in kb.rules for c in r.when if c.kind == "no_option_in"
        }
        # Each rule fires at most once per case (one flat case fact), plus
        # headroom; hitting this limit means a loop, which is a bug.
        self._step_limit = 4 * len(kb.rules) + 10

    def infer(self, case: Case) -> Inference:
        """Run one case from a clean working memory."""
        engine = self._engine
        engine.reset()
        engine.firings = []
        engine.declare(case_fact(self.kb, case))
        engine.run(steps=self._step_limit)
        if engine.agenda.activations:
            raise EngineError(
                f"the engine did not settle within {self._step_limit} firings (a rule loop)"
            )
        return Inference(case=case, firings=list(engine.firings))


_ENGINES: dict[int, PathwayEngine] = {}


def engine_for(kb: KnowledgeBase) -> PathwayEngine:
    """The shared engine of a knowledge base (built on first use)."""
    engine = _ENGINES.get(id(kb))
    if engine is None or engine.kb is not kb:
        engine = _ENGINES[id(kb)] = PathwayEngine(kb)
    return engine
