"""The patient handout (``spinepath report CASE --handout``): what it holds, what it leaves
out, how plain its own words are, and that it prints on at most two pages for every
teaching case (WeasyPrint, pages counted with poppler's pdfinfo)."""

from __future__ import annotations

import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from spinepath.case.loading import validate_case
from spinepath.cli import main
from spinepath.kb.loading import knowledge_dir
from spinepath.kb.model import KnowledgeBase
from spinepath.kb.teaching import load_teaching_case
from spinepath.pathway.build import assess
from spinepath.pathway.model import Pathway
from spinepath.render.handout import render_handout
from spinepath.render.output import report_date
from tests.test_browser import PROCESS_TIMEOUT, pdfinfo, tool, weasyprint_or_skip

CASES = sorted((knowledge_dir() / "cases").glob("*.yaml"))
#: The highest grade (Flesch-Kincaid) the handout's own sentences may reach.
MAX_GRADE = 8


def pathway_of_case(path: Path, kb: KnowledgeBase) -> Pathway:
    return assess(validate_case(load_teaching_case(path).case), kb)


def handout(name: str, kb: KnowledgeBase, **options: str) -> str:
    return render_handout(
        pathway_of_case(knowledge_dir() / "cases" / f"{name}.yaml", kb),
        kb,
        date="2026-11-21",
        **options,
    )


class OwnWords(HTMLParser):
    """The handout's own text: quotes (``<q>``), the notes, the page head and the style
    sheet left out. Each paragraph, list item and heading ends a sentence."""

    SKIPPED = ("q", "style", "title", "header")
    BLOCKS = ("p", "li", "h1", "h2", "h3")

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # inside a skipped element, how deep
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth or tag in self.SKIPPED or dict(attrs).get("class") == "notes":
            self.depth += tag not in ("br", "meta")

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1
        elif tag in self.BLOCKS:
            self.parts.append(".\n")

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)

    def text(self) -> str:
        return re.sub(r"([.?!:])\s*\.\n", r"\1\n", "".join(self.parts))


def own_words(html: str) -> str:
    parser = OwnWords()
    parser.feed(html)
    return parser.text()


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_reading_level(case: Path, kb: KnowledgeBase) -> None:
    """The handout's own sentences (quotes excepted) read at grade 8 or lower."""
    import textstat

    text = own_words(render_handout(pathway_of_case(case, kb), kb, date="2026-11-21"))
    assert "“" not in text and len(text.split()) > 150
    grade = textstat.flesch_kincaid_grade(text)
    assert grade <= MAX_GRADE, f"grade {grade} in:\n{text}"


def test_reading_level_counts_what_it_should() -> None:
    """The measure can fail: a hard sentence scores above the limit."""
    import textstat

    hard = (
        "Notwithstanding considerable interindividual heterogeneity, degenerative "
        "intervertebral discopathy necessitates multidisciplinary consideration of "
        "instrumented arthrodesis and alternative interventional methodologies."
    )
    assert textstat.flesch_kincaid_grade(hard) > MAX_GRADE
    assert own_words("<p>Plain <q>Notwithstanding heterogeneity</q> words</p>") == (
        "Plain  words.\n"
    )


def test_no_rule_ids_or_offsets(kb: KnowledgeBase) -> None:
    for name in ("19_surgical_fusion", "22_red_flag_cauda_equina", "01_chronic_new_case"):
        html = handout(name, kb)
        assert "characters " not in html and "paragraph " not in html
        for rule in kb.rules:
            assert rule.id not in html, rule.id


def test_contents_of_a_surgical_handout(kb: KnowledgeBase) -> None:
    """Case 19: the options of the current stage in the same detail, the caution that
    undercuts fusion beside it, the contested flag, plain questions, short notes."""
    html = handout("19_surgical_fusion", kb)
    words = kb.handout
    options = re.findall(r'<article class="option">.*?</article>', html, re.S)
    assert len(options) == 3  # disc replacement, fusion, facet joint replacement
    for option in options:
        assert option.count("<q>") >= 1 and "Guidelines" in option
        assert '<p class="term">' in option
    fusion = next(o for o in options if "Spinal fusion" in o)
    assert words.contested in fusion
    assert "the most profitable" in fusion  # the seed's own warning, beside the option
    assert kb.glossary["fusion"] in fusion
    assert "Which of these options fits me, and why?" in html
    assert '<li id="note-1">Source 000: ' in html


def test_urgent_block_comes_first(kb: KnowledgeBase) -> None:
    html = handout("22_red_flag_cauda_equina", kb)
    urgent = html.index('<section class="urgent"')
    assert urgent < html.index('class="disclaimer"') < html.index('id="options"')


def test_no_operation_headline(kb: KnowledgeBase) -> None:
    html = handout("24_uncovered_decompression_no_hypertrophy", kb)
    assert '<p class="headline">No operation in the sources fits these findings' in html


def test_patient_and_clinician_are_escaped(kb: KnowledgeBase) -> None:
    html = handout("19_surgical_fusion", kb, patient="<script>x</script>", clinician="A & B")
    assert "<script>" not in html
    assert "<dd>&lt;script&gt;x&lt;/script&gt;</dd>" in html and "<dd>A &amp; B</dd>" in html


def test_every_treatment_has_glossary_words(kb: KnowledgeBase) -> None:
    words = kb.handout
    treatments = {t.id for stage in kb.stages for t in stage.treatments}
    stages = {stage.id for stage in kb.stages}
    assert set(words.terms) == treatments | stages
    for terms in words.terms.values():
        assert all(term in kb.glossary for term in terms)
    assert set(words.verdicts) == {"recommended", "consider", "not_advised", "contraindicated"}


def test_date_rules() -> None:
    import datetime as dt

    assert report_date(None, {}, today=dt.date(2030, 1, 2)) == "2030-01-02"
    assert report_date(None, {"SOURCE_DATE_EPOCH": "0"}, today=dt.date(2030, 1, 2)) == (
        "1970-01-01"
    )
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", report_date(None, {}))


def test_handout_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = tmp_path / "case.json"
    case.write_text(json.dumps(load_teaching_case(CASES[18]).case))
    out = tmp_path / "handout.html"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795305600")
    result = CliRunner().invoke(
        main, ["report", str(case), "--handout", "-o", str(out), "--patient", "Ann <B>"]
    )
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "<dd>2026-11-22</dd>" in html and "<dd>Ann &lt;B&gt;</dd>" in html
    assert "Your back-pain treatment pathway" in html


def _pdf(tmp_path: Path, case: Path, paper: str) -> Path:
    case_file = tmp_path / "case.json"
    case_file.write_text(json.dumps(load_teaching_case(case).case))
    out = tmp_path / "handout.pdf"
    args = ["report", str(case_file), "--handout", "--pdf", "--paper", paper, "-o", str(out)]
    result = CliRunner().invoke(main, [*args, "--date", "2026-11-21"])
    assert result.exit_code == 0, result.output
    return out


def _pages(pdf: Path) -> int:
    info = pdfinfo(pdf)
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_handout_fits_two_letter_pages(tmp_path: Path, case: Path) -> None:
    """Letter is the shorter page: what fits on it fits on A4 (checked below too)."""
    weasyprint_or_skip()
    assert _pages(_pdf(tmp_path, case, "letter")) <= 2


@pytest.mark.parametrize("name", ["01_chronic_new_case", "22_red_flag_cauda_equina"])
def test_handout_fits_two_a4_pages_and_page_one_says_what_it_is(tmp_path: Path, name: str) -> None:
    weasyprint_or_skip()
    pdf = _pdf(tmp_path, knowledge_dir() / "cases" / f"{name}.yaml", "a4")
    assert _pages(pdf) <= 2
    first = subprocess.run(
        [tool("pdftotext"), "-f", "1", "-l", "1", "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=PROCESS_TIMEOUT,
    ).stdout
    flat = " ".join(first.split())
    assert "This is not a diagnosis." in flat
    assert "not yet reviewed by an independent clinician" in flat


def test_handout_refuses_the_full_report_options(tmp_path: Path) -> None:
    case = tmp_path / "case.json"
    case.write_text(json.dumps(load_teaching_case(CASES[18]).case))
    for extra in ("--explore", "--evidence"):
        result = CliRunner().invoke(main, ["report", str(case), "--handout", extra])
        assert result.exit_code == 2 and "--handout is short by design" in result.output
        assert not list(Path.cwd().glob("case.report.*"))
