"""Helpers shared by the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spinepath.case.loading import validate_case
from spinepath.pathway.build import assess
from spinepath.pathway.model import Pathway

REPO = Path(__file__).resolve().parent.parent
KNOWLEDGE = REPO / "knowledge"

SURGICAL_GATES = {
    "conservative_care": "failed",
    "non_invasive_therapy": "failed",
    "daily_life": "cannot_live_normally",
}


def pathway_of(**facts: Any) -> Pathway:
    """The pathway of a case given as keyword arguments (``onset`` defaults to chronic)."""
    facts.setdefault("onset", "chronic")
    return assess(validate_case(facts))
