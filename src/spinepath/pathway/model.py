"""The pathway: what the engine concluded for a case, shaped as the contract's JSON (section 3).

Fields beyond the contract are extensions (the contract allows new fields):
``name`` of stages and options, ``rules`` that spoke to an option,
``verdict_when_reached``, the option's ``evidence``, a stage's
``guideline_notes``, ``disclaimer`` and ``knowledge_last_review``.
"""

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from spinepath.jsontext import dumps_model, dumps_model_line
from spinepath.kb.model import (
    AlertLevel,
    Concordance,
    GuidelineCitation,
    GuidelineNote,
    Position,
    SeedCitation,
    StageId,
    StageStatus,
    Verdict,
)


class _Out(BaseModel):
    # ``defer_build``: the builder makes pathways with ``model_construct`` and
    # :meth:`Pathway.to_json` reads their fields directly, so the JSON path never
    # needs pydantic's validator or serializer; building both at import cost
    # about 10 ms of every cold start. They are built on first use instead
    # (``model_validate``, ``model_dump``, the schema).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Evidence(_Out):
    """Where the option stands against mainstream guidelines (an extension of the contract)."""

    concordance: Concordance
    marker: str
    seed_evidence_level: str
    seed_position: Position
    guideline_position: Position


class Option(_Out):
    id: str
    name: str
    verdict: Verdict
    verdict_when_reached: Verdict
    rationale: str
    rule: str
    rules: list[str]
    citations: list[SeedCitation | GuidelineCitation]
    evidence: Evidence
    #: Offered by the seeds while guidelines diverge for this case: never shown as settled.
    contested: bool
    #: Rules that held the verdict down (a fact not stated, a case the sources do not cover).
    capped_by: list[str]
    #: Ids of the pathway's cautions that undercut this option (the caution's ``concerns`` in
    #: the knowledge base): every output shows them next to the option.
    cautions: list[str] = []


class StageResult(_Out):
    id: StageId
    name: str
    status: StageStatus
    options: list[Option]
    #: Steps guidelines add at this stage that the seeds leave out; not from the seeds.
    guideline_notes: list[GuidelineNote]


class CautionNote(_Out):
    id: str
    text: str
    rule: str
    stage: StageId
    citations: list[SeedCitation | GuidelineCitation]
    #: Ids of the options in this pathway that the caution undercuts.
    concerns: list[str] = []


class AlertNote(_Out):
    """What comes before any pathway; the first is the headline of every output."""

    id: str
    level: AlertLevel
    headline: str
    text: str
    rule: str
    citations: list[SeedCitation | GuidelineCitation]


class MissingFact(_Out):
    fact: str
    why: str
    rules: list[str]


class TraceStep(_Out):
    rule: str
    stage: StageId
    matched: dict[str, Any]
    concluded: list[dict[str, Any]]


class Pathway(_Out):
    spinepath_version: str
    knowledge_version: str
    knowledge_last_review: str
    disclaimer: str
    #: Who has reviewed the knowledge base; shown beside the disclaimer, at the top.
    review_status: str
    case: dict[str, Any]
    #: The red-flag screen: ``emergency``, ``urgent``, ``none`` or ``not_asked``.
    red_flag_screen: Literal["emergency", "urgent", "none", "not_asked"]
    #: Emergencies, urgent referrals and screening steps, most pressing first.
    alerts: list[AlertNote]
    #: The one line every output puts first: the top alert's headline, else the headline of a
    #: caution that must come first (no operation fits), else the current stage.
    headline: str
    current_stage: StageId
    stages: list[StageResult]
    cautions: list[CautionNote]
    missing_facts: list[MissingFact]
    trace: list[TraceStep]

    def option(self, option_id: str) -> Option | None:
        """The option with this id, in whatever stage, or ``None`` if no rule spoke to it."""
        for stage in self.stages:
            for option in stage.options:
                if option.id == option_id:
                    return option
        return None

    def stage(self, stage_id: str) -> StageResult | None:
        return next((stage for stage in self.stages if stage.id == stage_id), None)

    def _repr_html_(self) -> str | None:
        """The pathway in a notebook (Jupyter, VS Code...): the HTML report's look, drawn by
        the renderer that :data:`NOTEBOOK_VIEW` names (the model never imports the layer
        that renders it). ``None``, plain text in the notebook, when none is set."""
        return NOTEBOOK_VIEW[0](self) if NOTEBOOK_VIEW else None

    def to_json(self) -> str:
        """The contract's JSON: keys sorted, stable across runs and hash seeds."""
        # No field of a pathway holds a float (tests/test_engine.py checks the schema).
        # The builder shares alerts, stages and cautions between pathways: their text
        # is kept (see jsontext.share).
        return dumps_model(self, items=MODEL_LISTS)

    def to_json_line(self, **extra: str) -> str:
        """The pathway with ``extra`` fields beside its own, on one line: exactly
        ``json.dumps({**self.model_dump(mode="json"), **extra}, sort_keys=True,
        ensure_ascii=False)`` (a line of ``spinepath batch --full``)."""
        return dumps_model_line(self, items=MODEL_LISTS, extra=extra)


#: The pathway's list fields whose items are models (the builder shares alerts, stages and
#: cautions between pathways).
MODEL_LISTS = ("alerts", "stages", "cautions", "missing_facts", "trace")

#: The renderer a notebook shows a pathway with, set by the application that imports
#: both layers (``spinepath.api``): a dependency handed down, not an upward import.
NOTEBOOK_VIEW: list[Callable[[Pathway], str]] = []
