"""The order in which ``explore`` shows its changes: what a patient would ask first.

Changes are grouped by direction (toward surgery, away from it, or within the current
stage) and, inside each group, by who can change the fact: the patient (how long care
was tried, whether it helped), a scan or an examination, or nobody (the history). Within
that, the larger change comes first. The sorting of facts is knowledge, kept in
``knowledge/explore.yaml`` (checked and loaded with the knowledge base: ``kb.explore``);
this module only applies it.
"""

from __future__ import annotations

from typing import Any

from spinepath.kb.model import FactKind, KnowledgeBase
from spinepath.pathway.difference import Difference, Scenario

#: Most useful first.
DIRECTIONS = ("toward_surgery", "away_from_surgery", "within_stage")
KINDS: tuple[FactKind, ...] = ("patient", "scan", "history")


def direction(difference: Difference) -> str:
    """Whether a change moves the current stage toward surgery, away from it, or not."""
    moves = difference.stage_moves
    return "toward_surgery" if moves > 0 else "away_from_surgery" if moves < 0 else "within_stage"


def kind(kb: KnowledgeBase, changes: dict[str, Any]) -> FactKind:
    """Who can change the facts of a change: the least changeable of them decides."""
    return max((kb.explore.kind(key) for key in changes), key=KINDS.index)


def usefulness(scenario: Scenario) -> tuple[Any, ...]:
    """Sort key, most useful first: direction, kind, size; ties in a fixed order."""
    return (
        DIRECTIONS.index(scenario.direction),
        KINDS.index(scenario.kind),
        -scenario.size,
        repr(sorted(scenario.set.items())),
    )


def rank(scenarios: list[Scenario]) -> list[Scenario]:
    """``scenarios`` most useful first."""
    return sorted(scenarios, key=usefulness)
