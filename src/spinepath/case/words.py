"""How a case's keys and values read to a person ("yes", "not stated", "disc degeneration").

Below every presenter (the renderers and the consultation alike), so each words a
value the same way and none imports another.
"""

from __future__ import annotations

from typing import Any


def value_word(value: Any) -> str:
    """A fact value as a person would read it."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None:
        return "not stated"
    if isinstance(value, (list, tuple)):
        return ", ".join(value_word(v) for v in value) or "none"
    return str(value).replace("_", " ")


def fact_word(key: str) -> str:
    """A case key (or any id) as words: underscores become spaces."""
    return key.replace("_", " ")
