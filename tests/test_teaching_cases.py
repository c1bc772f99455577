"""Every teaching case gives the pathway written down for it by hand, from the sources."""

from __future__ import annotations

import pytest

from spinepath.case.loading import validate_case
from spinepath.kb.teaching import load_teaching_cases
from spinepath.pathway.build import assess
from spinepath.pathway.expected import mismatches
from tests.helpers import KNOWLEDGE

CASES = load_teaching_cases(KNOWLEDGE / "cases")


def test_there_are_enough_teaching_cases() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("teaching", CASES, ids=[c.file for c in CASES])
def test_teaching_case_gives_its_expected_pathway(teaching) -> None:
    pathway = assess(validate_case(teaching.case, source=teaching.file))
    assert mismatches(teaching.expected, pathway) == []


@pytest.mark.parametrize("teaching", CASES, ids=[c.file for c in CASES])
def test_teaching_case_quotes_its_sources_verbatim(teaching, kb) -> None:
    # Each case explains itself with a quoted passage; the quote must be real.
    quotes = [part for i, part in enumerate(teaching.teaches.split('"')) if i % 2 == 1]
    assert quotes, f"{teaching.file}: 'teaches' quotes no passage"
    texts = [seed.text for seed in kb.seeds.values()]
    for quote in quotes:
        normalised = " ".join(quote.split())
        assert any(normalised in " ".join(text.split()) for text in texts), quote


def test_every_rule_fires_in_some_teaching_case(kb) -> None:
    fired: set[str] = set()
    for teaching in CASES:
        pathway = assess(validate_case(teaching.case))
        fired.update(step.rule for step in pathway.trace)
    unfired = sorted({rule.id for rule in kb.rules} - fired)
    assert unfired == []


# --- the checker itself: each way a pathway can differ is reported ------------------


def _fusion():
    teaching = next(c for c in CASES if c.file == "19_surgical_fusion.yaml")
    return teaching.expected, assess(validate_case(teaching.case))


def test_mismatches_of_a_matching_pathway_are_none() -> None:
    expected, pathway = _fusion()
    assert expected.cautions is not None and expected.missing_facts is not None
    assert mismatches(expected, pathway) == []


def test_mismatches_report_the_current_stage() -> None:
    expected, pathway = _fusion()
    wrong = expected.model_copy(update={"current_stage": "non_invasive"})
    assert mismatches(wrong, pathway) == ["current stage: expected non_invasive, got surgical"]


def test_mismatches_report_a_verdict_and_an_absent_option() -> None:
    expected, pathway = _fusion()
    options = {**expected.options, "fusion": "consider", "discectomy": "recommended"}
    wrong = expected.model_copy(update={"options": options})
    assert mismatches(wrong, pathway) == [
        "fusion: expected consider, got recommended",
        "discectomy: expected recommended, got absent",
    ]


def test_mismatches_report_an_option_expected_absent() -> None:
    expected, pathway = _fusion()
    wrong = expected.model_copy(update={"options": {"fusion": "absent"}})
    assert mismatches(wrong, pathway) == ["fusion: expected absent, got recommended"]


def test_mismatches_report_missing_facts_and_cautions() -> None:
    expected, pathway = _fusion()
    wrong = expected.model_copy(
        update={
            "missing_facts": ["muscle_imbalance"],
            "cautions": [*expected.cautions[1:], "not_a_caution"],
        }
    )
    got_cautions = sorted(c.id for c in pathway.cautions)
    assert mismatches(wrong, pathway) == [
        f"missing facts: expected ['muscle_imbalance'], got {sorted(expected.missing_facts)}",
        f"cautions: expected {sorted(wrong.cautions)}, got {got_cautions}",
    ]


def test_mismatches_ignore_what_is_not_expected() -> None:
    expected, pathway = _fusion()
    loose = expected.model_copy(update={"missing_facts": None, "cautions": None, "options": {}})
    assert mismatches(loose, pathway) == []
