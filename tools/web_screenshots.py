"""Regenerate the screenshots of ``spinepath serve`` in docs/ (docs/web.md shows them).

    .venv/bin/python tools/web_screenshots.py

Starts the app on a free loopback port and photographs its main pages in Debian's
headless Chromium (tests/browser_support.py, tests/web_server.py): the case form, the
pathway of teaching case 19, a what-if toggled in place, and a walkthrough step.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
CASE = REPO / "knowledge" / "cases" / "19_surgical_fusion.yaml"
WIDTH, HEIGHT = 1100, 900


def main() -> int:
    sys.path.insert(0, str(REPO))
    from tests.browser_support import TIMEOUT_MS, chromium_browser
    from tests.web_server import running_server

    from spinepath.case.loading import validate_case
    from spinepath.files import replace_atomically
    from spinepath.kb.teaching import load_teaching_case
    from spinepath.web.forms import query_of

    query = urlencode(query_of(validate_case(load_teaching_case(CASE).case)))
    with running_server() as server, chromium_browser() as browser:
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        page.set_default_timeout(TIMEOUT_MS)

        def shoot(name: str) -> None:
            target = REPO / "docs" / f"web-{name}.png"
            replace_atomically(target, page.screenshot(), overwrite=True)
            print(f"wrote {target.relative_to(REPO)}")

        page.goto(f"{server}/case/questions?red_flags=none")
        shoot("case-form")
        page.goto(f"{server}/pathway?{query}")
        shoot("pathway")
        page.select_option("#to-daily_life", "limited")
        page.locator("#difference .embedded").wait_for()
        page.locator(".what-if-panel").scroll_into_view_if_needed()
        page.locator("#difference").scroll_into_view_if_needed()
        shoot("what-if")
        page.goto(f"{server}/walkthrough?{query}&step=3")
        shoot("walkthrough")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
