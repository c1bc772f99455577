"""The anchors the benchmark measures the engine against, all generated from the knowledge base.

- :func:`clips_program` writes the knowledge base's rules as a CLIPS program,
  mechanically (never by hand, so it cannot drift from the YAML): one
  ``deftemplate`` for the case fact, one for intermediate conclusions, one for
  the options a rule offered, and one ``defrule`` per rule with the salience
  the experta compiler gives it. :class:`ClipsEngine` runs it with clipspy
  (CLIPS itself, in C); each rule's right-hand side asserts its conclusions in
  CLIPS and calls back into Python to record the firing, with the same
  ``fire`` the experta engine uses, so the pathway builder receives the same
  :class:`~spinepath.engine.runner.Inference`.
- :class:`PlainEngine` is the plain-Python limit: one pass over the rules in
  the compiled firing order, each condition a dictionary test.
- :class:`LookupTable` is the last limit: a finished pathway looked up by the
  case's values (what any engine costs at least: reading the case).

The benchmark checks each anchor against the experta engine, firing by
firing, before it times anything.
"""

from __future__ import annotations

from typing import Any

from spinepath.case.model import Case
from spinepath.engine.compiler import case_constraints, firing_order
from spinepath.engine.runner import Inference, case_fact, fire
from spinepath.errors import EngineError
from spinepath.kb.model import OFFERED, KnowledgeBase, Rule


def _literal(value: object) -> str:
    """A Python value as the CLIPS literal clipspy converts it to (and back)."""
    if value is None:
        return "nil"
    if value is True:
        return "TRUE"
    if value is False:
        return "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise TypeError(f"no CLIPS literal for {value!r}")


def _slots(kb: KnowledgeBase) -> list[str]:
    return sorted({slot for rule in kb.rules for slot in case_constraints(rule)})


def _tested_stages(kb: KnowledgeBase) -> set[str]:
    return {c.subject for r in kb.rules for c in r.when if c.kind == "no_option_in"}


def clips_program(kb: KnowledgeBase) -> str:
    """The knowledge base's rules as a CLIPS program (``(spinepath-fire N)`` records firing N)."""
    option_stage = {t.id: s.id for s in kb.stages for t in s.treatments}
    tested = _tested_stages(kb)
    slots = " ".join(f"(slot {slot})" for slot in _slots(kb))
    parts = [
        f"(deftemplate case {slots})",
        "(deftemplate established (slot name))",
        "(deftemplate option-concluded (slot option) (slot stage))",
    ]
    order = firing_order(kb)
    for index, rule in enumerate(order):
        tests = " ".join(
            f"({slot} {'|'.join(_literal(v) for v in values)})"
            for slot, values in case_constraints(rule).items()
        )
        patterns = [f"(case {tests})"]
        for condition in rule.when:
            if condition.kind == "intermediate":
                fact = f"(established (name {_literal(condition.subject)}))"
                patterns.append(fact if condition.values[0] else f"(not {fact})")
            elif condition.kind == "no_option_in":
                patterns.append(f"(not (option-concluded (stage {_literal(condition.subject)})))")
        actions = [
            f"(assert (established (name {_literal(name)})))" for name in rule.then.establish
        ]
        for option, verdict in rule.then.options.items():
            stage = option_stage[option]
            if stage in tested and verdict in OFFERED:
                actions.append(
                    f"(assert (option-concluded (option {_literal(option)})"
                    f" (stage {_literal(stage)})))"
                )
        actions.append(f"(spinepath-fire {index})")
        parts.append(
            f"(defrule r{index} (declare (salience {len(order) - index}))\n  "
            + "\n  ".join(patterns)
            + "\n  =>\n  "
            + "\n  ".join(actions)
            + ")"
        )
    return "\n\n".join(parts) + "\n"


class _Trace:
    """What :func:`~spinepath.engine.runner.fire` needs of an engine, for a CLIPS or plain run.

    ``declare`` only records: the facts themselves are asserted by the CLIPS
    rule (or noted by the plain pass). A repeated ``Established`` returns
    ``None``, as experta's ``declare`` does for a fact it already has.
    """

    def __init__(self, kb: KnowledgeBase) -> None:
        self.option_stage = {t.id: s.id for s in kb.stages for t in s.treatments}
        self.tested_stages = _tested_stages(kb)
        self.firings: list[Any] = []
        self.established: set[str] = set()
        self.offered_in: set[str] = set()

    def clear(self) -> None:
        self.firings = []
        self.established = set()
        self.offered_in = set()

    def declare(self, fact: Any) -> Any:
        if "name" in fact:
            if fact["name"] in self.established:
                return None
            self.established.add(fact["name"])
        else:
            self.offered_in.add(fact["stage"])
        return fact


class ClipsEngine:
    """The knowledge base on CLIPS (clipspy), with the experta engine's ``infer``."""

    def __init__(self, kb: KnowledgeBase) -> None:
        import clips

        self.kb = kb
        self.program = clips_program(kb)
        self._rules = firing_order(kb)
        self._slots = _slots(kb)
        self._trace = _Trace(kb)
        self._env = clips.Environment()
        self._env.define_function(self._fire, "spinepath-fire")
        for construct in self.program.split("\n\n"):
            self._env.build(construct)
        self._template = self._env.find_template("case")
        self._case: Any = None
        self._step_limit = 4 * len(kb.rules) + 10

    def _fire(self, index: int) -> None:
        fire(self._trace, self._rules[index], self._case)

    def infer(self, case: Case) -> Inference:
        self._case = fact = case_fact(self.kb, case)
        self._trace.clear()
        self._env.reset()
        self._template.assert_fact(**{slot: fact[slot] for slot in self._slots})
        self._env.run(self._step_limit)
        if any(True for _ in self._env.activations()):
            raise EngineError("CLIPS did not settle (a rule loop)")
        return Inference(case=case, firings=list(self._trace.firings))


class PlainEngine:
    """The plain-Python limit: each rule once, in the compiled firing order.

    The layers make one pass enough: a rule reading an intermediate (or the
    options of a stage) comes after every rule that could conclude it.
    """

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._trace = _Trace(kb)
        self._rules = [(rule, self._tests(rule)) for rule in firing_order(kb)]

    @staticmethod
    def _tests(rule: Rule) -> tuple[list[tuple[str, tuple[object, ...]]], list[Any]]:
        case = [(slot, tuple(values)) for slot, values in case_constraints(rule).items()]
        others = [c for c in rule.when if c.kind in ("intermediate", "no_option_in")]
        return case, others

    def infer(self, case: Case) -> Inference:
        fact = case_fact(self.kb, case)
        trace = self._trace
        trace.clear()
        for rule, (tests, others) in self._rules:
            # ``in`` on a tuple tests with ``==``, as experta's literal test does.
            if all(fact[slot] in values for slot, values in tests) and all(
                (c.subject in trace.established) == c.values[0]
                if c.kind == "intermediate"
                else c.subject not in trace.offered_in
                for c in others
            ):
                fire(trace, rule, fact)
        return Inference(case=case, firings=list(trace.firings))


class LookupTable:
    """Finished pathways by the case's values: the floor of any engine (reading the case)."""

    def __init__(self) -> None:
        self._table: dict[tuple[Any, ...], Any] = {}

    @staticmethod
    def key(case: Case) -> tuple[Any, ...]:
        # red_flags is the one list; a tuple of it hashes.
        return tuple(tuple(v) if type(v) is list else v for v in case.__dict__.values())

    def fill(self, case: Case, pathway: Any) -> None:
        self._table[self.key(case)] = pathway

    def assess(self, case: Case) -> Any:
        return self._table[self.key(case)]
