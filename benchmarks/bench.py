"""spinepath benchmarks: per-case engine time, cold start, and the wall time of ``verify``.

Run with ``.venv/bin/python benchmarks/bench.py`` (``--skip-verify`` to leave out
the longest figure, ``--repeats N`` for the cold-start runs, ``--against REV`` to
time an earlier revision's cold start in the same turns). Not a test: it
prints a table of each figure with its target, its baseline and the ratio.

Baselines:

- per-case engine time: the same compiled rules on experta as released
  (``spinepath.engine.reference``: experta's own matcher, strategy, ``run``
  loop and ``reset``); the bench first checks that both give the same pathways;
- cold start: one process importing pydantic, jinja2, click and experta. Also
  shown: a start without the knowledge-base cache, and the floor any
  program pays that imports click and experta and builds one pydantic model;
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


def per_case_times(
    engines: dict[str, Any], kb: Any, cases: list[Any], rounds: int
) -> dict[str, list[float]]:
    """Seconds per case for reset, declare, run and building the pathway, for each engine.

    The engines take turns case by case, so that a slow spell of the machine
    weighs on each alike and the ratio stays meaningful.
    """
    from spinepath.pathway.build import build_pathway

    for engine in engines.values():  # warm up
        for case in cases:
            build_pathway(kb, engine.infer(case))
    times: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(rounds):
        for case in cases:
            for name, engine in engines.items():
                started = time.perf_counter()
                build_pathway(kb, engine.infer(case))
                times[name].append(time.perf_counter() - started)
    return times


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-verify", action="store_true", help="leave out verify wall time")
    parser.add_argument("--repeats", type=int, default=15, help="cold-start runs (default 15)")
    parser.add_argument("--rounds", type=int, default=20, help="rounds over the teaching cases")
    parser.add_argument(
        "--against",
        metavar="REV",
        help="also time the cold start of git revision REV, in the same turns",
    )
    args = parser.parse_args()

    from spinepath.case.loading import validate_case
    from spinepath.engine.reference import ReferenceEngine
    from spinepath.engine.runner import engine_for
    from spinepath.kb.loading import knowledge_dir, load_knowledge
    from spinepath.kb.teaching import load_teaching_cases
    from spinepath.pathway.build import build_pathway

    kb = load_knowledge()
    teaching = load_teaching_cases(knowledge_dir() / "cases")
    cases = [validate_case(t.case, source=t.file) for t in teaching]
    engine, stock = engine_for(kb), ReferenceEngine(kb)
    sample = sample_reduced_space(kb, 400)
    for case in cases + sample[:100]:
        same = build_pathway(kb, engine.infer(case)).to_json()
        assert same == build_pathway(kb, stock.infer(case)).to_json(), case
    rows = []
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", file=sys.stderr)

    for label, subject, rounds in (
        (f"{len(cases)} teaching cases", cases, args.rounds),
        (f"{len(sample)} cases of the reduced space", sample, max(2, args.rounds // 8)),
    ):
        timed = per_case_times({"new": engine, "reference": stock}, kb, subject, rounds)
        new, old = timed["new"], timed["reference"]
        for name, fn in (("median", statistics.median), ("p90", lambda v: percentile(v, 0.9))):
            value, base = fn(new) * 1e3, fn(old) * 1e3
            target = "<= 1 ms" if name == "median" else "-"
            ok = value <= 1.0 if name == "median" else None
            rows.append(
                row(
                    f"per case, {name}, {label}",
                    f"{value:.3f} ms",
                    target,
                    f"{base:.3f} ms (reference engine)",
                    f"{value / base:.2f}x",
                    ok,
                )
            )

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
            "cold": (command, env),
            "uncached": (command, {**env, "SPINEPATH_NO_CACHE": "1"}),
        }
        if args.against:
            other = checkout(args.against, Path(tmp) / "against")
            commands["against"] = (
                [python, "-m", "spinepath", "assess", case_file, "--format", "json"],
                {
                    **env,
                    "PYTHONPATH": str(other / "src"),
                    "SPINEPATH_KNOWLEDGE": str(other / "knowledge"),
                },
            )
        try:
            times = interleaved_runs(commands, args.repeats)
        finally:
            if args.against:
                remove_checkout(Path(tmp) / "against")
        jinja = imports_jinja2(case_file)
    # Medians, and minimums beside them: on a shared machine noise only ever adds
    # time, so the minimum is the steadier estimate of what a start costs.
    median = {name: statistics.median(runs) for name, runs in times.items()}
    least = {name: min(runs) for name, runs in times.items()}
    imports = f"{median['imports'] * 1e3:.0f} ms (min {least['imports'] * 1e3:.0f}; imports)"
    for name, label, target in (
        ("cold", "cold start, assess --format json", "<= 1.2x imports, < 300 ms"),
        ("uncached", "cold start without the knowledge-base cache", "-"),
        ("floor", "floor: click, experta and one one-field pydantic model", "-"),
        *([("against", f"cold start at {args.against}", "-")] if args.against else []),
    ):
        ratio, least_ratio = median[name] / median["imports"], least[name] / least["imports"]
        ok = ratio <= 1.2 and median[name] < 0.3 if name == "cold" else None
        rows.append(
            row(
                label,
                f"{median[name] * 1e3:.0f} ms (min {least[name] * 1e3:.0f})",
                target,
                imports,
                f"{ratio:.2f}x (min {least_ratio:.2f}x)",
                ok,
            )
        )
    rows.append(row("jinja2 imported by JSON output", str(jinja), "False", "-", "-", not jinja))

    if not args.skip_verify:
        from spinepath.verify.space import build_space

        started = time.perf_counter()
        result = subprocess.run(
            [*spinepath_command(), "verify", "--format", "json"],
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
        report = json.loads(result.stdout)
        per_case = statistics.median(per_case_times({"new": engine}, kb, sample, 1)["new"])
        workers = report["workers"]
        projected = build_space(kb).reduced_size * per_case / workers
        rows.append(
            row(
                f"verify wall time ({report['space']['checked']:,} cases, {workers} workers)",
                f"{wall:.1f} s",
                "<= 300 s (ideal < 60 s)",
                f"{projected:,.0f} s (value classes, no cones)",
                f"{wall / projected:.3f}x",
                wall <= 300 and result.returncode == 0,
            )
        )

    print("| figure | value | target | baseline | ratio | |")
    print("| --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
