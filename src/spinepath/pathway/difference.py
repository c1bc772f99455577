"""What-if and explore results as typed values: the difference between two pathways.

``spinepath.whatif`` computes them; the renderers word them. They sit beside the
pathway model so that the renderers read them without importing ``whatif``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from spinepath.kb.model import Concordance, GuidelineCitation, SeedCitation, StageId, Verdict
from spinepath.pathway.model import CautionNote, MissingFact

Citation = SeedCitation | GuidelineCitation
VerdictOrAbsent = Verdict | Literal["absent"]


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Change(_Result):
    """A value before and after (a fact, the current stage, the headline)."""

    before: Any
    after: Any


class ConcordanceChange(_Result):
    before: Concordance | None
    after: Concordance | None


class OptionChange(_Result):
    """One option whose verdict (or evidence) differs, with the rule responsible."""

    option: str
    name: str
    before: VerdictOrAbsent
    after: VerdictOrAbsent
    change: Literal["gained", "lost", "changed", "evidence"]
    concordance: ConcordanceChange
    rule: str
    rationale: str
    citations: list[Citation]
    evidence_marker: str
    #: Read from the pathway after the change (``Option.contested``), never recomputed.
    contested: bool

    @property
    def touches_recommended(self) -> bool:
        return "recommended" in (self.before, self.after)


class Difference(_Result):
    """What changes from one pathway to another: stage, options, cautions, missing facts."""

    changed_facts: dict[str, Change]
    current_stage: Change
    headline: Change
    #: Steps up (positive) or down (negative) the stage order.
    stage_moves: int
    options: list[OptionChange]
    cautions_added: list[CautionNote]
    cautions_removed: list[CautionNote]
    missing_facts_added: list[MissingFact]
    missing_facts_removed: list[MissingFact]

    def is_empty(self) -> bool:
        """Nothing in the pathway changes."""
        return not (
            self.stage_moves
            or self.options
            or self.cautions_added
            or self.cautions_removed
            or self.missing_facts_added
            or self.missing_facts_removed
        )

    def size(self) -> int:
        """How much the pathway changes: a stage counts most, then recommendations."""
        recommended = sum(3 for o in self.options if o.touches_recommended)
        return 10 * abs(self.stage_moves) + recommended + len(self.options)

    def matters(self) -> bool:
        """Worth showing: it moves the current stage or changes a recommendation."""
        return bool(self.stage_moves) or any(o.touches_recommended for o in self.options)


class Scenario(_Result):
    """One change of the case (``set``: the facts changed) and what it does to the pathway."""

    set: dict[str, Any]
    size: int
    difference: Difference
    #: Whether the change moves the current stage toward surgery, away from it, or not.
    direction: Literal["toward_surgery", "away_from_surgery", "within_stage"]
    #: Who can change its facts: the patient, a scan or examination, or nobody (history).
    kind: Literal["patient", "scan", "history"]


class Exploration(_Result):
    """The changes of one fact (and, on request, of two) that matter, most useful first
    (the order of ``whatif/ranking.py``)."""

    base_stage: StageId
    single_changes: list[Scenario]
    pairs: list[Scenario] | None
    #: With pairs: how many pairs matter (``pairs`` holds the most useful of them).
    pairs_found: int | None
    #: How many single changes were valid cases (and so tried).
    tried: int
