"""Text from a case shown on a terminal as visible escapes, never as control characters.

A case file is anyone's text: an ESC in its label could clear the screen, move
the cursor or retitle the window, and a newline could print a fake
"Recommended" line under a real heading. So every C0 and C1 control character
from a case is shown as a Python-style escape (``\\x1b``, ``\\n``).
"""

from __future__ import annotations

import json
import re
from typing import Any

_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROLS_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or f"\\x{ord(char):02x}"


def visible(text: str) -> str:
    """``text`` on one line, every control character (newlines too) as a visible escape."""
    return _CONTROLS.sub(_escape, text)


def visible_page(text: str) -> str:
    """A rendered page with its own line breaks kept and every other control escaped."""
    return _CONTROLS_BUT_NEWLINE.sub(_escape, text)


_RAW_IN_JSON = re.compile(r"[\x7f-\x9f]")


def json_for_terminal(document: str) -> str:
    """JSON text with DEL and the C1 controls as ``\\u`` escapes: the same data, but no byte
    a terminal could take for a command (``json.dumps`` escapes only C0)."""
    if document.isascii() and "\x7f" not in document:
        return document  # nothing to escape; found far faster than the pattern scans
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", document)


def result_json(data: Any) -> str:
    """A result as the CLI prints it with ``--format json`` (keys sorted, two-space indent,
    pydantic models dumped as JSON, no trailing newline); the web API answers the same text."""

    def plain(value: Any) -> Any:
        return value.model_dump(mode="json")

    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=plain)
    return json_for_terminal(text)
