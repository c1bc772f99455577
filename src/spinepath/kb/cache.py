"""An on-disk cache of the checked knowledge base, so that a start need not re-read it.

Parsing and checking the knowledge base's YAML is most of what a cold start
costs beyond importing the libraries. Its result is read-only, so it is
stored once and reused. The key is a hash of every file of the knowledge base
and of the code that reads them (and of the Python and pydantic versions that
wrote it): any edit makes a new key, so a stale entry is never used.

An entry is JSON: pydantic's JSON of the whole checked :class:`KnowledgeBase`,
plus the values of the fields its models exclude from a dump (the seed texts),
each at its place. Reading one back is validating data, which cannot run code,
so the cache is used on every platform and whoever owns the directory.

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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from spinepath import __version__
from spinepath.files import replace_atomically
from spinepath.kb.model import KnowledgeBase

#: Entries kept; older ones are removed when a new one is written.
KEEP = 8
#: A temporary file this old is an orphan (its writer was killed), not a write under way.
ORPHAN_AGE_SECONDS = 3600

PREFIX = "knowledge-"
SUFFIX = ".json"
#: The entry's own format; bump it when the layout below changes.
FORMAT = 1

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
        digest.update((_PACKAGE / name).read_bytes() + b"\0")
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root).as_posix()
        if any(part.startswith(".") for part in relative.split("/")):
            continue  # editor and OS litter is not knowledge
        digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def _pydantic_versions() -> str:
    import pydantic
    import pydantic_core

    return f"{pydantic.VERSION}/{pydantic_core.__version__}"


# -- the entry: JSON in, JSON out -----------------------------------------------------


def encode(kb: KnowledgeBase, key: str) -> bytes:
    """The cache entry of ``kb``: its JSON dump, and the excluded fields' values by place."""
    from pydantic_core import to_jsonable_python

    document = {
        "format": FORMAT,
        "key": key,
        "knowledge": kb.model_dump(mode="json"),
        "excluded": [[list(place), to_jsonable_python(value)] for place, value in _excluded(kb)],
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode(data: bytes, key: str) -> KnowledgeBase | None:
    """The knowledge base in a cache entry, or ``None`` if it is not a sound entry for ``key``."""
    try:
        document = json.loads(data)
        if document.get("format") != FORMAT or document.get("key") != key:
            return None
        knowledge = document["knowledge"]
        for place, value in document["excluded"]:
            _put(knowledge, place, value)
        return KnowledgeBase.model_validate(knowledge)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError):
        # Truncated, edited or of another layout (pydantic's ValidationError is a
        # ValueError): a miss, and the knowledge base is parsed again.
        return None


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
