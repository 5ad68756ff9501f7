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
from impact.evaluation.system import GRADES, parse_thresholds

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


#: The template's second sheet: how to fill it in.
GUIDE_SHEET = "填写说明"
GUIDE: tuple[str, ...] = (
    "1. 只填写黄色底纹的列：年度目标值、实际完成值（评价人录入）、定性等级、偏差原因分析及改进措施；其余列由工具生成，请勿修改。",
    "2. 定性等级只能填“优/良/中/差”（下拉选择），且只用于评分规则为“定性分级”的指标；按数值评分的指标留空。",
    "3. 数值按“单位”列填写：percent 填百分数（如 96.5），share 填 0–1 的比例（如 0.9 或 90%），人数、个数不能为负，目标值须大于 0。",
    "4. “实际完成值（工具计算）”是工具从数据中算出的值；评价人录入的实际完成值会替代它，报告中注明来源。",
    "5. 留空的目标值或等级，该指标在报告中显示为“未评分”并说明原因，不会按零分或满分计。",
    "6. 填好后运行：impact report province --year 年份 --sheet 本文件（县级：impact report county 县名 --year 年份 --sheet 本文件）。",
)


def write_sheet(system: pd.DataFrame, out: str | Path, *, actuals: pd.DataFrame | None = None,
                title: str = "") -> Path:
    """Write the evaluator's template as ``.xlsx``: sheet :data:`SHEET` (Chinese headers, the
    computed values, grade drop-down, input columns shaded) and a sheet :data:`GUIDE_SHEET`
    headed by ``title`` (scope and year) with how to fill it in."""
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
    guide = wb.create_sheet(GUIDE_SHEET)
    guide.column_dimensions["A"].width = 120
    for line in ((title,) if title else ()) + GUIDE:
        guide.append([line])
    guide.cell(row=1, column=1).font = Font(bold=True)
    out = Path(out)
    with atomic_path(out) as tmp:
        wb.save(tmp)
    return out


#: Units whose values are counts (never negative) and the unit of shares (0 to 1).
_COUNT_UNITS = ("county", "organization", "project", "person")
_SHARE_UNIT = "share"


def _number(v: object, unit: str) -> float:
    """A cell as a number in the indicator's unit: ``"1,200"`` → 1200; ``"90%"`` → 0.9 for a
    share and 90 for a percent. Raises ``ValueError`` for text that is not a number."""
    text = str(v).strip().replace(",", "").replace("，", "")
    if text.endswith(("%", "％")):
        x = float(text[:-1])
        return x / 100 if unit == _SHARE_UNIT else x
    return float(text)


def _range_problem(x: float, unit: str, *, target: bool) -> str | None:
    """What is wrong with ``x`` for the indicator's unit and rule, or ``None``."""
    if not math.isfinite(x):
        return "a finite number"
    if unit == _SHARE_UNIT and not 0 <= x <= 1:
        return "a share between 0 and 1 (e.g. 0.9 or 90%)"
    if unit in _COUNT_UNITS and x < 0:
        return "a count, 0 or more"
    if target and x <= 0:
        return "a target above 0 (the score divides by it)"
    return None


def read_sheet(path: str | Path, system: pd.DataFrame) -> pd.DataFrame:
    """Read a filled sheet back: ``indicator_id, target, actual_entered, grade, deviation_reason``.

    Every problem is listed at once, each naming the file, the sheet, the row (header = row
    1), the column header, the value and what was expected.

    Raises
    ------
    InputError
        A file that is not an ``.xlsx`` workbook or has no sheet :data:`SHEET`; a missing
        header; unknown or repeated indicator ids; targets or values that are not numbers or
        outside the indicator's range (a share outside 0–1, a negative count, a target of 0
        or less); a grade outside the grades of the indicator's rule (优/良/中/差 by default);
        a grade on an indicator scored by its value, or a value on one scored by grade.
    """
    path = Path(path)
    file = str(path)
    if not path.is_file():
        raise InputError(Problem(file, None, None, None, "an evaluator's sheet (.xlsx) written by "
                                 "`impact evaluation sheet`"))
    names = _sheet_names(path)
    if names is None:
        raise InputError(Problem(file, None, None, path.suffix or path.name,
                                 "an Excel workbook (.xlsx) written by `impact evaluation sheet`"))
    if SHEET not in names:
        raise InputError(Problem(file, None, None, names, f"a sheet named {SHEET!r} (the template's sheet)"))
    raw = pd.read_excel(path, sheet_name=SHEET, dtype=object, engine="openpyxl")
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [h for h, f in HEADERS.items() if f in ("indicator_id", *_INPUT_FIELDS) and h not in raw.columns]
    if missing:
        raise InputError([Problem(file, 1, h, None, "this column header (as in the template)", sheet=SHEET)
                          for h in missing], title=f"{file}: not an evaluator's sheet")
    inv = {v: k for k, v in HEADERS.items()}
    df = raw.rename(columns=HEADERS)
    info = system.set_index("indicator_id")
    problems: list[Problem] = []

    def bad(row: int, field: str, value: object, expected: str) -> None:
        problems.append(Problem(file, row, inv[field], value, expected, sheet=SHEET))

    rows = []
    seen: set[str] = set()
    for i, r in df.iterrows():
        row = int(i) + 2
        iid = "" if pd.isna(r["indicator_id"]) else str(r["indicator_id"]).strip()
        if iid == "":
            continue
        if iid not in info.index:
            bad(row, "indicator_id", iid, "an indicator id of the indicator system ("
                + ", ".join(info.index[:4]) + ", ...)")
            continue
        if iid in seen:
            bad(row, "indicator_id", iid, "each indicator once")
        seen.add(iid)
        rule, unit = info.at[iid, "scoring"], str(info.at[iid, "unit"])
        rec: dict[str, object] = {"indicator_id": iid}
        for f in ("target", "actual_entered"):
            v = r[f]
            rec[f] = math.nan
            if pd.isna(v) or str(v).strip() == "":
                continue
            if rule == "grade":
                bad(row, f, v, f"empty: indicator {iid} is scored by the evaluator's grade")
                continue
            try:
                x = _number(v, unit)
            except ValueError:
                bad(row, f, v, f"a number in the indicator's unit ({unit or 'none'}), or empty")
                continue
            wrong = _range_problem(x, unit, target=f == "target")
            if wrong:
                bad(row, f, v, wrong)
                continue
            rec[f] = x
        g = "" if pd.isna(r["grade"]) else str(r["grade"]).strip()
        if g and rule != "grade":
            bad(row, "grade", g, f"empty: indicator {iid} is scored by its value")
        elif g:
            allowed = [k for k, _ in parse_thresholds(info.at[iid, "thresholds"])]
            if g not in allowed:
                bad(row, "grade", g, "one of " + "/".join(allowed) + " or empty")
        rec["grade"] = g
        rec["deviation_reason"] = "" if pd.isna(r["deviation_reason"]) else str(r["deviation_reason"]).strip()
        rows.append(rec)
    if problems:
        raise InputError(problems, title=f"{file}: bad evaluator's sheet")
    return pd.DataFrame(rows, columns=["indicator_id", *_INPUT_FIELDS])


def _sheet_names(path: Path) -> list[str] | None:
    """The workbook's sheet names, or ``None`` when the file is not an ``.xlsx`` workbook."""
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True)
    except (BadZipFile, OSError, KeyError, ValueError):
        return None
    names = list(wb.sheetnames)
    wb.close()
    return names
