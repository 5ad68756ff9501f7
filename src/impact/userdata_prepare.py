"""Translating a user's table as written into the columns of its kind (``prepare``): renamed
headers, county names resolved to codes, units converted, wide trials made long, per-capita
income derived; ``health_starts`` dates the health programmes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from impact.errors import ImpactError, InputError, Problem
from impact.schemas import (
    SPECS,
    USER_KINDS,
    header_unit,
    match_header,
    normalise_values,
)
from impact.userdata_headers import (
    _PER_CAPITA_TOTAL,
    _base_key,
    _is_wide_trials,
    _keys,
    _rename,
    _wide_role,
    detect_kind,
)

_INCOME_COLUMNS = ("income_total", "income_farming", "income_wages", "income_ecommerce", "income_transfers",
                   "baseline_income")


#: Units a header may carry in brackets -> factor to the column's unit (by the unit of the column).
_UNIT_FACTORS: dict[str, dict[str, float]] = {
    "yuan": {"元": 1.0, "万元": 1e4, "千元": 1e3, "亿元": 1e8},
    "kg/mu": {"公斤/亩": 1.0, "kg/亩": 1.0, "千克/亩": 1.0, "斤/亩": 0.5, "kg/mu": 1.0},
    "mu": {"亩": 1.0, "公顷": 15.0, "ha": 15.0, "万亩": 1e4},
}


@dataclass
class UserTable:
    """A validated user table: ``kind``, the ``frame`` (schema columns first), the ``file``
    name and the ``notes`` saying what was derived or converted."""

    kind: str
    frame: pd.DataFrame
    file: str
    notes: list[str] = field(default_factory=list)


def _num(s: pd.Series) -> pd.Series:
    if s.dtype.kind in "iuf":
        return s.astype(float)
    return pd.to_numeric(s.astype("string").str.strip(), errors="coerce").astype(float)


def health_starts(own_programs: pd.DataFrame | None = None,
                  registry: Mapping[str, pd.DataFrame] | None = None) -> dict[str, int]:
    """First year of a health program per county: own programs (``sector == "health"``,
    ``start_date``), else the registry (health programs' ``period_start`` at their
    ``program_sites``). County code -> year."""
    out: dict[str, int] = {}
    if registry and {"programs", "program_sites"} <= set(registry):
        p = registry["programs"]
        s = registry["program_sites"]
        h = p[p["sector"].astype("string") == "health"][["program_id", "period_start"]]
        m = s[["program_id", "county_code"]].merge(h, on="program_id").dropna()
        for code, start in zip(m["county_code"].astype(str), m["period_start"].astype(str)):
            y = int(start[:4])
            out[code] = min(out.get(code, y), y)
    if own_programs is not None and len(own_programs):
        h = own_programs[own_programs["sector"].astype("string") == "health"]
        own: dict[str, int] = {}
        for code, start in zip(h["county_code"].astype(str), h["start_date"].astype(str)):
            y = int(start[:4])
            own[code] = min(own.get(code, y), y)
        out.update(own)
    return out


def _resolve_counties(col: pd.Series, header: str, file: str, rows: np.ndarray) -> tuple[pd.Series, list[Problem]]:
    from impact.geo import resolve_county  # noqa: PLC0415

    codes, uniq = pd.factorize(col, use_na_sentinel=True)
    as_text = [str(int(v)) if isinstance(v, (int, np.integer, float, np.floating)) and float(v).is_integer()
               else str(v).strip() for v in uniq]
    txt = pd.Series(pd.array(as_text, dtype="string").take(codes, allow_fill=True), index=col.index)
    repl: dict[str, str] = {}
    probs: list[Problem] = []
    for u in dict.fromkeys(as_text):
        if re.fullmatch(r"53\d{4}", u):
            continue
        try:
            repl[u] = resolve_county(u).code
        except ImpactError as err:
            where = np.flatnonzero((txt == u).fillna(False).to_numpy())
            more = f" (and {len(where) - 1} more rows)" if len(where) > 1 else ""
            probs.append(Problem(file, int(rows[where[0]]), header, u,
                                 f"a Yunnan county code or name that resolves ({err}){more}"))
    if repl:
        mapped = pd.array([repl.get(t, t) for t in as_text], dtype="string")
        txt = pd.Series(mapped.take(codes, allow_fill=True), index=col.index)
    return txt, probs


def prepare(
    df: pd.DataFrame,
    kind: str | None = None,
    *,
    file: str = "<table>",
    mapping: Mapping[str, str] | None = None,
    health: Mapping[str, int] | None = None,
    cohorts: pd.DataFrame | None = None,
) -> tuple[str, pd.DataFrame, np.ndarray, list[str], dict[str, float], list[Problem]]:
    """Headers, shape, derivations and value conventions of a user table (no validation).

    Returns ``(kind, frame, rows, notes, factors, problems)``: ``rows[i]`` is the spreadsheet
    row of the frame's row ``i``; ``factors`` maps a column to the factor converting the unit
    in its header's brackets to the column's unit (applied after validation); ``problems``
    are the values that could not be translated (unknown counties, missing health start,
    a county panel's pairing year that ``cohorts`` (:func:`impact.userdata_cohort.panel_cohorts`)
    cannot tell).
    """
    headers = [str(c).strip().lstrip("\ufeff") for c in df.columns]
    df = df.set_axis(headers, axis=1)
    if kind is None:
        kind = detect_kind(headers, file=file, mapping=mapping)
    elif kind not in USER_KINDS:
        raise InputError(Problem(file, None, None, kind, f"a user table kind, one of {', '.join(USER_KINDS)}"),
                         title=f"{file}: unknown kind")
    notes: list[str] = []
    probs: list[Problem] = []
    rows = np.arange(len(df)) + 2
    ren = _rename(headers, kind, mapping)
    s = SPECS[kind]

    # units in brackets -> factors
    factors: dict[str, float] = {}
    for h, c in ren.items():
        unit, col_unit = header_unit(h), s.column(c).unit
        table = _UNIT_FACTORS.get("yuan" if col_unit.startswith("yuan") else col_unit, {})
        if unit in table and table[unit] != 1.0:
            factors[c] = table[unit]
            notes.append(f"{h}: converted from {unit} to {col_unit} (× {table[unit]:g})")

    wide = kind == "plot_trials" and _is_wide_trials(headers)
    per_capita: dict[str, str] = {}  # header of an income per person -> household income column
    if kind == "household_survey":
        for h in headers:
            b = _base_key(h)
            c = "income_total" if b in _keys(_PER_CAPITA_TOTAL) else \
                match_header(b[2:], kind) if b.startswith("人均") else None
            if h not in ren and c in _INCOME_COLUMNS and c not in ren.values() and c not in per_capita.values():
                per_capita[h] = c
    out = df[[h for h in headers if h in ren]].rename(columns=ren)
    extra = [h for h in headers if h not in ren]

    if wide:
        role = {}
        for h in headers:
            r = _wide_role(h)
            if r is not None and r not in role:
                role[r] = h
        yc, yt = role["check_yield"], role["treated_yield"]
        ac, at = role.get("check_area"), role.get("treated_area")
        if ac is None or at is None:
            ac = at = None  # one area column (面积) for both plots
        for h in (yc, yt, ac, at):  # a wide header is never also a long column
            if h is not None and h in ren:
                out = out.drop(columns=[ren.pop(h)], errors="ignore")
                extra.append(h)
        n = len(out)
        pair = out["pair_id"] if "pair_id" in out else out["plot_id"] if "plot_id" in out else None
        by_row = pd.Series([f"{Path(file).stem}-r{r}" for r in rows], index=out.index)
        pair = by_row if pair is None else pair.astype("string").fillna(by_row)
        t = out.drop(columns=[c for c in ("plot_id", "pair_id", "arm", "yield_kg_per_mu") if c in out])
        t = t.assign(pair_id=pair.to_numpy())
        if "trial_id" not in t:
            t["trial_id"] = t["pair_id"]
            notes.append("trial_id: taken as the pair (each row of the wide table is its own trial)")
        long = pd.concat([t, t], ignore_index=True)
        long["arm"] = ["treated"] * n + ["check"] * n
        long["plot_id"] = [f"{p}-T" for p in t["pair_id"]] + [f"{p}-C" for p in t["pair_id"]]
        long["yield_kg_per_mu"] = pd.concat([df[yt], df[yc]], ignore_index=True).to_numpy()
        if at is not None and ac is not None:
            long["area_mu"] = pd.concat([df[at], df[ac]], ignore_index=True).to_numpy()
        for h in (yt, yc, at, ac):
            if h in extra:
                extra.remove(h)
        unit = header_unit(yt)
        if unit and unit in _UNIT_FACTORS["kg/mu"] and _UNIT_FACTORS["kg/mu"][unit] != 1.0:
            factors["yield_kg_per_mu"] = _UNIT_FACTORS["kg/mu"][unit]
        order = np.argsort(np.r_[np.arange(n) * 2, np.arange(n) * 2 + 1], kind="stable")
        long = long.iloc[order].reset_index(drop=True)
        rows = np.repeat(rows, 2)
        out = long
        notes.append(f"wide plot trials: {n} rows ({yt} / {yc}) became {2 * n} plots, "
                     "plot_id = <pair>-T (treated) and <pair>-C (check)")

    for h, c in per_capita.items():
        size = _num(out["hh_size"]) if "hh_size" in out else pd.Series(np.nan, index=out.index)
        pc = _num(df[h])
        written = df[h].astype("string").str.strip()
        bad = (pc.isna() & (written != "").fillna(False)).to_numpy(dtype=bool)
        for i in np.flatnonzero(bad)[:100]:
            probs.append(Problem(file, int(rows[i]), h, df[h].iloc[i],
                                 "a plain number (income per person, multiplied by the household size)"))
        out[c] = pc * size
        extra.remove(h)
        notes.append(f"{c}: {h} (per person) × household size (hh_size)")
        factor = _UNIT_FACTORS["yuan"].get(header_unit(h) or "元", 1.0)
        if factor != 1.0:
            factors[c] = factor

    if kind == "household_survey" and "wave" not in out and "year" in out:
        years = _num(out["year"])
        order = {y: i for i, y in enumerate(sorted(years.dropna().unique()))}
        out["wave"] = years.map(order).astype("Float64")
        notes.append("wave: numbered from the survey years (" + ", ".join(f"{int(y)} -> {i}" for y, i in order.items())
                     + "; the first year is the baseline, wave 0)")

    if "county_code" in s.names:
        if "county_code" in out:
            header = next((h for h, c in ren.items() if c == "county_code"), "county_code")
            out["county_code"], p = _resolve_counties(out["county_code"], header, file, rows)
            probs += p
        elif kind == "county_panel" and "county_name" in out:
            out["county_code"], p = _resolve_counties(out["county_name"], "county_name", file, rows)
            probs += p
    if kind == "county_panel":
        from impact.geo import county_table  # noqa: PLC0415

        ct = county_table().set_index("county_code")
        code = out["county_code"].astype("string")
        for col, src in (("county_name", "name"), ("prefecture_code", "prefecture_code"),
                         ("prefecture", "prefecture")):
            if col not in out:
                out[col] = code.map(ct[src].astype(str).to_dict()).astype("string")
                notes.append(f"{col}: from the county code (data/raw/geo/counties.csv)")
        from impact.userdata_cohort import derive_panel_cohorts  # noqa: PLC0415

        out, more, p = derive_panel_cohorts(out, cohorts, file=file, rows=rows)
        notes += more
        probs += p

    if kind == "patient_records":
        if "patient_id" not in out:
            stem = Path(file).stem
            out["patient_id"] = [f"{stem}-r{r}" for r in rows]
            notes.append(f"patient_id: derived as {stem}-r<row> (no patient id column)")
        if "period" not in out:
            health = health or {}
            code = out["county_code"].astype("string") if "county_code" in out else pd.Series(pd.NA, index=out.index)
            start = code.map(lambda c: health.get(str(c)) if c is not pd.NA else None)
            year = _num(out["year"]) if "year" in out else pd.Series(np.nan, index=out.index)
            start_f = pd.to_numeric(start, errors="coerce").astype(float)
            out["period"] = np.where(year >= start_f, "after", "before")
            nostart = start_f.isna() & code.notna()
            for c in pd.unique(code[nostart].dropna()):
                where = np.flatnonzero((code == c).fillna(False).to_numpy())
                probs.append(Problem(file, int(rows[where[0]]), "period", None,
                                     f"a 项目前后 (before/after) column, or the start of a health program in county {c} "
                                     f"(own programs table or the article's registry) ({len(where)} rows)"))
            notes.append("period: before/after the county's first health program (year < start year: before)")

    if extra:  # columns the schema does not know are kept (validate warns about them)
        kept = pd.DataFrame({h: np.repeat(df[h].to_numpy(), 2) if wide else df[h].to_numpy() for h in extra})
        out = pd.concat([out.reset_index(drop=True), kept], axis=1)
    out = _dates_as_written(out, kind)
    out = normalise_values(out, kind)
    # the user's own header of each column, so that problems name what the user wrote
    out.attrs["headers_as_written"] = {c: h for h, c in ren.items()}
    return kind, out, rows, notes, factors, probs


_CN_DATE = r"^\s*(\d{4})\s*年\s*(?:(\d{1,2})\s*月\s*(?:(\d{1,2})\s*日)?)?\s*$"


def _dates_as_written(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Years, months and dates written in Chinese: ``2023年`` -> ``2023``; ``2021年3月`` ->
    ``2021-03``; ``2021年3月5日`` -> ``2021-03-05`` (text cells only; anything else, e.g.
    ``2021/3``, is left for :func:`impact.schemas.validate` to judge)."""
    out = {}
    for c in SPECS[kind].columns:
        if c.type not in ("year", "month", "period") or c.name not in df.columns:
            continue
        col = df[c.name]
        if not (isinstance(col.dtype, pd.StringDtype) or col.dtype == object):
            continue
        codes, uniq = pd.factorize(col, use_na_sentinel=True)
        vals, changed = [], False
        for u in uniq:
            m = re.match(_CN_DATE, u) if isinstance(u, str) else None
            if m is None:
                vals.append(u)
                continue
            y, mo, d = m.groups()
            v = y if c.type == "year" or mo is None else f"{y}-{int(mo):02d}" + (f"-{int(d):02d}" if d else "")
            if c.type == "month" and d:
                v = f"{y}-{int(mo):02d}"
            vals.append(v)
            changed = True
        if changed:
            arr = pd.array(vals, dtype="string" if all(isinstance(v, str) for v in vals) else object)
            out[c.name] = pd.Series(arr.take(codes, allow_fill=True), index=col.index)
    return df.assign(**out) if out else df
