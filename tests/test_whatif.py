"""What-if and explore: differences, their causes, bad --set values, and isolation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from spinepath.case.loading import validate_case
from spinepath.cli import main
from spinepath.errors import CaseError
from spinepath.kb.teaching import load_teaching_cases
from spinepath.pathway.build import assess
from spinepath.pathway.difference import Change
from spinepath.whatif.compare import compare
from spinepath.whatif.explore import explore
from spinepath.whatif.scenario import apply_changes, parse_settings
from tests.helpers import KNOWLEDGE

CASES = {c.file[:2]: c for c in load_teaching_cases(KNOWLEDGE / "cases")}


def case_of(number: str):
    return validate_case(CASES[number].case)


def test_healthy_facets_turn_fusion_into_disc_replacement(kb) -> None:
    case = case_of("19")  # degenerated disc with facet arthritis, at surgery
    after = apply_changes(case, {"facet_arthritis": False})
    difference = compare(assess(case, kb), assess(after, kb))
    changes = {o.option: (o.before, o.after, o.rule) for o in difference.options}
    assert changes["fusion"] == ("recommended", "absent", "surgical.fusion")
    assert changes["disc_replacement"] == (
        "not_advised",
        "recommended",
        "surgical.disc_replacement",
    )
    assert difference.changed_facts == {"facet_arthritis": Change(before=True, after=False)}
    assert difference.current_stage == Change(before="surgical", after="surgical")


def test_helped_injections_move_the_stage_back(kb) -> None:
    case = case_of("19")
    after = apply_changes(case, {"non_invasive_therapy": "helped"})
    difference = compare(assess(case, kb), assess(after, kb))
    assert difference.current_stage == Change(before="surgical", after="non_invasive")
    assert difference.stage_moves == -1
    assert "consult_experienced_surgeons" in {c.id for c in difference.cautions_removed}


def test_null_makes_a_fact_not_stated(kb) -> None:
    case = case_of("19")
    after = apply_changes(case, parse_settings(["daily_life=null"]))
    assert after.daily_life is None
    difference = compare(assess(case, kb), assess(after, kb))
    assert [m.fact for m in difference.missing_facts_added] == ["daily_life"]


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            "facet_arthrits=true",
            "--set: facet_arthrits: unknown key (did you mean 'facet_arthritis'?)",
        ),
        (
            "stenosis=mild",
            "--set: stenosis: must be one of none, laminotomy_relievable, "
            "needs_decompression, unknown (got 'mild')",
        ),
        ("age=200", "--set: age: must be a whole number from 12 to 120 (got 200)"),
        (
            "discectomy_outcome=failed",
            "--set: discectomy_outcome: given ('failed') but prior_discectomy is not true",
        ),
        ("herniation", "--set 'herniation': expected KEY=VALUE"),
    ],
)
def test_bad_settings_get_case_file_errors(setting: str, message: str) -> None:
    with pytest.raises(CaseError) as raised:
        apply_changes(case_of("19"), parse_settings([setting]))
    assert raised.value.problems == [message]


def test_scenarios_do_not_leak_into_each_other(kb) -> None:
    # The same scenarios in two orders give the same pathways, byte for byte.
    cases = [case_of(n) for n in ("19", "22", "05", "36", "11", "24")]
    forward = [assess(c, kb).to_json() for c in cases]
    backward = [assess(c, kb).to_json() for c in reversed(cases)]
    assert forward == list(reversed(backward))


def test_explore_finds_the_facet_change(kb) -> None:
    exploration = explore(kb, case_of("19"))
    settings = [s.set for s in exploration.single_changes]
    assert {"facet_arthritis": False} in settings
    # Ranked: largest change first.
    sizes = [s.size for s in exploration.single_changes]
    assert sizes == sorted(sizes, reverse=True)
    # Every listed change moves the stage or changes a recommendation.
    for scenario in exploration.single_changes:
        d = scenario.difference
        assert d.stage_moves or any("recommended" in (o.before, o.after) for o in d.options)


def test_explore_is_independent_of_order(kb) -> None:
    first = explore(kb, case_of("11")).model_dump_json()
    explore(kb, case_of("19"))
    again = explore(kb, case_of("11")).model_dump_json()
    assert first == again


@pytest.fixture
def case_file(tmp_path: Path) -> Path:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(CASES["19"].case))
    return path


def test_cli_what_if_text_and_json(case_file: Path) -> None:
    runner = CliRunner()
    text = runner.invoke(main, ["what-if", str(case_file), "--set", "facet_arthritis=false"])
    assert text.exit_code == 0
    assert "facet arthritis: yes -> no" in text.stdout
    assert "* Disc replacement: not advised -> recommended" in text.stdout
    as_json = runner.invoke(
        main, ["what-if", str(case_file), "--set", "facet_arthritis=false", "--format", "json"]
    )
    assert json.loads(as_json.stdout)["what_if"]["current_stage"]["after"] == "surgical"


def test_cli_what_if_bad_set(case_file: Path) -> None:
    result = CliRunner().invoke(main, ["what-if", str(case_file), "--set", "onset=sudden"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "spinepath: error: --set: onset: must be one of acute, chronic, acute_on_chronic "
        "(got 'sudden')\n"
    )


def test_cli_explore(case_file: Path) -> None:
    result = CliRunner().invoke(main, ["explore", str(case_file)])
    assert result.exit_code == 0
    assert "If facet arthritis were no:" in result.stdout


def test_cli_what_if_html_escapes_and_cites(tmp_path: Path) -> None:
    data = dict(CASES["19"].case, label="<script>alert(1)</script>")
    path = tmp_path / "case.json"
    path.write_text(json.dumps(data))
    result = CliRunner().invoke(
        main, ["what-if", str(path), "--set", "facet_arthritis=false", "--format", "html"]
    )
    assert result.exit_code == 0
    page = result.stdout
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Not a diagnosis." in page
    # Every citation link has its reference.
    for number in set(re.findall(r'href="#ref-(\d+)"', page)):
        assert f'id="ref-{number}"' in page
    assert "disc replacement is your best option" in page


def test_cli_explore_html(case_file: Path) -> None:
    result = CliRunner().invoke(main, ["explore", str(case_file), "--format", "html"])
    assert result.exit_code == 0
    assert "If facet arthritis were no" in result.stdout


def test_report_can_carry_the_exploration(case_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    result = CliRunner().invoke(
        main, ["report", str(case_file), "--explore", "-o", str(target), "--date", "2026-11-21"]
    )
    assert result.exit_code == 0, result.output
    page = target.read_text()
    assert "What could change the pathway" in page
    for number in set(re.findall(r'href="#ref-(\d+)"', page)):
        assert f'id="ref-{number}"' in page


def test_contested_flag_is_the_pathways_in_every_what_if_output(tmp_path: Path) -> None:
    """Taking away nerve compression makes discectomy contested; the text, JSON and HTML of
    what-if all read the pathway's one predicate (``Option.contested``)."""
    path = tmp_path / "herniation.yaml"
    path.write_text(
        "onset: chronic\nred_flags: []\nsymptom_months: 24\nherniation: true\n"
        "disc_degeneration: false\nnerve_compression: true\nprior_fusion: false\n"
        "prior_discectomy: false\nconservative_care: failed\nnon_invasive_therapy: failed\n"
        "daily_life: cannot_live_normally\n"
    )
    change = ["--set", "nerve_compression=false", "--set", "stenosis=none"]
    text = CliRunner().invoke(main, ["what-if", str(path), *change])
    assert text.exit_code == 0, text.output
    as_json = CliRunner().invoke(main, ["what-if", str(path), *change, "--format", "json"])
    html = CliRunner().invoke(main, ["what-if", str(path), *change, "--format", "html"])
    after = assess(apply_changes(validate_case(_read(path)), {"nerve_compression": False}))
    assert after.option("discectomy").contested  # type: ignore[union-attr]
    document = json.loads(as_json.stdout)
    (changed,) = [o for o in document["what_if"]["options"] if o["option"] == "discectomy"]
    assert changed["contested"] is True and changed["change"] == "evidence"
    assert changed["concordance"] == {"before": "agrees", "after": "diverges"}
    assert (
        "* Discectomy: recommended -> recommended (the seeds' view; guidelines diverge) "
        "(evidence: guidelines agree -> guidelines diverge)"
    ) in " ".join(text.stdout.split())
    row = next(r for r in html.stdout.split("<tr>") if "Discectomy" in r)
    assert "flag-diverges" in row


def _read(path: Path) -> dict[str, object]:
    import yaml

    return yaml.safe_load(path.read_text())
