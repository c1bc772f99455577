"""An on-disk cache of the checked knowledge base, so that a start need not re-read it.

Parsing and checking the knowledge base's YAML is most of what a cold start
costs beyond importing the libraries. Its result is read-only, so it is
stored once and reused. The key is a hash of every file of the knowledge base
and of the code that reads them (and of the Python and pydantic versions that
wrote it): any edit makes a new key, so a stale entry is never used.

An entry is JSON data only: a header line (format, key, and the SHA-256 of the
rest), then pydantic's JSON of the whole checked :class:`KnowledgeBase`, plus the
values of the fields its models exclude from a dump (the seed texts), each at its
place. Reading one back cannot run code, so the cache is used on every platform
and whoever owns the directory.

Reading one back does not validate it again: the models are put together from
the data by their own field types (:func:`construct`), which takes a few
milliseconds where building pydantic's validators for the knowledge base's
models took some 30 ms of every cold start (they are built only when a
knowledge base is parsed; see ``defer_build`` in :mod:`spinepath.kb.model`).
This trusts an entry as the dump of a validated knowledge base, which it is:
its name and header carry the key (every knowledge file, the loading code, the
Python and pydantic versions), the digest catches a truncated or damaged file,
and data of any other shape is a miss. Validation never guarded against a
forged entry either (a well-formed entry may say anything), so whoever can
write the cache directory could always change what spinepath says; they still
cannot make it run code. A field type :func:`construct` does not know (a new
model using, say, a ``Path``) makes it fall back to validating the entry.

Where: ``$SPINEPATH_CACHE_DIR``, else the platform's user cache directory
(platformdirs: ``$XDG_CACHE_HOME/spinepath``, else ``~/.cache/spinepath`` on
Linux). A directory that is not absolute (a relative setting, ``HOME=""``)
means no cache, never one relative to wherever spinepath was started.
``SPINEPATH_NO_CACHE`` set to anything but ``""``, ``0``, ``false``, ``no`` or
``off`` turns the cache off.

A cache that cannot be read or written is ignored: the knowledge base is then
parsed as usual, and a knowledge base with errors is never cached, so its
errors are reported every time.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
import types
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from spinepath import __version__
from spinepath.kb.model import KnowledgeBase

#: Entries kept; older ones are removed when a new one is written.
KEEP = 8
#: A temporary file this old is an orphan (its writer was killed), not a write under way.
ORPHAN_AGE_SECONDS = 3600

PREFIX = "knowledge-"
SUFFIX = ".json"
#: The entry's own format; bump it when the layout below changes.
FORMAT = 2

#: What spinepath writes in the directory, and nothing else is ever deleted: entries
#: (this format's and the pickles of earlier versions) and their temporary files.
_ENTRY = re.compile(r"^knowledge-[0-9a-f]{32}\.(?:json|pickle)$")
_TEMPORARY = re.compile(r"^\.knowledge-[0-9a-f]{32}\.(?:json|pickle)\.[A-Za-z0-9_]+$")

_OFF_VALUES = ("", "0", "false", "no", "off")

_PACKAGE = Path(__file__).resolve().parent.parent
#: The code whose change changes what loading produces.
_LOADER_CODE = (
    "kb/model.py",
    "kb/loading.py",
    "kb/passages.py",
    "kb/cache.py",
    "case/model.py",
    "strict_yaml.py",
    "limits.py",
)


def cache_dir() -> Path | None:
    """Where cache entries go, or ``None`` when the cache is off or has no sound place."""
    if os.environ.get("SPINEPATH_NO_CACHE", "").strip().lower() not in _OFF_VALUES:
        return None
    configured = os.environ.get("SPINEPATH_CACHE_DIR")
    if configured:
        return Path(configured) if os.path.isabs(configured) else None
    xdg = _xdg_cache_home()
    if xdg and not os.path.isabs(xdg):
        return None  # relative to wherever spinepath was started: no sound place
    home = os.environ.get("HOME")
    if home is not None and not os.path.isabs(home) and not xdg:
        return None  # `HOME=""` would make the default "/.cache"
    import platformdirs  # only when there is a cache to find

    try:
        found = platformdirs.user_cache_dir("spinepath", appauthor=False)
    except (RuntimeError, KeyError, OSError):  # no home directory to be found
        return None
    return Path(found) if os.path.isabs(found) else None


def _xdg_cache_home() -> str:
    return os.environ.get("XDG_CACHE_HOME", "").strip() if sys.platform.startswith("linux") else ""


def cached_knowledge(root: Path, parse: Callable[[Path], KnowledgeBase]) -> KnowledgeBase:
    """The knowledge base in ``root``: from the cache if an entry matches, else ``parse(root)``."""
    directory = cache_dir()
    if directory is None:
        return parse(root)
    key = knowledge_key(root)
    entry = directory / f"{PREFIX}{key}{SUFFIX}"
    found = _read(entry, key)
    if found is not None:
        return found
    kb = parse(root)
    _write(entry, key, kb)
    return kb


def knowledge_key(root: Path) -> str:
    """A hash of every file under ``root`` (names and contents) and of the loading code."""
    digest = hashlib.sha256()
    for part in (__version__, sys.version, _pydantic_versions(), str(FORMAT)):
        digest.update(part.encode() + b"\0")
    for name in _LOADER_CODE:
        digest.update(_contents(str(_PACKAGE / name)))
        digest.update(b"\0")
    for parts, path in sorted(_knowledge_files(str(root), ())):
        digest.update("/".join(parts).encode() + b"\0")
        digest.update(_contents(path))
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def _contents(path: str) -> bytes:
    """The bytes of the file at ``path``.

    The key reads every knowledge file on every start: the descriptor and one read
    of the whole file cost half of what ``open()`` and its buffered reader cost.
    """
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        chunks = []
        size = os.fstat(descriptor).st_size
        while True:  # a file that grew since fstat is still read to its end
            chunk = os.read(descriptor, max(size, 1 << 16))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    finally:
        os.close(descriptor)


def _knowledge_files(
    directory: str, parts: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every file under ``directory``: its path's parts below the root, and its path.

    Names starting with a dot (editor and OS litter, ``.git``) are not knowledge.
    ``os.scandir`` rather than ``Path.rglob``: it runs on every start, and knows
    from the directory listing which entries are files.
    """
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                yield from _knowledge_files(entry.path, (*parts, entry.name))
            elif entry.is_file():
                yield (*parts, entry.name), entry.path


def _pydantic_versions() -> str:
    import pydantic
    import pydantic_core

    return f"{pydantic.VERSION}/{pydantic_core.__version__}"


# -- the entry: JSON in, JSON out -----------------------------------------------------


def encode(kb: KnowledgeBase, key: str) -> bytes:
    """The cache entry of ``kb``: a header line, then its JSON dump and the excluded fields'
    values by place."""
    from pydantic_core import to_jsonable_python

    body = {
        "knowledge": kb.model_dump(mode="json"),
        "excluded": [[list(place), to_jsonable_python(value)] for place, value in _excluded(kb)],
    }
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    header = {"format": FORMAT, "key": key, "sha256": hashlib.sha256(data).hexdigest()}
    return json.dumps(header, separators=(",", ":")).encode("ascii") + b"\n" + data


def decode(data: bytes, key: str) -> KnowledgeBase | None:
    """The knowledge base in a cache entry, or ``None`` if it is not a sound entry for ``key``."""
    try:
        first, _, rest = data.partition(b"\n")
        header = json.loads(first)
        if (
            header.get("format") != FORMAT
            or header.get("key") != key
            or header.get("sha256") != hashlib.sha256(rest).hexdigest()
        ):
            return None
        import orjson  # twice as fast as json here; JSON output loads it anyway

        body = orjson.loads(rest)
        knowledge = body["knowledge"]
        for place, value in body["excluded"]:
            _put(knowledge, place, value)
        try:
            return construct(KnowledgeBase, knowledge)
        except Unsupported:
            return KnowledgeBase.model_validate(knowledge)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError):
        # Truncated, edited or of another layout (orjson's JSONDecodeError and pydantic's
        # ValidationError are ValueErrors): a miss, and the knowledge base is parsed again.
        return None


# -- putting the models together without validating -------------------------------------


class Unsupported(Exception):
    """A field type :func:`construct` does not build; the entry is validated instead."""


#: Types whose JSON value is the value itself.
_AS_IS: tuple[object, ...] = (str, int, bool, object, Any)

#: A function that builds the value of one type from its JSON data.
Builder = Callable[[Any], Any]


def construct(model: type[BaseModel], data: Any) -> Any:
    """An instance of ``model`` from its dump, built by the field types, not validated.

    Raises ``KeyError``/``TypeError`` for data of another shape (a field missing or
    extra, a mapping where a list belongs) and :class:`Unsupported` for a field type
    it does not know.
    """
    try:
        return _builder(model)(data)
    except Unsupported:
        # Builders made on the way may hold this model's, which is incomplete: none stays.
        _BUILDERS.clear()
        raise


#: One builder per type, made on first use: walking the types anew for each of the
#: thousand models of a knowledge base took longer than validating it.
_BUILDERS: dict[Any, Builder] = {}


def _builder(annotation: Any) -> Builder:
    found = _BUILDERS.get(annotation)
    if found is None:
        found = _BUILDERS[annotation] = _make_builder(annotation)
    return found


def _as_is(data: Any) -> Any:
    return data


def _make_builder(annotation: Any) -> Builder:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is None and isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _model_builder(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return _union_builder(args)
    if origin is typing.Annotated:
        return _builder(args[0])
    if origin is Literal:
        return _literal_builder(args)
    if annotation in _AS_IS:
        return _as_is
    if origin in (tuple, list) and args and (origin is list or args[1:] == (Ellipsis,)):
        return _sequence_builder(origin, _builder(args[0]))
    if origin is dict and args[0] is str:
        return _mapping_builder(_builder(args[1]))
    if origin is dict and typing.get_origin(args[0]) is Literal:
        # Keys drawn from a vocabulary (a verdict, a stage status): checked like a value.
        return _keyed_mapping_builder(_builder(args[0]), _builder(args[1]))
    raise Unsupported(repr(annotation))


def _literal_builder(allowed: tuple[Any, ...]) -> Builder:
    def build(data: Any) -> Any:
        if data not in allowed:
            raise TypeError(f"{data!r} is none of {allowed}")
        return data

    return build


def _sequence_builder(kind: type, item: Builder) -> Builder:
    def build(data: Any) -> Any:
        _a(list, data)
        return kind(data) if item is _as_is else kind(item(x) for x in data)

    return build


def _mapping_builder(item: Builder) -> Builder:
    def build(data: Any) -> Any:
        _a(dict, data)
        return dict(data) if item is _as_is else {key: item(x) for key, x in data.items()}

    return build


def _keyed_mapping_builder(key: Builder, item: Builder) -> Builder:
    def build(data: Any) -> Any:
        _a(dict, data)
        return {key(k): item(x) for k, x in data.items()}

    return build


def _model_builder(model: type[BaseModel]) -> Builder:
    #: The fields whose value is not its JSON data as it stands (models, tuples...).
    built: list[tuple[str, Builder]] = []

    def build(data: Any) -> BaseModel:
        if type(data) is not dict or data.keys() != names:
            raise KeyError(f"{model.__name__}: not the dump of one")
        values = dict(data)
        for name, field in built:
            values[name] = field(values[name])
        if not plain:
            return model.model_construct(**values)
        # What ``model_construct`` does for a model without private attributes or
        # ``model_post_init``, at a fraction of its cost per instance.
        instance = new(model)
        _set(instance, "__dict__", values)
        _set(instance, "__pydantic_fields_set__", set(names))
        _set(instance, "__pydantic_extra__", None)
        _set(instance, "__pydantic_private__", None)
        return instance

    # Registered before its fields' builders are made, so that a model reached again
    # through its own fields finds this one.
    _BUILDERS[model] = build
    new = model.__new__
    names = model.model_fields.keys()
    plain = not model.__private_attributes__ and not model.__pydantic_post_init__
    plain = plain and not model.__pydantic_root_model__
    for name, field in model.model_fields.items():
        builder = _builder(field.annotation)
        if builder is not _as_is:
            built.append((name, builder))
    return build


_set = object.__setattr__


def _union_builder(args: tuple[Any, ...]) -> Builder:
    choices = [arg for arg in args if arg is not type(None)]
    optional = len(choices) < len(args)
    if len(choices) == 1:  # ``X | None``
        inner = _builder(choices[0])
        return lambda data: None if data is None and optional else inner(data)
    if all(isinstance(c, type) and issubclass(c, BaseModel) for c in choices):
        # A union of models (a seed or a guideline citation): the one whose fields the
        # dump holds, as pydantic's validation chose it when the entry was written.
        by_fields = {frozenset(c.model_fields): _builder(c) for c in choices}
        if len(by_fields) < len(choices):
            raise Unsupported(f"models with the same fields in {args}")

        def build(data: Any) -> Any:
            if data is None and optional:
                return None
            return by_fields[frozenset(_a(dict, data))](data)

        return build
    if all(typing.get_origin(c) is Literal for c in choices):  # ``Verdict | Literal[...]``
        allowed = [value for c in choices for value in typing.get_args(c)]
        return _literal_builder((*allowed, *([None] if optional else [])))
    if all(c in _AS_IS or typing.get_origin(c) is Literal for c in choices):
        return _as_is  # ``bool | Literal["unknown"]``: the JSON value is the value
    raise Unsupported(repr(args))


def _a(kind: type, value: Any) -> Any:
    if not isinstance(value, kind):
        raise TypeError(f"{type(value).__name__} where a {kind.__name__} belongs")
    return value


#: Where a value stands in a dump: the keys and indexes that lead to it.
Place = tuple[Any, ...]


def _excluded(model: BaseModel, place: Place = ()) -> Iterator[tuple[Place, Any]]:
    """Every field value a dump leaves out (``exclude=True``), with its place in the dump."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if field.exclude:
            yield (*place, name), value
        else:
            yield from _excluded_within(value, (*place, name))


def _excluded_within(value: Any, place: Place) -> Iterator[tuple[Place, Any]]:
    if isinstance(value, BaseModel):
        yield from _excluded(value, place)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _excluded_within(item, (*place, key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _excluded_within(item, (*place, index))


def _put(data: Any, place: list[Any], value: Any) -> None:
    """Set ``value`` at ``place`` (keys and indexes) in a dumped structure."""
    for step in place[:-1]:
        data = data[step]
    data[place[-1]] = value


# -- the directory ----------------------------------------------------------------------


def _read(entry: Path, key: str) -> KnowledgeBase | None:
    try:
        data = entry.read_bytes()
    except OSError:
        return None  # missing or unreadable: a miss
    return decode(data, key)


def _write(entry: Path, key: str, kb: KnowledgeBase) -> None:
    from spinepath.files import replace_atomically  # only when writing: it loads tempfile

    try:
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        replace_atomically(entry, encode(kb, key), mode=0o600)
        _prune(entry.parent)
    except OSError:
        return  # a read-only or full disk only costs speed


def _prune(directory: Path, now: float | None = None) -> None:
    """Keep the newest entries; remove older ones and orphaned temporary files.

    Only names spinepath itself writes are touched: the directory may be shared.
    """
    now = time.time() if now is None else now
    entries, orphans = [], []
    for path in directory.iterdir():
        try:
            if _ENTRY.match(path.name) and path.suffix == ".pickle":
                orphans.append(path)  # an earlier version's entry, never read now
            elif _ENTRY.match(path.name):
                entries.append((path.stat().st_mtime, path))
            elif _TEMPORARY.match(path.name) and now - path.stat().st_mtime > ORPHAN_AGE_SECONDS:
                orphans.append(path)
        except OSError:
            continue  # removed meanwhile by another spinepath
    entries.sort(reverse=True)
    for path in [p for _, p in entries[KEEP:]] + orphans:
        path.unlink(missing_ok=True)
