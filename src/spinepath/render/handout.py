"""The patient handout: at most two printed pages on where a case stands, in plain words.

``spinepath report CASE --handout`` writes it (HTML, or PDF with ``--pdf``). It reads the
pathway as every other output does (the headline, the alerts, the options of the current
stage with their cautions and contested flag, the facts that would decide) and words it
for a patient: explanations come from ``knowledge/glossary.yaml``, the handout's own
sentences from ``knowledge/handout.yaml`` (checked and loaded with the knowledge base:
``kb.handout``), and every claim stands beside the source's own
words with a short numbered note. No rule ids and no character offsets: those are for the
full report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from spinepath.kb.model import (
    VERDICT_ORDER,
    GuidelineCitation,
    HandoutWords,
    KnowledgeBase,
    SeedCitation,
)
from spinepath.pathway.model import Option, Pathway

Citation = SeedCitation | GuidelineCitation


@dataclass
class Notes:
    """Short numbered notes: one per source or guideline cited, in order of first use."""

    kb: KnowledgeBase
    numbers: dict[str, int] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def number(self, citation: Citation) -> int:
        """The note number of the document ``citation`` comes from (one note a document)."""
        if isinstance(citation, SeedCitation):
            key = f"seed {citation.source}"
            seed = self.kb.seeds[citation.source]
            line = f"Source {citation.source}: {seed.title}."
        else:
            ref = citation.reference
            key = f"guideline {ref.publisher} {ref.title}"
            year = f" ({ref.year})" if ref.year else ""
            line = f"{ref.publisher}: {ref.title}{year}."
        if key not in self.numbers:
            self.numbers[key] = len(self.numbers) + 1
            self.lines.append(line)
        return self.numbers[key]


@dataclass(frozen=True)
class Quote:
    text: str
    note: int


@dataclass(frozen=True)
class OptionView:
    """One option of the current stage, every option shown in the same detail."""

    name: str
    verdict: str
    says: str
    explained: list[tuple[str, str]]
    quote: Quote | None
    guidelines: str
    guideline_note: int | None
    contested: bool
    warnings: list[Quote]


def _first_seed(citations: Any) -> SeedCitation | None:
    return next((c for c in citations if isinstance(c, SeedCitation)), None)


def _quote(citations: Any, notes: Notes) -> Quote | None:
    seed = _first_seed(citations)
    return Quote(seed.quote, notes.number(seed)) if seed else None


def _option_view(
    option: Option, pathway: Pathway, kb: KnowledgeBase, words: HandoutWords, notes: Notes
) -> OptionView:
    guideline = next(iter(option.evidence.guideline_position.citations), None)
    # A caution that undercuts the option is shown in the sources' own words, beside it.
    warnings = [
        Quote(c.quote, notes.number(c))
        for caution in pathway.cautions
        if caution.id in option.cautions
        for c in caution.citations
        if isinstance(c, SeedCitation)
    ]
    quote = _quote(option.citations, notes)
    return OptionView(
        name=option.name,
        verdict=option.verdict,
        says=words.verdicts[option.verdict],
        explained=[(term, kb.glossary[term]) for term in words.terms.get(option.id, ())],
        quote=quote,
        guidelines=words.guidelines[option.evidence.concordance],
        guideline_note=notes.number(guideline) if guideline else None,
        contested=option.contested,
        warnings=warnings,
    )


@cache
def _environment() -> Any:
    from spinepath.render.view import environment

    return environment(autoescape=True)


def render_handout(
    pathway: Pathway,
    kb: KnowledgeBase,
    *,
    paper: str = "a4",
    date: str | None = None,
    patient: str | None = None,
    clinician: str | None = None,
) -> str:
    """The handout as one self-contained HTML document (no scripts, nothing fetched).

    ``patient`` and ``clinician`` are printed as given, escaped like the case label.
    """
    words = kb.handout
    notes = Notes(kb)
    alerts = [
        (alert, _quote(alert.citations, notes))
        for alert in pathway.alerts
        if alert.level in ("emergency", "urgent")
    ]
    current = pathway.stage(pathway.current_stage)
    assert current is not None  # the pathway always has its current stage
    # Offered options first, as in every output's summary; each in the same detail.
    ordered = sorted(current.options, key=lambda o: VERDICT_ORDER.index(o.verdict))
    options = [_option_view(o, pathway, kb, words, notes) for o in ordered]
    questions = [
        kb.questions[m.fact].question for m in pathway.missing_facts if m.fact in kb.questions
    ]
    stage_terms = [(t, kb.glossary[t]) for t in words.terms.get(current.id, ())]
    return (
        _environment()
        .get_template("handout.html.j2")
        .render(
            p=pathway,
            label=pathway.case.get("label"),
            headline=pathway.headline,
            alerts=alerts,
            current=current,
            stage_terms=stage_terms,
            stages=[(s.name, words.statuses[s.status], s.status) for s in pathway.stages],
            options=options,
            deciding=questions,
            ask=words.questions,
            contested_words=words.contested,
            notes=notes.lines,
            paper="A4" if paper == "a4" else "letter",
            date=date,
            patient=patient,
            clinician=clinician,
        )
    )
