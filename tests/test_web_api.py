"""The JSON API (issue 14): the CLI's JSON, the CLI's error lines, and the guard's refusals."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")  # the web extra; the test extra always installs it

from click.testing import CliRunner
from fastapi.testclient import TestClient

from spinepath.cli import main
from spinepath.kb.teaching import load_teaching_cases
from spinepath.web.app import create_app
from spinepath.web.security import MAX_BODY_BYTES
from tests.helpers import KNOWLEDGE

TEACHING = load_teaching_cases(KNOWLEDGE / "cases")
BASE = "http://127.0.0.1:8765"


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(), base_url=BASE)


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI then reads a case file named as shortly as the API names its case.
    monkeypatch.chdir(tmp_path)


def cli(tmp_path: Path, *args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def cli_json(tmp_path: Path, case: dict[str, Any], *args: str) -> str:
    """What ``spinepath COMMAND case.json ARGS`` prints, the case written as JSON."""
    (tmp_path / "case.json").write_text(json.dumps(case), encoding="utf-8")
    result = cli(tmp_path, args[0], "case.json", *args[1:])
    assert result.exit_code == 0, result.output
    return result.stdout


def cli_errors(tmp_path: Path, body: bytes) -> list[str]:
    """The CLI's error lines for the case file ``case`` holding ``body``, as the API words
    them (without the ``spinepath: error: `` prefix)."""
    (tmp_path / "case").write_bytes(body)
    result = CliRunner().invoke(main, ["assess", "case", "--format", "json"])
    assert result.exit_code == 2, result.output
    return [line.removeprefix("spinepath: error: ") for line in result.stderr.splitlines()]


# -- the same JSON as the CLI --------------------------------------------------------------


@pytest.mark.parametrize("teaching", TEACHING, ids=lambda t: t.file)
def test_assess_gives_the_cli_bytes_for_every_teaching_case(
    client: TestClient, tmp_path: Path, teaching: Any
) -> None:
    response = client.post("/api/v1/assess", json=teaching.case)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert (
        response.content == cli_json(tmp_path, teaching.case, "assess", "--format", "json").encode()
    )


WHAT_IFS = [
    ("01_chronic_new_case.yaml", {"facet_arthritis": False}, ["facet_arthritis=false"]),
    ("01_chronic_new_case.yaml", {"red_flags": ["cauda_equina"]}, ["red_flags=[cauda_equina]"]),
    (
        "19_surgical_fusion.yaml",
        {"daily_life": "limited", "pain_score": None},
        ["daily_life=limited", "pain_score=null"],
    ),
]


@pytest.mark.parametrize(("file", "changes", "settings"), WHAT_IFS)
def test_what_if_gives_the_cli_bytes(
    client: TestClient, tmp_path: Path, file: str, changes: dict[str, Any], settings: list[str]
) -> None:
    case = next(t.case for t in TEACHING if t.file == file)
    response = client.post("/api/v1/what-if", json={"case": case, "changes": changes})
    assert response.status_code == 200, response.text
    args = [arg for setting in settings for arg in ("--set", setting)]
    expected = cli_json(tmp_path, case, "what-if", *args, "--format", "json")
    assert response.text == expected


@pytest.mark.parametrize(("kind", "flag"), [("how", "--how"), ("why_not", "--why-not")])
@pytest.mark.parametrize("option", ["fusion", "physical_therapy", "disc_replacement"])
def test_explain_gives_the_cli_bytes(
    client: TestClient, tmp_path: Path, kind: str, flag: str, option: str
) -> None:
    case = next(t.case for t in TEACHING if t.file == "19_surgical_fusion.yaml")
    response = client.post("/api/v1/explain", json={"case": case, kind: option})
    assert response.status_code == 200, response.text
    assert response.text == cli_json(tmp_path, case, "explain", flag, option, "--format", "json")


def test_schemas_and_version(client: TestClient, tmp_path: Path) -> None:
    result = cli(tmp_path, "schema")
    assert client.get("/api/v1/schema/case").text == result.stdout
    pathway_schema = client.get("/api/v1/schema/pathway").json()
    assert {"current_stage", "stages", "disclaimer"} <= set(pathway_schema["properties"])
    version = client.get("/api/v1/version").json()
    assert version["spinepath_version"] in cli(tmp_path, "--version").stdout
    assert (
        version["knowledge_version"]
        == json.loads(cli_json(tmp_path, TEACHING[0].case, "assess", "--format", "json"))[
            "knowledge_version"
        ]
    )


def test_openapi_document_describes_every_route_and_needs_no_cdn(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert set(document["paths"]) == {
        "/api/v1/assess",
        "/api/v1/what-if",
        "/api/v1/explain",
        "/api/v1/schema/case",
        "/api/v1/schema/pathway",
        "/api/v1/version",
    }
    assert "Case" in document["components"]["schemas"]
    # FastAPI's own pages load scripts from a CDN: they are off, and ours has no script.
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert re.findall(r"<script[^>]*>", page.text) == ['<script src="/static/htmx.min.js" defer>']
    assert not re.search(r'(src|href)="(https?:)?//', page.text)  # nothing from elsewhere
    assert "/api/v1/what-if" in page.text


# -- bad input: 422, one entry per problem, worded as the CLI words it -----------------------

BAD_CASES = [
    pytest.param(b'{"onset": "chronic", "pain_score": 11}', id="out of range"),
    pytest.param(b'{"onset": "sudden"}', id="bad value"),
    pytest.param(b'{"pain_score": 3}', id="missing onset"),
    pytest.param(b'{"onset": "chronic", "painscore": 3}', id="unknown key"),
    pytest.param(b'{"onset": "chronic", "onset": "acute"}', id="duplicate key"),
    pytest.param(b'{"onset": "chronic", "pain_score": "3"}', id="text for a number"),
    pytest.param(b'{"onset": "chronic", "herniation": "yes"}', id="yes for true"),
    pytest.param(b'{"onset": "chronic", "red_flags": ["cauda_equina", 3]}', id="bad red flag"),
    pytest.param(b'{"onset": "chronic", "red_flags": "none"}', id="red flags not a list"),
    pytest.param(b'{"onset": "chronic", "label": "' + b"x" * 300 + b'"}', id="label too long"),
    pytest.param(
        b'{"onset": "acute", "symptom_months": 9, "discectomy_outcome": "failed"}',
        id="contradictions",
    ),
    pytest.param(b'{"onset": "chronic", "pain_score": 1' + b"0" * 40 + b"}", id="huge number"),
    pytest.param(b'{"onset": "chronic",}', id="malformed JSON"),
    pytest.param(b"{" * 100_000, id="nested too deeply"),
    pytest.param(b'{"onset": "chr\xffonic"}', id="not UTF-8"),
    pytest.param(b"{" + b", ".join(b'"k%d": 1' % i for i in range(50)) + b"}", id="many keys"),
]


@pytest.mark.parametrize("body", BAD_CASES)
def test_bad_case_is_422_with_the_cli_lines(
    client: TestClient, tmp_path: Path, body: bytes
) -> None:
    response = client.post(
        "/api/v1/assess", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors == cli_errors(tmp_path, body)
    assert all(line.startswith("case: ") and "\n" not in line for line in errors)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"[1, 2]", "case: a case file must be one mapping of keys to values, not a list"),
        (b"", "case: line 1, column 1: malformed JSON: Expecting value"),
        (b"null", "case: a case file must be one mapping of keys to values, not empty"),
    ],
)
def test_a_body_that_is_no_json_object_is_422(
    client: TestClient, body: bytes, expected: str
) -> None:
    response = client.post(
        "/api/v1/assess", content=body, headers={"content-type": "application/json"}
    )
    assert (response.status_code, response.json()) == (422, {"errors": [expected]})


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"case": {"onset": "chronic"}}, ["request body: changes: required"]),
        (
            {"case": {"onset": "chronic"}, "changes": {}},
            ["changes: must be a mapping of at least one case key to its new value"],
        ),
        (
            {"case": {"onset": "chronic"}, "changes": {"pain_score": 12, "facet_arthritus": True}},
            [
                "changes: pain_score: must be a whole number from 0 to 10 (got 12)",
                "changes: facet_arthritus: unknown key (did you mean 'facet_arthritis'?)",
            ],
        ),
        (
            {"case": {"onset": "chronic"}, "changes": {"discectomy_outcome": "failed"}},
            ["changes: discectomy_outcome: given ('failed') but prior_discectomy is not true"],
        ),
        ({"case": {"onset": "often"}, "changes": {"age": 40}}, None),
        ({"case": [], "changes": {"age": 40}}, None),
        (
            {"case": {"onset": "chronic"}, "changes": {"age": 40}, "set": 1},
            ["request body: set: unknown key; expected case, changes"],
        ),
    ],
)
def test_bad_what_if_is_422(client: TestClient, body: Any, expected: list[str] | None) -> None:
    response = client.post("/api/v1/what-if", json=body)
    assert response.status_code == 422
    errors = response.json()["errors"]
    if expected is not None:
        assert errors == expected
    else:
        assert len(errors) == 1 and errors[0].startswith("case: ")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"case": {"onset": "chronic"}},
            ["explain: give exactly one of how or why_not (an option id)"],
        ),
        (
            {"case": {"onset": "chronic"}, "how": "fusion", "why_not": "prp"},
            ["explain: give exactly one of how or why_not (an option id)"],
        ),
        (
            {"case": {"onset": "chronic"}, "why_not": "fusoin"},
            ["why_not: option 'fusoin' is not a treatment id (did you mean 'fusion'?)"],
        ),
        (
            {"case": {"onset": "chronic"}, "how": "fusion"},
            [
                "fusion: no rule concluded anything about it for this case "
                "(see: spinepath explain CASE --why-not fusion)"
            ],
        ),
        (
            {"case": {"onset": "later"}, "how": 3},
            [
                "case: onset: must be one of acute, chronic, acute_on_chronic (got 'later')",
            ],
        ),
    ],
)
def test_bad_explain_is_422(client: TestClient, body: Any, expected: list[str]) -> None:
    response = client.post("/api/v1/explain", json=body)
    assert (response.status_code, response.json()) == (422, {"errors": expected})


def test_a_body_not_sent_as_json_is_415(client: TestClient) -> None:
    response = client.post("/api/v1/assess", content=b'{"onset": "chronic"}')
    assert response.status_code == 415
    assert response.json()["errors"][0].startswith("request body: must be sent as application/json")


# -- the guard -------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.nip.io", ""])
def test_a_foreign_host_header_is_refused(client: TestClient, host: str) -> None:
    response = client.get("/api/v1/version", headers={"host": host})
    assert response.status_code == 400
    assert "version" not in response.text


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "[::1]:8765", "localhost"])
def test_loopback_host_names_are_answered(client: TestClient, host: str) -> None:
    assert client.get("/api/v1/version", headers={"host": host}).status_code == 200


def test_a_host_given_to_serve_is_answered_too() -> None:
    from spinepath.web.command import allowed_hosts

    app = create_app(allowed_hosts=allowed_hosts("192.168.1.20"))
    other = TestClient(app, base_url="http://192.168.1.20:8765")
    assert other.get("/api/v1/version").status_code == 200
    assert other.get("/api/v1/version", headers={"host": "evil.example"}).status_code == 400


@pytest.mark.parametrize(
    "headers",
    [{"origin": "http://evil.example"}, {"origin": "null"}, {"sec-fetch-site": "cross-site"}],
)
def test_a_cross_site_post_is_refused(client: TestClient, headers: dict[str, str]) -> None:
    response = client.post("/api/v1/assess", json={"onset": "chronic"}, headers=headers)
    assert response.status_code == 403


def test_a_same_origin_post_is_answered(client: TestClient) -> None:
    headers = {"origin": BASE, "sec-fetch-site": "same-origin"}
    assert client.post("/api/v1/assess", json={"onset": "chronic"}, headers=headers).is_success


def test_an_oversized_body_is_413_whatever_its_declared_length(client: TestClient) -> None:
    big = b'{"label": "' + b"x" * MAX_BODY_BYTES + b'"}'
    headers = {"content-type": "application/json"}
    assert client.post("/api/v1/assess", content=big, headers=headers).status_code == 413

    def chunks() -> Any:  # no Content-Length: sent in pieces, counted as it arrives
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    response = client.post("/api/v1/assess", content=chunks(), headers=headers)
    assert response.status_code == 413
    assert response.json()["errors"][0].startswith("request body: larger than 1,000,000 bytes")


@pytest.mark.parametrize("path", ["/api/v1/version", "/openapi.json", "/api/docs", "/nowhere"])
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "http" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"


def test_nothing_is_written_and_no_case_is_logged(
    client: TestClient, tmp_path: Path, caplog: Any
) -> None:
    label = "Secret patient label 7f3a"
    case = {"label": label, "onset": "chronic", "pain_score": 4}
    with caplog.at_level("DEBUG"):
        assert client.post("/api/v1/assess", json=case).is_success
        assert client.post("/api/v1/assess", json={**case, "pain_score": 40}).status_code == 422
    assert list(tmp_path.iterdir()) == []
    assert label not in caplog.text


def test_the_docs_show_the_api_answer_to_a_bad_case(client: TestClient) -> None:
    from tests.helpers import REPO

    page = (REPO / "docs" / "web.md").read_text(encoding="utf-8")
    shown = re.search(r"```json\n(.*?)\n```", page, re.S)
    assert shown is not None
    body = {"onset": "sudden", "pain_score": 11}
    assert client.post("/api/v1/assess", json=body).json() == json.loads(shown.group(1))
