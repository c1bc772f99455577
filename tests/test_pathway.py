"""The pathway's shape (the contract) and the reading rules of knowledge/README.md."""

from __future__ import annotations

import json

from tests.helpers import SURGICAL_GATES, pathway_of

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
    assert len(document["case"]) == 20


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


def test_red_flag_puts_referral_first() -> None:
    pathway = pathway_of(red_flags=["cauda_equina"], **SURGICAL_GATES)
    assert pathway.current_stage == "referral"
    assert pathway.stages[0].id == "referral"
    assert pathway.stages[0].status == "current"
    assert pathway.option("urgent_specialist_referral").verdict == "recommended"
    assert all(stage.status == "upcoming" for stage in pathway.stages[1:])


def test_upcoming_recommendation_is_shown_as_consider() -> None:
    facts = dict(
        disc_degeneration=True,
        herniation=False,
        facet_arthritis=False,
        facet_hypertrophy=False,
        stenosis="none",
    )
    early = pathway_of(conservative_care="ongoing", **facts).option("disc_replacement")
    reached = pathway_of(**facts, **SURGICAL_GATES).option("disc_replacement")
    assert (early.verdict, early.verdict_when_reached) == ("consider", "recommended")
    assert early.rationale.startswith("Not reached yet")
    assert (reached.verdict, reached.verdict_when_reached) == ("recommended", "recommended")


def test_most_cautious_verdict_stands() -> None:
    # A big lamina removal makes disc replacement not advised even where the findings alone
    # would recommend it.
    pathway = pathway_of(
        disc_degeneration=True,
        herniation=False,
        facet_arthritis=False,
        facet_hypertrophy=False,
        stenosis="none",
        prior_discectomy=True,
        discectomy_outcome="failed",
        large_lamina_removal=True,
        **SURGICAL_GATES,
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
