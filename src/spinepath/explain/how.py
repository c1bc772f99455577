"""HOW: the chain of rules and facts that led to an option's verdict, back to the case."""

from __future__ import annotations

from spinepath.errors import SpinepathError
from spinepath.kb.model import KnowledgeBase
from spinepath.pathway.explanation import (
    CurrentStageReason,
    How,
    HowCondition,
    HowNode,
    OtherRule,
)
from spinepath.pathway.model import Pathway, TraceStep


def how(kb: KnowledgeBase, pathway: Pathway, option_id: str) -> How:
    """The reasoning behind ``option_id``'s verdict, as a tree ending in case facts."""
    option = pathway.option(option_id)
    if option is None:
        raise SpinepathError(
            f"{option_id}: no rule concluded anything about it for this case "
            f"(see: spinepath explain CASE --why-not {option_id})"
        )
    stage_id = kb.stage_of(option_id)
    stage = pathway.stage(stage_id)
    steps = {step.rule: step for step in pathway.trace}
    current_rule = next(
        step.rule for step in pathway.trace if any("current_stage" in c for c in step.concluded)
    )
    return How(
        option=option_id,
        name=option.name,
        verdict=option.verdict,
        verdict_when_reached=option.verdict_when_reached,
        stage=stage_id,
        stage_status=stage.status if stage else "upcoming",
        decided_by=_node(kb, pathway, steps, option.rule),
        other_rules=[
            OtherRule(rule=rule_id, verdict=_verdict_of(steps[rule_id], option_id))
            for rule_id in option.rules
            if rule_id != option.rule
        ],
        current_stage=CurrentStageReason(
            stage=pathway.current_stage, because=_node(kb, pathway, steps, current_rule)
        ),
        evidence_marker=option.evidence.marker,
        contested=option.contested,
    )


def _verdict_of(step: TraceStep, option_id: str) -> str:
    return next(c["verdict"] for c in step.concluded if c.get("option") == option_id)


def _node(
    kb: KnowledgeBase, pathway: Pathway, steps: dict[str, TraceStep], rule_id: str
) -> HowNode:
    rule = kb.rule(rule_id)
    conditions = []
    for condition in rule.when:
        if condition.kind == "case":
            entry = HowCondition(
                condition=condition,
                fact=condition.subject,
                value=pathway.case[condition.subject],
            )
        elif condition.kind in ("red_flags", "measure"):
            assert condition.key is not None
            entry = HowCondition(
                condition=condition, fact=condition.key, value=pathway.case[condition.key]
            )
        elif condition.kind == "intermediate" and condition.values[0]:
            entry = HowCondition(
                condition=condition,
                established_by=[
                    _node(kb, pathway, steps, establisher)
                    for establisher in _establishers(pathway, condition.subject)
                ],
            )
        else:
            entry = HowCondition(condition=condition, held_by_absence=True)
        conditions.append(entry)
    return HowNode(
        rule=rule.id,
        stage=rule.stage,
        title=rule.title,
        conditions=conditions,
        concluded=steps[rule_id].concluded,
        citations=list(rule.citations),
    )


def _establishers(pathway: Pathway, name: str) -> list[str]:
    """The rule that first established ``name`` (later ones found it already established)."""
    for step in pathway.trace:
        for concluded in step.concluded:
            if concluded.get("establish") == name and not concluded.get("already"):
                return [step.rule]
    return []
