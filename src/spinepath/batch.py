"""``spinepath batch``: many cases at once, into JSON Lines.

The input is a JSON Lines file (one case, a JSON object, per line; blank lines
are skipped) or a folder of case files (``*.yaml``, ``*.yml``, ``*.json``, in
name order). Each good record gives one line of output, in input order whatever
the number of workers: a summary (stage, options and verdicts, cautions,
missing facts, the disclaimer) or, with ``--full``, the whole pathway. Each bad
record gives one error line on standard error naming its line (or file) and
every problem, and the run goes on; the last line on standard error counts both.

The output file is written beside its name and renamed when complete, so it is
whole or absent. Records are assessed in worker processes (``--workers``, one
per core by default), in chunks, each worker loading the knowledge base once.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

#: Records sent to a worker at a time: large enough that passing them costs little.
CHUNK = 200
#: Case files a folder may hold.
CASE_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Record:
    """One input record: where it is (``line 12`` or a file name) and its text."""

    key: str
    where: str
    #: A JSON Lines record's text, or the path of a case file of the folder.
    text: str | None = None
    path: Path | None = None


@dataclass(frozen=True)
class Result:
    """What a worker made of a record: an output line, or the problems."""

    key: str
    where: str
    line: str | None
    problems: tuple[str, ...]
    report: str | None = None


def read_records(source: Path) -> Iterator[Record]:
    """The records of a JSON Lines file or a folder of case files, in order."""
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.suffix.lower() in CASE_SUFFIXES)
        for path in files:
            yield Record(key=path.stem, where=path.name, path=path)
        return
    with source.open(encoding="utf-8", errors="surrogateescape") as stream:
        for number, line in enumerate(stream, start=1):
            if line.strip():
                yield Record(key=f"{number:06d}", where=f"line {number}", text=line)


def count_records(source: Path) -> int:
    """How many records :func:`read_records` will give (for the progress bar)."""
    if source.is_dir():
        return sum(1 for p in source.iterdir() if p.suffix.lower() in CASE_SUFFIXES)
    with source.open("rb") as stream:
        return sum(1 for line in stream if line.strip())


def summary(pathway: Any) -> dict[str, Any]:
    """The summary of a pathway: what a table of many cases needs, read from the pathway."""
    return {
        "label": pathway.case.get("label"),
        "headline": pathway.headline,
        "current_stage": pathway.current_stage,
        "red_flag_screen": pathway.red_flag_screen,
        "alerts": [{"id": a.id, "level": a.level} for a in pathway.alerts],
        "options": [
            {
                "id": option.id,
                "stage": stage.id,
                "verdict": option.verdict,
                "contested": option.contested,
            }
            for stage in pathway.stages
            for option in stage.options
        ],
        "cautions": [caution.id for caution in pathway.cautions],
        "missing_facts": [missing.fact for missing in pathway.missing_facts],
        "disclaimer": pathway.disclaimer,
    }


# -- in each worker -----------------------------------------------------------------------

_settings: dict[str, Any] = {}


def _start_worker(full: bool, reports: bool) -> None:
    from spinepath import api

    _settings.update(full=full, reports=reports, kb=api.knowledge_base())


def assess_record(record: Record) -> Result:
    """Assess one record (in a worker); a bad record is problems, never an exception."""
    from spinepath import api
    from spinepath.errors import SpinepathError

    kb = _settings["kb"]
    source = str(record.path) if record.path else record.where
    try:
        if record.path is not None:
            case = api.load_case(record.path)
        else:
            facts = api.parse_case_data(record.text or "", format="json", source=source)
            case = api.load_case(facts, source=source)
        pathway = api.assess(case, kb)
    except SpinepathError as error:
        # A JSON Lines record is one line: its own "line 1, " says nothing.
        problems = [p.removeprefix(f"{source}: ").removeprefix("line 1, ") for p in error.problems]
        return Result(record.key, record.where, None, tuple(problems))
    if _settings["full"]:
        # What json.dumps({"record": ..., **pathway.model_dump(mode="json")},
        # sort_keys=True, ensure_ascii=False) writes, from the pathway's fast JSON.
        line = pathway.to_json_line(record=record.where)
    else:
        line = json.dumps(
            {"record": record.where, **summary(pathway)}, sort_keys=True, ensure_ascii=False
        )
    report = None
    if _settings["reports"]:
        from spinepath.render.html import render_report

        report = render_report(pathway, kb)
    return Result(record.key, record.where, line, (), report)


def _assess_chunk(records: list[Record]) -> list[Result]:
    return [assess_record(record) for record in records]


def _chunks(records: Iterator[Record], size: int) -> Iterator[list[Record]]:
    chunk: list[Record] = []
    for record in records:
        chunk.append(record)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def results(source: Path, *, workers: int, full: bool, reports: bool) -> Iterator[list[Result]]:
    """Chunks of results in input order, from ``workers`` processes (1: this one)."""
    chunks = _chunks(read_records(source), CHUNK)
    if workers <= 1:
        _start_worker(full, reports)
        yield from map(_assess_chunk, chunks)
        return
    import multiprocessing

    # "spawn" everywhere: the same behaviour on every platform, and no fork of a
    # process that may hold threads (a terminal, a test runner).
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=_start_worker, initargs=(full, reports)) as pool:
        yield from pool.imap(_assess_chunk, chunks)


# -- the command --------------------------------------------------------------------------


@click.command()
@click.argument(
    "cases", metavar="CASES", type=click.Path(exists=True, path_type=Path, allow_dash=False)
)
@click.option(
    "-o",
    "--output",
    metavar="OUT",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The JSON Lines file to write (replaced whole when the run ends).",
)
@click.option("--full", is_flag=True, help="Write each case's whole pathway, not its summary.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes to assess in (default: one per core).",
)
@click.option(
    "--reports",
    "reports_dir",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write an HTML report per case into DIR (created if missing).",
)
def batch(
    cases: Path, output: Path, full: bool, workers: int | None, reports_dir: Path | None
) -> None:
    """Assess every case in CASES (a JSON Lines file or a folder of case files) into OUT.

    OUT gets one JSON line per good case, in input order: its stage, options
    and verdicts, cautions and missing facts (--full: the whole pathway, as
    `assess --format json`). A bad record is one line on standard error with
    its line number, and the run goes on; the exit code is then 2.

    \b
    Examples:
      spinepath batch cases.jsonl -o summaries.jsonl
      spinepath batch cases/ -o pathways.jsonl --full --workers 2
      spinepath batch cases.jsonl -o out.jsonl --reports reports/
    """
    workers = workers or os.cpu_count() or 1
    try:
        if reports_dir is not None:
            reports_dir.mkdir(parents=True, exist_ok=True)
        good, bad = _run(cases, output, full=full, workers=workers, reports_dir=reports_dir)
    except OSError as error:
        where = error.filename or output
        if Path(str(where)).name.startswith(f".{output.name}."):
            where = output  # the temporary file beside it: name what was asked for
        click.echo(f"spinepath: error: {where}: {error.strerror or error}", err=True)
        sys.exit(2)
    click.echo(
        f"spinepath batch: {good} assessed, {bad} bad record{'s' if bad != 1 else ''}, "
        f"written to {output}",
        err=True,
    )
    if bad:
        sys.exit(2)


def _run(
    cases: Path, output: Path, *, full: bool, workers: int, reports_dir: Path | None
) -> tuple[int, int]:
    """Assess into a temporary file beside ``output``, renamed when complete; the counts."""
    total = count_records(cases)
    good = bad = 0
    handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
    try:
        with (
            os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream,
            _progress(total) as bar,
        ):
            for chunk in results(cases, workers=workers, full=full, reports=bool(reports_dir)):
                for result in chunk:
                    if result.line is None:
                        bad += 1
                        click.echo(
                            f"{cases}: {result.where}: {'; '.join(result.problems)}", err=True
                        )
                        continue
                    good += 1
                    stream.write(result.line + "\n")
                    if reports_dir is not None and result.report is not None:
                        _write_report(reports_dir / f"{result.key}.html", result.report)
                bar.update(len(chunk))
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return good, bad


class _NoProgress:
    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, steps: int) -> None:
        return None


def _progress(total: int) -> Any:
    """A progress bar on standard error when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        return _NoProgress()
    return click.progressbar(length=total, label="assessing", file=sys.stderr, show_pos=True)


def _write_report(path: Path, html: str) -> None:
    from spinepath.files import replace_atomically

    replace_atomically(path, html.encode("utf-8"))
