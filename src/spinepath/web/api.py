"""The JSON API, ``/api/v1``: the CLI's JSON for a case sent as JSON.

Bodies are read by the case loader itself (not by the framework's model
binding), so that a bad case gets exactly the CLI's lines: ``422`` with
``{"errors": [one line per problem]}``. A body that is not JSON, or is not
sent as ``application/json``, is refused the same way (``422``, ``415``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response

from spinepath.errors import SpinepathError
from spinepath.web import service

JSON = "application/json"
router = APIRouter(prefix="/api/v1", tags=["api"])

ERRORS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "errors": {
            "type": "array",
            "items": {"type": "string"},
            "description": "One line per problem, worded as the command line words it.",
        }
    },
    "required": ["errors"],
}
CASE_REF = {"$ref": "#/components/schemas/Case"}
WHAT_IF_BODY = {
    "type": "object",
    "properties": {
        "case": CASE_REF,
        "changes": {
            "type": "object",
            "minProperties": 1,
            "description": "Case keys and their new values; null makes a fact not stated.",
        },
    },
    "required": ["case", "changes"],
    "additionalProperties": False,
}
EXPLAIN_BODY = {
    "type": "object",
    "properties": {
        "case": CASE_REF,
        "how": {"type": "string", "description": "How was this option's verdict reached?"},
        "why_not": {"type": "string", "description": "Why is this option not recommended?"},
    },
    "required": ["case"],
    "additionalProperties": False,
    "description": "The case and exactly one of how or why_not (a treatment id).",
}


def _openapi(body_schema: dict[str, Any], result: str) -> dict[str, Any]:
    """The OpenAPI description of a POST route that reads its body itself."""
    return {
        "requestBody": {"required": True, "content": {JSON: {"schema": body_schema}}},
        "responses": {
            "200": {"description": result, "content": {JSON: {"schema": {"type": "object"}}}},
            "413": {"description": "The body is larger than 1,000,000 bytes."},
            "415": {"description": "The body is not sent as application/json."},
            "422": {
                "description": "Bad input: one entry per problem.",
                "content": {JSON: {"schema": ERRORS_SCHEMA}},
            },
        },
    }


def problems_response(problems: list[str], status: int = 422) -> Response:
    """One entry per problem, worded as the CLI words it: a key from the case cannot break
    the line (control characters are escaped, as on the terminal)."""
    from spinepath.terminal import visible

    lines = [visible(problem) for problem in problems]
    return Response(json.dumps({"errors": lines}, ensure_ascii=False) + "\n", status, None, JSON)


async def _answer(request: Request, answer: Callable[[bytes], str]) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON:
        return problems_response(
            [f"request body: must be sent as {JSON} (got {content_type or 'no content type'!r})"],
            415,
        )
    try:
        text = answer(await request.body())
    except SpinepathError as error:
        return problems_response(error.problems)
    return Response(text, media_type=JSON)


@router.post(
    "/assess",
    summary="The pathway of a case",
    description="The body is a case (as `spinepath schema` describes it). The answer is "
    "byte for byte what `spinepath assess CASE --format json` prints.",
    openapi_extra=_openapi(CASE_REF, "The pathway (the contract's JSON)."),
)
async def assess(request: Request) -> Response:
    return await _answer(request, service.assess_json)


@router.post(
    "/what-if",
    summary="What changes if some facts change",
    description='`{"case": {...}, "changes": {"facet_arthritis": false}}`; the answer '
    "is what `spinepath what-if CASE --set facet_arthritis=false --format json` prints.",
    openapi_extra=_openapi(WHAT_IF_BODY, "The difference between the two pathways."),
)
async def what_if(request: Request) -> Response:
    return await _answer(request, service.what_if_json)


@router.post(
    "/explain",
    summary="How an option's verdict was reached, or why an option is not recommended",
    description='`{"case": {...}, "how": "fusion"}` or `{"case": {...}, "why_not": '
    '"fusion"}`; the answer is what `spinepath explain CASE --how fusion --format json` '
    "(or `--why-not`) prints.",
    openapi_extra=_openapi(EXPLAIN_BODY, "The explanation."),
)
async def explain(request: Request) -> Response:
    return await _answer(request, service.explain_json)


@router.get("/schema/case", summary="The JSON Schema of a case (as `spinepath schema`)")
def case_schema() -> Response:
    from spinepath import api

    document = api.case_schema()
    return Response(json.dumps(document, indent=2, sort_keys=True) + "\n", media_type=JSON)


@router.get("/schema/pathway", summary="The JSON Schema of a pathway (the answer of assess)")
def pathway_schema() -> Response:
    from spinepath import api

    document = api.pathway_schema()
    return Response(json.dumps(document, indent=2, sort_keys=True) + "\n", media_type=JSON)


@router.get("/version", summary="The versions of spinepath and of its knowledge base")
def version() -> Response:
    return Response(json.dumps(service.version_info(), indent=2) + "\n", media_type=JSON)
