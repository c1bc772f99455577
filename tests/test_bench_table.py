"""The README's benchmark block is made from ``docs/benchmarks.md``, never typed by hand.

``benchmarks/bench.py --write docs/benchmarks.md --readme README.md`` writes both from
one run; these tests time nothing: they check that the two pages hold the same
figures, and that a run without the verify figure cannot reach the README.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.helpers import REPO

BENCHMARKS = REPO / "benchmarks"


def _load(name: str) -> ModuleType:
    """A module of benchmarks/ (not a package: bench.py imports its neighbours by name)."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


table = _load("bench_table")
bench = _load("bench")
Row = table.Row

PAGE = (REPO / "docs" / "benchmarks.md").read_text(encoding="utf-8")
README = (REPO / "README.md").read_text(encoding="utf-8")


def _complete_run() -> list[object]:
    """Rows of a run with every headline figure (made-up values: nothing is timed here)."""
    return [
        Row.judged(f"{prefix} (figure {n})", f"{n}.0 ms", "<= 1 ms", "anchor 1 ms", f"{n}x", n < 2)
        for n, prefix in enumerate(table.HEADLINES)
    ] + [Row("a figure the README leaves out", "3 ms")]


def test_the_readme_block_is_made_from_the_benchmarks_page() -> None:
    rows = table.parse_table(PAGE)
    assert table.readme_block_of(README) == table.readme_block(rows), (
        "README.md's benchmark block differs from docs/benchmarks.md: run "
        "benchmarks/bench.py --write docs/benchmarks.md --readme README.md"
    )


def test_the_readme_shows_every_headline_of_the_page_with_its_anchor() -> None:
    block = table.readme_block_of(README)
    shown = table.parse_table(block)
    assert [r.figure for r in shown] == [
        r.figure for r in table.headline_rows(table.parse_table(PAGE))
    ]
    assert any(r.figure.startswith(table.VERIFY) for r in shown)
    assert "(docs/benchmarks.md)" in block  # the link to the whole table
    for row in shown:
        assert row.anchor != "-" and row.ratio != "-", row
        assert row.mark in ((table.MET, table.MISSED) if row.target != "-" else ("",)), row


def test_the_page_reads_back_as_the_rows_it_was_made_from() -> None:
    rows = _complete_run()
    text = table.page(rows, ["Command: `benchmarks/bench.py`."], "docs/benchmarks.md")
    assert table.parse_table(text) == rows


def test_the_readme_block_holds_the_headlines_in_order() -> None:
    block = table.readme_block(_complete_run())
    shown = table.parse_table(block)
    assert [r.figure.split(" (figure")[0] for r in shown] == list(table.HEADLINES)
    assert [r.mark for r in shown[:3]] == [table.MET, table.MET, table.MISSED]
    assert "a figure the README leaves out" not in block


def test_a_run_without_verify_is_refused() -> None:
    rows = [r for r in _complete_run() if not r.figure.startswith(table.VERIFY)]
    with pytest.raises(table.IncompleteRun, match="without --skip-verify"):
        table.readme_block(rows)
    with pytest.raises(table.IncompleteRun, match="without --skip-verify"):
        table.readme_block([*rows, table.verify_missing()])


def test_a_run_without_another_headline_is_refused() -> None:
    rows = [r for r in _complete_run() if not r.figure.startswith("cold start")]
    with pytest.raises(table.IncompleteRun, match="cold start"):
        table.readme_block(rows)


def test_the_block_replaces_only_what_is_between_the_markers() -> None:
    block = table.readme_block(_complete_run())
    old = f"# title\n\n{table.README_START}\nold figures\n{table.README_END}\n\n## after\n"
    new = table.with_readme_block(old, block)
    assert new == f"# title\n\n{block}\n\n## after\n"
    assert table.with_readme_block(new, block) == new
    for broken in ("# no markers\n", old + old):
        with pytest.raises(ValueError, match="markers once"):
            table.with_readme_block(broken, block)


def test_write_readme_refuses_a_run_without_verify_and_leaves_the_readme(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = tmp_path / "README.md"
    before = f"# x\n{table.README_START}\nkept\n{table.README_END}\n"
    readme.write_text(before, encoding="utf-8")
    rows = [r for r in _complete_run() if not r.figure.startswith(table.VERIFY)]
    assert bench.write_readme(readme, rows, tmp_path / "docs" / "benchmarks.md") == 1
    assert readme.read_text(encoding="utf-8") == before
    assert [p.name for p in tmp_path.iterdir()] == ["README.md"]  # no half-written file
    (line,) = capsys.readouterr().err.splitlines()
    assert "verify" in line

    assert bench.write_readme(readme, _complete_run(), tmp_path / "docs" / "benchmarks.md") == 0
    text = readme.read_text(encoding="utf-8")
    assert "(docs/benchmarks.md)" in text and "kept" not in text


@pytest.mark.parametrize("skipped", [["--skip-verify"], ["--skip-cold"], ["--batch-cases", "0"]])
def test_the_bench_refuses_readme_from_a_partial_run_before_measuring(
    tmp_path: Path, skipped: list[str]
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("unchanged\n", encoding="utf-8")
    page = tmp_path / "benchmarks.md"
    result = subprocess.run(
        [sys.executable, BENCHMARKS / "bench.py", *skipped, "--write", page, "--readme", readme],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("bench.py: --readme needs every figure"), line
    assert readme.read_text(encoding="utf-8") == "unchanged\n" and not page.exists()
