"""The HTML pages: a case form that follows ``consult``, the pathway, what-if, explore,
the walkthrough, how and why-not, and downloads.

The case travels in the URL (one query parameter per fact, :mod:`spinepath.web.forms`):
the server keeps nothing, so the original case is never lost and every page can be
bookmarked on the person's own machine. Pathway, what-if and explore bodies are the
renderers' own HTML (:mod:`spinepath.render`), explanations the text renderers' output;
the pages only frame them. Everything from a case is escaped (jinja2 autoescape).
Cases, the knowledge base, pathways, what-ifs, explanations, the walkthrough, the
exploration, the consultation and the teaching cases come from :mod:`spinepath.api`,
as the CLI's do.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from spinepath import api
from spinepath.api import Case
from spinepath.errors import CaseError, SpinepathError
from spinepath.web import forms

router = APIRouter(include_in_schema=False)
HTML = "text/html; charset=utf-8"
#: What can be downloaded as HTML or PDF: ``spinepath report`` and ``report --handout``.
DOCUMENTS = ("report", "handout")


@cache
def _environment() -> Any:
    from spinepath.render.view import environment

    # The web's own templates; they end where their last tag ends, as they always have.
    env = environment(autoescape=True, package="spinepath.web", keep_trailing_newline=False)
    env.filters["query"] = lambda pairs: urlencode(pairs)
    return env


def _kb() -> Any:
    return api.knowledge_base()


def page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    from spinepath import __version__
    from spinepath.render.view import full_disclaimer

    kb = _kb()
    text = (
        _environment()
        .get_template(template)
        .render(
            disclaimer=full_disclaimer(kb),
            version=__version__,
            knowledge_version=kb.meta.version,
            **context,
        )
    )
    return HTMLResponse(text, status)


def body_of(document: str) -> str:
    """The inside of a rendered document's ``<body>``, to show inside a page.

    Its ``<style>`` stays behind: the pages load the same style sheet from ``/report.css``,
    so the policy needs no inline style. Its ``<main>`` becomes a ``<div>``: a page has
    one main landmark, the page's own. Its few ``style`` attributes go (the policy
    allows no inline style; they only adjust a margin).
    """
    start = document.index("<body>") + len("<body>")
    body = document[start : document.rindex("</body>")]
    if body.count("<main") == 1:
        body = body.replace('<main class="page">', '<div class="page">').replace(
            "</main>", "</div>"
        )
    # Autoescaping writes every quote inside an attribute as &#34;, so this cannot cut one.
    return re.sub(r' style="[^"]*"', "", body)


def _pairs(request: Request) -> list[tuple[str, str]]:
    return list(request.query_params.multi_items())


def _case(request: Request) -> Case:
    return forms.case_from_query(_pairs(request))


def _questions(kb: Any) -> list[dict[str, Any]]:
    """The questions of ``consult`` in its order, each with its choices and glossary terms."""
    session = api.consultation(kb=kb)
    shown = []
    for key, question in kb.questions.items():
        if key == "red_flags":
            continue
        number = session.is_number(key)
        choices = [] if number else [(words, api.spelled(v)) for words, v in session.choices(key)]
        # "Not sure" leaves the fact not stated, which the pathway reads as unknown; a
        # stated "unknown" would contradict a fact that depends on another (such as
        # large_lamina_removal without an earlier discectomy).
        has_unknown = api.UNKNOWN in (api.allowed_values(key) or ())
        shown.append(
            {
                "key": key,
                "text": question.question,
                "terms": session.terms(key),
                "choices": choices,
                "not_sure": "",
                "has_unknown": has_unknown,
                "bounds": api.number_bounds(key) if number else None,
            }
        )
    return shown


def _red_flags(kb: Any) -> list[tuple[str, str]]:
    """Each red flag and its name, in the order ``consult`` offers them."""
    return [(flag, words) for words, flag in api.consultation(kb=kb).choices("red_flags")]


# -- the case form ------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home() -> HTMLResponse:
    teaching = [
        (t.title, forms.query_of(api.load_case(t.case, source=t.file)))
        for t in api.teaching_cases()
    ]
    return page("home.html.j2", teaching=teaching)


@router.get("/case", response_class=HTMLResponse)
def red_flags_step(request: Request) -> HTMLResponse:
    """Step 1, as in ``consult``: the red flags, before anything else."""
    kb = _kb()
    question = kb.questions["red_flags"]
    return page(
        "red_flags.html.j2",
        question=question.question,
        terms=[(term, kb.glossary[term]) for term in question.terms],
        flags=_red_flags(kb),
        given=request.query_params.getlist("red_flags"),
    )


@router.get("/case/questions", response_class=HTMLResponse)
def questions_step(request: Request) -> HTMLResponse:
    """Step 2: the emergency stop if a red flag calls for it, else the other questions."""
    kb = _kb()
    pairs = _pairs(request)
    flags = forms.facts_from_query([p for p in pairs if p[0] == "red_flags"]).get("red_flags")
    problems: list[str] = []
    if flags and forms.NONE_OF_THESE in flags:
        problems.append("red_flags: 'none of these' and a warning sign cannot both be ticked")
    elif flags:
        try:  # the flags as consult checks a resumed file: valid before anything else
            session = api.consultation(kb=kb, answers={"red_flags": flags}, source=forms.SOURCE)
        except CaseError as error:
            problems += error.problems
        else:
            alert = session.emergency()
            if alert is not None and request.query_params.get("go_on") != "yes":
                return page("emergency.html.j2", alert=alert, pairs=pairs)
    return _questions_page(kb, pairs, problems, 422 if problems else 200)


def _questions_page(
    kb: Any, pairs: list[tuple[str, str]], problems: list[str], status: int
) -> HTMLResponse:
    given: dict[str, str] = {}
    for name, value in pairs:
        if name != "red_flags":
            given[name] = value
    return page(
        "questions.html.j2",
        status,
        questions=_questions(kb),
        given=given,
        red_flags=[value for name, value in pairs if name == "red_flags"],
        problems=problems,
    )


# -- the pathway and what follows from it -------------------------------------------------------


def _case_or_form(request: Request) -> Case | HTMLResponse:
    """The case in the URL, or the questions page again with one line per problem."""
    try:
        return _case(request)
    except CaseError as error:
        return _questions_page(_kb(), _pairs(request), error.problems, 422)


@router.get("/pathway", response_class=HTMLResponse)
def pathway_page(request: Request) -> HTMLResponse:
    case = _case_or_form(request)
    if isinstance(case, HTMLResponse):
        return case
    kb = _kb()
    return page(
        "pathway.html.j2",
        title=case.label or "Your pathway",
        report=body_of(api.report_html(case, kb=kb)),
        case_query=forms.query_of(case),
        options=_option_ids(kb),
        what_if=_what_if_fields(kb, case),
        pdf=_has_weasyprint(),
    )


@router.get("/what-if", response_class=HTMLResponse)
def what_if_page(request: Request) -> HTMLResponse:
    """The difference the ``to.KEY`` changes make: the whole page, or (for htmx) the part."""
    from spinepath.render.html import render_what_if_html

    case = _case_or_form(request)
    if isinstance(case, HTMLResponse):
        return case
    kb = _kb()
    changes = forms.changes_from_query(_pairs(request))
    problems: list[str] = []
    difference = ""
    if changes:
        try:
            result = api.what_if(case, changes, kb, source="what if")
        except CaseError as error:
            problems = error.problems
        else:
            difference = body_of(
                render_what_if_html(kb, kind="what_if", label=case.label, difference=result)
            )
    context = {"difference": difference, "what_if_problems": problems, "changed": bool(changes)}
    status = 422 if problems else 200
    if request.headers.get("hx-request") == "true":
        return page("what_if_result.html.j2", status, **context)
    return page(
        "what_if.html.j2",
        status,
        title=case.label or "What if",
        case_query=forms.query_of(case),
        what_if=_what_if_fields(kb, case, _pairs(request)),
        **context,
    )


@router.get("/explore", response_class=HTMLResponse)
def explore_page(request: Request) -> HTMLResponse:
    from spinepath.render.html import render_what_if_html

    case = _case_or_form(request)
    if isinstance(case, HTMLResponse):
        return case
    kb = _kb()
    exploration = api.explore(case, kb=kb)
    body = render_what_if_html(kb, kind="explore", label=case.label, exploration=exploration)
    return page(
        "framed.html.j2",
        title="What would change the pathway",
        heading="What would change the pathway",
        content=body_of(body),
        case_query=forms.query_of(case),
    )


@router.get("/walkthrough", response_class=HTMLResponse)
def walkthrough_page(request: Request) -> HTMLResponse:
    """One step of the walkthrough (the rules in firing order), with previous and next."""
    from spinepath.render.text import render_walkthrough_step

    case = _case_or_form(request)
    if isinstance(case, HTMLResponse):
        return case
    kb = _kb()
    pathway = api.assess(case, kb)
    steps = api.walkthrough(pathway, kb)
    raw = request.query_params.get("step", "1")
    number = int(raw) if raw.isdigit() else 1
    number = min(max(number, 1), len(steps))
    step = steps[number - 1]
    text = render_walkthrough_step(
        pathway, kb, step, header=number == 1, footer=number == len(steps)
    )
    return page(
        "walkthrough.html.j2",
        title=f"Walkthrough, step {number} of {len(steps)}",
        number=number,
        total=len(steps),
        text=text,
        case_query=forms.query_of(case),
    )


@router.get("/explain", response_class=HTMLResponse)
def explain_page(request: Request) -> HTMLResponse:
    """How an option's verdict was reached, or why an option is not recommended."""
    from spinepath.render.text import render_explanation
    from spinepath.web.service import treatment_id

    case = _case_or_form(request)
    if isinstance(case, HTMLResponse):
        return case
    kb = _kb()
    kind: Literal["how", "why_not"] = "how" if request.query_params.get("how") else "why_not"
    text = ""
    problems: list[str] = []
    try:
        option_id = treatment_id(kb, request.query_params.get(kind, ""), kind.replace("_", "-"))
        explanation = api.explain(api.assess(case, kb), option_id, kind=kind, kb=kb)
    except SpinepathError as error:  # a wrong id, or no verdict to explain
        problems = error.problems
    else:
        text = render_explanation(kb, kind, explanation)
    return page(
        "explain.html.j2",
        422 if problems else 200,
        title="How was it reached?" if kind == "how" else "Why not?",
        kind=kind,
        text=text,
        problems=problems,
        options=_option_ids(kb),
        case_query=forms.query_of(case),
    )


def _option_ids(kb: Any) -> list[tuple[str, str]]:
    return [(t.id, t.name) for stage in kb.stages for t in stage.treatments]


def _what_if_fields(
    kb: Any, case: Case, pairs: list[tuple[str, str]] | None = None
) -> list[dict[str, Any]]:
    """One select per fact: "as now", every other value, and "not stated"."""
    from spinepath.render.words import fact_word

    chosen = {
        name.removeprefix(forms.CHANGE_PREFIX): value
        for name, value in (pairs or [])
        if name.startswith(forms.CHANGE_PREFIX)
    }
    fields = []
    for question in _questions(kb):
        key = question["key"]
        current = forms.current_value(case, key)
        if question["bounds"] is not None:
            low, high = question["bounds"]
            # A short scale in full; a long one at the edges of the bands the knowledge
            # base reads it in (the values that can change the pathway, as explore tries).
            numbers = range(low, high + 1) if high - low <= 10 else kb.band_edges(key)
            values = [(str(n), str(n)) for n in numbers]
        else:
            values = [(value, words) for words, value in question["choices"]]
            if question["has_unknown"]:
                values.append(("unknown", "not sure"))
        values = [(value, words) for value, words in values if value != current]
        if current:
            values.append((forms.NOT_STATED, "not stated"))
        fields.append(
            {
                "key": key,
                "name": fact_word(key),
                "now": current or "not stated",
                "options": values,
                "chosen": chosen.get(key, ""),
            }
        )
    flags = [(forms.NONE_OF_THESE, "none of the warning signs")] + [
        (flag, name) for flag, name in _red_flags(kb)
    ]
    now_flags = (
        ", ".join(case.red_flags) if case.red_flags else forms.current_value(case, "red_flags")
    )
    fields.insert(
        0,
        {
            "key": "red_flags",
            "name": "red flags",
            "now": now_flags or "not asked",
            "options": [*flags, (forms.NOT_STATED, "not asked")],
            "chosen": chosen.get("red_flags", ""),
        },
    )
    return fields


def _has_weasyprint() -> bool:
    import importlib.util

    return importlib.util.find_spec("weasyprint") is not None


# -- downloads ---------------------------------------------------------------------------------


def _download(data: bytes | str, media_type: str, name: str) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def _document(case: Case, kind: str) -> str:
    """The full report or the handout, as ``spinepath report [--handout]`` writes it
    (dated as the CLI dates it: SOURCE_DATE_EPOCH's date, else today's)."""
    from spinepath.render.output import report_date

    return api.report_html(case, kb=_kb(), handout=kind == "handout", date=report_date(None))


@router.get("/download/{kind}.html")
def download_html(request: Request, kind: str) -> Response:
    if kind not in DOCUMENTS:
        return not_found(request)
    case = _case_or_form(request)
    if isinstance(case, HTMLResponse):
        return case
    return _download(_document(case, kind), HTML, f"spinepath-{kind}.html")


@router.get("/download/{kind}.pdf")
def download_pdf(request: Request, kind: str) -> Response:
    if kind not in DOCUMENTS:
        return not_found(request)
    case = _case_or_form(request)
    if isinstance(case, HTMLResponse):
        return case
    if not _has_weasyprint():
        return page(
            "framed.html.j2",
            404,
            title="PDF not available",
            heading="PDF not available",
            content="",
            note="A PDF needs WeasyPrint: pip install 'spinepath[pdf]'. "
            "The HTML report prints well from the browser too.",
            case_query=forms.query_of(case),
        )
    from spinepath.render.pdf import html_to_pdf

    pdf = html_to_pdf(_document(case, kind))
    return _download(pdf, "application/pdf", f"spinepath-{kind}.pdf")


def not_found(request: Request) -> Response:
    from spinepath.web.api import problems_response

    return problems_response([f"{request.url.path}: no such page"], 404)


@router.get("/download/case.yaml")
def download_case(request: Request) -> Response:
    """The case file, written by consult's own writer, to go on with on the command line."""
    case = _case_or_form(request)
    if isinstance(case, HTMLResponse):
        return case
    answers = {key: value for key, value in api.stated_facts(case).items() if value is not None}
    text = api.consultation(kb=_kb(), answers=answers, source=forms.SOURCE).case_file_text()
    return _download(text, "application/yaml; charset=utf-8", "spinepath-case.yaml")


# -- assets and the API's documentation ------------------------------------------------------


@router.get("/report.css")
def report_css() -> Response:
    """The reports' own style sheet, so that the pages show them as the files look."""
    from importlib.resources import files

    text = files("spinepath.render").joinpath("templates", "report.css").read_text("utf-8")
    return Response(text, media_type="text/css; charset=utf-8")


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """The OpenAPI document as a page of its own: no script, nothing fetched."""
    import json

    document = request.app.openapi()
    routes = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            routes.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "body": json.dumps(body["schema"], indent=2) if body else "",
                    "responses": sorted(operation.get("responses", {}).items()),
                }
            )
    return page("api_docs.html.j2", title="JSON API", routes=routes)
