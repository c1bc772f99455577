"""Shared fixtures."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from spinepath.kb.loading import load_knowledge
from spinepath.kb.model import KnowledgeBase
from tests.helpers import KNOWLEDGE

_CACHE_DIR = tempfile.mkdtemp(prefix="spinepath-test-cache-")


def pytest_configure(config: pytest.Config) -> None:
    # The suite loads many broken and edited copies of the knowledge base; their
    # cache entries belong in a directory of its own, not in the user's cache.
    os.environ["SPINEPATH_CACHE_DIR"] = _CACHE_DIR
    os.environ.pop("SPINEPATH_NO_CACHE", None)


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_CACHE_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def draft(tmp_path: Path) -> Path:
    """A copy of the knowledge base to break."""
    shutil.copytree(KNOWLEDGE, tmp_path / "knowledge")
    return tmp_path / "knowledge"
