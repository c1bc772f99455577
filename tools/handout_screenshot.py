"""Regenerate docs/handout.png: the patient handout of teaching case 19 as headless
Chromium shows it (Debian's chromium, driven by Playwright; see tests/browser_support.py).

    .venv/bin/python tools/handout_screenshot.py

The handout is dated with the knowledge base's last review date, so the picture only
changes when the handout does.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CASE = REPO / "knowledge" / "cases" / "19_surgical_fusion.yaml"
TARGET = REPO / "docs" / "handout.png"
#: A window as wide as a printed A4 page at 96 dpi, so the picture looks like the paper.
WIDTH = 794


def main() -> int:
    sys.path.insert(0, str(REPO))
    from tests.browser_support import chromium_browser, open_page

    from spinepath.case.loading import validate_case
    from spinepath.files import replace_atomically
    from spinepath.kb.loading import load_knowledge
    from spinepath.kb.teaching import load_teaching_case
    from spinepath.pathway.build import assess
    from spinepath.render.handout import render_handout

    kb = load_knowledge()
    pathway = assess(validate_case(load_teaching_case(CASE).case), kb)
    html = render_handout(pathway, kb, date=kb.meta.last_review)
    with tempfile.TemporaryDirectory() as folder:
        page_file = Path(folder) / "handout.html"
        page_file.write_text(html, encoding="utf-8")
        with chromium_browser() as browser:
            page = open_page(browser, page_file, width=WIDTH, height=1123)
            png = page.screenshot(full_page=True)
    replace_atomically(TARGET, png, overwrite=True)
    print(f"wrote {TARGET.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
