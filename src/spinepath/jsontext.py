"""The project's JSON text: keys sorted, two-space indent, UTF-8 left unescaped.

The documented format is exactly what ``json.dumps(data, sort_keys=True,
indent=2, ensure_ascii=False)`` writes. With ``indent`` set, the standard
library falls back to its pure-Python encoder (about 2.5 ms for one pathway);
orjson writes the same bytes for the data spinepath produces (strings, whole
numbers, booleans, ``None``, lists and dicts with string keys) some ten times
faster. For anything orjson would write differently or refuses (a lone
surrogate in a string, a float, an integer beyond 64 bits, a key that is not a
string), the standard library writes it, so the bytes never depend on the path.
``tests/test_engine.py`` holds the two to each other on every teaching case.
"""

from __future__ import annotations

import json
from typing import Any


def dumps(data: Any, *, plain: bool = False) -> str:
    """``data`` as the project's JSON text (no trailing newline).

    ``plain=True`` says the caller knows ``data`` holds no float, no integer
    beyond 64 bits and no key that is not a string (a pathway, whose model has
    no such field), which saves walking it first.
    """
    if plain or _plain(data):
        import orjson

        try:
            return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
        except (orjson.JSONEncodeError, UnicodeDecodeError):
            pass  # a lone surrogate, say: the standard library writes it as it always has
    return standard_dumps(data)


def standard_dumps(data: Any) -> str:
    """The documented format, written by the standard library (the reference)."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False)


def _plain(data: Any) -> bool:
    """Whether ``data`` holds only values orjson writes exactly as ``json`` does.

    Floats are left to the standard library: the two spell some of them
    differently (``1e+16`` against ``1e16``; ``NaN`` against ``null``).
    """
    stack = [data]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is dict:
            for key in value:
                if type(key) is not str:
                    return False
            stack.extend(value.values())
        elif kind is list:
            stack.extend(value)
        elif kind is int:
            if not -(2**63) <= value < 2**64:
                return False
        elif kind is not str and kind is not bool and value is not None:
            return False
    return True
