"""A real browser for the tests: Debian's headless Chromium driven by Playwright, and
axe-core (the accessibility checker) injected into its pages.

Playwright cannot download its own browser here, so it is pointed at the system
Chromium (``executable_path``). axe-core comes from npm: ``.ci/run`` installs it into
``.ci/node_modules`` (git-ignored); ``SPINEPATH_AXE_JS`` names another copy of
``axe.min.js``, ``SPINEPATH_CHROMIUM`` another browser.

Outside CI a missing browser, Playwright or axe-core skips the test that needs it; in
CI (``CI`` set) it fails the test, so the browser checks always run there.

Use::

    with chromium_browser() as browser:
        page = open_page(browser, path_to_html, width=320)
        problems = axe_problems(axe_results(page))
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from tests.helpers import REPO

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

#: Flags for a quiet, offline, unprivileged headless Chromium (root in CI needs
#: --no-sandbox; the others stop it from calling home or updating itself).
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
#: Generous, because the machine is shared: a hung browser fails instead of hanging CI.
TIMEOUT_MS = 120_000
AXE_DEFAULT = REPO / ".ci" / "node_modules" / "axe-core" / "axe.min.js"


def unavailable(message: str) -> NoReturn:
    """Skip the test for want of a tool, except in CI, where every tool must be there."""
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must run the browser tests (see .ci/run)")
    pytest.skip(message)


def chromium_path() -> str:
    """The Chromium executable: ``SPINEPATH_CHROMIUM``, else the first one on PATH."""
    named = os.environ.get("SPINEPATH_CHROMIUM")
    if named:
        if not Path(named).is_file():
            unavailable(f"SPINEPATH_CHROMIUM={named} does not exist")
        return named
    for candidate in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(candidate)
        if found:
            return found
    unavailable("chromium is not installed (apt-get install chromium)")


def axe_path() -> Path:
    """axe-core's browser bundle: ``SPINEPATH_AXE_JS``, else ``.ci/node_modules``."""
    path = Path(os.environ.get("SPINEPATH_AXE_JS") or AXE_DEFAULT)
    if not path.is_file():
        unavailable(f"axe-core is not at {path} (npm install --prefix .ci axe-core)")
    return path


@contextmanager
def chromium_browser() -> Iterator[Browser]:
    """A headless Chromium for the duration of the block."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            args=list(CHROMIUM_FLAGS),
            timeout=TIMEOUT_MS,
        )
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser: Browser, html: Path, width: int = 1240, height: int = 900) -> Page:
    """A new page of ``width`` x ``height`` CSS pixels showing the local file ``html``."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(html.resolve().as_uri(), wait_until="load")
    return page


def axe_results(page: Page) -> dict[str, Any]:
    """axe-core's full results for the page as it stands (all rules axe runs by default:
    WCAG A/AA and best practices). Nothing leaves the machine: the script is local."""
    page.add_script_tag(content=axe_path().read_text(encoding="utf-8"))
    return page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations', 'incomplete']})"
    )


def axe_problems(results: dict[str, Any]) -> list[str]:
    """One line per axe violation (any impact, WCAG or best practice), naming the rule,
    its impact and the first offending elements, so a failing test says what to fix."""
    lines = []
    for violation in results["violations"]:
        targets = [", ".join(map(str, node["target"])) for node in violation["nodes"][:3]]
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return lines
