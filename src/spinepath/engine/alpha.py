"""experta's alpha network, built with its own algorithm at a fraction of the cost.

``ReteMatcher.build_alpha_part`` (experta 1.9.4) makes the tests of every fact
pattern (a type test, one feature test per key, a capture), ranks the tests by
how many patterns share them, and threads each pattern's tests, most shared
first, into a tree from the root, sharing the nodes of equal prefixes. The
algorithm is kept here step for step; only its bookkeeping is cheaper, which
for the knowledge base's rules made it a third of the cost of building an
engine, and so counted in every cold start:

- a feature test is made once per distinct key and literal, not once per
  pattern that has it (experta returns the same test object for both anyway,
  after working out its check function again);
- each test's sort key (rank, hash) is worked out once, not at every sort;
- a node's child for a test is found in a table, not by scanning its children;
- a new node is made as its constructor makes it, without the constructor's
  abstract-class check that the test is callable (every test experta makes is).

``tests/test_network_build.py`` requires the network to equal experta's, path
by path from the root to every conflict-set node.
"""

from __future__ import annotations

from typing import Any

from spinepath.engine.compat import experta_module

experta = experta_module()
from experta.fact import InitialFact  # noqa: E402 - after the shim
from experta.matchers.rete.check import FactCapture, FeatureCheck, TypeCheck  # noqa: E402
from experta.matchers.rete.mixins import ChildNode  # noqa: E402
from experta.matchers.rete.nodes import FeatureTesterNode  # noqa: E402
from experta.matchers.rete.utils import extract_facts  # noqa: E402
from experta.rule import Rule  # noqa: E402


def build_alpha_part(ruleset: set[Any], root_node: Any) -> dict[Any, Any]:
    """What ``ReteMatcher.build_alpha_part`` returns: the last alpha node of every fact
    pattern of ``ruleset``, the nodes added below ``root_node``.

    experta keeps one object per test (``TypeCheck``, ``FeatureCheck`` and
    ``FactCapture`` return the one made before for equal arguments, and tests
    hold their own check function, so two test objects are never equal), so
    tests are counted and looked up by identity here: hashing one hashes its
    literals in Python, and experta hashed each several times per pattern.
    """
    ruleset = ruleset.copy()
    ruleset.add(Rule(InitialFact()))  # as upstream: InitialFact always has its branch
    # The rules with their patterns, in the set's order (upstream keeps a dict by rule,
    # whose every lookup hashes the whole rule again).
    rule_facts = [(rule, extract_facts(rule)) for rule in ruleset]

    features: dict[tuple[Any, Any], Any] = {}
    fact_checks: dict[Any, dict[int, Any]] = {}
    for _, facts in rule_facts:
        for fact in facts:
            # As upstream's dict comprehension: an equal pattern met later replaces the
            # checks of an earlier one (the capture's name holds the pattern's id).
            fact_checks[fact] = _checks(fact, features)

    rank: dict[int, int] = {}  # each test: how many distinct patterns have it
    for checks in fact_checks.values():
        for key in checks:
            rank[key] = rank.get(key, 0) + 1
    infinity = float("inf")
    sort_key: dict[int, tuple[float, int]] = {}
    for checks in fact_checks.values():
        for key, check in checks.items():
            if key in sort_key:
                continue
            if isinstance(check, TypeCheck):
                sort_key[key] = (infinity, hash(check))
            elif isinstance(check, FactCapture):
                sort_key[key] = (-infinity, hash(check))
            elif isinstance(check, FeatureCheck):
                sort_key[key] = (rank[key], hash(check))
            else:  # pragma: no cover - generate_checks makes only these
                raise TypeError("Unknown check type.")
    fact_weight = {fact: sum(rank[key] for key in checks) for fact, checks in fact_checks.items()}

    def weighted_rule_sort(pair: tuple[Any, set[Any]]) -> float:
        facts = pair[1]
        return sum(fact_weight[fact] for fact in facts) / len(facts)

    def weighted_check_sort(check: Any) -> tuple[float, int]:
        return sort_key[id(check)]

    children: dict[tuple[int, int], Any] = {}
    for node in _all_nodes(root_node):  # a network may have nodes already
        for child in node.children:
            matcher = getattr(child.node, "matcher", None)
            children.setdefault((id(node), id(matcher)), child.node)

    fact_terminal_nodes: dict[Any, Any] = {}
    for _, facts in sorted(rule_facts, key=weighted_rule_sort, reverse=True):
        for fact in facts:
            current = root_node
            ordered = sorted(fact_checks[fact].values(), key=weighted_check_sort, reverse=True)
            for check in ordered:
                found = children.get((id(current), id(check)))
                if found is None:
                    found = _feature_tester(check)
                    current.children.append(ChildNode(found, found.activate))
                    children[(id(current), id(check))] = found
                current = found
            fact_terminal_nodes[fact] = current
    return fact_terminal_nodes


def _checks(fact: Any, features: dict[tuple[Any, Any], Any]) -> dict[int, Any]:
    """``set(generate_checks(fact))``, by identity, each feature test made once per key
    and literal."""
    check = TypeCheck(type(fact))
    checks = {id(check): check}
    captured = False
    for key, value in fact.items():
        if key == "__bind__":
            check = FactCapture(value)
            captured = True
        else:
            # The same test FeatureCheck(key, value) returns (it keeps one per key and
            # literal), without working out its check function again.
            memo = (key, value)
            check = features.get(memo)
            if check is None:
                check = features[memo] = FeatureCheck(key, value)
        checks[id(check)] = check
    if not captured:
        check = FactCapture(f"__pattern_{id(fact)}__")
        checks[id(check)] = check
    return checks


def _feature_tester(check: Any) -> Any:
    """``FeatureTesterNode(check)``: its matcher and no children (it has no memory)."""
    node = FeatureTesterNode.__new__(FeatureTesterNode)
    node.matcher = check
    node.children = []
    return node


def _all_nodes(root: Any) -> list[Any]:
    found: dict[int, Any] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) not in found:
            found[id(node)] = node
            stack.extend(child.node for child in node.children)
    return list(found.values())
