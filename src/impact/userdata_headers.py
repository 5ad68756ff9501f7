"""A user's table before it is read: its headers (``read_headers``), a header mapping file
(``read_mapping``), and the table kind its headers fit (``detect_kind``), including the wide
treated/check yield layout of field trials.
"""

from __future__ import annotations

import csv
import io as _io
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from impact.errors import InputError, Problem
from impact.schemas import (
    SPECS,
    USER_KINDS,
    header_key,
    match_header,
)

DATA_SUFFIXES = (".csv", ".xlsx", ".parquet")


#: Wide plot trials: yield of the check plot and of the treated plot on one row.
_WIDE_CHECK = ("对照亩产", "对照产量", "对照组亩产", "ck亩产", "对照单产", "check_yield", "yield_check")


_WIDE_TREATED = ("试验亩产", "处理亩产", "示范亩产", "试验组亩产", "试验产量", "处理单产", "treated_yield",
                 "yield_treated")


_WIDE_AREA_CHECK = ("对照面积", "对照地块面积", "check_area")


_WIDE_AREA_TREATED = ("试验面积", "处理面积", "示范面积", "treated_area")


#: Household income per person (times household size gives household income).
_PER_CAPITA_TOTAL = ("人均收入", "人均纯收入", "人均可支配收入", "家庭人均收入", "人均总收入", "人均年收入",
                     "income_per_capita")


def _keys(names: Sequence[str]) -> set[str]:
    return {header_key(n) for n in names}


def _base_key(name: Any) -> str:
    return re.sub(r"\([^()]*\)$", "", header_key(name))


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


#: Outcome columns of a county panel: a table holds a panel only with at least one of them.
PANEL_OUTCOMES = ("income_per_capita", "grain_yield", "vegetable_output", "tourist_visits", "referral_out_share",
                  "children_reached")


def _derivable(kind: str, headers: Sequence[str]) -> set[str]:
    """Required columns of ``kind`` that :func:`prepare` can derive from these headers."""
    keys = {_base_key(h) for h in headers}
    if kind == "plot_trials" and _is_wide_trials(headers):
        both_areas = {"check_area", "treated_area"} <= {_wide_role(h) for h in headers}
        return {"plot_id", "pair_id", "arm", "trial_id", "yield_kg_per_mu"} | ({"area_mu"} if both_areas else set())
    if kind == "patient_records":
        return {"patient_id", "period"}
    if kind == "county_panel":
        return {"county_name", "prefecture_code", "prefecture", "county_code", "treated", "cohort",
                "cohort_agriculture", "cohort_health", "cohort_child_protection"}
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
    if kind == "county_panel" and not got & set(PANEL_OUTCOMES):
        need.append(" or ".join(PANEL_OUTCOMES))  # a panel is its outcomes; everything else can be derived
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
