"""The evaluator's sheet (评价人录入表): an Excel file the tool writes and reads back.

The template lists every indicator of the scope with its target and the value the tool
computed; the evaluator fills the columns marked 录入 (targets the article does not give,
values only the evaluator knows, qualitative grades 优/良/中/差, deviation reasons) and
passes the file back. :func:`read_sheet` validates it and names every bad row.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from impact.errors import InputError, Problem
from impact.evaluation.system import GRADES

#: Sheet name and headers (Chinese, as the evaluator sees them) -> field names.
SHEET = "绩效指标评分表"
HEADERS: dict[str, str] = {
    "指标编号": "indicator_id",
    "一级指标": "level1",
    "二级指标": "level2",
    "三级指标": "level3",
    "分值": "weight",
    "评分规则": "scoring",
    "单位": "unit",
    "年度目标值（录入）": "target",
    "目标来源": "target_source",
    "实际完成值（工具计算）": "computed",
    "数据来源": "source",
    "实际完成值（评价人录入）": "actual_entered",
    "定性等级（录入：优/良/中/差）": "grade",
    "偏差原因分析及改进措施（录入）": "deviation_reason",
}
_INPUT_FIELDS = ("target", "actual_entered", "grade", "deviation_reason")
RULE_ZH = {"ratio": "完成值/目标值×分值（封顶）", "threshold": "分档计分", "grade": "定性分级"}
SOURCE_ZH = {"article": "原文", "default": "默认值", "evaluator": "评价人录入"}


def template_frame(system: pd.DataFrame, actuals: pd.DataFrame | None = None) -> pd.DataFrame:
    """The template's rows: one per indicator, inputs empty except targets the file gives."""
    a = actuals.set_index("indicator_id") if actuals is not None else pd.DataFrame()
    rows = []
    for _, r in system.iterrows():
        iid = r["indicator_id"]
        comp = a["actual"].get(iid, math.nan) if not a.empty else math.nan
        rows.append({
            "indicator_id": iid, "level1": r["level1"], "level2": r["level2"], "level3": r["level3"],
            "weight": r["weight"], "scoring": RULE_ZH[r["scoring"]], "unit": r["unit"],
            "target": r["target"], "target_source": SOURCE_ZH[r["target_source"]],
            "computed": comp, "source": a["source"].get(iid, "") if not a.empty else "",
            "actual_entered": math.nan, "grade": "", "deviation_reason": "",
        })
    return pd.DataFrame(rows, columns=list(HEADERS.values()))


def write_sheet(system: pd.DataFrame, out: str | Path, *, actuals: pd.DataFrame | None = None) -> Path:
    """Write the evaluator's template as ``.xlsx`` (Chinese headers, grade drop-down, input columns shaded)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    from impact.io import atomic_path

    df = template_frame(system, actuals)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    heads = list(HEADERS)
    ws.append(heads)
    for rec in df.itertuples(index=False):
        ws.append([None if (isinstance(v, float) and math.isnan(v)) else v for v in rec])
    shade = PatternFill("solid", fgColor="FFF2CC")
    for j, h in enumerate(heads, start=1):
        cell = ws.cell(row=1, column=j)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[cell.column_letter].width = 14 if len(h) < 6 else 22
        if HEADERS[h] in _INPUT_FIELDS:
            for i in range(1, len(df) + 2):
                ws.cell(row=i, column=j).fill = shade
    grade_col = ws.cell(row=1, column=heads.index("定性等级（录入：优/良/中/差）") + 1).column_letter
    dv = DataValidation(type="list", formula1='"' + ",".join(GRADES) + '"', allow_blank=True)
    ws.add_data_validation(dv)
    dv.add(f"{grade_col}2:{grade_col}{len(df) + 1}")
    ws.freeze_panes = "E2"
    out = Path(out)
    with atomic_path(out) as tmp:
        wb.save(tmp)
    return out


def read_sheet(path: str | Path, system: pd.DataFrame) -> pd.DataFrame:
    """Read a filled sheet back: ``indicator_id, target, actual_entered, grade, deviation_reason``.

    Raises
    ------
    InputError
        naming the row (header = row 1), column header and value: unknown or repeated
        indicator ids, non-numeric targets or values, a grade outside 优/良/中/差, a grade on
        an indicator that is not graded, a missing header.
    """
    path = Path(path)
    file = str(path)
    try:
        raw = pd.read_excel(path, sheet_name=SHEET, dtype=object)
    except ValueError as err:
        raise InputError(Problem(file, None, None, None, f"a sheet named {SHEET!r} ({err})")) from None
    missing = [h for h, f in HEADERS.items() if f in ("indicator_id", *_INPUT_FIELDS) and h not in raw.columns]
    if missing:
        raise InputError([Problem(file, 1, h, None, "this column header") for h in missing],
                         title=f"{file}: not an evaluator's sheet")
    inv = {v: k for k, v in HEADERS.items()}
    df = raw.rename(columns=HEADERS)
    rules = dict(zip(system["indicator_id"], system["scoring"]))
    problems: list[Problem] = []
    rows = []
    seen: set[str] = set()
    for i, r in df.iterrows():
        row = int(i) + 2
        iid = "" if pd.isna(r["indicator_id"]) else str(r["indicator_id"]).strip()
        if iid == "":
            continue
        if iid not in rules:
            problems.append(Problem(file, row, "指标编号", iid, "an indicator id of the indicator system"))
            continue
        if iid in seen:
            problems.append(Problem(file, row, "指标编号", iid, "each indicator once"))
        seen.add(iid)
        rec = {"indicator_id": iid}
        for f in ("target", "actual_entered"):
            v = r[f]
            if pd.isna(v) or str(v).strip() == "":
                rec[f] = math.nan
                continue
            try:
                rec[f] = float(str(v).replace(",", "").rstrip("%")) / (100 if str(v).strip().endswith("%") else 1)
            except ValueError:
                problems.append(Problem(file, row, inv[f], v, "a number (or empty)"))
                rec[f] = math.nan
        g = "" if pd.isna(r["grade"]) else str(r["grade"]).strip()
        if g and g not in GRADES:
            problems.append(Problem(file, row, inv["grade"], g, "one of " + "/".join(GRADES) + " or empty"))
        elif g and rules[iid] != "grade":
            problems.append(Problem(file, row, inv["grade"], g, f"empty: indicator {iid} is scored by its value"))
        rec["grade"] = g
        rec["deviation_reason"] = "" if pd.isna(r["deviation_reason"]) else str(r["deviation_reason"]).strip()
        rows.append(rec)
    if problems:
        raise InputError(problems, title=f"{file}: bad evaluator's sheet")
    return pd.DataFrame(rows, columns=["indicator_id", *_INPUT_FIELDS])
