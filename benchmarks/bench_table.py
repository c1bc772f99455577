"""The bench's table: its rows, the page ``docs/benchmarks.md``, and the README's block.

``benchmarks/bench.py`` measures and makes :class:`Row` values; this module only
shapes them into text, so that the normal test suite can check, without timing
anything, that the README's benchmark block is the one these functions make from
the rows of ``docs/benchmarks.md`` (``tests/test_bench_table.py``): the two pages
come from one run and cannot drift apart.

The README shows the headline figures only (one or two a goal of issue 16), and
only from a complete run: a table without the verify figure, or without any other
headline, is refused (:class:`IncompleteRun`), because the README would then show
a figure of another run, or none, beside the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

MET, MISSED, NOT_MEASURED = "met", "MISSED", "not measured"
HEADER = ("figure", "value", "target", "anchor", "ratio", "")

#: The figure of the verify row starts so (``bench.py --skip-verify`` writes it as not
#: measured, so that the page says the figure is missing rather than leaving it out).
VERIFY = "spinepath verify, 2 workers, wall time"

#: The README's rows: for each prefix, the first row of the table whose figure starts so.
HEADLINES = (
    "assessment (infer + build_pathway), median",
    "inference alone",
    "JSON of one pathway",
    "cold start, assess --format json",
    VERIFY,
    "test suite",
    "batch",
)

README_START = (
    "<!-- benchmarks: made by benchmarks/bench.py --readme README.md; not edited by hand -->"
)
README_END = "<!-- end of benchmarks -->"


@dataclass(frozen=True)
class Row:
    """One figure: its value, its target, the anchor measured in the same run, their ratio,
    and whether the target is met (``mark``: met, MISSED, not measured, or empty)."""

    figure: str
    value: str
    target: str = "-"
    anchor: str = "-"
    ratio: str = "-"
    mark: str = ""

    @classmethod
    def judged(
        cls, figure: str, value: str, target: str, anchor: str, ratio: str, ok: bool | None
    ) -> Row:
        """A row whose mark says whether ``ok`` (None: a figure without a target)."""
        return cls(
            figure, value, target, anchor, ratio, "" if ok is None else MET if ok else MISSED
        )

    def cells(self) -> tuple[str, ...]:
        return (self.figure, self.value, self.target, self.anchor, self.ratio, self.mark)


class IncompleteRun(ValueError):
    """The rows lack a figure the README shows (the verify row, most often)."""


def markdown_table(rows: Iterable[Row]) -> list[str]:
    """The rows as the lines of a Markdown table (a cell may not hold ``|``)."""
    lines = [_line(HEADER), _line(("---",) * len(HEADER))]
    for row in rows:
        assert not any("|" in cell for cell in row.cells()), row
        lines.append(_line(row.cells()))
    return lines


def _line(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def parse_table(text: str) -> list[Row]:
    """The rows of the first table in ``text`` that has the bench's header (the inverse of
    :func:`markdown_table`)."""
    lines = text.splitlines()
    start = lines.index(_line(HEADER)) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("| "):
            break
        cells = [cell.strip() for cell in line.strip()[1:-1].split(" | ")]
        rows.append(Row(*cells))
    return rows


def verify_missing() -> Row:
    """The row a run without verify shows in its place (``--skip-verify``)."""
    return Row(VERIFY, "not measured (--skip-verify)", "<= 60 s", "-", "-", NOT_MEASURED)


def headline_rows(rows: list[Row]) -> list[Row]:
    """The README's rows, in :data:`HEADLINES` order; :class:`IncompleteRun` if one is
    missing or was not measured."""
    chosen = []
    for prefix in HEADLINES:
        row = next((r for r in rows if r.figure.startswith(prefix)), None)
        if row is None or row.mark == NOT_MEASURED:
            if prefix == VERIFY:
                raise IncompleteRun(
                    "the README needs the verify figure: run the bench without --skip-verify"
                )
            raise IncompleteRun(f"the README needs the figure '{prefix}': run the whole bench")
        chosen.append(row)
    return chosen


def readme_block(rows: list[Row], page: str = "docs/benchmarks.md") -> str:
    """The README's benchmark block, markers included, made from the rows of one run."""
    return "\n".join(
        [
            README_START,
            "",
            f"The headline figures of one run of `benchmarks/bench.py`, copied by the bench "
            f"from [{page}]({page}), which has every figure, the command and the machine's "
            "load. Each anchor is measured in the same run; the ratio is figure / anchor.",
            "",
            *markdown_table(headline_rows(rows)),
            "",
            README_END,
        ]
    )


def with_readme_block(readme: str, block: str) -> str:
    """``readme`` with the text between its benchmark markers replaced by ``block``."""
    pattern = re.compile(re.escape(README_START) + r".*?" + re.escape(README_END), re.DOTALL)
    found = pattern.findall(readme)
    if len(found) != 1:
        raise ValueError(f"the README must hold the benchmark markers once (found {len(found)})")
    return pattern.sub(lambda _: block, readme)


def readme_block_of(readme: str) -> str:
    """The benchmark block the README holds now, markers included."""
    start = readme.index(README_START)
    return readme[start : readme.index(README_END, start) + len(README_END)]


def page(rows: list[Row], header: list[str], written_to: str) -> str:
    """The whole of ``docs/benchmarks.md``."""
    return "\n".join(
        [
            "# Benchmarks",
            "",
            f"Generated by `benchmarks/bench.py` (with `--write {written_to}`); "
            "not edited by hand: run it again to renew this page.",
            "What each figure and anchor measures is in the docstring of "
            "`benchmarks/bench.py` and in [the engine notes](engine.md).",
            "",
            *header,
            "",
            *markdown_table(rows),
            "",
        ]
    )
