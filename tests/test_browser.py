"""The report in real renderers: headless Chromium (screenshot and print to PDF) and
WeasyPrint (``spinepath report --pdf``), checked with poppler's pdfinfo and pdftotext.

These tests need system packages (``chromium``, ``poppler-utils``, and Pango for
WeasyPrint; ``.ci/run`` installs them). Outside CI they are skipped when a tool is
missing; in CI (``CI`` set) a missing tool is a failure, so they always run there.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from spinepath.cli import main
from spinepath.kb.loading import knowledge_dir
from spinepath.kb.model import SeedCitation
from spinepath.pathway.model import Pathway
from tests.browser_support import CHROMIUM_FLAGS
from tests.helpers import REPO
from tests.test_report import load_tool

DEMO = knowledge_dir() / "cases" / "19_surgical_fusion.yaml"
LABEL = "Teaching case 19: degenerated disc and arthritic facets"
#: Generous limits so that a hung browser fails the test instead of hanging CI.
PROCESS_TIMEOUT = 180
A4 = (595, 842)
LETTER = (612, 792)


def tool(name: str, *candidates: str) -> str:
    """The path of a command-line tool; skip without it, except in CI, where it must exist."""
    for candidate in (name, *candidates):
        found = shutil.which(candidate)
        if found:
            return found
    message = f"{name} is not installed (apt-get install {PACKAGES.get(name, name)})"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must run the browser tests")
    pytest.skip(message)


PACKAGES = {"chromium": "chromium", "pdfinfo": "poppler-utils", "pdftotext": "poppler-utils"}


def weasyprint_or_skip() -> None:
    from spinepath.render.pdf import PdfUnavailable, require_weasyprint

    try:
        require_weasyprint()
    except PdfUnavailable as error:
        if os.environ.get("CI"):
            pytest.fail(f"{error}; CI must run the PDF tests")
        pytest.skip(str(error))


def squeeze(text: str) -> str:
    """Text compared across renderers: compatibility-normalised (ligatures), no whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def pdfinfo(pdf: Path, *flags: str) -> str:
    """What poppler's ``pdfinfo`` says about ``pdf`` (``-struct`` for the structure tree)."""
    return subprocess.run(
        [tool("pdfinfo"), *flags, str(pdf)],
        capture_output=True,
        text=True,
        check=True,
        timeout=PROCESS_TIMEOUT,
    ).stdout


def pdf_pages(pdf: Path) -> tuple[int, tuple[int, int]]:
    info = pdfinfo(pdf)
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", info, re.M)
    assert size, info
    return pages, (round(float(size.group(1))), round(float(size.group(2))))


def pdf_text(pdf: Path) -> str:
    """The PDF's text in drawing order (``-raw``), which follows the document, rather than
    pdftotext's guess at columns, which splits the two-column references."""
    return subprocess.run(
        [tool("pdftotext"), "-raw", "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=PROCESS_TIMEOUT,
    ).stdout


def demo_pathway() -> Pathway:
    from spinepath.case.loading import validate_case
    from spinepath.kb.teaching import load_teaching_case
    from spinepath.pathway.build import assess

    return assess(validate_case(load_teaching_case(DEMO).case))


def all_quotes(pathway: Pathway) -> list[str]:
    citations = [c for s in pathway.stages for o in s.options for c in o.citations]
    citations += [c for caution in pathway.cautions for c in caution.citations]
    quotes = [c.quote for c in citations if isinstance(c, SeedCitation)]
    assert quotes
    return quotes


def check_printed(pdf: Path, size: tuple[int, int]) -> None:
    """A printed report: several pages of the paper asked for, every quote in its text,
    the running header and the page numbers."""
    pages, page_size = pdf_pages(pdf)
    assert pages >= 3
    assert abs(page_size[0] - size[0]) <= 2 and abs(page_size[1] - size[1]) <= 2
    text = squeeze(pdf_text(pdf))
    for quote in all_quotes(demo_pathway()):
        assert squeeze(quote) in text, quote
    assert squeeze("NOT A DIAGNOSIS") in text.upper()
    assert text.count(squeeze(LABEL)) >= pages  # title, and the header of every page
    assert squeeze(f"Page 1 of {pages}") in text and squeeze(f"Page {pages} of {pages}") in text


def write_report(tmp_path: Path, *args: str) -> Path:
    """The demo teaching case's report, written by ``spinepath report``."""
    from spinepath.kb.teaching import load_teaching_case

    case = tmp_path / "case.json"
    case.write_text(json.dumps(load_teaching_case(DEMO).case))
    suffix = ".pdf" if "--pdf" in args else ".html"
    out = tmp_path / f"report{suffix}"
    result = CliRunner().invoke(
        main, ["report", str(case), "-o", str(out), "--date", "2026-11-21", *args]
    )
    assert result.exit_code == 0, result.output
    return out


def chromium(tmp_path: Path, *args: str) -> None:
    command = [
        tool("chromium", "chromium-browser", "google-chrome"),
        "--headless",
        *CHROMIUM_FLAGS,
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
    ]
    subprocess.run(command, capture_output=True, check=True, timeout=PROCESS_TIMEOUT)


def test_chromium_screenshot(tmp_path: Path) -> None:
    report = write_report(tmp_path)
    shot = tmp_path / "shot.png"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1240,1754", report.as_uri())
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")) == (1240, 1754)
    assert len(png) > 50_000  # a page with content, not a blank window


def _screenshot(tmp_path: Path, page: Path, name: str) -> Any:
    from PIL import Image

    shot = tmp_path / f"{name}.png"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1240,1754", page.as_uri())
    return Image.open(shot).convert("RGB")


def _luminance(pixel: tuple[int, int, int]) -> float:
    """Relative luminance (WCAG 2) of an sRGB pixel."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in pixel)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_chromium_shows_the_headline(tmp_path: Path) -> None:
    """What a person sees: the page as rendered, against the same page with the headline's
    text made transparent (same layout). The pixels that differ are the headline's
    letters: there must be enough of them, on the first screen, at a readable contrast."""
    report = write_report(tmp_path)
    html = report.read_text(encoding="utf-8")
    assert f"<h1>{LABEL}</h1>" in html
    hidden = tmp_path / "hidden.html"
    hidden.write_text(
        html.replace("</head>", "<style>h1 { color: transparent !important; }</style></head>"),
        encoding="utf-8",
    )
    seen = _screenshot(tmp_path, report, "seen")
    blank = _screenshot(tmp_path, hidden, "blank")
    assert seen.size == blank.size == (1240, 1754)
    width, height = seen.size
    seen_pixels, blank_pixels = seen.load(), blank.load()
    letters = [
        (x, y)
        for y in range(0, height // 2)
        for x in range(width)
        if seen_pixels[x, y] != blank_pixels[x, y]
    ]
    assert len(letters) > 1000, "the headline draws (almost) nothing"
    top = min(y for _, y in letters)
    assert top < 600, f"the headline starts {top} px down: below the first screen"
    darkest = min(letters, key=lambda p: _luminance(seen_pixels[p]))
    text, background = _luminance(seen_pixels[darkest]), _luminance(blank_pixels[darkest])
    contrast = (max(text, background) + 0.05) / (min(text, background) + 0.05)
    assert contrast >= 4.5, f"headline contrast {contrast:.1f}:1 is too low to read"


@pytest.mark.parametrize(("paper", "size"), [("a4", A4), ("letter", LETTER)])
def test_chromium_prints_the_report(tmp_path: Path, paper: str, size: tuple[int, int]) -> None:
    report = write_report(tmp_path, "--paper", paper)
    pdf = tmp_path / "chromium.pdf"
    chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", report.as_uri())
    check_printed(pdf, size)


@pytest.mark.parametrize(("paper", "size"), [("a4", A4), ("letter", LETTER)])
def test_weasyprint_pdf(tmp_path: Path, paper: str, size: tuple[int, int]) -> None:
    weasyprint_or_skip()
    check_printed(write_report(tmp_path, "--pdf", "--paper", paper), size)


def test_example_pdf_is_current(tmp_path: Path) -> None:
    """The committed example PDF says what a fresh one says (text compared, not bytes,
    so that another WeasyPrint release does not fail the test)."""
    weasyprint_or_skip()
    tool_module = load_tool()
    fresh = tool_module.pdf_reports(tool_module.html_reports())
    for name, data in fresh.items():
        committed = REPO / "reports" / name
        assert committed.exists(), "run .venv/bin/python tools/make_reports.py"
        (tmp_path / name).write_bytes(data)
        assert squeeze(pdf_text(committed)) == squeeze(pdf_text(tmp_path / name)), (
            f"reports/{name} is stale: run .venv/bin/python tools/make_reports.py"
        )


# --- Accessibility (axe-core) and layout, in Chromium driven by Playwright -----------------

#: Teaching cases whose pages between them show every part of the templates: a surgical
#: case (ladder, fusion cautions), an urgent red flag (alert block), a first visit.
AXE_CASES = ("19_surgical_fusion", "22_red_flag_cauda_equina", "01_chronic_new_case")
#: A desktop window and the narrowest phone WCAG asks for (reflow at 320 CSS px).
WIDTHS = (1240, 320)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from tests.browser_support import chromium_browser

    with chromium_browser() as launched:
        yield launched


def _case_file(tmp_path: Path, name: str) -> Path:
    from spinepath.kb.teaching import load_teaching_case

    case = tmp_path / f"{name}.json"
    case.write_text(json.dumps(load_teaching_case(knowledge_dir() / "cases" / f"{name}.yaml").case))
    return case


def html_outputs(tmp_path: Path) -> dict[str, Path]:
    """Every kind of HTML page spinepath writes, for a few teaching cases."""
    pages: dict[str, Path] = {}
    for name in AXE_CASES:
        case = _case_file(tmp_path, name)
        for kind, args in {
            "report": ["report", str(case), "--date", "2026-11-21"],
            "handout": ["report", str(case), "--handout", "--date", "2026-11-21"],
        }.items():
            out = tmp_path / f"{kind}-{name}.html"
            result = CliRunner().invoke(main, [*args, "-o", str(out)])
            assert result.exit_code == 0, result.output
            pages[out.stem] = out
    case = _case_file(tmp_path, "19_surgical_fusion")
    for kind, args in {
        "what-if": ["what-if", str(case), "--set", "conservative_care=helped"],
        "explore": ["explore", str(case)],
    }.items():
        out = tmp_path / f"{kind}.html"
        result = CliRunner().invoke(main, [*args, "--format", "html", "-o", str(out)])
        assert result.exit_code == 0, result.output
        pages[kind] = out
    return pages


def test_axe_finds_nothing(tmp_path: Path, browser: Any) -> None:
    """axe-core (WCAG A/AA and best practices) reports no violation of any impact on any
    kind of HTML page, on a desktop window and on a 320 px phone."""
    from tests.browser_support import axe_problems, axe_results, open_page

    problems = []
    for name, html in html_outputs(tmp_path).items():
        for width in WIDTHS:
            page = open_page(browser, html, width=width)
            problems += [
                f"{name} at {width} px: {line}" for line in axe_problems(axe_results(page))
            ]
            page.close()
    assert not problems, "\n".join(problems)


#: For every verdict badge, its box and the box of the table cell or block that holds it;
#: and how wide the document is. Measured by the browser's own layout.
BOXES = """() => {
  const boxes = [];
  for (const badge of document.querySelectorAll('.badge')) {
    const holder = badge.closest('td, th, li, .option-head, p');
    const b = badge.getBoundingClientRect(), h = holder.getBoundingClientRect();
    const next = holder.tagName === 'TD' ? holder.nextElementSibling : null;
    const n = next ? next.getBoundingClientRect() : null;
    boxes.push({text: badge.textContent, badge: [b.left, b.right], holder: [h.left, h.right],
                next: n ? [n.left, n.right] : null});
  }
  return {boxes, scroll: document.documentElement.scrollWidth, width: window.innerWidth};
}"""


def test_layout_nothing_overlaps(tmp_path: Path, browser: Any) -> None:
    """In every HTML page at every width, each verdict badge lies inside the cell that holds
    it and clear of the next cell (the what-if table once printed "RECOMMENDEDWith both"),
    and nothing makes the page wider than the window (the facts grid once did at 320 px)."""
    from tests.browser_support import open_page

    faults = []
    for name, html in html_outputs(tmp_path).items():
        for width in (*WIDTHS, 800):
            page = open_page(browser, html, width=width)
            layout = page.evaluate(BOXES)
            page.close()
            if layout["scroll"] > layout["width"]:
                faults.append(f"{name} at {width} px is {layout['scroll']} px wide")
            for box in layout["boxes"]:
                where = f"{name} at {width} px: badge {box['text']!r}"
                (left, right), (h_left, h_right) = box["badge"], box["holder"]
                if left < h_left - 0.5 or right > h_right + 0.5:
                    faults.append(f"{where} leaves its cell")
                if box["next"] and right > box["next"][0] + 0.5:
                    faults.append(
                        f"{name} at {width} px: badge {box['text']!r} overlaps the next cell"
                    )
    assert not faults, "\n".join(sorted(set(faults)))


# --- Tagged PDFs, and the full report's last page ------------------------------------------


@pytest.mark.parametrize("kind", ["report", "handout"])
def test_pdf_is_tagged(tmp_path: Path, kind: str) -> None:
    """PDF/UA: the PDF carries a structure tree (headings, paragraphs) a screen reader
    follows, and says so (pdfinfo's "Tagged: yes")."""
    weasyprint_or_skip()
    pdf = write_report(tmp_path, "--pdf", *(["--handout"] if kind == "handout" else []))
    info = pdfinfo(pdf)
    assert re.search(r"^Tagged:\s+yes$", info, re.M), info
    tree = pdfinfo(pdf, "-struct")
    assert tree.lstrip().startswith("Document")
    for role in ("H1", "H2", "P", "L"):
        assert re.search(rf"^\s+{role} ", tree, re.M), f"no {role} in the tag tree"


def test_last_page_is_not_the_disclaimer_alone(tmp_path: Path) -> None:
    """The printed report ends with more than its closing disclaimer on the last page.

    The demo report does not end near a page break, so this alone would pass without the
    rule that keeps the disclaimer with what precedes it; the test below puts the
    disclaimer exactly where it would be left alone."""
    weasyprint_or_skip()
    pdf = write_report(tmp_path, "--pdf")
    pages, _ = pdf_pages(pdf)
    last = subprocess.run(
        [tool("pdftotext"), "-f", str(pages), "-l", str(pages), "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=PROCESS_TIMEOUT,
    ).stdout
    rest = squeeze(last)
    pathway = demo_pathway()
    for known in (pathway.disclaimer, "NOT A DIAGNOSIS.", LABEL, f"Page {pages} of {pages}"):
        rest = rest.replace(squeeze(known), "")
    assert len(rest) > 300, f"the last page holds little but the disclaimer: {last!r}"


#: The print rule (report.css) that keeps the closing disclaimer with the section before it.
KEEP_WITH_DISCLAIMER = ".about + .disclaimer { break-before: avoid; page-break-before: avoid; }"


def _closing_at_the_page_end(html: str) -> tuple[str, str, str]:
    """The report's style sheet, its last section and its closing disclaimer (given an id,
    so that the page it lands on can be read from WeasyPrint's anchors)."""
    style = re.search(r"<style>.*?</style>", html, re.S)
    about = re.search(r'<section class="about".*?</section>', html, re.S)
    asides = re.findall(r'<aside class="disclaimer".*?</aside>', html, re.S)
    assert style and about and len(asides) == 2, "the report's closing parts moved"
    disclaimer = asides[-1].replace('class="disclaimer"', 'id="closing" class="disclaimer"')
    return style.group(0), about.group(0), disclaimer


def test_the_disclaimer_is_never_alone_on_the_last_page() -> None:
    """A report whose end falls just past a page break: a spacer before the last section
    pushes it down until the closing disclaimer no longer fits on the page. Without the
    keep-with rule the disclaimer then stands alone on the last page (checked, so the test
    can fail); with it, the last section comes along."""
    weasyprint_or_skip()
    import weasyprint

    from spinepath import api

    html = api.report_html(api.teaching_case(DEMO), date="2026-11-21")
    style, about, disclaimer = _closing_at_the_page_end(html)
    assert KEEP_WITH_DISCLAIMER in style, "the keep-with rule is gone from report.css"
    without_rule = style.replace(KEEP_WITH_DISCLAIMER, "")

    def pages(spacer: float, sheet: str) -> list[set[str]]:
        """The ids on each printed page (the spacer, the last section's heading, the
        disclaimer)."""
        document = weasyprint.HTML(
            string=f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{sheet}'
            f'</head><body><main class="page"><div id="spacer" style="height: {spacer}px">'
            f"</div>\n{about}\n{disclaimer}</body></html>"
        ).render()
        return [set(page.anchors) for page in document.pages]

    # The smallest spacer that no longer lets everything fit on one page (without the rule,
    # that is where the disclaimer alone moves on).
    low, high = 0.0, 2000.0  # px: taller than an A4 or a letter page
    assert len(pages(low, without_rule)) == 1 and len(pages(high, without_rule)) > 1
    while high - low > 1:
        middle = (low + high) / 2
        low, high = (low, middle) if len(pages(middle, without_rule)) > 1 else (middle, high)
    for spacer in (high, high + 12):
        assert pages(spacer, without_rule)[-1] == {"closing"}  # the defect, reproduced
        last = pages(spacer, style)[-1]
        assert "closing" in last and "about" in last, f"spacer {spacer}: the last page has {last}"
