"""A report's tables as an Excel workbook a county office can use.

Notebooks register tables with :func:`impact.report.collect.table`; the engine
writes them with :func:`write_workbook` (xlsxwriter: about 2.5 times faster than
openpyxl for a report's workbook; openpyxl reads them in the tests) beside the HTML
report. The workbook:

* starts with a ``说明`` / ``About`` sheet naming the report, its language, its
  parameters (no local paths: a path inside the project is shown relative to it,
  any other path by its file name) and the sheets;
* names sheets and headers in the report's language (:data:`SHEETS`,
  :func:`impact.i18n.column_name`, :data:`HEADERS`), falling back to the
  table's own name, and writes codes of known columns as words (``health`` →
  医疗卫生, ``trade_association`` → 行业协会, ``yuan/patient`` → 元/人);
* writes numbers as numbers with a format (``#,##0`` for whole numbers and for
  amounts of 1,000 or more, so no fen; ``#,##0.00`` for smaller fractions;
  ``0.000`` for p-values; ``0`` for years), text as text, missing values as
  empty cells;
* freezes the header row, turns on the filter and sizes columns to their content
  (CJK characters count double, capped at :data:`MAX_WIDTH`);
* neutralises spreadsheet formula injection (OWASP "CSV injection"): text that
  starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is stored as a
  string cell with Excel's quote prefix (the leading apostrophe), so no cell is
  ever a formula (control characters are stored with OOXML's ``_xHHHH_`` escape,
  as Excel stores them). :func:`neutralise_text` gives the same protection for text
  exported to CSV (a leading ``'``). ``impact.io`` has no shared neutraliser yet,
  so it lives here.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any, Mapping

from impact.io import neutralise_cell

__all__ = [
    "HEADERS",
    "MAX_WIDTH",
    "SHEETS",
    "about_rows",
    "display_width",
    "is_dangerous_text",
    "neutralise_text",
    "number_format",
    "sheet_names",
    "write_workbook",
]

_BAD = re.compile(r"[\[\]:*?/\\]")
MAX_WIDTH = 60

#: Sheet names of the tables reports register: name -> {lang: sheet name}.
SHEETS: dict[str, dict[str, str]] = {
    "about": {"zh": "说明", "en": "About"},
    "orgs": {"zh": "结对组织", "en": "Organizations"},
    "programs": {"zh": "帮扶项目", "en": "Programs"},
    "facts": {"zh": "原文事实", "en": "Article facts"},
    "indicators": {"zh": "成效指标", "en": "Indicators"},
    "synth": {"zh": "合成控制", "en": "Synthetic control"},
    "gaps": {"zh": "合成控制差距", "en": "Synthetic-control gaps"},
    "event_study": {"zh": "事件研究", "en": "Event study"},
    "staggered": {"zh": "分批结对估计", "en": "Staggered adoption"},
    "heterogeneity": {"zh": "异质性", "en": "Heterogeneity"},
    "funds_by_county": {"zh": "各县资金", "en": "Funds by county"},
    "league": {"zh": "成本效益排行", "en": "Cost-effectiveness"},
    "reconcile": {"zh": "与原文核对", "en": "Reconciliation"},
    "households": {"zh": "农户", "en": "Households"},
    "exposure": {"zh": "帮扶覆盖", "en": "Exposure"},
    "balance": {"zh": "协变量平衡", "en": "Balance"},
}

#: Headers of columns :data:`impact.i18n.COLUMNS` does not name.
HEADERS: dict[str, dict[str, str]] = {
    "fact_id": {"zh": "事实编号", "en": "Fact ID"},
    "base_unit": {"zh": "基本单位", "en": "Base unit"},
    "value_as_written": {"zh": "原文数值", "en": "Value as written"},
    "unit_as_written": {"zh": "原文单位", "en": "Unit as written"},
    "qualifier": {"zh": "限定词", "en": "Qualifier"},
    "scope": {"zh": "范围", "en": "Scope"},
    "place": {"zh": "地点", "en": "Place"},
    "period_start": {"zh": "开始日期", "en": "Start"},
    "period_end": {"zh": "结束日期", "en": "End"},
    "name": {"zh": "名称", "en": "Name"},
    "based_in": {"zh": "所在地", "en": "Based in"},
    "cohort": {"zh": "结对年份", "en": "Pairing year"},
    "statistic": {"zh": "统计量", "en": "Statistic"},
    "event_time": {"zh": "距结对年份", "en": "Years since pairing"},
    "gap": {"zh": "差距", "en": "Gap"},
    "treated": {"zh": "是否结对", "en": "Paired"},
    "outcome": {"zh": "结果变量", "en": "Outcome"},
    "coverage": {"zh": "覆盖范围", "en": "Coverage"},
    "n_counties": {"zh": "涉及县数", "en": "Counties covered"},
    "item": {"zh": "项目", "en": "Item"},
    "towns": {"zh": "乡镇", "en": "Towns"},
    "note": {"zh": "备注", "en": "Note"},
    "fact_county_code": {"zh": "事实所属县代码", "en": "County code of the fact"},
    "pre_rmspe": {"zh": "结对前拟合误差（RMSPE）", "en": "Pre-pairing RMSPE"},
    "outcome_sd": {"zh": "结果变量标准差", "en": "Outcome standard deviation"},
    "n_donors": {"zh": "对照县数", "en": "Donor counties"},
    "n_pre": {"zh": "结对前年数", "en": "Pre-pairing years"},
    "n_post": {"zh": "结对后年数", "en": "Post-pairing years"},
    "coverage_zh": {"zh": "覆盖范围", "en": "Coverage (Chinese)"},
    "coverage_en": {"zh": "覆盖范围（英文）", "en": "Coverage"},
}

_SCOPES = {"province": {"zh": "全省", "en": "Province"}, "prefecture": {"zh": "州（市）", "en": "Prefecture"},
           "county": {"zh": "县", "en": "County"}, "program": {"zh": "项目", "en": "Program"}}


def _value_labels() -> dict[str, Any]:
    """Column -> function(value, lang) giving the display word of a code (``health`` → 医疗卫生)."""
    from impact import i18n

    def message(prefix: str) -> Any:
        def label(v: Any, lang: str) -> Any:
            key = f"{prefix}{v}"
            return i18n.MESSAGES[key][lang] if key in i18n.MESSAGES else v
        return label

    def table(t: Mapping[str, Mapping[str, str]]) -> Any:
        return lambda v, lang: t[v][lang] if v in t else v

    return {
        "level": table(i18n.LEVELS), "kind": table(i18n.KINDS), "sector": table(i18n.SECTORS),
        "qualifier": lambda v, lang: (i18n.QUALIFIERS[v][lang] or ("准确" if lang == "zh" else "exact"))
        if v in i18n.QUALIFIERS else v,
        "unit": table({k: v for k, v in i18n.UNITS.items() if v["zh"]}),
        "scope": table(_SCOPES), "term": message("ind."), "indicator": message("ind."),
    }

_ABOUT = {
    "zh": {"item": "项目", "value": "内容", "report": "报告", "lang": "语言", "lang_value": "中文",
           "parameter": "参数", "sheets": "工作表", "tool": "生成工具",
           "note": "说明", "note_value": "金额以元为单位；数字为数值格式，可直接计算。"},
    "en": {"item": "Item", "value": "Value", "report": "Report", "lang": "Language", "lang_value": "English",
           "parameter": "Parameter", "sheets": "Sheets", "tool": "Made with",
           "note": "Note", "note_value": "Money is in yuan; numbers are stored as numbers and can be computed with."},
}  # fmt: skip


def sheet_names(names: list[str], *, lang: str | None = None) -> list[str]:
    """Excel-valid, unique sheet names (at most 31 characters, no ``[]:*?/\\``).

    With ``lang``, a known table name becomes its :data:`SHEETS` name in that language.
    The about sheet's name is reserved.
    """
    reserved = {"about", SHEETS["about"]["zh"].lower(), SHEETS["about"]["en"].lower()}
    out: list[str] = []
    for name in names:
        shown = SHEETS.get(name, {}).get(lang, name) if lang else name
        base = _BAD.sub("_", shown).strip("'") or "table"
        cand, i = base[:31], 2
        while cand.lower() in {o.lower() for o in out} or cand.lower() in reserved:
            suffix = f"_{i}"
            cand, i = base[: 31 - len(suffix)] + suffix, i + 1
        out.append(cand)
    return out


def is_dangerous_text(value: object) -> bool:
    """True for text a spreadsheet could read as a formula (the rule of :func:`impact.io.neutralise_cell`:
    a first non-blank character among = + - @ tab CR LF and their full-width forms)."""
    return isinstance(value, str) and neutralise_cell(value) != value


def neutralise_text(value: object) -> object:
    """For CSV export: :func:`impact.io.neutralise_cell` (a leading ``'`` before formula-like text).

    Numbers stay numbers (``-3`` is a number, not text, and is not touched).
    """
    return neutralise_cell(value)


def display_width(value: object) -> int:
    """Width of a value's text in Excel character units (CJK and full-width characters count 2)."""
    text = "" if value is None else str(value)
    if text.isascii():
        return len(text)
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def _header(col: str, lang: str) -> str:
    from impact.i18n import COLUMNS

    for table in (COLUMNS, HEADERS):
        if col in table:
            return table[col][lang]
    return col


def _missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        import pandas as pd

        return bool(pd.isna(v)) if not isinstance(v, (list, tuple, dict)) else False
    except (TypeError, ValueError):
        return False


def number_format(column: str, values: list[Any]) -> str | None:
    """Excel number format of a numeric column; None for text columns.

    ``p_value`` → ``0.000``; ``year``/``cohort``/``period`` → ``0``; all whole numbers
    or largest magnitude at least 1,000 → ``#,##0`` (money to the yuan, no fen);
    otherwise ``#,##0.00``.
    """
    nums = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool) and not _missing(v)]
    if not nums or len(nums) != len([v for v in values if not _missing(v)]):
        return None
    if column == "p_value" or column.endswith("_p_value"):
        return "0.000"
    if column in ("year", "cohort", "event_time") or column.endswith("_year"):
        return "0"
    finite = [float(v) for v in nums if math.isfinite(float(v))]
    if all(float(v).is_integer() for v in finite) or max((abs(v) for v in finite), default=0.0) >= 1000:
        return "#,##0"
    return "#,##0.00"


def _safe_path(value: str) -> str:
    """A path shown without the local machine's folders."""
    from impact import config

    p = Path(value)
    try:
        return p.resolve().relative_to(config.ROOT.resolve()).as_posix()
    except (ValueError, OSError):
        return p.name


_PATHLIKE = re.compile(r"^(?:/|~|[A-Za-z]:[\\/]|\\\\)")


def _scrub(value: Any) -> str:
    """Parameter value as text, with local paths replaced (:func:`_safe_path`)."""
    from impact import config

    if isinstance(value, os.PathLike):
        return _safe_path(os.fspath(value))
    text = str(value)
    if _PATHLIKE.match(text):
        return _safe_path(text)
    for root in {str(config.ROOT), str(config.ROOT.resolve()), os.path.expanduser("~")}:
        if root and root != "/":
            text = text.replace(root + os.sep, "").replace(root, ".")
    return text


def about_rows(*, title: str, lang: str, parameters: Mapping[str, Any] | None,
               sheets: list[str]) -> list[tuple[str, str]]:
    """Rows of the about sheet: report, language, each parameter (local paths removed), sheets."""
    a = _ABOUT[lang]
    rows = [(a["report"], title), (a["lang"], a["lang_value"])]
    rows += [(f"{a['parameter']}: {k}", _scrub(v)) for k, v in (parameters or {}).items()]
    rows += [(a["sheets"], "、".join(sheets) if lang == "zh" else ", ".join(sheets)),
             (a["note"], a["note_value"]), (a["tool"], "impact")]
    return rows


def _plain(v: Any) -> Any:
    """A cell value written faithfully: Python scalars, naive datetimes, text; ``None`` for missing."""
    import datetime as dt

    import numpy as np
    import pandas as pd

    kind = type(v)
    if kind is str:  # the common cases first, without pandas
        return v
    if kind is float:
        return v if math.isfinite(v) else (None if v != v else str(v))  # Excel has no inf: write it as text
    if kind is int:
        return v
    if v is None or _missing(v):
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return f if math.isfinite(f) else str(f)
    if isinstance(v, int):
        return v
    if isinstance(v, pd.Timestamp):
        return v.tz_localize(None).to_pydatetime() if v.tzinfo else v.to_pydatetime()
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None)
    if isinstance(v, (dt.date, str)):
        return v
    if hasattr(v, "wkt"):  # shapely geometry
        return v.wkt
    return str(v)


def _write_sheet(fmt: Mapping[str, Any], ws: Any, header: list[str], rows: list[list[Any]], columns: list[str]) -> None:
    """One sheet with xlsxwriter: bold wrapped header, typed cells, number formats, widths, frozen
    header, filter. Text is written as a string cell (never a formula), formula-like text with the
    quote prefix; ``fmt`` holds the workbook's formats by name (:func:`_formats`)."""
    for j, h in enumerate(header):
        ws.write_string(0, j, h, fmt["header_quoted" if is_dangerous_text(h) else "header"])
    formats = [number_format(col, [r[j] for r in rows]) for j, col in enumerate(columns)]
    for i, r in enumerate(rows, start=1):
        for j, v in enumerate(r):
            if v is None or v == "":  # missing and empty text: no cell
                continue
            if isinstance(v, str):
                if is_dangerous_text(v):
                    ws.write_string(i, j, v, fmt["quoted"])
                else:
                    ws.write_string(i, j, v)
            elif isinstance(v, bool):
                ws.write_boolean(i, j, v)
            elif isinstance(v, (int, float)):
                ws.write_number(i, j, v, fmt[formats[j]] if formats[j] is not None else None)
            elif hasattr(v, "year"):
                ws.write_datetime(i, j, v, fmt["yyyy-mm-dd"])
            else:
                ws.write_string(i, j, str(v))
    for j, h in enumerate(header):
        shown = [display_width(h)]
        for r in rows[:1000]:
            v = r[j]
            shown.append(display_width(f"{v:,.2f}" if isinstance(v, float) else v))
        # width in characters as stored by Excel: whole characters of 7 pixels (Calibri 11)
        ws.set_column_pixels(j, j, 7 * min(MAX_WIDTH, max(8, max(shown) + 2)))
    ws.freeze_panes(1, 0)
    if rows and header:
        ws.autofilter(0, 0, len(rows), len(header) - 1)


def _frame(df: Any, lang: str | None = None) -> tuple[list[str], list[list[Any]]]:
    """Columns and rows of ``df`` as cell values; with ``lang``, codes in known columns
    (level, kind, sector, qualifier, unit, scope, term) become their display words."""
    import pandas as pd

    df = pd.DataFrame(df)
    columns = [str(c) for c in df.columns]
    rows = [[_plain(v) for v in rec] for rec in df.to_numpy(dtype=object).tolist()]
    labels = _value_labels()
    for j, col in enumerate(columns):
        if col in labels and lang is not None:
            for r in rows:
                if isinstance(r[j], str):
                    r[j] = labels[col](r[j], lang)
    return columns, rows


def _formats(wb: Any) -> dict[str, Any]:
    """The cell formats of a workbook: header (bold, wrapped, top), quote prefix, number formats."""
    header = {"bold": True, "text_wrap": True, "valign": "top"}
    return {"header": wb.add_format(header), "header_quoted": wb.add_format({**header, "quote_prefix": True}),
            "quoted": wb.add_format({"quote_prefix": True}),
            **{f: wb.add_format({"num_format": f}) for f in ("0.000", "0", "#,##0", "#,##0.00", "yyyy-mm-dd")}}


def write_workbook(tables: Mapping[str, Any], path: str | os.PathLike[str], *, title: str = "",
                   parameters: Mapping[str, Any] | None = None, lang: str | None = None) -> None:
    """Write ``tables`` (name -> DataFrame) to ``path`` (.xlsx) after an about sheet.

    ``lang`` (``"zh"``/``"en"``; default the ``lang`` parameter, else ``"zh"``) sets the
    sheet names, headers and about sheet. Writes ``path`` directly: callers wanting
    atomicity pass a temporary path (the batch runner does).
    """
    from xlsxwriter import Workbook

    from impact.errors import ImpactError

    lang = lang or str((parameters or {}).get("lang") or "zh")
    if lang not in ("zh", "en"):
        raise ImpactError(f"lang={lang!r} is not valid; expected one of 'zh', 'en'")
    names = sheet_names(list(tables), lang=lang)
    wb = Workbook(os.fspath(path), {"in_memory": True, "strings_to_formulas": False,
                                    "strings_to_urls": False, "strings_to_numbers": False})
    fmt = _formats(wb)
    a = _ABOUT[lang]
    about = [list(r) for r in about_rows(title=title, lang=lang, parameters=parameters, sheets=names)]
    _write_sheet(fmt, wb.add_worksheet(SHEETS["about"][lang]), [a["item"], a["value"]], about, ["item", "value"])
    for sheet, df in zip(names, tables.values()):
        columns, rows = _frame(df, lang)
        header: list[str] = []
        for c in columns:  # two columns may share a display name (county, county_name)
            h = _header(c, lang)
            header.append(h if h not in header else f"{h} ({c})")
        _write_sheet(fmt, wb.add_worksheet(sheet), header, rows, columns)
    wb.close()
