"""The web app in a real browser (issue 14): Debian's headless Chromium via Playwright.

A patient fills the form, toggles a what-if and downloads; an educator steps through
the walkthrough; axe-core finds no violation on any page; and the Content-Security-
Policy never has to block anything (the pages need no inline script or style).
Outside CI a missing browser skips these tests; in CI they fail (tests/browser_support.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser_support import TIMEOUT_MS, axe_problems, axe_results, chromium_browser

pytest.importorskip("fastapi")

from tests.web_server import running_server

CASE = (
    "label=Teaching+case&red_flags=none&onset=chronic&conservative_care=ongoing"
    "&pain_score=6&facet_arthritis=true&muscle_imbalance=true&daily_life=limited"
)
PAGES = [
    "/",
    "/case",
    "/case/questions?red_flags=none",
    "/case/questions?red_flags=cauda_equina",
    f"/pathway?{CASE}",
    f"/what-if?{CASE}&to.facet_arthritis=false",
    f"/explore?{CASE}",
    f"/walkthrough?{CASE}&step=2",
    f"/explain?{CASE}&how=physical_therapy",
    f"/explain?{CASE}&why_not=fusion",
    "/pathway?onset=often&pain_score=99",
    "/api/docs",
]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with running_server() as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_browser() as launched:
        yield launched


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page under the app's own policy; every policy violation it reports is kept."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1100, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    tab.blocked: list[str] = []  # type: ignore[misc]
    tab.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and tab.blocked.append(message.text)
        ),
    )
    yield tab
    context.close()


def test_a_patient_fills_the_form_toggles_a_what_if_and_downloads(
    server: str, page: Any, tmp_path: Path
) -> None:
    page.goto(server + "/case")
    page.get_by_label("None of these").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("A name for this case (optional)").fill("My <back> pain")
    page.locator("#onset-chronic").check()
    page.locator("#facet_arthritis-true").check()
    page.get_by_label("A whole number from 0 to 10; leave empty if not sure").fill("6")
    page.get_by_role("button", name="See the pathway").click()
    page.wait_for_url("**/pathway?**")
    assert page.locator("h1").first.inner_text() == "My <back> pain"  # escaped, shown as typed

    page.select_option("#to-facet_arthritis", "false")  # htmx: the difference, in place
    difference = page.locator("#difference")
    difference.locator(".embedded").wait_for()
    assert "what if" in difference.inner_text().lower()
    assert "/pathway?" in page.url  # the original case stays

    with page.expect_download() as download:
        page.get_by_role("link", name="Case file (YAML)").click()
    saved = tmp_path / "case.yaml"
    download.value.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert "onset: chronic" in text and "facet_arthritis: true" in text
    for name, file in (("Report (HTML)", "report.html"), ("Handout (HTML)", "handout.html")):
        with page.expect_download() as download:
            page.get_by_role("link", name=name).click()
        download.value.save_as(tmp_path / file)
        assert "My &lt;back&gt; pain" in (tmp_path / file).read_text(encoding="utf-8")
    assert page.blocked == []


def test_an_emergency_stops_the_questions(server: str, page: Any) -> None:
    page.goto(server + "/case")
    page.locator("#flag-cauda_equina").check()
    page.get_by_role("button", name="Next").click()
    assert page.get_by_role("alert").count() == 1
    page.get_by_role("link", name="Go on with the other questions (optional)").click()
    assert page.locator("#onset-chronic").count() == 1


def test_an_educator_steps_through_the_walkthrough(server: str, page: Any) -> None:
    page.goto(f"{server}/walkthrough?{CASE}")
    heading = page.locator("h1")
    total = int(heading.inner_text().rsplit(" ", 1)[1])
    assert total >= 3
    for number in range(2, 4):
        page.get_by_role("link", name="Next step").click()
        page.wait_for_url(f"**step={number}**")
        assert heading.inner_text() == f"Walkthrough: step {number} of {total}"
        assert f"STEP {number} OF {total}" in page.locator("pre").inner_text()
    page.get_by_role("link", name="How and why not").click()
    page.get_by_role("button", name="Why is it not recommended?").click()
    assert "WHY NOT" in page.locator("pre").inner_text().upper()
    assert page.blocked == []


@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_violation(server: str, browser: Any, path: str) -> None:
    # axe-core is injected as a script, which the app's policy rightly forbids: the
    # checking context alone bypasses it.
    context = browser.new_context(bypass_csp=True)
    try:
        tab = context.new_page()
        tab.set_default_timeout(TIMEOUT_MS)
        tab.goto(server + path, wait_until="load")
        assert axe_problems(axe_results(tab)) == []
    finally:
        context.close()


@pytest.mark.parametrize("path", PAGES)
def test_the_policy_blocks_nothing_on_any_page(server: str, page: Any, path: str) -> None:
    page.goto(server + path, wait_until="load")
    assert page.blocked == []
