"""Nothing from a case reaches the terminal as a control character."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from spinepath.cli import main
from spinepath.terminal import visible

HOSTILE_LABEL = "Mrs X\x1b[2J\x1b[H\r\nRecommended: Fusion\x07\x9b31m\t."
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
CASE = (
    "onset: chronic\ndisc_degeneration: true\nherniation: false\nfacet_arthritis: false\n"
    "facet_hypertrophy: false\nstenosis: none\nconservative_care: failed\n"
    "non_invasive_therapy: failed\ndaily_life: cannot_live_normally\n"
)


@pytest.fixture
def case_file(tmp_path: Path) -> Path:
    path = tmp_path / "case.json"
    import json

    import yaml

    data = yaml.safe_load(CASE)
    data["label"] = HOSTILE_LABEL
    path.write_text(json.dumps(data))
    return path


def test_visible_escapes_every_control_and_keeps_the_rest() -> None:
    assert visible("a\x1b[2Jb\nc\r\td\x7f\x9be é") == "a\\x1b[2Jb\\nc\\r\\td\\x7f\\x9be é"


@pytest.mark.parametrize(
    "args",
    [
        ["assess", "{case}"],
        ["assess", "{case}", "--format", "md"],
        ["walkthrough", "{case}"],
        ["what-if", "{case}", "--set", "daily_life=limited"],
        ["explore", "{case}"],
        ["explain", "{case}", "--how", "disc_replacement"],
    ],
)
def test_a_label_cannot_drive_the_terminal(case_file: Path, args: list[str]) -> None:
    result = CliRunner().invoke(main, [a.format(case=case_file) for a in args])
    assert result.exit_code == 0, result.output
    assert not CONTROLS.search(result.stdout)
    assert not any(line.startswith("Recommended: Fusion") for line in result.stdout.splitlines())
    if args[0] in ("assess", "walkthrough") and "md" not in args:
        assert "Mrs X\\x1b[2J\\x1b[H\\r\\nRecommended: Fusion\\x07\\x9b31m\\t." in result.stdout


def test_unknown_key_names_and_values_are_escaped_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text('{"onset": "chronic", "\\u001b[2Jzz": 1, "stenosis": "\\u001b]0;x\\u0007"}')
    result = CliRunner().invoke(main, ["assess", str(path)])
    assert result.exit_code == 2
    assert not CONTROLS.search(result.stderr)
    assert "\\x1b[2Jzz: unknown key" in result.stderr
    assert all(line.startswith("spinepath: error:") for line in result.stderr.splitlines())


def test_json_keeps_the_label_but_no_raw_c1_control(case_file: Path) -> None:
    import json

    result = CliRunner().invoke(main, ["assess", str(case_file), "--format", "json"])
    assert not CONTROLS.search(result.stdout)
    assert json.loads(result.stdout)["case"]["label"] == HOSTILE_LABEL


def test_json_for_terminal_escapes_del_and_c1_whether_or_not_the_text_is_ascii() -> None:
    from spinepath.terminal import json_for_terminal

    assert json_for_terminal('{"a": "x\x7f"}') == '{"a": "x\\u007f"}'
    assert json_for_terminal('{"a": "é\x9b\x7f"}') == '{"a": "é\\u009b\\u007f"}'
    assert json_for_terminal('{"a": "é b"}') == '{"a": "é b"}'
    assert json_for_terminal('{"a": "b"}') == '{"a": "b"}'
