"""Beneficiary satisfaction surveys (满意度调查): the table kind and the share satisfied.

Table kind ``satisfaction_survey`` (long format, one row per respondent and item):

================ ======== ====================================================================
column           type     meaning
================ ======== ====================================================================
``response_id``  text     one questionnaire (respondent)
``county_code``  text     6-digit county code of the respondent
``program_id``   text     program asked about (registry ``program_id``), may be empty
``year``         integer  survey year
``item``         text     question id, e.g. ``overall`` (总体满意度), ``service``, ``staff``
``score``        integer  Likert answer 1–5 (1 很不满意 … 5 很满意); empty = no answer
================ ======== ====================================================================

The indicator is the share of answers of 4 or 5 (满意 or 很满意) among the answers given,
with a Wilson score interval (Wilson 1927; Brown, Cai & DasGupta 2001) and the count of
answers, per item (and per group when asked).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from impact.errors import InputError, Problem
from impact.results import Result, tidy_frame

KIND = "satisfaction_survey"
#: Columns of the table kind with their type and Chinese header.
COLUMNS: dict[str, tuple[str, str]] = {
    "response_id": ("text", "问卷编号"),
    "county_code": ("text", "县（市、区）代码"),
    "program_id": ("text", "项目编号"),
    "year": ("integer", "调查年份"),
    "item": ("text", "题目"),
    "score": ("integer", "评分（1–5）"),
}
LIKERT_MIN, LIKERT_MAX = 1, 5
#: Answers at or above this value count as satisfied (4 满意, 5 很满意).
SATISFIED_AT = 4


def validate_survey(df: pd.DataFrame, *, file: str = "<satisfaction>") -> pd.DataFrame:
    """Check a survey table and return it typed (codes as text, ``year`` and ``score`` as Int64).

    Raises :class:`InputError` naming every bad row, column and value (header = row 1).
    """
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise InputError([Problem(file, 1, c, None, f"a column named {c!r}") for c in missing],
                         title=f"{file}: not a {KIND} table")
    out = df.copy()
    problems: list[Problem] = []
    for col in ("response_id", "county_code", "program_id", "item"):
        out[col] = out[col].astype("string").str.strip().replace("", pd.NA)
    for col in ("response_id", "item", "county_code"):
        for i in out.index[out[col].isna()]:
            problems.append(Problem(file, int(i) + 2, col, None, "a value (required)"))
    bad_code = out["county_code"].notna() & ~out["county_code"].str.fullmatch(r"\d{6}").fillna(False)
    for i in out.index[bad_code]:
        problems.append(Problem(file, int(i) + 2, "county_code", out.at[i, "county_code"], "a 6-digit county code"))
    for col, lo, hi in (("year", 1900, 2100), ("score", LIKERT_MIN, LIKERT_MAX)):
        num = pd.to_numeric(out[col], errors="coerce")
        given = out[col].notna() & (out[col].astype("string").str.strip() != "")
        wrong = given & (num.isna() | (num % 1 != 0) | (num < lo) | (num > hi))
        if col == "year":
            wrong |= ~given
        for i in out.index[wrong]:
            problems.append(Problem(file, int(i) + 2, col, out.at[i, col], f"a whole number from {lo} to {hi}"))
        out[col] = num.where(~wrong).astype("Int64")
    dup = out.duplicated(["response_id", "item"], keep="first")
    for i in out.index[dup]:
        problems.append(Problem(file, int(i) + 2, "item", out.at[i, "item"],
                                f"one answer per item and response (response {out.at[i, 'response_id']})"))
    if problems:
        raise InputError(problems, title=f"{file}: bad {KIND} table")
    return out


def read_survey(path: str | Path) -> pd.DataFrame:
    """Read a survey file (CSV/XLSX/Parquet via :func:`impact.io.read_table`) and validate it."""
    from impact.io import read_table

    df = read_table(path, dtype=str) if Path(path).suffix.lower() != ".parquet" else read_table(path)
    return validate_survey(df, file=str(path))


def wilson_interval(k: np.ndarray | float, n: np.ndarray | float, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion ``k / n``.

    ``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)`` with ``z`` the ``1 - (1-level)/2``
    normal quantile; NaN where ``n = 0``.
    """
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    from scipy.special import ndtri  # the normal quantile scipy.stats.norm.ppf evaluates, without scipy.stats

    z = ndtri(1 - (1 - level) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def satisfaction(survey: pd.DataFrame, *, by: str | Sequence[str] | None = None,
                 items: Sequence[str] | None = None, level: float = 0.95) -> Result:
    """Share of respondents satisfied (answer ≥ 4 of 5) per item, with a Wilson interval.

    Parameters
    ----------
    survey
        A ``satisfaction_survey`` table (validated here).
    by
        Extra grouping columns (``county_code``, ``program_id``, ``year``); none = all rows.
    items
        Items to report; default all.
    level
        Confidence level of the Wilson score interval.

    Returns
    -------
    Result whose tidy table has ``term`` = item, ``estimate`` = share satisfied (0–1),
    ``conf_low``/``conf_high`` (Wilson), ``n`` = answers given, ``satisfied`` = answers ≥ 4,
    ``unit = share``, plus the ``by`` columns. Unanswered items (empty score) are left out of
    ``n``; the count left out is in ``no_answer``.

    Notes
    -----
    ``share = k / n`` with ``k`` answers of 4 or 5 and ``n`` answers given. The Wilson
    interval keeps its coverage near the nominal level for small ``n`` and shares near 1,
    where the normal (Wald) interval does not (Brown, Cai & DasGupta 2001, Stat. Sci. 16(2)).
    """
    df = validate_survey(survey)
    keys = [by] if isinstance(by, str) else list(by or [])
    if items is not None:
        df = df[df["item"].isin(list(items))]
    answered = df["score"].notna()
    df = df.assign(_sat=(df["score"].fillna(0) >= SATISFIED_AT).astype(int), _ans=answered.astype(int),
                   _na=(~answered).astype(int))
    g = df.groupby([*keys, "item"], dropna=False, sort=True).agg(
        satisfied=("_sat", "sum"), n=("_ans", "sum"), no_answer=("_na", "sum")).reset_index()
    lo, hi = wilson_interval(g["satisfied"].to_numpy(), g["n"].to_numpy(), level)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = g["satisfied"].to_numpy(dtype=float) / g["n"].to_numpy(dtype=float)
    table = tidy_frame(pd.DataFrame({
        "term": g["item"].astype(str), "estimate": share, "std_error": np.nan, "statistic": np.nan,
        "p_value": np.nan, "conf_low": lo, "conf_high": hi, "n": g["n"].astype(float), "unit": "share",
        "method": f"share answering ≥ {SATISFIED_AT} of 5; Wilson {level:.0%} interval",
        **{k: g[k] for k in keys}, "satisfied": g["satisfied"].astype(int), "no_answer": g["no_answer"].astype(int),
    }))
    return Result(table=table, method="Beneficiary satisfaction: share satisfied (Wilson interval)",
                  info={"responses": int(df["response_id"].nunique()), "level": level})
