"""The order in which ``explore`` shows its changes: what a patient would ask first.

Changes are grouped by direction (toward surgery, away from it, or within the current
stage) and, inside each group, by who can change the fact: the patient (how long care
was tried, whether it helped), a scan or an examination, or nobody (the history). Within
that, the larger change comes first. The sorting of facts is knowledge, kept in
``knowledge/explore.yaml``; this module only applies it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from spinepath.kb.loading import knowledge_dir

#: Most useful first.
DIRECTIONS = ("toward_surgery", "away_from_surgery", "within_stage")
KINDS = ("patient", "scan", "history")

DIRECTION_WORDS = {
    "toward_surgery": "toward surgery",
    "away_from_surgery": "away from surgery",
    "within_stage": "within the current stage",
}
KIND_WORDS = {
    "patient": "facts you can change (how long care was tried, whether it helped)",
    "scan": "findings only a scan or an examination can change",
    "history": "history",
}


@cache
def fact_kinds() -> dict[str, str]:
    """Each case fact named in ``knowledge/explore.yaml`` and its kind."""
    import yaml

    from spinepath.strict_yaml import KnowledgeYamlLoader

    text = (knowledge_dir() / "explore.yaml").read_text(encoding="utf-8")
    data = yaml.load(text, Loader=KnowledgeYamlLoader)
    kinds = {key: "patient" for key in data["patient_can_change"]}
    kinds.update({key: "scan" for key in data["scan_findings"]})
    return kinds


def direction(difference: dict[str, Any]) -> str:
    """Whether a change moves the current stage toward surgery, away from it, or not."""
    moves = difference["stage_moves"]
    return "toward_surgery" if moves > 0 else "away_from_surgery" if moves < 0 else "within_stage"


def kind(changes: dict[str, Any]) -> str:
    """Who can change the facts of a change: the least changeable of them decides."""
    kinds = fact_kinds()
    return max((kinds.get(key, "history") for key in changes), key=KINDS.index)


def usefulness(scenario: dict[str, Any]) -> tuple[Any, ...]:
    """Sort key, most useful first: direction, kind, size; ties in a fixed order."""
    return (
        DIRECTIONS.index(direction(scenario["difference"])),
        KINDS.index(kind(scenario["set"])),
        -scenario["size"],
        repr(sorted(scenario["set"].items())),
    )


def rank(scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``scenarios`` most useful first, each with its ``direction`` and ``kind``."""
    ranked = sorted(scenarios, key=usefulness)
    return [{**s, "direction": direction(s["difference"]), "kind": kind(s["set"])} for s in ranked]
