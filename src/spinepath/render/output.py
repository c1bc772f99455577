"""Where a report is written, and the date it carries: the rules, in one place.

Output path (``spinepath report``, and the case file ``spinepath consult`` saves):

- Without ``-o``, the report goes to ``<case file stem>.report.html`` (or
  ``.report.pdf``) in the current directory: a name no tracked file of a
  checkout has, so a report never lands on the repository's own ``reports/``.
- With ``-o PATH``, the directory the user named is PATH's parent, as written.
  A PATH with a ``..`` component is refused (name the directory directly; an
  absolute path is fine). A missing directory is not created: spinepath makes
  no folder the user did not name, so a typo cannot scatter folders about.
- The file must land directly inside that directory once symbolic links are
  resolved: a symbolic link in the file's place is refused, wherever it points.
- An existing file is kept unless ``--force`` is given; a directory is never
  replaced. The suffix must match the format: ``.html`` or ``.htm`` for HTML,
  ``.pdf`` with ``--pdf``, ``.yaml`` or ``.yml`` for a case file.
- Every file is written to a temporary file beside its target and renamed into
  place once complete (:func:`spinepath.files.replace_atomically`), so an
  interrupted write leaves the old file or nothing. A new file gets the mode
  the umask gives; ``--force`` keeps the mode of the file it replaces.

Date: ``--date YYYY-MM-DD`` if given, else the UTC date of ``SOURCE_DATE_EPOCH``
if set, else today's date (UTC): a printed report says when it was made. Pin it with
either to get the same bytes on another day (the tests do).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from pathlib import Path

from spinepath.errors import SpinepathError
from spinepath.files import replace_atomically

#: Between the case file's stem and the format's suffix in the default report name.
DEFAULT_INFIX = ".report"
SUFFIXES = {"html": (".html", ".htm"), "pdf": (".pdf",), "case": (".yaml", ".yml")}


class OutputError(SpinepathError):
    """The report cannot be written where asked, or the date is malformed."""


def output_path(
    case_file: Path, output: Path | None, kind: str, *, force: bool, cwd: Path | None = None
) -> Path:
    """The checked path to write the report to; raise :class:`OutputError` if refused."""
    given = (
        output
        if output is not None
        else Path(case_file.stem + DEFAULT_INFIX + SUFFIXES[kind][0])
    )
    return checked_target(given, kind, force=force, cwd=cwd)


def checked_target(given: Path, kind: str, *, force: bool, cwd: Path | None = None) -> Path:
    """``given`` checked against the rules above for a file of ``kind``; the path to write."""
    cwd = cwd or Path.cwd()
    if ".." in given.parts:
        raise OutputError(
            f"{given}: '..' is not allowed in an output path; name the directory directly"
        )
    if not given.name or given.name in (".", "/"):
        raise OutputError(f"{given}: not a file name")
    if given.suffix.lower() not in SUFFIXES[kind]:
        raise OutputError(f"{given}: {_needs_suffix(kind)}")
    directory = (cwd / given).parent
    if not directory.is_dir():
        problem = "is not a directory" if directory.exists() else "no such directory"
        hint = " (create it first)" if problem == "no such directory" else ""
        raise OutputError(f"{given.parent}: {problem}{hint}")
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


def _needs_suffix(kind: str) -> str:
    wanted = " or ".join(SUFFIXES[kind])
    if kind == "case":
        return f"a case file needs a {wanted} file name"
    hint = "" if kind == "pdf" else " (use --pdf for a PDF)"
    article = "a PDF" if kind == "pdf" else "an HTML"
    return f"{article} report needs a {wanted} file name{hint}"


def write_output(path: Path, data: bytes, *, force: bool) -> None:
    """Write ``data`` to ``path`` (checked by :func:`checked_target`) whole or not at all.

    Without ``force`` an existing file is never replaced, even one that appeared
    after the check.
    """
    try:
        replace_atomically(path, data, overwrite=force)
    except FileExistsError:
        raise OutputError(f"{path}: already exists (use --force to replace it)") from None
    except OSError as error:
        raise OutputError(f"{path}: cannot be written ({error.strerror})") from None


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def report_date(
    option: str | None,
    environ: Mapping[str, str] | None = None,
    today: dt.date | None = None,
) -> str:
    """The date to print: ``--date``, else ``SOURCE_DATE_EPOCH``, else ``today`` (by
    default the UTC date now)."""
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
        return (today or dt.datetime.now(tz=dt.timezone.utc).date()).isoformat()
    try:
        seconds = int(epoch)
        if seconds < 0:
            raise ValueError
        return dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc).date().isoformat()
    except (ValueError, OverflowError, OSError):
        raise OutputError(
            f"SOURCE_DATE_EPOCH: must be a whole number of seconds since 1970 (got {epoch!r})"
        ) from None
