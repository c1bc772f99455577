"""spinepath batch throughput: cases per second for 10,000 random valid cases.

Run with ``.venv/bin/python benchmarks/bench_batch.py`` (``--cases N``,
``--workers 1 2``). Not a test: it prints each figure with its target. The
cases are random but valid (a contradictory draw is drawn again), from a fixed
seed, so every run assesses the same ones. The time is the wall time of the
whole ``spinepath batch`` command, start-up included, summaries written to a file.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 2000  # cases per second on 2 cores (issue 15)


def random_cases(count: int, seed: int = 15) -> list[dict[str, object]]:
    """``count`` valid cases: each fact stated with probability 0.7, else left out."""
    from spinepath.case.loading import validate_case
    from spinepath.case.model import CASE_KEYS, allowed_values, number_bounds
    from spinepath.errors import CaseError

    rng = random.Random(seed)
    cases: list[dict[str, object]] = []
    while len(cases) < count:
        data: dict[str, object] = {"onset": rng.choice(["acute", "chronic", "acute_on_chronic"])}
        for key in CASE_KEYS:
            if key in ("onset", "label") or rng.random() > 0.7:
                continue
            if key == "red_flags":
                data[key] = [] if rng.random() < 0.9 else ["major_trauma"]
                continue
            values = allowed_values(key)
            if values is None:
                low, high = number_bounds(key)
                data[key] = rng.randint(low, high)
            else:
                data[key] = rng.choice([v for v in values if v is not None])
        try:
            validate_case(data)
        except CaseError:
            continue  # a contradiction (discectomy_outcome without prior_discectomy...)
        cases.append(data)
    return cases


def throughput(count: int, workers: list[int]) -> dict[int, float]:
    """Cases per second of ``spinepath batch`` on ``count`` random valid cases, for each
    number of workers (the runs take turns in the order given)."""
    spinepath = [sys.executable, "-m", "spinepath"]
    rates: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "cases.jsonl"
        source.write_text(
            "".join(json.dumps(c) + "\n" for c in random_cases(count)), encoding="utf-8"
        )
        for number in workers:
            out = Path(folder) / f"out-{number}.jsonl"
            started = time.perf_counter()
            subprocess.run(
                [*spinepath, "batch", str(source), "-o", str(out), "--workers", str(number)],
                check=True,
                capture_output=True,
            )
            seconds = time.perf_counter() - started
            lines = sum(1 for _ in out.open(encoding="utf-8"))
            assert lines == count, (lines, count)
            rates[number] = count / seconds
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    print(f"spinepath batch, {args.cases:,} random valid cases (target {TARGET:,}/s on 2)")
    for workers, rate in throughput(args.cases, args.workers).items():
        print(f"  workers {workers}: {args.cases / rate:6.2f} s  {rate:8,.0f} cases/s")


if __name__ == "__main__":
    main()
