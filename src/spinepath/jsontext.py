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


def dumps_model(
    model: Any, *, items: tuple[str, ...] = (), extra: dict[str, Any] | None = None
) -> str:
    """``dumps(model.model_dump(mode="json"), plain=True)``, the same text, faster.

    orjson walks the model itself: each pydantic model it meets is handed over
    as its ``__dict__`` (see :func:`_model_fields`), so that no intermediate
    dump is built in Python. For a model that does not qualify, a value orjson
    refuses (a lone surrogate, a key that is not a string) or anything else it
    cannot write, the model is dumped by pydantic and written by the standard
    library, as before. Like ``plain=True``, this is for models without float
    fields (the pathway; ``tests/test_engine.py`` checks its schema).

    ``items`` names list fields of ``model`` whose items are models: each is
    written from its kept text if it is marked with :func:`share`, else handed
    to orjson as its fields directly (saving orjson a call back per item).
    ``extra`` adds fields beside the model's.
    """
    text = _encoded(model, items, extra)
    if text is None:
        return standard_dumps({**model.model_dump(mode="json"), **(extra or {})})
    return text.decode()


def dumps_model_line(
    model: Any, *, items: tuple[str, ...] = (), extra: dict[str, Any] | None = None
) -> str:
    """``model`` (and ``extra``) on one line: exactly what ``json.dumps(data,
    sort_keys=True, ensure_ascii=False)`` writes for ``data``, the model's JSON-mode
    dump with ``extra`` beside it (the format of ``spinepath batch --full``).

    The standard library's C encoder writes it without a dump: the top-level fields one
    by one (in key order, as ``sort_keys`` would), models as their fields (as
    :func:`dumps_model` hands them to orjson) and the shared items of the ``items``
    lists from their kept one-line text. Anything else goes the old way: pydantic's
    dump, then ``json.dumps``.
    """
    fields = _fields_of(model)
    if fields is not None:
        values = {**fields, **(extra or {})}
        encode = _line_encoder().encode
        try:
            parts = []
            for key in sorted(values):
                value = values[key]
                text = _line_of_items(value) if key in items else encode(value)
                parts.append(f"{encode(key)}: {text}")
            return "{" + ", ".join(parts) + "}"
        except (TypeError, ValueError):
            pass  # a model not written as its fields, a key that is not a string...
    data = {**model.model_dump(mode="json"), **(extra or {})}
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def _line_of_items(values: list[Any]) -> str:
    """A list of models on one line, shared ones from their kept text."""
    encode = _line_encoder().encode
    kept = [_SHARED.get(id(value)) for value in values]
    if not any(kept):
        return encode(values)  # one call for the lot (the trace)
    texts = []
    for value, found in zip(values, kept, strict=True):
        if found is None or found[0] is not value:
            texts.append(encode(value))
            continue
        text = found[1].get("line")
        if text is None:
            text = found[1]["line"] = encode(value)
        texts.append(text)
    return "[" + ", ".join(texts) + "]"


_LINE: list[json.JSONEncoder] = []


def _line_encoder() -> json.JSONEncoder:
    """``json.dumps(..., sort_keys=True, ensure_ascii=False)``'s encoder, which writes a
    model it meets as its fields (or raises ``TypeError``)."""
    if not _LINE:
        _LINE.append(json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=_model_fields))
    return _LINE[0]


def _encoded(model: Any, items: tuple[str, ...], extra: dict[str, Any] | None) -> bytes | None:
    """The documented format of ``model`` (and ``extra``) as UTF-8 written by orjson, or
    ``None`` when the standard library must write it (see :func:`dumps_model`)."""
    import orjson

    direct = (items or extra) and _fields_of(model) is not None
    if extra and not direct:
        return None
    value = model
    if direct:
        value = dict(model.__dict__)
        for name in items:
            value[name] = _items(value[name], 2)
        if extra:
            value.update(extra)
    try:
        options = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
        return orjson.dumps(value, default=_model_fields, option=options)
    except orjson.JSONEncodeError:
        return None


# -- models shared between documents ----------------------------------------------------
#
# The pathway builder makes a stage, a caution or an alert once and shares it between
# every pathway that holds the same one (``pathway/build.py``); those models are never
# changed. Their text is kept here, per indentation level, and orjson copies it in as a
# ``Fragment`` (which it writes as it is, without re-indenting it: hence one text per
# level). A raw newline in the project's JSON text is only ever indentation (strings
# escape theirs), so the text at a deeper level is the text with each newline followed
# by the extra spaces.

#: id of a shared model -> (the model, its text by indentation level). The model is held
#: here, so its id cannot be reused while the entry exists.
_SHARED: dict[int, tuple[Any, dict[int | str, Any]]] = {}


def share(model: Any) -> None:
    """Mark ``model`` as one that never changes and recurs in many documents."""
    _SHARED[id(model)] = (model, {})


def unshare(models: list[Any]) -> None:
    """Forget the kept text of ``models`` (the builder lets them go)."""
    for model in models:
        found = _SHARED.get(id(model))
        if found is not None and found[0] is model:
            del _SHARED[id(model)]


def _items(values: list[Any], level: int) -> list[Any]:
    """Each of ``values`` as its kept text at an indentation ``level`` if it is shared,
    else as its fields if it is written as its fields, else as it is (orjson then calls
    :func:`_model_fields` on it)."""
    shared = _SHARED
    direct = _DIRECT
    written = []
    for value in values:
        found = shared.get(id(value))
        if found is not None and found[0] is value:
            written.append(_kept(found, level))
            continue
        count = direct.get(type(value))
        if count and len(fields := value.__dict__) == count:
            written.append(fields)
        else:
            written.append(value)
    return written


def _kept(found: tuple[Any, dict[int | str, Any]], level: int) -> Any:
    """A shared model's kept text at an indentation ``level`` (made on first use), or the
    model itself when orjson cannot write it; ``found``: its entry in ``_SHARED``."""
    model, texts = found
    text = texts.get(level)
    if text is None:
        import orjson

        try:
            encoded = dumps_model(model).encode()
        except UnicodeEncodeError:
            return model  # a lone surrogate: the document as a whole falls back
        text = texts[level] = orjson.Fragment(encoded.replace(b"\n", b"\n" + b"  " * level))
    return text


#: For each model class met: its number of fields if it is written as its fields, else 0.
_DIRECT: dict[type, int] = {}


def _fields_of(model: Any) -> dict[str, Any] | None:
    """``model``'s fields if it is written as its fields (see :func:`_model_fields`)."""
    count = _DIRECT.get(type(model))
    if count is None:
        kind = type(model)
        count = _DIRECT[kind] = len(kind.__pydantic_fields__) if _dumps_as_fields(kind) else 0
    if count:
        fields = model.__dict__
        if len(fields) == count:  # nothing cached beside the fields
            return fields
    return None


def _model_fields(value: Any) -> dict[str, Any]:
    """orjson's ``default``: a pydantic model as its fields, exactly as its JSON-mode dump
    would give them, or ``TypeError`` (orjson then raises, and the caller falls back)."""
    fields = _fields_of(value)
    if fields is None:
        raise TypeError(f"not written directly: {type(value).__name__}")
    return fields


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
