"""The API's answers, as the CLI gives them: the same JSON text, byte for byte.

Each function takes the request's body (bytes) and returns the text ``spinepath
... --format json`` prints for the same case (with its final newline). Bad input
raises :class:`~spinepath.errors.CaseError` with the case loader's own lines, so
the API words every problem as the CLI does. Cases, the knowledge base, pathways,
what-ifs and explanations come from :mod:`spinepath.api`, as the CLI's do. No web
framework is imported here.
"""

from __future__ import annotations

from typing import Any, Literal

from spinepath import api
from spinepath.api import Case
from spinepath.errors import CaseError
from spinepath.terminal import json_for_terminal, result_json

#: The name bad input is reported under, where the CLI names the case file.
CASE_SOURCE = "case"
#: What a request body may hold besides the case, per endpoint.
WHAT_IF_KEYS = ("case", "changes")
EXPLAIN_KEYS = ("case", "how", "why_not")


def read_body(raw: bytes, *, source: str = "request body") -> dict[str, Any]:
    """The body as a JSON object, read by the case loader's strict JSON reader
    (duplicate keys and over-long numbers refused, one line per problem)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CaseError(f"{source}: is not UTF-8 text") from None
    return api.parse_case_data(text, source=source, format="json")


def case_from(data: Any) -> Case:
    """The validated case from a JSON value, worded as for a case file named ``case``."""
    if not isinstance(data, dict):  # a text would be read as a case file's path
        raise CaseError(f"{CASE_SOURCE}: a case file must be one mapping of keys to values")
    return api.load_case(data, source=CASE_SOURCE)


def assess_json(raw: bytes) -> str:
    """``spinepath assess CASE --format json``, where the body is the case (read as the
    CLI reads a JSON case file named ``case``)."""
    pathway = api.assess(case_from(read_body(raw, source=CASE_SOURCE)))
    return json_for_terminal(pathway.to_json()) + "\n"


def what_if_json(raw: bytes) -> str:
    """``spinepath what-if CASE --set ... --format json``: ``{"case": {...}, "changes":
    {key: value}}``, a value of ``null`` making the fact not stated (as ``KEY=null``)."""
    body = read_body(raw)
    _only(body, WHAT_IF_KEYS)
    case = case_from(_required(body, "case"))
    changes = _required(body, "changes")
    if not isinstance(changes, dict) or not changes:
        raise CaseError("changes: must be a mapping of at least one case key to its new value")
    kb = api.knowledge_base()
    difference = api.what_if(case, changes, kb, source="changes")
    return cli_json(
        {
            "what_if": difference,
            "disclaimer": " ".join(kb.meta.disclaimer.split()),
            "review_status": kb.meta.review_status(),
        }
    )


def explain_json(raw: bytes) -> str:
    """``spinepath explain CASE --how OPTION`` or ``--why-not OPTION`` with ``--format json``:
    ``{"case": {...}, "how": "fusion"}`` or ``{"case": {...}, "why_not": "fusion"}``."""
    body = read_body(raw)
    _only(body, EXPLAIN_KEYS)
    given: list[Literal["how", "why_not"]] = [kind for kind in ("how", "why_not") if kind in body]
    problems = []
    if len(given) != 1:
        problems.append("explain: give exactly one of how or why_not (an option id)")
    case_problems: list[str] = []
    try:
        case = case_from(_required(body, "case"))
    except CaseError as error:
        case_problems = error.problems
    if problems or case_problems:
        raise CaseError(case_problems + problems)
    kind = given[0]
    kb = api.knowledge_base()
    option_id = treatment_id(kb, body[kind], kind)
    pathway = api.assess(case, kb)
    explanation = api.explain(pathway, option_id, kind=kind, kb=kb)
    return cli_json(
        {
            kind: explanation,
            "disclaimer": pathway.disclaimer,
            "review_status": pathway.review_status,
        }
    )


def treatment_id(kb: Any, value: Any, field: str) -> str:
    """``value`` if it is a treatment id; else the CLI's error, naming ``field``."""
    known = kb.treatment_ids()
    if not isinstance(value, str):
        raise CaseError(f"{field}: must be a treatment id (text); one of {', '.join(known)}")
    if value in known:
        return value
    raise CaseError(f"{field}: {kb.not_a_treatment(value)}")


def cli_json(data: Any) -> str:
    """JSON text exactly as the CLI prints a result, with its final newline."""
    return result_json(data) + "\n"


def version_info() -> dict[str, str]:
    """The versions a result depends on."""
    from spinepath import __version__

    meta = api.knowledge_base().meta
    return {
        "spinepath_version": __version__,
        "knowledge_version": meta.version,
        "knowledge_last_review": str(meta.last_review),
    }


def _required(body: dict[str, Any], key: str) -> Any:
    if key not in body:
        raise CaseError(f"request body: {key}: required")
    return body[key]


def _only(body: dict[str, Any], keys: tuple[str, ...]) -> None:
    unknown = [key for key in body if key not in keys]
    if unknown:
        raise CaseError(
            [f"request body: {key}: unknown key; expected {', '.join(keys)}" for key in unknown]
        )
