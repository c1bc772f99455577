"""The engine's beta wiring (:mod:`spinepath.engine.wiring`) builds experta's own network."""

from __future__ import annotations

import re
from typing import Any

from spinepath.engine.compat import experta_module
from spinepath.engine.compiler import compile_rules
from spinepath.engine.runner import fire
from spinepath.engine.wiring import build_beta_part
from spinepath.kb.model import KnowledgeBase

experta = experta_module()
from experta.matchers import ReteMatcher  # noqa: E402 - after the compatibility shim


class WiredMatcher(ReteMatcher):
    """experta's matcher as released, but for the beta wiring."""

    @staticmethod
    def build_beta_part(ruleset: set[Any], alpha_terminals: dict[Any, Any]) -> None:
        build_beta_part(ruleset, alpha_terminals)


def _network(kb: KnowledgeBase, matcher: type) -> Any:
    attributes = compile_rules(kb, fire)
    attributes["__matcher__"] = matcher
    return type("Probe", (experta.KnowledgeEngine,), attributes)().matcher.root_node


#: Object addresses in a test's repr (functions, and the ids experta names captures by).
_NOT_ADDRESSES = re.compile(r" at 0x[0-9a-f]+|__pattern_[0-9]+__")


def _shape(root: Any) -> list[tuple[Any, ...]]:
    """Every path from the root to a conflict-set node: node kinds, tests and edges."""
    paths: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        kind = type(node).__name__
        test = repr(getattr(node, "matcher", None)) if kind == "FeatureTesterNode" else ""
        step = (kind, _NOT_ADDRESSES.sub("", test))
        if kind == "ConflictSetNode":
            paths.append((*path, step, node.rule.salience))
        for child in node.children:
            walk(child.node, (*path, step, child.callback.__name__))

    walk(root, ())
    return sorted(paths, key=repr)


def test_the_wiring_builds_the_network_experta_builds(kb: KnowledgeBase) -> None:
    wired, upstream = _shape(_network(kb, WiredMatcher)), _shape(_network(kb, ReteMatcher))
    assert len(upstream) >= len(kb.rules)
    assert wired == upstream
