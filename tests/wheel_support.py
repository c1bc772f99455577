"""Building spinepath's sdist and wheel once per test session, and finding Pythons.

Used by tests/test_packaging.py (what the wheel holds, the publishing checks) and
tests/test_install.py (the wheel installed into a fresh venv on 3.11, 3.12, 3.13).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import REPO

#: The Python versions spinepath supports; CI installs the wheel on each.
SUPPORTED = ("3.11", "3.12", "3.13")


@dataclass(frozen=True)
class Dist:
    wheel: Path
    sdist: Path


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    """The sdist, and the wheel built from it (as `python -m build` does by default)."""
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (wheel,) = out.glob("spinepath-*.whl")
    (sdist,) = out.glob("spinepath-*.tar.gz")
    return Dist(wheel=wheel, sdist=sdist)


def find_python(version: str) -> str | None:
    """An interpreter of ``version`` (``"3.12"``): on PATH or under pyenv, checked by running it.

    pyenv's shims stand on PATH for every version but answer only for the selected
    ones, so each candidate is asked which version it is.
    """
    candidates = [shutil.which(f"python{version}")]
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates += sorted(glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python{version}"))
    for candidate in filter(None, candidates):
        try:
            found = subprocess.run(
                [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if found.returncode == 0 and found.stdout.strip() == version:
            return candidate
    return None


def require_python(version: str) -> str:
    """The interpreter of ``version``; skipped where missing, but a failure in CI."""
    python = find_python(version)
    if python is None:
        message = f"no Python {version} found (python{version} on PATH or under pyenv)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return python
