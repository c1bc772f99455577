"""experta's rule preparation, done directly for the shapes compiled rules take.

Before it builds the RETE network, experta rewrites every rule into disjunctive
normal form (``prepare_rule``): a generic rewrite by ``functools.singledispatch``,
repeated until nothing changes, that copies every fact and pattern on each pass
and re-reads each rule's action signature (``inspect.signature``) for every
copy of the rule it makes. For the knowledge base's rules that was the largest
part of building an engine, and so of every cold start.

A compiled rule (:mod:`spinepath.engine.compiler`) is the case fact first, then
facts and negated facts testing keys against single literals. Only the case
fact can hold an either-or constraint (``L(a) | L(b)``); the rewrite then makes
one branch per combination of the either-or's literals, in
``itertools.product``'s order, each branch the case fact with one literal per
key followed by the other patterns. :func:`prepare` makes that result at once;
a rule of any other shape goes to experta's own ``prepare_rule``.
``tests/test_engine.py`` requires the prepared rules to equal experta's, rule by
rule (and their representations, bindings included).
"""

from __future__ import annotations

from functools import update_wrapper
from itertools import product
from typing import Any

from spinepath.engine.compat import experta_module

experta = experta_module()
from experta.conditionalelement import AND, NOT, OR  # noqa: E402 - after the shim
from experta.fieldconstraint import ORFC, L  # noqa: E402
from experta.matchers.rete.utils import prepare_rule  # noqa: E402


def prepare_ruleset(rules: list[Any]) -> set[Any]:
    """What experta's ``ReteMatcher.prepare_ruleset`` makes of ``rules``."""
    return {prepare(rule) for rule in rules}


def prepare(rule: Any) -> Any:
    """``prepare_rule(rule)``, made directly for a compiled rule's shape."""
    if not rule or not all(_plain(part) for part in rule[1:]):
        return prepare_rule(rule)
    first = rule[0]
    if _plain(first) and not isinstance(first, NOT):
        # Already in the form the rewrite produces (see speedups.in_prepared_form):
        # experta's preparation ends with an unbound copy of it.
        return new_conditions(rule, *rule)
    if not _either_or(first):
        return prepare_rule(rule)
    keys = list(first)
    choices = [list(value) if type(value) is ORFC else [value] for value in first.values()]
    fact_class = type(first)
    branches: list[Any] = []
    for combination in product(*choices):
        fact = fact_class()
        dict.update(fact, zip(keys, combination, strict=True))
        branches.append(fact)
    if len(rule) > 1:
        branches = [AND(branch, *rule[1:]) for branch in branches]
    return new_conditions(rule, OR(*branches))


def new_conditions(rule: Any, *conditions: Any) -> Any:
    """``rule.new_conditions(*conditions)``: a copy of ``rule`` with other conditions.

    experta's wraps the copy's action again, which reads the action's signature
    anew; the names it finds are the ones ``rule`` already holds.
    """
    made = type(rule)(*conditions, salience=rule.salience)
    if rule._wrapped:
        made._wrapped = rule._wrapped
        made._wrapped_args = type(rule._wrapped_args)(rule._wrapped_args)
        update_wrapper(made, rule._wrapped)
    return made


def _plain(pattern: Any) -> bool:
    """A fact testing each key against one literal (or a string), or ``NOT`` of one."""
    if type(pattern) is NOT:
        return len(pattern) == 1 and _plain(pattern[0]) and type(pattern[0]) is not NOT
    return isinstance(pattern, experta.Fact) and all(
        type(value) in (L, str) for value in pattern.values()
    )


def _either_or(pattern: Any) -> bool:
    """A fact testing keys against literals, some against an either-or of literals."""
    if not isinstance(pattern, experta.Fact):
        return False
    found = False
    for value in pattern.values():
        if type(value) is ORFC:
            if not all(type(literal) is L for literal in value):
                return False
            found = True
        elif type(value) not in (L, str):
            return False
    return found
