"""The pathway's shape (the contract) and the reading rules of knowledge/README.md."""

from __future__ import annotations

import json

from tests.helpers import DISC_REPLACEMENT_FINDINGS, SURGICAL_GATES, pathway_of

CONTRACT_KEYS = {
    "spinepath_version",
    "knowledge_version",
    "case",
    "current_stage",
    "stages",
    "cautions",
    "missing_facts",
    "trace",
}


def test_json_has_the_contract_keys_sorted() -> None:
    text = pathway_of().to_json()
    document = json.loads(text)
    assert set(document) >= CONTRACT_KEYS
    assert list(document) == sorted(document)
    assert "disclaimer" in document


def test_case_in_output_has_every_key_with_defaults() -> None:
    document = json.loads(pathway_of(onset="acute").to_json())
    assert document["case"]["onset"] == "acute"
    assert document["case"]["herniation"] == "unknown"
    assert len(document["case"]) == 21
    assert document["case"]["red_flags"] is None
    assert document["case"]["prior_discectomy"] == "unknown"


def test_every_option_and_caution_is_cited_and_traced() -> None:
    pathway = pathway_of(disc_degeneration=True, facet_arthritis=True, **SURGICAL_GATES)
    fired = {step.rule for step in pathway.trace}
    for stage in pathway.stages:
        for option in stage.options:
            assert option.citations and option.rule in fired
    for caution in pathway.cautions:
        assert caution.citations and caution.rule in fired


def test_new_case_starts_at_conservative_care() -> None:
    pathway = pathway_of(conservative_care="not_started")
    assert pathway.current_stage == "conservative"
    assert [(s.id, s.status) for s in pathway.stages] == [
        ("conservative", "current"),
        ("non_invasive", "upcoming"),
        ("surgical", "upcoming"),
    ]


def test_emergency_red_flag_heads_the_pathway_as_an_emergency() -> None:
    pathway = pathway_of(**{**SURGICAL_GATES, "red_flags": ["cauda_equina", "cancer_history"]})
    assert pathway.current_stage == "referral"
    assert pathway.stages[0].id == "referral"
    assert pathway.stages[0].status == "current"
    assert pathway.headline == "Emergency: seek immediate assessment"
    assert [a.level for a in pathway.alerts] == ["emergency"]
    assert pathway.option("emergency_assessment").verdict == "recommended"
    assert pathway.option("urgent_specialist_referral") is None
    assert all(stage.status == "after_specialist_assessment" for stage in pathway.stages[1:])
    later = [o for s in pathway.stages[1:] for o in s.options]
    assert later and all(o.verdict != "recommended" for o in later)


def test_urgent_red_flag_is_not_an_emergency() -> None:
    pathway = pathway_of(**{**SURGICAL_GATES, "red_flags": ["cancer_history"]})
    assert pathway.headline == "Urgent: see a specialist before any treatment"
    assert pathway.option("urgent_specialist_referral").verdict == "recommended"
    assert pathway.option("emergency_assessment") is None


def test_red_flags_never_asked_put_the_screen_first_and_hold_every_verdict() -> None:
    facts = dict(
        **DISC_REPLACEMENT_FINDINGS,
    )
    gates = {k: v for k, v in SURGICAL_GATES.items() if k != "red_flags"}
    pathway = pathway_of(**facts, **gates)
    assert pathway.current_stage == "surgical"
    assert pathway.red_flag_screen == "not_asked"
    assert pathway.alerts[0].id == "red_flag_screen_first"
    assert pathway.headline.startswith("First: check for red flags")
    assert "red_flags" in [m.fact for m in pathway.missing_facts]
    options = [o for s in pathway.stages for o in s.options]
    assert all(o.verdict != "recommended" for o in options)
    assert pathway.option("disc_replacement").capped_by == ["screening.red_flags_not_asked"]
    screened = pathway_of(**facts, **SURGICAL_GATES)
    assert screened.alerts == [] and screened.red_flag_screen == "none"
    assert screened.option("disc_replacement").verdict == "recommended"


def test_upcoming_recommendation_is_shown_as_consider() -> None:
    facts = dict(
        **DISC_REPLACEMENT_FINDINGS,
    )
    early = pathway_of(
        conservative_care="ongoing",
        red_flags=[],
        prior_fusion=False,
        prior_discectomy=False,
        **facts,
    ).option("disc_replacement")
    reached = pathway_of(**facts, **SURGICAL_GATES).option("disc_replacement")
    assert (early.verdict, early.verdict_when_reached) == ("consider", "recommended")
    assert early.rationale.startswith("Not reached yet")
    assert (reached.verdict, reached.verdict_when_reached) == ("recommended", "recommended")


def test_most_cautious_verdict_stands() -> None:
    # A big lamina removal makes disc replacement not advised even where the findings alone
    # would recommend it.
    pathway = pathway_of(
        **DISC_REPLACEMENT_FINDINGS,
        discectomy_outcome="failed",
        large_lamina_removal=True,
        **{**SURGICAL_GATES, "prior_discectomy": True},
    )
    option = pathway.option("disc_replacement")
    assert option.verdict == "not_advised"
    assert option.rule == "surgical.disc_replacement_big_lamina"


def test_unknown_fact_lowers_and_is_listed() -> None:
    pathway = pathway_of(
        disc_degeneration=True,
        herniation=False,
        facet_arthritis="unknown",
        facet_hypertrophy=False,
        stenosis="none",
        **SURGICAL_GATES,
    )
    assert pathway.option("disc_replacement").verdict == "consider"
    assert {m.fact for m in pathway.missing_facts} >= {"facet_arthritis"}
    assert "facet_hypertrophy" not in {m.fact for m in pathway.missing_facts}


def test_cortisone_follows_onset() -> None:
    assert pathway_of(onset="acute").option("cortisone_injection").verdict == "consider"
    assert pathway_of(onset="chronic").option("cortisone_injection").verdict == "not_advised"


def test_surgery_withheld_while_life_is_livable() -> None:
    gates = dict(SURGICAL_GATES, daily_life="limited")
    pathway = pathway_of(herniation=True, disc_degeneration=False, **gates)
    assert pathway.current_stage == "non_invasive"
    assert pathway.option("discectomy").verdict == "consider"
    assert "surgery_not_indicated_yet" in {c.id for c in pathway.cautions}


def test_uncovered_surgical_findings_are_said() -> None:
    pathway = pathway_of(
        disc_degeneration=False,
        herniation=False,
        facet_arthritis=False,
        facet_hypertrophy=False,
        stenosis="none",
        muscle_imbalance=False,
        **SURGICAL_GATES,
    )
    assert pathway.stage("surgical").options == []
    assert "uncovered_no_surgical_option" in {c.id for c in pathway.cautions}
    assert pathway.missing_facts == []


def test_trace_records_matched_facts_and_conclusions() -> None:
    pathway = pathway_of(herniation=True, disc_degeneration=False, **SURGICAL_GATES)
    step = next(s for s in pathway.trace if s.rule == "surgical.discectomy")
    assert step.matched == {"herniation": True, "disc_degeneration": False}
    assert step.concluded == [{"option": "discectomy", "verdict": "recommended"}]


def test_disclaimer_in_every_output() -> None:
    assert "not a diagnosis" in pathway_of().disclaimer.lower()
