"""Regenerate reports/: a few example reports, of teaching cases chosen to show the range.

    .venv/bin/python tools/make_reports.py              # HTML, PDF and the PNG
    .venv/bin/python tools/make_reports.py --html-only  # HTML only (no WeasyPrint, no poppler)

Writes ``reports/<case file stem>.html`` for each teaching case of ``REPORT_CASES``
(every teaching case is checked by its expectations, in tests/test_teaching_cases.py;
these few are examples for people), a PDF of the cases in ``PDF_CASES`` (WeasyPrint), and
``reports/example-report.png``, the PDF's first page (``pdftoppm`` from
poppler-utils). Every report is dated with the knowledge base's last review
date, so the output is the same on every run; ``tests/test_report.py`` fails
when reports/ is stale. Other report files in reports/ are removed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REPORTS = REPO / "reports"
#: The teaching cases shown in reports/, each for what it shows (tests/test_report.py
#: checks that each still shows it).
REPORT_CASES = {
    "01_chronic_new_case": "conservative",  # a new case: conservative care first
    "19_surgical_fusion": "surgical",  # everything else failed: an operation chosen by findings
    "22_red_flag_cauda_equina": "emergency",  # a red flag heads everything
    "71_discectomy_without_sciatica": "contested",  # the seeds' choice, guidelines diverge
}
#: The cases that also get a PDF; the first one's first page is the example PNG.
PDF_CASES = ("19_surgical_fusion",)
PNG_NAME = "example-report.png"
PNG_DPI = 100


def html_reports() -> dict[str, bytes]:
    """The HTML report of each case of ``REPORT_CASES``, by file name."""
    from spinepath.case.loading import validate_case
    from spinepath.kb.loading import knowledge_dir, load_knowledge
    from spinepath.kb.teaching import load_teaching_cases
    from spinepath.pathway.build import assess
    from spinepath.render.html import render_report

    kb = load_knowledge()
    reports = {}
    for teaching in load_teaching_cases(knowledge_dir() / "cases"):
        if Path(teaching.file).stem not in REPORT_CASES:
            continue
        pathway = assess(validate_case(teaching.case, source=teaching.file), kb)
        html = render_report(pathway, kb, paper="a4", date=kb.meta.last_review)
        reports[Path(teaching.file).with_suffix(".html").name] = html.encode("utf-8")
    return reports


def pdf_reports(html: dict[str, bytes]) -> dict[str, bytes]:
    """The PDFs of ``PDF_CASES``, by file name, printed by WeasyPrint."""
    from spinepath.render.pdf import html_to_pdf

    return {f"{stem}.pdf": html_to_pdf(html[f"{stem}.html"].decode("utf-8")) for stem in PDF_CASES}


def first_page_png(pdf: bytes) -> bytes:
    """The PDF's first page as a PNG, drawn by pdftoppm."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise SystemExit("make_reports: pdftoppm not found: apt-get install poppler-utils")
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "report.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            [pdftoppm, "-png", "-r", str(PNG_DPI), "-f", "1", "-l", "1", "-singlefile",
             str(source), str(Path(work) / "page")],
            check=True,
        )  # fmt: skip
        return (Path(work) / "page.png").read_bytes()


def write(directory: Path, files: dict[str, bytes], *, suffixes: tuple[str, ...]) -> None:
    """Write ``files`` into ``directory`` and remove other files with these suffixes."""
    from spinepath.files import replace_atomically

    directory.mkdir(parents=True, exist_ok=True)
    for stale in sorted(directory.iterdir()):
        if stale.suffix in suffixes and stale.name not in files and stale.name != PNG_NAME:
            stale.unlink()
            print(f"removed {stale.relative_to(REPO)}")
    for name, data in sorted(files.items()):
        path = directory / name
        if path.exists() and path.read_bytes() == data:
            continue
        replace_atomically(path, data)  # whole or not at all, as spinepath's own files
        print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html-only", action="store_true", help="skip the PDF and the PNG")
    parser.add_argument("--out", type=Path, default=REPORTS, help="directory (default reports/)")
    args = parser.parse_args(argv)
    html = html_reports()
    files = dict(html)
    if not args.html_only:
        from spinepath.errors import SpinepathError

        try:
            pdfs = pdf_reports(html)
        except SpinepathError as error:
            print(f"make_reports: {error} (or use --html-only)", file=sys.stderr)
            return 2
        files.update(pdfs)
        files[PNG_NAME] = first_page_png(pdfs[f"{PDF_CASES[0]}.pdf"])
    write(args.out, files, suffixes=(".html",) if args.html_only else (".html", ".pdf"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
