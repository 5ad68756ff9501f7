"""A user's own tables: read them as county offices write them, check them, add them to ``data/raw/user/``.

:func:`read_user_table` turns a CSV/XLSX/Parquet file into a validated table of one
of :data:`impact.schemas.USER_KINDS`:

1. headers: a ``--map`` mapping first (:func:`read_mapping`), then each column's
   name, its 字段 name and the variants of :func:`impact.schemas.match_header`
   (units in brackets, full-width brackets, spaces);
2. the kind: ``kind=`` or, when only one kind's required columns are all present,
   that kind (:func:`detect_kind`);
3. shapes and derivations, each recorded as a note: plot trials in wide form
   (对照亩产 / 试验亩产 on one row) become two plots of one pair; per-capita income
   (人均收入) times household size becomes household income; patient records
   without an id get ``<file>-r<row>``, without a before/after period get it from
   the county's first health program (own programs, then the article's registry);
   county panels get names and prefectures from the county code;
4. values: 是/否, 有/无, 男/女, ... (:func:`impact.schemas.normalise_values`),
   county names resolved by :func:`impact.geo.resolve_county`, units in a header's
   brackets (万元, 斤/亩, 公顷) converted to the column's unit;
5. :func:`impact.schemas.validate`, with problems naming the spreadsheet rows of
   the file as written.

:func:`add` (``impact data add``) copies a valid file byte for byte into
``data/raw/user/`` with a sidecar ``<file>.impact.json`` (kind, sheet, mapping,
sha256) and records both in ``data/raw/MANIFEST.sha256``; ``impact data build``
then reads every user table (:func:`user_inputs`).
"""

from __future__ import annotations

import csv
import hashlib
import io as _io
import json
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from impact import config
from impact.errors import ImpactError, InputError, Problem
from impact.schemas import (
    SPECS,
    USER_KINDS,
    header_key,
    header_unit,
    match_header,
    normalise_values,
    validate,
)

__all__ = [
    "USER_DIR",
    "SIDECAR_SUFFIX",
    "UserTable",
    "UserFile",
    "read_mapping",
    "read_headers",
    "detect_kind",
    "prepare",
    "read_user_table",
    "suggest_mapping",
    "health_starts",
    "user_inputs",
    "add",
]

#: The user-data folder, relative to the raw folder.
USER_DIR = "user"
#: Sidecar written by :func:`add` next to each user file: ``<file>.impact.json``.
SIDECAR_SUFFIX = ".impact.json"
DATA_SUFFIXES = (".csv", ".xlsx", ".parquet")
#: Files of the user folder that are neither tables nor sidecars.
_USER_DOCS = ("README.md",)

#: Wide plot trials: yield of the check plot and of the treated plot on one row.
_WIDE_CHECK = ("对照亩产", "对照产量", "对照组亩产", "ck亩产", "对照单产", "check_yield", "yield_check")
_WIDE_TREATED = ("试验亩产", "处理亩产", "示范亩产", "试验组亩产", "试验产量", "处理单产", "treated_yield",
                 "yield_treated")
_WIDE_AREA_CHECK = ("对照面积", "对照地块面积", "check_area")
_WIDE_AREA_TREATED = ("试验面积", "处理面积", "示范面积", "treated_area")
#: Household income per person (times household size gives household income).
_PER_CAPITA_TOTAL = ("人均收入", "人均纯收入", "人均可支配收入", "家庭人均收入", "人均总收入", "人均年收入",
                     "income_per_capita")

_INCOME_COLUMNS = ("income_total", "income_farming", "income_wages", "income_ecommerce", "income_transfers",
                   "baseline_income")

#: Units a header may carry in brackets -> factor to the column's unit (by the unit of the column).
_UNIT_FACTORS: dict[str, dict[str, float]] = {
    "yuan": {"元": 1.0, "万元": 1e4, "千元": 1e3, "亿元": 1e8},
    "kg/mu": {"公斤/亩": 1.0, "kg/亩": 1.0, "千克/亩": 1.0, "斤/亩": 0.5, "kg/mu": 1.0},
    "mu": {"亩": 1.0, "公顷": 15.0, "ha": 15.0, "万亩": 1e4},
}


def _keys(names: Sequence[str]) -> set[str]:
    return {header_key(n) for n in names}


def _base_key(name: Any) -> str:
    return re.sub(r"\([^()]*\)$", "", header_key(name))


# --------------------------------------------------------------------------- mapping


def read_mapping(path: str | os.PathLike[str]) -> dict[str, str]:
    """A header mapping: YAML (``header as written: column``) or CSV (two columns, header
    row ``header,column``). Values must be column names of a user kind."""
    p = Path(path)
    text = p.read_text(encoding="utf-8-sig")
    out: dict[str, str] = {}
    if p.suffix.lower() in (".yaml", ".yml"):
        import yaml  # noqa: PLC0415

        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as err:
            raise InputError(Problem(p.name, None, None, str(err).splitlines()[0], "a YAML mapping")) from None
        if not isinstance(data, dict):
            raise InputError(Problem(p.name, None, None, type(data).__name__, "a YAML mapping header: column"))
        out = {str(k): str(v) for k, v in data.items() if v is not None}
    elif p.suffix.lower() == ".csv":
        rows = list(csv.reader(_io.StringIO(text)))
        for i, r in enumerate(rows[1:], start=2):
            if len(r) < 2 or not r[0].strip():
                if any(x.strip() for x in r):
                    raise InputError(Problem(p.name, i, None, ",".join(r), "two cells: header as written, column"))
                continue
            out[r[0].strip()] = r[1].strip()
    else:
        raise InputError(Problem(p.name, None, None, p.suffix, "a mapping file .yaml, .yml or .csv"))
    known = {c.name for k in USER_KINDS for c in SPECS[k].columns}
    bad = [Problem(p.name, None, k, v, "a column name of a user table kind (see data/README.md)")
           for k, v in out.items() if v not in known]
    if bad:
        raise InputError(bad, title=f"{p.name}: unknown column names in the mapping")
    return out


# --------------------------------------------------------------------------- headers and kind


def read_headers(path: str | os.PathLike[str], *, sheet: str | None = None) -> list[str]:
    """The header row of a table file, read without reading its rows (cheap on large files)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".csv":
        from impact.io import decode_csv_bytes  # noqa: PLC0415

        with open(p, "rb") as fh:
            head = fh.read(1 << 16)
        line = head.split(b"\n", 1)[0]
        text, _ = decode_csv_bytes(line.rstrip(b"\r"), file=p.name)
        return [h.strip().lstrip("\ufeff") for h in next(csv.reader([text]), [])]
    if suffix == ".xlsx":
        import openpyxl  # noqa: PLC0415

        try:
            wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
        except (OSError, ValueError, KeyError) as err:
            raise InputError(Problem(p.name, None, None, f"unreadable workbook ({err})", "an .xlsx workbook")) from None
        try:
            ws = wb[sheet] if sheet else wb.worksheets[0]
            row = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
        finally:
            wb.close()
        return [str(v).strip() for v in row if v is not None]
    if suffix == ".parquet":
        import pyarrow.parquet as pq  # noqa: PLC0415

        return list(pq.read_schema(p).names)
    raise InputError(Problem(p.name, None, None, suffix or "(none)", f"one of {', '.join(DATA_SUFFIXES)}"))


_YIELD_WORDS = ("亩产", "产量", "单产", "yield")


def _wide_role(header: str) -> str | None:
    """``check_yield``, ``treated_yield``, ``check_area`` or ``treated_area`` for the headers of
    plot trials in wide form (对照亩产, 试验组产量, 示范田亩产, 对照面积, ...), else None."""
    k = _base_key(header)
    if k in _keys(_WIDE_CHECK):
        return "check_yield"
    if k in _keys(_WIDE_TREATED):
        return "treated_yield"
    if k in _keys(_WIDE_AREA_CHECK):
        return "check_area"
    if k in _keys(_WIDE_AREA_TREATED):
        return "treated_area"
    arm = "check" if ("对照" in k or k.startswith("ck")) else \
        "treated" if any(w in k for w in ("试验", "处理", "示范")) else None
    if arm is None:
        return None
    if any(w in k for w in _YIELD_WORDS):
        return f"{arm}_yield"
    if "面积" in k:
        return f"{arm}_area"
    return None


def _is_wide_trials(headers: Sequence[str]) -> bool:
    roles = {_wide_role(h) for h in headers}
    return {"check_yield", "treated_yield"} <= roles


def _derivable(kind: str, headers: Sequence[str]) -> set[str]:
    """Required columns of ``kind`` that :func:`prepare` can derive from these headers."""
    keys = {_base_key(h) for h in headers}
    if kind == "plot_trials" and _is_wide_trials(headers):
        both_areas = {"check_area", "treated_area"} <= {_wide_role(h) for h in headers}
        return {"plot_id", "pair_id", "arm", "trial_id", "yield_kg_per_mu"} | ({"area_mu"} if both_areas else set())
    if kind == "patient_records":
        return {"patient_id", "period"}
    if kind == "county_panel":
        return {"county_name", "prefecture_code", "prefecture", "county_code"}
    if kind == "household_survey":
        return {"wave"} | ({"income_total"} if keys & _keys(_PER_CAPITA_TOTAL) else set())
    return set()


def _rename(headers: Sequence[str], kind: str, mapping: Mapping[str, str] | None) -> dict[str, str]:
    """Header as written -> column of ``kind`` (mapping first, then names and variants)."""
    names = set(SPECS[kind].names)
    out: dict[str, str] = {}
    if mapping:
        mk = {header_key(k): v for k, v in mapping.items()}
        for h in headers:
            v = mapping.get(h) or mk.get(header_key(h))
            if v in names:
                out[h] = v
    for h in headers:
        if h not in out:
            c = match_header(h, kind)
            if c is not None and c not in out.values():
                out[h] = c
    return out


def _missing_required(kind: str, headers: Sequence[str], mapping: Mapping[str, str] | None) -> list[str]:
    got = set(_rename(headers, kind, mapping).values())
    if kind == "county_panel" and "county_code" not in got and "county_name" not in got:
        return ["county_code"]
    need = [c.name for c in SPECS[kind].columns if c.required and c.name not in got]
    return [c for c in need if c not in _derivable(kind, headers)]


def detect_kind(headers: Sequence[str], *, file: str = "<table>", mapping: Mapping[str, str] | None = None) -> str:
    """The one user kind whose required columns the headers hold (after derivations).

    Raises :class:`InputError` naming the file when no kind or several kinds fit, with the
    columns each near candidate lacks; ``--kind`` settles it."""
    fits = [k for k in USER_KINDS if not _missing_required(k, headers, mapping)]
    if len(fits) == 1:
        return fits[0]
    if len(fits) > 1:
        raise InputError(Problem(file, 1, None, ", ".join(headers[:12]),
                                 f"headers of one table kind; they fit {', '.join(fits)}: give --kind "
                                 f"/ 表头可对应多种表，请用 --kind 指定"), title=f"{file}: table kind is ambiguous")
    near = sorted(USER_KINDS, key=lambda k: len(_missing_required(k, headers, mapping)))[:3]
    lacks = "; ".join(f"{k} lacks {', '.join(_missing_required(k, headers, mapping))}" for k in near)
    raise InputError(Problem(file, 1, None, ", ".join(headers[:12]),
                             f"the required columns of a table kind ({lacks}); rename the headers, give --map, "
                             f"or --kind / 无法识别表类型，请修改表头、用 --map 或 --kind"),
                     title=f"{file}: table kind not recognised")


# --------------------------------------------------------------------------- prepare


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
) -> tuple[str, pd.DataFrame, np.ndarray, list[str], dict[str, float], list[Problem]]:
    """Headers, shape, derivations and value conventions of a user table (no validation).

    Returns ``(kind, frame, rows, notes, factors, problems)``: ``rows[i]`` is the spreadsheet
    row of the frame's row ``i``; ``factors`` maps a column to the factor converting the unit
    in its header's brackets to the column's unit (applied after validation); ``problems``
    are the values that could not be translated (unknown counties, missing health start).
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


_PLAIN_NUMBER = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"


def _read_csv_fast(path: Path, file: str, encoding: str | None = None) -> pd.DataFrame | None:
    """A CSV read as text by pyarrow (multi-threaded; every cell a string, empty cells
    missing), after :func:`impact.io.decode_csv_bytes` decoded it strictly. None when the
    file has blank lines or ragged rows: :func:`impact.io.read_table` then reads it and
    reports them as it does."""
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.csv as pcsv  # noqa: PLC0415

    from impact.io import decode_csv_bytes  # noqa: PLC0415

    data = path.read_bytes()
    text, enc = decode_csv_bytes(data, file=file, encoding=encoding)
    del data
    body = text.lstrip("\ufeff").encode("utf-8")
    del text
    if not body[:4096].strip() or b"\n\n" in body or b"\n\r\n" in body:
        return None
    try:
        end = body.find(b"\n")
        first = body[: end if end >= 0 else len(body)].decode("utf-8").rstrip("\r")
        names = next(csv.reader([first]))
        types = {n: pa.string() for n in names}
        table = pcsv.read_csv(
            _io.BytesIO(body),
            read_options=pcsv.ReadOptions(block_size=1 << 24),
            parse_options=pcsv.ParseOptions(newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(column_types=types, strings_can_be_null=True,
                                                null_values=[""], quoted_strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError, StopIteration):
        return None
    if len(set(names)) != len(names):
        return None  # a duplicated header: the regular reader reports it
    df = table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
    del table
    n = len(df)
    if n:
        empty = df.isna().all(axis=1).to_numpy()
        while n and empty[n - 1]:
            n -= 1
    return df.iloc[:n]


def _typed_numbers(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Number columns whose every non-empty cell is a plain finite decimal (``-12``, ``3.5``,
    ``1e3``) converted to floats in one vectorised pass; other columns are left as text for
    :func:`impact.schemas.validate`, which parses and reports them cell by cell."""
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.compute as pc  # noqa: PLC0415

    out = {}
    for c in SPECS[kind].columns:
        if c.type not in ("integer", "flag", "year", "number") or c.name not in df.columns:
            continue
        col = df[c.name]
        if not isinstance(col.dtype, pd.ArrowDtype) and not isinstance(col.dtype, pd.StringDtype) \
                and not (col.dtype == object and pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty")):
            continue
        arr = pa.array(col, type=pa.string(), from_pandas=True)
        try:
            num = pc.cast(arr, pa.float64())  # strict: any cell that is not a plain number fails
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        if not pc.all(pc.or_kleene(pc.is_finite(num), pc.is_null(num))).as_py():
            continue
        num = pa.chunked_array([num]) if isinstance(num, pa.Array) else num
        values = pc.fill_null(num, 0.0).to_numpy()
        mask = pc.is_null(num).to_numpy()
        out[c.name] = pd.Series(pd.arrays.FloatingArray(values, mask), index=df.index)
    return df.assign(**out) if out else df


def _remap(err: InputError, rows: np.ndarray) -> InputError:
    fixed = []
    for p in err.problems:
        r = p.row
        if isinstance(r, int) and 2 <= r < len(rows) + 2:
            r = int(rows[r - 2])
        fixed.append(Problem(p.file, r, p.column, p.value, p.expected))
    return InputError(fixed, title=err.title)


def read_user_table(
    path: str | os.PathLike[str],
    *,
    kind: str | None = None,
    mapping: Mapping[str, str] | str | os.PathLike[str] | None = None,
    sheet: str | None = None,
    health: Mapping[str, int] | None = None,
    file: str | None = None,
    max_problems: int | None = 1000,
    encoding: str | None = None,
) -> UserTable:
    """Read, translate (see the module notes) and validate one user file.

    Raises :class:`InputError` with every problem (up to ``max_problems``, then the count
    of the rest), rows numbered as in the file (header = row 1). ``encoding`` overrides the
    detection of a CSV file's encoding (:func:`impact.io.decode_csv_bytes`)."""
    from impact.io import read_table  # noqa: PLC0415

    p = Path(path)
    name = file or p.name
    if mapping is not None and not isinstance(mapping, Mapping):
        mapping = read_mapping(mapping)
    df = _read_csv_fast(p, name, encoding) if p.suffix.lower() == ".csv" and p.is_file() else None
    if df is None:
        df = read_table(p, sheet=sheet, dtype=str if p.suffix.lower() == ".csv" else None, encoding=encoding)
    kind, out, rows, notes, factors, probs = prepare(df, kind, file=name, mapping=mapping, health=health)
    out = _typed_numbers(out, kind)
    from impact.schemas import _default_county_codes  # noqa: PLC0415

    # an unknown county is reported once, by name (in ``probs``), not again as a bad code
    counties = _default_county_codes()
    if counties is not None:
        counties = counties | {str(p.value) for p in probs}
    try:
        valid = validate(out, kind, file=name, max_problems=max_problems, counties=counties)
    except InputError as err:
        err = _remap(err, rows)
        if probs:
            err = InputError(probs + list(err.problems), title=err.title)
        raise err from None
    if probs:
        raise InputError(probs, title=f"{name}: not a valid {kind} table")
    for c, f in factors.items():
        valid[c] = valid[c] * f
    for c in valid.columns[len(SPECS[kind].names):]:  # undocumented columns, kept as text (one type per column)
        if valid[c].dtype == object:
            valid[c] = valid[c].map(lambda v: None if v is None or (isinstance(v, float) and v != v) else str(v)) \
                .astype("string")
    return UserTable(kind, valid, name, notes)


# --------------------------------------------------------------------------- suggest


def suggest_mapping(path: str | os.PathLike[str], *, sheet: str | None = None, kind: str | None = None) -> str:
    """A YAML mapping draft for ``--map``: every header of the file with the column it is
    taken as (or an empty value and the candidate columns as a comment)."""
    headers = read_headers(path, sheet=sheet)
    if kind is None:
        try:
            kind = detect_kind(headers, file=Path(path).name)
        except InputError:
            kind = min(USER_KINDS, key=lambda k: len(_missing_required(k, headers, None)))
    ren = _rename(headers, kind, None)
    lines = [f"# mapping draft for {Path(path).name} (kind {kind}); header as written: column",
             f"# 表头映射草稿（表类型 {kind}）：原表头: 字段列名；留空的行请填写或删除",
             "# impact data add FILE --map this.yaml"]
    for h in headers:
        q = json.dumps(h, ensure_ascii=False)
        if h in ren:
            lines.append(f"{q}: {ren[h]}")
        else:
            lines.append(f"{q}:   # one of: {', '.join(c for c in SPECS[kind].names if c not in ren.values())}")
    missing = _missing_required(kind, headers, None)
    if missing:
        lines.append(f"# required columns not found: {', '.join(missing)} / 缺少必填字段")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- the user folder


@dataclass(frozen=True)
class UserFile:
    """One table of ``data/raw/user/``: its path, ``rel`` (relative to the raw folder), kind,
    sheet and mapping (from its sidecar, or detected from its headers)."""

    path: Path
    rel: str
    kind: str
    sheet: str | None = None
    mapping: Mapping[str, str] | None = None


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def user_inputs(raw: str | os.PathLike[str]) -> tuple[list[UserFile], list[Problem]]:
    """The user tables under ``raw/user/`` (own programs first) and the problems of the folder:
    files that are not tables, sidecars without their table, tables whose kind cannot be told.
    Nothing there is ever skipped without a problem naming it."""
    folder = Path(raw) / USER_DIR
    found: list[UserFile] = []
    probs: list[Problem] = []
    if not folder.is_dir():
        return found, probs
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(raw).as_posix()
        if p.is_dir() or p.name.startswith(".") or p.suffix == ".tmp":
            continue
        if p.parent != folder:
            probs.append(Problem(rel, None, None, rel, "a file directly in data/raw/user/ (no sub-folders)"))
            continue
        if p.name.endswith(SIDECAR_SUFFIX):
            if not p.with_name(p.name[: -len(SIDECAR_SUFFIX)]).is_file():
                probs.append(Problem(rel, None, None, "a sidecar without its table",
                                     f"the table {p.name[: -len(SIDECAR_SUFFIX)]} next to it (or delete the sidecar)"))
            continue
        if p.name in _USER_DOCS:
            continue
        if p.suffix.lower() not in DATA_SUFFIXES:
            probs.append(Problem(rel, None, None, p.name, f"a table file ({', '.join(DATA_SUFFIXES)}); "
                                 "move other files out of data/raw/user/"))
            continue
        meta: dict[str, Any] = {}
        side = _sidecar(p)
        if side.is_file():
            try:
                meta = json.loads(side.read_text(encoding="utf-8"))
            except ValueError as err:
                probs.append(Problem(side.relative_to(raw).as_posix(), None, None, str(err), "JSON written by impact data add"))
                continue
        kind = meta.get("kind")
        try:
            if kind is None:
                kind = detect_kind(read_headers(p, sheet=meta.get("sheet")), file=rel, mapping=meta.get("map"))
        except InputError as err:
            probs.extend(err.problems)
            continue
        found.append(UserFile(p, rel, kind, meta.get("sheet"), meta.get("map")))
    found.sort(key=lambda u: (u.kind != "own_programs", u.rel))
    return found, probs


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _registry_frames(raw: Path) -> dict[str, pd.DataFrame]:
    from impact.io import read_table  # noqa: PLC0415

    out = {}
    for name in ("programs", "program_sites"):
        p = raw / "registry" / f"{name}.csv"
        if p.is_file():
            out[name] = read_table(p, dtype=str)
    return out


def _overlap(a: UserTable, b: pd.DataFrame, b_file: str) -> Problem | None:
    key = list(SPECS[a.kind].key)
    both = a.frame[key].merge(b[key].drop_duplicates(), on=key, how="inner")
    if both.empty:
        return None
    first = tuple(v.item() if isinstance(v, np.generic) else v for v in both.iloc[0].tolist())
    return Problem(a.file, None, ", ".join(key), first if len(first) > 1 else first[0],
                   f"rows not already given by {b_file} ({len(both)} {' + '.join(key)} in both files): "
                   f"two files may not hold the same rows / 两个文件不能包含相同的记录")


def add(
    files: Sequence[str | os.PathLike[str]],
    *,
    raw: str | os.PathLike[str] = config.DATA_RAW,
    kind: str | None = None,
    mapping: str | os.PathLike[str] | Mapping[str, str] | None = None,
    sheet: str | None = None,
) -> list[UserTable]:
    """Validate ``files`` and copy them into ``raw/user/`` (``impact data add``).

    Each file is read as :func:`read_user_table` reads it; all must be valid before any is
    copied. A file is copied byte for byte with a sidecar ``<name>.impact.json`` (kind,
    sheet, mapping, sha256), and both are added to ``raw/MANIFEST.sha256``. Adding the same
    bytes again changes nothing; a different file with the name of an added one, or a file
    holding rows (same key) that another user file of the kind already holds, is an error
    naming both files. Returns the validated tables.
    """
    from impact.io import atomic_path, write_text  # noqa: PLC0415

    raw = Path(raw)
    dest = raw / USER_DIR
    if mapping is not None and not isinstance(mapping, Mapping):
        mapping = read_mapping(mapping)
    paths = [Path(f) for f in files]
    existing, probs = user_inputs(raw)
    if probs:
        raise InputError(probs, title=f"{dest}: the user folder has files the build cannot read")
    reg = _registry_frames(raw)
    tables: list[UserTable] = []
    problems: list[Problem] = []
    # own programs first: they date the health programs that patient records may need
    order = sorted(paths, key=lambda p: (kind or detect_kind(read_headers(p, sheet=sheet), file=p.name,
                                                               mapping=mapping)) != "own_programs")
    own = [read_user_table(u.path, kind=u.kind, sheet=u.sheet, mapping=u.mapping, file=u.rel).frame
           for u in existing if u.kind == "own_programs"]
    for p in order:
        if p.resolve().parent == dest.resolve():
            problems.append(Problem(str(p), None, None, "a file already in data/raw/user/",
                                    "a file outside the raw folder to add"))
            continue
        health = health_starts(pd.concat(own, ignore_index=True) if own else None, reg)
        try:
            t = read_user_table(p, kind=kind, mapping=mapping, sheet=sheet, health=health)
        except InputError as err:
            problems.extend(err.problems)
            continue
        tables.append(t)
        if t.kind == "own_programs":
            own.append(t.frame)
    if problems:
        raise InputError(problems, title="nothing added: invalid file(s) / 未添加：文件有误")
    # same name, other bytes; same rows as another user file
    for p, t in zip(order, tables):
        target = dest / p.name
        if target.is_file() and _sha256(target) != _sha256(p):
            problems.append(Problem(p.name, None, None, f"a different data/raw/user/{p.name} exists",
                                    "a new file name (or delete the old file first) / 文件名已存在"))
    for i, t in enumerate(tables):
        for u in existing:
            if u.kind == t.kind and u.path.name != Path(order[i]).name:
                frame = read_user_table(u.path, kind=u.kind, sheet=u.sheet, mapping=u.mapping, file=u.rel,
                                        health=health_starts(pd.concat(own, ignore_index=True) if own else None,
                                                             reg)).frame
                pr = _overlap(t, frame, u.rel)
                if pr:
                    problems.append(pr)
        for j in range(i):
            if tables[j].kind == t.kind:
                pr = _overlap(t, tables[j].frame, tables[j].file)
                if pr:
                    problems.append(pr)
    if problems:
        raise InputError(problems, title="nothing added: files clash / 未添加：文件冲突")
    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for p, t in zip(order, tables):
        target = dest / p.name
        if target.is_file():
            t.notes.insert(0, "already in data/raw/user/ with the same content: unchanged / 已存在且内容相同，未改动")
        with atomic_path(target, allow_raw=True) as tmp:
            shutil.copyfile(p, tmp)
        meta = {"kind": t.kind, "sheet": sheet, "map": dict(mapping) if mapping else None,
                "original_name": p.name, "sha256": _sha256(target), "notes": t.notes}
        side = write_text(json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n", _sidecar(target),
                          allow_raw=True)
        written += [target, side]
    _update_manifest(raw, written)
    return tables


def _update_manifest(raw: Path, paths: Sequence[Path]) -> None:
    """Add or replace the lines of ``paths`` in ``raw/MANIFEST.sha256`` (other lines untouched)."""
    from impact.io import write_text  # noqa: PLC0415

    manifest = raw / config.RAW_MANIFEST.name
    lines: dict[str, str] = {}
    if manifest.is_file():
        for line in manifest.read_text(encoding="utf-8").splitlines():
            digest, _, rel = line.partition("  ")
            if rel.strip():
                lines[rel.strip()] = digest.strip()
    for p in paths:
        lines[p.relative_to(raw).as_posix()] = _sha256(p)
    write_text("".join(f"{h}  {rel}\n" for rel, h in sorted(lines.items())), manifest, allow_raw=True)
