"""What a cold ``spinepath assess CASE --format json`` loads, on a warm knowledge-base cache.

The time itself is the bench's (``benchmarks/bench.py``, cold-start rows); these tests
hold the structure that time rests on, each of which can be undone by one import:
no YAML or template engine, the knowledge base from the cache and not parsed, and
pydantic's validators built for the case model only (the knowledge-base and pathway
models are put together without validation, ``defer_build``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import KNOWLEDGE

#: Runs the command in this process, then reports on standard error what it loaded.
PROBE = """
import json, sys
LOOKED_FOR = (
    "yaml", "jinja2", "spinepath.strict_yaml",
    "spinepath.batch", "spinepath.interop.commands", "spinepath.web.command",
)
import pydantic
from spinepath.cli import main

try:
    main.main(sys.argv[1:], prog_name="spinepath", standalone_mode=False)
finally:
    sys.stdout.flush()
import spinepath.kb.model as kb_model, spinepath.pathway.model as pathway_model
import spinepath.case.model as case_model

def built(module):
    return sorted(
        name for name, value in vars(module).items()
        if isinstance(value, type) and issubclass(value, pydantic.BaseModel)
        and value.__module__ == module.__name__ and value.__pydantic_complete__
    )

report = {
    "modules": sorted(m for m in LOOKED_FOR if m in sys.modules),
    "built": built(kb_model) + built(pathway_model) + built(case_model),
}
print("PROBE " + json.dumps(report), file=sys.stderr)
"""


def _probe(case: Path, env: dict[str, str]) -> dict[str, list[str]]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "assess", str(case), "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert json.loads(result.stdout)["current_stage"]
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("PROBE ")]
    return json.loads(line.removeprefix("PROBE "))  # type: ignore[no-any-return]


@pytest.fixture
def json_case(tmp_path: Path) -> Path:
    import yaml

    teaching = yaml.safe_load((KNOWLEDGE / "cases" / "19_surgical_fusion.yaml").read_text())
    path = tmp_path / "case.json"
    path.write_text(json.dumps(teaching["case"]), encoding="utf-8")
    return path


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ, SPINEPATH_CACHE_DIR=str(tmp_path / "cache"))
    for name in ("SPINEPATH_NO_CACHE", "SPINEPATH_KNOWLEDGE"):
        env.pop(name, None)
    return env


def test_json_output_on_a_warm_cache_loads_no_yaml_and_validates_only_the_case(
    json_case: Path, tmp_path: Path
) -> None:
    env = _env(tmp_path)
    _probe(json_case, env)  # fills the cache
    report = _probe(json_case, env)
    assert report["modules"] == []
    assert report["built"] == ["Case"]


def test_a_cold_cache_parses_the_knowledge_base_and_builds_its_validators(
    json_case: Path, tmp_path: Path
) -> None:
    # The other side of the test above: the probe does see YAML and validators when
    # they are used, so its empty answers are not for want of looking.
    report = _probe(json_case, {**_env(tmp_path), "SPINEPATH_NO_CACHE": "1"})
    assert "yaml" in report["modules"]
    assert "KnowledgeBase" in report["built"]
    assert "Pathway" not in report["built"]


def test_the_program_sets_the_cyclic_collector_and_the_library_leaves_it() -> None:
    def middle_threshold(code: str) -> int:
        found = subprocess.run(
            [sys.executable, "-c", f"import gc, {code}; print(gc.get_threshold()[1])"],
            capture_output=True,
            text=True,
            check=True,
        )
        return int(found.stdout)

    from spinepath.start import MIDDLE_GENERATION_EVERY

    assert middle_threshold("spinepath.start") == MIDDLE_GENERATION_EVERY
    assert middle_threshold("spinepath, spinepath.api, spinepath.cli") == 10


def test_the_program_starts_without_collecting_then_collects_as_python_does() -> None:
    # No collection while a command starts; after the first one, Python's threshold for
    # the youngest generation again (a long-running command keeps collecting).
    code = (
        "import gc, json, spinepath.start as s\n"
        "first = gc.get_threshold()\n"
        "gc.collect(0)\n"
        "print(json.dumps([first, gc.get_threshold(), s.START_YOUNG, s.MIDDLE_GENERATION_EVERY]))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    first, after, start_young, middle = json.loads(found)
    python = subprocess.run(
        [sys.executable, "-c", "import gc, json; print(json.dumps(gc.get_threshold()))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    python_young, _, python_old = json.loads(python)
    assert first == [start_young, middle, python_old]
    assert after == [python_young, middle, python_old]
    assert start_young > python_young



def test_commands_in_modules_of_their_own_are_there_when_looked_up() -> None:
    # cli.LazyCommands: batch, export and serve are imported on first lookup (the probe
    # above checks that an assessment does not import them); every lookup finds them.
    from spinepath.cli import LazyCommands, main

    assert isinstance(main.commands, LazyCommands)
    names = list(main.commands)
    assert {"batch", "export", "serve", "assess"} <= set(names)
    assert [command.name for command in main.commands.values()] == names
    assert [name for name, _ in main.commands.items()] == names
    assert main.commands.get("serve").name == "serve"
    assert main.commands.get("no-such-command") is None
    assert main.commands.get("no-such-command", "default") == "default"
