"""The web pages through the test client (issue 14): the form follows consult, the case
travels in the URL and comes back unchanged, everything from a case is escaped, the
downloads are the CLI's files, and ``spinepath serve`` starts as documented."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest

pytest.importorskip("fastapi")

from click.testing import CliRunner
from fastapi.testclient import TestClient

from spinepath.case.loading import parse_case, validate_case
from spinepath.cli import main
from spinepath.kb.teaching import load_teaching_cases
from spinepath.pathway.build import assess
from spinepath.render.handout import render_handout
from spinepath.render.html import render_report
from spinepath.web import forms
from spinepath.web.app import create_app
from tests.helpers import KNOWLEDGE

CLIENT = TestClient(create_app(), base_url="http://127.0.0.1:8765")
TEACHING = load_teaching_cases(KNOWLEDGE / "cases")
HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'


def get(path: str, pairs: list[tuple[str, str]] | None = None) -> Any:
    return CLIENT.get(path + ("?" + urlencode(pairs) if pairs else ""))


@pytest.mark.parametrize("teaching", TEACHING, ids=lambda t: t.file)
def test_a_case_survives_the_url_unchanged(teaching: Any) -> None:
    case = validate_case(teaching.case)
    assert forms.case_from_query(forms.query_of(case)) == case


def test_form_spellings() -> None:
    facts = forms.facts_from_query(
        [
            ("onset", "chronic"),
            ("herniation", "unknown"),  # not sure, stated
            ("stenosis", ""),  # not answered: not stated
            ("daily_life", "unknown"),  # not sure of a fact without "unknown": not stated
            ("pain_score", "7"),
            ("facet_arthritis", "true"),
            ("red_flags", "none"),
            ("step", "3"),  # the page's own
        ]
    )
    assert facts == {
        "onset": "chronic",
        "herniation": "unknown",
        "pain_score": 7,
        "facet_arthritis": True,
        "red_flags": [],
    }
    assert "red_flags" not in forms.facts_from_query([("red_flags", "unknown")])
    assert forms.changes_from_query(
        [("to.pain_score", ""), ("to.age", "null"), ("to.red_flags", "major_trauma")]
    ) == {"age": None, "red_flags": ["major_trauma"]}


def test_the_form_asks_red_flags_first_then_consults_questions_with_not_sure() -> None:
    first = get("/case")
    assert first.status_code == 200
    assert 'name="red_flags" value="cauda_equina"' in first.text
    assert "None of these" in first.text and "Not sure" in first.text
    questions = get("/case/questions", [("red_flags", "none")])
    keys = re.findall(r'<fieldset class="question" id="q-(\w+)">', questions.text)
    from spinepath.kb.loading import load_knowledge

    assert keys == [key for key in load_knowledge().questions if key != "red_flags"]
    # "Not sure" for every question, and the glossary beside the questions that need it.
    assert questions.text.count(">Not sure</label>") == len(
        [k for k in keys if k not in ("symptom_months", "pain_score", "age")]
    )
    assert "<dfn>stenosis</dfn>" in questions.text


def test_an_emergency_stops_the_questions() -> None:
    response = get("/case/questions", [("red_flags", "cauda_equina")])
    assert response.status_code == 200
    assert 'role="alert"' in response.text
    assert 'name="onset"' not in response.text  # the questions stop here
    assert "go_on=yes" in response.text
    going_on = get("/case/questions", [("red_flags", "cauda_equina"), ("go_on", "yes")])
    assert 'name="onset"' in going_on.text


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([("red_flags", "none"), ("red_flags", "cauda_equina")], "none of these"),
        ([("red_flags", "bleeding")], "case: red_flags[0]: must be one of"),
    ],
)
def test_bad_red_flags_are_refused_with_one_line_each(
    pairs: list[tuple[str, str]], expected: str
) -> None:
    response = get("/case/questions", pairs)
    assert response.status_code == 422
    assert expected in response.text


def test_a_bad_case_shows_the_form_again_with_the_cli_lines_and_the_answers_kept() -> None:
    response = get("/pathway", [("onset", "often"), ("pain_score", "99"), ("label", "Mine")])
    assert response.status_code == 422
    problems = re.findall(r"<li>(.*?)</li>", response.text.split('role="alert"')[1])
    assert problems[:2] == [
        "case: onset: must be one of acute, chronic, acute_on_chronic (got &#39;often&#39;)",
        "case: pain_score: must be a whole number from 0 to 10 (got 99)",
    ]
    assert 'value="Mine"' in response.text


@pytest.mark.parametrize(
    "path", ["/pathway", "/what-if", "/explore", "/walkthrough", "/explain", "/case/questions"]
)
def test_everything_from_a_case_is_escaped(path: str) -> None:
    pairs = [("label", HOSTILE), ("onset", "chronic"), ("to.label", HOSTILE)]
    response = get(path, [*pairs, ("how", "physical_therapy")])
    assert response.status_code == 200
    assert "<script>alert" not in response.text and "<img src=x" not in response.text
    assert re.findall(r"<script[^>]*>", response.text) == [
        '<script src="/static/htmx.min.js" defer>'
    ]


def test_the_pathway_page_shows_the_report_and_offers_what_if_and_downloads() -> None:
    teaching = next(t for t in TEACHING if t.file == "19_surgical_fusion.yaml")
    case = validate_case(teaching.case)
    response = get("/pathway", forms.query_of(case))
    assert response.status_code == 200
    pathway = assess(case)
    assert f"<h1>{pathway.case['label']}</h1>" in response.text
    for option in pathway.stage(pathway.current_stage).options:  # type: ignore[union-attr]
        assert option.name in response.text
    for link in (
        "/download/report.html?",
        "/download/handout.html?",
        "/download/case.yaml?",
        "/what-if?",
        "/explore?",
    ):
        assert link in response.text
    assert response.text.count('<select name="to.') >= 19
    assert "<style" not in response.text  # the reports' style sheet is /report.css


def test_what_if_shows_the_difference_and_htmx_gets_only_the_part() -> None:
    pairs = [("onset", "chronic"), ("facet_arthritis", "true"), ("to.facet_arthritis", "false")]
    whole = get("/what-if", pairs)
    part = CLIENT.get("/what-if?" + urlencode(pairs), headers={"HX-Request": "true"})
    assert whole.status_code == part.status_code == 200
    assert "<html" in whole.text and "<html" not in part.text
    assert 'class="embedded"' in part.text
    bad = get("/what-if", [("onset", "chronic"), ("to.pain_score", "12")])
    assert bad.status_code == 422 and "what if: pain_score" in bad.text


def test_downloads_are_the_cli_files(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    teaching = next(t for t in TEACHING if t.file == "01_chronic_new_case.yaml")
    case = validate_case(teaching.case)
    pairs = forms.query_of(case)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")  # as the CLI, the date it gives
    report = get("/download/report.html", pairs)
    assert report.headers["content-disposition"] == 'attachment; filename="spinepath-report.html"'
    assert report.text == render_report(assess(case), _kb(), date="2025-12-01")
    handout = get("/download/handout.html", pairs)
    assert handout.headers["content-disposition"].endswith('filename="spinepath-handout.html"')
    assert handout.text == render_handout(assess(case), _kb(), date="2025-12-01")
    assert get("/download/other.html", pairs).status_code == 404
    case_file = get("/download/case.yaml", pairs)
    assert case_file.headers["content-disposition"].endswith('filename="spinepath-case.yaml"')
    assert parse_case(case_file.text) == case
    # The file works on the command line.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "case.yaml").write_bytes(case_file.content)
    result = CliRunner().invoke(main, ["assess", "case.yaml", "--format", "json"])
    assert result.exit_code == 0
    assert result.stdout == CLIENT.post("/api/v1/assess", json=teaching.case).text


def test_walkthrough_steps_and_explanations() -> None:
    pairs = [("onset", "chronic"), ("facet_arthritis", "true")]
    first = get("/walkthrough", pairs)
    total = int(re.search(r"step 1 of (\d+)", first.text).group(1))  # type: ignore[union-attr]
    assert 'rel="next"' in first.text and 'rel="prev"' not in first.text
    last = get("/walkthrough", [*pairs, ("step", str(total))])
    assert 'rel="prev"' in last.text and 'rel="next"' not in last.text
    assert get("/walkthrough", [*pairs, ("step", "9999")]).text == last.text
    how = get("/explain", [*pairs, ("how", "physical_therapy")])
    assert how.status_code == 200 and "HOW" in how.text
    wrong = get("/explain", [*pairs, ("why_not", "fusoin")])
    assert wrong.status_code == 422 and "did you mean &#39;fusion&#39;?" in wrong.text


def test_htmx_is_shipped_with_its_licence_and_needs_no_inline_style() -> None:
    script = CLIENT.get("/static/htmx.min.js")
    assert script.status_code == 200 and "htmx" in script.text
    licence = CLIENT.get("/static/htmx.LICENSE.txt")
    assert "Zero-Clause BSD" in licence.text
    page = get("/")
    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", page.text)
    assert config is not None and '"includeIndicatorStyles": false' in config.group(1)


def _kb() -> Any:
    from spinepath.kb.loading import load_knowledge

    return load_knowledge()


# -- spinepath serve --------------------------------------------------------------------------


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """uvicorn.run replaced by a recorder: the command's choices, without a server."""
    import uvicorn

    seen: dict[str, Any] = {}

    def run(app: Any, **options: Any) -> None:
        seen.update(options, app=app)

    monkeypatch.setattr(uvicorn, "run", run)
    return seen


def test_serve_defaults_to_loopback_8765_without_an_access_log(started: dict[str, Any]) -> None:
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "spinepath: serving on http://127.0.0.1:8765/ (Ctrl-C stops)\n"
    assert result.stderr == ""
    assert (started["host"], started["port"], started["access_log"]) == ("127.0.0.1", 8765, False)


def test_serve_warns_when_not_on_loopback_and_answers_that_host(started: dict[str, Any]) -> None:
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--port", "9000"])
    assert result.exit_code == 0
    assert result.stderr.startswith("spinepath: warning: listening on 0.0.0.0, not on this")
    assert started["port"] == 9000
    client = TestClient(started["app"], base_url="http://0.0.0.0:9000")
    assert client.get("/api/v1/version").status_code == 200
    assert client.get("/", headers={"host": "evil.example"}).status_code == 400


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1"])
def test_loopback_hosts_get_no_warning(started: dict[str, Any], host: str) -> None:
    result = CliRunner().invoke(main, ["serve", "--host", host])
    assert result.exit_code == 0 and result.stderr == ""


def test_serve_refuses_a_bad_port(started: dict[str, Any]) -> None:
    result = CliRunner().invoke(main, ["serve", "--port", "70000"])
    assert result.exit_code == 2 and "--port" in result.stderr
    assert started == {}


@pytest.mark.parametrize("kind", ["report", "handout"])
def test_pdf_downloads(kind: str) -> None:
    pytest.importorskip("weasyprint")  # in the test extra, so CI always runs this
    response = get(f"/download/{kind}.pdf", [("onset", "chronic"), ("red_flags", "none")])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/case",
        "/case/questions?red_flags=none",
        "/case/questions?red_flags=cauda_equina",
        "/pathway?onset=chronic",
        "/what-if?onset=chronic",
        "/explore?onset=chronic",
        "/walkthrough?onset=chronic",
        "/explain?onset=chronic&how=physical_therapy",
        "/api/docs",
    ],
)
def test_every_page_says_it_is_not_a_diagnosis(path: str) -> None:
    response = CLIENT.get(path)
    assert response.status_code == 200
    assert "<strong>Not a diagnosis.</strong>" in response.text
