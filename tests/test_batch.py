"""``spinepath batch``: JSON Lines in, summaries out, bad records reported and skipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from spinepath import assess
from spinepath.batch import summary
from spinepath.cli import main
from tests.helpers import KNOWLEDGE

GOOD = [
    {"onset": "acute", "label": "first"},
    {"onset": "chronic", "conservative_care": "ongoing"},
    {"onset": "chronic", "red_flags": ["cauda_equina"]},
]


def _write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _run(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["batch", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.stderr if hasattr(result, "stderr") else result.output


@pytest.fixture
def source(tmp_path: Path) -> Path:
    lines = [json.dumps(GOOD[0]), '{"onset": "sudden"}', "", "not json", json.dumps(GOOD[1])]
    lines += [json.dumps(GOOD[2])]
    return _write_jsonl(tmp_path / "cases.jsonl", lines)


def test_summaries_in_input_order_and_bad_records_reported_by_line(source, tmp_path) -> None:
    out = tmp_path / "out.jsonl"
    code, stderr = _run(source, "-o", out, "--workers", "1")
    assert code == 2  # some records were bad; the good ones are still written
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["record"] for line in lines] == ["line 1", "line 5", "line 6"]
    for line, case in zip(lines, GOOD, strict=True):
        expected = summary(assess(case))
        assert {k: v for k, v in line.items() if k != "record"} == expected
    errors = [line for line in stderr.splitlines() if "cases.jsonl: line" in line]
    assert errors == [
        f"{source}: line 2: onset: must be one of acute, chronic, acute_on_chronic (got 'sudden')",
        f"{source}: line 4: column 1: malformed JSON: Expecting value",
    ]
    assert "3 assessed, 2 bad records" in stderr.splitlines()[-1]


def test_summary_has_stage_options_cautions_missing_facts_and_disclaimer() -> None:
    line = summary(assess(GOOD[1]))
    assert line["current_stage"] == "conservative"
    assert all(set(o) == {"id", "stage", "verdict", "contested"} for o in line["options"])
    assert line["missing_facts"] and line["cautions"]
    assert "not a diagnosis" in line["disclaimer"]
    emergency = summary(assess(GOOD[2]))
    assert emergency["alerts"][0]["level"] == "emergency"


def test_workers_give_the_same_bytes_as_one_process(source, tmp_path) -> None:
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    _run(source, "-o", one, "--workers", "1")
    _run(source, "-o", two, "--workers", "2")
    assert one.read_bytes() == two.read_bytes()


def test_full_writes_the_whole_pathway(tmp_path) -> None:
    source = _write_jsonl(tmp_path / "c.jsonl", [json.dumps(GOOD[0])])
    out = tmp_path / "out.jsonl"
    code, _ = _run(source, "-o", out, "--full", "--workers", "1")
    assert code == 0
    (line,) = out.read_text(encoding="utf-8").splitlines()
    data = json.loads(line)
    assert data.pop("record") == "line 1"
    assert data == json.loads(assess(GOOD[0]).to_json())


def test_a_folder_of_case_files_and_reports(tmp_path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "b.yaml").write_text("onset: acute\n", encoding="utf-8")
    (folder / "a.json").write_text('{"onset": 3}', encoding="utf-8")
    (folder / "notes.txt").write_text("not a case", encoding="utf-8")
    out, reports = tmp_path / "out.jsonl", tmp_path / "reports"
    code, stderr = _run(folder, "-o", out, "--workers", "1", "--reports", reports)
    assert code == 2
    assert f"{folder}: a.json: onset: must be one of" in stderr
    assert [json.loads(x)["record"] for x in out.read_text().splitlines()] == ["b.yaml"]
    assert [p.name for p in reports.iterdir()] == ["b.html"]
    assert "not a diagnosis" in (reports / "b.html").read_text(encoding="utf-8")


def test_all_good_exits_zero_and_examples_run(tmp_path) -> None:
    folder = KNOWLEDGE / "examples"
    out = tmp_path / "out.jsonl"
    code, stderr = _run(folder, "-o", out, "--workers", "1")
    assert code == 0, stderr
    assert len(out.read_text().splitlines()) == len(list(folder.iterdir()))


def test_output_is_whole_or_absent(tmp_path) -> None:
    source = _write_jsonl(tmp_path / "c.jsonl", [json.dumps(GOOD[0])])
    code, stderr = _run(source, "-o", tmp_path / "missing" / "out.jsonl")
    assert code == 2
    assert stderr.strip().splitlines()[-1] == (
        f"spinepath: error: {tmp_path / 'missing' / 'out.jsonl'}: No such file or directory"
    )
    assert list(tmp_path.iterdir()) == [source]


def test_nothing_printed_for_progress_when_not_a_terminal(source, tmp_path) -> None:
    _, stderr = _run(source, "-o", tmp_path / "o.jsonl", "--workers", "1")
    assert "assessing" not in stderr
