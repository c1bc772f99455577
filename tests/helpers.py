"""Helpers shared by the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spinepath.case.loading import validate_case
from spinepath.pathway.build import assess
from spinepath.pathway.model import Pathway

REPO = Path(__file__).resolve().parent.parent
KNOWLEDGE = REPO / "knowledge"

#: Everything a surgical recommendation needs besides the findings: source 000's gates
#: (failed for "many months", so bad daily life is impossible), red flags checked and
#: absent, and no earlier operation the sources do not cover.
SURGICAL_GATES = {
    "conservative_care": "failed",
    "non_invasive_therapy": "failed",
    "daily_life": "cannot_live_normally",
    "symptom_months": 24,
    "red_flags": [],
    "prior_fusion": False,
    "prior_discectomy": False,
}


def pathway_of(**facts: Any) -> Pathway:
    """The pathway of a case given as keyword arguments (``onset`` defaults to chronic)."""
    facts.setdefault("onset", "chronic")
    return assess(validate_case(facts))
