"""The HTML report as a PDF, printed by WeasyPrint (no browser needed).

WeasyPrint is an optional extra (``pip install 'spinepath[pdf]'``) and needs
the Pango libraries of the system. When either is missing, :func:`html_to_pdf`
raises :class:`PdfUnavailable` with one line that says how to get them.
"""

from __future__ import annotations

from typing import Any, NoReturn

from spinepath.errors import SpinepathError

INSTALL_HINT = (
    "pip install 'spinepath[pdf]', and on Debian or Ubuntu "
    "apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"
)


class PdfUnavailable(SpinepathError):
    """WeasyPrint, or a system library it needs, is not installed."""


def require_weasyprint() -> Any:
    """The weasyprint module; raise :class:`PdfUnavailable` if it cannot be loaded."""
    try:
        import weasyprint
    except ImportError:
        raise PdfUnavailable(
            f"--pdf needs WeasyPrint, which is not installed: {INSTALL_HINT}"
        ) from None
    except OSError as error:  # WeasyPrint is there, but Pango or a library it loads is not
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise PdfUnavailable(
            f"--pdf needs WeasyPrint's system libraries ({first_line}): {INSTALL_HINT}"
        ) from None
    return weasyprint


def _no_fetching(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    """The report is self-contained: refuse to fetch anything while printing it."""
    raise ValueError(f"spinepath reports load nothing from outside (asked for {url[:80]!r})")


#: PDF/UA-1: a tagged PDF (structure tree, reading order, alternative texts, document
#: language), so that a screen reader can read the report; the layout is unchanged.
PDF_VARIANT = "pdf/ua-1"


def html_to_pdf(html: str) -> bytes:
    """Print the self-contained HTML report to tagged (PDF/UA-1) PDF bytes."""
    weasyprint = require_weasyprint()
    document = weasyprint.HTML(string=html, url_fetcher=_no_fetching)
    return bytes(document.write_pdf(pdf_variant=PDF_VARIANT))
