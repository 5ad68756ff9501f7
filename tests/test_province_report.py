"""The province report as a 绩效评价 report: outline, article facts, designs, scoring table, HTML and Word.

The scoring table is recomputed from the printed table itself (the HTML/Word cells), not
from the evaluation object: the total row must be the sum of the rows above it and the
grade must follow from the total by the 财预〔2020〕10号 bands.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from impact import config
from impact.evaluation.document import Figure, Heading, Table
from impact.evaluation.scoring import grade_of

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_evaluation_report import _sheet, _survey  # noqa: E402

pytestmark = pytest.mark.skipif(not (config.DATA_PROCESSED / "county_panel_simulated.parquet").is_file(),
                                reason="run `impact data build` first")

OUTLINE_ZH = ["一、基本情况", "二、绩效目标", "三、评价工作开展情况", "四、综合评价结论", "五、绩效指标分析",
              "六、主要成效", "七、存在问题及原因", "八、意见建议", "九、典型案例"]
OUTLINE_EN = ["1. Background", "2. Objectives and targets", "3. Evaluation approach", "4. Overall rating",
              "5. Findings by DAC criterion", "6. Results", "7. Issues and their causes", "8. Recommendations",
              "9. Case studies"]


@pytest.fixture(scope="module")
def zh():
    from impact.report.province import province_report

    return province_report(2024, "zh")


@pytest.fixture(scope="module")
def en():
    from impact.report.province import province_report

    return province_report(2024, "en", figures=False)


@pytest.fixture(scope="module")
def complete():
    """The report once the evaluator has entered targets, values and grades and a survey exists."""
    from impact.evaluation import evaluate, load_data
    from impact.report.province import province_report

    data = load_data(satisfaction=_survey())
    sheet = _sheet(evaluate("province", 2024, data=data))
    return province_report(2024, "zh", figures=False, sheet=sheet, satisfaction=_survey())


def _page(rep) -> str:
    return "\n".join([rep.header_html(), rep.section("outline").to_html(), rep.section("appendix").to_html()])


def _chapter(rep, k: int) -> list:
    """Blocks of the k-th level-1 chapter (0-based)."""
    out, i = [], -1
    for b in rep.document.blocks:
        if isinstance(b, Heading) and b.level == 1:
            i += 1
            continue
        if i == k:
            out.append(b)
    return out


def _text(blocks) -> str:
    return "\n".join(getattr(b, "text", "") for b in blocks)


def _scoring(rep) -> pd.DataFrame:
    tabs = [b for b in rep.document.blocks if isinstance(b, Table) and b.caption.startswith(("表3", "Table 3"))]
    assert len(tabs) == 1
    return tabs[0].frame


def _recompute(frame: pd.DataFrame, *, score: str, first: str, note: str, total_label: str) -> tuple[float, str, str]:
    """Sum the printed scores; return (sum of rows, printed total, printed grade note)."""
    body = frame[frame[first] != total_label]
    tot = frame[frame[first] == total_label]
    assert len(tot) == 1
    points = [float(s) for s in body[score] if re.fullmatch(r"\d+(\.\d+)?", str(s))]
    return round(sum(points), 2), str(tot[score].iloc[0]), str(tot[note].iloc[0])


def test_outline_headings_in_order(zh, en):
    assert zh.document.headings(1) == OUTLINE_ZH
    assert en.document.headings(1) == OUTLINE_EN
    for rep, heads in ((zh, OUTLINE_ZH), (en, OUTLINE_EN)):
        html = rep.section("outline").to_html()
        pos = [html.find(f">{h}<") for h in heads]
        assert -1 not in pos and pos == sorted(pos), pos


def test_background_states_the_article_facts_with_quotes(zh):
    from impact.registry import province_facts

    bg = _chapter(zh, 0)
    text = _text(bg)
    assert "云社同心·益滇有你" in text
    facts = province_facts()
    for fid in ("F001", "F003", "F005", "F006", "F007", "F008", "F009", "F010"):  # 3000余万, 27, 昭通, 大理
        assert f"（{fid}）" in text, fid
        assert facts.loc[facts["fact_id"] == fid, "quote"].iloc[0] in text  # the quote is shown
    assert "昭通市合计（涉及11县）：28个（F005）、27个（F006）、51家（F007）、11个（F008）" in text
    assert "24家（F009）、12个（F010）" in text
    assert any(isinstance(b, Figure) for b in bg)  # the maps sit in 基本情况


def test_social_organisation_funds_leave_the_enterprise_out(zh):
    from impact.fmt import money
    from impact.registry import funds_total

    from impact.evaluation import load_data

    r = load_data().registry
    facts = r["facts"].assign(value=pd.to_numeric(r["facts"]["value"], errors="coerce"))
    local = facts[facts["scope"].isin(["program", "county"])]
    so = funds_total(local, include="social_organizations", programs=r["programs"], organizations=r["organizations"])
    everything = funds_total(local, include="all", programs=r["programs"], organizations=r["organizations"])
    assert everything.value - so.value == pytest.approx(3_000_000)  # the 执行会长企业's 300万
    text = _text(_chapter(zh, 0))
    assert f"社会组织资金（不含企业资金300万元）合计 {money(so.value, lang='zh')}" in text
    assert "不属于社会组织资金" in text


def test_results_come_from_designs_that_exist(zh, en):
    from impact.design import DESIGNS

    for rep, lang in ((zh, "zh"), (en, "en")):
        text = _text(_chapter(rep, 5))
        est = rep.tables["estimates"]
        assert set(est["design"]) == {"program_exposure", "wave_timing"}
        for key in set(est["design"]):
            assert DESIGNS[key].sentence(lang) in text  # the design named, with its assumption
        for _, r in est.iterrows():  # each estimate has a significance sentence from its p-value
            word = ("不显著" if r["p_value"] >= 0.05 else "统计显著") if lang == "zh" else (
                "Not statistically significant" if r["p_value"] >= 0.05 else "Statistically significant")
            assert word in text
        page = _page(rep)
        assert "从未结对" not in page and "never paired" not in page.lower() and "never-treated" not in page.lower()


def test_pages_pass_the_text_check(zh, en):
    from impact.pagecheck import text_problems

    assert text_problems(_page(zh), lang="zh") == []
    assert text_problems(_page(en), lang="en") == []


def test_scoring_table_total_and_grade_recompute_from_the_table(zh, complete):
    # as shipped: unscored indicators leave the grade pending, and the table says how many
    f = _scoring(zh)
    total, printed, note = _recompute(f, score="得分", first="一级指标", note="偏差原因/说明", total_label="合计")
    assert printed == f"{total:.2f}"
    n_unscored = int((f["得分"] == "未评分").sum())
    assert n_unscored > 0 and note == f"{n_unscored} 项未评分，等级待定"
    assert f"尚有 {n_unscored} 项指标" in _text(_chapter(zh, 3))
    # completed by the evaluator: every row scored, the grade follows from the summed rows
    f = _scoring(complete)
    assert not (f["得分"] == "未评分").any()
    total, printed, note = _recompute(f, score="得分", first="一级指标", note="偏差原因/说明", total_label="合计")
    assert printed == f"{total:.2f}"
    assert note == f"等级：{grade_of(total)}"
    assert f"综合得分 {total:.2f} 分，评价等级为“{grade_of(total)}”" in _text(_chapter(complete, 3))


def _docx_table_frame(table) -> pd.DataFrame:
    rows = [[c.text for c in r.cells] for r in table.rows]
    return pd.DataFrame(rows[1:], columns=rows[0])


def test_word_file_holds_headings_tables_images_and_the_scoring_table(tmp_path, zh, complete):
    import docx

    from impact.report.docx import render_docx

    out = render_docx(zh.document, tmp_path / "province.docx")
    d = docx.Document(str(out))
    heads = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
    assert heads == OUTLINE_ZH
    assert len(d.tables) >= 5 and len(d.inline_shapes) >= 3  # scoring, targets, league, ...; maps and charts
    scoring = [t for t in d.tables if t.rows[0].cells[0].text == "一级指标" and "得分" in
               [c.text for c in t.rows[0].cells] and len(t.rows) > 10]
    assert len(scoring) == 1
    f = _docx_table_frame(scoring[0])
    total, printed, _ = _recompute(f, score="得分", first="一级指标", note="偏差原因/说明", total_label="合计")
    assert printed == f"{total:.2f}"
    # the completed report: the grade in Word follows from the Word table's own rows
    d = docx.Document(str(render_docx(complete.document, tmp_path / "complete.docx")))
    t = [t for t in d.tables if t.rows[0].cells[0].text == "一级指标" and len(t.rows) > 10][0]
    total, printed, note = _recompute(_docx_table_frame(t), score="得分", first="一级指标", note="偏差原因/说明",
                                      total_label="合计")
    assert printed == f"{total:.2f}" and note == f"等级：{grade_of(total)}"
    footer_xml = d.sections[0].footer._element.xml
    assert "PAGE" in footer_xml  # page numbers


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_word_file_converts_with_libreoffice(tmp_path, zh):
    from impact.report.docx import render_docx

    out = render_docx(zh.document, tmp_path / "province.docx")
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(out)],
                   check=True, capture_output=True, timeout=300)
    pdf = tmp_path / "province.pdf"
    assert pdf.is_file() and pdf.stat().st_size > 50_000
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
        assert 8 <= pages <= 40, pages


def test_cli_writes_the_province_docx_beside_the_html(tmp_path):
    import docx
    from click.testing import CliRunner

    from impact.cli import cli

    res = CliRunner().invoke(cli, ["report", "province", "--year", "2024", "--format", "docx",
                                   "--reports-dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    html = sorted((tmp_path / "2024" / "province").glob("*.html"))
    assert len(html) == 1
    out = html[0].with_suffix(".docx")
    assert out.is_file() and f"docx: {out}" in res.output
    heads = [p.text for p in docx.Document(str(out)).paragraphs if p.style.name == "Heading 1"]
    assert heads == OUTLINE_ZH
