"""A step-by-step walk through the firings, for teaching: each rule, what it matched, what it
concluded, and the passage it rests on."""

from __future__ import annotations

from typing import Any

from spinepath.kb.model import KnowledgeBase
from spinepath.pathway.model import Pathway
from spinepath.render.words import VERDICT_WORDS, condition_words, fact_word, value_word


def walkthrough(kb: KnowledgeBase, pathway: Pathway) -> list[dict[str, Any]]:
    """One entry per firing, in firing order."""
    steps = []
    for number, step in enumerate(pathway.trace, start=1):
        rule = kb.rule(step.rule)
        steps.append(
            {
                "step": number,
                "rule": rule.id,
                "stage": rule.stage,
                "title": rule.title,
                "conditions": [condition_words(c) for c in rule.when] or ["always"],
                "matched": {fact_word(k): value_word(v) for k, v in step.matched.items()},
                "concluded": [conclusion_words(kb, c) for c in step.concluded],
                "rationale": " ".join(rule.rationale.split()),
                "citations": list(rule.citations),
            }
        )
    return steps


def conclusion_words(kb: KnowledgeBase, concluded: dict[str, Any]) -> str:
    """One conclusion of a firing, in domain words."""
    if "establish" in concluded:
        suffix = " (already established)" if concluded.get("already") else ""
        return f"established: {fact_word(concluded['establish'])}{suffix}"
    if "current_stage" in concluded:
        stage = next(s for s in kb.stages if s.id == concluded["current_stage"])
        return f"current stage: {stage.name}"
    if "option" in concluded:
        name = kb.treatment(concluded["option"]).name
        return f"{name}: {VERDICT_WORDS[concluded['verdict']]}"
    if "caution" in concluded:
        return f"caution: {fact_word(concluded['caution'])}"
    if "alert" in concluded:
        return f"first of all: {fact_word(concluded['alert'])}"
    if "cap" in concluded:
        stages = ", ".join(fact_word(stage) for stage in concluded["cap"])
        return f"verdicts in {stages} at most {VERDICT_WORDS[concluded['at_most']]}"
    return f"missing fact: {fact_word(concluded['missing_fact'])}"
