"""An HTML page as a PDF file, laid out by WeasyPrint, an optional dependency (``pip install 'fuac[pdf]'``):
what :func:`fuac.render.report.write_report_pdf` writes the score sheet with.

The pages are those the HTML sheet prints on: A4 portrait, the margins and the page numbers
(第 x 页 共 y 页) of its ``@page`` rules, the table's header repeated on every page, no row split.
WeasyPrint fetches nothing: the sheet refers to no file or address, and any it would ask for is
refused. The Chinese text needs a CJK font on the machine (Noto Sans CJK SC, Source Han Sans SC,
WenQuanYi Micro Hei, Microsoft YaHei or SimSun, in that order).
"""

from __future__ import annotations

import importlib
import re
from typing import Any

from ..errors import InputError
from .xlsxkit import MissingExtra

__all__ = ["html_to_pdf", "require_weasyprint"]


def require_weasyprint(what: str = "writing the score sheet as .pdf") -> Any:
    """The ``weasyprint`` module, or fuac's :class:`MissingExtra` naming the extra to install."""
    try:
        weasyprint = importlib.import_module("weasyprint")  # untyped; imported only here
    except ImportError as exc:
        raise MissingExtra(f"{what} needs WeasyPrint: pip install 'fuac[pdf]'", name="weasyprint") from exc
    except OSError as exc:  # installed, but the system's Pango (which it loads when imported) is missing
        raise MissingExtra(
            f"{what} needs WeasyPrint, which cannot load Pango ({exc}): install the system's Pango "
            "(Debian, Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0)",
            name="weasyprint",
        ) from exc
    return weasyprint


def _refuse(url: str, *args: Any, **kwargs: Any) -> Any:
    """What WeasyPrint's URL fetcher does: the sheet is self-contained, so nothing is ever fetched."""
    raise InputError(f"the score sheet fetches nothing; refused {url[:80]!r}")


def _fetcher(weasyprint: Any) -> Any:
    """A URL fetcher that refuses every address: a ``URLFetcher`` (WeasyPrint 68 and later), else a
    function (as older versions take it). A refusal is not fatal: WeasyPrint leaves the resource out."""
    base = getattr(weasyprint, "URLFetcher", None)
    if base is None:
        return _refuse

    class Refuse(base):  # type: ignore[misc, valid-type]
        def fetch(self, url: str, headers: Any = None) -> Any:
            return _refuse(url)

    return Refuse()


def html_to_pdf(doc: str, path: str, *, lang: str = "zh") -> None:
    """Write the page ``doc`` (a sheet in ``lang``, ``"zh"`` or ``"en"``) to ``path`` as PDF, fetching nothing."""
    weasyprint = require_weasyprint()
    weasyprint.HTML(string=one_language(doc, lang), url_fetcher=_fetcher(weasyprint)).write_pdf(str(path))


def one_language(doc: str, lang: str) -> str:
    """The sheet without the chart's labels in the other language: WeasyPrint draws an inline SVG
    without the page's style sheet, so the rule that hides them does not reach them (both would be
    drawn, one after the other)."""
    other = "zh" if lang == "en" else "en"
    return re.sub(rf'<tspan class="{other}">[^<]*</tspan>', "", doc)
