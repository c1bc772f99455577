"""HOW, WHY NOT and the walkthrough, on every teaching case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from spinepath.case.loading import validate_case
from spinepath.cli import main
from spinepath.explain.how import how
from spinepath.explain.walkthrough import walkthrough
from spinepath.explain.why_not import why_not
from spinepath.kb.teaching import load_teaching_cases
from spinepath.pathway.build import assess
from spinepath.pathway.explanation import HowNode
from spinepath.render.words import actual_words, conclusion_words, condition_words, why_not_notes
from tests.contract import TREATMENTS
from tests.helpers import DISC_REPLACEMENT_FINDINGS, KNOWLEDGE, SURGICAL_GATES, pathway_of

CASES = load_teaching_cases(KNOWLEDGE / "cases")
#: Every option but the emergency assessment (which only an emergency red flag concludes).
OPTIONS = [o for ids in TREATMENTS.values() for o in ids if o != "emergency_assessment"]


def leaves(node: HowNode) -> list[str]:
    """The case facts a HOW tree ends in."""
    found = []
    for condition in node.conditions:
        if condition.fact is not None:
            found.append(condition.fact)
        for child in condition.established_by or []:
            found += leaves(child)
    return found


@pytest.mark.parametrize("teaching", CASES, ids=[c.file for c in CASES])
def test_how_reaches_back_to_case_facts_for_every_option(teaching, kb) -> None:
    pathway = assess(validate_case(teaching.case))
    for stage in pathway.stages:
        for option in stage.options:
            explanation = how(kb, pathway, option.id)
            assert explanation.decided_by.rule == option.rule
            assert explanation.verdict == option.verdict
            assert explanation.contested == option.contested
            rule = kb.rule(option.rule)
            # Every case fact the deciding rule reads appears, with this case's value.
            assert set(rule.reads()) <= set(leaves(explanation.decided_by))
            assert explanation.decided_by.citations


@pytest.mark.parametrize("teaching", CASES, ids=[c.file for c in CASES])
def test_why_not_agrees_with_the_trace_for_every_option(teaching, kb) -> None:
    pathway = assess(validate_case(teaching.case))
    fired = {step.rule for step in pathway.trace}
    for option_id in OPTIONS:
        explanation = why_not(kb, pathway, option_id)
        for rule in explanation.rules:
            # A rule fired exactly when none of its conditions failed.
            assert rule.fired == (rule.rule in fired)
            assert rule.fired == (rule.failed == []), (option_id, rule.rule)
        option = pathway.option(option_id)
        assert explanation.verdict == (option.verdict if option else "absent")


def test_why_not_names_the_failed_condition_and_what_would_satisfy_it(kb) -> None:
    pathway = pathway_of(
        **DISC_REPLACEMENT_FINDINGS,
        **SURGICAL_GATES,
    )
    explanation = why_not(kb, pathway, "fusion")
    assert explanation.verdict == "absent"
    fusion = next(r for r in explanation.rules if r.rule == "surgical.fusion")
    [failed] = fusion.failed
    # Values, not words: the renderers word them.
    assert (failed.condition.subject, failed.holds) == ("facet_arthritis", False)
    assert (failed.actual, failed.needed) == ({"value": False}, [True])
    assert condition_words(failed.condition) == "facet arthritis: yes"
    assert actual_words(failed) == "no"


def test_why_not_explains_an_upcoming_downgrade(kb) -> None:
    pathway = pathway_of(
        **DISC_REPLACEMENT_FINDINGS,
        prior_discectomy=False,
        prior_fusion=False,
        red_flags=[],
        conservative_care="ongoing",
    )
    explanation = why_not(kb, pathway, "disc_replacement")
    assert explanation.verdict == "consider"
    assert explanation.downgraded
    assert any(
        "shown as consider until the case reaches it" in n for n in why_not_notes(explanation)
    )


def test_walkthrough_follows_the_trace(kb) -> None:
    pathway = pathway_of(herniation=True, disc_degeneration=False, **SURGICAL_GATES)
    steps = walkthrough(kb, pathway)
    assert [s.rule for s in steps] == [t.rule for t in pathway.trace]
    discectomy = next(s for s in steps if s.rule == "surgical.discectomy")
    assert discectomy.matched == {"herniation": True, "disc_degeneration": False}
    assert discectomy.concluded == [{"option": "discectomy", "verdict": "recommended"}]
    assert [conclusion_words(kb, c) for c in discectomy.concluded] == ["Discectomy: recommended"]
    assert discectomy.citations[0].quote.startswith("For disc herniation without")


@pytest.fixture
def case_file(tmp_path: Path) -> Path:
    teaching = next(c for c in CASES if c.file.startswith("19_"))
    path = tmp_path / "case.json"
    path.write_text(json.dumps(teaching.case))
    return path


def test_cli_walkthrough_prints_every_step(case_file: Path) -> None:
    result = CliRunner().invoke(main, ["walkthrough", str(case_file)])
    assert result.exit_code == 0
    total = result.stdout.count("STEP ")
    assert total > 10
    assert f"STEP {total} OF {total}" in result.stdout
    assert result.stdout.count("NOT A DIAGNOSIS") == 2


def test_cli_walkthrough_interactive_without_a_terminal_prints_all(case_file: Path) -> None:
    plain = CliRunner().invoke(main, ["walkthrough", str(case_file)])
    interactive = CliRunner().invoke(main, ["walkthrough", str(case_file), "--interactive"])
    assert interactive.stdout == plain.stdout


def test_cli_explain_how_and_why_not(case_file: Path) -> None:
    runner = CliRunner()
    how_text = runner.invoke(main, ["explain", str(case_file), "--how", "fusion"])
    assert how_text.exit_code == 0
    assert "HOW: Spinal fusion is RECOMMENDED" in how_text.stdout
    assert "dic degeneration and facet arthritis" in how_text.stdout
    why = runner.invoke(
        main, ["explain", str(case_file), "--why-not", "disc_replacement", "--format", "json"]
    )
    document = json.loads(why.stdout)
    assert document["why_not"]["verdict"] == "not_advised"


def test_cli_explain_rejects_bad_requests(case_file: Path) -> None:
    runner = CliRunner()
    typo = runner.invoke(main, ["explain", str(case_file), "--how", "fusio"])
    assert typo.exit_code == 2
    assert (
        typo.stderr
        == "spinepath: error: option 'fusio' is not a treatment id (did you mean 'fusion'?)\n"
    )
    neither = runner.invoke(main, ["explain", str(case_file)])
    assert neither.exit_code == 2
    absent = runner.invoke(main, ["explain", str(case_file), "--how", "laminotomy"])
    assert absent.exit_code == 2
    assert "--why-not laminotomy" in absent.stderr


def test_cli_explain_json_holds_values_not_words(case_file: Path) -> None:
    """JSON says ``true`` and ids; only the text output words them ("yes")."""
    runner = CliRunner()
    how_json = runner.invoke(
        main, ["explain", str(case_file), "--how", "fusion", "--format", "json"]
    )
    conditions = json.loads(how_json.stdout)["how"]["decided_by"]["conditions"]
    facts = {c["fact"]: c["value"] for c in conditions if c["fact"]}
    assert facts["facet_arthritis"] is True
    assert {
        "kind": "case",
        "subject": "facet_arthritis",
        "values": [True],
        "key": "facet_arthritis",
    } in [c["condition"] for c in conditions]
    why = runner.invoke(
        main, ["explain", str(case_file), "--why-not", "disc_replacement", "--format", "json"]
    )
    document = json.loads(why.stdout)["why_not"]
    assert document["stage_status"] in ("tried", "current", "upcoming", "not_in_pathway")
    assert isinstance(document["downgraded"], bool)
    for rule in document["rules"]:
        for check in rule["conditions"]:
            assert isinstance(check["holds"], bool) and isinstance(check["needed"], list)
    walk = runner.invoke(main, ["walkthrough", str(case_file), "--format", "json"])
    matched = [s["matched"] for s in json.loads(walk.stdout)["steps"]]
    assert any(m.get("facet_arthritis") is True for m in matched)
    # No value is worded: a yes-or-no fact is true or false, never the string "yes".
    assert '"yes"' not in how_json.stdout + why.stdout + walk.stdout
