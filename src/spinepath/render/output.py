"""Where a report is written, and the date it carries: the rules, in one place.

Output path (``spinepath report``):

- Without ``-o``, the report goes to ``reports/<case file stem>.html`` (or
  ``.pdf``) under the current directory; ``reports/`` is created if missing.
- With ``-o PATH``, the directory the user named is PATH's parent, as written.
  A PATH with a ``..`` component is refused (name the directory directly; an
  absolute path is fine). A missing directory is created.
- The file must land directly inside that directory once symbolic links are
  resolved: a symbolic link in the file's place is refused, wherever it points.
- An existing file is kept unless ``--force`` is given; a directory is never
  replaced. The suffix must match the format: ``.html`` or ``.htm`` for HTML,
  ``.pdf`` with ``--pdf``.
- Writing never follows a link: without ``--force`` the file is created
  exclusively (a file that appears meanwhile is not overwritten); with
  ``--force`` a temporary file in the same directory is renamed into place.

Date: ``--date YYYY-MM-DD`` if given, else the UTC date of ``SOURCE_DATE_EPOCH``
if set, else no date is printed at all; the wall clock is never read, so the same
case always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from pathlib import Path

from spinepath.errors import SpinepathError
from spinepath.files import replace_atomically

DEFAULT_DIRECTORY = "reports"
SUFFIXES = {"html": (".html", ".htm"), "pdf": (".pdf",)}


class OutputError(SpinepathError):
    """The report cannot be written where asked, or the date is malformed."""


def output_path(
    case_file: Path, output: Path | None, kind: str, *, force: bool, cwd: Path | None = None
) -> Path:
    """The checked path to write the report to; raise :class:`OutputError` if refused."""
    cwd = cwd or Path.cwd()
    given = (
        output
        if output is not None
        else Path(DEFAULT_DIRECTORY) / case_file.with_suffix(SUFFIXES[kind][0]).name
    )
    if ".." in given.parts:
        raise OutputError(
            f"{given}: '..' is not allowed in an output path; name the directory directly"
        )
    if not given.name or given.name in (".", "/"):
        raise OutputError(f"{given}: not a file name")
    if given.suffix.lower() not in SUFFIXES[kind]:
        wanted = " or ".join(SUFFIXES[kind])
        hint = "" if kind == "pdf" else " (use --pdf for a PDF)"
        article = "a PDF" if kind == "pdf" else "an HTML"
        raise OutputError(f"{given}: {article} report needs a {wanted} file name{hint}")
    directory = (cwd / given).parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"{given.parent}: is not a directory") from None
    except OSError as error:
        raise OutputError(f"{given.parent}: cannot create directory ({error.strerror})") from None
    target = directory / given.name
    if target.is_symlink():
        raise OutputError(f"{given}: is a symbolic link; refusing to write through it")
    if target.is_dir():
        raise OutputError(f"{given}: is a directory")
    if target.exists() and not force:
        raise OutputError(f"{given}: already exists (use --force to replace it)")
    resolved = target.resolve()
    if resolved.parent != directory.resolve():
        raise OutputError(f"{given}: resolves outside {given.parent or '.'}; refusing to write")
    return target


def write_output(path: Path, data: bytes, *, force: bool) -> None:
    """Write ``data`` to ``path`` (checked by :func:`output_path`) without following links."""
    try:
        if force:
            replace_atomically(path, data, mode=0o644)
        else:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            with os.fdopen(os.open(path, flags, 0o644), "wb") as stream:
                stream.write(data)
    except FileExistsError:
        raise OutputError(f"{path}: already exists (use --force to replace it)") from None
    except OSError as error:
        raise OutputError(f"{path}: cannot be written ({error.strerror})") from None


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def report_date(option: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The date to print: ``--date``, else ``SOURCE_DATE_EPOCH``, else none."""
    environ = os.environ if environ is None else environ
    if option is not None:
        try:
            if not _ISO_DATE.match(option):
                raise ValueError
            return dt.date.fromisoformat(option).isoformat()
        except ValueError:
            raise OutputError(f"--date: must be a date as YYYY-MM-DD (got {option!r})") from None
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return None
    try:
        seconds = int(epoch)
        if seconds < 0:
            raise ValueError
        return dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc).date().isoformat()
    except (ValueError, OverflowError, OSError):
        raise OutputError(
            f"SOURCE_DATE_EPOCH: must be a whole number of seconds since 1970 (got {epoch!r})"
        ) from None
