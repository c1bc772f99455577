"""Writing a file whole or not at all: the one writer of every file spinepath writes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

#: The mode a new file gets before the umask, as ``open()`` would give it.
NEW_FILE_MODE = 0o666


def replace_atomically(
    path: Path, data: bytes, *, mode: int | None = None, overwrite: bool = True
) -> None:
    """Write ``data`` to a temporary file beside ``path``, then move it into place.

    A reader sees the old file or the new one, never half of one: a write cut
    short (a full disk, ``ulimit -f``, an error) leaves the old file, or nothing,
    and no temporary file. The data is on disk before the rename, so that a
    crash cannot leave a complete name on incomplete contents.

    ``mode`` None gives a new file the umask's mode (health data: ``umask 077``
    makes it private) and keeps the mode of a file it replaces. With
    ``overwrite`` False an existing file is never replaced (``FileExistsError``).
    A symbolic link at ``path`` is replaced, never followed. Raises ``OSError``.
    """
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _mode_for(path) if mode is None else mode)
        if overwrite:
            os.replace(temporary, path)
        else:
            _move_without_overwriting(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    """The mode of the file at ``path`` if there is one, else a new file's under the umask."""
    try:
        return os.lstat(path).st_mode & 0o7777
    except FileNotFoundError:
        return NEW_FILE_MODE & ~current_umask()


def current_umask() -> int:
    """The process's umask (reading it means setting it; it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _move_without_overwriting(temporary: str, path: Path) -> None:
    """Give the complete file its name only if the name is free, atomically where possible."""
    try:
        # A hard link fails if the name exists, even if it appeared a moment ago.
        os.link(temporary, path)
    except FileExistsError:
        raise
    except OSError:
        # A file system without hard links: check, then rename (a narrow race).
        if os.path.lexists(path):
            raise FileExistsError(path) from None
        os.replace(temporary, path)
        return
    os.unlink(temporary)
