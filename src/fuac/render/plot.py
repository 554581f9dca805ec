"""Charts of a batch for notebooks: each section's points as a share of its maximum.

- :func:`plot_sections` — a box plot per section over the units of a batch;
- :func:`plot_unit` — one unit's shares (red diamonds) against the distribution of the cohort.

Both take a :class:`~fuac.BatchResults`, or a pandas DataFrame from its ``to_pandas()`` — or any
rows of it (``df[df.code.str.startswith("4502")]``: a cohort), which keep the section titles and
maxima in ``df.attrs["fuac_sections"]``. Both return a matplotlib ``Figure``: the last expression of
a notebook cell shows it; ``fig.savefig("sections.png")`` writes it.

Labels are Chinese when a CJK font is installed (:data:`CJK_FONTS`, found through matplotlib's
font manager) and set on the figure's own texts only: the user's ``rcParams`` are not changed.
Without such a font the labels are English, and a :class:`PlotFontWarning` says so.

matplotlib is an optional dependency: ``pip install 'fuac[plot]'``.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from ..errors import InputError
from ..language.words import fmt_number, section_heading
from .xlsxkit import MissingExtra

#: CJK fonts looked for, in this order (the first installed one is used)
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Noto Sans SC",
    "Source Han Sans CN",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
)

_UNIT_COLUMNS = ("id", "code", "name")


class PlotFontWarning(UserWarning):
    """No CJK font was found: the chart's labels are in English."""


def _matplotlib() -> Any:
    try:
        import matplotlib
        import matplotlib.pyplot  # Jupyter shows a returned Figure once pyplot is loaded
    except ImportError as exc:
        raise MissingExtra("plotting needs matplotlib: pip install 'fuac[plot]'", name="matplotlib") from exc
    return matplotlib


def cjk_font() -> str | None:
    """The first of :data:`CJK_FONTS` that matplotlib can use, or None."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def _language(lang: str | None) -> tuple[str, str | None]:
    """("zh" or "en", the CJK font to use or None). The CJK font is used whenever there is one (a unit's
    name may be Chinese in an English chart); without one the labels are English, with a warning."""
    if lang not in (None, "zh", "en"):
        raise InputError(f"lang must be 'zh', 'en' or None (Chinese when a CJK font is installed), not {lang!r}")
    font = cjk_font()
    if font is None:
        warnings.warn(
            "no CJK font found for the chart (looked for " + ", ".join(CJK_FONTS[:6]) + "): its labels are in "
            "English. Install one (Debian, Ubuntu: apt-get install fonts-noto-cjk) for Chinese labels.",
            PlotFontWarning,
            stacklevel=3,
        )
        return "en", None
    return lang or "zh", font


@contextmanager
def _fonts(font: str | None) -> Iterator[None]:
    """The figure's texts are made in the CJK font: each text keeps the family it was made with (ticks
    made later copy the first tick's), and the user's rcParams are as they were afterwards."""
    import matplotlib

    if font is None:
        yield
        return
    with matplotlib.rc_context({"font.family": [font, "DejaVu Sans"]}):
        yield


# ---------------------------------------------------------------------------
# the data


def _float(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return math.nan
    return f


class _Shares:
    """The section columns of a batch (or of rows of its DataFrame) as shares of each section's maximum."""

    def __init__(self, source: Any) -> None:
        import numpy as np

        if hasattr(source, "section_labels") and hasattr(source, "column"):
            labels = source.section_labels()
            points = {c: np.asarray(source.column(c), dtype=float) for c in labels}
            self.units = {c: list(source.column(c).tolist()) for c in _UNIT_COLUMNS if c in source.columns}
            self.rows: list[Any] = list(range(len(source)))
        else:
            labels = getattr(source, "attrs", {}).get("fuac_sections")
            if not labels:
                raise InputError(
                    "plotting needs a BatchResults, or a DataFrame from BatchResults.to_pandas() (or rows of it), "
                    "whose attrs['fuac_sections'] hold the sections' titles and maxima"
                )
            points = {c: np.array([_float(v) for v in source[c].tolist()], dtype=float) for c in labels}
            self.units = {c: list(source[c].tolist()) for c in _UNIT_COLUMNS if c in source.columns}
            self.rows = list(source.index)
        self.labels: Mapping[str, Mapping[str, Any]] = {
            c: lab for c, lab in labels.items() if lab.get("max") is not None and lab["max"] > 0
        }
        if not self.labels:
            raise InputError("no section has a maximum: there is no share to plot (a checklist has no points)")
        self.points = points
        self.shares = {c: points[c] / float(lab["max"]) for c, lab in self.labels.items()}
        self.n = len(self.rows)

    def title(self, col: str, lang: str) -> str:
        lab = self.labels[col]
        top = fmt_number(lab["max"])
        if lang == "zh":
            title = section_heading(lab["number"], lab["title_zh"])
            return f"{_clip(title, 16)}（{top}分）"
        return f"{_clip(lab['title_en'], 34)} ({top})"

    def find(self, unit: Any) -> int:
        """The position of ``unit``: a row number of the batch (an index label of a DataFrame), or the
        id, code or name of exactly one row."""
        if isinstance(unit, numbers.Integral) and not isinstance(unit, bool):
            unit = int(unit)
            if unit in self.rows:
                return self.rows.index(unit)
            raise InputError(f"no row {unit} here ({self.n} rows)")
        hits = sorted({i for col in self.units.values() for i, v in enumerate(col) if v is not None
                       and str(v) == str(unit)})
        if len(hits) == 1:
            return hits[0]
        if not hits:
            raise InputError(f"no unit {str(unit)!r}: give a row number, or the id, code or name of a unit")
        raise InputError(f"{len(hits)} units are called {str(unit)!r}: give the row number, or the id or code")

    def name(self, pos: int, ascii_only: bool = False) -> str:
        """The unit's name (else its id or code, else its row); ``ascii_only``: one a font without
        CJK glyphs can show."""
        for col in ("name", "id", "code"):
            values = self.units.get(col)
            if values is not None and values[pos] is not None and (not ascii_only or str(values[pos]).isascii()):
                return str(values[pos])
        return f"#{self.rows[pos]}"


def _clip(s: str, n: int) -> str:
    return _plain(s if len(s) <= n else s[: n - 1] + "…")


def _plain(s: str) -> str:
    """``s`` shown as written: a ``$`` would start matplotlib's math text."""
    return s.replace("$", r"\$")


def _figure(n_sections: int, ax: Any) -> tuple[Any, Any]:
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=(8.5, 0.55 * n_sections + 1.4), layout="constrained")
    plt.close(fig)  # not kept by pyplot: shown once when returned, never again by the next cell
    return fig, ax


def _boxes(ax: Any, data: _Shares, lang: str, colour: str) -> list[str]:
    import numpy as np

    cols = list(data.labels)
    values = [v[~np.isnan(v)] for v in (data.shares[c] for c in cols)]
    positions = list(range(len(cols), 0, -1))  # the first section at the top
    ax.boxplot(values, positions=positions, **_horizontal(), widths=0.55, patch_artist=True, showfliers=True,
               boxprops={"facecolor": colour, "edgecolor": "#4a5360"}, medianprops={"color": "#1f2328"},
               flierprops={"marker": ".", "markersize": 3, "markeredgecolor": "#6b7480"})
    ax.set_yticks(positions, [data.title(c, lang) for c in cols])
    top = max((float(v.max()) for v in values if v.size), default=1.0)
    ax.set_xlim(-0.02, max(1.05, top + 0.05))  # a bonus may take a section above its maximum
    ax.xaxis.set_major_formatter(_percent())
    ax.grid(axis="x", color="#e4e7eb")
    ax.set_axisbelow(True)
    ax.set_xlabel("得分率（占分值的比例）" if lang == "zh" else "share of the section's maximum")
    return cols


def _horizontal() -> dict[str, Any]:
    """Horizontal boxes: ``orientation`` from matplotlib 3.10 (which deprecates ``vert``)."""
    import matplotlib

    major, minor = (int(x) for x in matplotlib.__version__.split(".")[:2])
    return {"orientation": "horizontal"} if (major, minor) >= (3, 10) else {"vert": False}


def _percent() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0)


# ---------------------------------------------------------------------------
# the charts


def plot_sections(batch: Any, *, lang: str | None = None, ax: Any = None) -> Any:
    """Each section's points over the units, as a share of the section's maximum: a box plot per
    section, the first at the top, labelled with its number, title and maximum.

    :param batch: a :class:`~fuac.BatchResults`, or a DataFrame from its ``to_pandas()`` (or rows of it).
    :param lang: ``"zh"``, ``"en"``, or None: Chinese when a CJK font is installed.
    :param ax: draw on these axes instead of a new figure.
    :returns: the matplotlib ``Figure``.
    """
    _matplotlib()
    data = _Shares(batch)
    lang, font = _language(lang)
    with _fonts(font):
        fig, ax = _figure(len(data.labels), ax)
        _boxes(ax, data, lang, "#c9dcef")
        ax.set_title(f"各部分得分率（{data.n}个单位）" if lang == "zh"
                     else f"Section scores as a share of the maximum ({data.n} units)")
    return fig


def plot_unit(batch_or_cohort: Any, unit: Any, *, lang: str | None = None, ax: Any = None) -> Any:
    """One unit's section scores (red diamonds, with its points) against the distribution over the
    cohort (grey boxes): every unit of ``batch_or_cohort``, the unit among them.

    :param batch_or_cohort: a :class:`~fuac.BatchResults`, or a DataFrame from its ``to_pandas()``
        or rows of it (the units of one city, say).
    :param unit: a row number of the batch (an index label of the DataFrame), or the id, code or name
        of one unit.
    :returns: the matplotlib ``Figure``.
    """
    _matplotlib()
    data = _Shares(batch_or_cohort)
    pos = data.find(unit)
    lang, font = _language(lang)
    name = _plain(data.name(pos, ascii_only=font is None))
    with _fonts(font):
        fig, ax = _figure(len(data.labels), ax)
        cols = _boxes(ax, data, lang, "#e4e7eb")
        ys = list(range(len(cols), 0, -1))
        for y, col in zip(ys, cols, strict=True):
            share = data.shares[col][pos]
            if math.isnan(share):
                continue
            ax.plot([share], [y], marker="D", color="#b83232", markersize=7, linestyle="none", zorder=3)
            got = f"{data.points[col][pos]:g}"
            ax.annotate(f"{got}/{fmt_number(data.labels[col]['max'])}", (share, y), xytext=(6, 6),
                        textcoords="offset points", fontsize=8, color="#b83232")
        ax.set_title(f"{name}：各部分得分率与{data.n}个单位对比" if lang == "zh"
                     else f"{name}: section scores against {data.n} units")
    return fig
