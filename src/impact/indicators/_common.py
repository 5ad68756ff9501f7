"""Shared helpers of the indicator families: input checks, grouping, bootstrap weights, text.

Nothing here is public API; the families import what they need.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from impact.errors import ImpactError, InputError, Problem

from impact.validate import MAX_LISTED

from impact.units import ha_to_mu, jin_to_kg, kg_to_jin, mu_to_ha

__all__ = [
    "MAX_LISTED",
    "require_columns",
    "require_nonempty",
    "require_nonnegative",
    "require_categories",
    "require_numeric",
    "as_by",
    "group_codes",
    "nested_multinomial_weights",
    "t_interval",
    "percentile_interval",
    "county_label",
    "fmt_num",
    "fmt_pct",
    "year_from_month",
    "mu_to_ha",
    "ha_to_mu",
    "jin_to_kg",
    "kg_to_jin",
]


# --------------------------------------------------------------------------- input checks
# One set of checks for indicators and estimators: impact.validate (the user's own row numbers).
from impact.validate import (  # noqa: E402
    _listed,
    require_categories,
    require_columns,
    require_nonempty,
    require_nonnegative,
    require_numeric,
    user_rows as _rows,
)


# --------------------------------------------------------------------------- grouping
def as_by(by: str | Sequence[str] | None) -> list[str]:
    """Normalize a ``by`` argument to a list of column names."""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def group_codes(df: pd.DataFrame, by: Sequence[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer group code per row (0..G-1, sorted by key) and the key frame (one row per group)."""
    if not by:
        return np.zeros(len(df), dtype=np.int64), pd.DataFrame(index=[0])
    g = df.groupby(list(by), sort=True, dropna=False)
    codes = g.ngroup().to_numpy(dtype=np.int64)
    keys = g.size().reset_index()[list(by)]
    return codes, keys


# --------------------------------------------------------------------------- bootstrap
def nested_multinomial_weights(
    cluster_group: np.ndarray, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """Cluster-bootstrap weights, resampling clusters with replacement within their group.

    ``cluster_group[c]`` is the group (e.g. county-year) of cluster ``c``; clusters must be
    sorted by group. Returns a ``(n_boot, n_clusters)`` array of counts: in every replicate
    each group draws as many clusters as it has, uniformly with replacement from its own
    clusters (a multinomial weight vector per group), all in one vectorized draw.
    """
    cluster_group = np.asarray(cluster_group, dtype=np.int64)
    n = cluster_group.size
    if n == 0:
        return np.zeros((n_boot, 0))
    if np.any(np.diff(cluster_group) < 0):
        raise ValueError("clusters must be sorted by group")
    sizes = np.bincount(cluster_group)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    size_c = sizes[cluster_group]  # group size of each cluster slot
    start_c = starts[cluster_group]
    u = rng.random((n_boot, n))
    picks = start_c + np.minimum((u * size_c).astype(np.int64), size_c - 1)
    flat = picks + (np.arange(n_boot, dtype=np.int64) * n)[:, None]
    counts = np.bincount(flat.ravel(), minlength=n_boot * n).reshape(n_boot, n)
    return counts.astype(float)


def group_sums(values: np.ndarray, group_of_column: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum the columns of a ``(B, C)`` array within groups of columns -> ``(B, G)``.

    Columns must be sorted by group. Empty groups give 0 (callers mask them).
    """
    values = np.asarray(values, dtype=float)
    out = np.zeros((values.shape[0], n_groups))
    if values.shape[1] == 0:
        return out
    bounds = np.flatnonzero(np.diff(group_of_column)) + 1
    starts = np.concatenate([[0], bounds])
    sums = np.add.reduceat(values, starts, axis=1)
    out[:, group_of_column[starts]] = sums
    return out


def t_interval(est: Any, se: Any, df: Any, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Student-t statistic, two-sided p-value and interval ``est ± t_{df,1-α/2}·se`` (NaN-safe).

    The t distribution's functions are scipy.special's ``stdtr`` (CDF) and ``stdtrit`` (its
    inverse): the functions ``scipy.stats.t.sf`` and ``.ppf`` evaluate, so the values are the
    same bits, without importing scipy.stats (about 0.7 s in a fresh process).
    """
    from scipy import special

    est = np.asarray(est, dtype=float)
    se = np.asarray(se, dtype=float)
    df = np.asarray(df, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = np.isfinite(se) & (se > 0) & (df > 0)
        stat = np.where(ok, est / np.where(ok, se, 1.0), np.nan)
        dfx = np.where(ok, df, 1.0)
        p = np.where(ok, 2 * special.stdtr(dfx, -np.abs(np.nan_to_num(stat))), np.nan)
        q = np.where(ok, special.stdtrit(dfx, 0.5 + level / 2), np.nan)
    return stat, p, est - q * se, est + q * se


def percentile_interval(draws: np.ndarray, level: float, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of bootstrap or Monte Carlo draws (NaN draws ignored)."""
    a = (1 - level) / 2
    with np.errstate(invalid="ignore"):
        lo = np.nanquantile(draws, a, axis=axis)
        hi = np.nanquantile(draws, 1 - a, axis=axis)
    return lo, hi


# --------------------------------------------------------------------------- text
_NAME_CACHE: dict[tuple[str, str], str] = {}


def county_label(code: Any, lang: str = "zh") -> str:
    """Official county name (Chinese) or ``"<name> (<code>)"`` (English) for a county code.

    Falls back to the code itself when :mod:`impact.geo` is unavailable or does not know it.
    """
    if code is None or (isinstance(code, float) and np.isnan(code)):
        return "全部" if lang == "zh" else "All"
    key = (str(code), lang)
    if key in _NAME_CACHE:
        return _NAME_CACHE[key]
    label = str(code)
    from impact.geo import resolve_county

    try:
        c = resolve_county(str(code))
        label = c.name if lang == "zh" else f"{c.name} ({c.code})"
    except ImpactError:  # not one county (a user's own grouping code): the code itself
        label = str(code)
    _NAME_CACHE[key] = label
    return label


def group_label(row: Mapping[str, Any], by: Sequence[str], lang: str) -> str:
    """Label of one group for a sentence: county name, then the other keys."""
    parts: list[str] = []
    for col in by:
        v = row[col]
        if col == "county_code":
            parts.append(county_label(v, lang))
        elif col == "year":
            parts.append(f"{int(v)}年" if lang == "zh" else f"{int(v)}")
        else:
            parts.append(str(v))
    if not parts:
        return "全部" if lang == "zh" else "All"
    return ("，" if lang == "zh" else ", ").join(parts)


def fmt_num(x: Any, digits: int = 0) -> str:
    """Thousands-separated number, or 'NA'."""
    if x is None or not np.isfinite(float(x)):
        return "NA"
    v = round(float(x), digits) + 0.0  # no "-0"
    return f"{v:,.{digits}f}"


def fmt_pct(x: Any, digits: int = 1) -> str:
    """A percentage already in percent units (19.8 -> '19.8%'), or 'NA'."""
    if x is None or not np.isfinite(float(x)):
        return "NA"
    return f"{float(x):.{digits}f}%"


def year_from_month(month: pd.Series, table: str) -> pd.Series:
    """Integer year of ``YYYY-MM`` strings; :class:`InputError` for anything else."""
    s = month.astype("string")
    ok = s.str.fullmatch(r"\d{4}-(0[1-9]|1[0-2])").fillna(False).to_numpy(dtype=bool)
    if not ok.all():
        bad = ~ok
        rows = _rows(month.to_frame(), bad)
        vals = month.to_numpy()[np.flatnonzero(bad)]
        problems = [
            Problem(table, int(r), "month", None if pd.isna(v) else v, "a month as 'YYYY-MM'")
            for r, v in zip(rows[:MAX_LISTED], vals[:MAX_LISTED])
        ]
        _listed(problems, len(rows) - MAX_LISTED, table, "month", "a month as 'YYYY-MM'")
        raise InputError(problems, title=f"{table}: invalid months")
    return s.str.slice(0, 4).astype(int)
