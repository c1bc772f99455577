"""Careless or hostile case input: bounded reads, and every bad file a user error (exit 2)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from spinepath.case.loading import MAX_CASE_BYTES, load_case, parse_case
from spinepath.cli import main
from spinepath.errors import CaseError


def problems_of(text: str, format: str = "yaml") -> list[str]:
    with pytest.raises(CaseError) as raised:
        parse_case(text, source="case", format=format)
    return raised.value.problems


# --- bounded reading ---------------------------------------------------------------


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_is_read_only_up_to_the_limit(tmp_path: Path) -> None:
    link = tmp_path / "case.yaml"
    link.symlink_to("/dev/zero")
    for path in (Path("/dev/zero"), link):
        with pytest.raises(CaseError) as raised:
            load_case(path)
        assert raised.value.problems == [
            f"{path}: larger than {MAX_CASE_BYTES:,} bytes; a case file is at most that"
        ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_an_endless_fifo_is_read_only_up_to_the_limit(tmp_path: Path) -> None:
    fifo = tmp_path / "case.yaml"
    os.mkfifo(fifo)
    stop = threading.Event()

    def feed() -> None:  # `yes > fifo`: an endless writer, stopped when the reader leaves
        try:
            with fifo.open("wb") as stream:
                while not stop.is_set():
                    stream.write(b"y\n" * 4096)
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        with pytest.raises(CaseError) as raised:
            load_case(fifo)
    finally:
        stop.set()
    assert "a case file is at most" in raised.value.problems[0]


# --- bad YAML and JSON: one line, never an internal error --------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("onset: chronic\nage: !!int abc\n", "line 2, column 6: malformed YAML: !!int needs"),
        ("onset: chronic\nherniation: !!bool maybe\n", "line 2, column 13: malformed YAML: !!bool"),
        ("onset: chronic\nlabel: !!timestamp x\n", "line 2, column 8: malformed YAML: tag"),
        ("onset: chronic\n? [a, b]\n: 1\n", "line 2, column 3: malformed YAML: a key must be"),
        ("onset: chronic\n? {a: 1}\n: 1\n", "line 2, column 3: malformed YAML: a key must be"),
        ("onset: chronic\nage: 0x1F\n", "age: must be a whole number from 12 to 120 (got '0x1F')"),
        ("onset: chronic\nage: !!int 0x1F\n", "line 2, column 6: malformed YAML: !!int needs"),
        ("onset: chronic\nage: !!int 1:30\n", "line 2, column 6: malformed YAML: !!int needs"),
        ("onset: chronic\nlabel: !!binary aGk=\n", "line 2, column 8: malformed YAML: tag"),
    ],
)
def test_yaml_tags_and_keys_are_user_errors(text: str, expected: str) -> None:
    (line,) = problems_of(text)
    assert expected in line


@pytest.mark.parametrize("word", ["yes", "Yes", "on", "y", "1"])
def test_an_explicit_bool_tag_takes_only_true_or_false(word: str) -> None:
    (line,) = problems_of(f'onset: chronic\nherniation: !!bool "{word}"\n')
    assert "!!bool needs true or false" in line


def test_an_explicit_bool_tag_with_true_is_fine() -> None:
    assert parse_case('onset: chronic\nherniation: !!bool "true"\n').herniation is True


@pytest.mark.parametrize(
    ("text", "format"),
    [
        ("[" * 100_000 + "]" * 100_000, "yaml"),
        ("onset: chronic\nlabel: " + "[" * 100_000 + "]" * 100_000 + "\n", "yaml"),
        ('{"onset": ' + "[" * 100_000 + "]" * 100_000 + "}", "json"),
        ("[" * 100_000 + "]" * 100_000, "json"),
    ],
)
def test_deep_nesting_is_a_user_error(text: str, format: str) -> None:
    (line,) = problems_of(text, format)
    assert "nested too deeply" in line or "exceeded maximum nesting depth" in line


@pytest.mark.parametrize(
    ("text", "format"),
    [
        ("onset: chronic\nage: " + "9" * 5000 + "\n", "yaml"),
        ("onset: chronic\nage: " + "9" * 3000 + "\n", "yaml"),
        ('{"onset": "chronic", "age": ' + "9" * 5000 + "}", "json"),
        ('{"onset": "chronic", "age": ' + "9" * 3000 + "}", "json"),
    ],
)
def test_huge_integers_are_user_errors(text: str, format: str) -> None:
    (line,) = problems_of(text, format)
    assert "a number of more than 30 digits" in line
    assert len(line) < 200


def test_forty_thousand_unknown_keys_report_a_few_and_a_count() -> None:
    text = "onset: chronic\n" + "".join(f"zz_key_{i}: 1\n" for i in range(40_000))
    problems = problems_of(text)
    assert problems[:2] == ["case: zz_key_0: unknown key", "case: zz_key_1: unknown key"]
    assert problems[-1] == "case: and 39,990 more unknown keys"
    assert len(problems) == 11


def test_the_command_line_turns_each_into_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    for index, text in enumerate(
        [
            "onset: chronic\nage: !!int abc\n",
            "onset: chronic\nlabel: !!timestamp x\n",
            "[" * 100_000 + "]" * 100_000,
            "onset: chronic\nage: " + "9" * 5000 + "\n",
        ]
    ):
        path = tmp_path / f"case{index}.yaml"
        path.write_text(text)
        for command in (["assess"], ["what-if", "--set", "age=40"], ["consult"]):
            result = runner.invoke(main, [*command[:1], str(path), *command[1:]], input="")
            assert result.exit_code == 2, (command, text[:40], result.output)
            assert "internal error" not in result.output
            assert result.stderr.startswith("spinepath: error:")


# --- what-if --set ------------------------------------------------------------------


@pytest.fixture
def case_file(tmp_path: Path) -> Path:
    path = tmp_path / "case.yaml"
    path.write_text("onset: chronic\nage: 40\n")
    return path


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (["age="], "--set 'age=': no value (KEY=null makes a fact not stated)"),
        (["age=  "], "--set 'age=  ': no value (KEY=null makes a fact not stated)"),
        (["age=41", "age=42"], "--set: age is set more than once"),
        (["age=41", " age =null"], "--set: age is set more than once"),
    ],
)
def test_bad_set_is_an_error(case_file: Path, settings: list[str], expected: str) -> None:
    args = ["what-if", str(case_file)]
    for setting in settings:
        args += ["--set", setting]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"spinepath: error: {expected}\n"


def test_set_with_a_bad_tag_is_a_user_error(case_file: Path) -> None:
    result = CliRunner().invoke(main, ["what-if", str(case_file), "--set", "age=!!int abc"])
    assert result.exit_code == 2, result.output
    assert "internal error" not in result.output


# --- consult resumes only what assess accepts ---------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        'herniation: !!bool "yes"\n',
        "herniation: true\nherniation: false\n",
        "age: !!int 0x1F\n",
        '{"herniation": true, "herniation": false}',
    ],
)
def test_consult_refuses_what_assess_refuses(tmp_path: Path, text: str) -> None:
    suffix = ".json" if text.startswith("{") else ".yaml"
    path = tmp_path / f"partial{suffix}"
    path.write_text(text)
    result = CliRunner().invoke(main, ["consult", str(path)], input="")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("spinepath: error:")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize(
    "command",
    [
        ["assess"],
        ["walkthrough"],
        ["explain", "--how", "fusion"],
        ["what-if", "--set", "age=40"],
        ["explore"],
        ["report", "-o", "x.html"],
        ["consult"],
    ],
)
def test_every_command_that_reads_a_case_reads_a_device_only_to_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    link = tmp_path / "case.yaml"
    link.symlink_to("/dev/zero")
    result = CliRunner().invoke(main, [command[0], str(link), *command[1:]], input="")
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"spinepath: error: {link}: larger than {MAX_CASE_BYTES:,} bytes; "
        "a case file is at most that\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.yaml"]
