"""Every teaching case gives the pathway written down for it by hand, from the sources."""

from __future__ import annotations

import pytest

from spinepath.case.loading import validate_case
from spinepath.kb.teaching import load_teaching_cases, mismatches
from spinepath.pathway.build import assess
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
