"""spinepath benchmarks: every figure of issue 16 with its anchor and ratio, in one run.

Run with ``.venv/bin/python benchmarks/bench.py`` (needs the ``bench`` extra). Not a
test: it prints a table of each figure with its target, its anchor and the ratio.
``--write docs/benchmarks.md`` also writes the table there, and ``--readme README.md``
puts the headline figures in the README's benchmark block (between its marker
comments; ``benchmarks/bench_table.py`` makes the block, and the test suite checks that
the README and the page agree). ``--skip-verify`` leaves out the longest figure for a
quick run: the table then says the verify figure is not measured, and ``--readme`` is
refused. ``--skip-cold`` leaves out the cold start, ``--rounds N`` sets the rounds over
the cases, ``--repeats N`` the cold-start runs, ``--against REV`` times an earlier
revision's cold start in the same turns. ``--check`` times nothing: it only checks
every anchor engine against experta, firing by firing (``.ci/run`` runs it).

Anchors, each measured in the same run, taking turns with the figure:

- an assessment (infer + build the pathway) and inference alone: the same
  knowledge base on CLIPS (clipspy), its program generated from the YAML by
  ``benchmarks/clips_anchor.py``; a plain-Python pass over the compiled firing
  order; a lookup table of finished pathways; and the same rules on experta as
  released (``spinepath.engine.reference``). Every engine is first checked,
  firing by firing, against the experta engine. The pathway builder alone is set
  beside the whole assessment (its share);
- JSON of one pathway: the standard library's encoder with the same options;
- cold start: importing pydantic, jinja2, click and experta (floor 1); and the floor
  any program pays that imports click and experta and builds one pydantic model
  (floor 2), also ending without teardown as the command does;
- batch: ``spinepath batch`` on 10,000 random valid cases with 2 workers (the
  whole command, start-up included), against the same run with 1 worker
  (``--batch-cases N`` to change the count, 0 to leave it out);
- verify: ``spinepath verify --workers 2``, the whole command (start, planning, the
  check of every case, the report), wall time. Its anchor is the engine's share:
  the cases verify checks times the CPU time of one experta assessment, measured on
  400 cases of the reduced space just before and just after verify, divided by the 2
  workers: the time the proof would take if it did nothing but run the engine and
  shared it perfectly. The ratio says how far the proof is from that floor; a second
  row sets verify's CPU time (its process and its workers') beside the same product,
  the engine's share of the proof. (One worker, the other natural anchor, would take
  twice the longest figure of the run; the engine's share also says which lever
  matters.) verify's progress goes to standard error, never into the table;
- the test suite: how many pytest-xdist workers ``pyproject.toml`` gives the README's
  test command (the one ``.ci/run`` runs), against the cores. The suite itself is
  not timed here (minutes, and no timing in tests).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_table import (
    VERIFY,
    Row,
    markdown_table,
    page,
    readme_block,
    verify_missing,
    with_readme_block,
)

ROOT = Path(__file__).resolve().parent.parent
_SHIM = "import collections, collections.abc; collections.Mapping = collections.abc.Mapping; "
IMPORT_BASELINE = _SHIM + "import pydantic, jinja2, click, experta"
# What any program that validates with a pydantic model and runs experta from a
# click command must do: pydantic's first model build imports most of pydantic
# (``import pydantic`` alone is lazy) and its plugin loader.
PYDANTIC_FLOOR = _SHIM + (
    "import click, experta\nfrom pydantic import BaseModel\nclass Case(BaseModel):\n    x: int = 0"
)
# Floor 2 ending as the spinepath command does (``cli.entry_point``: ``os._exit``, no
# interpreter teardown). Floor 2 itself pays the teardown of what it imported and the
# command does not, so this is the like-for-like floor; both are printed.
PYDANTIC_FLOOR_EXIT = PYDANTIC_FLOOR + "\nimport os, sys\nsys.stdout.flush()\nos._exit(0)"


sys.path.insert(0, str(Path(__file__).resolve().parent))


def per_case_times(
    steps: dict[str, Callable[[Any], Any]], cases: list[Any], rounds: int
) -> dict[str, list[float]]:
    """Seconds per case of each step (a function of the case).

    The steps take turns case by case, so that a slow spell of the machine
    weighs on each alike and the ratio stays meaningful.
    """
    for step in steps.values():  # warm up
        for case in cases:
            step(case)
    times: dict[str, list[float]] = {name: [] for name in steps}
    clock = time.perf_counter
    for _ in range(rounds):
        for case in cases:
            for name, step in steps.items():
                started = clock()
                step(case)
                times[name].append(clock() - started)
    return times


def assessing(kb: Any, engine: Any) -> Callable[[Any], Any]:
    """An assessment on ``engine``: infer, then the one pathway builder."""
    from spinepath.pathway.build import build_pathway

    return lambda case: build_pathway(kb, engine.infer(case))


def firings(engine: Any, case: Any) -> list[tuple[str, Any, Any]]:
    return [(f.rule.id, f.concluded, f.matched) for f in engine.infer(case).firings]


def sample_reduced_space(kb: Any, count: int, seed: int = 1) -> list[Any]:
    """Random cases of the enumerated blocks of the reduced space."""
    from spinepath.case.model import Case
    from spinepath.verify.run import Plan

    plan = Plan.of(kb)
    rng = random.Random(seed)
    weights = [b.size for b in plan.blocks]
    cases = []
    for _ in range(count):
        index = rng.choices(range(len(plan.blocks)), weights)[0]
        block = plan.blocks[index]
        chosen = plan.assignment(block, rng.randrange(block.size))
        cases.append(Case.model_validate(plan.space.case_data(chosen)))
    return cases


def timed_run(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    return time.perf_counter() - started


def interleaved_runs(
    commands: dict[str, tuple[list[str], dict[str, str]]], repeats: int
) -> dict[str, list[float]]:
    """Seconds per run of each (command, environment), taking turns so that load on
    the machine weighs on every command alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, (command, env) in commands.items():
            times[name].append(timed_run(command, env))
    return times


def compile_bytecode(package: Path | None = None) -> None:
    """Byte-compile spinepath (or the package at ``package``), as ``pip install`` does.

    An editable install never gets bytecode when ``PYTHONDONTWRITEBYTECODE`` is
    set (it is on this machine), so every start would recompile the package and
    the figure would not be the one a user sees.
    """
    import compileall

    import spinepath

    compileall.compile_dir(str(package or Path(spinepath.__file__).parent), quiet=1)


def checkout(revision: str, into: Path) -> Path:
    """A detached git worktree of ``revision`` at ``into``, byte-compiled."""
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(into), revision],
        check=True,
    )
    compile_bytecode(into / "src" / "spinepath")
    return into


def remove_checkout(path: Path) -> None:
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)], check=False
    )


def spinepath_command() -> list[str]:
    script = Path(sys.executable).parent / "spinepath"
    return [str(script)] if script.exists() else [sys.executable, "-m", "spinepath"]


def imports_jinja2(case_file: str) -> bool:
    command = [sys.executable, "-X", "importtime", "-m", "spinepath", "assess", case_file]
    result = subprocess.run(
        [*command, "--format", "json"],
        check=True,
        capture_output=True,
        text=True,
    )
    return any(line.rstrip().endswith(" jinja2") for line in result.stderr.splitlines())


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms"


def checked_anchors(kb: Any, cases: list[Any]) -> dict[str, Any]:
    """The engines the figures are measured against, each first checked on ``cases``,
    firing by firing, against the experta engine (an ``AssertionError`` names a case on
    which one fires otherwise); the lookup table is filled with experta's pathways."""
    from clips_anchor import ClipsEngine, LookupTable, PlainEngine

    from spinepath.engine.reference import ReferenceEngine
    from spinepath.engine.runner import engine_for

    engine = engine_for(kb)
    others = {"CLIPS": ClipsEngine(kb), "plain Python": PlainEngine(kb)}
    others["experta as released"] = ReferenceEngine(kb)
    table = LookupTable()
    ours = assessing(kb, engine)
    for case in cases:
        expected = firings(engine, case)
        for name, other in others.items():
            assert firings(other, case) == expected, f"{name} fires otherwise on {case}"
        table.fill(case, ours(case))
    print(
        f"checked firing by firing: experta, {', '.join(others)} agree on {len(cases)} cases",
        file=sys.stderr,
    )
    return {"experta": engine, **others, "table": table}


def engine_rows(kb: Any, cases: list[Any], sample: list[Any], rounds: int) -> list[Row]:
    """Assessment and inference: experta against CLIPS, plain Python, a lookup table and
    experta as released, after checking that every one of them fires as experta does."""
    anchors = checked_anchors(kb, cases + sample)
    engine, clips, plain = anchors["experta"], anchors["CLIPS"], anchors["plain Python"]
    stock, table = anchors["experta as released"], anchors["table"]
    ours = assessing(kb, engine)
    rows = []
    for label, subject, turns in (
        (f"{len(cases)} teaching cases", cases, rounds),
        (f"{len(sample)} cases of the reduced space", sample, max(2, rounds // 8)),
    ):
        timed = per_case_times(
            {
                "experta": ours,
                "clips": assessing(kb, clips),
                "plain": assessing(kb, plain),
                "table": table.assess,
                "reference": assessing(kb, stock),
            },
            subject,
            turns,
        )
        med = {name: statistics.median(times) for name, times in timed.items()}
        value, anchor = med["experta"], med["clips"]
        rows.append(
            Row.judged(
                f"assessment (infer + build_pathway), median, {label}",
                ms(value),
                "<= 0.5 ms, <= CLIPS",
                f"CLIPS {ms(anchor)}",
                f"{value / anchor:.2f}x",
                value <= 0.5e-3 and value <= anchor,
            )
        )
        p90 = percentile(timed["experta"], 0.9)
        rows.append(
            Row.judged(
                f"assessment, p90, {label}",
                ms(p90),
                "-",
                f"CLIPS {ms(percentile(timed['clips'], 0.9))}",
                f"{p90 / percentile(timed['clips'], 0.9):.2f}x",
                None,
            )
        )
        for name, what in (
            ("plain", "plain Python over the compiled firing order"),
            ("table", "lookup table of finished pathways"),
            ("reference", "experta as released"),
        ):
            rows.append(
                Row.judged(
                    f"assessment limit: {what}, {label}",
                    ms(med[name]),
                    "-",
                    f"experta {ms(value)}",
                    f"experta {value / med[name]:.2f}x",
                    None,
                )
            )
    timed = per_case_times(
        {"experta": engine.infer, "clips": clips.infer, "plain": plain.infer}, cases, rounds
    )
    med = {name: statistics.median(times) for name, times in timed.items()}
    rows.append(
        Row.judged(
            f"inference alone, median, {len(cases)} teaching cases",
            ms(med["experta"]),
            "-",
            f"CLIPS {ms(med['clips'])}; plain Python {ms(med['plain'])}",
            f"{med['experta'] / med['clips']:.2f}x CLIPS; "
            f"{med['experta'] / med['plain']:.2f}x plain Python",
            None,
        )
    )
    inferences = {id(case): engine.infer(case) for case in cases}
    from spinepath.pathway.build import build_pathway

    built = per_case_times(
        {"build": lambda c: build_pathway(kb, inferences[id(c)]), "assessment": ours},
        cases,
        rounds,
    )
    build, whole = (statistics.median(built[name]) for name in ("build", "assessment"))
    rows.append(
        Row.judged(
            f"pathway builder alone, median, {len(cases)} teaching cases",
            ms(build),
            "-",
            f"assessment {ms(whole)}",
            f"{build / whole:.2f} of it",
            None,
        )
    )
    return rows


def json_rows(kb: Any, cases: list[Any], rounds: int) -> list[Row]:
    """JSON of one pathway: ``Pathway.to_json`` against the standard library's encoder."""
    from spinepath.jsontext import standard_dumps
    from spinepath.pathway.build import assess

    pathways = {id(case): assess(case, kb) for case in cases}
    for pathway in pathways.values():
        assert pathway.to_json() == standard_dumps(pathway.model_dump(mode="json"))
    timed = per_case_times(
        {
            "ours": lambda c: pathways[id(c)].to_json(),
            "standard": lambda c: standard_dumps(pathways[id(c)].model_dump(mode="json")),
        },
        cases,
        rounds,
    )
    value, anchor = statistics.median(timed["ours"]), statistics.median(timed["standard"])
    return [
        Row.judged(
            f"JSON of one pathway (to_json), median, {len(cases)} teaching cases, same bytes",
            ms(value),
            "<= 0.3 ms",
            f"json.dumps(indent=2) {ms(anchor)}",
            f"{value / anchor:.2f}x",
            value <= 0.3e-3,
        )
    ]


def cold_start_rows(teaching: list[Any], repeats: int, against: str | None) -> list[Row]:
    """Cold start of ``assess --format json`` against two floors, the runs taking turns."""
    compile_bytecode()
    with tempfile.TemporaryDirectory() as tmp:
        case_file = str(Path(tmp) / "case.json")
        demo = next(t for t in teaching if t.file.startswith("19_"))
        Path(case_file).write_text(json.dumps(demo.case), encoding="utf-8")
        env = dict(os.environ, SPINEPATH_CACHE_DIR=str(Path(tmp) / "cache"))
        env.pop("SPINEPATH_NO_CACHE", None)
        command = [*spinepath_command(), "assess", case_file, "--format", "json"]
        timed_run(command, env)  # fills the knowledge-base cache
        python = sys.executable
        commands = {
            "imports": ([python, "-c", IMPORT_BASELINE], env),
            "floor": ([python, "-c", PYDANTIC_FLOOR], env),
            "floor_exit": ([python, "-c", PYDANTIC_FLOOR_EXIT], env),
            "cold": (command, env),
            "uncached": (command, {**env, "SPINEPATH_NO_CACHE": "1"}),
        }
        if against:
            other = checkout(against, Path(tmp) / "against")
            commands["against"] = (
                [python, "-m", "spinepath", "assess", case_file, "--format", "json"],
                {
                    **env,
                    "PYTHONPATH": str(other / "src"),
                    "SPINEPATH_KNOWLEDGE": str(other / "knowledge"),
                },
            )
        try:
            times = interleaved_runs(commands, repeats)
        finally:
            if against:
                remove_checkout(Path(tmp) / "against")
        jinja = imports_jinja2(case_file)
    # Medians, and minimums beside them: on a shared machine noise only ever adds
    # time, so the minimum is the steadier estimate of what a start costs.
    median = {name: statistics.median(runs) for name, runs in times.items()}
    least = {name: min(runs) for name, runs in times.items()}
    rows = []
    for name, label in (
        ("imports", "floor 1: import pydantic, jinja2, click, experta"),
        ("floor", "floor 2: click, experta and one one-field pydantic model"),
        ("floor_exit", "floor 2 ending without teardown (os._exit), as spinepath does"),
    ):
        rows.append(
            Row.judged(
                label,
                f"{median[name] * 1e3:.0f} ms (min {least[name] * 1e3:.0f})",
                "-",
                "-",
                "-",
                None,
            )
        )
    floor = f"floor 2 {median['floor'] * 1e3:.0f} ms (min {least['floor'] * 1e3:.0f})"
    for name, label, target in (
        ("cold", "cold start, assess --format json", "<= 1.1x floor 2, < 250 ms"),
        ("uncached", "cold start without the knowledge-base cache", "-"),
        *([("against", f"cold start at {against}", "-")] if against else []),
    ):
        ratio, least_ratio = median[name] / median["floor"], least[name] / least["floor"]
        ok = ratio <= 1.1 and median[name] < 0.25 if name == "cold" else None
        rows.append(
            Row.judged(
                label,
                f"{median[name] * 1e3:.0f} ms (min {least[name] * 1e3:.0f})",
                target,
                floor,
                f"{ratio:.2f}x (min {least_ratio:.2f}x); "
                f"{median[name] / median['floor_exit']:.2f}x floor 2 without teardown; "
                f"{median[name] / median['imports']:.2f}x floor 1",
                ok,
            )
        )
    rows.append(
        Row.judged("jinja2 imported by JSON output", str(jinja), "False", "-", "-", not jinja)
    )
    return rows


def engine_cpu_per_case(assess_one: Callable[[Any], Any], cases: list[Any]) -> float:
    """Mean CPU seconds of one assessment over ``cases`` (after a warm-up pass)."""
    for case in cases:
        assess_one(case)
    started = time.process_time()
    for case in cases:
        assess_one(case)
    return (time.process_time() - started) / len(cases)


def children_cpu() -> float:
    """CPU seconds of every finished child process so far (and of the ones they waited for)."""
    import resource  # POSIX only, like verify's pool of forked workers

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def verify_rows(kb: Any, sample: list[Any], workers: int = 2) -> list[Row]:
    """``spinepath verify`` on 2 workers, the whole command, against the engine's share of it.

    The anchor is the least the proof can cost with this engine: the cases it checks
    times one experta assessment's CPU time (measured on the reduced-space sample just
    before and just after verify, so that both see the machine as verify did), spread
    evenly over the workers. The second row sets verify's own CPU time (its process and
    its workers) beside the same product: the engine's share of the proof.
    """
    from spinepath.engine.runner import engine_for

    assess_one = assessing(kb, engine_for(kb))
    before = engine_cpu_per_case(assess_one, sample)
    cpu_before = children_cpu()
    started = time.perf_counter()
    # Standard error is the bench's own: verify's progress bar shows on a terminal and
    # never reaches the table, which goes to standard output.
    result = subprocess.run(
        [*spinepath_command(), "verify", "--format", "json", "--workers", str(workers)],
        stdout=subprocess.PIPE,
        text=True,
    )
    wall = time.perf_counter() - started
    cpu = children_cpu() - cpu_before
    per_case = (before + engine_cpu_per_case(assess_one, sample)) / 2
    report = json.loads(result.stdout)
    checked = report["space"]["checked"]
    engine = checked * per_case
    proved = result.returncode == 0 and report["ok"]
    return [
        Row.judged(
            f"{VERIFY} ({checked:,} cases; the proof {'holds' if proved else 'FAILED'})",
            f"{wall:.1f} s",
            "<= 60 s",
            f"experta alone: {checked:,} x {ms(per_case)} CPU"
            f" / {workers} = {engine / workers:.1f} s",
            f"{wall / (engine / workers):.2f}x",
            wall <= 60 and proved,
        ),
        Row.judged(
            f"spinepath verify, CPU time of its {workers + 1} processes",
            f"{cpu:.1f} s",
            "-",
            f"experta alone {engine:.1f} s CPU",
            f"experta {engine / cpu:.0%} of it",
            None,
        ),
    ]


def suite_rows() -> list[Row]:
    """How the test suite runs: pytest-xdist's workers as pyproject.toml sets them, against
    the machine's cores (the suite itself is not timed here: it takes minutes)."""
    import tomllib

    pytest_options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    words = shlex.split(pytest_options["tool"]["pytest"]["ini_options"].get("addopts", ""))
    setting = words[words.index("-n") + 1] if "-n" in words else "0"
    cores = os.cpu_count() or 1
    workers = cores if setting in ("auto", "logical") else int(setting)
    return [
        Row.judged(
            "test suite (README's command, as .ci/run runs it): pytest-xdist workers",
            f"{workers} (-n {setting} in pyproject.toml; random order)",
            "both cores",
            f"{cores} cores",
            f"{workers}/{cores}",
            workers >= min(2, cores),
        )
    ]


def batch_rows(count: int) -> list[Row]:
    """``spinepath batch`` throughput on 2 workers, against 1 worker in the same run."""
    from bench_batch import TARGET, throughput

    rates = throughput(count, [2, 1])
    return [
        Row.judged(
            f"batch, {count:,} random valid cases, 2 workers (whole command)",
            f"{rates[2]:,.0f} cases/s",
            f">= {TARGET:,}/s",
            f"1 worker {rates[1]:,.0f} cases/s",
            f"{rates[2] / rates[1]:.2f}x",
            rates[2] >= TARGET,
        )
    ]


def _require_clipspy() -> None:
    """The CLIPS anchor needs clipspy: say how to get it instead of a traceback."""
    try:
        import clips  # noqa: F401
    except ImportError:
        sys.exit("bench.py: the CLIPS anchor needs clipspy: pip install -e '.[bench]'")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--skip-verify",
        action="store_true",
        help="leave out spinepath verify (minutes); the table then says it is not measured",
    )
    parser.add_argument("--skip-cold", action="store_true", help="leave out the cold-start rows")
    parser.add_argument(
        "--batch-cases",
        type=int,
        default=10_000,
        metavar="N",
        help="cases for the batch throughput row (default 10,000; 0 leaves it out)",
    )
    parser.add_argument("--repeats", type=int, default=15, help="cold-start runs (default 15)")
    parser.add_argument("--rounds", type=int, default=20, help="rounds over the teaching cases")
    parser.add_argument(
        "--against",
        metavar="REV",
        help="also time the cold start of git revision REV, in the same turns",
    )
    parser.add_argument(
        "--write", metavar="PATH", type=Path, help="also write the table to PATH (Markdown)"
    )
    parser.add_argument(
        "--readme",
        metavar="PATH",
        type=Path,
        help="also put the headline figures in PATH's benchmark block (needs --write "
        "and every figure, verify included)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="only check every anchor engine against experta, firing by firing (no timing)",
    )
    parser.add_argument(
        "--note", default="", help="a sentence on the machine's state, written above the table"
    )
    args = parser.parse_args()
    # Refused before minutes of measuring, not after.
    if args.readme and (args.skip_verify or args.skip_cold or not args.batch_cases):
        sys.exit(
            "bench.py: --readme needs every figure: drop --skip-verify, --skip-cold "
            "and --batch-cases 0"
        )
    if args.readme and not args.write:
        sys.exit("bench.py: --readme needs --write (the README links to that page)")
    _require_clipspy()

    from spinepath.case.loading import validate_case
    from spinepath.kb.loading import knowledge_dir, load_knowledge
    from spinepath.kb.teaching import load_teaching_cases

    kb = load_knowledge()
    teaching = load_teaching_cases(knowledge_dir() / "cases")
    cases = [validate_case(t.case, source=t.file) for t in teaching]
    sample = sample_reduced_space(kb, 400)
    if args.check:
        checked_anchors(kb, cases + sample)
        return 0
    load_before = os.getloadavg()[0]
    rows = engine_rows(kb, cases, sample, args.rounds)
    rows += json_rows(kb, cases, args.rounds)
    if not args.skip_cold:
        rows += cold_start_rows(teaching, args.repeats, args.against)
    if args.batch_cases:
        rows += batch_rows(args.batch_cases)
    rows += verify_rows(kb, sample) if not args.skip_verify else [verify_missing()]
    rows += suite_rows()
    load_after = os.getloadavg()[0]

    # The note is shown on its own line, not inside the command.
    shown = [a for a in sys.argv[1:] if a != args.note or not args.note]
    command = "benchmarks/bench.py " + " ".join(
        a if a != "--note" else "--note NOTE" for a in shown
    )
    header = [
        f"Command: `{command.strip()}`. Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cores, load average {load_before:.2f} before and "
        f"{load_after:.2f} after. Medians; the steps of a figure take turns case by case "
        "(or run by run), so that load weighs on figure and anchor alike.",
        *(
            [
                f"The verify figure is missing from this run (`--skip-verify`): the row "
                f"'{VERIFY}' says so, and the README is not made from it."
            ]
            if args.skip_verify
            else []
        ),
        *([args.note] if args.note else []),
    ]
    print("\n".join([*header, "", *markdown_table(rows)]))
    if args.write:
        from spinepath.files import replace_atomically

        text = page(rows, header, args.write.as_posix())
        replace_atomically(args.write, text.encode("utf-8"), overwrite=True)
    if args.readme:
        return write_readme(args.readme, rows, args.write)
    return 0


def write_readme(readme: Path, rows: list[Row], written: Path) -> int:
    """Put the headline rows in the README's block, linking to the page ``written``."""
    from spinepath.files import replace_atomically

    link = os.path.relpath(written.resolve(), readme.resolve().parent)
    try:
        block = readme_block(rows, Path(link).as_posix())
        text = with_readme_block(readme.read_text(encoding="utf-8"), block)
    except ValueError as refused:  # IncompleteRun, or no markers
        print(f"bench.py: {readme}: {refused}", file=sys.stderr)
        return 1
    replace_atomically(readme, text.encode("utf-8"), overwrite=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
