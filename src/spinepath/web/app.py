"""The application factory: the API, the pages and the static files behind one guard."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles

from spinepath import __version__
from spinepath.web.security import LOOPBACK_NAMES, LocalServerGuard

STATIC = "static"


def create_app(*, allowed_hosts: Iterable[str] = LOOPBACK_NAMES) -> Any:
    """The ASGI app; it answers only requests whose Host is one of ``allowed_hosts``.

    FastAPI's own documentation pages load their scripts from a CDN, so they are
    turned off: the OpenAPI document is at ``/openapi.json`` and a page of our own,
    with no script, describes it at ``/api/docs``.
    """
    import logging
    from importlib.resources import files

    from spinepath.web import api, pages

    # experta's watchers log every fact asserted, a case's facts included, at INFO:
    # the server logs no case, whatever logging the host program set up.
    logging.getLogger("experta").setLevel(logging.WARNING)

    app = FastAPI(
        title="spinepath",
        version=__version__,
        description="A cited back-pain treatment pathway, for education and shared "
        "decision-making. Not a diagnosis and not medical advice.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.include_router(api.router)
    app.include_router(pages.router)
    static = files("spinepath.web").joinpath(STATIC)
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        return api.problems_response([str(error.detail)], error.status_code)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, error: RequestValidationError) -> Response:
        lines = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
        return api.problems_response(lines)

    return LocalServerGuard(app, allowed_hosts=allowed_hosts)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with the case's JSON Schema as a component."""
    if app.openapi_schema is None:
        from fastapi.openapi.utils import get_openapi

        from spinepath.api import Case

        document = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        document.setdefault("components", {}).setdefault("schemas", {})["Case"] = (
            Case.model_json_schema(ref_template="#/components/schemas/{model}")
        )
        app.openapi_schema = document
    return app.openapi_schema
