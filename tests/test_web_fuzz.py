"""Property-based fuzz of the API and the pages (issue 14): no input is a server error.

Bodies are drawn from the case's own vocabulary (every key, valid and invalid values,
wrong types, unknown keys) and from arbitrary JSON and bytes; the answer is always 200
or a refusal with one line per problem, never 500. The test client re-raises any
exception the app lets escape, so a crash fails the test with its traceback.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spinepath.case.model import CASE_KEYS, allowed_values
from spinepath.web.app import create_app

CLIENT = TestClient(create_app(), base_url="http://127.0.0.1:8765")
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def case_value(key: str) -> st.SearchStrategy[Any]:
    values = allowed_values(key)
    known = (
        st.sampled_from([v for v in values if v is not None]) if values else st.integers(-5, 700)
    )
    if key == "red_flags":
        known = st.lists(st.sampled_from(["cauda_equina", "major_trauma", "cancer_history"]))
    return known | known | json_values


cases = st.fixed_dictionaries(
    {"onset": case_value("onset")},
    optional={key: case_value(key) for key in CASE_KEYS if key != "onset"}
    | {"unknown_key": json_values},
)


def post(path: str, body: Any) -> Any:
    headers = {"content-type": "application/json"}
    return CLIENT.post(path, content=json.dumps(body), headers=headers)


def answered(response: Any) -> None:
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422 and "text/html" in response.headers["content-type"]:
        assert 'class="problems" role="alert"' in response.text
    elif response.status_code == 422:
        errors = response.json()["errors"]
        assert errors and all(isinstance(e, str) and "\n" not in e for e in errors)


@FUZZ
@given(case=cases)
def test_assess_never_fails_on_a_case(case: dict[str, Any]) -> None:
    answered(post("/api/v1/assess", case))


@FUZZ
@given(body=json_values)
def test_assess_never_fails_on_any_json(body: Any) -> None:
    answered(post("/api/v1/assess", body))


@FUZZ
@given(body=st.binary(max_size=200))
def test_assess_never_fails_on_any_bytes(body: bytes) -> None:
    headers = {"content-type": "application/json"}
    answered(CLIENT.post("/api/v1/assess", content=body, headers=headers))


@FUZZ
@given(case=cases, changes=st.dictionaries(st.sampled_from(CASE_KEYS), json_values, max_size=3))
def test_what_if_never_fails(case: dict[str, Any], changes: dict[str, Any]) -> None:
    answered(post("/api/v1/what-if", {"case": case, "changes": changes}))


@FUZZ
@given(
    case=cases,
    kind=st.sampled_from(["how", "why_not"]),
    option=st.sampled_from(["fusion", "prp", "physical_therapy"]) | json_values,
)
def test_explain_never_fails(case: dict[str, Any], kind: str, option: Any) -> None:
    answered(post("/api/v1/explain", {"case": case, kind: option}))


query_pairs = st.lists(
    st.tuples(
        st.sampled_from([*CASE_KEYS, "to.onset", "to.red_flags", "to.pain_score", "step", "x"]),
        st.sampled_from(["", "unknown", "none", "null", "true", "false", "chronic", "7", "-1"])
        | st.text(max_size=12),
    ),
    max_size=8,
)


@FUZZ
@given(
    path=st.sampled_from(
        [
            "/pathway",
            "/what-if",
            "/walkthrough",
            "/explain",
            "/case/questions",
            "/download/case.yaml",
        ]
    ),
    pairs=query_pairs,
)
def test_pages_never_fail(path: str, pairs: list[tuple[str, str]]) -> None:
    response = CLIENT.get(path, params=pairs)
    answered(response)
    assert "text/html" in response.headers["content-type"] or path.startswith("/download")


def test_the_fuzz_reaches_both_answers() -> None:
    """The strategies make valid cases as well as bad ones (else the fuzz proves little)."""
    good = CLIENT.post("/api/v1/assess", json={"onset": "chronic", "red_flags": []})
    bad = CLIENT.post("/api/v1/assess", json=json.loads('{"onset": 1}'))
    assert (good.status_code, bad.status_code) == (200, 422)
