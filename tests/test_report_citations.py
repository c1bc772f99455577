"""Every citation behind what a report shows appears in it: checked over every teaching case,
so that the example-report snapshot is not the only guard of the citations."""

from __future__ import annotations

import pytest
from markupsafe import escape

from spinepath.case.loading import validate_case
from spinepath.kb.model import GuidelineCitation, KnowledgeBase, SeedCitation
from spinepath.kb.teaching import load_teaching_cases
from spinepath.pathway.build import assess
from spinepath.pathway.model import Pathway
from spinepath.render.html import render_report
from tests.helpers import KNOWLEDGE

CASES = load_teaching_cases(KNOWLEDGE / "cases")


def _shown_rules(pathway: Pathway) -> list[str]:
    """Every rule that fired: the report lists each, with its citations, in firing order."""
    return [step.rule for step in pathway.trace]


def _cited(citation: SeedCitation | GuidelineCitation) -> list[str]:
    """What of a citation must be in the references, as the HTML spells it."""
    if isinstance(citation, SeedCitation):
        return [str(escape(citation.quote))]
    return [str(escape(citation.reference.title)), str(escape(citation.reference.section))]


def missing_citations(pathway: Pathway, kb: KnowledgeBase, document: str) -> list[str]:
    """The citations of the rules the report shows that its references section lacks."""
    references = document[document.find('id="references"') :]
    return [
        f"{rule_id}: {text[:60]}"
        for rule_id in _shown_rules(pathway)
        for citation in kb.rule(rule_id).citations
        for text in _cited(citation)
        if text not in references
    ]


@pytest.mark.parametrize("teaching", CASES, ids=[c.file for c in CASES])
def test_every_citation_of_every_shown_rule_is_in_the_report(
    teaching, kb: KnowledgeBase
) -> None:
    pathway = assess(validate_case(teaching.case), kb)
    document = render_report(pathway, kb)
    assert 'id="references"' in document
    assert missing_citations(pathway, kb, document) == []
    reasoning = document[document.find('id="reasoning"') : document.find('id="references"')]
    for step in pathway.trace:  # every fired rule is listed, in firing order
        assert f'<span class="rule-id">{step.rule}</span>' in reasoning


def test_a_report_that_loses_a_citation_is_caught(kb: KnowledgeBase) -> None:
    """A report made from a knowledge base whose fusion rule lost its citations (and an
    option stripped of them) is caught against the real knowledge base."""
    teaching = next(c for c in CASES if c.file == "19_surgical_fusion.yaml")
    pathway = assess(validate_case(teaching.case), kb)
    stages = [
        stage.model_copy(
            update={
                "options": [
                    o.model_copy(update={"citations": []}) if o.id == "fusion" else o
                    for o in stage.options
                ]
            }
        )
        for stage in pathway.stages
    ]
    stripped = kb.model_copy(
        update={
            "rules": tuple(
                r.model_copy(update={"citations": ()}) if r.id == "surgical.fusion" else r
                for r in kb.rules
            )
        }
    )
    document = render_report(pathway.model_copy(update={"stages": stages}), stripped)
    missing = missing_citations(pathway, kb, document)
    assert missing and all(line.startswith("surgical.fusion: ") for line in missing)
