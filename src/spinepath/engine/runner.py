"""Running a case through the compiled rules, with a structured trace of every firing.

One engine is built per knowledge base and reused, with ``reset()`` between
cases: building the RETE network is the expensive part, and a reset leaves
nothing of the previous case behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from spinepath.case.model import CASE_KEYS, UNKNOWN, Case
from spinepath.engine.compat import experta_module
from spinepath.engine.compiler import CaseFact, Established, OptionConcluded, compile_rules
from spinepath.errors import EngineError
from spinepath.kb.model import KnowledgeBase, Rule

experta = experta_module()
from experta.strategies import DepthStrategy  # noqa: E402 - after the compatibility shim


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


class _RuleOrderStrategy(DepthStrategy):
    """Agenda order by salience alone (each rule has its own), then by the facts matched.

    experta's own ``get_key`` sits behind an ``lru_cache`` keyed on activations,
    which never hits and keeps every activation alive.
    """

    def get_key(self, activation: Any) -> Any:
        return (activation.rule.salience, sorted(f["__factid__"] for f in activation.facts))


def case_fact(case: Case) -> Any:
    """The case as the one flat fact the rules match."""
    values = {key: getattr(case, key) for key in CASE_KEYS}
    values["red_flags"] = tuple(case.red_flags)
    values["red_flag_present"] = bool(case.red_flags)
    return CaseFact(**values)


def _fire(engine: Any, rule: Rule, case: Any) -> None:
    concluded: list[dict[str, Any]] = []
    then = rule.then
    for name in then.establish:
        is_new = engine.declare(Established(name=name)) is not None
        concluded.append({"establish": name, **({} if is_new else {"already": True})})
    if then.current_stage:
        concluded.append({"current_stage": then.current_stage})
    for option, verdict in then.options.items():
        engine.declare(OptionConcluded(option=option, stage=engine.kb.stage_of(option)))
        concluded.append({"option": option, "verdict": verdict})
    if then.caution:
        concluded.append({"caution": then.caution.id})
    for fact in then.missing_facts:
        # A rule lists the facts its decision needs; only the ones this case
        # leaves open are missing.
        if case[fact] in (UNKNOWN, None):
            concluded.append({"missing_fact": fact})
    engine.firings.append(Firing(rule=rule, matched=_matched(rule, case), concluded=concluded))


def _matched(rule: Rule, case: Any) -> dict[str, Any]:
    matched: dict[str, Any] = {}
    for condition in rule.when:
        if condition.kind == "case":
            matched[condition.subject] = case[condition.subject]
        elif condition.kind == "red_flags":
            matched["red_flags"] = list(case["red_flags"])
        elif condition.kind == "intermediate":
            matched[condition.subject] = "established" if condition.values[0] else "not established"
        else:
            matched[f"options in {condition.subject}"] = "none"
    return matched


class PathwayEngine:
    """An experta engine compiled from a knowledge base, reusable across cases."""

    def __init__(self, kb: KnowledgeBase) -> None:
        attributes = compile_rules(kb, _fire)
        attributes["__strategy__"] = _RuleOrderStrategy
        engine_class = type("SpinepathKnowledgeEngine", (experta.KnowledgeEngine,), attributes)
        self.kb = kb
        self._engine = engine_class()
        self._engine.kb = kb
        # Each rule fires at most once per case (one flat case fact), plus
        # headroom; hitting this limit means a loop, which is a bug.
        self._step_limit = 4 * len(kb.rules) + 10

    def infer(self, case: Case) -> Inference:
        """Run one case from a clean working memory."""
        engine = self._engine
        engine.reset()
        engine.firings = []
        engine.declare(case_fact(case))
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
