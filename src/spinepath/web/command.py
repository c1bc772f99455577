"""``spinepath serve``: start the local web app (needs ``pip install 'spinepath[web]'``)."""

from __future__ import annotations

import ipaddress
import sys

import click

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str) -> tuple[str, ...]:
    """The Host-header names to answer: the loopback names, and ``host`` if it was given."""
    from spinepath.web.security import LOOPBACK_NAMES

    extra = (f"[{host}]" if ":" in host and not host.startswith("[") else host).lower()
    return LOOPBACK_NAMES if extra in LOOPBACK_NAMES else (*LOOPBACK_NAMES, extra)


@click.command()
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port to listen on.",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the app in the web browser.")
def serve(host: str, port: int, open_browser: bool) -> None:
    """Start the local web app and JSON API (docs/web.md); Ctrl-C stops it.

    It listens on this machine only unless --host says otherwise, answers only
    requests addressed to its own address, writes nothing to disk and logs no
    case. Needs the web extra: pip install 'spinepath[web]'.

    \b
    Examples:
      spinepath serve
      spinepath serve --port 9000 --open
    """
    try:
        import uvicorn

        from spinepath.web.app import create_app
    except ImportError as missing:
        click.echo(
            f"spinepath: error: serve needs the web extra ({missing.name} is not installed): "
            "pip install 'spinepath[web]'",
            err=True,
        )
        sys.exit(2)
    if not is_loopback(host):
        click.echo(
            f"spinepath: warning: listening on {host}, not on this machine only: anyone who "
            "can reach it can use the app and see the cases entered",
            err=True,
        )
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    app = create_app(allowed_hosts=allowed_hosts(host))
    click.echo(f"spinepath: serving on {url} (Ctrl-C stops)")
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    try:
        # No access log: a request's path can carry a case's facts.
        uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning")
    except OSError as error:  # uvicorn reports a port in use itself, and exits 1
        click.echo(f"spinepath: error: {host}:{port}: cannot listen ({error.strerror})", err=True)
        sys.exit(2)
