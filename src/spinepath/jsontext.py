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


def dumps_model(model: Any) -> str:
    """``dumps(model.model_dump(mode="json"), plain=True)``, the same text, faster.

    orjson walks the model itself: each pydantic model it meets is handed over
    as its ``__dict__`` (see :func:`_model_fields`), so that no intermediate
    dump is built in Python. For a model that does not qualify, a value orjson
    refuses (a lone surrogate, a key that is not a string) or anything else it
    cannot write, the model is dumped by pydantic and written by the standard
    library, as before. Like ``plain=True``, this is for models without float
    fields (the pathway; ``tests/test_engine.py`` checks its schema).
    """
    import orjson

    try:
        options = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
        return orjson.dumps(model, default=_model_fields, option=options).decode()
    except (orjson.JSONEncodeError, UnicodeDecodeError):
        return standard_dumps(model.model_dump(mode="json"))


#: For each model class met: its number of fields if it is written as its fields, else 0.
_DIRECT: dict[type, int] = {}


def _model_fields(value: Any) -> dict[str, Any]:
    """orjson's ``default``: a pydantic model as its fields, exactly as its JSON-mode dump
    would give them, or ``TypeError`` (orjson then raises, and the caller falls back)."""
    kind = type(value)
    count = _DIRECT.get(kind)
    if count is None:
        count = _DIRECT[kind] = len(kind.__pydantic_fields__) if _dumps_as_fields(kind) else 0
    if count:
        fields = value.__dict__
        if len(fields) == count:  # nothing cached beside the fields
            return fields
    raise TypeError(f"not written directly: {kind.__name__}")


def _dumps_as_fields(kind: type) -> bool:
    """Whether pydantic dumps instances of ``kind`` as their fields, unchanged: no
    serializer, computed field, alias, excluded field or extra data to account for."""
    from pydantic import BaseModel

    if not (isinstance(kind, type) and issubclass(kind, BaseModel)):
        return False
    decorators = kind.__pydantic_decorators__
    if (
        kind.__pydantic_root_model__
        or kind.model_computed_fields
        or decorators.field_serializers
        or decorators.model_serializers
        or kind.model_config.get("extra") == "allow"
    ):
        return False
    return all(
        not field.exclude and field.alias is None and field.serialization_alias is None
        for field in kind.__pydantic_fields__.values()
    )
