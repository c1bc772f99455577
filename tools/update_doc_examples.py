"""Run the command examples of README.md and docs/*.md, and check or rewrite their output.

    .venv/bin/python tools/update_doc_examples.py           # rewrite expected output in place
    .venv/bin/python tools/update_doc_examples.py --check   # only report examples that differ

An example is a fenced block with the info string ``console``. A line starting with
``$ `` is a command, run by bash from a stand-in for the repository root (its entries
linked into a fresh directory for each page, so that files a command writes land
there), with ``spinepath`` the installed command. The lines after it, up to the next
command or the end of the block, are its expected output: standard output and standard
error together, as a terminal shows them. A line holding only ``...`` matches any
number of lines. Trailing spaces are ignored, since editors strip them.

``tests/test_doc_examples.py`` runs every example with :func:`check`, so the docs
cannot drift from the program. Rewriting keeps each ``...``: every stretch of expected
lines between two of them is found again in the real output by its first line, and the
same number of lines is taken from there. Files are replaced whole
(:func:`spinepath.files.replace_atomically`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ELLIPSIS = "..."
PROMPT = "$ "
FENCE = re.compile(r"^```console\s*$")
#: The environment every example runs in: no date from the clock or the environment,
#: no colour, a fixed locale, the installed ``spinepath`` first on the PATH. The
#: knowledge-base cache is left on: it is checked against every file it caches.
PINNED_ENV = {
    "LC_ALL": "C.UTF-8",
    "NO_COLOR": "1",
    "COLUMNS": "100",
    "PYTHONHASHSEED": "0",
    "PYTHONIOENCODING": "utf-8",
}
UNSET_ENV = ("SOURCE_DATE_EPOCH", "SPINEPATH_KNOWLEDGE", "SPINEPATH_DEBUG", "PYTHONUNBUFFERED")
#: What a command may take; a slower example does not belong in the docs.
TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Example:
    """One command of a ``console`` block and the output the docs promise."""

    page: Path
    line: int  # 1-based line of the command in the page
    command: str
    expected: tuple[str, ...]
    end: int  # 0-based index of the line after the expected output

    @property
    def where(self) -> str:
        page = self.page.relative_to(REPO) if self.page.is_relative_to(REPO) else self.page
        return f"{page}:{self.line}"


def pages(repo: Path = REPO) -> list[Path]:
    """The pages whose examples are executed: the README and every page in docs/."""
    return [repo / "README.md", *sorted((repo / "docs").glob("*.md"))]


def examples(page: Path) -> Iterator[Example]:
    """Every command example of ``page``, in order."""
    lines = page.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        if not FENCE.match(lines[index]):
            index += 1
            continue
        index += 1
        while index < len(lines) and lines[index].strip() != "```":
            if not lines[index].startswith(PROMPT):
                raise ValueError(
                    f"{page.name}:{index + 1}: a console block starts with a '$ ' command"
                )
            start = index
            index += 1
            while (
                index < len(lines)
                and lines[index].strip() != "```"
                and not lines[index].startswith(PROMPT)
            ):
                index += 1
            yield Example(
                page=page,
                line=start + 1,
                command=lines[start][len(PROMPT) :],
                expected=tuple(lines[start + 1 : index]),
                end=index,
            )
        index += 1


def run(command: str, work: Path) -> list[str]:
    """The lines ``command`` prints (standard output and error together), run in ``work``."""
    env = {k: v for k, v in os.environ.items() if k not in UNSET_ENV}
    env.update(PINNED_ENV)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=work,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )
    return [line.rstrip() for line in result.stdout.splitlines()]


def matches(expected: tuple[str, ...] | list[str], actual: list[str]) -> bool:
    """Whether ``actual`` is ``expected`` with each ``...`` line standing for any lines."""
    parts = _segments(expected)
    if len(parts) == 1:
        return parts[0] == actual
    first, *middle, last = parts
    if actual[: len(first)] != first:
        return False
    position = len(first)
    for segment in middle:
        found = _find(actual, segment, position)
        if found is None:
            return False
        position = found + len(segment)
    return len(actual) - position >= len(last) and actual[len(actual) - len(last) :] == last


def _segments(expected: tuple[str, ...] | list[str]) -> list[list[str]]:
    """The expected lines cut at each ``...`` line."""
    segments: list[list[str]] = [[]]
    for line in expected:
        if line.strip() == ELLIPSIS:
            segments.append([])
        else:
            segments[-1].append(line.rstrip())
    return segments


def _find(actual: list[str], segment: list[str], start: int) -> int | None:
    for index in range(start, len(actual) - len(segment) + 1):
        if actual[index : index + len(segment)] == segment:
            return index
    return None


def refreshed(expected: tuple[str, ...], actual: list[str]) -> list[str]:
    """``expected`` rewritten from ``actual``, keeping its ``...`` lines.

    Each stretch between two ``...`` is taken again from ``actual`` where its first
    line is (see :func:`_anchor`), with as many lines as before; the first stretch
    comes from the top and the last from the bottom.
    """
    parts = _segments(expected)
    if len(parts) == 1:
        return actual
    first, *middle, last = parts
    lines = actual[: len(first)]
    position = len(first)
    for segment in middle:
        anchor = _anchor(actual, segment[0], position) if segment else position
        lines += [ELLIPSIS, *actual[anchor : anchor + len(segment)]]
        position = anchor + len(segment)
    tail = actual[max(position, len(actual) - len(last)) :] if last else []
    return [*lines, ELLIPSIS, *tail]


def _anchor(actual: list[str], first: str, start: int) -> int:
    """Where a stretch starting with ``first`` is in ``actual``: the line equal to it,
    else the first line that starts with it (so a new example can be written as a
    line's beginning and as many placeholder lines as it should show), else ``start``."""
    for test in (str.__eq__, str.startswith):
        for index in range(start, len(actual)):
            if test(actual[index], first):
                return index
    return start


def workspace(repo: Path, into: Path) -> Path:
    """A directory that looks like the repository root (its top-level entries linked in),
    where examples can write files without touching the checkout."""
    for entry in sorted(repo.iterdir()):
        if entry.name.startswith(".") or entry.name in ("build", "dist"):
            continue
        (into / entry.name).symlink_to(entry)
    return into


def check(example: Example, work: Path) -> tuple[bool, list[str]]:
    """Run ``example`` in ``work``: whether its output matches, and the output."""
    actual = run(example.command, work)
    return matches(example.expected, actual), actual


def update_page(page: Path, *, write: bool) -> list[str]:
    """Check every example of ``page``, in order, in a workspace of its own; rewrite the
    page if ``write``. The examples that differed, as ``page:line: command``."""
    from spinepath.files import replace_atomically

    with tempfile.TemporaryDirectory(prefix="spinepath-docs-") as scratch:
        work = workspace(REPO, Path(scratch))
        results = [(example, *check(example, work)) for example in examples(page)]
    lines = page.read_text(encoding="utf-8").splitlines()
    differed = []
    # From the bottom up, so that a rewritten example does not move the ones above it.
    for example, ok, actual in reversed(results):
        if not ok:
            differed.insert(0, f"{example.where}: {example.command}")
            lines[example.line : example.end] = refreshed(example.expected, actual)
    if write and differed:
        replace_atomically(page, ("\n".join(lines) + "\n").encode("utf-8"))
    return differed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report differences, change nothing")
    parser.add_argument("pages", nargs="*", type=Path, help="pages (default: README.md, docs/)")
    args = parser.parse_args(argv)
    targets = [path.resolve() for path in args.pages] or pages()
    if shutil.which("spinepath", path=str(Path(sys.executable).parent)) is None:
        print("update_doc_examples: run with the venv's python (spinepath not installed)")
        return 2
    differed = [item for page in targets for item in update_page(page, write=not args.check)]
    for item in differed:
        print(("differs: " if args.check else "rewrote: ") + item)
    if args.check and differed:
        print(f"{len(differed)} example(s) differ; run tools/update_doc_examples.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
