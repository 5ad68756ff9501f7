"""Tests of impact.report.excel: workbooks read back with openpyxl."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from impact import config
from impact.report import excel

DANGEROUS = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\r=1"]


def _tables() -> dict[str, pd.DataFrame]:
    facts = pd.DataFrame({
        "fact_id": ["F001", "F002", "F003"],
        "measure": ["funds", "people", "text"],
        "value": [231_000_000.0, 1815.0, 32_097.46],
        "county_code": pd.array(["530824", "053001", pd.NA], dtype="string"),
        "quote": ["=1+1", "正常文本", "-0.05 注意"],
        "year": [2024, 2023, 2022],
    })
    est = pd.DataFrame({"term": ["att", "att"], "estimate": [0.1234, -0.05], "p_value": [0.143, 0.0004],
                        "n": np.array([129, 120], dtype="int64"), "conf_low": [-0.2, -0.1],
                        "conf_high": [0.3, np.nan]})
    weird = pd.DataFrame({"note": DANGEROUS, "number": [-1, -2.5, 3, 4, 5, 6]})
    return {"facts": facts, "indicators": est, "free/text:sheet": weird}


@pytest.fixture()
def book_zh(tmp_path):
    path = tmp_path / "r.xlsx"
    params = {"county": "景谷", "lang": "zh", "data_dir": str(config.ROOT / "data" / "processed"),
              "out": "/home/someone/secret/reports/x.html"}
    excel.write_workbook(_tables(), path, title="景谷帮扶成效报告", parameters=params)
    return load_workbook(path)


def test_chinese_sheet_names_and_headers(book_zh):
    assert book_zh.sheetnames[:3] == ["说明", "原文事实", "成效指标"]
    ws = book_zh["原文事实"]
    headers = [c.value for c in ws[1]]
    assert headers == ["事实编号", "指标", "数值", "县级代码", "原文", "年份"]
    assert [c.value for c in book_zh["成效指标"][1]][:3] == ["项", "估计值", "p值"]


def test_english_sheet_names_and_headers(tmp_path):
    path = tmp_path / "r.xlsx"
    excel.write_workbook(_tables(), path, title="Jinggu", parameters={"lang": "en"})
    wb = load_workbook(path)
    assert wb.sheetnames[:3] == ["About", "Article facts", "Indicators"]
    assert [c.value for c in wb["Article facts"][1]][:3] == ["Fact ID", "Measure", "Value"]
    assert [c.value for c in wb["About"][1]] == ["Item", "Value"]


def test_no_formula_cells_and_injection_neutralised(book_zh):
    for ws in book_zh.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str) and c.value[:1] in ("=", "+", "-", "@", "\t", "\r"):
                    assert c.quotePrefix, (ws.title, c.coordinate, c.value)
    ws = book_zh.worksheets[3]
    # text kept exactly (openpyxl does not decode OOXML's _xHHHH_ escape of control characters; Excel does)
    assert [unescape(ws.cell(row=i, column=1).value) for i in range(2, 8)] == DANGEROUS
    # numbers stay numbers, negative ones too
    assert [ws.cell(row=i, column=2).value for i in range(2, 5)] == [-1, -2.5, 3]
    assert ws.cell(row=2, column=2).data_type == "n" and not ws.cell(row=2, column=2).quotePrefix


def test_text_is_text_codes_keep_leading_zeros(book_zh):
    ws = book_zh["原文事实"]
    assert ws["D2"].value == "530824" and ws["D2"].data_type == "s"
    assert ws["D3"].value == "053001"
    assert ws["D4"].value is None  # missing is empty, never "<NA>" or "nan"


def test_number_formats(book_zh):
    facts, est = book_zh["原文事实"], book_zh["成效指标"]
    assert facts["C2"].number_format == "#,##0"  # money to the yuan, no fen
    assert facts["C4"].value == pytest.approx(32_097.46)  # the value itself is kept exactly
    assert facts["F2"].number_format == "0"  # years without a separator
    assert est["B2"].number_format == "#,##0.00"
    assert est["C2"].number_format == "0.000"
    assert est["D2"].number_format == "#,##0" and est["D2"].value == 129
    assert est["F3"].value is None


def test_frozen_header_widths_and_filter(book_zh):
    for ws in book_zh.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws["A1"].font.bold
    ws = book_zh["原文事实"]
    assert ws.auto_filter.ref == "A1:F4"
    widths = {k: d.width for k, d in ws.column_dimensions.items()}
    assert all(8 <= w <= excel.MAX_WIDTH for w in widths.values())
    assert widths["E"] >= excel.display_width("-0.05 注意")  # CJK text gets room


def test_about_sheet_has_no_local_paths(book_zh):
    ws = book_zh["说明"]
    text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    assert str(config.ROOT) not in text and "/home/someone" not in text
    assert "data/processed" in text and "x.html" in text
    assert "景谷帮扶成效报告" in text and "原文事实" in text


def test_sheet_names_are_valid_and_unique():
    names = excel.sheet_names(["a" * 40, "a" * 40, "x/y", "about", "说明"], lang="zh")
    assert all(len(n) <= 31 for n in names) and len({n.lower() for n in names}) == 5
    assert "x_y" in names and "about" not in names and "说明" not in names
    assert excel.sheet_names(["facts"], lang="en") == ["Article facts"]


def test_neutralise_text_for_csv():
    assert excel.neutralise_text("=1+1") == "'=1+1"
    assert excel.neutralise_text("@x") == "'@x"
    assert excel.neutralise_text("正常") == "正常"
    assert excel.neutralise_text(-3) == -3  # numbers are not text


def test_number_format_rules():
    assert excel.number_format("value", [1.5, 2000.25]) == "#,##0"
    assert excel.number_format("value", [1.5, 2.25]) == "#,##0.00"
    assert excel.number_format("value", [1, 2, None]) == "#,##0"
    assert excel.number_format("name", ["a", 1]) is None


def test_bad_lang(tmp_path):
    from impact.errors import ImpactError

    with pytest.raises(ImpactError, match="lang"):
        excel.write_workbook({}, tmp_path / "x.xlsx", lang="fr")


def test_codes_become_words(tmp_path):
    df = pd.DataFrame({"kind": ["trade_association", "enterprise", "unknown_kind"], "sector": ["health", "other", None],
                       "unit": ["yuan/patient", "percent", "ratio"], "qualifier": ["more_than", "exact", "x"],
                       "org_id": ["yn_hospital_assoc", "honghe_phosphorus", "a_b"]})
    for lang, want in (("zh", ["行业协会", "医疗卫生", "元/人", "超过", "yn_hospital_assoc"]),
                       ("en", ["Trade association", "Health", "yuan per patient", "more than", "yn_hospital_assoc"])):
        path = tmp_path / f"{lang}.xlsx"
        excel.write_workbook({"orgs": df}, path, lang=lang)
        ws = load_workbook(path).worksheets[1]
        assert [c.value for c in ws[2]] == want
        assert ws["A3"].value == ("企业" if lang == "zh" else "Enterprise")
        assert ws["A4"].value == "unknown_kind"  # unknown codes are kept, not dropped
        assert ws["D3"].value == ("准确" if lang == "zh" else "exact")
        assert ws["C4"].value == "ratio"
