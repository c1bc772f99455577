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
from typing import Any

from spinepath.case.model import CASE_KEYS, Case, is_not_stated
from spinepath.engine.compiler import CaseFact, Established, OptionConcluded, compile_rules
from spinepath.engine.speedups import CachingEngine, FastMatcher, RuleOrderStrategy
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
    values = {key: getattr(case, key) for key in CASE_KEYS}
    flags = case.red_flags
    values["red_flags"] = None if flags is None else tuple(flags)
    values["red_flag_screen"] = kb.red_flag_screen(flags)
    for name, measure in kb.measures.items():
        values[name] = measure.band(values[measure.key])
    return CaseFact(**values)


def fire(engine: Any, rule: Rule, case: Any) -> None:
    """What every compiled rule does when it fires: declare its conclusions and trace it."""
    concluded: list[dict[str, Any]] = []
    then = rule.then
    for name in then.establish:
        is_new = engine.declare(Established(name=name)) is not None
        concluded.append({"establish": name, **({} if is_new else {"already": True})})
    if then.current_stage:
        concluded.append({"current_stage": then.current_stage})
    for option, verdict in then.options.items():
        stage = engine.option_stage[option]
        if stage in engine.tested_stages and verdict in OFFERED:
            # Only ``no_option_in`` conditions read these facts, and they ask
            # whether anything is offered: an option the sources advise against
            # does not cover the case.
            engine.declare(OptionConcluded(option=option, stage=stage))
        concluded.append({"option": option, "verdict": verdict})
    if then.caution:
        concluded.append({"caution": then.caution.id})
    if then.alert:
        concluded.append({"alert": then.alert.id})
    if then.cap:
        concluded.append({"cap": list(then.cap.stages), "at_most": then.cap.verdict})
    for fact in then.missing_facts:
        # A rule lists the facts its decision needs; only the ones this case
        # leaves open are missing.
        if is_not_stated(case[fact]):
            concluded.append({"missing_fact": fact})
    engine.firings.append(Firing(rule=rule, matched=_matched(rule, case), concluded=concluded))


def _matched(rule: Rule, case: Any) -> dict[str, Any]:
    matched: dict[str, Any] = {}
    for condition in rule.when:
        if condition.kind == "case":
            matched[condition.subject] = case[condition.subject]
        elif condition.kind == "measure":
            matched[condition.key or condition.subject] = case[condition.key]
        elif condition.kind == "red_flags":
            flags = case["red_flags"]
            matched["red_flags"] = None if flags is None else list(flags)
        elif condition.kind == "intermediate":
            matched[condition.subject] = "established" if condition.values[0] else "not established"
        else:
            matched[f"options in {condition.subject}"] = "none"
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
