"""The fast engine's network is built as experta builds it, step by step.

Rule preparation done directly (:mod:`spinepath.engine.preparation`) must make
the rule experta's ``prepare_rule`` makes: equal, and equal in what equality
does not look at (the order of a fact's keys, its binding, the action and its
names). The alpha part (:mod:`spinepath.engine.alpha`) must make experta's
nodes, tests and edges, and the whole network must equal experta's, path by path.
"""

from __future__ import annotations

from typing import Any

from spinepath.engine import alpha, preparation, runner, speedups
from spinepath.engine.compat import experta_module
from spinepath.engine.compiler import (
    CaseFact,
    Established,
    OptionConcluded,
    case_constraints,
    compile_rules,
    patterns,
)
from spinepath.kb.model import KnowledgeBase

experta = experta_module()
from experta.conditionalelement import AND, NOT, OR  # noqa: E402 - after the shim
from experta.fieldconstraint import L  # noqa: E402
from experta.matchers import ReteMatcher  # noqa: E402
from experta.matchers.rete.utils import prepare_rule  # noqa: E402
from experta.shortcuts import AS  # noqa: E402

from tests.test_wiring import _NOT_ADDRESSES, _shape  # noqa: E402


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


def _patterns_by_experta(rule: Any) -> list[Any]:
    """A rule's patterns made with experta's constructors and operators, as the compiler
    made them before it built them directly."""
    constraints = {}
    for slot, values in case_constraints(rule).items():
        constraint = L(values[0])
        for value in values[1:]:
            constraint = constraint | L(value)
        constraints[slot] = constraint
    extra: list[Any] = []
    for condition in rule.when:
        if condition.kind == "intermediate":
            fact = Established(name=condition.subject)
            extra.append(fact if condition.values[0] else NOT(fact))
        elif condition.kind == "no_option_in":
            extra.append(NOT(OptionConcluded(stage=condition.subject)))
    return [AS.case << CaseFact(**constraints), *extra]


def test_patterns_are_the_ones_experta_constructors_make(kb: KnowledgeBase) -> None:
    for rule in kb.rules:
        ours, theirs = patterns(rule), _patterns_by_experta(rule)
        assert _deep(ours) == _deep(theirs), rule.id
        assert ours == theirs and hash(tuple(ours)) == hash(tuple(theirs))
        for made, reference in zip(ours, theirs, strict=True):
            fact = made[0] if isinstance(made, NOT) else made
            expected = reference[0] if isinstance(reference, NOT) else reference
            assert fact._Fact__defaults == expected._Fact__defaults


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


class _AlphaMatcher(ReteMatcher):
    """experta's matcher as released, but for the alpha part."""

    @staticmethod
    def build_alpha_part(ruleset: set[Any], root_node: Any) -> dict[Any, Any]:
        return alpha.build_alpha_part(ruleset, root_node)


def _root(kb: KnowledgeBase, matcher: type) -> Any:
    attributes = compile_rules(kb, runner.fire)
    attributes["__matcher__"] = matcher
    return type("Probe", (experta.KnowledgeEngine,), attributes)().matcher.root_node


def _alpha_paths(root: Any) -> list[tuple[Any, ...]]:
    """Every path of feature tests from the root to the first node that is not one (the
    tests themselves: experta keeps one object per test, so they are compared as such)."""
    paths: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        for child in node.children:
            if type(child.node).__name__ == "FeatureTesterNode":
                walk(child.node, (*path, child.node.matcher, child.callback.__name__))
            else:
                paths.append((*path, type(child.node).__name__))

    walk(root, ())
    return sorted(paths, key=lambda p: [hash(x) if not isinstance(x, str) else x for x in p])


def test_the_alpha_part_is_the_one_experta_builds(kb: KnowledgeBase) -> None:
    ours, upstream = _root(kb, _AlphaMatcher), _root(kb, ReteMatcher)
    assert _shape(ours) == _shape(upstream)
    ours_paths = [_NOT_ADDRESSES.sub("", repr(p)) for p in _alpha_paths(ours)]
    upstream_paths = [_NOT_ADDRESSES.sub("", repr(p)) for p in _alpha_paths(upstream)]
    assert sorted(ours_paths) == sorted(upstream_paths)
    assert len(ours_paths) > len(kb.rules)


class _BuiltAsFast(ReteMatcher):
    """experta's matcher building its network as the fast engine's does (FastMatcher then
    rewires the edges for speed, which tests/test_engine.py holds to experta)."""

    prepare_ruleset = staticmethod(speedups.FastMatcher.prepare_ruleset)
    build_alpha_part = staticmethod(speedups.FastMatcher.build_alpha_part)
    build_beta_part = staticmethod(speedups.FastMatcher.build_beta_part)


def test_the_fast_engine_network_is_the_one_experta_builds(kb: KnowledgeBase) -> None:
    # Everything at once: the rules prepared, the alpha part and the beta part.
    assert _shape(_root(kb, _BuiltAsFast)) == _shape(_root(kb, ReteMatcher))


def test_the_alpha_part_shares_nodes_as_experta_does() -> None:
    # Shapes of another program: equal prefixes share nodes, an unbound pattern gets its
    # own capture, a pattern met again reuses its branch.
    def rules() -> dict[str, Any]:
        return {
            "one": experta.Rule(_Thing(a=L(1), b=L(2)), NOT(_Thing(c=L(3))))(_action),
            "two": experta.Rule(_Thing(a=L(1), b=L(5)), _Thing(c=L(3)))(_action),
            "three": experta.Rule(AS.t << _Thing(a=L(1) | L(True)), _Thing(c=L(3)))(_action),
            "four": experta.Rule(_Thing(d=L("x")))(_action),
        }

    shapes = []
    for matcher in (_AlphaMatcher, ReteMatcher):
        engine = type("Probe", (experta.KnowledgeEngine,), {**rules(), "__matcher__": matcher})
        shapes.append(_shape(engine().matcher.root_node))
    assert shapes[0] == shapes[1]
