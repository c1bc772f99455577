"""The evidence layer: every option next to where mainstream guidelines stand."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from spinepath.case.loading import validate_case
from spinepath.kb.model import (
    CaseEvidence,
    Condition,
    EvidenceNote,
    GuidelineCitation,
    Position,
    SeedCitation,
)
from spinepath.kb.teaching import load_teaching_cases
from spinepath.pathway.build import assess
from spinepath.render.text import render_pathway
from tests.helpers import KNOWLEDGE, edit, knowledge_problems

CASES = load_teaching_cases(KNOWLEDGE / "cases")


def test_every_treatment_has_an_evidence_note(kb) -> None:
    treatments = {t.id for stage in kb.stages for t in stage.treatments}
    assert set(kb.evidence) == treatments
    for note in kb.evidence.values():
        assert note.guideline_position.citations, note.option
        assert note.marker and note.guideline_position.text and note.seed_position.text


#: The seeds' evidence levels, lowest first (see the header of sources.yaml).
SEED_LEVELS = ("anecdotal", "opinion", "expert_opinion")


def test_seed_evidence_level_is_the_lowest_of_the_seeds_cited(kb) -> None:
    for note in kb.evidence.values():
        cited = {c.source for c in note.seed_position.citations}
        if not cited:
            assert note.seed_evidence_level == "none cited", note.option
            continue
        levels = [kb.seeds[source].evidence_level for source in cited]
        assert note.seed_evidence_level == min(levels, key=SEED_LEVELS.index), note.option


def test_seed_positions_quote_verbatim(kb) -> None:
    for note in kb.evidence.values():
        for citation in note.seed_position.citations:
            assert isinstance(citation, SeedCitation)
            assert kb.seeds[citation.source].text[citation.start : citation.end] == citation.quote


def test_every_guideline_citation_resolves_to_the_register(kb) -> None:
    citations = [c for note in kb.evidence.values() for c in note.guideline_position.citations]
    citations += [c for note in kb.guideline_notes for c in note.citations]
    citations += [c for rule in kb.rules for c in rule.citations]
    guideline_citations = [c for c in citations if isinstance(c, GuidelineCitation)]
    assert len(guideline_citations) > 30
    for citation in guideline_citations:
        entry = kb.guidelines[citation.source]
        assert entry.sections[citation.reference.section] == citation.reference.summary
        assert entry.title and entry.publisher


def test_guideline_register_names_the_core_guidelines(kb) -> None:
    assert {"nice-ng59", "nice-qs155", "acp-2017"} <= set(kb.guidelines)
    assert kb.guidelines["nice-ng59"].year == 2016
    assert "1.1.1" in kb.guidelines["nice-ng59"].sections


def test_guideline_notes_cover_the_steps_the_seeds_leave_out(kb) -> None:
    by_id = {note.id: note for note in kb.guideline_notes}
    assert by_id["combined_physical_psychological_programme"].stage == "non_invasive"
    assert by_id["radiofrequency_denervation_after_positive_mbb"].stage == "non_invasive"
    assert by_id["epidural_steroid_acute_severe_sciatica"].stage == "non_invasive"
    assert by_id["risk_stratification_at_entry"].stage == "conservative"


@pytest.mark.parametrize("teaching", CASES, ids=[c.file for c in CASES])
def test_json_carries_evidence_for_every_option(teaching) -> None:
    document = json.loads(assess(validate_case(teaching.case)).to_json())
    for stage in document["stages"]:
        for option in stage["options"]:
            evidence = option["evidence"]
            assert evidence["concordance"] in {
                "agrees",
                "partly_agrees",
                "diverges",
                "not_addressed",
            }
            assert evidence["guideline_position"]["citations"]
            assert evidence["marker"]
        for note in stage["guideline_notes"]:
            assert note["stage"] == stage["id"] and note["citations"]


@pytest.mark.parametrize("teaching", CASES, ids=[c.file for c in CASES])
def test_diverging_options_are_never_presented_as_settled(teaching, kb) -> None:
    pathway = assess(validate_case(teaching.case))
    text = render_pathway(pathway, kb)
    for stage in pathway.stages:
        for option in stage.options:
            header = re.search(rf"^  \* {re.escape(option.name)}: .*$", text, flags=re.MULTILINE)
            assert header, option.id
            positive = option.verdict in ("recommended", "consider")
            if option.evidence.concordance == "diverges" and positive:
                assert "guidelines diverge" in header.group(0), header.group(0)
            assert f"evidence: {option.evidence.marker}"[:40] in " ".join(text.split())
    glance = text.split("AT A GLANCE", 1)[1].split("\n\n", 1)[0]
    current = pathway.stage(pathway.current_stage)
    for option in current.options:
        if option.evidence.concordance == "diverges" and option.verdict in (
            "recommended",
            "consider",
        ):
            assert f"{option.name} (the seeds' view; guidelines diverge)" in " ".join(
                glance.split()
            )


def test_text_names_the_knowledge_version_and_review(kb) -> None:
    pathway = assess(validate_case(CASES[0].case))
    text = render_pathway(pathway, kb)
    assert f"knowledge base {kb.meta.version} (last reviewed {kb.meta.last_review})" in text


# --- concordance per case ---------------------------------------------------------------


def facts(**given: object) -> dict[str, object]:
    """A whole case's facts as the pathway has them (``onset`` defaults to chronic)."""
    given.setdefault("onset", "chronic")
    return validate_case(given).model_dump()


def test_discectomy_depends_on_nerve_compression(kb) -> None:
    note = kb.evidence["discectomy"]
    without = note.for_case(facts(herniation=True, nerve_compression=False))
    assert without.concordance == "diverges"
    assert without.matched is note.by_case[0]
    assert "guidelines diverge" in without.marker and "sciatica" in without.marker
    unknown = note.for_case(facts(herniation=True))
    assert unknown.concordance == "partly_agrees"
    assert unknown.matched is note.by_case[1]
    assert unknown.marker.startswith("depends on nerve compression")
    sciatica = note.for_case(facts(herniation=True, nerve_compression=True))
    assert sciatica.matched is None
    assert (sciatica.concordance, sciatica.marker) == (note.concordance, note.marker)
    assert sciatica.guideline_position == note.guideline_position


def test_microdiscectomy_without_nerve_compression_diverges(kb) -> None:
    view = kb.evidence["microdiscectomy"].for_case(facts(nerve_compression=False))
    assert view.concordance == "diverges"


@pytest.mark.parametrize(
    ("given", "concordance", "marker_start"),
    [
        ({"onset": "chronic"}, "agrees", "agrees"),
        ({"onset": "chronic", "nerve_compression": True}, "agrees", "agrees"),
        ({"onset": "acute", "nerve_compression": False}, "diverges", "guidelines diverge"),
        ({"onset": "acute"}, "partly_agrees", "depends on sciatica"),
        ({"onset": "acute", "nerve_compression": True}, "partly_agrees", "partly"),
    ],
)
def test_cortisone_depends_on_onset_and_sciatica(kb, given, concordance, marker_start) -> None:
    view = kb.evidence["cortisone_injection"].for_case(facts(**given))
    assert view.matched is not None
    assert view.concordance == concordance
    assert view.marker.startswith(marker_start)
    assert "nice-ng59" in {c.source for c in view.guideline_position.citations}


@pytest.mark.parametrize("option", ["laminotomy", "facetectomy_with_fusion"])
def test_decompression_depends_on_leg_symptoms(kb, option) -> None:
    note = kb.evidence[option]
    for nerve_compression in (False, "unknown"):
        view = note.for_case(
            facts(stenosis="laminotomy_relievable", nerve_compression=nerve_compression)
        )
        assert view.marker.startswith("depends on leg symptoms"), nerve_compression
    assert note.for_case(facts(nerve_compression=True)).matched is None


@pytest.mark.parametrize("teaching", CASES, ids=[c.file for c in CASES])
def test_every_note_gives_a_view_for_every_teaching_case(kb, teaching) -> None:
    case = validate_case(teaching.case).model_dump()
    for note in kb.evidence.values():
        view = note.for_case(case)
        assert view.marker and view.guideline_position.citations
        assert view.matched is None or view.matched in note.by_case


def _note(*entries: CaseEvidence) -> EvidenceNote:
    position = Position(text="default", citations=())
    return EvidenceNote(
        option="x",
        concordance="agrees",
        seed_evidence_level="anecdotal",
        seed_position=position,
        guideline_position=position,
        marker="default",
        by_case=entries,
    )


def _entry(marker: str, **when: tuple[object, ...]) -> CaseEvidence:
    return CaseEvidence(
        when=tuple(Condition(kind="case", subject=k, values=v) for k, v in when.items()),
        concordance="diverges",
        marker=marker,
        guideline_position=Position(text=marker, citations=()),
    )


def test_the_first_matching_entry_wins() -> None:
    first = _entry("first", onset=("acute",))
    second = _entry("second", onset=("acute", "chronic"))
    note = _note(first, second)
    assert note.for_case({"onset": "acute"}).matched is first
    assert note.for_case({"onset": "chronic"}).matched is second
    assert note.for_case({"onset": "chronic"}).marker == "second"


def test_every_condition_of_an_entry_must_hold() -> None:
    note = _note(_entry("both", onset=("acute",), nerve_compression=(False,)))
    assert note.for_case({"onset": "acute", "nerve_compression": False}).marker == "both"
    assert note.for_case({"onset": "acute", "nerve_compression": True}).matched is None


def test_matching_is_type_strict() -> None:
    note = _note(_entry("true", prior_discectomy=(True,)), _entry("false", herniation=(False,)))
    assert note.for_case({"prior_discectomy": 1}).matched is None
    assert note.for_case({"herniation": 0}).matched is None
    assert note.for_case({"prior_discectomy": True}).marker == "true"


def test_a_missing_fact_counts_as_not_stated() -> None:
    note = _note(_entry("not stated", daily_life=(None,)))
    assert note.for_case({}).marker == "not stated"
    assert note.for_case({"onset": "acute"}).marker == "not stated"
    assert note.for_case({"daily_life": "limited"}).matched is None


# --- a bad `when` in by_case fails loading ----------------------------------------------


def edit_evidence(draft: Path, old: str, new: str) -> None:
    edit(draft / "evidence.yaml", old, new)


def test_by_case_refuses_an_unknown_fact(draft: Path) -> None:
    # The first `{nerve_compression: false}` in the file is discectomy's.
    edit_evidence(draft, "when: {nerve_compression: false}", "when: {nerve_compresion: false}")
    assert knowledge_problems(draft) == [
        "evidence.yaml, discectomy, by_case 1: when.nerve_compresion: "
        "neither a case fact nor an intermediate"
    ]


def test_by_case_refuses_values_outside_the_vocabulary_one_line_each(draft: Path) -> None:
    edit_evidence(
        draft,
        "when: {onset: acute, nerve_compression: false}",
        "when: {onset: subacute, nerve_compression: 0}",
    )
    problems = knowledge_problems(draft)
    assert len(problems) == 2
    assert all(p.startswith("evidence.yaml, cortisone_injection, by_case 2: ") for p in problems)
    assert "when.onset: ['subacute']" in problems[0]
    assert "when.nerve_compression: [0]" in problems[1]


def test_by_case_tests_case_facts_only(draft: Path) -> None:
    edit_evidence(draft, "when: {onset: chronic}", "when: {conservative_care_failed: true}")
    assert knowledge_problems(draft) == [
        "evidence.yaml, cortisone_injection, by_case 1: when.conservative_care_failed: "
        "by_case tests case facts only"
    ]


def test_by_case_needs_a_guideline_citation(draft: Path) -> None:
    edit_evidence(
        draft,
        "            - {source: nice-ng59, section: "
        '"Surgical interventions: spinal decompression"}\n'
        '            - {source: aomrc-ebi-discectomy, section: "Recommendation"}\n'
        '            - {source: chou-2009-surgery-review, section: "Conclusions"}\n',
        '            - {source: "000", quote: "a discectomy is best."}\n',
    )
    assert knowledge_problems(draft) == [
        "evidence.yaml, discectomy, by_case 1: the guideline position cites no guideline"
    ]


# --- guidelines that disagree, and seed advice the pathway does not follow --------------


def _positions(kb) -> list[tuple[str, tuple]]:
    """Every guideline text of the evidence layer, with its citations."""
    found = [
        (n.guideline_position.text, n.guideline_position.citations) for n in kb.evidence.values()
    ]
    found += [
        (entry.guideline_position.text, entry.guideline_position.citations)
        for note in kb.evidence.values()
        for entry in note.by_case
    ]
    found += [(note.text, note.citations) for note in kb.guideline_notes]
    return found


def test_radiofrequency_denervation_is_shown_as_a_conflict_between_guidelines(kb) -> None:
    note = {note.id: note for note in kb.guideline_notes}[
        "radiofrequency_denervation_after_positive_mbb"
    ]
    assert {"nice-ng59", "bmj-2025-interventional-procedures"} <= {c.source for c in note.citations}
    assert "conflict" in note.text
    bmj = kb.guidelines["bmj-2025-interventional-procedures"]
    assert (bmj.year, bmj.journal) == (2025, "BMJ 2025;388:e079970")


def test_acupuncture_is_shown_as_a_disagreement_wherever_it_appears(kb) -> None:
    mentions = [(text, cited) for text, cited in _positions(kb) if "acupuncture" in text.lower()]
    assert mentions
    for text, cited in mentions:
        assert "disagree" in text and "ACP 2017" in text and "NICE" in text
        assert {"acp-2017", "nice-ng59"} <= {c.source for c in cited}


def test_ultrasound_is_cited_to_the_treatments_not_offered(kb) -> None:
    mentions = [(text, cited) for text, cited in _positions(kb) if "ultrasound" in text.lower()]
    assert mentions
    for _, cited in mentions:
        sections = {c.reference.section for c in cited if isinstance(c, GuidelineCitation)}
        assert "Non-invasive treatments: treatments not offered" in sections
    marker = kb.evidence["physical_therapy"].marker
    assert "1.2.7" not in marker.split("ultrasound", 1)[1]


def test_seed_traction_advice_is_shown_as_not_followed(kb) -> None:
    note = {note.id: note for note in kb.guideline_notes}["traction_advice_not_followed"]
    assert note.stage == "conservative"
    assert "does not follow" in note.text
    (seed,) = [c for c in note.citations if isinstance(c, SeedCitation)]
    assert seed.source == "004" and "spinal traction decompression therapy" in seed.quote
    sections = {c.reference.section for c in note.citations if isinstance(c, GuidelineCitation)}
    assert sections == {"Non-invasive treatments: treatments not offered"}
    assert "traction" in kb.guidelines["nice-ng59"].sections[next(iter(sections))]
