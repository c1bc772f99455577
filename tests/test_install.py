"""spinepath installs and runs: experta through its compatibility module, and the wheel.

The wheel is installed into a fresh venv of each supported Python (3.11, 3.12,
3.13: found on PATH or under pyenv; missing ones skip, and fail in CI) and runs
`spinepath demo` from there, far from the repository, so that it reads only what
the wheel holds.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
from pathlib import Path

import pytest

from spinepath.engine.compat import experta_module
from tests import wheel_support
from tests.wheel_support import SUPPORTED, Dist, require_python

dist = wheel_support.dist  # the session fixture: the built sdist and wheel


def test_experta_runs_a_tiny_engine() -> None:
    experta = experta_module()

    class Greeting(experta.Fact):
        pass

    fired: list[str] = []

    class Engine(experta.KnowledgeEngine):
        @experta.Rule(Greeting(word=experta.L("hello")))
        def answer(self) -> None:
            fired.append("answered")

    engine = Engine()
    engine.reset()
    engine.declare(Greeting(word="hello"))
    engine.run()
    assert fired == ["answered"]


def test_pinned_experta_release_is_the_one_installed() -> None:
    # The compatibility module is written for experta 1.9.4 and its frozendict 1.2 pin.
    assert importlib.metadata.version("experta") == "1.9.4"
    assert importlib.metadata.version("frozendict") == "1.2"


def _run(command: list[str | Path], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, f"{command}: {result.stdout[-2000:]}{result.stderr[-4000:]}"
    return result.stdout


@pytest.mark.parametrize("version", SUPPORTED)
def test_wheel_installs_into_a_fresh_venv_and_runs_the_demo(
    version: str, dist: Dist, tmp_path: Path
) -> None:
    python = require_python(version)
    venv = tmp_path / "venv"
    _run([python, "-m", "venv", venv], cwd=tmp_path)
    _run([venv / "bin" / "python", "-m", "pip", "install", "-q", dist.wheel], cwd=tmp_path)
    # No repository in sight, no cache: what runs is what the wheel holds.
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPINEPATH_")}
    env["SPINEPATH_NO_CACHE"] = "1"
    demo = _run([venv / "bin" / "spinepath", "demo"], cwd=tmp_path, env=env)
    assert demo.startswith("SPINEPATH PATHWAY: ")
    assert "NOT A DIAGNOSIS" in demo
    # Quotes come from the shipped passages, the rest of each article is not there.
    probe = _run(
        [
            venv / "bin" / "python",
            "-c",
            "import sys, spinepath.kb.loading as l, spinepath.kb.passages as p;"
            "kb = l.load_knowledge();"
            "print(sys.version_info[:2] >= (3, 11), l.knowledge_dir().name,"
            " all(p.MASK in s.text for s in kb.seeds.values()))",
        ],
        cwd=tmp_path,
        env=env,
    )
    assert probe.split() == ["True", "_knowledge", "True"]
