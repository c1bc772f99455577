"""The command line: outputs, exit codes, errors on standard error only, documented commands."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from spinepath import __version__
from spinepath.cli import main
from tests.helpers import REPO


@pytest.fixture
def case_file(tmp_path: Path) -> Path:
    path = tmp_path / "case.yaml"
    path.write_text(
        "label: Mrs Example\nonset: chronic\nred_flags: []\nsymptom_months: 24\n"
        "disc_degeneration: true\nherniation: false\nprior_discectomy: false\nprior_fusion: false\n"
        "facet_arthritis: false\nfacet_hypertrophy: false\nstenosis: none\n"
        "conservative_care: failed\nnon_invasive_therapy: failed\n"
        "daily_life: cannot_live_normally\n"
    )
    return path


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"spinepath, version {__version__}\n"


def test_assess_json_is_the_contract(runner: CliRunner, case_file: Path) -> None:
    result = runner.invoke(main, ["assess", str(case_file), "--format", "json"])
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["current_stage"] == "surgical"
    surgical = next(s for s in document["stages"] if s["id"] == "surgical")
    assert [(o["id"], o["verdict"]) for o in surgical["options"]] == [
        ("disc_replacement", "recommended")
    ]


def test_assess_text_quotes_and_disclaims(runner: CliRunner, case_file: Path) -> None:
    result = runner.invoke(main, ["assess", str(case_file)])
    assert result.exit_code == 0
    assert "SPINEPATH PATHWAY: Mrs Example" in result.stdout
    assert "Disc replacement: RECOMMENDED" in result.stdout
    assert "disc replacement is your best option" in result.stdout
    assert result.stdout.count("NOT A DIAGNOSIS") == 2


def test_bad_case_one_line_per_problem_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("onset: sudden\nfacet_arthrits: yes\nage: 7\n")
    result = runner.invoke(main, ["assess", str(path), "--format", "json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"spinepath: error: {path}: onset: must be one of acute, chronic, acute_on_chronic "
        "(got 'sudden')",
        f"spinepath: error: {path}: age: must be a whole number from 12 to 120 (got 7)",
        f"spinepath: error: {path}: facet_arthrits: unknown key (did you mean 'facet_arthritis'?)",
    ]
    assert "Traceback" not in result.output


def test_missing_case_file(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["assess", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "no such file" in result.stderr


@pytest.mark.parametrize(
    ("file", "text", "expected"),
    [
        ("knowledge.yaml", "name: [unclosed\n", "knowledge.yaml: while parsing a flow sequence"),
        (
            "rules/30_surgical.yaml",
            "- id: surgical.broken\n  when: {onset: sudden}\n",
            "30_surgical.yaml, rule surgical.broken: when.onset: ['sudden'] not among",
        ),
    ],
)
def test_broken_knowledge_base_is_reported_not_raised(
    runner: CliRunner,
    draft: Path,
    monkeypatch: pytest.MonkeyPatch,
    file: str,
    text: str,
    expected: str,
) -> None:
    """A whole knowledge base with one file broken: the error is that file's, not a
    missing file's, and it is one line (exit 3)."""
    from spinepath.kb.loading import load_knowledge

    (draft / file).write_text(text)
    monkeypatch.setenv("SPINEPATH_KNOWLEDGE", str(draft))
    load_knowledge.cache_clear()
    try:
        result = runner.invoke(main, ["demo"])
    finally:
        load_knowledge.cache_clear()
    assert result.exit_code == 3, result.output
    lines = result.stderr.splitlines()
    assert all(line.startswith("spinepath: knowledge base error: ") for line in lines), lines
    assert expected in result.stderr and "No such file" not in result.stderr
    assert "\\n" not in result.stderr  # the loader's multi-line message folded, not escaped


def test_demo_runs_the_bundled_case(runner: CliRunner) -> None:
    result = runner.invoke(main, ["demo", "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["current_stage"] == "surgical"


def test_rules_text_and_json(runner: CliRunner, kb) -> None:
    text = runner.invoke(main, ["rules", "--stage", "surgical"])
    assert text.exit_code == 0
    assert "surgical.discectomy  [surgical]" in text.stdout
    assert "    - herniation: yes\n" in text.stdout
    as_json = runner.invoke(main, ["rules", "--format", "json"])
    rules = json.loads(as_json.stdout)["rules"]
    assert len(rules) == len(kb.rules)
    assert all(rule["citations"] for rule in rules)


def test_rules_stage_choices_are_the_stage_order() -> None:
    """``rules --stage`` spells the stages out (no pydantic at cold start): the same
    stages, in the same order, as ``kb.model.STAGE_ORDER``."""
    from spinepath.kb.model import STAGE_ORDER

    stage = next(p for p in main.commands["rules"].params if p.name == "stage")
    assert tuple(stage.type.choices) == STAGE_ORDER


def test_schema_describes_the_case(runner: CliRunner) -> None:
    result = runner.invoke(main, ["schema"])
    schema = json.loads(result.stdout)
    assert schema["required"] == ["onset"]
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]["stenosis"]["enum"]) >= {"none", "needs_decompression"}


def test_every_command_has_help_with_an_example(runner: CliRunner) -> None:
    for name in main.commands:
        result = runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0
        assert "Example" in result.stdout, name


def test_every_command_is_documented_in_the_docs() -> None:
    # docs/commands.md, or the page of its own that a larger command has (docs/web.md...).
    pages = "\n".join(page.read_text() for page in sorted((REPO / "docs").glob("*.md")))
    documented = set(re.findall(r"^### `spinepath (\w[\w-]*)", pages, flags=re.MULTILINE))
    assert set(main.commands) <= documented


# --- shell completion --------------------------------------------------------------------


def _completions(args: str, incomplete: str, shell: str = "zsh") -> list[str]:
    """What click's own completion script is told, for ``spinepath ARGS INCOMPLETE<TAB>``.

    zsh's protocol: a value line, then a help line (``_`` for none), per completion.
    """
    words = f"spinepath {args} {incomplete}".rstrip() if incomplete else f"spinepath {args} "
    env = {
        "_SPINEPATH_COMPLETE": f"{shell}_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(args.split()) + 1),
    }
    result = CliRunner().invoke(main, [], env=env, prog_name="spinepath")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line]
    if shell == "zsh":
        return [lines[i + 1] for i in range(0, len(lines), 3)]
    return [line.split(",", 1)[1] for line in lines]  # bash: "type,value"


def test_completion_offers_treatment_ids_for_how_and_why_not(kb) -> None:
    every = [t.id for stage in kb.stages for t in stage.treatments]
    assert _completions("explain case.yaml --why-not", "") == every
    assert _completions("explain case.yaml --how", "disc") == [
        t for t in every if t.startswith("disc")
    ]
    assert "disc_replacement" in _completions("explain case.yaml --how", "disc")
    assert _completions("explain case.yaml --how", "no_such") == []


def test_completion_offers_case_keys_then_their_values() -> None:
    from spinepath.case.model import CASE_KEYS

    keys = _completions("what-if case.yaml --set", "")
    assert keys == [f"{key}=" for key in CASE_KEYS]
    assert _completions("what-if case.yaml --set", "fac") == [
        "facet_arthritis=",
        "facet_hypertrophy=",
    ]
    assert _completions("what-if case.yaml --set", "stenosis=") == [
        "stenosis=none",
        "stenosis=laminotomy_relievable",
        "stenosis=needs_decompression",
        "stenosis=unknown",
    ]
    assert _completions("what-if case.yaml --set", "facet_arthritis=t") == ["facet_arthritis=true"]
    assert "red_flags=[cauda_equina]" in _completions("what-if case.yaml --set", "red_flags=")
    assert _completions("what-if case.yaml --set", "age=") == ["age=null"]
    assert _completions("what-if case.yaml --set", "no_such_key=") == []


def test_every_completed_setting_reads_as_a_value_of_its_key() -> None:
    # A completion that --set would read as something else would be worse than none.
    import typing

    from spinepath.case.model import CASE_KEYS, RedFlag, allowed_values
    from spinepath.cli import setting_values
    from spinepath.whatif.scenario import parse_settings

    for key in CASE_KEYS:
        for text in setting_values(key):
            value = parse_settings([f"{key}={text}"])[key]
            if key == "red_flags":
                assert value is None or set(value) <= set(typing.get_args(RedFlag)), text
            elif allowed_values(key) is None:
                assert value is None, text  # numbers and text: only null is offered
            else:
                assert value in allowed_values(key) and type(value) in (str, bool, type(None))


def test_completion_through_the_bash_protocol() -> None:
    assert _completions("explain case.yaml --how", "fus", shell="bash") == ["fusion"]


def test_completion_never_prints_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from spinepath.errors import KnowledgeError

    def broken() -> None:
        raise KnowledgeError(["knowledge.yaml: missing"])

    monkeypatch.setattr("spinepath.api.knowledge_base", broken)
    assert _completions("explain case.yaml --how", "") == []


def _program(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m spinepath ARGS`` as a separate process, through the real entry point."""
    return subprocess.run(
        [sys.executable, "-m", "spinepath", *args],
        capture_output=True,
        text=True,
        # Buffered, as for most users: PYTHONUNBUFFERED would hide a missing flush.
        env={**{k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}, **env},
        timeout=120,
    )


def test_entry_point_delivers_long_output_whole() -> None:
    # The program ends without interpreter teardown; output far beyond a pipe's
    # buffer must still arrive complete.
    result = _program("rules", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout) > 65_536  # more than a pipe holds
    assert len(json.loads(result.stdout)["rules"]) > 60


@pytest.mark.parametrize("debug", ["", "1"])
def test_entry_point_keeps_exit_codes(tmp_path: Path, debug: str) -> None:
    missing = _program("assess", str(tmp_path / "none.yaml"), SPINEPATH_DEBUG=debug)
    assert missing.returncode == 2
    assert missing.stderr.startswith("spinepath: error:") and "no such file" in missing.stderr
    usage = _program("no-such-command", SPINEPATH_DEBUG=debug)
    assert usage.returncode == 2 and "No such command" in usage.stderr
    version = _program("--version", SPINEPATH_DEBUG=debug)
    assert version.returncode == 0 and __version__ in version.stdout


@pytest.mark.parametrize(
    ("raised", "status", "line"),
    [
        ("bad input", 2, "spinepath: error: x.yaml: onset: required"),
        ("broken knowledge", 3, "spinepath: knowledge base error: rules.yaml: bad"),
        ("bug", 3, "spinepath: internal error: ValueError: oops (set SPINEPATH_DEBUG=1"),
        ("ctrl-c", 130, "spinepath: interrupted"),
    ],
)
def test_a_command_added_to_the_group_needs_no_error_handling_of_its_own(
    raised: str, status: int, line: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Other modules add commands with one `main.add_command(...)`: the group handles errors.
    import click

    from spinepath.cli import SpinepathGroup
    from spinepath.errors import CaseError, KnowledgeError

    errors: dict[str, BaseException] = {
        "bad input": CaseError(["x.yaml: onset: required"]),
        "broken knowledge": KnowledgeError(["rules.yaml:\n  bad"]),
        "bug": ValueError("oops"),
        "ctrl-c": KeyboardInterrupt(),
    }

    @click.command()
    def fails() -> None:
        raise errors[raised]

    monkeypatch.delenv("SPINEPATH_DEBUG", raising=False)
    group = SpinepathGroup(commands=[fails])
    result = CliRunner().invoke(group, ["fails"])
    assert result.exit_code == status
    assert result.stdout == ""
    assert result.stderr.strip().splitlines()[0].startswith(line), result.stderr
    assert "Traceback" not in result.stderr
