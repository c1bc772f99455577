"""The knowledge base: verbatim citations, the contract's vocabulary, and a loader that refuses
bad rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from spinepath.kb.model import GuidelineCitation, SeedCitation
from tests.contract import TREATMENTS
from tests.helpers import KNOWLEDGE, edit, knowledge_problems


def test_stages_and_treatments_are_the_contracts(kb) -> None:
    assert {s.id: tuple(t.id for t in s.treatments) for s in kb.stages} == TREATMENTS


def test_every_seed_quote_is_verbatim_at_its_offsets(kb) -> None:
    quotes = 0
    for rule in kb.rules:
        for citation in rule.citations:
            if isinstance(citation, SeedCitation):
                text = (KNOWLEDGE / "sources" / kb.seeds[citation.source].file).read_text("utf-8")
                assert text[citation.start : citation.end] == citation.quote, rule.id
                quotes += 1
    assert quotes > 50


def test_seed_copies_match_the_shared_seeds(kb) -> None:
    shared = KNOWLEDGE.parent.parent / "shared" / "seeds"
    if not shared.is_dir():
        pytest.skip("the shared seeds are not beside this checkout")
    for seed in kb.seeds.values():
        assert (shared / seed.file).read_bytes() == (KNOWLEDGE / "sources" / seed.file).read_bytes()


def test_every_rule_is_cited(kb) -> None:
    assert all(rule.citations for rule in kb.rules)


def test_guideline_citations_resolve_to_the_register(kb) -> None:
    cited = [c for r in kb.rules for c in r.citations if isinstance(c, GuidelineCitation)]
    assert cited, "the referral rule cites guidelines"
    for citation in cited:
        guideline = kb.guidelines[citation.source]
        assert citation.reference.summary == guideline.sections[citation.reference.section]


def test_rule_ids_are_unique(kb) -> None:
    ids = [rule.id for rule in kb.rules]
    assert len(ids) == len(set(ids))


def test_seeds_are_registered_for_what_they_are(kb) -> None:
    # A forum post is anecdote, essays and articles are opinion; only the spine
    # surgeon's blog is expert opinion (see the header of sources.yaml).
    assert {seed.id: seed.evidence_level for seed in kb.seeds.values()} == {
        "000": "anecdotal",
        "001": "opinion",
        "002": "opinion",
        "003": "expert_opinion",
        "004": "opinion",
    }


def test_knowledge_is_shipped_in_the_wheel_config() -> None:
    pyproject = (KNOWLEDGE.parent / "pyproject.toml").read_text()
    assert '"knowledge" = "spinepath/_knowledge"' in pyproject


def test_loader_refuses_a_quote_that_is_not_verbatim(draft: Path) -> None:
    edit(draft / "rules" / "30_surgical.yaml", "a discectomy is best.", "a discectomy is the best.")
    (problem,) = knowledge_problems(draft)
    assert "surgical.discectomy" in problem
    assert "quote not found verbatim" in problem


def test_loader_refuses_an_unknown_fact(draft: Path) -> None:
    edit(draft / "rules" / "30_surgical.yaml", "    herniation: true\n", "    hernia: true\n")
    assert any(
        "when.hernia: neither a case fact nor an intermediate" in p
        for p in knowledge_problems(draft)
    )


def test_loader_refuses_a_value_outside_the_vocabulary(draft: Path) -> None:
    edit(draft / "rules" / "30_surgical.yaml", "stenosis: laminotomy_relievable", "stenosis: mild")
    assert any("when.stenosis" in p and "'mild'" in p for p in knowledge_problems(draft))


def test_loader_refuses_an_unknown_treatment(draft: Path) -> None:
    edit(draft / "rules" / "30_surgical.yaml", "discectomy: recommended", "dissectomy: recommended")
    assert any("dissectomy is not a treatment id" in p for p in knowledge_problems(draft))


def test_loader_refuses_an_unregistered_guideline_section(draft: Path) -> None:
    edit(draft / "rules" / "00_referral.yaml", 'section: "1.1.1"', 'section: "9.9.9"')
    assert any("section '9.9.9' is not registered" in p for p in knowledge_problems(draft))


def test_loader_refuses_bands_that_leave_a_gap(draft: Path) -> None:
    edit(
        draft / "measures.yaml",
        "{value: six_months_or_more, low: 6,",
        "{value: six_months_or_more, low: 7,",
    )
    assert (
        "measures.yaml, symptom_duration: bands must cover 0 to 600 once each"
        in knowledge_problems(draft)
    )


def test_loader_refuses_a_band_a_rule_does_not_know(draft: Path) -> None:
    edit(
        draft / "rules" / "01_progression.yaml",
        "symptom_duration: under_six_months",
        "symptom_duration: brief",
    )
    assert any("when.symptom_duration: ['brief'] not among" in p for p in knowledge_problems(draft))


def test_every_red_flag_has_an_urgency(draft: Path) -> None:
    edit(draft / "red_flags.yaml", "- id: major_trauma\n", "- id: major_traumas\n")
    problems = knowledge_problems(draft)
    assert "red_flags.yaml: major_traumas is not a red flag of the case" in problems
    assert "red_flags.yaml: red flag major_trauma has no entry" in problems


def test_red_flag_conditions_take_the_screens_only(draft: Path) -> None:
    edit(draft / "rules" / "00_referral.yaml", "red_flags: urgent", "red_flags: maybe")
    assert any(
        p.endswith(
            "when.red_flags: takes any, emergency, urgent, none or null (never asked) (got 'maybe')"
        )
        for p in knowledge_problems(draft)
    )


@pytest.mark.parametrize("name", ["glossary.yaml", "questions.yaml", "red_flags.yaml"])
def test_a_knowledge_file_of_the_wrong_shape_is_a_knowledge_error(draft: Path, name: str) -> None:
    text = "- a\n- b\n" if name != "red_flags.yaml" else "a: b\n"
    (draft / name).write_text(text, encoding="utf-8")
    assert any(f"{name}: must be a" in p for p in knowledge_problems(draft))
