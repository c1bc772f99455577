"""Explore's order (whatif/ranking.py): what a patient would ask first."""

from __future__ import annotations

from click.testing import CliRunner

from spinepath.case.loading import validate_case
from spinepath.case.model import CASE_KEYS
from spinepath.cli import main
from spinepath.kb.loading import knowledge_dir
from spinepath.kb.model import KnowledgeBase
from spinepath.kb.teaching import load_teaching_case
from spinepath.pathway.difference import Scenario
from spinepath.whatif.explore import explore
from spinepath.whatif.ranking import DIRECTIONS, KINDS, kind, rank


def case(name: str):
    return validate_case(load_teaching_case(knowledge_dir() / "cases" / f"{name}.yaml").case)


def test_fact_kinds_name_case_facts_once(kb: KnowledgeBase) -> None:
    named = [*kb.explore.patient_can_change, *kb.explore.scan_findings]
    assert set(named) <= set(CASE_KEYS) and len(set(named)) == len(named)
    assert kb.explore.kind("conservative_care") == "patient"
    assert kb.explore.kind("symptom_months") == "patient"
    assert kb.explore.kind("herniation") == "scan" and kb.explore.kind("age") == "history"


def test_grouped_by_direction_then_kind(kb: KnowledgeBase) -> None:
    """Case 19 stands at surgery: nothing moves it further, so the changes that move it
    away come first, the patient's own facts before scan findings, before history."""
    singles = explore(kb, case("19_surgical_fusion")).single_changes
    order = [(DIRECTIONS.index(s.direction), KINDS.index(s.kind)) for s in singles]
    assert order == sorted(order)
    assert singles[0].direction == "away_from_surgery" and singles[0].kind == "patient"
    assert {s.kind for s in singles} >= {"patient", "scan"}


def test_toward_surgery_first(kb: KnowledgeBase) -> None:
    singles = explore(kb, case("01_chronic_new_case")).single_changes
    assert singles[0].direction == "toward_surgery"
    assert singles[0].difference.stage_moves > 0


def test_rank_breaks_ties_by_size(kb: KnowledgeBase) -> None:
    def scenario(key: str, size: int, moves: int) -> Scenario:
        # Only what the order reads: the difference itself plays no part in it.
        way = {1: "toward_surgery", -1: "away_from_surgery", 0: "within_stage"}[moves]
        return Scenario.model_construct(
            set={key: 1}, size=size, direction=way, kind=kind(kb, {key: 1})
        )

    ranked = rank(
        [
            scenario("age", 30, 0),
            scenario("herniation", 5, 1),
            scenario("pain_score", 1, 1),
            scenario("pain_score", 9, -1),
            scenario("symptom_months", 4, 1),
        ]
    )
    assert [(s.set, s.size) for s in ranked] == [
        ({"symptom_months": 1}, 4),
        ({"pain_score": 1}, 1),
        ({"herniation": 1}, 5),
        ({"pain_score": 1}, 9),
        ({"age": 1}, 30),
    ]


def test_pairs_limit(tmp_path) -> None:
    import json

    file = tmp_path / "case.json"
    file.write_text(
        json.dumps(
            load_teaching_case(
                knowledge_dir() / "cases" / "24_uncovered_decompression_no_hypertrophy.yaml"
            ).case
        )
    )
    result = CliRunner().invoke(
        main, ["explore", str(file), "--pairs", "--limit", "3", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)["explore"]
    assert len(found["pairs"]) == 3 and found["pairs_found"] > 3
    first = found["pairs"][0]
    assert all(
        key in ("conservative_care", "daily_life", "non_invasive_therapy", "symptom_months")
        for key in first["set"]
    )
