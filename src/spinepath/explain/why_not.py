"""WHY NOT: for any option, which conditions of which rules failed for this case, and what
would have satisfied them."""

from __future__ import annotations

from spinepath.explain.conditions import check
from spinepath.kb.model import KnowledgeBase
from spinepath.pathway.explanation import RuleCheck, WhyNot
from spinepath.pathway.model import Pathway


def why_not(kb: KnowledgeBase, pathway: Pathway, option_id: str) -> WhyNot:
    """Every rule that can conclude on ``option_id``, and what held or failed for this case."""
    option = pathway.option(option_id)
    stage_id = kb.stage_of(option_id)
    stage = pathway.stage(stage_id)
    fired = {step.rule for step in pathway.trace}
    rules = [
        RuleCheck(
            rule=rule.id,
            title=rule.title,
            would_conclude=rule.then.options[option_id],
            fired=rule.id in fired,
            conditions=check(kb, pathway, rule),
            citations=list(rule.citations),
        )
        for rule in kb.rules
        if option_id in rule.then.options
    ]
    several = option is not None and len(option.rules) > 1
    return WhyNot(
        option=option_id,
        name=kb.treatment(option_id).name,
        verdict=option.verdict if option else "absent",
        stage=stage_id,
        stage_status=stage.status if stage else "not_in_pathway",
        current_stage=pathway.current_stage,
        downgraded=option is not None and option.verdict != option.verdict_when_reached,
        capped_by=list(option.capped_by) if option else [],
        verdict_when_reached=option.verdict_when_reached if option else None,
        contested=option.contested if option else False,
        spoke=list(option.rules) if option and several else [],
        decided_by=option.rule if option and several else None,
        rules=rules,
        evidence_marker=option.evidence.marker if option else kb.evidence[option_id].marker,
    )
