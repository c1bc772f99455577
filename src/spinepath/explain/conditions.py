"""Evaluating a rule's conditions against one case and its trace, for explanations."""

from __future__ import annotations

from typing import Any

from spinepath.kb.model import OFFERED, KnowledgeBase, Rule
from spinepath.pathway.explanation import ConditionCheck
from spinepath.pathway.model import Pathway


def established(pathway: Pathway) -> set[str]:
    """Intermediate conclusions established for this case."""
    return {
        concluded["establish"]
        for step in pathway.trace
        for concluded in step.concluded
        if "establish" in concluded
    }


def stages_with_options(kb: KnowledgeBase, pathway: Pathway) -> set[str]:
    """Stages where some rule offered an option (as ``no_option_in`` counts them)."""
    return {
        kb.stage_of(concluded["option"])
        for step in pathway.trace
        for concluded in step.concluded
        if "option" in concluded and concluded["verdict"] in OFFERED
    }


def check(kb: KnowledgeBase, pathway: Pathway, rule: Rule) -> list[ConditionCheck]:
    """Every condition of ``rule`` checked against the pathway's case and trace."""
    case = pathway.case
    done = established(pathway)
    # Conditions on the case hold as the knowledge base says they do (``KnowledgeBase.holds``).
    facts = {key: _case_value(value) for key, value in case.items()}
    checks = []
    for condition in rule.when:
        needed = list(condition.values)
        actual: dict[str, Any]
        if condition.kind in ("case", "measure", "red_flags"):
            if condition.kind == "case":
                actual = {"value": case[condition.subject]}
            elif condition.kind == "measure":
                measure = kb.measures[condition.subject]
                actual = {"value": case[measure.key], "band": measure.band(case[measure.key])}
            else:
                actual = {"value": case["red_flags"], "screen": pathway.red_flag_screen}
            checks.append(
                ConditionCheck(
                    condition=condition,
                    holds=kb.holds(condition, facts),
                    actual=actual,
                    needed=needed,
                )
            )
        elif condition.kind == "intermediate":
            is_established = condition.subject in done
            wanted = bool(condition.values[0])
            checks.append(
                ConditionCheck(
                    condition=condition,
                    holds=is_established == wanted,
                    actual={"established": is_established},
                    needed=needed,
                    established_by=[
                        r.id for r in kb.rules if condition.subject in r.then.establish
                    ],
                )
            )
        else:
            has_options = condition.subject in stages_with_options(kb, pathway)
            checks.append(
                ConditionCheck(
                    condition=condition,
                    holds=not has_options,
                    actual={"has_options": has_options},
                    needed=needed,
                )
            )
    return checks


def _case_value(value: Any) -> Any:
    # The pathway's case is JSON-shaped: lists where the model has tuples.
    return tuple(value) if isinstance(value, list) else value
