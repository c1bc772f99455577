"""spinepath benchmarks: every figure of issue 16 with its anchor and ratio, in one run.

Run with ``.venv/bin/python benchmarks/bench.py`` (``--skip-verify`` to leave out
the longest figure, ``--skip-cold`` to leave out the cold start, ``--repeats N``
for the cold-start runs, ``--against REV`` to
time an earlier revision's cold start in the same turns, ``--write
docs/benchmarks.md`` to write the table there as well). Not a test: it prints a
table of each figure with its target, its anchor and the ratio.

Anchors, each measured in the same run, taking turns with the figure:

- an assessment (infer + build the pathway) and inference alone: the same
  knowledge base on CLIPS (clipspy), its program generated from the YAML by
  ``benchmarks/clips_anchor.py``; a plain-Python pass over the compiled firing
  order; a lookup table of finished pathways; and the same rules on experta as
  released (``spinepath.engine.reference``). Every engine is first checked,
  firing by firing, against the experta engine;
- JSON of one pathway: the standard library's encoder with the same options;
- cold start: importing pydantic, jinja2, click and experta; and the floor any
  program pays that imports click and experta and builds one pydantic model;
- batch: ``spinepath batch`` on 10,000 random valid cases with 2 workers (the
  whole command, start-up included), against the same run with 1 worker
  (``--batch-cases N`` to change the count, 0 to leave it out);
- verify: the projected time to check every case of the value-class product
  with the same engine, without the cone-of-influence blocks.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def row(name: str, value: str, target: str, baseline: str, ratio: str, ok: bool | None) -> str:
    mark = "" if ok is None else ("ok" if ok else "MISSED")
    return f"| {name} | {value} | {target} | {baseline} | {ratio} | {mark} |"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms"


def engine_rows(kb: Any, cases: list[Any], sample: list[Any], rounds: int) -> list[str]:
    """Assessment and inference: experta against CLIPS, plain Python, a lookup table and
    experta as released, after checking that every one of them fires as experta does."""
    from clips_anchor import ClipsEngine, LookupTable, PlainEngine

    from spinepath.engine.reference import ReferenceEngine
    from spinepath.engine.runner import engine_for

    engine, stock = engine_for(kb), ReferenceEngine(kb)
    clips, plain = ClipsEngine(kb), PlainEngine(kb)
    table = LookupTable()
    ours = assessing(kb, engine)
    for case in cases + sample:
        expected = firings(engine, case)
        for name, other in (("CLIPS", clips), ("plain Python", plain), ("reference", stock)):
            assert firings(other, case) == expected, f"{name} fires otherwise on {case}"
        table.fill(case, ours(case))
    print(
        f"checked firing by firing: experta, CLIPS, plain Python and experta as released "
        f"agree on {len(cases) + len(sample)} cases",
        file=sys.stderr,
    )
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
            row(
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
            row(
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
                row(
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
        row(
            f"inference alone, median, {len(cases)} teaching cases",
            ms(med["experta"]),
            "-",
            f"CLIPS {ms(med['clips'])}; plain Python {ms(med['plain'])}",
            f"{med['experta'] / med['clips']:.2f}x CLIPS",
            None,
        )
    )
    inferences = {id(case): engine.infer(case) for case in cases}
    from spinepath.pathway.build import build_pathway

    built = per_case_times({"build": lambda c: build_pathway(kb, inferences[id(c)])}, cases, rounds)
    rows.append(
        row(
            f"pathway builder alone, median, {len(cases)} teaching cases",
            ms(statistics.median(built["build"])),
            "-",
            "-",
            "-",
            None,
        )
    )
    return rows


def json_rows(kb: Any, cases: list[Any], rounds: int) -> list[str]:
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
        row(
            f"JSON of one pathway (to_json), median, {len(cases)} teaching cases, same bytes",
            ms(value),
            "<= 0.3 ms",
            f"json.dumps(indent=2) {ms(anchor)}",
            f"{value / anchor:.2f}x",
            value <= 0.3e-3,
        )
    ]


def cold_start_rows(teaching: list[Any], repeats: int, against: str | None) -> list[str]:
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
            row(
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
            row(
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
    rows.append(row("jinja2 imported by JSON output", str(jinja), "False", "-", "-", not jinja))
    return rows


def verify_rows(kb: Any, sample: list[Any]) -> list[str]:
    """The wall time of ``spinepath verify`` against a projection of the unreduced product."""
    from spinepath.engine.runner import engine_for
    from spinepath.verify.space import build_space

    started = time.perf_counter()
    result = subprocess.run(
        [*spinepath_command(), "verify", "--format", "json"],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    report = json.loads(result.stdout)
    per_case = statistics.median(
        per_case_times({"new": assessing(kb, engine_for(kb))}, sample, 1)["new"]
    )
    workers = report["workers"]
    projected = build_space(kb).reduced_size * per_case / workers
    return [
        row(
            f"verify wall time ({report['space']['checked']:,} cases, {workers} workers)",
            f"{wall:.1f} s",
            "<= 60 s",
            f"{projected:,.0f} s (value classes, no cones)",
            f"{wall / projected:.3f}x",
            wall <= 60 and result.returncode == 0,
        )
    ]


def batch_rows(count: int) -> list[str]:
    """``spinepath batch`` throughput on 2 workers, against 1 worker in the same run."""
    from bench_batch import TARGET, throughput

    rates = throughput(count, [2, 1])
    return [
        row(
            f"batch, {count:,} random valid cases, 2 workers (whole command)",
            f"{rates[2]:,.0f} cases/s",
            f">= {TARGET:,}/s",
            f"1 worker {rates[1]:,.0f} cases/s",
            f"{rates[2] / rates[1]:.2f}x",
            rates[2] >= TARGET,
        )
    ]


def markdown(rows: list[str], header: list[str]) -> str:
    return "\n".join(
        [
            *header,
            "",
            "| figure | value | target | anchor | ratio | |",
            "| --- | --- | --- | --- | --- | --- |",
            *rows,
        ]
    )


def _require_clipspy() -> None:
    """The CLIPS anchor needs clipspy: say how to get it instead of a traceback."""
    try:
        import clips  # noqa: F401
    except ImportError:
        sys.exit("bench.py: the CLIPS anchor needs clipspy: pip install -e '.[bench]'")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-verify", action="store_true", help="leave out verify wall time")
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
        "--note", default="", help="a sentence on the machine's state, written above the table"
    )
    args = parser.parse_args()
    _require_clipspy()

    from spinepath.case.loading import validate_case
    from spinepath.kb.loading import knowledge_dir, load_knowledge
    from spinepath.kb.teaching import load_teaching_cases

    kb = load_knowledge()
    teaching = load_teaching_cases(knowledge_dir() / "cases")
    cases = [validate_case(t.case, source=t.file) for t in teaching]
    sample = sample_reduced_space(kb, 400)
    load_before = os.getloadavg()[0]
    rows = engine_rows(kb, cases, sample, args.rounds)
    rows += json_rows(kb, cases, args.rounds)
    if not args.skip_cold:
        rows += cold_start_rows(teaching, args.repeats, args.against)
    if args.batch_cases:
        rows += batch_rows(args.batch_cases)
    if not args.skip_verify:
        rows += verify_rows(kb, sample)
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
        *([args.note] if args.note else []),
    ]
    text = markdown(rows, header)
    print(text)
    if args.write:
        from spinepath.files import replace_atomically

        document = "\n".join(
            [
                "# Benchmarks",
                "",
                f"Generated by `benchmarks/bench.py` (with `--write {args.write}`); "
                "not edited by hand: run it again to renew this page.",
                "What each figure and anchor measures is in the docstring of "
                "`benchmarks/bench.py` and in [the engine notes](engine.md).",
                "",
                text,
                "",
            ]
        )
        replace_atomically(args.write, document.encode("utf-8"), overwrite=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
