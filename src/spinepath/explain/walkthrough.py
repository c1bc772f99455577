"""A step-by-step walk through the firings, for teaching: each rule, what it matched, what it
concluded, and the passage it rests on."""

from __future__ import annotations

from spinepath.kb.model import KnowledgeBase
from spinepath.pathway.explanation import WalkStep
from spinepath.pathway.model import Pathway


def walkthrough(kb: KnowledgeBase, pathway: Pathway) -> list[WalkStep]:
    """One entry per firing, in firing order."""
    steps = []
    for number, step in enumerate(pathway.trace, start=1):
        rule = kb.rule(step.rule)
        steps.append(
            WalkStep(
                step=number,
                rule=rule.id,
                stage=rule.stage,
                title=rule.title,
                conditions=list(rule.when),
                matched=dict(step.matched),
                concluded=step.concluded,
                rationale=" ".join(rule.rationale.split()),
                citations=list(rule.citations),
            )
        )
    return steps
