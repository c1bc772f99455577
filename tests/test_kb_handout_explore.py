"""``handout.yaml`` and ``explore.yaml`` belong to the checked knowledge base.

They are read by the loader like every other knowledge file: a misspelt key or a name the
knowledge base does not know is one line naming the file and the field, and a knowledge
directory given to ``knowledge_base(directory)`` brings its own handout words and its own
order for ``explore``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from spinepath import api
from tests.helpers import edit, knowledge_problems

EXAMPLE = Path(__file__).resolve().parents[1] / "knowledge" / "examples" / "degenerated-disc.yaml"


#: A broken handout.yaml or explore.yaml: the edits (file, old, new) and the problems the
#: loader must name, each one line naming the file and the field.
BROKEN = {
    # Before the loader read it, this key would have made every fact "history" silently.
    "a misspelt key in explore.yaml": (
        [("explore.yaml", "patient_can_change:", "patient_can_chnge:")],
        [
            "explore.yaml: patient_can_chnge: Extra inputs are not permitted",
            "explore.yaml: patient_can_change: Field required",
        ],
    ),
    "explore.yaml names case facts once": (
        [("explore.yaml", "  - herniation\n", "  - hernation\n  - pain_score\n")],
        [
            "explore.yaml: scan_findings: hernation is not a case fact",
            "explore.yaml: scan_findings: pain_score is named twice",
        ],
    ),
    "handout.yaml terms are checked": (
        [
            ("handout.yaml", "  prp: [PRP]\n", "  prp: [platelets]\n  acupuncture: []\n"),
            ("handout.yaml", "  fusion: [fusion]\n", ""),
        ],
        [
            "handout.yaml: terms.prp: 'platelets' is not in glossary.yaml",
            "handout.yaml: terms.acupuncture: not a treatment or stage id",
            "handout.yaml: terms: fusion (a treatment or stage) has no entry",
        ],
    ),
    "handout.yaml missing words are named": (
        [
            ("handout.yaml", "  not_addressed: Guidelines", "  # not_addressed: Guidelines"),
            ("handout.yaml", "  tried: tried\n", ""),
        ],
        [
            "handout.yaml: guidelines: not_addressed has no words",
            "handout.yaml: statuses: tried has no words",
        ],
    ),
    "handout.yaml unknown top-level key": (
        [("handout.yaml", "contested:", "contestd:")],
        [
            "handout.yaml: contestd: Extra inputs are not permitted",
            "handout.yaml: contested: Field required",
        ],
    ),
}


@pytest.mark.parametrize("broken", BROKEN, ids=list(BROKEN))
def test_a_broken_handout_or_explore_yaml_is_named(draft: Path, broken: str) -> None:
    edits, expected = BROKEN[broken]
    for name, old, new in edits:
        edit(draft / name, old, new)
    problems = knowledge_problems(draft)
    for problem in expected:
        assert problem in problems, problems


def test_handout_yaml_words_every_verdict_and_status(draft: Path) -> None:
    edit(draft / "handout.yaml", "  consider: The sources say", "  considr: The sources say")
    problems = knowledge_problems(draft)
    assert any(p.startswith("handout.yaml: verdicts.considr.[key]: ") for p in problems), problems


def test_a_custom_knowledge_directory_brings_its_handout_and_explore(draft: Path) -> None:
    """The handout's words and explore's order come from the directory given, not from
    the installed knowledge base."""
    edit(draft / "handout.yaml", "contested: Experts disagree", "contested: DRAFT experts differ")
    edit(draft / "explore.yaml", "  - daily_life\n", "")
    edit(draft / "explore.yaml", "  - facet_arthritis\n", "  - facet_arthritis\n  - daily_life\n")
    kb = api.knowledge_base(draft)
    assert kb.handout.contested.startswith("DRAFT experts differ")
    assert kb.explore.kind("daily_life") == "scan"
    assert api.knowledge_base().explore.kind("daily_life") == "patient"

    handout = api.report_html(EXAMPLE, kb=kb, handout=True, date="2026-11-21")
    assert "DRAFT experts differ" in handout
    exploration = api.explore(EXAMPLE, kb=kb)
    kinds = {key: s.kind for s in exploration.single_changes for key in s.set}
    assert kinds["daily_life"] == "scan" and kinds["conservative_care"] == "patient"
