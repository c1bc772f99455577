"""Evaluating a rule's conditions against one case and its trace, for explanations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spinepath.engine.compiler import RED_FLAG_SCREENS
from spinepath.kb.model import Condition, KnowledgeBase, Rule
from spinepath.pathway.build import OFFERED
from spinepath.pathway.model import Pathway
from spinepath.render.words import (
    RED_FLAG_SCREEN_WORDS,
    condition_words,
    screen_word,
    value_word,
)


@dataclass(frozen=True)
class ConditionCheck:
    """One condition of a rule, checked against a case: does it hold, and what would."""

    condition: Condition
    holds: bool
    actual: str
    needed: str
    #: For an intermediate that was not established: the rules that could establish it.
    established_by: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "condition": condition_words(self.condition),
            "holds": self.holds,
            "actual": self.actual,
            "needed": self.needed,
            "established_by": list(self.established_by),
        }


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
    checks = []
    for condition in rule.when:
        if condition.kind == "case":
            value = _case_value(case[condition.subject])
            holds = any(_same(value, wanted) for wanted in condition.values)
            checks.append(
                ConditionCheck(
                    condition,
                    holds,
                    actual=value_word(value),
                    needed=" or ".join(value_word(v) for v in condition.values),
                )
            )
        elif condition.kind == "measure":
            measure = kb.measures[condition.subject]
            band = measure.band(case[measure.key])
            checks.append(
                ConditionCheck(
                    condition,
                    any(_same(band, wanted) for wanted in condition.values),
                    actual=f"{value_word(case[measure.key])} ({value_word(band)})",
                    needed=" or ".join(value_word(v) for v in condition.values),
                )
            )
        elif condition.kind == "red_flags":
            screen = pathway.red_flag_screen
            checks.append(
                ConditionCheck(
                    condition,
                    any(screen in RED_FLAG_SCREENS[v] for v in condition.values),
                    actual=f"{value_word(case['red_flags'])} ({screen_word(screen)})",
                    needed=" or ".join(RED_FLAG_SCREEN_WORDS[v] for v in condition.values),
                )
            )
        elif condition.kind == "intermediate":
            is_established = condition.subject in done
            wanted = bool(condition.values[0])
            checks.append(
                ConditionCheck(
                    condition,
                    is_established == wanted,
                    actual="established" if is_established else "not established",
                    needed="established" if wanted else "not established",
                    established_by=tuple(
                        r.id for r in kb.rules if condition.subject in r.then.establish
                    ),
                )
            )
        else:
            has_options = condition.subject in stages_with_options(kb, pathway)
            checks.append(
                ConditionCheck(
                    condition,
                    not has_options,
                    actual="some options" if has_options else "no option",
                    needed="no option",
                )
            )
    return checks


def _case_value(value: Any) -> Any:
    # The pathway's case is JSON-shaped: lists where the model has tuples.
    return tuple(value) if isinstance(value, list) else value


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b
