"""The local server's protections, in one ASGI middleware that wraps the whole app.

- Host check: only the names the server was started for are answered (loopback
  names by default), so a web page that rebinds its own DNS name to 127.0.0.1
  cannot read answers (DNS rebinding).
- Cross-site writes: a POST whose ``Origin`` is another site, or that a browser
  marks ``Sec-Fetch-Site: cross-site``, is refused (403): no other page can make
  the user's browser drive the app.
- Request bodies are limited in size (413), counted as they arrive, whatever
  ``Content-Length`` says.
- Every response carries a strict Content-Security-Policy (scripts and styles
  from this server only, nothing else fetched, no framing), ``X-Content-Type-
  Options: nosniff``, ``Referrer-Policy: no-referrer`` and ``Cache-Control:
  no-store`` (a case is health data: no copy kept in a shared cache).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from spinepath.api import MAX_CASE_BYTES

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")
#: A request body holds one case (and a few changes): the case loader's own limit.
MAX_BODY_BYTES = MAX_CASE_BYTES

#: The policy of every page; a page with a ``<style>`` element adds that style's hash.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


def csp_with_style(style_hashes: Iterable[str]) -> str:
    """The policy, allowing also the inline ``<style>`` elements with these sha256 hashes
    (base64): styles of our own rendered report, never a script."""
    extra = " ".join(f"'sha256-{value}'" for value in style_hashes)
    return CSP.replace("style-src 'self'", f"style-src 'self' {extra}".rstrip())


def host_name(host_header: str) -> str:
    """The name in a Host header, without its port (``[::1]:8765`` gives ``[::1]``)."""
    host_header = host_header.strip().lower()
    if host_header.startswith("["):
        return host_header.split("]", 1)[0] + "]"
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


class LocalServerGuard:
    """ASGI middleware applying the protections above to every HTTP request."""

    def __init__(self, app: ASGIApp, *, allowed_hosts: Iterable[str] = LOOPBACK_NAMES) -> None:
        self.app = app
        self.allowed_hosts = {name.lower() for name in allowed_hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {
            key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]
        }
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await _plain(send, *refusal)
            return
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            await _too_large(send)
            return

        received = 0
        too_large = False

        async def counted_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY_BYTES:
                    too_large = True
                    raise BodyTooLarge()
            return message

        started = False
        refused = False

        async def secured_send(message: Message) -> None:
            nonlocal started, refused
            if too_large:
                # The app saw its body cut short: whatever it answers, the answer is 413.
                if not started and not refused:
                    refused = True
                    await _too_large(send)
                return
            if message["type"] == "http.response.start":
                started = True
                present = {key.lower() for key, _ in message.get("headers", [])}
                extra = [
                    (key.encode(), value.encode())
                    for key, value in HEADERS.items()
                    if key.encode() not in present
                ]
                if b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", CSP.encode()))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, counted_receive, secured_send)
        except BodyTooLarge:
            pass
        finally:
            if too_large and not started and not refused:
                refused = True
                await _too_large(send)

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        name = host_name(headers.get("host", ""))
        if name not in self.allowed_hosts:
            return 400, "Invalid host header: this server answers only to its own address."
        if scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return None
        if headers.get("sec-fetch-site") == "cross-site":
            return 403, "Cross-site request refused."
        origin = headers.get("origin")
        if (
            origin is not None
            and urlsplit(origin).netloc.lower() != headers.get("host", "").lower()
        ):
            return 403, "Cross-origin request refused."
        return None


class BodyTooLarge(Exception):
    """The request body went past :data:`MAX_BODY_BYTES`."""


async def _too_large(send: Send) -> None:
    problem = f"request body: larger than {MAX_BODY_BYTES:,} bytes; a case is at most that"
    body = json.dumps({"errors": [problem]}).encode()
    await _send(send, 413, body, b"application/json")


async def _plain(send: Send, status: int, text: str) -> None:
    await _send(send, status, text.encode(), b"text/plain; charset=utf-8")


async def _send(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        (b"content-security-policy", CSP.encode()),
        *((key.encode(), value.encode()) for key, value in HEADERS.items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
