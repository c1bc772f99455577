"""Shared fixtures."""

from __future__ import annotations

import pytest

from spinepath.kb.loading import load_knowledge
from spinepath.kb.model import KnowledgeBase


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge()
