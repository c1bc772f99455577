"""Explanations of a pathway as typed values: HOW, WHY NOT and the walkthrough.

These models hold values (``True``, a verdict id, a rule's condition as the
knowledge base states it), never words: ``spinepath.explain`` computes them and
the renderers word them. They sit beside the pathway model so that both the
explanation code and the renderers can import them without importing each other.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, computed_field

from spinepath.kb.model import Condition, GuidelineCitation, SeedCitation, StageId, Verdict
from spinepath.pathway.model import StageStatus

Citation = SeedCitation | GuidelineCitation


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- HOW ---------------------------------------------------------------------------------


class HowCondition(_Result):
    """One condition of a rule that fired, with what made it hold for this case.

    ``fact`` and ``value`` for a condition on the case (``value`` as the case states
    it: ``True``, ``"severe"``, ``None`` for not stated); ``established_by`` for an
    intermediate conclusion that holds; ``held_by_absence`` for one that holds because
    nothing established something (or a stage had no option).
    """

    condition: Condition
    fact: str | None = None
    value: Any = None
    established_by: list[HowNode] | None = None
    held_by_absence: bool = False


class HowNode(_Result):
    """A rule that fired, its conditions, what it concluded and what it rests on."""

    rule: str
    stage: StageId
    title: str
    conditions: list[HowCondition]
    concluded: list[dict[str, Any]]
    citations: list[Citation]


class OtherRule(_Result):
    """Another rule that spoke to the option (the most cautious verdict stands)."""

    rule: str
    verdict: Verdict


class CurrentStageReason(_Result):
    stage: StageId
    because: HowNode


class How(_Result):
    """The reasoning behind one option's verdict, as a tree that ends in case facts."""

    option: str
    name: str
    verdict: Verdict
    verdict_when_reached: Verdict
    stage: StageId
    stage_status: StageStatus
    decided_by: HowNode
    other_rules: list[OtherRule]
    current_stage: CurrentStageReason
    evidence_marker: str
    #: Read from the pathway (``Option.contested``), never recomputed.
    contested: bool


# --- WHY NOT -----------------------------------------------------------------------------


class ConditionCheck(_Result):
    """One condition of a rule checked against a case: does it hold, and what would.

    ``actual`` is what the case gives (``{"value": ...}``, with ``band`` for a measure,
    ``screen`` for red flags, ``established`` or ``has_options`` for the others);
    ``needed`` is the list of values the condition accepts (``Condition.values``).
    """

    condition: Condition
    holds: bool
    actual: dict[str, Any]
    needed: list[Any]
    #: For an intermediate that was not established: the rules that could establish it.
    established_by: list[str] = []


class RuleCheck(_Result):
    """A rule that can conclude on the option, and how its conditions fare for this case."""

    rule: str
    title: str
    would_conclude: Verdict
    fired: bool
    conditions: list[ConditionCheck]
    citations: list[Citation]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def failed(self) -> list[ConditionCheck]:
        return [c for c in self.conditions if not c.holds]


class WhyNot(_Result):
    """Every rule that can conclude on an option, and what held or failed for this case.

    The facts a reader needs beside the rules are values: ``downgraded`` when the
    stage is not reached (the verdict is shown below ``verdict_when_reached``),
    ``capped_by`` the rules that held the verdict down, ``contested`` read from the
    pathway, and ``spoke``/``decided_by`` when several rules spoke to it.
    """

    option: str
    name: str
    verdict: Verdict | Literal["absent"]
    stage: StageId
    stage_status: StageStatus | Literal["not_in_pathway"]
    current_stage: StageId
    verdict_when_reached: Verdict | None
    downgraded: bool
    capped_by: list[str]
    contested: bool
    #: All the rules that spoke to the option (when more than one) and the one that stands.
    spoke: list[str]
    decided_by: str | None
    rules: list[RuleCheck]
    evidence_marker: str


# --- WALKTHROUGH -------------------------------------------------------------------------


class WalkStep(_Result):
    """One firing, in firing order: the rule, what it matched, what it concluded."""

    step: int
    rule: str
    stage: StageId
    title: str
    conditions: list[Condition]
    #: The case facts the rule matched, as the case states them.
    matched: dict[str, Any]
    #: The conclusions as the trace records them (ids and verdicts).
    concluded: list[dict[str, Any]]
    rationale: str
    citations: list[Citation]


HowCondition.model_rebuild()
