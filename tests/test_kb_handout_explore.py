"""``handout.yaml`` and ``explore.yaml`` belong to the checked knowledge base.

They are read by the loader like every other knowledge file: a misspelt key or a name the
knowledge base does not know is one line naming the file and the field, and a knowledge
directory given to ``knowledge_base(directory)`` brings its own handout words and its own
order for ``explore``.
"""

from __future__ import annotations

from pathlib import Path

from spinepath import api
from tests.helpers import knowledge_problems
from tests.test_knowledge import edit

EXAMPLE = Path(__file__).resolve().parents[1] / "knowledge" / "examples" / "degenerated-disc.yaml"


def test_a_misspelt_key_in_explore_yaml_is_refused(draft: Path) -> None:
    # Before the loader read it, this key would have made every fact "history" silently.
    edit(draft / "explore.yaml", "patient_can_change:", "patient_can_chnge:")
    problems = knowledge_problems(draft)
    assert "explore.yaml: patient_can_chnge: Extra inputs are not permitted" in problems
    assert "explore.yaml: patient_can_change: Field required" in problems


def test_explore_yaml_names_case_facts_once(draft: Path) -> None:
    edit(draft / "explore.yaml", "  - herniation\n", "  - hernation\n  - pain_score\n")
    problems = knowledge_problems(draft)
    assert "explore.yaml: scan_findings: hernation is not a case fact" in problems
    assert "explore.yaml: scan_findings: pain_score is named twice" in problems


def test_handout_yaml_terms_are_checked(draft: Path) -> None:
    edit(draft / "handout.yaml", "  prp: [PRP]\n", "  prp: [platelets]\n  acupuncture: []\n")
    edit(draft / "handout.yaml", "  fusion: [fusion]\n", "")
    problems = knowledge_problems(draft)
    assert "handout.yaml: terms.prp: 'platelets' is not in glossary.yaml" in problems
    assert "handout.yaml: terms.acupuncture: not a treatment or stage id" in problems
    assert "handout.yaml: terms: fusion (a treatment or stage) has no entry" in problems


def test_handout_yaml_words_every_verdict_and_status(draft: Path) -> None:
    edit(draft / "handout.yaml", "  consider: The sources say", "  considr: The sources say")
    problems = knowledge_problems(draft)
    assert any(p.startswith("handout.yaml: verdicts.considr.[key]: ") for p in problems), problems


def test_handout_yaml_missing_words_are_named(draft: Path) -> None:
    edit(draft / "handout.yaml", "  not_addressed: Guidelines", "  # not_addressed: Guidelines")
    edit(draft / "handout.yaml", "  tried: tried\n", "")
    problems = knowledge_problems(draft)
    assert "handout.yaml: guidelines: not_addressed has no words" in problems
    assert "handout.yaml: statuses: tried has no words" in problems


def test_handout_yaml_unknown_top_level_key(draft: Path) -> None:
    edit(draft / "handout.yaml", "contested:", "contestd:")
    problems = knowledge_problems(draft)
    assert "handout.yaml: contestd: Extra inputs are not permitted" in problems
    assert "handout.yaml: contested: Field required" in problems


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
