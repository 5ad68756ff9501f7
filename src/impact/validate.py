"""Input checks shared by indicators and estimators: one set, the user's own row numbers.

Every check raises :class:`impact.errors.InputError` listing every problem (file or
table, row, column, value, what was expected), at most :data:`MAX_LISTED` rows per
problem kind and then the count of the rest.

Row numbers are the user's: the row of the spreadsheet or CSV file the frame was read
from (header = row 1), so ``index label + 2`` for a frame read with its default integer
index, also after rows were dropped or reordered (a row keeps its label). Frames with
any other index fall back to ``position + 2``.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from impact.errors import InputError, Problem

__all__ = ["DATA", "MAX_LISTED", "require_binary", "require_categories", "require_columns", "require_nonempty",
           "require_nonnegative", "require_numeric", "user_rows"]

#: Rows listed per problem kind before an error message says "and N more".
MAX_LISTED = 5
#: Name used for a frame passed without a file or table name.
DATA = "<data>"


def user_rows(df: pd.DataFrame, mask: np.ndarray | pd.Series) -> np.ndarray:
    """Spreadsheet row numbers (header = row 1) of the True entries of ``mask`` (aligned with ``df``'s rows)."""
    pos = np.flatnonzero(np.asarray(mask, dtype=bool))
    idx = df.index
    if pd.api.types.is_integer_dtype(idx.dtype) and idx.is_unique and (len(idx) == 0 or idx.min() >= 0):
        return idx.to_numpy()[pos].astype(np.int64) + 2
    return pos + 2


def _py(v: object) -> object:
    """A cell as a plain Python value for messages (``np.int8(2)`` -> ``2``; missing -> None)."""
    if v is None or (not isinstance(v, str) and pd.isna(v)):  # type: ignore[arg-type]
        return None
    return v.item() if isinstance(v, np.generic) else v


def _listed(problems: list[Problem], extra: int, table: str, column: str, expected: str) -> list[Problem]:
    if extra > 0:
        problems.append(Problem(table, None, column, f"{extra} more rows", expected))
    return problems


def require_columns(df: pd.DataFrame, columns: Iterable[str | None], table: str = DATA) -> None:
    """Raise :class:`InputError` listing every required column missing from ``df`` (``None`` entries ignored)."""
    if not isinstance(df, pd.DataFrame):
        raise InputError(Problem(table, None, None, type(df).__name__, "a pandas DataFrame"),
                         title=f"{table}: wrong input type")
    missing = [c for c in dict.fromkeys(columns) if c is not None and c not in df.columns]
    if missing:
        present = ", ".join(map(str, df.columns[:20])) + (", ..." if len(df.columns) > 20 else "")
        raise InputError([Problem(table, None, c, None, f"a column named {c!r} (columns present: {present})")
                          for c in missing], title=f"{table}: missing columns")


def require_nonempty(df: pd.DataFrame, table: str = DATA, what: str = "rows") -> None:
    """Raise :class:`InputError` if ``df`` has no rows."""
    if len(df) == 0:
        raise InputError(Problem(table, None, None, 0, f"at least one of {what}"), title=f"{table}: no {what}")


def require_numeric(df: pd.DataFrame, columns: Iterable[str], table: str = DATA, allow_na: bool = False) -> None:
    """Raise :class:`InputError` for non-numeric or (unless ``allow_na``) missing values."""
    problems: list[Problem] = []
    for col in columns:
        raw = df[col]
        if allow_na and pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
            continue
        num = pd.to_numeric(raw, errors="coerce")
        bad = num.isna().to_numpy() & raw.notna().to_numpy()
        if not allow_na:
            bad |= raw.isna().to_numpy()
        if bad.any():
            rows = user_rows(df, bad)
            vals = raw.to_numpy()[np.flatnonzero(bad)]
            exp = "a number" + ("" if allow_na else " (not missing)")
            for r, v in zip(rows[:MAX_LISTED], vals[:MAX_LISTED]):
                problems.append(Problem(table, int(r), col, _py(v), exp))
            _listed(problems, len(rows) - MAX_LISTED, table, col, exp)
    if problems:
        raise InputError(problems, title=f"{table}: non-numeric or missing values")


def require_nonnegative(df: pd.DataFrame, columns: Iterable[str], table: str = DATA, strict: bool = False) -> None:
    """Raise :class:`InputError` for negative (or, if ``strict``, non-positive) values; NaN passes."""
    problems: list[Problem] = []
    for col in columns:
        v = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        bad = (v <= 0) if strict else (v < 0)
        if bad.any():
            rows = user_rows(df, bad)
            exp = "a positive number" if strict else "a number >= 0"
            for r, x in zip(rows[:MAX_LISTED], v[np.flatnonzero(bad)][:MAX_LISTED]):
                problems.append(Problem(table, int(r), col, float(x), exp))
            _listed(problems, len(rows) - MAX_LISTED, table, col, exp)
    if problems:
        raise InputError(problems, title=f"{table}: invalid values")


def require_categories(df: pd.DataFrame, column: str, valid: Sequence[object], table: str = DATA) -> None:
    """Raise :class:`InputError` for values of ``column`` outside ``valid`` (missing included)."""
    raw = df[column]
    bad = ~raw.isin(list(valid)).to_numpy()
    if bad.any():
        rows = user_rows(df, bad)
        vals = raw.to_numpy()[np.flatnonzero(bad)]
        exp = "one of " + ", ".join(repr(v) for v in valid)
        problems = [Problem(table, int(r), column, _py(v), exp)
                    for r, v in zip(rows[:MAX_LISTED], vals[:MAX_LISTED])]
        _listed(problems, len(rows) - MAX_LISTED, table, column, exp)
        raise InputError(problems, title=f"{table}: unknown values in '{column}'")


def require_binary(df: pd.DataFrame, column: str, table: str = DATA, *,
                   expected: str = "0 or 1 (treatment indicator)") -> None:
    """Raise :class:`InputError` for values of ``column`` other than 0 and 1 (missing included)."""
    s = df[column]
    ok = pd.to_numeric(s, errors="coerce").isin([0, 1]).to_numpy()
    if not ok.all():
        bad = ~ok
        rows = user_rows(df, bad)
        vals = s.to_numpy()[np.flatnonzero(bad)]
        problems = [Problem(table, int(r), column, _py(v), expected)
                    for r, v in zip(rows[:MAX_LISTED], vals[:MAX_LISTED])]
        _listed(problems, len(rows) - MAX_LISTED, table, column, expected)
        raise InputError(problems, title=f"{table}: values other than 0 and 1 in '{column}'")
