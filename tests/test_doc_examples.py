"""Every command example in README.md and docs/*.md is run and compared with its real output.

The examples are the ``console`` blocks (see ``tools/update_doc_examples.py``, which
also rewrites them from real output). A failure here means the docs no longer say
what the program does: run ``.venv/bin/python tools/update_doc_examples.py`` and
read the diff before committing it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.helpers import REPO


def load_tool() -> ModuleType:
    path = REPO / "tools" / "update_doc_examples.py"
    spec = importlib.util.spec_from_file_location("update_doc_examples", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("update_doc_examples", module)
    spec.loader.exec_module(module)
    return module


TOOL = load_tool()
PAGES = TOOL.pages()


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(REPO).as_posix() for p in PAGES])
def test_every_example_prints_what_the_page_shows(page: Path, tmp_path: Path) -> None:
    work = TOOL.workspace(REPO, tmp_path)
    differ = []
    for example in TOOL.examples(page):
        ok, actual = TOOL.check(example, work)
        if not ok:
            shown = "\n".join(actual[:40])
            differ.append(f"{example.where}: $ {example.command}\nreal output:\n{shown}")
    fix = "run: .venv/bin/python tools/update_doc_examples.py"
    assert not differ, "\n\n".join(differ) + "\n\n" + fix


def test_the_readme_and_the_commands_page_have_examples() -> None:
    # A page that lost its console blocks would pass the test above without checking anything.
    for name in ("README.md", "docs/commands.md"):
        assert len(list(TOOL.examples(REPO / name))) >= 2, name


def test_every_command_has_an_executed_example() -> None:
    import re

    from spinepath.cli import main

    run = {
        name
        for page in PAGES
        for example in TOOL.examples(page)
        for name in re.findall(r"(?:^|[|;&]\s*)spinepath ([\w-]+)", example.command)
    }
    # verify takes ten minutes, so its page shows `--help`; tests/test_verify.py runs it.
    assert set(main.commands) <= run


def test_quick_start_is_exactly_two_commands_and_ci_runs_the_second() -> None:
    """The two install commands build a virtual environment, so they are not run here:
    `.ci/run` runs the second word for word on a fresh machine, and the first one's
    `spinepath demo` is an executed example of docs/commands.md."""
    readme = (REPO / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = [b.split("\n", 1)[1].split("```", 1)[0].strip() for b in quick.split("```sh")[1:]]
    venv = "python3 -m venv .venv && .venv/bin/pip install -q"
    demo = f"{venv} . && .venv/bin/spinepath demo"
    tests = f"{venv} -e '.[test]' && .venv/bin/python -m pytest"
    assert blocks == [demo, tests]
    assert tests in (REPO / ".ci" / "run").read_text().splitlines()


# --- the checker itself -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "actual", "ok"),
    [
        (["a", "b"], ["a", "b"], True),
        (["a", "b"], ["a", "b", "c"], False),
        (["a", "..."], ["a", "b", "c"], True),
        (["a", "..."], ["a"], True),
        (["...", "c"], ["a", "b", "c"], True),
        (["a", "...", "c"], ["a", "c"], True),
        (["a", "...", "c"], ["a", "b"], False),
        (["a", "...", "x", "...", "c"], ["a", "b", "x", "y", "c"], True),
        (["a", "...", "x", "...", "c"], ["a", "b", "y", "c"], False),
        (["a", "...", "b", "...", "b"], ["a", "b"], False),  # one line cannot serve twice
        (["a  "], ["a"], True),  # trailing spaces, which editors strip
        ([], [], True),
        ([], ["a"], False),
    ],
)
def test_matching(expected: list[str], actual: list[str], ok: bool) -> None:
    assert TOOL.matches(expected, actual) is ok


def test_examples_are_read_from_console_blocks_only(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```sh\n$ not run\n```\n\n```console\n$ echo one\none\n$ echo two\n...\n```\n"
    )
    found = list(TOOL.examples(page))
    assert [(e.line, e.command, e.expected) for e in found] == [
        (6, "echo one", ("one",)),
        (8, "echo two", ("...",)),
    ]


def test_a_console_block_without_a_command_is_an_error(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("```console\noutput without a command\n```\n")
    with pytest.raises(ValueError, match="starts with a '\\$ ' command"):
        list(TOOL.examples(page))


def test_rewriting_keeps_the_elisions() -> None:
    actual = ["head", "one", "two", "anchor", "after", "more", "tail"]
    expected = ("head", "...", "anchor", "old", "...", "tail")
    assert TOOL.refreshed(expected, actual) == ["head", "...", "anchor", "after", "...", "tail"]
    assert TOOL.refreshed(("old",), actual) == actual


def test_update_rewrites_a_page_in_place_and_check_reports_it(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("Intro.\n\n```console\n$ echo fresh; echo kept\nstale\n...\n```\n\nEnd.\n")
    before = page.read_text()
    assert TOOL.update_page(page, write=False) == [f"{page}:4: echo fresh; echo kept"]
    assert page.read_text() == before  # --check writes nothing
    TOOL.update_page(page, write=True)
    rewritten = "Intro.\n\n```console\n$ echo fresh; echo kept\nfresh\n...\n```\n\nEnd.\n"
    assert page.read_text() == rewritten
    assert TOOL.update_page(page, write=False) == []
