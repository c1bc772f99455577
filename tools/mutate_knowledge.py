"""Mutation testing of spinepath's rule data: can the test suite tell a wrong rule from a right one?

Code mutation tools (mutmut and the like) cannot see the rules: they live in
``knowledge/rules/*.yaml`` and reach experta as data. So this script mutates the
data. It copies ``knowledge/`` to a temporary directory (one per worker), and
for one mutant at a time rewrites one rules file there and runs the test suite
with ``SPINEPATH_KNOWLEDGE`` pointing at the copy. The kinds of mutant:

- ``flip``: one value of a ``when`` line replaced by another allowed value of
  that key (a list loses one value, or has one value swapped for another), an
  intermediate's ``true``/``false`` swapped, a ``red_flags`` screen changed,
  ``no_option_in`` pointed at another stage;
- ``drop-condition``: one ``when`` line removed;
- ``verdict``: one option's verdict changed to each of the other verdicts;
- ``drop-citation``: one citation removed (the knowledge loader refuses a rule
  with none, so dropping a rule's only citation is "killed by the loader");
- ``drop-rule``: one whole rule removed.

A mutant the loader refuses is not run through the tests; it is counted as
killed, and reported apart. The mutant is "killed" when some test fails (or
the run errors or times out), "survived" when the whole suite passes.

Before any mutant, the suite runs once on an unmutated copy (written back by
the same YAML dumper); if that fails, nothing is measured and the exit code is 2.

Usage (from the repository root)::

    .venv/bin/python tools/mutate_knowledge.py
    .venv/bin/python tools/mutate_knowledge.py --limit 40 --seed 3
    .venv/bin/python tools/mutate_knowledge.py --tests tests/test_teaching_cases.py --json

Exit codes: 0 when the score reaches ``--min-score``, 1 when it does not,
2 when the baseline run fails or the setup is wrong.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import queue
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from spinepath.case.model import same_value, spelled
from spinepath.kb.model import VERDICT_ORDER as VERDICTS

REPO = Path(__file__).resolve().parent.parent
KNOWLEDGE = REPO / "knowledge"
KINDS = ("flip", "drop-condition", "verdict", "drop-citation", "drop-rule")
#: Test files never run against mutants by default: the property tests (slow, and
#: random), and tests of style and installation, which read no knowledge.
DEFAULT_EXCLUDED = ("test_properties.py", "test_style.py", "test_install.py")
#: Test files whose names contain one of these are skipped by default (slow checks).
EXCLUDED_WORDS = ("slow", "verify")
#: Test files run first, so that ``-x`` stops early on a killed mutant.
RUN_FIRST = ("test_teaching_cases.py", "test_pathway.py", "test_knowledge.py")


@dataclass(frozen=True)
class Mutant:
    """One change to one rule: ``kind``, where, and the change in words."""

    kind: str
    file: str
    index: int
    rule: str
    description: str
    change: dict[str, Any] = field(repr=False)

    @property
    def id(self) -> str:
        """A stable name for the mutant."""
        return f"{self.kind}:{self.rule}:{self.description}"


@dataclass
class Result:
    """What became of one mutant."""

    mutant: Mutant
    outcome: str  # "killed", "killed_by_loader", "survived"
    detail: str = ""
    seconds: float = 0.0


# --- reading and writing rule data -----------------------------------------------------------


def yaml_loader() -> type:
    """The strict YAML loader the knowledge base is read with (so that round trips agree)."""
    sys.path.insert(0, str(REPO / "src"))
    from spinepath.strict_yaml import StrictYamlLoader

    return StrictYamlLoader


def read_rules(path: Path) -> list[dict[str, Any]]:
    """The rules of one rules file, as plain data."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml_loader()) or []


def dump_rules(rules: list[dict[str, Any]]) -> str:
    """Rules as YAML text the knowledge loader reads back to the same data."""
    return yaml.safe_dump(rules, sort_keys=False, allow_unicode=True, width=10_000)


def check_round_trip(rule_files: dict[str, list[dict[str, Any]]]) -> None:
    """Refuse to run if dumping and reloading a rules file changes its data."""
    for name, rules in rule_files.items():
        again = yaml.load(dump_rules(rules), Loader=yaml_loader())
        if again != rules:
            raise SystemExit(f"mutate_knowledge: {name} does not survive a YAML round trip")


# --- the vocabulary a flip may use ----------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    """What a ``when`` line may test: case keys with their values, intermediates, stages."""

    values: dict[str, tuple[object, ...]]
    intermediates: frozenset[str]
    stages: tuple[str, ...]


def vocabulary(knowledge: Path) -> Vocabulary:
    """The vocabulary of the case model and of ``knowledge``."""
    sys.path.insert(0, str(REPO / "src"))
    from spinepath.case.model import CASE_KEYS, allowed_values

    values = {key: allowed_values(key) for key in CASE_KEYS}
    loader = yaml_loader()
    intermediates = yaml.load(
        (knowledge / "intermediates.yaml").read_text(encoding="utf-8"), Loader=loader
    )
    stages = yaml.load((knowledge / "treatments.yaml").read_text(encoding="utf-8"), Loader=loader)
    measures = yaml.load((knowledge / "measures.yaml").read_text(encoding="utf-8"), Loader=loader)
    for measure in measures:
        values[measure["name"]] = (*(band["value"] for band in measure["bands"]), None)
    values["red_flags"] = ("any", "emergency", "urgent", "none", None)
    return Vocabulary(
        values={key: found for key, found in values.items() if found is not None},
        intermediates=frozenset(item["name"] for item in intermediates),
        stages=tuple(stage["id"] for stage in stages),
    )


def shown(value: object) -> str:
    """A ``when`` value as YAML spells it."""
    if isinstance(value, list):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    return "null" if value is None else spelled(value)


# --- generating mutants ------------------------------------------------------------------------


def flips(subject: str, value: Any, vocab: Vocabulary) -> list[Any]:
    """Every other value a ``when`` line could take, one change away."""
    if subject == "no_option_in":
        return [stage for stage in vocab.stages if stage != value]
    if subject in vocab.intermediates:
        return [not value]
    allowed = vocab.values.get(subject, ())
    current = value if isinstance(value, list) else [value]
    variants: list[list[Any]] = []
    if len(current) > 1:
        variants += [current[:i] + current[i + 1 :] for i in range(len(current))]
    others = [a for a in allowed if not any(same_value(a, c) for c in current)]
    for i in range(len(current)):
        variants += [[*current[:i], other, *current[i + 1 :]] for other in others]
    return [variant[0] if len(variant) == 1 else variant for variant in variants]


def mutants_of_rule(file: str, index: int, rule: dict[str, Any], vocab: Vocabulary) -> list[Mutant]:
    """Every mutant of one rule."""
    rule_id = str(rule.get("id", f"{file}#{index}"))
    found: list[Mutant] = []

    def add(kind: str, description: str, **change: Any) -> None:
        found.append(Mutant(kind, file, index, rule_id, description, change))

    when = rule.get("when") or {}
    for subject, value in when.items():
        for other in flips(subject, value, vocab):
            add("flip", f"when.{subject}: {shown(value)} -> {shown(other)}", when={subject: other})
        add("drop-condition", f"when.{subject}: {shown(value)} dropped", drop_when=subject)
    for option, verdict in (rule.get("then") or {}).get("options", {}).items():
        for other in VERDICTS:
            if other != verdict:
                add("verdict", f"{option}: {verdict} -> {other}", verdict={option: other})
    citations = rule.get("citations") or []
    for position, citation in enumerate(citations):
        what = citation.get("quote") or citation.get("section") or "?"
        short = what if len(what) <= 50 else what[:47] + "..."
        alone = " (its only citation)" if len(citations) == 1 else ""
        add(
            "drop-citation",
            f"citation {position + 1} of {citation.get('source')} dropped{alone}: {short!r}",
            drop_citation=position,
        )
    add("drop-rule", "whole rule dropped", drop_rule=True)
    return found


def all_mutants(knowledge: Path, vocab: Vocabulary) -> list[Mutant]:
    """Every mutant of every rules file, in file order."""
    found: list[Mutant] = []
    for path in sorted((knowledge / "rules").glob("*.yaml")):
        for index, rule in enumerate(read_rules(path)):
            found += mutants_of_rule(path.name, index, rule, vocab)
    return found


def apply(rules: list[dict[str, Any]], mutant: Mutant) -> list[dict[str, Any]]:
    """A mutated deep copy of one file's rules."""
    rules = copy.deepcopy(rules)
    rule = rules[mutant.index]
    change = mutant.change
    if "drop_rule" in change:
        del rules[mutant.index]
    elif "when" in change:
        rule["when"].update(change["when"])
    elif "drop_when" in change:
        del rule["when"][change["drop_when"]]
    elif "verdict" in change:
        rule["then"]["options"].update(change["verdict"])
    elif "drop_citation" in change:
        del rule["citations"][change["drop_citation"]]
    return rules


# --- running the suite --------------------------------------------------------------------------


def test_paths(given: list[str] | None) -> list[str]:
    """The test files to run: those given, or every test file but the excluded ones."""
    if given:
        return given
    files = [
        path
        for path in sorted((REPO / "tests").glob("test_*.py"))
        if path.name not in DEFAULT_EXCLUDED
        and not any(word in path.name for word in EXCLUDED_WORDS)
    ]
    files.sort(key=lambda p: RUN_FIRST.index(p.name) if p.name in RUN_FIRST else len(RUN_FIRST))
    return [str(path.relative_to(REPO)) for path in files]


def run_suite(copy_dir: Path, tests: list[str], timeout: float) -> tuple[bool, str]:
    """Run ``tests`` against the knowledge base in ``copy_dir``: (passed, what failed first)."""
    env = {**os.environ, "SPINEPATH_KNOWLEDGE": str(copy_dir), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-x",
        "-q",
        "-p",
        "no:cacheprovider",
        "-m",
        "not slow",
        "--no-header",
        "-o",
        "addopts=",
        *tests,
    ]
    try:
        done = subprocess.run(
            command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return False, f"timed out after {timeout:.0f} s"
    if done.returncode == 0:
        return True, ""
    return False, first_failure(done.stdout + done.stderr, done.returncode)


def first_failure(output: str, returncode: int) -> str:
    """The first failing test named in pytest's output, or its exit code."""
    match = re.search(r"^(?:FAILED|ERROR) (\S+)", output, re.MULTILINE)
    return match.group(1) if match else f"pytest exit code {returncode}"


def loader_refuses(copy_dir: Path) -> str:
    """Why the knowledge loader refuses the knowledge base in ``copy_dir`` ("" if it loads)."""
    sys.path.insert(0, str(REPO / "src"))
    from spinepath.errors import SpinepathError
    from spinepath.kb.loading import parse_knowledge

    try:
        parse_knowledge(copy_dir)  # no cache, in memory or on disk: every mutant is new
    except SpinepathError as error:
        return "; ".join(error.problems)[:200]
    except Exception as error:  # a crash of the loader refuses the mutant too
        return f"{type(error).__name__}: {error}"[:200]
    return ""


class Worker:
    """A private copy of the knowledge base in which one mutant at a time is written."""

    def __init__(self, source: Path, rule_files: dict[str, list[dict[str, Any]]]) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="spinepath-mutant-"))
        self.knowledge = self.root / "knowledge"
        shutil.copytree(source, self.knowledge)
        self.rule_files = rule_files
        for name, rules in rule_files.items():
            self._write(name, rules)

    def _write(self, name: str, rules: list[dict[str, Any]]) -> None:
        (self.knowledge / "rules" / name).write_text(dump_rules(rules), encoding="utf-8")

    def try_mutant(self, mutant: Mutant, tests: list[str], timeout: float) -> Result:
        """Write ``mutant``, judge it, and put the file back."""
        started = time.monotonic()
        self._write(mutant.file, apply(self.rule_files[mutant.file], mutant))
        try:
            refused = loader_refuses(self.knowledge)
            if refused:
                outcome, detail = "killed_by_loader", refused
            else:
                passed, detail = run_suite(self.knowledge, tests, timeout)
                outcome = "survived" if passed else "killed"
        finally:
            self._write(mutant.file, self.rule_files[mutant.file])
        return Result(mutant, outcome, detail, time.monotonic() - started)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def run_all(
    mutants: list[Mutant],
    workers: list[Worker],
    tests: list[str],
    timeout: float,
) -> list[Result]:
    """Judge every mutant, each worker taking the next one; progress on stderr."""
    todo: queue.Queue[tuple[int, Mutant]] = queue.Queue()
    for numbered in enumerate(mutants):
        todo.put(numbered)
    results: list[Result | None] = [None] * len(mutants)
    lock = threading.Lock()
    done = [0]
    failures: list[BaseException] = []

    def work(worker: Worker) -> None:
        while True:
            try:
                position, mutant = todo.get_nowait()
            except queue.Empty:
                return
            try:
                result = worker.try_mutant(mutant, tests, timeout)
            except Exception as error:  # a crashed worker must not pass for a clean score
                with lock:
                    failures.append(error)
                return
            with lock:
                results[position] = result
                done[0] += 1
                progress(done[0], len(mutants), result)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"mutation run failed: {failures[0]!r}")
    return [result for result in results if result is not None]


def progress(done: int, total: int, result: Result) -> None:
    """One line on stderr per judged mutant."""
    width = len(str(total))
    print(
        f"[{done:>{width}}/{total}] {result.outcome:<16} {result.seconds:5.1f}s  "
        f"{result.mutant.kind} {result.mutant.rule}  {result.mutant.description}",
        file=sys.stderr,
        flush=True,
    )


# --- reporting -------------------------------------------------------------------------------


def summary(results: list[Result], seconds: float, min_score: float) -> dict[str, Any]:
    """The figures of a run, and every survivor."""
    count = {o: sum(r.outcome == o for r in results) for o in ("killed", "killed_by_loader")}
    survivors = [r for r in results if r.outcome == "survived"]
    total = len(results)
    killed = count["killed"] + count["killed_by_loader"]
    return {
        "total": total,
        "killed": killed,
        "killed_by_tests": count["killed"],
        "killed_by_loader": count["killed_by_loader"],
        "survived": len(survivors),
        "score": killed / total if total else 1.0,
        "score_of_tested": count["killed"] / (total - count["killed_by_loader"])
        if total > count["killed_by_loader"]
        else 1.0,
        "min_score": min_score,
        "runtime_seconds": round(seconds, 1),
        "by_kind": {
            kind: {
                "total": sum(r.mutant.kind == kind for r in results),
                "survived": sum(r.mutant.kind == kind for r in survivors),
            }
            for kind in KINDS
        },
        "survivors": [_described(r) for r in survivors],
        "killed_by_loader_list": [
            _described(r) for r in results if r.outcome == "killed_by_loader"
        ],
    }


def _described(result: Result) -> dict[str, Any]:
    described = asdict(result.mutant)
    described.pop("change")
    return {"id": result.mutant.id, **described, "detail": result.detail}


def text_report(report: dict[str, Any], tests: list[str]) -> str:
    """The report for people."""
    lines = [
        "spinepath knowledge mutation testing",
        f"  tests run:         {' '.join(tests)}",
        f"  mutants:           {report['total']}",
        f"  killed:            {report['killed']}"
        f"  ({report['killed_by_tests']} by tests, {report['killed_by_loader']} by the loader)",
        f"  killed by loader:  {report['killed_by_loader']}",
        f"  survived:          {report['survived']}",
        f"  score:             {report['score']:.3f} (killed/total; minimum {report['min_score']})",
        f"  score of tested:   {report['score_of_tested']:.3f} (leaving out loader kills)",
        f"  runtime:           {report['runtime_seconds']} s",
        "  by kind:           "
        + ", ".join(
            f"{kind} {v['total'] - v['survived']}/{v['total']}"
            for kind, v in report["by_kind"].items()
        ),
    ]
    if report["killed_by_loader_list"]:
        lines.append("Killed by the loader:")
        lines += [
            f"  {m['kind']:<15} {m['rule']}  {m['description']}  [{m['file']}]"
            for m in report["killed_by_loader_list"]
        ]
    lines.append("Survivors:" if report["survivors"] else "Survivors: none")
    lines += [
        f"  {m['kind']:<15} {m['rule']}  {m['description']}  [{m['file']}]"
        for m in report["survivors"]
    ]
    return "\n".join(lines) + "\n"


# --- the command line --------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Mutation testing of spinepath's rule data (knowledge/rules/*.yaml).",
    )
    parser.add_argument(
        "--tests",
        action="append",
        metavar="PATH",
        help="a test file or directory to run against each mutant (repeatable; default: "
        "tests/test_*.py except the property, style, install, slow and verify tests)",
    )
    parser.add_argument(
        "--deselect",
        action="append",
        default=[],
        metavar="NODEID",
        help="a test to leave out, as pytest's --deselect (repeatable)",
    )
    parser.add_argument("--limit", type=int, help="judge a random sample of N mutants")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample (default 0)")
    parser.add_argument(
        "--kinds",
        default=",".join(KINDS),
        help=f"comma-separated kinds of mutant (default: all: {','.join(KINDS)})",
    )
    parser.add_argument("--workers", type=int, default=2, help="parallel workers (default 2)")
    parser.add_argument(
        "--min-score", type=float, default=0.95, help="fail below this score (default 0.95)"
    )
    parser.add_argument(
        "--timeout", type=float, default=300, help="seconds per test run (default 300)"
    )
    parser.add_argument("--json", action="store_true", help="print a JSON report on stdout")
    parser.add_argument(
        "--rerun",
        type=Path,
        metavar="REPORT",
        help="judge again only the survivors of an earlier --json report",
    )
    parser.add_argument(
        "--knowledge", type=Path, default=KNOWLEDGE, help="the knowledge base to mutate"
    )
    return parser.parse_args(argv)


def select(mutants: list[Mutant], kinds: str, limit: int | None, seed: int) -> list[Mutant]:
    """The mutants of the kinds asked for, sampled to ``limit`` if given."""
    wanted = {kind.strip() for kind in kinds.split(",") if kind.strip()}
    unknown = wanted - set(KINDS)
    if unknown:
        raise SystemExit(f"mutate_knowledge: unknown kinds {sorted(unknown)}; use {KINDS}")
    chosen = [m for m in mutants if m.kind in wanted]
    if limit is not None and limit < len(chosen):
        positions = sorted(random.Random(seed).sample(range(len(chosen)), limit))
        chosen = [chosen[p] for p in positions]
    return chosen


def main(argv: list[str] | None = None) -> int:
    """Run the mutants; return the exit code."""
    args = parse_args(argv)
    knowledge = args.knowledge.resolve()
    rule_files = {p.name: read_rules(p) for p in sorted((knowledge / "rules").glob("*.yaml"))}
    check_round_trip(rule_files)
    everything = all_mutants(knowledge, vocabulary(knowledge))
    if args.rerun:
        earlier = json.loads(args.rerun.read_text(encoding="utf-8"))
        wanted = {survivor["id"] for survivor in earlier["survivors"]}
        everything = [mutant for mutant in everything if mutant.id in wanted]
    mutants = select(everything, args.kinds, args.limit, args.seed)
    tests = test_paths(args.tests) + [f"--deselect={node}" for node in args.deselect]
    workers = [Worker(knowledge, rule_files) for _ in range(max(1, args.workers))]
    started = time.monotonic()
    try:
        print(f"baseline: running {' '.join(tests)} on an unmutated copy", file=sys.stderr)
        passed, failure = run_suite(workers[0].knowledge, tests, args.timeout)
        if not passed:
            print(f"mutate_knowledge: the unmutated suite fails ({failure});", file=sys.stderr)
            print("fix it or choose tests with --tests before measuring", file=sys.stderr)
            return 2
        print(f"baseline passed; judging {len(mutants)} mutants", file=sys.stderr)
        results = run_all(mutants, workers, tests, args.timeout)
    finally:
        for worker in workers:
            worker.close()
    report = summary(results, time.monotonic() - started, args.min_score)
    if args.json:
        print(json.dumps({**report, "tests": tests}, indent=2, ensure_ascii=False))
    else:
        print(text_report(report, tests), end="")
    return 0 if report["score"] >= args.min_score else 1


if __name__ == "__main__":
    sys.exit(main())
