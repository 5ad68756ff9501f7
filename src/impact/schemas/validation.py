"""``validate(df, kind, file=...)``: coerce, check and return a table of one kind, or raise
``InputError`` listing every problem with the user's own row numbers.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import pandas as pd

from impact.errors import ImpactError, InputError, Problem
from impact.schemas.checks import _checks, _default_county_codes
from impact.schemas.coerce import _DTYPES, _coerce
from impact.schemas.columns import ExtraColumnWarning, _na
from impact.schemas.specs import spec


def _value_at(df: pd.DataFrame, row: int | None, column: str | None, fallback: Any) -> Any:
    if row is None or column is None or column not in df.columns:
        return fallback
    v = df[column].iloc[row - 2]
    return None if _na(v) else v


def validate(
    df: pd.DataFrame,
    kind: str,
    *,
    file: str = "<table>",
    counties: Collection[str] | None = None,
    refs: Mapping[str, pd.DataFrame] | None = None,
    max_problems: int | None = 1000,
) -> pd.DataFrame:
    """Check ``df`` against the schema of ``kind``; return it coerced to the documented types.

    Every problem is collected before raising one :class:`InputError`; each names
    ``file``, the spreadsheet row (header = row 1), the column, the value found and
    what was expected. Checks: required columns present, cells non-empty where
    required, types (numbers, whole numbers, ``YYYY-MM`` months, dates), allowed
    values, ranges, unique keys, county codes that exist (``counties``; default:
    :func:`impact.geo.county_table`), references to other tables (``refs``: kind
    -> validated DataFrame, e.g. ``{"organizations": orgs}``) and the row rules of
    the spec. Extra columns are kept with an :class:`ExtraColumnWarning`; an optional
    column that is absent is added empty. The value checks are the pandera checks of
    :func:`pandera_schema`, evaluated column by column on the non-empty cells (vectorised).
    ``max_problems`` caps the number listed: each check stops collecting rows after it, and
    the last problem gives the count of the rest (None: no cap).
    """
    s = spec(kind)
    if not isinstance(df, pd.DataFrame):
        raise ImpactError(f"validate expects a pandas DataFrame, got {type(df).__name__}")
    df = df.reset_index(drop=True)
    df.columns = [str(c).strip().lstrip("\ufeff") for c in df.columns]
    title = f"{file}: not a valid {kind} table"
    problems: list[Problem] = []

    dup_cols = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
    for c in dup_cols:
        problems.append(Problem(file, 1, c, c, "each column name once in the header"))
    absent_optional = [c.name for c in s.columns if c.name not in df.columns and not c.required]
    if absent_optional:  # an optional column may be left out: it is taken as empty
        df = df.assign(**{c: pd.Series(pd.NA, index=df.index, dtype=_DTYPES[s.column(c).type])
                          for c in absent_optional})
    missing = [c for c in s.names if c not in df.columns]
    for c in missing:
        col = s.column(c)
        problems.append(Problem(file, 1, c, None, f"a column named '{c}' ({col.meaning}) in the header row"))
    extra = [c for c in df.columns if c not in s.names]
    if extra:
        warnings.warn(
            f"{file}: column(s) {', '.join(repr(c) for c in extra)} are not part of the {kind} schema; kept as is "
            f"(documented columns: {', '.join(s.names)})",
            ExtraColumnWarning,
            stacklevel=2,
        )
    if dup_cols:
        raise InputError(problems, title=title)
    if len(df) == 0:
        problems.append(Problem(file, 2, None, "no data rows", "at least one data row below the header"))
    if problems:
        raise InputError(problems, title=title)

    if counties is None and any(c.type == "county_code" for c in s.columns) and kind != "counties":
        counties = _default_county_codes()
    if kind == "counties":
        counties = None

    coerced, type_probs = _coerce(df, s, file)
    problems.extend(type_probs)
    bad_type_cells = {(p.row, p.column) for p in type_probs}

    # Value checks: the pandera checks of each column evaluated directly on its non-empty
    # cells (vectorised; the failing rows are collected up to ``max_problems`` per check and
    # the rest only counted), and emptiness of required cells.
    cap = max_problems if max_problems is not None else len(coerced) + 1
    hidden = 0
    for c in s.columns:
        col = coerced[c.name]
        empty = col.isna().to_numpy()
        if c.required and empty.any():
            rows = [r for r in (np.flatnonzero(empty) + 2).tolist() if (r, c.name) not in bad_type_cells]
            hidden += max(0, len(rows) - cap)
            problems.extend(Problem(file, r, c.name, "", f"a value ({c.meaning})") for r in rows[:cap])
        present = col[~empty]
        if present.empty:
            continue
        for check in _checks(c, counties):
            ok = check(present).check_output
            ok = ok.to_numpy(dtype=bool, na_value=False) if hasattr(ok, "to_numpy") else np.asarray(ok, dtype=bool)
            bad = present.index.to_numpy()[~ok]
            if not len(bad):
                continue
            hidden += max(0, len(bad) - cap)
            written = df[c.name] if c.name in df.columns else present
            for i in bad[:cap].tolist():
                v = written.iloc[i] if c.name in df.columns else present[i]
                problems.append(Problem(file, int(i) + 2, c.name, None if _na(v) else v, str(check.error)))

    # Unique keys, reported once per duplicate row with the row it repeats.
    key = [k for k in s.key if k in coerced.columns]
    if key:
        kdf = coerced[key]
        dup = kdf.duplicated(keep=False)
        if dup.any():
            first_row: dict[tuple, int] = {}
            for i in np.flatnonzero(dup.to_numpy()):
                k = tuple(None if _na(v) else (v.item() if isinstance(v, np.generic) else v)
                          for v in kdf.iloc[i].tolist())
                if k not in first_row:
                    first_row[k] = int(i) + 2
                    continue
                shown = k[0] if len(k) == 1 else k
                problems.append(Problem(file, int(i) + 2, ", ".join(key), shown,
                                        f"a unique {' + '.join(key)} (same as row {first_row[k]})"))

    # Row rules across columns.
    for rule in s.rules:
        bad = rule.bad(coerced).fillna(False).astype(bool)
        for i in np.flatnonzero(bad.to_numpy()):
            problems.append(Problem(file, int(i) + 2, rule.column, _value_at(df, int(i) + 2, rule.column, None),
                                    rule.expected))
    for grule in s.group_rules:
        problems.extend(grule(coerced, file))

    # References to other tables.
    for c in s.columns:
        if not c.references or not refs or c.references[0] not in refs:
            continue
        rkind, rcol = c.references
        valid = set(refs[rkind][rcol].dropna().astype(str))
        col = coerced[c.name]
        bad = col.notna() & ~col.astype("string").isin(valid)
        for i in np.flatnonzero(bad.fillna(False).to_numpy()):
            problems.append(Problem(file, int(i) + 2, c.name, df[c.name].iloc[i],
                                    f"a value listed in {rkind}.{rcol}"))

    if problems:
        rows = {p.row for p in problems if p.row is not None and 2 <= p.row < len(df) + 2}
        order = sorted(rows)
        sub = df.iloc[[r - 2 for r in order]]
        blank = (sub.isna() | sub.astype("string").apply(lambda s: s.str.strip() == "").fillna(True)).all(axis=1)
        blank_rows = {r for r, b in zip(order, blank.tolist()) if b}
        if blank_rows:
            problems = [p for p in problems if p.row not in blank_rows] + [
                Problem(file, r, None, "an empty row", "a data row (delete empty rows inside the table)")
                for r in sorted(blank_rows)
            ]
        problems.sort(key=lambda p: (p.row if p.row is not None else 0, p.column or ""))
        n = len(problems) + hidden
        if max_problems is not None and n > max_problems:
            problems = problems[:max_problems] + [
                Problem(file, None, None, f"{n - max_problems} more problems not shown "
                        f"(listing stopped after {max_problems})", "fewer problems")
            ]
        raise InputError(problems, title=title)
    ordered = s.names + [c for c in coerced.columns if c not in s.names]
    return coerced[ordered]
