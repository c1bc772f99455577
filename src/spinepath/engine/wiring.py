"""experta's wiring of the RETE network's beta part, without a dispatcher made per rule.

experta 1.9.4's ``wire_rule`` defines a new ``functools.singledispatch`` function,
and registers eight handlers on it, every time it wires one rule; each first call
for a type then works out that type's method resolution order again. For the
knowledge base's rules that was about a quarter of building an engine, and so of
every cold start. :func:`build_beta_part` wires the same nodes in the same order
with plain type tests, for the shapes compiled rules take (a conjunction of
facts, negated facts and tests); a rule of any other shape (``FORALL``,
``EXISTS``) is left to experta's own ``wire_rule``.

``tests/test_engine.py`` holds the engine built this way to experta as released
(:mod:`spinepath.engine.reference`), firing by firing.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from spinepath.engine.compat import experta_module

experta = experta_module()
from experta.conditionalelement import AND, NOT, OR, TEST  # noqa: E402 - after the shim
from experta.fact import Fact  # noqa: E402
from experta.matchers.rete import utils as _upstream  # noqa: E402
from experta.matchers.rete.check import SameContextCheck, WhereCheck  # noqa: E402
from experta.matchers.rete.nodes import (  # noqa: E402
    ConflictSetNode,
    NotNode,
    OrdinaryMatchNode,
    WhereNode,
)
from experta.rule import Rule  # noqa: E402


def build_beta_part(ruleset: set[Any], alpha_terminals: dict[Any, Any]) -> None:
    """What ``ReteMatcher.build_beta_part`` does: wire every rule (each branch of a
    top-level ``OR``) from its alpha terminals to a conflict-set node of its own."""
    for rule in ruleset:
        branches = rule[0] if isinstance(rule[0], OR) else (rule,)
        for lhs in branches:
            if _plain(lhs):
                _wire_rule(rule, alpha_terminals, lhs)
            else:
                _upstream.wire_rule(rule, alpha_terminals, lhs=lhs)


def _plain(element: Any) -> bool:
    """Whether ``element`` is built of the types :func:`_wire_rule` wires (no ``OR``
    inside, no ``FORALL`` or ``EXISTS``)."""
    if isinstance(element, (Rule, AND)):
        return all(_plain(part) for part in element)
    return isinstance(element, (NOT, Fact, TEST))


def _wire_rule(rule: Any, alpha_terminals: dict[Any, Any], lhs: Any) -> None:
    """experta's ``wire_rule`` for a plain left-hand side: the same nodes, the same edges."""

    def wire(element: Any) -> Any:
        if isinstance(element, (Rule, AND)):
            return wire_and(element)
        if isinstance(element, NOT):
            return alpha_terminals[element[0]]
        if isinstance(element, Fact):
            return alpha_terminals[element]
        return WhereNode(WhereCheck(element[0]))  # a TEST, as _plain allows nothing else

    def wire_and(element: Any) -> Any:
        if len(element) == 1:
            only = element[0]
            return alpha_terminals[only] if isinstance(only, Fact) else wire(only)
        current = None
        for first, second in pairwise(element):
            if isinstance(second, TEST):
                if current is None:
                    current = wire(first)
                test = wire(second)
                current.add_child(test, test.activate)
                current = test
                continue
            join = NotNode if isinstance(second, NOT) else OrdinaryMatchNode
            if current is None:
                current = join(SameContextCheck())
                left, right = wire(first), wire(second)
            else:
                left, right = current, wire(second)
                current = join(SameContextCheck())
            left.add_child(current, current.activate_left)
            right.add_child(current, current.activate_right)
        return current

    last = wire(lhs)
    conflict_set = ConflictSetNode(rule)
    last.add_child(conflict_set, conflict_set.activate)
