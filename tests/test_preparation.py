"""Rule preparation done directly (:mod:`spinepath.engine.preparation`) is experta's own.

The fast engine's network is built from these rules, so each must be the rule
experta's ``prepare_rule`` makes: equal, and equal in what equality does not
look at (the order of a fact's keys, its binding, the action and its names).
"""

from __future__ import annotations

from typing import Any

from spinepath.engine import preparation, runner
from spinepath.engine.compat import experta_module
from spinepath.engine.compiler import compile_rules
from spinepath.kb.model import KnowledgeBase

experta = experta_module()
from experta.conditionalelement import AND, NOT, OR  # noqa: E402 - after the shim
from experta.fieldconstraint import L  # noqa: E402
from experta.matchers.rete.utils import prepare_rule  # noqa: E402


def _deep(element: Any) -> Any:
    """Everything about a prepared rule or pattern that the network is built from."""
    if isinstance(element, experta.Fact):
        return (type(element), [(key, _deep(value)) for key, value in element.items()])
    if isinstance(element, experta.Rule):
        return (
            type(element),
            [_deep(part) for part in element],
            element.salience,
            element._wrapped,
            element._wrapped_args,
            element._wrapped_self,
            element.__name__,
        )
    if isinstance(element, tuple):
        return (type(element), getattr(element, "__bind__", None), [_deep(x) for x in element])
    return (type(element), element)


def test_every_compiled_rule_is_prepared_as_experta_prepares_it(kb: KnowledgeBase) -> None:
    rules = list(compile_rules(kb, runner.fire).values())
    either_or = 0
    for rule in rules:
        ours, upstream = preparation.prepare(rule), prepare_rule(rule)
        assert ours == upstream and hash(ours) == hash(upstream)
        assert _deep(ours) == _deep(upstream), rule
        either_or += isinstance(ours[0], OR)
    assert either_or > 5  # the direct rewrite was exercised, not only the copies


def test_compiled_rules_equal_the_rules_experta_wraps(kb: KnowledgeBase) -> None:
    # compile_rules reads the actions' signature once, not once per rule.
    for rule in compile_rules(kb, runner.fire).values():
        wrapped = experta.Rule(*rule, salience=rule.salience)(rule._wrapped)
        assert _deep(rule) == _deep(wrapped)
        assert rule.__wrapped__ is wrapped.__wrapped__


def _action(engine: Any, case: Any) -> None:
    """An action for the shapes below."""


class _Thing(experta.Fact):
    """A fact class of the tests' own."""


def test_shapes_other_than_compiled_rules_go_to_experta() -> None:
    shapes = [
        experta.Rule(NOT(_Thing(a=L(1))), _Thing(b=L(2))),
        experta.Rule(_Thing(a=L(1) | L(2)), _Thing(b=L(3) | L(4))),
        experta.Rule(_Thing(a=L(1) | L(2)), NOT(NOT(_Thing(b=L(3))))),
        experta.Rule(_Thing(a=L(1) | L(2) | (L(3) & L(4)))),
        experta.Rule(OR(_Thing(a=L(1)), _Thing(a=L(2))), _Thing(b=L(3))),
        experta.Rule(AND(_Thing(a=L(1)), _Thing(b=L(2)))),
        experta.Rule(_Thing(a=L(1) | L(2), b="x"), _Thing(c=L(5)), NOT(_Thing(d=L(6)))),
        experta.Rule(),
    ]
    for shape in shapes:
        rule = shape(_action)
        ours, upstream = preparation.prepare(rule), prepare_rule(rule)
        assert _deep(ours) == _deep(upstream), rule
