"""Generated county pages: provenance, labelled shared facts, inference wording, English names.

Each page is the report's header and sections as the notebook shows them
(:meth:`CountyReport.header_html`, :meth:`Section.to_html`), checked by
:func:`impact.pagecheck.text_problems`; one test runs the real CLI for 景谷 in both
languages and checks the written HTML files.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
from functools import lru_cache

import pandas as pd
import pytest

from impact import config, pagecheck
from impact.report.county import CountyReport, county_report
from impact.report.inputs import Inputs
from impact.report.render import fig_png, mark_zh
from impact.report.tables import indicator_table

needs_data = pytest.mark.skipif(not (config.DATA_PROCESSED / "manifest.json").is_file(),
                                reason="processed data not built (impact data build)")

SAMPLE = ("530824", "532627", "530625", "530627", "530828", "532625", "532623", "532523", "530102")


@lru_cache(maxsize=None)
def _report(code: str, lang: str) -> CountyReport:
    return county_report(code, 2024, lang, figures=False)


def _page(rep: CountyReport) -> str:
    return rep.header_html() + "\n".join(s.to_html() for s in rep.sections.values() if s is not None)


def _text(page: str) -> str:
    page = re.sub(r"<(style|script)[^>]*>.*?</\1>", "", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", page)


@needs_data
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("code", SAMPLE)
def test_sample_pages_have_no_text_problems(code, lang):
    page = _page(_report(code, lang))
    problems = pagecheck.text_problems(page, lang=lang, file=f"{code}.{lang}")
    assert not problems, [(p.kind, p.text[:60]) for p in problems]
    assert "<NA>" not in _text(page) and "nan" not in _text(page).split()


@needs_data
@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_all_county_pages_have_no_text_problems(lang):
    from impact.geo import county_table

    bad = {}
    for code in county_table()["county_code"].astype(str):
        page = _page(county_report(code, 2024, lang, figures=False))
        problems = pagecheck.text_problems(page, lang=lang, file=code)
        if problems:
            bad[code] = [(p.kind, p.text[:40]) for p in problems[:3]]
    assert not bad, bad


@needs_data
def test_shared_facts_are_labelled_never_the_countys_own():
    """镇雄's 137 child directors and 650万 belong to the 阿优 project in 5 counties."""
    rep = _report("530627", "zh")
    facts = rep.tables["facts"]
    shared = facts[~facts["own"].astype(bool)]
    assert {"F058", "F057"} <= set(shared["fact_id"])
    assert (shared.loc[shared["fact_id"] == "F058", "label_zh"] == "全项目合计（涉及5县）").all()
    summary = " ".join(rep.summary)
    assert "原文记载投入本县的帮扶资金" not in summary  # no own fund fact
    assert "全项目合计（涉及5县）" in summary and "不是本县单独的投入" in summary
    shown = _text(rep.section("child_protection").to_html())  # the program's facts, each labelled
    assert "全项目合计（涉及5县）" in shown and "本县" in shown
    appendix = _text(rep.section("appendix").to_html())  # not repeated in the appendix
    assert "全项目合计（涉及5县）" not in appendix and "昭通市合计（涉及11县）" in appendix
    assert rep.headlines()["funds_yuan"][0] is None


@needs_data
def test_organization_count_empty_when_the_article_names_none():
    assert _report("530102", "zh").headlines()["organizations"][0] == "原文未点名组织"
    assert _report("530102", "en").headlines()["organizations"][0] == "none named in the article"
    assert _report("530824", "zh").headlines()["organizations"][0] == 2


@needs_data
def test_one_post_period_synthetic_control_is_not_narrated_as_an_effect():
    rep = _report("530824", "zh")
    syn = rep.tables["synth"]
    assert rep.tables["n_post"] == 1 and int(syn["cohort"].iloc[0]) == 2024
    text = _text(rep.section("causal").to_html())
    assert "不能解读为项目效应" in text and "结对后只有1期数据" in text
    assert "synth_effect" not in rep.headlines()
    assert "平行趋势假设较为可信" not in text  # the pre-trend sentence follows the estimates


@needs_data
def test_simulated_values_marked_inline_and_sections_name_their_sources():
    rep = _report("530824", "zh")
    ag = rep.section("agriculture")
    assert ag.simulated and "simulated" in ag.sources and "article" in ag.sources
    html = ag.to_html()
    assert "【模拟】" in html and "本部分数据来源：文章原文、模拟数据。" in html
    exp = rep.section("exposure")
    assert exp.sources == ["article"] and not exp.simulated
    en = _report("530824", "en").section("agriculture").to_html()
    assert "[simulated]" in en and "Data used in this part: the article, simulated data." in en


@needs_data
def test_sections_follow_the_data_not_the_template():
    """永善 (vegetable association only) gets no health section; 五华 no program table."""
    ys = _report("530625", "zh")
    assert ys.section("health") is None
    ind = ys.tables["indicators"]
    for sector in ("agriculture", "health", "child_protection", "elderly_care"):
        has = not ind.empty and bool(ind.loc[ind["sector"] == sector, "estimate"].notna().any())
        if has:
            assert ys.section(sector) is not None, sector


@needs_data
def test_english_pages_romanise_names_and_mark_chinese():
    rep = _report("530824", "en")
    page = _page(rep)
    assert "Jinggu Dai and Yi Autonomous County" in rep.title()
    assert '<span lang="zh">景谷傣族彝族自治县</span>' in page
    assert "Pu'er" in html.unescape(page)
    # every Chinese character of the page is inside a lang="zh" element
    stripped = re.sub(r'<span lang="zh">[^<]*</span>', "", page)
    assert not re.search(r"[\u4e00-\u9fff]", _text(stripped))


@needs_data
def test_header_has_contents_and_link_back():
    rep = _report("530625", "zh")
    head = rep.header_html()
    assert 'href="../index.html"' in head
    for key, sec in rep.sections.items():
        assert (f'href="#sec-{key}"' in head) == (sec is not None)
    assert "@page{size:A4" in head


def test_mark_zh_wraps_runs_of_chinese_only():
    out = mark_zh("<p>Jinggu (景谷县) has 3 programs, 2 in 医疗卫生。</p><img alt=\"景谷\">")
    assert out == ('<p>Jinggu (<span lang="zh">景谷县</span>) has 3 programs, 2 in '
                   '<span lang="zh">医疗卫生。</span></p><img alt="景谷">')


def test_simulated_chart_carries_a_stamp():
    import matplotlib.pyplot as plt

    def fig():
        f, ax = plt.subplots(figsize=(3, 2))
        ax.plot([0, 1], [0, 1])
        return f

    plain, stamped = fig_png(fig()), fig_png(fig(), simulated=True)
    assert plain != stamped
    f = fig()
    fig_png(f, simulated=True, lang="en")
    assert any("SIMULATED" in t.get_text() for t in f.texts)
    plt.close("all")


@needs_data
def test_simulated_flag_follows_the_rows_of_each_county():
    """One county's plot trials relabelled as the user's, the others simulated: only those are flagged."""
    trials = pd.read_parquet(config.DATA_PROCESSED / "plot_trials_simulated.parquet")
    codes = sorted(trials["county_code"].astype(str).unique())
    assert len(codes) >= 2
    user = codes[0]
    trials = trials.assign(source=trials["source"].astype(str).where(trials["county_code"].astype(str) != user,
                                                                    "user"))
    inputs = Inputs(counties=pd.DataFrame(), registry={}, data={"plot_trials": trials},
                    simulated={"plot_trials": True}, files={})
    assert not inputs.is_simulated("plot_trials", user) and inputs.is_simulated("plot_trials", codes[1])
    assert inputs.sources("plot_trials", user) == ["user"]
    tab = indicator_table(inputs, 2024)
    flags = tab.groupby("county_code")["simulated"].all()
    assert set(flags.index) == set(codes)
    assert not flags[user] and all(flags[c] for c in codes[1:])


@needs_data
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cli_page_for_jinggu(tmp_path, lang):
    out = tmp_path / lang
    res = subprocess.run([sys.executable, "-m", "impact", "report", "county", "景谷县", "--year", "2024",
                          "--lang", lang, "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    (page,) = out.glob("*.html")
    html = page.read_text(encoding="utf-8")
    problems = pagecheck.text_problems(html, lang=lang, file=page.name)
    assert not problems, [(p.kind, p.text[:60]) for p in problems]
    assert html.count("data:image/png;base64,") >= 3


def test_index_links_workbook_and_notebook_and_formats_money(tmp_path):
    import json

    from impact.report.index import render_index
    from impact.report.jobs import year_dir
    from urllib.parse import quote

    ydir = year_dir(2024, tmp_path)
    (ydir / "counties").mkdir(parents=True)
    (ydir / ".state").mkdir(parents=True)
    stem = "530824_景谷傣族彝族自治县"
    for ext in ("html", "xlsx", "ipynb"):
        (ydir / "counties" / f"{stem}.{ext}").write_text("x", encoding="utf-8")
    state = {"kind": "county", "key": "530824", "lang": "zh", "status": "ok",
             "outputs": {"html": f"{stem}.html", "xlsx": f"{stem}.xlsx", "ipynb": f"{stem}.ipynb"},
             "headlines": {"funds_yuan": {"value": 2670000.0, "label": "本县资金", "unit": "元"},
                           "organizations": {"value": "原文未点名组织", "label": "组织数", "unit": None}}}
    (ydir / ".state" / f"{stem}.json").write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    page = render_index(2024, root=tmp_path)
    assert f'href="counties/{quote(stem)}.xlsx"' in page
    assert ".ipynb" in page and "Notebook" in page
    assert "267万元" in page and "2,670,000" not in page
    assert "原文未点名组织" in page
    problems = pagecheck.text_problems(page, lang="zh", file="index.html")  # English beside is marked lang="en"
    assert not problems, [(p.kind, p.text) for p in problems]


@needs_data
def test_simulated_figures_shown_beside_the_articles_counterpart():
    """景谷's simulated saving per patient next to the article's 约6万元 with its quote; 广南's yield
    gain next to the project-wide 20%; 镇雄's children served next to the project's 1815."""
    from impact.counterparts import COUNTERPARTS

    jg = _text(_report("530824", "zh").section("health").to_html())
    assert "原文数字：约6万元（本县），原文：“每人平均可节省约6万元”" in jg
    assert "原文数字" in jg.split("样本量")[0]  # a column of the indicator table
    gn = " ".join(_report("532627", "zh").summary)
    assert "原文数字：20%（全项目合计（涉及3县）），原文：“亩产增加20%”" in gn
    zx = _text(_report("530627", "zh").section("child_protection").to_html())
    assert "原文数字：1815名（全项目合计（涉及5县））" in zx
    en = _text(_report("530824", "en").section("health").to_html())
    assert "The article's figure: about CNY 60,000 (this county)" in html.unescape(en)
    # every simulated headline row with a counterpart in the county's facts shows it
    for code in SAMPLE:
        rep = _report(code, "zh")
        ind, facts = rep.tables["indicators"], rep.tables["facts"]
        for cp in COUNTERPARTS:
            rows = ind[(ind["term"] == cp.term) & (ind["sector"] == cp.sector) & ind["estimate"].notna()] \
                if not ind.empty else ind
            if cp.program_id:
                rows = rows[rows["program_id"] == cp.program_id]
            has_fact = not facts.empty and (facts["measure"] == cp.measure).any()
            sec = rep.section(cp.sector)
            if len(rows) and has_fact and sec is not None:
                assert "原文数字" in _text(sec.to_html()), (code, cp.term)


@needs_data
def test_english_organisation_kind_never_blank_or_chinese():
    page = html.unescape(_page(_report("530824", "en")))
    assert "Organisation (<span" not in page and "Organisation (云" not in page
    assert "Trade association (<span lang=\"zh\">云南省医院协会</span>)" in page


def test_organisation_without_kind_says_so():
    from impact.romanize import organization_en
    from impact.report.county import kind_text

    assert organization_en("某协会", None) == "Organisation, kind not given (某协会)"
    assert organization_en("某协会", pd.NA) == "Organisation, kind not given (某协会)"
    assert kind_text(pd.NA, "zh") == "类型未说明" and kind_text(None, "en") == "kind not given"
    assert kind_text("enterprise", "en") == "Enterprise"


@needs_data
@pytest.mark.parametrize(("code", "lang", "title", "absent"), [
    ("530625", "zh", "农业：蔬菜产业与农户增收", "良种"),
    ("530625", "en", "Agriculture: vegetable industry; household income", "seed"),
    ("532627", "zh", "农业：良种推广与亩产增幅、农户增收", "蔬菜"),
    ("530824", "zh", "医疗：医院结对帮扶与患者就医费用节省", "出生缺陷"),
])
def test_sector_titles_follow_the_countys_programs(code, lang, title, absent):
    rep = _report(code, lang)
    sector = "health" if title.startswith("医疗") else "agriculture"
    assert rep.section(sector).title == title
    assert absent not in rep.header_html().split("</nav>")[0].split('class="toc"')[1]


def test_sector_title_from_programs_and_indicators():
    from impact.report.domains import sector_title

    progs = pd.DataFrame({"sector": ["agriculture", "health"], "program": ["某蔬菜项目", "义诊"],
                          "organization": ["某协会", "某基金会"]})
    ind = pd.DataFrame({"sector": ["agriculture"], "indicator": ["income_increase"], "estimate": [1.0]})
    assert sector_title("agriculture", progs, ind, "zh") == "农业：蔬菜产业与农户增收"
    assert sector_title("health", progs, ind, "zh") == "医疗：患者就医费用节省"  # no domain, no indicator
    seeds = progs.assign(program=["好种兴万村", "义诊"])
    assert "良种" in sector_title("agriculture", seeds, ind, "zh")
    assert "蔬菜" not in sector_title("agriculture", seeds, ind, "en").lower()


def test_outcome_that_the_programs_do_not_aim_at_is_said():
    from impact.report.domains import outcome_mismatch

    veg = pd.DataFrame({"sector": ["agriculture"], "program": ["蔬菜行业协会对口帮扶"], "organization": ["某协会"]})
    seeds = veg.assign(program=["好种兴万村"])
    assert outcome_mismatch(veg, "agriculture", "grain_yield") == ["vegetables"]
    assert outcome_mismatch(seeds, "agriculture", "grain_yield") == []
    assert outcome_mismatch(veg.assign(program=["某项目"]), "agriculture", "grain_yield") == []  # domain unknown


@needs_data
@pytest.mark.parametrize(("code", "lang", "said"), [
    ("530824", "zh", "本县农业产业项目为蔬菜产业"),  # 景谷: vegetables, estimate on grain yield
    ("530824", "en", "vegetable industry"),
])
def test_causal_section_says_when_its_outcome_is_not_the_programs_aim(code, lang, said):
    sec = _report(code, lang).section("causal")
    assert sec is not None
    text = " ".join(sec.paragraphs)
    assert said in text
    assert ("粮食单产" if lang == "zh" else "grain yield") in text


@needs_data
def test_english_evaluation_background_romanises_places_and_translates_kinds():
    from impact.evaluation.document import Paragraph

    doc = _report("530625", "en").sections["evaluation"].document
    text = next(b.text for b in doc.blocks if isinstance(b, Paragraph) and "three-year action" in b.text)
    assert text.startswith("Yongshan County (Zhaotong)")
    assert "Trade association (云南省蔬菜行业协会)" in text
