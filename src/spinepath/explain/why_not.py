"""WHY NOT: for any option, which conditions of which rules failed for this case, and what
would have satisfied them."""

from __future__ import annotations

from typing import Any

from spinepath.explain.conditions import check
from spinepath.kb.model import KnowledgeBase
from spinepath.pathway.model import Pathway


def why_not(kb: KnowledgeBase, pathway: Pathway, option_id: str) -> dict[str, Any]:
    """Every rule that can conclude on ``option_id``, and what held or failed for this case."""
    option = pathway.option(option_id)
    stage_id = kb.stage_of(option_id)
    stage = pathway.stage(stage_id)
    fired = {step.rule for step in pathway.trace}
    rules = []
    for rule in kb.rules:
        if option_id not in rule.then.options:
            continue
        checks = check(kb, pathway, rule)
        rules.append(
            {
                "rule": rule.id,
                "title": rule.title,
                "would_conclude": rule.then.options[option_id],
                "fired": rule.id in fired,
                "conditions": [c.as_dict() for c in checks],
                "failed": [c.as_dict() for c in checks if not c.holds],
                "citations": list(rule.citations),
            }
        )
    notes = []
    if option is None:
        notes.append("No rule concluded anything about it for this case: it is absent.")
    else:
        if option.verdict != option.verdict_when_reached:
            notes.append(
                f"Its stage is {stage.status if stage else 'upcoming'}: the verdict there would "
                f"be {option.verdict_when_reached}, shown as {option.verdict} until the case "
                "reaches it."
            )
        if option.capped_by:
            notes.append(
                f"Held at most at {option.verdict_when_reached} by "
                f"{', '.join(option.capped_by)}: a fact the sources make a condition is not "
                "stated, or the sources do not cover the case."
            )
        if option.contested:
            notes.append("Contested: the seeds offer it, but guidelines diverge for this case.")
        if len(option.rules) > 1:
            notes.append(
                f"Several rules spoke to it ({', '.join(option.rules)}); the most cautious "
                f"verdict stands, from {option.rule}."
            )
    return {
        "option": option_id,
        "name": kb.treatment(option_id).name,
        "verdict": option.verdict if option else "absent",
        "stage": stage_id,
        "stage_status": stage.status if stage else "not in this pathway",
        "current_stage": pathway.current_stage,
        "notes": notes,
        "rules": rules,
        "evidence_marker": option.evidence.marker if option else kb.evidence[option_id].marker,
    }
