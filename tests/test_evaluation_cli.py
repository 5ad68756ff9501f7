"""The report writer's round from the command line: template → fill → check → report --sheet.

Covers ``impact evaluation sheet|check``, bad sheets named by file, sheet, row, column, value
and expectation, the sheet and survey in the report jobs' content hash (a changed sheet is never
served from a stale state), and the county 绩效评价 shown in HTML.
"""

from __future__ import annotations

import json
import math
import shutil

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from impact.cli import cli
from impact.errors import InputError
from impact.evaluation.sheet import GUIDE_SHEET, HEADERS, SHEET, read_sheet, write_sheet
from impact.evaluation.system import for_scope, read_system

GRADE = "定性等级（录入：优/良/中/差）"
ACTUAL = "实际完成值（评价人录入）"
TARGET = "年度目标值（录入）"


def _cells(ws) -> dict[str, dict[str, object]]:
    heads = [c.value for c in ws[1]]
    return {r[0]: dict(zip(heads, r)) for r in ws.iter_rows(min_row=2, values_only=True)}


def _set(path, iid: str, header: str, value) -> None:
    wb = load_workbook(path)
    ws = wb[SHEET]
    col = [c.value for c in ws[1]].index(header) + 1
    row = next(i for i in range(2, ws.max_row + 1) if ws.cell(row=i, column=1).value == iid)
    ws.cell(row=row, column=col).value = value
    wb.save(path)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    out = tmp_path_factory.mktemp("sheet") / "省级录入表.xlsx"
    res = CliRunner().invoke(cli, ["evaluation", "sheet", "--year", "2024", "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out


def test_sheet_command_writes_the_prefilled_template(template):
    wb = load_workbook(template)
    assert wb.sheetnames == [SHEET, GUIDE_SHEET]
    ws = wb[SHEET]
    assert [c.value for c in ws[1]] == list(HEADERS)
    rows = _cells(ws)
    assert list(rows) == list(for_scope(read_system(), "province")["indicator_id"])
    # the tool's own value with its source; the evaluator's columns left blank
    assert rows["O1"]["实际完成值（工具计算）"] == 129 and "F012" in rows["O1"]["数据来源"]
    assert rows["O1"][TARGET] == 129  # the article's target, from the system file
    assert all(r[GRADE] is None and r[ACTUAL] is None and r["偏差原因分析及改进措施（录入）"] is None
               for r in rows.values())
    assert rows["D1"]["实际完成值（工具计算）"] is None  # a grade: nothing to compute
    guide = [r[0] for r in wb[GUIDE_SHEET].iter_rows(values_only=True)]
    assert "云南省" in guide[0] and "2024" in guide[0] and any("--sheet" in g for g in guide)


def test_sheet_command_for_a_county_and_bad_output(tmp_path):
    out = tmp_path / "jinggu.xlsx"
    res = CliRunner().invoke(cli, ["evaluation", "sheet", "--year", "2024", "--county", "景谷县", "--out", str(out)])
    assert res.exit_code == 0, res.output
    ids = list(_cells(load_workbook(out)[SHEET]))
    assert ids == list(for_scope(read_system(), "county")["indicator_id"]) and "O1C" in ids
    res = CliRunner().invoke(cli, ["evaluation", "sheet", "--year", "2024", "--out", str(tmp_path / "x.csv")])
    assert res.exit_code == 2 and ".xlsx" in res.output


def test_check_scores_a_filled_sheet(template, tmp_path):
    path = shutil.copy(template, tmp_path / "filled.xlsx")
    for iid, grade in (("D1", "优"), ("D2", "良")):
        _set(path, iid, GRADE, grade)
    res = CliRunner().invoke(cli, ["evaluation", "check", str(path), "--year", "2024"])
    assert res.exit_code == 0, res.output
    # O1 (8 points, 129 of 129) + D1 优 (5) + D2 良 (4) and the other scored rows: the total is what evaluate() says
    from impact.evaluation import evaluate

    ev = evaluate("province", 2024, sheet=path)
    assert f"total / 总分: {ev.total.score:.2f}" in res.output
    assert "unscored / 未评分: D3" in res.output and "unscored / 未评分: D1" not in res.output


@pytest.mark.parametrize("iid, header, value, expected", [
    ("D1", GRADE, "甲", "one of 优/良/中/差"),                     # not a grade
    ("O1", GRADE, "优", "scored by its value"),                    # a grade on a ratio indicator
    ("D1", ACTUAL, 3, "scored by the evaluator's grade"),          # a value on a graded indicator
    ("S1", TARGET, 90, "a share between 0 and 1"),                 # 90 instead of 0.9 / 90%
    ("O2", ACTUAL, -5, "a count, 0 or more"),                      # a negative count
    ("O2", TARGET, 0, "a target above 0"),                         # the score would divide by 0
    ("O3", TARGET, "三千", "a number"),                             # text
])
def test_bad_cells_name_file_sheet_row_column_value_expected(template, tmp_path, iid, header, value, expected):
    path = shutil.copy(template, tmp_path / "bad.xlsx")
    _set(path, iid, header, value)
    system = for_scope(read_system(), "province")
    with pytest.raises(InputError) as err:
        read_sheet(path, system)
    (p,) = err.value.problems
    row = list(system["indicator_id"]).index(iid) + 2
    assert (p.file, p.sheet, p.row, p.column, p.value) == (str(path), SHEET, row, header, value)
    assert expected in p.expected
    assert f"sheet '{SHEET}'" in str(err.value) and f"row {row}" in str(err.value)


def test_a_percent_sign_reads_in_the_unit(template, tmp_path):
    path = shutil.copy(template, tmp_path / "pct.xlsx")
    _set(path, "S1", TARGET, "85%")   # a share
    _set(path, "P1", ACTUAL, "96.5%")  # a percent
    back = read_sheet(path, for_scope(read_system(), "province")).set_index("indicator_id")
    assert back.loc["S1", "target"] == pytest.approx(0.85) and back.loc["P1", "actual_entered"] == pytest.approx(96.5)


def test_grade_outside_the_rules_own_range(tmp_path):
    system = for_scope(read_system(), "province").copy()
    system.loc[system["indicator_id"] == "D1", "thresholds"] = "优:1;良:0.8"  # a rule with two grades only
    path = write_sheet(system, tmp_path / "two.xlsx")
    _set(path, "D1", GRADE, "中")
    with pytest.raises(InputError) as err:
        read_sheet(path, system)
    assert err.value.problems[0].expected == "one of 优/良 or empty"


def test_wrong_headers_wrong_sheet_wrong_file(template, tmp_path):
    path = shutil.copy(template, tmp_path / "headers.xlsx")
    wb = load_workbook(path)
    wb[SHEET].cell(row=1, column=list(HEADERS).index(GRADE) + 1).value = "等级"
    wb.save(path)
    with pytest.raises(InputError) as err:
        read_sheet(path, read_system())
    assert [(p.sheet, p.row, p.column) for p in err.value.problems] == [(SHEET, 1, GRADE)]
    wb = load_workbook(template)
    wb[SHEET].title = "Sheet1"
    wb.save(tmp_path / "renamed.xlsx")
    with pytest.raises(InputError) as err:
        read_sheet(tmp_path / "renamed.xlsx", read_system())
    assert "Sheet1" in str(err.value) and SHEET in str(err.value)
    (tmp_path / "text.xlsx").write_text("指标编号,定性等级\nD1,优\n", encoding="utf-8")
    with pytest.raises(InputError, match="Excel workbook"):
        read_sheet(tmp_path / "text.xlsx", read_system())


def test_report_refuses_a_bad_sheet_before_running(template, tmp_path):
    path = shutil.copy(template, tmp_path / "bad.xlsx")
    _set(path, "D1", GRADE, "甲")
    res = CliRunner().invoke(cli, ["report", "province", "--year", "2024", "--sheet", str(path),
                                   "--reports-dir", str(tmp_path / "reports")])
    assert res.exit_code == 2
    assert f"sheet '{SHEET}'" in res.output and "row 2" in res.output and "'甲'" in res.output
    assert not (tmp_path / "reports" / "2024" / "province").exists()


def _pretend_made(job) -> None:
    """Write the state and outputs a successful run leaves (as :func:`execute_job` does)."""
    for p in job.outputs().values():
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("made", encoding="utf-8")
    job.state_file.parent.mkdir(parents=True, exist_ok=True)
    job.state_file.write_text(json.dumps({"status": "ok", "digest": job.digest, "has_xlsx": True}), encoding="utf-8")


def test_a_changed_sheet_is_not_served_from_a_stale_report(template, tmp_path):
    from impact.report.batch import county_jobs, province_job
    from impact.report.jobs import is_up_to_date

    sheet = shutil.copy(template, tmp_path / "sheet.xlsx")
    root = tmp_path / "reports"
    job = province_job(2024, "zh", out_root=root, sheet=sheet)
    assert job.parameters["sheet"] == str(sheet.resolve()) and "survey" not in job.parameters
    assert job.digest != province_job(2024, "zh", out_root=root).digest  # with and without a sheet differ
    _pretend_made(job)
    assert is_up_to_date(province_job(2024, "zh", out_root=root, sheet=sheet))  # same bytes: skipped
    _set(sheet, "D1", GRADE, "优")  # the evaluator changes one grade, same file name
    again = province_job(2024, "zh", out_root=root, sheet=sheet)
    assert again.parameters == job.parameters and again.digest != job.digest
    assert not is_up_to_date(again)
    (cj,) = county_jobs(["景谷县"], 2024, "zh", out_root=root, sheet=sheet)
    (cj2,) = county_jobs(["景谷县"], 2024, "zh", out_root=root)
    assert cj.parameters["sheet"] == str(sheet.resolve()) and cj.digest != cj2.digest


def test_notebooks_declare_the_sheet_and_survey():
    from impact.report.jobs import COUNTY_NOTEBOOK, PROVINCE_NOTEBOOK
    from impact.report.params import inspect_parameters

    for nb in (COUNTY_NOTEBOOK, PROVINCE_NOTEBOOK):
        declared = inspect_parameters(nb)
        assert declared["sheet"].default == "" and declared["survey"].default == ""
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        assert all(not c.get("outputs") for c in cells if c["cell_type"] == "code")
        assert any("sheet=sheet or None" in "".join(c["source"]) for c in cells)
    county_src = "".join("".join(c["source"]) for c in json.loads(COUNTY_NOTEBOOK.read_text(encoding="utf-8"))["cells"])
    assert 'rep.section("evaluation")' in county_src


def test_county_evaluation_in_html(template):
    from impact.evaluation.outline import scoring_frame
    from impact.evaluation.scoring import grade_of
    from impact.pagecheck import text_problems
    from impact.report.county_evaluation import county_evaluation

    for lang in ("zh", "en"):
        part = county_evaluation("530824", 2024, lang, figures=False)
        page = part.to_html()
        assert page.startswith('<section class="impact-section" id="sec-evaluation">')
        heads = part.document.headings(1)
        assert len(heads) == 9
        for k in range(1, 10):  # the chapters, one level below the report's own sections, linked from the contents
            assert f'<h3 id="ev-{k}">' in page and f'href="#ev-{k}"' in page
        assert text_problems(page, lang=lang) == []
    part = county_evaluation("530824", 2024, "zh", figures=False)
    assert part.document.headings(1)[4] == "五、绩效指标分析" and "表3 绩效评价指标评分表" in part.to_html()
    frame = scoring_frame(part.evaluation, "zh")
    pts = [float(x) for x in frame["得分"].iloc[:-1] if x != "未评分"]
    assert float(frame["得分"].iloc[-1]) == pytest.approx(sum(pts), abs=0.005)
    tot = part.evaluation.total
    assert (tot.grade is None) == (not tot.complete)
    if tot.complete:
        assert tot.grade == grade_of(tot.score)
    assert part.simulated == bool((part.evaluation.table["evidence"] == "simulated").any())
    method = next(b.text for b in part.document.blocks if getattr(b, "text", "").startswith("评价依据"))
    sub = part.evaluation.subtotals
    assert "一级指标分值：" + "、".join(f"{g}{w:g}分" for g, w in zip(sub["level1"], sub["weight"])) in method
    assert sub["weight"].sum() == pytest.approx(100) and "默认权重" in method


def test_scoring_table_widths_in_word(tmp_path):
    import docx
    from docx.oxml.ns import qn

    from impact.evaluation import build_outline, evaluate, load_data
    from impact.report.docx import TEXT_WIDTH_MM, render_docx

    data = load_data()
    ev = evaluate("county", 2024, county="景谷县", data=data)
    path = render_docx(build_outline(ev, data, lang="zh", figures=False), tmp_path / "c.docx")
    d = docx.Document(str(path))
    (tab,) = [t for t in d.tables if [c.text for c in t.rows[0].cells][:3] == ["一级指标", "二级指标", "三级指标"]]
    mm = [c.width / 36000 for c in tab.columns]  # EMU -> mm
    assert sum(mm) == pytest.approx(TEXT_WIDTH_MM, abs=0.5)
    names = [r.cells[2].text for r in tab.rows[1:-1]]
    # 10.5 pt characters are 3.7 mm wide: the indicator column holds 7 a line, so no name takes more than 2 lines
    per_line = math.floor((mm[2] - 2.0) / 3.7)
    assert per_line >= 7 and max(math.ceil(len(n) / per_line) for n in names) <= 2
    assert mm[2] == max(mm[:8])  # the widest column after the notes
    assert all(r._tr.trPr is not None and r._tr.trPr.find(qn("w:cantSplit")) is not None for r in tab.rows[1:])
    caption = next(p for p in d.paragraphs if p.text == "表3 绩效评价指标评分表")
    assert caption.paragraph_format.keep_with_next


def test_county_report_from_the_command_line_with_a_sheet(tmp_path):
    """End to end: template → fill → `impact report county --sheet --format docx --fonts official`;
    the HTML section and the Word file both carry the evaluator's grade and reason."""
    import docx
    from docx.oxml.ns import qn

    sheet = tmp_path / "景谷县.xlsx"
    runner = CliRunner()
    res = runner.invoke(cli, ["evaluation", "sheet", "--year", "2024", "--county", "景谷县", "--out", str(sheet)])
    assert res.exit_code == 0, res.output
    reason = "结对协议签订滞后，已要求补签"
    _set(sheet, "P3", GRADE, "中")
    _set(sheet, "P3", "偏差原因分析及改进措施（录入）", reason)
    res = runner.invoke(cli, ["report", "county", "景谷县", "--year", "2024", "--sheet", str(sheet), "--format", "docx",
                              "--fonts", "official", "--reports-dir", str(tmp_path / "reports")])
    assert res.exit_code == 0, res.output
    folder = tmp_path / "reports" / "2024" / "counties"
    page = next(folder.glob("530824_*.html")).read_text(encoding="utf-8")
    assert 'id="sec-evaluation"' in page and reason in page
    assert sum(f'<h3 id="ev-{k}">' in page for k in range(1, 10)) == 9
    d = docx.Document(str(next(folder.glob("530824_*.docx"))))
    assert [p.text for p in d.paragraphs if p.style.name == "Heading 1"][0] == "一、基本情况"
    assert any(reason in c.text for t in d.tables for r in t.rows for c in r.cells)
    rfonts = d.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert rfonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    state = json.loads(next((tmp_path / "reports" / "2024" / ".state").glob("530824_*.json")).read_text(encoding="utf-8"))
    assert state["status"] == "ok"
