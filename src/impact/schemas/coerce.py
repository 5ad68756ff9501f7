"""Typing a table as read (text everywhere) into its columns' types, with one ``Problem`` per value
that does not parse; blanks and the usual missing-value words become missing.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np
import pandas as pd

from impact.errors import Problem
from impact.schemas.columns import Column, TableSpec, _na

_DTYPES: dict[str, str] = {
    "string": "string", "month": "string", "period": "string", "county_code": "string",
    "integer": "Int64", "flag": "Int64", "year": "Int64", "number": "Float64",
}


def _blank(v: Any) -> bool:
    return _na(v) or (isinstance(v, str) and not v.strip())


def _to_text(v: Any) -> Any:
    if _blank(v):
        return pd.NA
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, (pd.Timestamp, _dt.datetime, _dt.date, np.datetime64)):
        return pd.Timestamp(v).strftime("%Y-%m-%d")
    return str(v).strip()


def _all_text(s: pd.Series) -> bool:
    """True when every non-missing cell is a Python/Arrow string (CSV read as text, Parquet strings)."""
    if isinstance(s.dtype, pd.StringDtype):
        return True
    return s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty")


#: Text that means "no value"; an error in required numeric columns, missing in optional ones.
_NA_WORDS = frozenset({"NA", "N/A", "n/a", "na", "NaN", "nan", "NAN", "null", "NULL", "None", "#N/A", "-", "—", "－"})


#: A number with valid thousands grouping (1,000 / 1,000,000 / -12,345.5).
_GROUPED = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"


def _py(values: np.ndarray) -> list[Any]:
    """Cells as Python values (``True``, not ``np.True_``) for messages."""
    return [v.item() if isinstance(v, np.generic) else v for v in values]


def _groups_allowed(c: Column) -> bool:
    """Thousands separators are read only in money (yuan) and count columns."""
    unit = c.unit.lower()
    if c.type == "year" or "share" in unit or unit in ("years", "year"):
        return False
    return "yuan" in unit or "person" in unit or "household" in unit or unit == "base_unit"


def _coerce(df: pd.DataFrame, s: TableSpec, file: str) -> tuple[pd.DataFrame, list[Problem]]:
    out = df.copy()
    probs: list[Problem] = []
    for c in s.columns:
        if c.name not in out.columns:
            continue
        raw = df[c.name]
        if c.type in ("integer", "flag", "year", "number"):
            what = {"number": "a number", "flag": "0 or 1 (是/否, 有/无 are read as 1/0)"}.get(c.type, "a whole number")
            if raw.dtype.kind in "iuf" or str(raw.dtype) in ("Int64", "Float64"):
                num = raw.astype("Float64")
            else:
                if not _all_text(raw):  # XLSX cells: numbers, booleans, dates, text
                    raw_t = raw.map(lambda v: int(v) if isinstance(v, (bool, np.bool_)) and c.type == "flag" else v)
                    raw_t = raw_t.map(lambda v: pd.NA if _blank(v) else v).astype("string")
                else:
                    raw_t = raw.astype("string")
                txt = raw_t.str.strip()
                txt = txt.mask(txt == "", pd.NA)
                na_word = txt.isin(_NA_WORDS).fillna(False).astype(bool)
                if not c.required:  # NA, N/A, ... in an optional column: a missing value
                    txt = txt.mask(na_word, pd.NA)
                grouped = txt.str.contains(",", regex=False).fillna(False).astype(bool)
                reject = grouped
                if _groups_allowed(c):  # 1,000 / 1,000,000 in money and counts only
                    ok = grouped.copy()  # the pattern only where a comma is (few cells): one pass, not per cell
                    ok[grouped] = txt[grouped].str.fullmatch(_GROUPED).fillna(False).astype(bool)
                    txt = txt.mask(ok, txt.str.replace(",", "", regex=False))
                    reject = grouped & ~ok
                num = pd.to_numeric(txt.mask(reject, "x"), errors="coerce").astype("Float64")
                bad = np.flatnonzero((num.isna() & ~txt.isna()).to_numpy())
                comma, na_w = grouped.to_numpy()[bad], na_word.to_numpy()[bad]
                probs.extend(
                    Problem(file, int(i) + 2, c.name, v, what + (
                        " (thousands separators only in money and counts, grouped as 1,000 or 1,000,000; "
                        "no comma as a decimal point)" if g else " (this column may not be empty)" if w else ""))
                    for i, v, g, w in zip(bad, _py(raw.to_numpy()[bad]), comma, na_w))
            infinite = np.isinf(num.to_numpy(dtype=float, na_value=np.nan))
            bad = np.flatnonzero(infinite)
            probs.extend(Problem(file, int(i) + 2, c.name, v, f"{what}, finite")
                         for i, v in zip(bad, _py(raw.to_numpy()[bad])))
            num = num.mask(infinite, pd.NA)
            if c.type != "number":
                frac = (num.notna() & (num.round() != num)).fillna(False)
                for i in np.flatnonzero(frac.to_numpy()):
                    probs.append(Problem(file, int(i) + 2, c.name, raw.iloc[i], "a whole number"))
                num = num.where(~frac, pd.NA).round().astype("Int64")
            out[c.name] = num
        elif _all_text(raw) or (raw.dtype.kind in "iu" and c.type != "month"):
            # fast path for typed input (Parquet): no per-cell Python
            txt = raw.astype("string").str.strip()
            out[c.name] = txt.mask(txt == "", pd.NA)
        else:
            if c.type == "month":
                # Excel turns a typed 2024-03 into the date 2024-03-01: keep its month
                out[c.name] = raw.map(lambda v: pd.Timestamp(v).strftime("%Y-%m")
                                      if isinstance(v, (pd.Timestamp, _dt.datetime, _dt.date, np.datetime64))
                                      and not _na(v) else _to_text(v)).astype("string")
            else:
                out[c.name] = raw.map(_to_text).astype("string")
    return out, probs
