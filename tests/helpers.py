"""Helpers shared by the tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from spinepath.case.loading import validate_case
from spinepath.errors import KnowledgeError
from spinepath.kb.loading import load_knowledge
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


#: The findings for which source 000 names disc replacement the best option: a degenerated
#: disc, good facet joints, no stenosis, no herniation.
DISC_REPLACEMENT_FINDINGS = {
    "disc_degeneration": True,
    "herniation": False,
    "facet_arthritis": False,
    "facet_hypertrophy": False,
    "stenosis": "none",
}


def pathway_of(**facts: Any) -> Pathway:
    """The pathway of a case given as keyword arguments (``onset`` defaults to chronic)."""
    facts.setdefault("onset", "chronic")
    return assess(validate_case(facts))


def knowledge_problems(directory: Path) -> list[str]:
    """The problems loading the knowledge base in ``directory`` reports (it must fail)."""
    load_knowledge.cache_clear()
    try:
        with pytest.raises(KnowledgeError) as raised:
            load_knowledge(directory)
    finally:
        load_knowledge.cache_clear()
    return raised.value.problems


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first ``old`` in the file at ``path`` with ``new`` (``old`` must be there,
    so that an edit the file has outgrown fails instead of testing nothing)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, (path.name, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
