"""Maps of Yunnan's counties (matplotlib + geopandas), labelled in the page's language.

Chinese maps label places by their short names; English maps by their romanised names
(:mod:`impact.romanize`, Hanyu Pinyin: ``Jinggu``, ``Chuxiong``).

Every function draws on a given ``ax`` or on a fresh :class:`matplotlib.figure.Figure`
(no pyplot state) and returns the Figure. Geometries come from :mod:`impact.geo`
(simplified Amap boundaries, EPSG:4326); the aspect ratio corrects for latitude.

``county_locator_map``   one county within its prefecture, with the province as an inset
``locator_png``          the county report's locator map as PNG bytes (fixed layout)
``province_choropleth``  a value per county (numeric: colour scale; text/category: legend);
                         counties without a value are grey and hatched, labelled "无数据 / No data"

The drawn layers carry a ``gid`` (``"counties"``, ``"prefectures"``, ``"province"``,
``"highlight"``, ``"no_data"``) so tests and callers can find them.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from impact import geo
from impact.vocab import LANGS, Lang
from impact.errors import InputError, Problem
from impact.i18n import t
from impact.plots import PALETTE, new_figure
from impact.results import check_option
from impact.romanize import place_name_en, prefecture_name_en

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


Labels = Literal["none", "prefecture", "county"]

NO_DATA_COLOR = "#d9d9d9"
NO_DATA_HATCH = "////"
EDGE = "#ffffff"
PREFECTURE_EDGE = "#4d4d4d"


def _axes(ax: Axes | None, width: float, height: float) -> tuple[Figure, Axes]:
    if ax is None:
        return new_figure(width, height, layout="constrained")  # room for the colour bar
    from impact.fonts import use_cjk_font

    use_cjk_font()
    return ax.figure, ax


def _bare(ax: Axes) -> None:
    ax.set_axis_off()


def _last_collection(ax: Axes, gid: str) -> None:
    if ax.collections:
        ax.collections[-1].set_gid(gid)


def _geometry_path(geom: Any) -> Any:
    """One matplotlib Path of a (multi)polygon: every exterior and hole ring, closed."""
    from matplotlib.path import Path

    verts, codes = [], []
    for poly in getattr(geom, "geoms", [geom]):
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)[:, :2]
            code = np.full(len(xy), Path.LINETO, dtype=Path.code_type)
            code[0], code[-1] = Path.MOVETO, Path.CLOSEPOLY
            verts.append(xy)
            codes.append(code)
    return Path(np.concatenate(verts), np.concatenate(codes))


def _polygons(ax: Axes, geoms: Any, gid: str, *, face: Any, edge: Any, width: float) -> None:
    """Draw ``geoms`` (EPSG:4326 polygons) as one collection tagged ``gid``, one path each, and
    set the axes' aspect for the latitude of their centre (``1 / cos φ``, as geopandas does).

    Drawn directly rather than through ``GeoSeries.plot``: the same figure, without the
    per-call overhead that made the locator map the costliest figure of a county report.
    """
    from matplotlib.collections import PathCollection

    coll = PathCollection([_geometry_path(g) for g in geoms], facecolors=face, edgecolors=edge, linewidths=width)
    coll.set_gid(gid)
    ax.add_collection(coll, autolim=True)
    ax.autoscale_view()
    y0, y1 = np.asarray(geoms.total_bounds)[[1, 3]]
    ax.set_aspect(1 / np.cos(np.deg2rad((y0 + y1) / 2)))


def _label_points(gdf: Any) -> np.ndarray:
    """Label anchor per polygon: a point guaranteed inside it."""
    import shapely

    return shapely.get_coordinates(shapely.point_on_surface(np.asarray(gdf.geometry)))


def _emptiest_corner(ax: Axes, union: Any, frac: float) -> tuple[float, float, float, float]:
    """Axes-fraction bounds of the corner box (``frac`` of each side) overlapping ``union`` (one
    geometry) least."""
    import shapely

    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    best, best_area = (0.0, 0.0), np.inf
    for fx, fy in ((0.0, 0.0), (1 - frac, 0.0), (0.0, 1 - frac), (1 - frac, 1 - frac)):
        box = shapely.box(
            x0 + fx * (x1 - x0), y0 + fy * (y1 - y0), x0 + (fx + frac) * (x1 - x0), y0 + (fy + frac) * (y1 - y0)
        )
        area = shapely.area(shapely.intersection(box, union))
        if area < best_area:
            best, best_area = (fx, fy), area
    return (best[0], best[1], frac, frac)


@lru_cache(maxsize=32)
def _prefecture_union(file: Path, prefecture_code: str) -> Any:
    """The union of a prefecture's county polygons in ``file`` (one per process and prefecture,
    like the cached read of :func:`impact.geo.counties`: its counties share it)."""
    import shapely

    cty = geo.counties(file)
    return shapely.union_all(np.asarray(cty.loc[cty["prefecture_code"] == prefecture_code, "geometry"]))


def county_locator_map(
    county: str | int | geo.County,
    ax: Axes | None = None,
    lang: Lang = "zh",
    *,
    color: str | None = None,
) -> Figure:
    """Locate a county: its prefecture's counties (county highlighted, counties
    labelled by short name) next to the province with the prefecture shaded.

    Without ``ax``, a new figure gets two panels (province left, prefecture right);
    with ``ax``, the prefecture is drawn on it and the province as an inset in its
    lower-left corner. ``county`` is anything :func:`impact.geo.resolve_county` accepts.
    """
    check_option("lang", lang, LANGS)
    c = county if isinstance(county, geo.County) else geo.resolve_county(county)
    color = color or PALETTE["accent"]
    if ax is None:
        from matplotlib.figure import Figure

        from impact.fonts import use_cjk_font

        use_cjk_font()
        fig = Figure(figsize=(9.0, 4.8), dpi=100, layout="constrained")
        ins, ax = fig.subplots(1, 2, width_ratios=(1, 1.6))
    else:
        fig, ax = _axes(ax, 6.5, 5.5)
        ins = None
    cty = geo.counties()
    pref = geo.prefectures()
    in_pref = cty[cty["prefecture_code"] == c.prefecture_code]
    this = cty[cty["county_code"] == c.code]

    own_pref = pref[pref["prefecture_code"] == c.prefecture_code]
    _polygons(ax, in_pref.geometry, "counties", face=PALETTE["light"], edge=EDGE, width=0.8)
    _polygons(ax, this.geometry, "highlight", face=color, edge=EDGE, width=0.8)
    _polygons(ax, own_pref.geometry, "prefectures", face="none", edge=PREFECTURE_EDGE, width=1.0)
    from matplotlib.patheffects import withStroke

    en = lang == "en"
    for (x, y), name, code in zip(_label_points(in_pref), county_labels(in_pref, lang), in_pref["county_code"]):
        this_one = code == c.code
        ax.annotate(
            name,
            (x, y),
            ha="center",
            va="center",
            fontsize=(8 if en else 9) if this_one else (6 if en else 7),
            color="#ffffff" if this_one else "#4d4d4d",
            # white with a dark outline: readable on the highlight's fill and where a long
            # (English) name runs past the county's edge onto the light neighbours
            path_effects=[withStroke(linewidth=2.2, foreground=PREFECTURE_EDGE)] if this_one else None,
        )
    name, prefecture = (c.name, c.prefecture) if not en else (place_name_en(c.name), prefecture_name_en(c.prefecture))
    # with the province inset in a corner of this axes, the title stands above the inset's own title
    # y=1.0: the title sits on the top of the axes, where matplotlib's automatic placement puts
    # it on a map (no top tick labels); fixing it spares the tick layout of every draw
    ax.set_title(t("fig.in_prefecture", lang, name=name, prefecture=prefecture), fontsize=11,
                 pad=16 if ins is None else 6, y=1.0)
    _bare(ax)

    small = ins is None
    if ins is None:
        union = _prefecture_union(geo._geo_file("counties.parquet", None), c.prefecture_code)
        ins = ax.inset_axes(_emptiest_corner(ax, union, 0.3))
    pv = geo.province()
    _polygons(ins, pv.geometry, "province", face=PALETTE["light"], edge="none", width=0)
    _polygons(ins, pref.geometry, "prefecture_lines", face="none", edge="#ffffff", width=0.4 if small else 0.8)
    _polygons(ins, own_pref.geometry, "prefecture", face=PALETTE["band"], edge="none", width=0)
    _polygons(ins, this.geometry, "highlight", face=color, edge="none", width=0)
    _polygons(ins, pv.geometry, "province_outline", face="none", edge=PREFECTURE_EDGE, width=0.5 if small else 0.9)
    if small:  # keep a translucent background so the inset reads over the main map
        ins.set_xticks([])
        ins.set_yticks([])
        ins.set_xlabel("")
        ins.set_ylabel("")
        ins.set_facecolor((1, 1, 1, 0.85))
        for spine in ins.spines.values():
            spine.set_visible(False)
    else:
        ins.set_axis_off()
    short = c.short_name if not en else place_name_en(_alias(c))
    ins.set_title(t("fig.in_province", lang, name=short), fontsize=7 if small else 11, pad=1 if small else 6)
    return fig


def _alias(c: geo.County) -> str:
    cty = geo.county_table()
    return str(cty.loc[cty["county_code"] == c.code, "alias"].iloc[0])


def county_labels(gdf: Any, lang: Lang) -> list[str]:
    """Map labels of counties: short names in Chinese (``景谷县``); on English maps the bare
    name romanised through :mod:`impact.romanize` (``景谷`` → ``Jinggu``, ``云县`` → ``Yun County``)."""
    if lang == "zh":
        return [str(n) for n in gdf["short_name"]]
    return [place_name_en(str(a)) for a in gdf["alias"]]


def _plain_colorbar(cax: Axes, *, integer: bool) -> None:
    """Colour-bar ticks as plain numbers with thousands separators (never ``1e7`` offsets);
    whole numbers only when ``integer`` (counts)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis = cax.yaxis  # the colour bar is vertical (legend_kwds above)
    if integer:
        axis.set_major_locator(MaxNLocator(integer=True))
    axis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:,.0f}" if integer or abs(x) >= 100 else f"{x:,.2g}"))


def prefecture_labels(gdf: Any, lang: Lang) -> list[str]:
    """Map labels of prefectures: short names in Chinese (``楚雄州``); romanised in English (``Chuxiong``)."""
    if lang == "zh":
        return [str(n) for n in gdf["short_name"]]
    return [place_name_en(str(n), level="prefecture") for n in gdf["short_name"]]


#: Size of the report's locator map (inches) and its fixed margins (figure fractions).
LOCATOR_SIZE: tuple[float, float] = (7.5, 5.5)
LOCATOR_MARGINS: dict[str, float] = {"left": 0.02, "right": 0.98, "bottom": 0.02, "top": 0.89}


def locator_png(county: str | int | geo.County, lang: Lang = "zh", *, dpi: int = 110) -> bytes:
    """The county report's locator map as PNG bytes: the prefecture with the county
    highlighted and the province inset (:func:`county_locator_map` on one axes), on a
    fixed 7.5 × 5.5 in page with fixed margins (a map has no tick labels to make room
    for, so no layout pass is needed)."""
    from impact.plots import to_png

    fig, ax = new_figure(*LOCATOR_SIZE, layout="none")
    fig.subplots_adjust(**LOCATOR_MARGINS)
    county_locator_map(county, ax=ax, lang=lang)
    return to_png(fig, dpi=dpi)


def _as_code_series(values: pd.Series | Mapping[Any, Any]) -> pd.Series:
    """Re-index ``values`` by county code (index may hold codes or any resolvable names)."""
    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    problems = []
    codes = []
    for key in s.index:
        try:
            codes.append(geo.resolve_county(key).code)
        except (geo.UnknownCountyError, geo.AmbiguousCountyError) as err:
            problems.append(Problem("values", None, "index", key, f"a Yunnan county code or name ({err})"))
            codes.append(None)
    out = pd.Series(s.to_numpy(), index=pd.Index(codes, dtype="string", name="county_code"), name=s.name)
    dup = out.index[out.index.duplicated() & out.index.notna()]
    for code in dict.fromkeys(dup):
        problems.append(Problem("values", None, "index", code, "one value per county (found duplicates)"))
    if problems:
        raise InputError(problems, title="province_choropleth: bad county index")
    return out


def province_choropleth(
    values: pd.Series | Mapping[Any, Any],
    ax: Axes | None = None,
    *,
    title: str | None = None,
    cmap: str = "YlGnBu",
    label: str | None = None,
    lang: Lang = "zh",
    labels: Labels = "prefecture",
    vmin: float | None = None,
    vmax: float | None = None,
    categories: list[Any] | None = None,
    integer: bool = False,
) -> Figure:
    """Colour each county by ``values`` (a Series indexed by county code or name).

    Numeric values get a continuous colour scale with a colour bar labelled ``label``;
    other values (text, booleans, categories) get one colour per category and a legend
    (order from ``categories`` or sorted). Counties absent from ``values`` or with a
    missing value are drawn grey and hatched and listed as "无数据" / "No data".
    ``labels`` writes prefecture short names (``"prefecture"``), county short names
    (``"county"``) or nothing.
    """
    check_option("lang", lang, LANGS)
    check_option("labels", labels, ("none", "prefecture", "county"))
    from matplotlib.patches import Patch

    v = _as_code_series(values)
    fig, ax = _axes(ax, 7.0, 6.0)
    cty = geo.counties()
    pref = geo.prefectures()
    data = cty.assign(value=cty["county_code"].map(v))
    # pd.NA-safe missing mask (object values may hold None / NaN / pd.NA)
    missing = data["value"].isna().to_numpy()
    have = data[~missing]
    numeric = pd.api.types.is_numeric_dtype(v.dtype) and not pd.api.types.is_bool_dtype(v.dtype)
    handles: list[Patch] = []

    if len(have):
        if numeric:
            vals = have["value"].astype("float64")
            have = have.assign(value=vals)
            have.plot(
                ax=ax,
                column="value",
                cmap=cmap,
                vmin=vmin if vmin is not None else float(vals.min()),
                vmax=vmax if vmax is not None else float(vals.max()),
                edgecolor=EDGE,
                linewidth=0.3,
                legend=True,
                legend_kwds={"label": label or "", "shrink": 0.6, "pad": 0.01},
            )
            _plain_colorbar(ax.figure.axes[-1], integer=integer)
        else:
            import matplotlib as mpl

            cats = list(categories) if categories is not None else sorted(have["value"].unique(), key=str)
            unknown = set(have["value"]) - set(cats)
            if unknown:
                raise InputError(
                    Problem("values", None, "value", sorted(unknown, key=str), f"one of categories {cats}"),
                    title="province_choropleth: value outside categories",
                )
            if cmap == "YlGnBu" and len(cats) <= 10:  # default: qualitative colours
                palette = list(mpl.colormaps["tab10"].colors)
            else:
                palette = [mpl.colormaps[cmap].resampled(len(cats))(i) for i in range(len(cats))]
            lut = {cat: palette[i] for i, cat in enumerate(cats)}
            have.plot(ax=ax, color=[lut[x] for x in have["value"]], edgecolor=EDGE, linewidth=0.3)
            handles += [Patch(facecolor=lut[cat], edgecolor="none", label=str(cat)) for cat in cats]
        _last_collection(ax, "counties")
    if missing.any():
        data[missing].plot(ax=ax, color=NO_DATA_COLOR, edgecolor=EDGE, hatch=NO_DATA_HATCH, linewidth=0.3)
        _last_collection(ax, "no_data")
        handles.append(
            Patch(facecolor=NO_DATA_COLOR, edgecolor="#8c8c8c", hatch=NO_DATA_HATCH, label=t("fig.no_data", lang))
        )
    pref.boundary.plot(ax=ax, color=PREFECTURE_EDGE, linewidth=0.7)
    _last_collection(ax, "prefectures")

    if labels != "none":
        from matplotlib.patheffects import withStroke

        layer = pref if labels == "prefecture" else cty
        names = prefecture_labels(layer, lang) if labels == "prefecture" else county_labels(layer, lang)
        for (x, y), name in zip(_label_points(layer), names):
            ax.annotate(
                name,
                (x, y),
                ha="center",
                va="center",
                fontsize=7 if labels == "prefecture" else 4.5,
                color="#1a1a1a",
                # a light halo keeps the name readable on the darkest fills of the scale
                path_effects=[withStroke(linewidth=1.6, foreground="#ffffff")],
            )
    if handles:
        ax.legend(
            handles=handles,
            loc="lower left",
            fontsize=8,
            frameon=False,
            title=label if (label and not numeric) else None,
            title_fontsize=8,
        )
    if title:
        ax.set_title(title, fontsize=12)
    _bare(ax)
    return fig
