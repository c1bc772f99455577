"""Headlines that say the truth first, and cautions beside the options they undercut:
decided once in the knowledge base and the pathway, read by every output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from spinepath.case.loading import validate_case
from spinepath.cli import main
from spinepath.errors import KnowledgeError
from spinepath.kb.loading import knowledge_dir, parse_knowledge
from spinepath.kb.model import KnowledgeBase
from spinepath.kb.teaching import load_teaching_case
from spinepath.pathway.build import assess
from spinepath.pathway.model import Pathway
from spinepath.render.html import render_report
from tests.helpers import edit

NO_OPERATION = "No operation in the sources fits these findings"


def pathway(name: str, kb: KnowledgeBase) -> Pathway:
    case = load_teaching_case(knowledge_dir() / "cases" / f"{name}.yaml").case
    return assess(validate_case(case), kb)


def output(name: str, tmp_path: Path, output_format: str) -> str:
    """What ``spinepath assess`` prints for a teaching case (the renderers as users see them)."""
    case = tmp_path / f"{name}.json"
    case.write_text(json.dumps(load_teaching_case(knowledge_dir() / "cases" / f"{name}.yaml").case))
    result = CliRunner().invoke(main, ["assess", str(case), "--format", output_format])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_no_operation_heads_every_output(kb: KnowledgeBase, tmp_path: Path) -> None:
    name = "24_uncovered_decompression_no_hypertrophy"
    p = pathway(name, kb)
    assert p.current_stage == "surgical" and p.headline.startswith(NO_OPERATION)
    text = output(name, tmp_path, "text")
    first = next(line for line in text.splitlines() if line.startswith(">> "))
    assert first.startswith(">> " + NO_OPERATION.upper())
    assert f"**{NO_OPERATION}" in output(name, tmp_path, "md")
    assert json.loads(output(name, tmp_path, "json"))["headline"] == p.headline
    html = render_report(p, kb)
    assert html.index(NO_OPERATION) < html.index('id="where"')


def test_an_operation_that_fits_keeps_the_stage_headline(kb: KnowledgeBase) -> None:
    assert pathway("19_surgical_fusion", kb).headline == "Current stage: Surgery"


def test_profit_warning_stands_beside_fusion(kb: KnowledgeBase, tmp_path: Path) -> None:
    p = pathway("19_surgical_fusion", kb)
    fusion = p.option("fusion")
    assert fusion is not None and fusion.cautions == ["consult_experienced_surgeons"]
    assert all(o.cautions == [] for s in p.stages for o in s.options if o.id != "fusion")
    html = render_report(p, kb)
    glance = html[html.index('<div class="glance">') : html.index('id="case"')]
    assert "Spinal fusion" in glance and "most profitable" in glance
    text = output("19_surgical_fusion", tmp_path, "text")
    at_a_glance = text[text.index("AT A GLANCE") : text.index("1. CONSERVATIVE CARE")]
    assert "Caution on Spinal fusion:" in at_a_glance


def test_exercise_relief_questions_every_later_option(kb: KnowledgeBase) -> None:
    p = pathway("31_exercise_relieves_facet_pain", kb)
    caution = next(c for c in p.cautions if c.id == "question_structural_diagnosis")
    later = [o.id for s in p.stages if s.id in ("non_invasive", "surgical") for o in s.options]
    assert later and caution.concerns == later
    for stage in p.stages:
        for option in stage.options:
            assert ("question_structural_diagnosis" in option.cautions) == (option.id in later)


def test_a_caution_must_name_real_options(draft: Path) -> None:
    edit(
        draft / "rules" / "30_surgical.yaml",
        "concerns: [fusion, facetectomy_with_fusion]",
        "concerns: [fusoin]",
    )
    with pytest.raises(KnowledgeError, match="fusoin is not a treatment or stage id"):
        parse_knowledge(draft)
