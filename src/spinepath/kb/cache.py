"""An on-disk cache of the checked knowledge base, so that a start need not re-read it.

Parsing and checking the knowledge base's YAML is most of what a cold start
costs beyond importing the libraries. Its result is read-only, so it is
pickled once and reused. The key is a hash of every file of the knowledge base
and of the code that reads them (and of the Python and pydantic versions that
pickled it): any edit makes a new key, so a stale entry is never used.

Where: ``$SPINEPATH_CACHE_DIR``, else ``$XDG_CACHE_HOME/spinepath``, else
``~/.cache/spinepath``. ``SPINEPATH_NO_CACHE=1`` turns the cache off.

A cache that cannot be read or written is ignored: the knowledge base is then
parsed as usual, and a knowledge base with errors is never cached, so its
errors are reported every time. Unpickling runs code, so only a directory and
files owned by the user and writable by nobody else are trusted (on Windows,
whose permission bits say nothing of this, the cache is therefore never used).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
from collections.abc import Callable
from pathlib import Path

from spinepath import __version__
from spinepath.files import replace_atomically
from spinepath.kb.model import KnowledgeBase

#: Entries kept; older ones are removed when a new one is written.
KEEP = 8

PREFIX = "knowledge-"
SUFFIX = ".pickle"

_PACKAGE = Path(__file__).resolve().parent.parent
#: The code whose change changes what loading produces.
_LOADER_CODE = ("kb/model.py", "kb/loading.py", "case/model.py", "strict_yaml.py")


def cache_dir() -> Path | None:
    """Where cache entries go, or ``None`` when the cache is off."""
    if os.environ.get("SPINEPATH_NO_CACHE", "") not in ("", "0"):
        return None
    configured = os.environ.get("SPINEPATH_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except (RuntimeError, KeyError):  # no home directory to be found
            return None
    return Path(base) / "spinepath"


def cached_knowledge(root: Path, parse: Callable[[Path], KnowledgeBase]) -> KnowledgeBase:
    """The knowledge base in ``root``: from the cache if an entry matches, else ``parse(root)``."""
    directory = cache_dir()
    if directory is None:
        return parse(root)
    entry = directory / f"{PREFIX}{knowledge_key(root)}{SUFFIX}"
    found = _read(entry)
    if found is not None:
        return found
    kb = parse(root)
    _write(entry, kb)
    return kb


def knowledge_key(root: Path) -> str:
    """A hash of every file under ``root`` (names and contents) and of the loading code."""
    digest = hashlib.sha256()
    for part in (__version__, sys.version, _pydantic_versions()):
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


def _read(entry: Path) -> KnowledgeBase | None:
    try:
        if not (_trusted(entry.parent) and _trusted(entry)):
            return None
        kb = pickle.loads(entry.read_bytes())
    except Exception:
        # Missing, unreadable, truncated or from an incompatible library: a miss.
        return None
    return kb if isinstance(kb, KnowledgeBase) else None


def _write(entry: Path, kb: KnowledgeBase) -> None:
    try:
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _trusted(entry.parent):
            return
        replace_atomically(entry, pickle.dumps(kb, protocol=pickle.HIGHEST_PROTOCOL), mode=0o600)
        _prune(entry.parent)
    except OSError:
        return  # a read-only or full disk only costs speed


def _prune(directory: Path) -> None:
    entries = sorted(
        directory.glob(f"{PREFIX}*{SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for old in entries[KEEP:]:
        old.unlink(missing_ok=True)


def _trusted(path: Path) -> bool:
    """Owned by this user and writable by nobody else (where the platform says so)."""
    info = path.stat()
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return False
    return not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
