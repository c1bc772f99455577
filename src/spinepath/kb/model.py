"""The knowledge base as typed data: sources, treatments, intermediate conclusions, rules.

These models describe what the knowledge files in ``knowledge/`` may say; they
hold no mechanism. :mod:`spinepath.kb.loading` reads and checks the files, and
:mod:`spinepath.engine` compiles the rules.
"""

import typing
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from spinepath.case.model import same_value

Verdict = Literal["recommended", "consider", "not_advised", "contraindicated"]
StageId = Literal["referral", "conservative", "non_invasive", "surgical"]
#: Where a stage stands for a case. ``after_specialist_assessment``: a stage beyond the
#: referral a red flag calls for; it applies only once a specialist has assessed the flag.
StageStatus = Literal["tried", "current", "upcoming", "after_specialist_assessment"]

#: The verdicts from the most offered to the least: the order in which outputs list them.
VERDICT_ORDER: tuple[Verdict, ...] = typing.get_args(Verdict)
#: From most to least cautious: when rules disagree on an option, the first wins.
VERDICTS_BY_CAUTION: tuple[Verdict, ...] = tuple(reversed(VERDICT_ORDER))
#: Verdicts that offer an option (the rest advise against it).
OFFERED: tuple[Verdict, ...] = ("recommended", "consider")
#: The ladder of care, referral first (``treatments.yaml`` lists its stages in this order).
STAGE_ORDER: tuple[StageId, ...] = typing.get_args(StageId)

#: What each value of a ``red_flags`` condition matches in the case's red-flag screen
#: (:meth:`KnowledgeBase.red_flag_screen`); ``None`` is "never asked".
RED_FLAG_SCREENS: dict[object, tuple[str, ...]] = {
    "any": ("emergency", "urgent"),
    "emergency": ("emergency",),
    "urgent": ("urgent",),
    "none": ("none",),
    None: ("not_asked",),
}


class Strict(BaseModel):
    # ``defer_build``: pydantic builds a model's validator on its first validation, not at
    # import. A start that finds the knowledge base in the cache never validates it
    # (:mod:`spinepath.kb.cache` puts it together from the entry), and building every
    # model here cost some 30 ms of each cold start.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Meta(Strict):
    """Maintenance data of the knowledge base as a whole."""

    name: str
    version: str
    last_review: str
    reviewed_by: str
    update_policy: str
    #: One line of prose: the loader folds what the YAML wraps.
    disclaimer: str

    def review_status(self) -> str:
        """Who has reviewed the knowledge base, said on the first page of every output."""
        return (
            f"Knowledge base {self.version}, last reviewed {self.last_review} "
            f"by {self.reviewed_by}."
        )


class Seed(Strict):
    """One of the seed documents the pathway is drawn from."""

    id: str = Field(pattern=r"^\d{3}$")
    file: str
    #: SHA-256 of the full text's bytes; the text is checked against it when present.
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    #: Licence status: "none stated" (all rights reserved) or an SPDX identifier.
    licence: str
    origin: str
    title: str
    author: str | None = None
    kind: str
    evidence_level: str
    note: str
    text: str = Field("", repr=False, exclude=True)


class Guideline(Strict):
    """A published guideline cited in spinepath's own words."""

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    title: str
    publisher: str
    year: int | None = None
    year_note: str | None = None
    updated: int | None = None
    identifier: str | None = None
    authors: str | None = None
    journal: str | None = None
    url: str | None = None
    kind: str
    evidence_level: str
    status_note: str | None = None
    read_via: str | None = None
    sections: dict[str, str]


class Treatment(Strict):
    """A treatment id of the contract, with the name shown to people."""

    id: str
    name: str
    description: str


class Stage(Strict):
    id: StageId
    name: str
    description: str
    treatments: tuple[Treatment, ...]


class Intermediate(Strict):
    """A conclusion some rules establish and other rules build on."""

    name: str = Field(pattern=r"^[a-z_]+$")
    description: str


class CitationRef(Strict):
    """A citation as written in a rule: a seed quote or a guideline section."""

    source: str
    quote: str | None = None
    section: str | None = None


class SeedCitation(Strict):
    """A verbatim quote: ``quote == seed_text[start:end]``."""

    source: str
    quote: str
    start: int
    end: int


class GuidelineReference(Strict):
    title: str
    publisher: str
    year: int | None
    section: str
    summary: str
    url: str | None = None


class GuidelineCitation(Strict):
    source: str
    reference: GuidelineReference


Citation = SeedCitation | GuidelineCitation


Concordance = Literal["agrees", "partly_agrees", "diverges", "not_addressed"]


class Condition(Strict):
    """One line of a rule's ``when``: ``subject`` must take one of ``values``.

    ``kind`` says what the subject is: a case fact, a measure (a band of a number
    of the case, see ``measures.yaml``), an intermediate conclusion, the red-flag
    screen (``any``, ``emergency``, ``urgent``, ``none`` or ``null`` for never
    asked), or the absence of options in a stage. ``key`` is the case key the
    condition reads, if any.
    """

    kind: Literal["case", "measure", "intermediate", "red_flags", "no_option_in"]
    subject: str
    values: tuple[object, ...]
    key: str | None = None


class Position(Strict):
    """A position on an option, in spinepath's own words, with what it rests on."""

    text: str
    citations: tuple[Citation, ...]


class CaseEvidence(Strict):
    """Where guidelines stand on an option for the cases that match ``when``.

    ``when`` is checked like a rule's: every condition names a case fact (never
    an intermediate conclusion) and the values that satisfy it; ``None`` means
    "not stated in the case".
    """

    when: tuple[Condition, ...] = Field(min_length=1)
    concordance: Concordance
    marker: str
    guideline_position: Position

    def matches(self, facts: Mapping[str, object]) -> bool:
        """Whether every condition holds for ``facts`` (a missing key is "not stated").

        Types are compared as well as values: ``True`` does not match ``1``.
        """
        return all(
            any(same_value(facts.get(c.subject), value) for value in c.values) for c in self.when
        )


class EvidenceView(Strict):
    """An option's concordance with guidelines for one case (see :meth:`EvidenceNote.for_case`).

    ``matched`` is the ``by_case`` entry that applied, or ``None`` when the
    note's default fields apply.
    """

    concordance: Concordance
    marker: str
    guideline_position: Position
    matched: CaseEvidence | None = None


class EvidenceNote(Strict):
    """Where an option stands between the seeds and mainstream guidelines.

    The top-level ``concordance``, ``marker`` and ``guideline_position`` are the
    default. ``by_case`` holds guideline positions that depend on the case (for
    example on nerve compression); :meth:`for_case` picks the one that applies.
    """

    option: str
    concordance: Concordance
    seed_evidence_level: str
    seed_position: Position
    guideline_position: Position
    marker: str
    by_case: tuple[CaseEvidence, ...] = ()

    def for_case(self, facts: Mapping[str, object]) -> EvidenceView:
        """The concordance, marker and guideline position that apply to a case.

        ``facts`` maps case keys to their values, as ``Case.model_dump()`` gives
        them; a key that is missing counts as not stated (``None``). The first
        ``by_case`` entry whose ``when`` holds wins and is returned as
        ``matched``; when none holds, the note's default fields apply and
        ``matched`` is ``None``. Values match only when their types match too
        (``True`` is not ``1``).
        """
        # Built without validation: every value comes from this validated note, and
        # validating would build EvidenceView's validator on every cold start.
        for entry in self.by_case:
            if entry.matches(facts):
                return EvidenceView.model_construct(
                    concordance=entry.concordance,
                    marker=entry.marker,
                    guideline_position=entry.guideline_position,
                    matched=entry,
                )
        return EvidenceView.model_construct(
            concordance=self.concordance,
            marker=self.marker,
            guideline_position=self.guideline_position,
        )


class GuidelineNote(Strict):
    """A step guidelines add that the seeds leave out, shown in its stage, marked as such."""

    id: str = Field(pattern=r"^[a-z_]+$")
    stage: StageId
    text: str
    citations: tuple[Citation, ...]


class Caution(Strict):
    """A warning from the sources. ``concerns`` names the options it undercuts (treatment
    ids, or stage ids for every option of a stage): every output shows the caution next to
    them. A ``headline`` replaces "Current stage: ..." at the head of every output when the
    caution fires and no alert comes first (e.g. the surgical stage with no operation)."""

    id: str = Field(pattern=r"^[a-z_]+$")
    text: str
    concerns: tuple[str, ...] = ()
    headline: str | None = None


AlertLevel = Literal["emergency", "urgent", "screen"]
#: Most pressing first: the order in which alerts head every output.
ALERT_LEVELS: tuple[AlertLevel, ...] = ("emergency", "urgent", "screen")


class Alert(Strict):
    """What must come before any pathway: an emergency, an urgent referral, or a screening step.

    The ``headline`` is the first thing every output shows.
    """

    id: str = Field(pattern=r"^[a-z_]+$")
    level: AlertLevel
    headline: str
    text: str


class Cap(Strict):
    """A ceiling on verdicts: options of ``stages`` are shown at most as ``verdict``.

    Used where a fact the sources make a condition is not stated (the pathway may
    go on, but only as "consider"), and where the sources do not cover the case.
    """

    stages: tuple[StageId, ...]
    verdict: Verdict = "consider"
    reason: str


class Conclusion(Strict):
    """What a rule concludes when all its conditions hold."""

    establish: tuple[str, ...] = ()
    current_stage: StageId | None = None
    # Plain defaults (pydantic copies them per instance): a builtin default_factory
    # makes pydantic probe its signature, which costs milliseconds at every start.
    options: dict[str, Verdict] = Field(default={})
    caution: Caution | None = None
    missing_facts: dict[str, str] = Field(default={})
    alert: Alert | None = None
    cap: Cap | None = None


class Rule(Strict):
    """One rule: its conditions, its conclusion and the passages it rests on, in one place."""

    id: str = Field(pattern=r"^[a-z_]+\.[a-z0-9_]+$")
    stage: StageId
    title: str
    when: tuple[Condition, ...]
    then: Conclusion
    rationale: str
    citations: tuple[Citation, ...]
    file: str
    position: int

    def reads(self) -> tuple[str, ...]:
        """The case keys this rule's conditions read (directly, not through intermediates)."""
        return tuple(c.key for c in self.when if c.key is not None)


InvariantScope = Literal["pathway", "option", "caution", "engine", "knowledge", "pair"]


class Invariant(Strict):
    """What must hold for every case, whatever the rules conclude (``invariants.yaml``).

    The check is Python (``spinepath.verify.invariants``); what it reads of the case is
    here: ``when`` (the conditions under which it applies), ``requires`` (what a guarded
    conclusion needs, the gates) and, with ``reads_rule_facts``, whether each fact the
    deciding rule reads is known. ``stages`` and ``options`` narrow an option invariant.
    """

    id: str = Field(pattern=r"^[a-z_]+$")
    title: str
    statement: str
    kind: Literal["safety", "reading", "integrity"]
    scope: InvariantScope
    stages: tuple[StageId, ...] = ()
    options: tuple[str, ...] = ()
    when: tuple[Condition, ...] = ()
    requires: tuple[Condition, ...] = ()
    reads_rule_facts: bool = False
    checked_by: tuple[Literal["verify", "properties"], ...] = Field(min_length=1)
    citations: tuple[Citation, ...] = ()
    basis: str | None = None

    def reads(self) -> tuple[str, ...]:
        """The case keys the invariant itself tests (besides the deciding rule's facts)."""
        return tuple(dict.fromkeys(c.key for c in (*self.when, *self.requires) if c.key))

    def covers(self, stage: str, option: str) -> bool:
        """Whether an option invariant speaks to ``option`` of ``stage``."""
        return (not self.stages or stage in self.stages) and (
            not self.options or option in self.options
        )


class Band(Strict):
    """One band of a measure: the whole numbers from ``low`` to ``high`` (inclusive)."""

    value: str = Field(pattern=r"^[a-z_]+$")
    low: int
    high: int


class Measure(Strict):
    """A number of the case read in bands, so that rules test it like any other fact.

    ``symptom_duration`` reads ``symptom_months``, for instance. A number that is
    not stated gives the measure ``None`` (not stated).
    """

    name: str = Field(pattern=r"^[a-z_]+$")
    key: str
    description: str
    bands: tuple[Band, ...]
    rationale: str
    citations: tuple[Citation, ...]

    def band(self, number: int | None) -> str | None:
        if number is None:
            return None
        for band in self.bands:
            if band.low <= number <= band.high:
                return band.value
        raise ValueError(f"{self.key}: {number} is in no band of {self.name}")


class RedFlagEntry(Strict):
    """One red flag of the case vocabulary, with how pressing it is, from the guidelines."""

    id: str
    level: Literal["emergency", "urgent"]
    name: str
    citations: tuple[Citation, ...]


class Question(Strict):
    """How the consultation asks for one case fact."""

    question: str
    terms: tuple[str, ...] = ()
    #: Plain words for answers, by the value as a case file spells it.
    choices: dict[str, str] = Field(default={})


class HandoutWords(Strict):
    """``handout.yaml``: the patient handout's own sentences, and the glossary terms it
    shows beside each treatment and stage (the loader checks every name and term)."""

    #: Glossary terms by treatment or stage id; every treatment and stage has an entry.
    terms: dict[str, tuple[str, ...]]
    #: What each verdict means, in plain words (every verdict).
    verdicts: dict[Verdict, str]
    #: What guidelines say, by concordance (every concordance).
    guidelines: dict[Concordance, str]
    #: Shown beside a contested option.
    contested: str
    #: Where the case stands, by stage status (every status).
    statuses: dict[StageStatus, str]
    #: Questions a patient can take to the appointment.
    questions: tuple[str, ...] = Field(min_length=1)


#: Who can change a fact, as ``explore`` orders its changes: most changeable first.
FactKind = Literal["patient", "scan", "history"]


class ExploreOrder(Strict):
    """``explore.yaml``: which case facts a patient can change and which only a scan (or
    an examination) can; every other fact is history, which nobody can change."""

    patient_can_change: tuple[str, ...]
    scan_findings: tuple[str, ...]

    def kind(self, key: str) -> FactKind:
        """Who can change the case fact ``key``."""
        if key in self.patient_can_change:
            return "patient"
        return "scan" if key in self.scan_findings else "history"


class KnowledgeBase(Strict):
    meta: Meta
    seeds: dict[str, Seed]
    guidelines: dict[str, Guideline]
    stages: tuple[Stage, ...]
    intermediates: dict[str, Intermediate]
    rules: tuple[Rule, ...]
    evidence: dict[str, EvidenceNote]
    guideline_notes: tuple[GuidelineNote, ...]
    glossary: dict[str, str]
    questions: dict[str, Question]
    measures: dict[str, Measure]
    red_flags: dict[str, RedFlagEntry]
    invariants: dict[str, Invariant]
    handout: HandoutWords
    explore: ExploreOrder

    def red_flag_level(self, flags: list[str] | tuple[str, ...] | None) -> str | None:
        """The red-flag screen of a case: ``emergency``, ``urgent``, ``none`` or ``None``
        (never asked)."""
        if flags is None:
            return None
        levels = {self.red_flags[flag].level for flag in flags}
        for level in ("emergency", "urgent"):
            if level in levels:
                return level
        return "none"

    def red_flag_screen(self, flags: list[str] | tuple[str, ...] | None) -> str:
        """The red-flag screen as the engine and the pathway name it (``not_asked`` for never
        asked)."""
        return self.red_flag_level(flags) or "not_asked"

    def holds(self, condition: Condition, facts: Mapping[str, object]) -> bool:
        """Whether a condition on the case (a fact, a measure's band, the red-flag screen)
        holds for ``facts`` (case keys to values; a missing key is not stated)."""
        if condition.kind == "case":
            value = facts.get(condition.subject)
            return any(same_value(value, wanted) for wanted in condition.values)
        if condition.kind == "measure":
            measure = self.measures[condition.subject]
            band = measure.band(facts.get(measure.key))  # type: ignore[arg-type]
            return any(same_value(band, wanted) for wanted in condition.values)
        if condition.kind == "red_flags":
            screen = self.red_flag_screen(facts.get("red_flags"))  # type: ignore[arg-type]
            return any(screen in RED_FLAG_SCREENS[v] for v in condition.values)
        raise ValueError(f"{condition.kind} is not a condition on the case")

    def band_edges(self, key: str) -> list[int]:
        """The first and last value of every band some measure reads ``key`` in, sorted."""
        return sorted(
            {
                edge
                for measure in self.measures.values()
                if measure.key == key
                for band in measure.bands
                for edge in (band.low, band.high)
            }
        )

    def stage_of(self, treatment_id: str) -> StageId:
        for stage in self.stages:
            if any(t.id == treatment_id for t in stage.treatments):
                return stage.id
        raise KeyError(treatment_id)

    def treatment(self, treatment_id: str) -> Treatment:
        for stage in self.stages:
            for treatment in stage.treatments:
                if treatment.id == treatment_id:
                    return treatment
        raise KeyError(treatment_id)

    def treatment_ids(self) -> list[str]:
        """Every treatment id, stage by stage in the knowledge base's order."""
        return [t.id for stage in self.stages for t in stage.treatments]

    def not_a_treatment(self, value: str) -> str:
        """The one line saying ``value`` is no treatment id, with the closest id as a hint
        (or the list of ids when none is close)."""
        import difflib

        known = self.treatment_ids()
        close = difflib.get_close_matches(value, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f"; one of {', '.join(known)}"
        return f"option {value!r} is not a treatment id{hint}"

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)
