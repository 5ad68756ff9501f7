"""The 绩效评价 report: province 2024 scoring table recomputed from itself, outline, Word output."""

from __future__ import annotations

import math
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from impact.evaluation import build_outline, evaluate, findings, load_data
from impact.evaluation.scoring import grade_of
from impact.evaluation.system import for_scope, read_system

OUTLINE_ZH = ["一、基本情况", "二、绩效目标", "三、评价工作开展情况", "四、综合评价结论", "五、绩效指标分析",
              "六、主要成效", "七、存在问题及原因", "八、意见建议", "九、典型案例"]


def _survey(n=50, satisfied=44, year=2024):
    scores = [5] * (satisfied // 2) + [4] * (satisfied - satisfied // 2) + [3] * (n - satisfied)
    return pd.DataFrame({"response_id": [f"R{i}" for i in range(n)], "county_code": "530824", "program_id": "",
                         "year": year, "item": "overall", "score": scores})


def _sheet(ev):
    """What an evaluator enters: targets 25% above (costs 20% below) the computed values, two values, grades."""
    rows = []
    for _, r in ev.table.iterrows():
        target = math.nan
        if math.isnan(r["target"]) and r["scoring"] != "grade" and not math.isnan(r["actual"]):
            target = r["actual"] * (0.8 if r["direction"] == "lower" else 1.25)
        actual = 95.0 if r["indicator_id"] in ("P1", "O5") else math.nan
        grade = {"D1": "优", "D2": "良", "D3": "良", "P2": "优", "P3": "中", "O4": "良", "B5": "中"}.get(
            r["indicator_id"], "")
        rows.append({"indicator_id": r["indicator_id"], "target": target, "actual_entered": actual, "grade": grade,
                     "deviation_reason": "示例原因" if grade == "中" else ""})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def data():
    return load_data(satisfaction=_survey())


@pytest.fixture(scope="module")
def province(data):
    first = evaluate("province", 2024, data=data)
    return evaluate("province", 2024, data=data, sheet=_sheet(first)), first


def test_without_the_evaluator_nothing_is_invented(province, data):
    _, first = province
    t = first.table.set_index("indicator_id")
    assert t.loc["O1", "scored"] and t.loc["O1", "score"] == pytest.approx(8.0)  # 129 of 129 counties, article
    assert "F012" in t.loc["O1", "source"] and "129" in t.loc["O1", "quote"]
    for iid in ("D1", "P1", "O2", "O3"):  # a grade, a value and targets only the evaluator can give
        assert not t.loc[iid, "scored"] and math.isnan(t.loc[iid, "score"]) and t.loc[iid, "reason"]
    assert first.total.grade is None
    missing = findings(first.table).query("kind == 'missing'")
    assert set(missing["indicator_id"]) == set(t.index[~t["scored"]])


def test_province_2024_scoring_table_is_complete_and_recomputes(province, data):
    ev, _ = province
    t = ev.table
    assert t["scored"].all(), t.loc[~t["scored"], ["indicator_id", "reason"]]
    assert t["weight"].sum() == pytest.approx(100)
    # each score from its own row: the rule applied by hand
    r = t.set_index("indicator_id")
    assert r.loc["D1", "score"] == pytest.approx(5.0) and r.loc["P3", "score"] == pytest.approx(3.0)
    assert r.loc["P1", "score"] == pytest.approx(5 * 95 / 100)
    assert r.loc["O3", "attainment"] == pytest.approx(0.8) and r.loc["O3", "score"] == pytest.approx(6 * 0.8)
    assert r.loc["O6", "attainment"] == pytest.approx(0.8)  # a cost: target / actual
    assert r.loc["S1", "actual"] == pytest.approx(0.88) and r.loc["S1", "score"] == pytest.approx(8.0)
    assert r.loc["S1", "n"] == 50
    # the printed table: its total row is the sum of its rows, and the grade follows from it
    from impact.evaluation.outline import scoring_frame

    printed = scoring_frame(ev)
    body, last = printed.iloc[:-1], printed.iloc[-1]
    total = body["得分"].astype(float).sum()
    assert float(last["得分"]) == pytest.approx(total, abs=0.005)
    assert last["偏差原因/说明"] == f"等级：{grade_of(float(last['得分']))}"
    assert ev.total.grade == grade_of(ev.total.score)
    assert body["分值"].astype(float).sum() == pytest.approx(100)


def test_outline_province_zh_and_en(province, data):
    ev, _ = province
    doc = build_outline(ev, data, lang="zh")
    assert doc.headings(1) == OUTLINE_ZH
    assert {"（一）决策指标", "（五）满意度指标"} <= set(doc.headings(2))
    en = build_outline(ev, data, lang="en")
    assert any(h.startswith("5.1 Relevance") for h in en.headings(2))
    assert any(h.startswith("9.") for h in en.headings(2))  # case studies


def test_county_outline_has_its_cases():
    data = load_data()
    ev = evaluate("county", 2024, county="景谷县", data=data)
    assert ev.county == "530824"
    assert set(ev.table["indicator_id"]) == set(for_scope(read_system(), "county")["indicator_id"])
    doc = build_outline(ev, data, lang="zh", figures=False)
    assert doc.headings(1) == OUTLINE_ZH
    cases = doc.headings(2)[doc.headings(2).index("（五）满意度指标") + 1:]
    assert cases and all("医院协会" in c or "蔬菜" in c or "景谷" in c for c in cases)


@pytest.fixture(scope="module")
def docx_file(province, data, tmp_path_factory):
    from impact.report.docx import render_docx

    ev, _ = province
    return render_docx(build_outline(ev, data, lang="zh"), tmp_path_factory.mktemp("docx") / "province.docx")


def test_docx_opens_with_headings_tables_images_fonts(docx_file):
    import docx
    from docx.oxml.ns import qn

    d = docx.Document(str(docx_file))
    heads = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
    assert heads == OUTLINE_ZH
    assert len(d.inline_shapes) >= 1
    score = [t for t in d.tables if "得分" in [c.text for c in t.rows[0].cells] and len(t.columns) == 9]
    assert len(score) == 1
    rows = [[c.text for c in r.cells] for r in score[0].rows]
    pts = [float(r[6]) for r in rows[1:-1]]
    assert rows[-1][0] == "合计" and float(rows[-1][6]) == pytest.approx(sum(pts), abs=0.005)
    assert rows[-1][-1] == f"等级：{grade_of(float(rows[-1][6]))}"
    conclusion = next(p.text for p in d.paragraphs if p.text.startswith("经评价"))
    assert f"“{grade_of(float(rows[-1][6]))}”" in conclusion
    rfonts = d.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert rfonts.get(qn("w:eastAsia")) == "仿宋" and rfonts.get(qn("w:ascii")) == "Times New Roman"
    footer_xml = d.sections[0].footer.paragraphs[0]._p.xml
    assert "PAGE" in footer_xml and "fldChar" in footer_xml


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_docx_converts_to_pdf_with_libreoffice(docx_file, tmp_path):
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(docx_file)],
                   check=True, capture_output=True, timeout=180)
    pdf = tmp_path / "province.pdf"
    assert pdf.is_file() and pdf.stat().st_size > 10_000
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "综合评价结论" in text and "绩效评价指标评分表" in text
        assert re.search(r"—\s*2\s*—", text)  # page numbers in the footer


def test_findings_rank_lost_points(province):
    ev, _ = province
    f = findings(ev.table)
    short = f[f["kind"] == "shortfall"]
    lost = (ev.table["weight"] - ev.table["score"]).to_numpy()
    assert short["lost_points"].iloc[0] == pytest.approx(np.max(lost))
    assert (np.diff(short["lost_points"].to_numpy()) <= 1e-9).all()
    assert set(f.loc[f["kind"] == "weak", "indicator_id"]) >= {"O3", "B4"}  # simulated data flagged
