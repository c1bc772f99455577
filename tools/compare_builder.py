"""Time the pathway builder and the JSON writers of a git revision against the working tree.

Usage: ``python tools/compare_builder.py REV [--rounds N]``, from the repository root.

REV's ``pathway/build.py`` and ``jsontext.py`` are imported beside the current
modules (they must still fit them), and the two versions take turns case by
case over the teaching cases in one process, so that load on the machine
weighs on both alike: the builder, ``to_json``, and the line of ``batch
--full`` (before: ``json.dumps`` of pydantic's dump). Each pair is checked for
equal output first. Not a test: it prints medians and ratios.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def module_at(revision: str, path: str, name: str, into: Path) -> ModuleType:
    """The file ``path`` as it is at ``revision``, imported under ``name``."""
    text = subprocess.run(
        ["git", "show", f"{revision}:{path}"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    file = into / f"{name}.py"
    file.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="the git revision to compare with, e.g. main")
    parser.add_argument("--rounds", type=int, default=20, help="rounds over the teaching cases")
    args = parser.parse_args()

    from spinepath.case.loading import validate_case
    from spinepath.engine.runner import engine_for
    from spinepath.kb.loading import knowledge_dir, load_knowledge
    from spinepath.kb.teaching import load_teaching_cases
    from spinepath.pathway.build import build_pathway

    kb = load_knowledge()
    cases = [validate_case(t.case) for t in load_teaching_cases(knowledge_dir() / "cases")]
    engine = engine_for(kb)
    inferences = [engine.infer(case) for case in cases]
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        old_build = module_at(args.revision, "src/spinepath/pathway/build.py", "old_build", where)
        old_json = module_at(args.revision, "src/spinepath/jsontext.py", "old_jsontext", where)
    pathways = [build_pathway(kb, inference) for inference in inferences]

    def old_line(i: int) -> str:
        data = {"record": "line 1", **pathways[i].model_dump(mode="json")}
        return json.dumps(data, sort_keys=True, ensure_ascii=False)

    pairs: dict[str, tuple[Callable[[int], Any], Callable[[int], Any]]] = {
        "pathway builder": (
            lambda i: old_build.build_pathway(kb, inferences[i]),
            lambda i: build_pathway(kb, inferences[i]),
        ),
        "to_json": (
            lambda i: old_json.dumps_model(pathways[i]),
            lambda i: pathways[i].to_json(),
        ),
        "batch --full line": (
            old_line,
            lambda i: pathways[i].to_json_line(record="line 1"),
        ),
    }
    for name, (old, new) in pairs.items():
        for i in range(len(cases)):
            assert old(i) == new(i), f"{name} differs on teaching case {i}"
    times: dict[tuple[str, str], list[float]] = {}
    clock = time.perf_counter
    for _ in range(args.rounds):
        for i in range(len(cases)):
            for name, pair in pairs.items():
                for which, step in zip(("before", "now"), pair, strict=True):
                    started = clock()
                    step(i)
                    times.setdefault((name, which), []).append(clock() - started)
    print(f"{len(cases)} teaching cases, {args.rounds} rounds, medians; before = {args.revision}")
    for name in pairs:
        before = statistics.median(times[(name, "before")])
        now = statistics.median(times[(name, "now")])
        print(f"{name}: {before * 1e3:.3f} ms -> {now * 1e3:.3f} ms ({before / now:.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
