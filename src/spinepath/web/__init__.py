"""``spinepath serve``: a local web app and a JSON API over the same pathway as the CLI.

- :mod:`spinepath.web.service`: case text in, the CLI's JSON out (no web framework).
- :mod:`spinepath.web.security`: the local server's protections, as ASGI middleware.
- :mod:`spinepath.web.api`: the JSON API under ``/api/v1``.
- :mod:`spinepath.web.pages`: the HTML pages (htmx, shipped in ``static/``).
- :mod:`spinepath.web.app`: the application factory that puts them together.
- :mod:`spinepath.web.command`: the ``serve`` command.

Nothing here writes a file or logs a case: every request is answered from memory.
"""
