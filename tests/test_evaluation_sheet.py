"""The evaluator's sheet: template written, filled, read back; bad entries named by row."""

from __future__ import annotations

import math

import pytest
from openpyxl import load_workbook

from impact.errors import InputError
from impact.evaluation.sheet import HEADERS, SHEET, read_sheet, write_sheet
from impact.evaluation.system import for_scope, read_system


def _col(ws, header):
    return [c.value for c in ws[1]].index(header) + 1


def test_round_trip(tmp_path):
    system = for_scope(read_system(), "province")
    path = write_sheet(system, tmp_path / "sheet.xlsx")
    wb = load_workbook(path)
    ws = wb[SHEET]
    assert [c.value for c in ws[1]] == list(HEADERS)
    ids = [ws.cell(row=i, column=1).value for i in range(2, ws.max_row + 1)]
    assert ids == list(system["indicator_id"])
    entries = {"D1": ("grade", "优"), "P1": ("actual", 96.5), "O2": ("target", 300), "B5": ("grade", "中")}
    for i, iid in enumerate(ids, start=2):
        if iid in entries:
            kind, v = entries[iid]
            head = {"grade": "定性等级（录入：优/良/中/差）", "actual": "实际完成值（评价人录入）",
                    "target": "年度目标值（录入）"}[kind]
            ws.cell(row=i, column=_col(ws, head)).value = v
            ws.cell(row=i, column=_col(ws, "偏差原因分析及改进措施（录入）")).value = f"说明{iid}"
    wb.save(path)
    back = read_sheet(path, system).set_index("indicator_id")
    assert back.loc["D1", "grade"] == "优" and back.loc["B5", "grade"] == "中"
    assert back.loc["P1", "actual_entered"] == pytest.approx(96.5)
    assert back.loc["O2", "target"] == pytest.approx(300)
    assert back.loc["O1", "target"] == pytest.approx(129)  # the file's target, written into the template
    assert back.loc["D2", "grade"] == "" and math.isnan(back.loc["D2", "actual_entered"])
    assert back.loc["P1", "deviation_reason"] == "说明P1"


def test_bad_entries_name_the_row(tmp_path):
    system = for_scope(read_system(), "province")
    path = write_sheet(system, tmp_path / "sheet.xlsx")
    wb = load_workbook(path)
    ws = wb[SHEET]
    ws.cell(row=2, column=_col(ws, "定性等级（录入：优/良/中/差）")).value = "很好"      # D1: not a grade
    ws.cell(row=8, column=_col(ws, "定性等级（录入：优/良/中/差）")).value = "优"        # O1: a ratio indicator
    ws.cell(row=9, column=_col(ws, "年度目标值（录入）")).value = "三百"                 # O2: not a number
    ws.cell(row=10, column=1).value = "X9"                                            # unknown id
    wb.save(path)
    with pytest.raises(InputError) as err:
        read_sheet(path, system)
    found = {(p.row, p.column) for p in err.value.problems}
    assert found == {(2, "定性等级（录入：优/良/中/差）"), (8, "定性等级（录入：优/良/中/差）"),
                     (9, "年度目标值（录入）"), (10, "指标编号")}
