"""Tests of impact.pagecheck: the checker later pointed at every generated report page."""

from __future__ import annotations

import pytest

from impact.errors import ImpactError
from impact.pagecheck import check_pages, page_text, text_problems

CLEAN_ZH = """<!doctype html><html lang="zh"><head><title>x</title><style>.a{color:red}</style></head>
<body><h1>景谷傣族彝族自治县帮扶成效报告（2024年）</h1>
<p>有2家社会组织与景谷结对帮扶。合成控制估计：p = 0.143，在5%显著性水平下不显著。</p>
<p>95%置信区间 [-0.050, -0.001]；资金2.31亿元；受益1,815人。方法：Callaway–Sant'Anna；TWFE 对照。</p>
<table><tr><th>文件</th></tr><tr><td>data/raw/registry/facts.csv</td><td>county_panel_simulated.parquet</td></tr></table>
<script>var debug_value = "amity_medical: 0 fund figure(s)"; var x = null;</script>
<pre>print(fund_facts(facts))</pre>
<p lang="en">Source quote (English) kept on purpose</p>
<span title="原文：云南省医院协会与巧家县……">15县</span>
</body></html>"""


def test_clean_chinese_page_passes():
    assert text_problems(CLEAN_ZH, lang="zh") == []


@pytest.mark.parametrize(
    ("snippet", "kind"),
    [
        ("<p>amity_medical: 0 fund figure(s), 3 beneficiary figure(s)</p>", "debug"),
        ("<p>benefit_cost: no county has both funds and beneficiaries</p>", "debug"),
        ("<td>mean patient cost, t interval</td>", "english"),
        ("<td><NA></td>", "missing"),
        ("<td>&lt;NA&gt;</td>", "missing"),
        ("<td>nan</td>", "missing"),
        ("<td>NaN</td>", "missing"),
        ("<td>None</td>", "missing"),
        ("<p>出现 Traceback (most recent call last) 错误</p>", "debug"),
        ("<p>RuntimeWarning: divide by zero</p>", "debug"),
        ("<p>结果 dtype: float64</p>", "debug"),
        ("<p>图 <matplotlib.figure.Figure object at 0x7f3a2c></p>", "debug"),
        ("<p>指标 cost_per_beneficiary 见下表</p>", "identifier"),
        ('<span title="<NA>">原文</span>', "missing"),
    ],
)
def test_each_defect_is_found(snippet, kind):
    html = f'<html lang="zh"><body><p>正文。</p>{snippet}</body></html>'
    kinds = {p.kind for p in text_problems(html, lang="zh")}
    assert kind in kinds, (snippet, kinds)


def test_english_page_allows_prose_but_not_debug_or_na():
    ok = '<html lang="en"><body><p>The registry records no program in the county.</p></body></html>'
    assert text_problems(ok, lang="en") == []
    bad = '<html lang="en"><body><p>benefit_cost: no county has both</p><td>&lt;NA&gt;</td></body></html>'
    kinds = {p.kind for p in text_problems(bad, lang="en")}
    assert {"debug", "missing"} <= kinds and "english" not in kinds


def test_short_latin_terms_are_not_english_prose():
    html = '<html lang="zh"><body><p>p值 0.143；RMSPE 为 12；SHA-256；Excel 工作簿；CNY；95% CI</p></body></html>'
    assert text_problems(html, lang="zh") == []


def test_allow_list():
    html = '<html lang="zh"><body><p>方法来自 Abadie and Gardeazabal 的论文。</p></body></html>'
    assert [p.kind for p in text_problems(html, lang="zh")] == ["english"]
    assert text_problems(html, lang="zh", allow=[r"Abadie and Gardeazabal"]) == []


def test_words_containing_none_or_nan_are_fine():
    html = '<html lang="zh"><body><p>Nanjian 南涧；nonexistent_file.csv；Ning\'er</p></body></html>'
    assert [p for p in text_problems(html, lang="zh") if p.kind == "missing"] == []


def test_page_text_skips_scripts_and_keeps_attributes():
    text, attrs = page_text(CLEAN_ZH)
    assert "amity_medical" not in text and "print(" not in text
    assert "景谷傣族彝族自治县" in text
    assert any("云南省医院协会" in a for a in attrs)


def test_problem_carries_file_and_context(tmp_path):
    zh = tmp_path / "jinggu.zh.html"
    en = tmp_path / "jinggu.en.html"
    zh.write_text('<html lang="zh"><body><p>概览 benefit_cost: no county has both</p></body></html>', encoding="utf-8")
    en.write_text('<html lang="en"><body><p>Fine English text here.</p></body></html>', encoding="utf-8")
    found = check_pages([zh, en])
    assert found and all(p.file == str(zh) for p in found)
    assert "benefit_cost" in str(found[0]) or any("benefit_cost" in p.context for p in found)


def test_bad_lang():
    with pytest.raises(ImpactError, match="lang"):
        text_problems("<p></p>", lang="fr")


def test_english_page_chinese_only_beside_english_or_marked():
    ok = ('<html lang="en"><body><p>Jinggu Dai and Yi Autonomous County (景谷傣族彝族自治县) is paired with '
          'Trade association (云南省医院协会).</p><td lang="zh">云南省医院协会与巧家县……建立了结对帮扶关系。</td>'
          '</body></html>')
    assert text_problems(ok, lang="en") == []
    bad = '<html lang="en"><body><p>Social organizations paired with 景谷县: 2.</p></body></html>'
    found = text_problems(bad, lang="en")
    assert [(p.kind, p.text) for p in found] == [("chinese", "景谷县")]
    # a Chinese page may of course be Chinese
    assert text_problems('<html lang="zh"><body><p>景谷县</p></body></html>', lang="zh") == []


def test_english_page_flags_chinese_only_table_cells():
    head = '<html lang="en"><body><table><tr><th>Program</th><th>What was delivered</th><th>Source quote (Chinese)</th></tr>'
    ok = head + ('<tr><td>Health program (<span lang="zh">医院</span>)</td><td>Training (the project’s translation; '
                 'the article: <span lang="zh">学术培训</span>)</td><td><span lang="zh">原文引文</span></td></tr></table></body></html>')
    assert text_problems(ok, lang="en") == []
    bad = head + ('<tr><td>Health program (<span lang="zh">医院</span>)</td><td><span lang="zh">学术培训、科室指导</span></td>'
                  '<td><span lang="zh">原文引文</span></td></tr></table></body></html>')
    found = text_problems(bad, lang="en")
    assert [(p.kind, p.text) for p in found] == [("chinese_cell", "学术培训、科室指导")]
    assert "What was delivered" in found[0].context
    zh = text_problems(bad.replace('lang="en"', 'lang="zh"'), lang="zh")
    assert not [p for p in zh if p.kind == "chinese_cell"]  # Chinese pages: Chinese is fine


def test_notebook_stderr_output_is_debug():
    page = ('<html lang="zh"><body><p>报告</p><div class="jp-RenderedText" data-mime-type="application/vnd.jupyter.stderr">'
            '<pre>/work/x/staggered.py:94: DesignWarning: no comparison units</pre></div></body></html>')
    assert ("debug", "notebook stderr output") in [(p.kind, p.text) for p in text_problems(page, lang="zh")]
