"""Compiling rule data into experta rules.

Each :class:`~spinepath.kb.model.Rule` becomes one experta ``Rule`` whose
patterns are literal constraints on three kinds of fact:

- ``CaseFact``: one flat fact with every key of the case (few, flat facts keep
  the RETE network's joins cheap);
- ``Established``: an intermediate conclusion, declared by the rule that
  establishes it;
- ``OptionConcluded``: a treatment option some rule offered (recommended or
  consider), so that a rule can notice when a stage offers none.

Rules are layered: a rule that reads an intermediate (or the absence of
options in a stage) runs after every rule that could establish it. Because
experta is closed-world, ``NOT(Established(...))`` would otherwise hold
merely because the establishing rule had not fired yet. Every rule gets its own
salience (layer first, then the order of the knowledge files), so the firing
order is total and does not depend on hashing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import update_wrapper
from typing import Any

from spinepath.engine.compat import experta_module
from spinepath.errors import KnowledgeError
from spinepath.kb.model import RED_FLAG_SCREENS, KnowledgeBase, Rule

experta = experta_module()
from experta.fieldconstraint import ORFC  # noqa: E402 - after the shim


class CaseFact(experta.Fact):
    """The case as one flat fact: every key of the case model, plus ``red_flag_screen``
    (``emergency``, ``urgent``, ``none`` or ``not_asked``) and one key per measure."""


class Established(experta.Fact):
    """An intermediate conclusion: ``Established(name=...)``."""


class OptionConcluded(experta.Fact):
    """An option some rule offered: ``OptionConcluded(option=..., stage=...)``."""


def dependencies(kb: KnowledgeBase) -> dict[str, list[Rule]]:
    """For each rule, the rules whose conclusions its conditions read: the establishers of
    the intermediates it tests, and the rules offering options in a stage it tests with
    ``no_option_in``."""
    establishers: dict[str, list[Rule]] = {}
    by_stage: dict[str, list[Rule]] = {}
    # kb.stage_of, looked up in one table instead of searching the stages every time.
    stage_of = {treatment.id: stage.id for stage in kb.stages for treatment in stage.treatments}
    for rule in kb.rules:
        for name in rule.then.establish:
            establishers.setdefault(name, []).append(rule)
        for option in rule.then.options:
            by_stage.setdefault(stage_of[option], []).append(rule)
    found: dict[str, list[Rule]] = {}
    for rule in kb.rules:
        found[rule.id] = []
        for condition in rule.when:
            if condition.kind == "intermediate":
                found[rule.id] += establishers.get(condition.subject, [])
            elif condition.kind == "no_option_in":
                found[rule.id] += by_stage.get(condition.subject, [])
    return found


def layers(kb: KnowledgeBase) -> dict[str, int]:
    """Each rule's layer: 0 if it reads only the case, else one more than what it depends on."""
    depends_on = dependencies(kb)
    layer: dict[str, int] = {}
    visiting: set[str] = set()

    def visit(rule: Rule) -> int:
        if rule.id in layer:
            return layer[rule.id]
        if rule.id in visiting:
            raise KnowledgeError(f"rule {rule.id} depends on itself through other rules")
        visiting.add(rule.id)
        deps = depends_on[rule.id]
        layer[rule.id] = 1 + max(visit(dep) for dep in deps) if deps else 0
        visiting.discard(rule.id)
        return layer[rule.id]

    for rule in kb.rules:
        visit(rule)
    return layer


def firing_order(kb: KnowledgeBase) -> list[Rule]:
    """Rules in the engine's order of preference: by layer, then by place in the files."""
    layer = layers(kb)
    return sorted(kb.rules, key=lambda rule: (layer[rule.id], rule.position))


def case_constraints(rule: Rule) -> dict[str, list[Any]]:
    """The case-fact slots a rule tests, and the values each may take (a red-flag condition
    tests the screen, against every screen its values match). The CLIPS anchor benchmark
    compiles the same constraints."""
    constraints: dict[str, list[Any]] = {}
    for condition in rule.when:
        if condition.kind in ("case", "measure"):
            constraints[condition.subject] = list(condition.values)
        elif condition.kind == "red_flags":
            constraints["red_flag_screen"] = [
                s for v in condition.values for s in RED_FLAG_SCREENS[v]
            ]
    return constraints


def patterns(rule: Rule) -> list[Any]:
    """The experta patterns for a rule's conditions, the case always bound as ``case``.

    The same patterns as ``AS.case << CaseFact(**constraints)``, ``Established(name=...)``
    and ``OptionConcluded(stage=...)`` (``tests/test_network_build.py`` compares them), made
    without experta's per-key ``Fact.__setitem__``: every value is a literal constraint or a
    string, which experta's ``freeze`` keeps as it is, and no pattern is declared.
    """
    constraints = {slot: _any_of(values) for slot, values in case_constraints(rule).items()}
    extra: list[Any] = []
    for condition in rule.when:
        if condition.kind == "intermediate":
            fact = _pattern(Established, {"name": condition.subject})
            extra.append(fact if condition.values[0] else experta.NOT(fact))
        elif condition.kind == "no_option_in":
            extra.append(experta.NOT(_pattern(OptionConcluded, {"stage": condition.subject})))
    case = _pattern(CaseFact, constraints)
    case.__bind__ = "case"  # what ``AS.case << case`` does to a pattern not yet bound
    return [case, *extra]


def _pattern(fact_class: type, constraints: dict[str, Any]) -> Any:
    """``fact_class(**constraints)`` for hashable constraints (``freeze`` keeps them)."""
    fact = fact_class()
    dict.update(fact, constraints)
    return fact


def _any_of(values: Any) -> Any:
    """An experta constraint that holds for any of ``values`` (one literal, or an either-or).

    ``L(a) | L(b) | L(c)`` is ``ORFC(L(a), L(b), L(c))``; made at once here.
    """
    if len(values) == 1:
        return experta.L(values[0])
    return ORFC(*(experta.L(value) for value in values))


def compile_rules(kb: KnowledgeBase, fire: Callable[[Any, Rule, Any], None]) -> dict[str, Any]:
    """experta rules for every rule of ``kb``, as attributes for a ``KnowledgeEngine`` subclass.

    ``fire(engine, rule, case_fact)`` is called when a rule fires.
    """
    order = firing_order(kb)
    compiled: dict[str, Any] = {}
    names: Any = None
    for index, rule in enumerate(order):
        action = _action(rule, fire)
        salience = len(order) - index
        made = experta.Rule(*patterns(rule), salience=salience)
        if names is None:
            made = made(action)  # experta reads the names the action takes
            names = made._wrapped_args
        else:
            # What ``made(action)`` does, but for reading the action's signature
            # again: every action is the same function of ``(engine, case)``.
            made._wrapped = action
            made._wrapped_args = type(names)(names)
            made = update_wrapper(made, action)
        compiled["rule_" + rule.id.replace(".", "__")] = made
    return compiled


def _action(rule: Rule, fire: Callable[[Any, Rule, Any], None]) -> Callable[..., None]:
    def action(engine: Any, case: Any) -> None:
        fire(engine, rule, case)

    action.__name__ = rule.id
    return action
