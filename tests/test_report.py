"""The HTML report, the Markdown output and ``spinepath report``: content, escaping,
determinism, output-path rules, and the example reports in reports/ being current."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner
from markupsafe import escape

from spinepath.cli import main
from spinepath.kb.model import KnowledgeBase, SeedCitation
from spinepath.pathway.model import Pathway
from spinepath.render.html import render_report
from spinepath.render.markdown import md_escape, render_markdown
from spinepath.render.output import report_date
from tests.helpers import REPO, SURGICAL_GATES, pathway_of

EVIL = "<script>alert(1)</script> & \"quotes\" 'x' </style>"
CASE_YAML = (
    "label: Mrs Example\nonset: chronic\nred_flags: []\nsymptom_months: 24\n"
    "prior_discectomy: false\nprior_fusion: false\ndisc_degeneration: true\nherniation: false\n"
    "facet_arthritis: true\nfacet_hypertrophy: false\nstenosis: none\n"
    "conservative_care: failed\nnon_invasive_therapy: failed\n"
    "daily_life: cannot_live_normally\n"
)


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_reports", REPO / "tools/make_reports.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def case_file(tmp_path: Path) -> Path:
    path = tmp_path / "case.yaml"
    path.write_text(CASE_YAML)
    return path


@pytest.fixture
def fusion() -> Pathway:
    return pathway_of(label="Mrs Example", disc_degeneration=True, facet_arthritis=True,
                      herniation=False, facet_hypertrophy=False, stenosis="none",
                      **SURGICAL_GATES)  # fmt: skip


def seed_quotes(pathway: Pathway) -> list[str]:
    citations = [c for s in pathway.stages for o in s.options for c in o.citations]
    citations += [c for caution in pathway.cautions for c in caution.citations]
    return [c.quote for c in citations if isinstance(c, SeedCitation)]


def articles(document: str) -> list[str]:
    return re.findall(r'<article class="option.*?</article>', document, re.S)


# --- content -------------------------------------------------------------------------


def test_report_holds_every_part(fusion: Pathway, kb: KnowledgeBase) -> None:
    document = render_report(fusion, kb, date="2026-11-21")
    assert document.startswith("<!DOCTYPE html>")
    assert document.count("<strong>Not a diagnosis.</strong>") == 2  # top and bottom
    top, bottom = document.find('class="disclaimer"'), document.rfind('class="disclaimer"')
    assert top < document.find(">Where the case stands<") < document.find(">References<") < bottom
    for heading in ("The case", "Cautions", "Facts that would decide", "References"):
        assert f">{heading}</h2>" in document
    assert '<svg class="ladder"' in document and "The case is here" in document
    assert document.count("step-current") == 1
    assert "Prepared 2026-11-21" in document
    for stage in fusion.stages:
        for option in stage.options:
            assert escape(option.rationale) in document
    notes = sum(len(stage.guideline_notes) for stage in fusion.stages)
    assert document.count("Guideline note · not from the seeds") == notes > 0


def test_citations_link_to_references_holding_the_quotes(
    fusion: Pathway, kb: KnowledgeBase
) -> None:
    document = render_report(fusion, kb)
    targets = set(re.findall(r'href="#ref-(\d+)"', document))
    anchors = re.findall(r'<li id="ref-(\d+)">', document)
    assert anchors == [str(n) for n in range(1, len(anchors) + 1)]
    assert targets == set(anchors)
    references = document[document.find('id="references"') :]
    for quote in seed_quotes(fusion):
        assert escape(quote) in references
    assert "source 000, paragraph 3 (characters" in references.lower()
    assert "https://www.nice.org.uk/guidance/ng59" in references


def test_diverging_verdict_never_looks_settled(fusion: Pathway, kb: KnowledgeBase) -> None:
    document = render_report(fusion, kb)
    flagged = 0
    for stage in fusion.stages:
        for option in stage.options:
            article = next(a for a in articles(document) if f"<h3>{option.name}</h3>" in a)
            contested = option.contested  # decided once, in the pathway
            assert ("the seeds' view; guidelines diverge" in article) == contested
            flagged += contested
    assert flagged and fusion.option("fusion").verdict == "recommended"  # type: ignore[union-attr]
    glance = document[document.find('class="glance"') : document.find('id="case"')]
    assert re.search(r"Spinal fusion <span class=\"flag-diverges\">", glance)


def test_contested_depends_on_the_case(kb: KnowledgeBase) -> None:
    """Discectomy agrees with guidelines for sciatica, and diverges without nerve compression:
    the report, the text and the what-if read the same predicate."""
    facts = dict(herniation=True, disc_degeneration=False, **SURGICAL_GATES)
    with_sciatica = pathway_of(nerve_compression=True, **facts).option("discectomy")
    without = pathway_of(nerve_compression=False, **facts).option("discectomy")
    assert with_sciatica is not None and without is not None
    assert (with_sciatica.contested, without.contested) == (False, True)
    assert without.evidence.concordance == "diverges"
    document = render_report(pathway_of(nerve_compression=False, **facts), kb)
    article = next(a for a in articles(document) if "<h3>Discectomy</h3>" in a)
    assert "the seeds' view; guidelines diverge" in article
    from spinepath.render.text import render_pathway

    text = render_pathway(pathway_of(nerve_compression=False, **facts), kb)
    assert "Discectomy: RECOMMENDED (the seeds' view; guidelines diverge)" in text


def test_case_text_is_escaped(kb: KnowledgeBase) -> None:
    pathway = pathway_of(label=EVIL)
    document = render_report(pathway, kb)
    assert "<script" not in document.lower()
    assert "</style> &" not in document
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document
    style = document[document.find("<style>") + 7 : document.find("</style>")]
    assert "<" not in style  # the running header is hex-escaped
    assert "\\00003c script\\00003e alert" in style


def test_report_is_self_contained(fusion: Pathway, kb: KnowledgeBase) -> None:
    document = render_report(fusion, kb)
    for forbidden in ("<script", "<link", "<img", "<iframe", "@import", "url(", " src="):
        assert forbidden not in document.lower()


def test_report_is_deterministic_and_undated_by_default(fusion: Pathway, kb: KnowledgeBase) -> None:
    assert render_report(fusion, kb) == render_report(fusion, kb)
    assert "Prepared" not in render_report(fusion, kb)
    assert "size: letter;" in render_report(fusion, kb, paper="letter")
    assert "size: A4;" in render_report(fusion, kb)


def test_report_date_rules() -> None:
    assert report_date(None, {}, today=dt.date(2026, 12, 3)) == "2026-12-03"  # today by default
    assert report_date(None, {"SOURCE_DATE_EPOCH": "0"}) == "1970-01-01"
    assert report_date(None, {"SOURCE_DATE_EPOCH": "1795305600"}) == "2026-11-22"
    assert report_date("2026-02-03", {"SOURCE_DATE_EPOCH": "0"}) == "2026-02-03"


def test_evidence_option_adds_positions(fusion: Pathway, kb: KnowledgeBase) -> None:
    plain, full = render_report(fusion, kb), render_report(fusion, kb, show_evidence=True)
    label = '<span class="position-label">The seeds (anecdotal):</span>'
    assert label not in plain and label in full
    assert len(re.findall(r'<li id="ref-', full)) >= len(re.findall(r'<li id="ref-', plain))


# --- spinepath report ------------------------------------------------------------------


def test_report_command_default_path_and_no_overwrite(
    runner: CliRunner, case_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = runner.invoke(main, ["report", str(case_file), "--date", "2026-11-21"])
    assert first.exit_code == 0, first.output
    written = tmp_path / "case.report.html"
    assert first.stdout.strip() == str(written)
    original = written.read_bytes()
    assert b"Prepared 2026-11-21" in original and b"Mrs Example" in original

    again = runner.invoke(main, ["report", str(case_file)])
    assert again.exit_code == 2 and again.stdout == ""
    assert again.stderr == (
        "spinepath: error: case.report.html: already exists (use --force to replace it)\n"
    )
    assert written.read_bytes() == original

    forced = runner.invoke(main, ["report", str(case_file), "--force", "--date", "2026-11-21"])
    assert forced.exit_code == 0
    assert written.read_bytes() == original  # byte-identical for the same case and date
    assert sorted(p.name for p in written.parent.iterdir()) == [  # no temp files
        "case.report.html",
        "case.yaml",
    ]


def test_report_command_source_date_epoch(
    runner: CliRunner, case_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    out = tmp_path / "out" / "x.html"
    out.parent.mkdir()
    result = runner.invoke(main, ["report", str(case_file), "-o", str(out), "--paper", "letter"])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "Prepared 1970-01-01" in text and "size: letter;" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "../x.html"], "'..' is not allowed in an output path"),
        (["-o", "sub/../x.html"], "'..' is not allowed in an output path"),
        (["-o", "x.pdf"], "an HTML report needs a .html or .htm file name (use --pdf"),
        (["-o", "x.html", "--date", "21/11/2026"], "--date: must be a date as YYYY-MM-DD"),
        (["-o", "link.html"], "link.html: is a symbolic link; refusing to write through it"),
        (["-o", "folder.html"], "folder.html: is a directory"),
    ],
)
def test_report_command_refusals(
    runner: CliRunner,
    case_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    (tmp_path / "link.html").symlink_to(outside)
    (tmp_path / "folder.html").mkdir()
    result = runner.invoke(main, ["report", str(case_file), *args, "--force"])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("spinepath: error: ")
    assert message in lines[0]
    assert outside.read_text() == "keep me"
    assert not (tmp_path.parent / "x.html").exists()


def test_report_command_bad_case_writes_nothing(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text("onset: sudden\n")
    result = runner.invoke(main, ["report", str(bad)])
    assert result.exit_code == 2 and "onset: must be one of" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_pdf_without_weasyprint_says_how_to_get_it(
    runner: CliRunner, case_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import fails as if not installed
    result = runner.invoke(main, ["report", str(case_file), "--pdf", "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2
    assert result.stdout == "" and "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert "pip install 'spinepath[pdf]'" in lines[0] and "libpango-1.0-0" in lines[0]
    assert not (tmp_path / "x.pdf").exists()


def test_pdf_when_pango_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    from spinepath.render import pdf

    class Broken:
        def find_spec(self, name: str, *args: object) -> None:
            if name == "weasyprint":
                raise OSError("cannot load library 'libgobject-2.0-0': not found")

    monkeypatch.delitem(sys.modules, "weasyprint", raising=False)
    monkeypatch.setattr(sys, "meta_path", [Broken(), *sys.meta_path])
    with pytest.raises(pdf.PdfUnavailable) as caught:
        pdf.require_weasyprint()
    assert len(caught.value.problems) == 1
    assert "libgobject-2.0-0" in caught.value.problems[0]


# --- Markdown --------------------------------------------------------------------------


def test_markdown_output(runner: CliRunner, case_file: Path) -> None:
    result = runner.invoke(main, ["assess", str(case_file), "--format", "md"])
    assert result.exit_code == 0
    text = result.stdout
    assert text.startswith("# spinepath pathway: Mrs Example\n")
    assert text.count("**NOT A DIAGNOSIS.**") == 2
    assert "### Spinal fusion: RECOMMENDED (the seeds' view; guidelines diverge)" in text
    assert (
        '> "If there is dic degeneration and facet arthritis then fusion is recommended."' in text
    )
    assert "> — source 000, paragraph 3 (characters" in text
    assert "**Guideline note, not from the seeds:**" in text
    assert "\n\n\n" not in text


def test_markdown_quotes_every_seed_passage(fusion: Pathway, kb: KnowledgeBase) -> None:
    text = render_markdown(fusion, kb)
    for quote in seed_quotes(fusion):
        assert f'> "{md_escape(quote)}"' in text


def test_markdown_escapes_the_label(kb: KnowledgeBase) -> None:
    text = render_markdown(pathway_of(label="[x](javascript:1) <b>|"), kb)
    assert "# spinepath pathway: \\[x\\](javascript:1) \\<b\\>\\|" in text
    assert "<b>" not in text


def test_demo_markdown(runner: CliRunner) -> None:
    result = runner.invoke(main, ["demo", "--format", "md", "--evidence"])
    assert result.exit_code == 0
    assert "**Guidelines (guidelines diverge):**" in result.stdout


def test_rules_has_no_markdown(runner: CliRunner) -> None:
    assert runner.invoke(main, ["rules", "--format", "md"]).exit_code == 2


# --- reports/ ------------------------------------------------------------------------


def test_example_reports_are_current() -> None:
    """Fails when reports/ is stale: run `.venv/bin/python tools/make_reports.py`."""
    fresh = load_tool().html_reports()
    committed = {p.name: p.read_bytes() for p in (REPO / "reports").glob("*.html")}
    assert sorted(committed) == sorted(fresh), "run .venv/bin/python tools/make_reports.py"
    stale = [name for name, data in fresh.items() if committed[name] != data]
    assert not stale, f"stale: {stale}; run .venv/bin/python tools/make_reports.py"


def test_example_png_is_there() -> None:
    png = (REPO / "reports" / "example-report.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert 600 < width < height
