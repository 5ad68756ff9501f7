"""Report figures (matplotlib/seaborn), with Chinese text rendered by the bundled CJK font.

Every function takes tidy DataFrames, an optional ``ax`` and ``lang``, draws on
the axes and returns the matplotlib ``Figure``. Figures are created with
:class:`matplotlib.figure.Figure` (not pyplot), so no global figure state leaks
between reports; :func:`to_image` renders one to PNG bytes for notebooks and
HTML (the image is identical across reruns). Maps come from :mod:`impact.maps`.

Functions
---------
``bar_chart``            programs or funds by a category (horizontal bars)
``forest_plot``          estimates with confidence intervals, one row per indicator
``sensitivity_heatmap``  a value over two parameters (benefit–cost ratio by rate × horizon)
``gap_plot``             synthetic-control gap of the treated unit with placebo gaps (``synth_gaps``)
``event_study_plot``     event-time coefficients with confidence bands
``league_chart``         programs ranked by cost per beneficiary
``path_plot``            synthetic-control path: the treated unit and its synthetic control
``group_time_plot``      group-time effects ATT(g, t), one series per cohort
``overlap_plot``         propensity-score overlap of treated and control units

``plot_synth``, ``plot_event_study``, ``plot_staggered`` and ``plot_overlap`` are the
estimators' ``Result.plot()``: each makes its figure's tidy table from the result and
draws it with the function above that the reports use (bilingual labels, CJK font).
"""

from __future__ import annotations

import functools
import io
import threading
from typing import Any

import numpy as np
import pandas as pd

from impact.fonts import use_cjk_font
from impact.i18n import fmt_number, t
from impact.vocab import Lang


PALETTE = {
    "main": "#1f5f8b",
    "accent": "#d1495b",
    "muted": "#9aa5b1",
    "light": "#dbe4ee",
    "band": "#a9c6de",
}


def new_figure(width: float = 7.0, height: float = 4.0, *, layout: str = "tight"):
    """A fresh Figure with one Axes (no pyplot state), CJK font registered.

    ``layout="tight"`` suits the one-axes charts and costs about a quarter less time to
    render than ``"constrained"``, which figures with a colour bar (maps) ask for.
    """
    from matplotlib.figure import Figure

    use_cjk_font()
    fig = Figure(figsize=(width, height), dpi=100, layout=layout)
    ax = fig.add_subplot(1, 1, 1)
    return fig, ax


def _axes(ax: Any, width: float, height: float):
    if ax is None:
        return new_figure(width, height)
    use_cjk_font()
    return ax.figure, ax


def _style(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)


#: The stamp on a chart drawn from simulated data, so a copied image keeps its label.
SIMULATED_STAMP: dict[str, str] = {"zh": "模拟数据 · 仅供演示", "en": "SIMULATED DATA · demonstration only"}


def stamp_simulated(fig: Any, lang: Lang = "zh") -> Any:
    """Write :data:`SIMULATED_STAMP` across ``fig`` (red, semi-transparent, diagonal); returns ``fig``."""
    fig.text(0.5, 0.5, SIMULATED_STAMP["zh" if lang == "zh" else "en"], transform=fig.transFigure,
             ha="center", va="center", rotation=20, fontsize=22, color="#d1495b", alpha=0.35,
             zorder=1000)
    return fig


#: zlib level of the report PNGs: 3 encodes in about half the time of Pillow's default 6, for
#: files 4–8% larger (the same pixels).
PNG_COMPRESS_LEVEL = 3


_RENDERERS = threading.local()


@functools.cache
def _canvas_class() -> type:
    """An Agg canvas drawing on one renderer per thread and pixel size, reused by every figure.

    Matplotlib caches text measurements per renderer: a fresh renderer per figure measures
    every label of every chart again with the CJK font (the costliest part of a layout). The
    renderer is cleared before each draw, so the pixels are those of a fresh one.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg

    class SharedRendererCanvas(FigureCanvasAgg):
        def get_renderer(self) -> RendererAgg:
            w, h = self.figure.bbox.size
            key = (w, h, self.figure.dpi)
            cache = getattr(_RENDERERS, "by_size", None)
            if cache is None or len(cache) > 8:
                cache = _RENDERERS.by_size = {}
            if key not in cache:
                cache[key] = RendererAgg(w, h, self.figure.dpi)
            self.renderer = cache[key]
            return self.renderer

    return SharedRendererCanvas


def to_png(fig: Any, dpi: int = 110, *, simulated: bool = False, lang: Lang = "zh") -> bytes:
    """Render ``fig`` to PNG bytes (no timestamp metadata, so reruns are byte-identical);
    ``simulated=True`` stamps it first (:func:`stamp_simulated`).

    The figure's layout engine (tight or constrained) runs here once, at the output ``dpi``,
    and is then set aside for the one real draw: the image is byte-identical to ``savefig``
    with the engine on, without its draw-disabled pre-pass over every artist and its second
    layout run inside the draw (about 40% of the time of ``savefig``).
    """
    if simulated:
        stamp_simulated(fig, lang)
    engine = fig.get_layout_engine()
    canvas, own_dpi = fig.canvas, fig.dpi
    buf = io.BytesIO()
    try:
        _canvas_class()(fig)  # attaches itself as fig.canvas; its renderer measures the text
        fig.dpi = dpi
        if engine is not None and fig.axes:
            engine.execute(fig)
            fig._layout_engine = None  # laid out above: no pre-pass, no re-layout in the draw
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None}, pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})
    finally:
        fig._layout_engine = engine
        fig.dpi = own_dpi
        fig.set_canvas(canvas)
    return buf.getvalue()


def to_image(fig: Any, dpi: int = 110):
    """An ``IPython.display.Image`` of ``fig`` (for ``display`` in report notebooks)."""
    from IPython.display import Image

    return Image(data=to_png(fig, dpi=dpi), format="png")


def _desaturate(color: str, prop: float) -> tuple[float, float, float]:
    """``color`` with its HLS saturation times ``prop`` (seaborn's bar colour, saturation 0.75)."""
    import colorsys

    from matplotlib.colors import to_rgb

    h, lum, sat = colorsys.rgb_to_hls(*to_rgb(color))
    return colorsys.hls_to_rgb(h, lum, sat * prop)


def _bars(ax: Any, labels: list[str], values: np.ndarray) -> None:
    """Horizontal bars, one per label from the top, as seaborn's categorical ``barplot`` draws
    them (bar height 0.8, colour at saturation 0.75, category ticks, no y grid), without
    importing seaborn (a second on a report's first chart)."""
    n = len(labels)
    pos = np.arange(n, dtype=float)
    color = _desaturate(PALETTE["main"], 0.75)
    ax.barh(pos - 0.4, values, height=0.8, align="edge", color=color)
    ax.set_yticks(pos, labels)
    ax.yaxis.grid(False)
    ax.set_ylim(n - 0.5, -0.5)


def bar_chart(
    data: pd.DataFrame,
    label: str,
    value: str,
    *,
    lang: Lang = "zh",
    xlabel: str | None = None,
    title: str | None = None,
    ax: Any = None,
    max_bars: int = 20,
    money: bool = False,
) -> Any:
    """Horizontal bars of ``value`` by ``label`` (largest first, at most ``max_bars``).

    Used for programs per sector and funds per program or prefecture. Bars are
    annotated with the value in report number format (万/亿 in Chinese).
    """
    df = data[[label, value]].dropna(subset=[value])
    df = df.sort_values(value, ascending=False).head(max_bars)
    fig, ax = _axes(ax, 7.0, max(2.2, 0.38 * len(df) + 1.2))
    if df.empty:
        ax.text(0.5, 0.5, t("fig.no_data", lang), ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    _bars(ax, df[label].astype(str).tolist(), df[value].to_numpy(dtype=float))
    for patch, v in zip(ax.patches, df[value].to_numpy()):
        ax.annotate(
            fmt_number(v, lang) + ("元" if money and lang == "zh" else ""),
            (patch.get_width(), patch.get_y() + patch.get_height() / 2),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    ax.set_ylabel("")
    ax.set_xlabel(xlabel or "")
    ax.xaxis.set_major_formatter(_formatter(lang))
    vals = df[value].to_numpy(dtype=float)
    if not money and np.all(np.isfinite(vals)) and np.all(vals == np.round(vals)):
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts: whole-number ticks
    if title:
        ax.set_title(title, loc="left")
    _style(ax)
    return fig


def _formatter(lang: Lang):
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: fmt_number(v, lang))


def forest_plot(
    table: pd.DataFrame,
    label: str = "label",
    *,
    lang: Lang = "zh",
    xlabel: str | None = None,
    title: str | None = None,
    ref: float | None = 0.0,
    ax: Any = None,
) -> Any:
    """Point estimates with horizontal confidence-interval bars, one row per ``label``.

    ``table`` has ``label``, ``estimate``, ``conf_low``, ``conf_high``. Rows with
    a missing interval show the point only. A dashed line marks ``ref`` (no effect).
    """
    df = table.reset_index(drop=True)
    fig, ax = _axes(ax, 7.0, max(2.0, 0.5 * len(df) + 1.0))
    y = np.arange(len(df))[::-1]
    est = df["estimate"].to_numpy(dtype=float)
    low = df["conf_low"].to_numpy(dtype=float)
    high = df["conf_high"].to_numpy(dtype=float)
    has_ci = ~(np.isnan(low) | np.isnan(high))
    ax.hlines(y[has_ci], low[has_ci], high[has_ci], color=PALETTE["main"], linewidth=2)
    ax.plot(est, y, "o", color=PALETTE["accent"], markersize=6, zorder=3)
    if ref is not None:
        ax.axvline(ref, color=PALETTE["muted"], linestyle="--", linewidth=1)
    ax.set_yticks(y, df[label].astype(str).tolist())
    ax.set_xlabel(xlabel or t("fig.effect", lang))
    if title:
        ax.set_title(title, loc="left")
    _style(ax)
    return fig


def sensitivity_heatmap(
    table: pd.DataFrame,
    row: str = "discount_rate",
    col: str = "horizon",
    value: str = "estimate",
    *,
    lang: Lang = "zh",
    title: str | None = None,
    center: float | None = 1.0,
    ax: Any = None,
) -> Any:
    """Heatmap of ``value`` over ``row`` × ``col`` (e.g. benefit–cost ratio by
    discount rate and horizon), annotated, diverging around ``center`` (1 = break-even)."""
    import seaborn as sns

    from impact.i18n import column_name

    grid = table.pivot_table(index=row, columns=col, values=value, aggfunc="first")
    fig, ax = _axes(ax, 6.5, 0.45 * len(grid) + 1.8)
    if row == "discount_rate" and grid.index.max() <= 1:
        grid.index = [f"{v:.0%}" for v in grid.index]
    sns.heatmap(
        grid,
        annot=True,
        fmt=".2f",
        cmap="RdYlGn",
        center=center,
        cbar=True,
        linewidths=0.5,
        ax=ax,
    )
    ax.set_ylabel(column_name(row, lang))
    ax.set_xlabel(column_name(col, lang))
    if title:
        ax.set_title(title, loc="left")
    return fig


#: Placebo units drawn beside the treated unit: pre-period RMSPE at most this multiple of the
#: treated unit's (worse-fitting placebos say nothing about the treated unit's gap; Abadie,
#: Diamond and Hainmueller 2010, J. Am. Stat. Assoc. 105(490), section 4).
PLACEBO_RMSPE_FACTOR = 5.0


def synth_gaps(result: Any) -> pd.DataFrame:
    """The gaps of a synthetic-control result as a tidy table for :func:`gap_plot`.

    Columns ``unit, year, gap`` (actual − synthetic): the treated unit and the placebo
    units whose pre-period RMSPE is at most :data:`PLACEBO_RMSPE_FACTOR` times the treated
    unit's. ``result`` is what :func:`impact.estimate.synth` returns.
    """
    pg = result.diagnostics["placebo_gaps"]
    plac = result.diagnostics["placebos"].set_index("unit")
    treated = plac.index[plac["treated"].astype(bool)][0] if "treated" in plac.columns else plac.index[0]
    cutoff = PLACEBO_RMSPE_FACTOR * plac.loc[treated, "pre_rmspe"]
    keep = [u for u in pg.columns if u == treated or plac.loc[u, "pre_rmspe"] <= cutoff]
    long = pg[keep].rename_axis("year").reset_index().melt(id_vars="year", var_name="unit", value_name="gap")
    return long[["unit", "year", "gap"]]


def gap_plot(
    gaps: pd.DataFrame,
    *,
    treated: str,
    unit: str = "unit",
    time: str = "year",
    gap: str = "gap",
    pairing_year: int | None = None,
    lang: Lang = "zh",
    ylabel: str | None = None,
    title: str | None = None,
    ax: Any = None,
) -> Any:
    """Synthetic-control gap (actual − synthetic) of ``treated`` over ``time``, with the
    placebo gaps of every other ``unit`` in grey and a vertical line at ``pairing_year``."""
    fig, ax = _axes(ax, 7.0, 4.0)
    placebo = gaps[gaps[unit].astype(str) != str(treated)]
    lines = [g.sort_values(time)[[time, gap]].to_numpy(dtype=float) for _, g in placebo.groupby(unit, sort=True)]
    if lines:
        # the first placebo as a line (the legend's entry), the other ~120 as one collection drawn
        # with a line's style: the same pixels at a fraction of the cost of one Line2D each
        from matplotlib import rcParams
        from matplotlib.collections import LineCollection

        ax.plot(lines[0][:, 0], lines[0][:, 1], color=PALETTE["light"], linewidth=1, label=t("fig.placebo", lang))
        if len(lines) > 1:
            ax.add_collection(LineCollection(lines[1:], colors=PALETTE["light"], linewidths=1,
                                             capstyle=rcParams["lines.solid_capstyle"],
                                             joinstyle=rcParams["lines.solid_joinstyle"]), autolim=True)
    own = gaps[gaps[unit].astype(str) == str(treated)].sort_values(time)
    ax.plot(own[time], own[gap], color=PALETTE["accent"], linewidth=2.2, label=t("fig.treated", lang))
    ax.axhline(0, color=PALETTE["muted"], linewidth=1)
    if pairing_year is not None:
        ax.axvline(pairing_year - 0.5, color="black", linestyle="--", linewidth=1)
        ax.annotate(t("fig.pairing", lang), (pairing_year - 0.5, 1), xycoords=("data", "axes fraction"),
                    xytext=(3, -12), textcoords="offset points", fontsize=8)
    ax.set_xlabel(t("fig.year", lang))
    ax.set_ylabel(ylabel or t("fig.gap", lang))
    ax.legend(frameon=False, loc="upper left", fontsize=8)
    if title:
        ax.set_title(title, loc="left")
    ax.xaxis.get_major_locator().set_params(integer=True)
    _style(ax)
    return fig


def event_study_plot(
    table: pd.DataFrame,
    *,
    time: str = "time",
    lang: Lang = "zh",
    ylabel: str | None = None,
    title: str | None = None,
    ax: Any = None,
) -> Any:
    """Event-time coefficients (``time``, ``estimate``, ``conf_low``, ``conf_high``) as
    points with a confidence band; the reference period (−1) is drawn at zero."""
    df = table.sort_values(time)
    fig, ax = _axes(ax, 7.0, 4.0)
    x = df[time].to_numpy(dtype=float)
    if {"cband_low", "cband_high"} <= set(df.columns) and df["cband_low"].notna().any():
        ax.fill_between(x, df["cband_low"].to_numpy(dtype=float), df["cband_high"].to_numpy(dtype=float),
                        color=PALETTE["light"], alpha=0.8, linewidth=0, label=t("fig.uniform", lang))
    ax.fill_between(x, df["conf_low"].to_numpy(dtype=float), df["conf_high"].to_numpy(dtype=float),
                    color=PALETTE["band"], alpha=0.6, linewidth=0, label=t("fig.pointwise", lang))
    ax.plot(x, df["estimate"].to_numpy(dtype=float), "o-", color=PALETTE["main"], label=t("fig.effect", lang))
    ax.axhline(0, color=PALETTE["muted"], linewidth=1)
    ax.axvline(-0.5, color="black", linestyle="--", linewidth=1)
    ax.set_xlabel(t("fig.event_time", lang))
    ax.set_ylabel(ylabel or t("fig.effect", lang))
    if title:
        ax.set_title(title, loc="left")
    ax.legend(frameon=False, loc="upper left", fontsize=8)
    ax.xaxis.get_major_locator().set_params(integer=True)
    _style(ax)
    return fig


def path_plot(
    path: pd.DataFrame,
    *,
    time: str = "time",
    pairing_year: int | None = None,
    lang: Lang = "zh",
    ylabel: str | None = None,
    title: str | None = None,
    ax: Any = None,
) -> Any:
    """The treated unit's outcome (``treated``) and its synthetic control (``synthetic``) over ``time``."""
    df = path.sort_values(time)
    fig, ax = _axes(ax, 7.0, 4.0)
    ax.plot(df[time], df["treated"], "-", color=PALETTE["accent"], linewidth=2, label=t("fig.actual", lang))
    ax.plot(df[time], df["synthetic"], "--", color=PALETTE["main"], linewidth=1.6, label=t("fig.synthetic", lang))
    if pairing_year is not None:
        ax.axvline(pairing_year - 0.5, color="black", linestyle="--", linewidth=1)
    ax.set_xlabel(t("fig.year", lang))
    ax.set_ylabel(ylabel or "")
    if title:
        ax.set_title(title, loc="left")
    ax.legend(frameon=False, loc="upper left", fontsize=8)
    _style(ax)
    return fig


def group_time_plot(
    table: pd.DataFrame,
    *,
    lang: Lang = "zh",
    ylabel: str | None = None,
    title: str | None = None,
    ax: Any = None,
) -> Any:
    """Group-time effects ``ATT(g, t)`` (``group``, ``time``, ``estimate``, ``cband_low``,
    ``cband_high``): one series per cohort, with its uniform band as error bars."""
    fig, ax = _axes(ax, 7.0, 4.0)
    groups = list(table.groupby("group", sort=True))
    for i, (g, sub) in enumerate(groups):
        sub = sub.sort_values("time")
        x = sub["time"].to_numpy(float) + (i - (len(groups) - 1) / 2) * 0.08
        y = sub["estimate"].to_numpy(float)
        ax.errorbar(x, y, yerr=[y - sub["cband_low"].to_numpy(float), sub["cband_high"].to_numpy(float) - y],
                    fmt="o", capsize=2, label=t("fig.cohort", lang, g=f"{g:g}" if isinstance(g, float) else g))
    ax.axhline(0, color=PALETTE["muted"], linewidth=1)
    ax.set_xlabel(t("fig.year", lang))
    ax.set_ylabel(ylabel or t("fig.effect", lang))
    if title:
        ax.set_title(title, loc="left")
    ax.legend(frameon=False, fontsize=8)
    _style(ax)
    return fig


def overlap_plot(
    scores: pd.DataFrame,
    *,
    lang: Lang = "zh",
    bins: int = 41,
    title: str | None = None,
    ax: Any = None,
) -> Any:
    """Propensity-score histograms (``pscore``) of treated and control units (``treated`` 1/0), as densities."""
    fig, ax = _axes(ax, 7.0, 4.0)
    edges = np.linspace(0, 1, bins)
    ax.hist(scores.loc[scores["treated"] == 1, "pscore"], bins=edges, alpha=0.5, density=True,
            color=PALETTE["accent"], label=t("fig.treated_group", lang))
    ax.hist(scores.loc[scores["treated"] == 0, "pscore"], bins=edges, alpha=0.5, density=True,
            color=PALETTE["main"], label=t("fig.control_group", lang))
    ax.set_xlabel(t("fig.pscore", lang))
    ax.set_ylabel(t("fig.density", lang))
    if title:
        ax.set_title(title, loc="left")
    ax.legend(frameon=False, fontsize=8)
    _style(ax)
    return fig


# ---------------------------------------------------------------- Result.plot()
# Each estimator's ``Result.plot()`` is one of these: it makes the tidy table of its figure
# kind from the result and draws it with the same function the reports use. They return
# the Axes drawn on (``ax`` when given).


def _ax_of(fig: Any, ax: Any) -> Any:
    return ax if ax is not None else fig.axes[0]


def plot_synth(result: Any, ax: Any = None, *, kind: str = "gap", lang: Lang = "zh", **kw: Any) -> Any:
    """``kind="gap"``: :func:`gap_plot` of :func:`synth_gaps`; ``kind="path"``: :func:`path_plot`."""
    from impact.results import check_option

    check_option("kind", kind, ("gap", "path"))
    path = result.diagnostics["path"]
    t0 = int(path.loc[path["post"], "time"].min())
    title = t("fig.synth_title", lang, unit=result.info["Treated unit"], p=f"{result.info['Placebo p-value']:.3g}")
    if kind == "path":
        fig = path_plot(path, pairing_year=t0, lang=lang, title=title, ax=ax, **kw)
    else:
        fig = gap_plot(synth_gaps(result), treated=str(result.info["Treated unit"]), pairing_year=t0, lang=lang,
                       title=title, ax=ax, **kw)
    return _ax_of(fig, ax)


def plot_event_study(result: Any, ax: Any = None, *, lang: Lang = "zh", **kw: Any) -> Any:
    """:func:`event_study_plot` of the event-time terms, titled with the pre-trend test."""
    table = result.table[result.table["event_time"].notna()] if "event_time" in result.table else result.table
    pre = result.diagnostics.get("pretrend")
    title = (t("fig.pretrend", lang, p=f"{pre['p_value'].iloc[0]:.3g}")
             if isinstance(pre, pd.DataFrame) and not pre.empty else result.method)
    unit = str(table["unit"].iloc[0]) if len(table) and "unit" in table else None
    fig = event_study_plot(table, time="event_time", lang=lang, ylabel=unit, title=title, ax=ax, **kw)
    return _ax_of(fig, ax)


def plot_staggered(result: Any, ax: Any = None, *, lang: Lang = "zh", **kw: Any) -> Any:
    """Group-time effects with :func:`group_time_plot`; aggregated effects with :func:`event_study_plot`
    (over event time, cohort or year, whichever the aggregation has)."""
    tab = result.table[result.table["term"] != "ATT"]
    unit = str(tab["unit"].iloc[0]) if len(tab) and "unit" in tab else None
    if {"group", "time"} <= set(tab.columns) and tab["group"].notna().any() and tab["time"].notna().any():
        fig = group_time_plot(tab, lang=lang, ylabel=unit, title=result.method, ax=ax, **kw)
        return _ax_of(fig, ax)
    xcol = next((c for c in ("event_time", "group", "time") if c in tab and tab[c].notna().any()), None)
    if xcol is None:
        tab = tab.assign(position=np.arange(len(tab), dtype=float))
        xcol = "position"
    fig = event_study_plot(tab, time=xcol, lang=lang, ylabel=unit, title=result.method, ax=ax, **kw)
    return _ax_of(fig, ax)


def plot_overlap(result: Any, ax: Any = None, *, lang: Lang = "zh", **kw: Any) -> Any:
    """:func:`overlap_plot` of the propensity scores of a matching or weighting result."""
    fig = overlap_plot(result.diagnostics["pscore"], lang=lang, title=t("fig.overlap", lang, method=result.method),
                       ax=ax, **kw)
    return _ax_of(fig, ax)


def league_chart(
    table: pd.DataFrame,
    label: str = "program",
    value: str = "cost_per_beneficiary",
    *,
    lang: Lang = "zh",
    title: str | None = None,
    ax: Any = None,
    max_bars: int = 25,
) -> Any:
    """Programs ranked by ``value`` (cost per beneficiary, lowest = most cost-effective first)."""
    df = table[[label, value]].dropna().sort_values(value, ascending=True).head(max_bars)
    fig, ax = _axes(ax, 7.5, max(2.2, 0.38 * len(df) + 1.2))
    if df.empty:
        ax.text(0.5, 0.5, t("fig.no_data", lang), ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    y = np.arange(len(df))[::-1]
    ax.barh(y, df[value].to_numpy(dtype=float), color=PALETTE["main"])
    ax.set_yticks(y, df[label].astype(str).tolist())
    for yi, v in zip(y, df[value].to_numpy(dtype=float)):
        ax.annotate(fmt_number(v, lang), (v, yi), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize=8)
    from impact.i18n import column_name

    ax.set_xlabel(column_name(value, lang))
    ax.xaxis.set_major_formatter(_formatter(lang))
    if title:
        ax.set_title(title, loc="left")
    _style(ax)
    return fig
