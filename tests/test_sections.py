"""Report content: i18n, figures, and the section functions on the real registry and simulated data.

Numbers are checked against independent computations from the raw CSV/Parquet files
(plain pandas, not the section code), section omission and escaping against modified
copies of the registry, and figures for missing CJK glyphs.
"""

from __future__ import annotations

import re
import shutil
import string
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from impact.registry import beneficiary_facts, fund_facts
import pytest
from numpy.testing import assert_allclose

from impact import config, i18n
from impact.report.cache import cache_dir, precompute, read_cache
from impact.report.causal import SYNTH_DONORS
from impact.report.county import county_report
from impact.report.inputs import load_inputs
from impact.report.province import league_from_facts, reconcile_totals
from impact.report.render import Section, data_hashes, fig_png
from impact.report.tables import compute_tables, exposure_tables

REG = config.REGISTRY_DIR
SIM = config.SIMULATED_DIR

needs_registry = pytest.mark.skipif(not (REG / "programs.csv").is_file(), reason="registry not built yet")
needs_sim = pytest.mark.skipif(not (SIM / "patients_simulated.parquet").is_file(), reason="no simulated data")


def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(REG / f"{name}.csv", dtype=str, keep_default_na=False).replace("", np.nan)


# ----------------------------------------------------------------------------- i18n


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        (231_000_000, "2.31亿", "231,000,000"),
        (30_000_000, "3000万", "30,000,000"),
        (60_000, "6万", "60,000"),
        (12_345, "1.23万", "12,345"),
        (1815, "1815", "1,815"),
        (0.153, "0.15", "0.15"),
        (-45_000, "-4.5万", "-45,000"),
        (float("nan"), "—", "—"),
        (None, "—", "—"),
    ],
)
def test_fmt_number(value, zh, en):
    assert i18n.fmt_number(value, "zh") == zh
    assert i18n.fmt_number(value, "en") == en


def test_fmt_quantity_keeps_qualifier_and_unit():
    assert i18n.fmt_quantity(6_500_000, "yuan", "zh", "more_than") == "超过650万元"
    assert i18n.fmt_quantity(6_500_000, "yuan", "en", "more_than") == "more than 6,500,000 yuan"
    assert i18n.fmt_quantity(20, "percent", "en") == "20%"


def test_messages_have_both_languages_with_the_same_fields():
    fields = lambda s: {f for _, f, _, _ in string.Formatter().parse(s) if f}  # noqa: E731
    for key, entry in i18n.MESSAGES.items():
        assert set(entry) == {"zh", "en"}, key
        assert fields(entry["zh"]) == fields(entry["en"]), key
    for table in (i18n.SECTORS, i18n.LEVELS, i18n.KINDS, i18n.UNITS, i18n.COLUMNS):
        for key, entry in table.items():
            assert set(entry) == {"zh", "en"}, key


def test_t_errors():
    with pytest.raises(KeyError, match="no message 'nope'"):
        i18n.t("nope", "zh")
    with pytest.raises(ValueError, match="lang='fr'"):
        i18n.t("section.maps", "fr")


def test_vocabularies_cover_the_contract():
    arch = (config.ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for line, vocab in (("`level` ∈", i18n.LEVELS), ("`kind` ∈", i18n.KINDS), ("`sector` ∈", i18n.SECTORS)):
        row = next(l for l in arch.splitlines() if line in l)
        for code in re.findall(r"`?\b([a-z_]+)\b`?", row.split("∈", 1)[1]):
            assert code in vocab, f"{code} from architecture.md has no display name"


# ----------------------------------------------------------------------------- figures


def _no_missing_glyphs(make):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = make()
        png = fig_png(fig)
    missing = [str(w.message) for w in caught if "missing from" in str(w.message) or "Glyph" in str(w.message)]
    assert not missing, missing
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return fig


def test_figures_render_chinese_without_missing_glyphs():
    from impact import plots

    df = pd.DataFrame({"label": ["农业产业", "医疗卫生", "儿童保护"], "n": [3, 2, 1]})
    _no_missing_glyphs(lambda: plots.bar_chart(df, "label", "n", lang="zh", xlabel="项目数", title="各领域项目数−"))
    ci = pd.DataFrame({"label": ["良种亩产增幅", "户均增收"], "estimate": [20.0, -3.0],
                       "conf_low": [15.0, -5.0], "conf_high": [25.0, np.nan]})
    fig = _no_missing_glyphs(lambda: plots.forest_plot(ci, "label", lang="zh", xlabel="百分比"))
    # the interval drawn for the first row spans its CI; the second row (no CI) has none
    segs = fig.axes[0].collections[0].get_segments()
    assert len(segs) == 1 and sorted(segs[0][:, 0]) == [15.0, 25.0]
    grid = pd.DataFrame({"discount_rate": [0.04, 0.04, 0.08, 0.08], "horizon": [5, 10, 5, 10],
                         "estimate": [1.2, 1.8, 0.9, 1.4]})
    _no_missing_glyphs(lambda: plots.sensitivity_heatmap(grid, lang="zh", title="效益成本比"))
    gaps = pd.DataFrame({"unit": ["A"] * 4 + ["B"] * 4, "year": [2020, 2021, 2022, 2023] * 2,
                         "gap": [0, 1, 5, 6, 0, -1, 1, 0]})
    _no_missing_glyphs(lambda: plots.gap_plot(gaps, treated="A", pairing_year=2022, lang="zh"))
    es = pd.DataFrame({"time": [-2, -1, 0, 1], "estimate": [0.1, 0, 2, 3], "conf_low": [-1, 0, 1, 2],
                       "conf_high": [1, 0, 3, 4]})
    _no_missing_glyphs(lambda: plots.event_study_plot(es, lang="zh", title="事件研究"))
    league = pd.DataFrame({"program": ["希望澡堂", "免费午餐项目"], "cost_per_beneficiary": [72.2, 298.2]})
    fig = _no_missing_glyphs(lambda: plots.league_chart(league, lang="zh"))
    # cheapest first: drawn at the top
    ax = fig.axes[0]
    by_y = sorted(zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels())), reverse=True)
    assert [label for _, label in by_y] == ["希望澡堂", "免费午餐项目"]


def test_figure_png_is_deterministic():
    from impact import plots

    df = pd.DataFrame({"label": ["甲", "乙"], "n": [1, 2]})
    assert plots.to_png(plots.bar_chart(df, "label", "n")) == plots.to_png(plots.bar_chart(df, "label", "n"))


# ----------------------------------------------------------------------------- registry sections


@needs_registry
def test_exposure_tables_match_the_registry():
    inputs = load_inputs()
    exp = exposure_tables(inputs.registry)
    pair, sites = _csv("pairings"), _csv("program_sites")
    for code in sorted(set(pair["county_code"].dropna()) | set(sites["county_code"].dropna())):
        got_orgs = set(exp["orgs"].loc[exp["orgs"]["county_code"] == code, "org_id"])
        assert got_orgs == set(pair.loc[pair["county_code"] == code, "org_id"]), code
        got_progs = set(exp["programs"].loc[exp["programs"]["county_code"] == code, "program_id"])
        assert got_progs == set(sites.loc[sites["county_code"] == code, "program_id"]), code


@needs_registry
def test_fund_and_beneficiary_patterns_classify_every_fact():
    facts = _csv("facts")
    facts["value"] = pd.to_numeric(facts["value"])
    funds = set(fund_facts(facts)["measure"])
    yuan = set(facts.loc[facts["base_unit"] == "yuan", "measure"])
    # money that is not put into programs: outputs, prices, costs of care, savings
    not_funds = {m for m in yuan if re.search(r"output|sales|income|cost|saving|price|per_person|value_per", m)}
    assert funds == yuan - not_funds, "classify the new yuan measures in FUND_PATTERN or here"
    assert "assistance_funds_invested" in funds and "farmer_income_increase" not in funds
    ben = beneficiary_facts(facts)
    assert set(ben["base_unit"]) <= {"person", "person_time"}
    assert {"teachers_and_students_benefiting", "students_benefiting"} <= set(ben["measure"])


@needs_registry
def test_summary_numbers_for_maguan_match_the_article(tmp_path):
    raw, proc = _data_copy(tmp_path, simulated=False)
    rep = county_report("马关县", 2024, "zh", raw, proc, figures=False)
    facts = _csv("facts")
    mine = facts[(facts["county_code"] == rep.code) & (facts["base_unit"] == "yuan")]
    assert len(mine) == 1 and "267万元" in mine["quote"].iloc[0]
    assert any("267万元" in s for s in rep.summary)
    en = county_report("532625", 2024, "en", raw, proc, figures=False)
    assert any("CNY 2.67 million" in s for s in en.summary)  # impact.fmt.money convention
    # organisations the article names as working there: paired with the county or running a program in it
    paired = set(_csv("pairings").query("county_code == @rep.code")["org_id"])
    sited = set(_csv("program_sites").query("county_code == @rep.code")["program_id"])  # noqa: F841 - read by the query below (@sited)
    running = set(_csv("programs").query("program_id in @sited")["org_id"])
    assert rep.headlines()["organizations"][0] == len(paired | running) > 0


@needs_registry
def test_program_wide_funds_are_not_attributed_to_one_county(tmp_path):
    raw, proc = _data_copy(tmp_path, simulated=False)
    rep = county_report("镇雄县", 2024, "zh", raw, proc, figures=False)
    funds = fund_facts(rep.tables["facts"])
    assert set(funds["fact_county_code"].fillna("")) == {""}  # all program-wide
    assert rep.headlines()["funds_yuan"][0] is None
    assert any("不是本县单独的投入" in s and "全项目合计" in s for s in rep.summary)


@needs_registry
def test_reconcile_totals():
    rec = reconcile_totals(load_inputs().registry).set_index("measure")
    facts = _csv("facts").set_index("measure")
    orgs = _csv("organizations")
    for m in rec.index:
        assert_allclose(rec.loc[m, "stated_total"], float(facts.loc[m, "value"]), rtol=0, atol=0)
        assert rec.loc[m, "quote"] == facts.loc[m, "quote"]
    assert rec.loc["organizations_paired_total", "stated_total"] == 282
    assert rec.loc["assistance_funds_invested", "stated_total"] == 231_000_000
    assert rec.loc["organizations_paired_total", "registry_sum"] == (orgs["kind"] != "enterprise").sum()
    assert rec.loc["assistance_projects", "registry_sum"] == _csv("programs")["program_id"].nunique()
    assert_allclose(rec["difference"], rec["stated_total"] - rec["registry_sum"], rtol=0, atol=0)


@needs_registry
def test_league_table_from_the_article():
    league, skipped = league_from_facts(load_inputs().registry)
    row = league.set_index("program_id").loc["cswf_free_lunch"]
    assert_allclose(row["cost_per_beneficiary"], 2_670_000 / 8955, rtol=1e-12)
    assert list(league["cost_per_beneficiary"]) == sorted(league["cost_per_beneficiary"])
    assert "ayou_ansheng" in skipped  # two beneficiary figures: ambiguous, left out


# ----------------------------------------------------------------------------- omission, banners, escaping


def _data_copy(tmp_path: Path, simulated: bool) -> tuple[Path, Path]:
    raw = tmp_path / "raw"
    shutil.copytree(config.GEO_DIR, raw / "geo")
    shutil.copytree(REG, raw / "registry")
    if simulated:
        (raw / "simulated").mkdir()
        for f in SIM.glob("*_simulated.parquet"):
            if not f.name.startswith("county_panel"):  # the synthetic control is tested on its own
                shutil.copy(f, raw / "simulated" / f.name)
    proc = tmp_path / "processed"
    proc.mkdir()
    return raw, proc


@needs_registry
@needs_sim
def test_sections_that_do_not_apply_are_left_out(tmp_path):
    raw, proc = _data_copy(tmp_path, simulated=True)
    sites, progs = _csv("program_sites"), _csv("programs")
    health_codes = set(sites.merge(progs, on="program_id").query("sector == 'health'")["county_code"].dropna())
    rep = county_report("马关县", 2024, "zh", raw, proc)
    assert rep.code not in health_codes
    assert rep.section("health") is None and rep.section("agriculture") is None
    html = "".join(s.to_html() for s in rep.sections.values() if s is not None)
    assert i18n.t("section.sector.health", "zh") not in html
    jg = county_report("景谷县", 2024, "zh", raw, proc)
    assert jg.code in health_codes and jg.section("health") is not None


@needs_registry
@needs_sim
def test_health_indicator_matches_an_independent_computation(tmp_path):
    from impact.indicators import cost_savings

    raw, proc = _data_copy(tmp_path, simulated=True)
    rep = county_report("景谷县", 2024, "en", raw, proc)
    pat = pd.read_parquet(SIM / "patients_simulated.parquet")
    pat = pat[(pat["county_code"] == "530824") & (pat["year"] <= 2024)]
    year = pat["year"].max()
    # independent: provincial minus local mean patient cost in the latest year
    p = pat[pat["year"] == year]
    cost = p["medical_cost"] + p["travel_cost"].fillna(0) + p["lodging_cost"].fillna(0) + \
        (p["lost_work_days"] * p["daily_wage"]).fillna(0)
    saving = cost[p["setting"] == "provincial"].mean() - cost[p["setting"] == "local"].mean()
    got = rep.tables["indicators"].query("term == 'saving_per_patient'")
    assert_allclose(got["estimate"].iloc[0], saving, rtol=1e-9)
    ref = cost_savings(pat, by=("county_code", "year")).tidy().query("term == 'saving_per_patient' and year == @year")
    assert_allclose(got["conf_low"].iloc[0], ref["conf_low"].iloc[0], rtol=1e-12)
    health = rep.section("health").to_html()
    from impact import fmt

    assert fmt.number(saving, decimals=0, lang="en") in health  # whole yuan, never fen


@needs_registry
@needs_sim
def test_simulated_banner_wherever_simulated_data_is_used(tmp_path):
    raw, proc = _data_copy(tmp_path, simulated=True)
    rep = county_report("景谷县", 2024, "zh", raw, proc)
    assert rep.simulated
    assert 'class="simulated-banner"' in rep.header_html()
    for key, sec in rep.sections.items():
        if sec is None:
            continue
        if key == "health":  # patient records are simulated
            assert sec.simulated
        if key in ("exposure", "maps"):  # registry and geography only
            assert not sec.simulated and 'class="simulated-banner"' not in sec.to_html()
        assert (sec.simulated) == ('class="simulated-banner"' in sec.to_html()), key
    # the data hash table marks simulated files
    hashes = data_hashes(load_inputs(raw, proc), "en")
    sim_rows = hashes[hashes["File"].str.contains("simulated")]
    assert len(sim_rows) > 0 and set(sim_rows["Simulated"]) == {"yes"}


@needs_registry
def test_no_banner_without_simulated_data(tmp_path):
    raw, proc = _data_copy(tmp_path, simulated=False)
    rep = county_report("景谷县", 2024, "zh", raw, proc, figures=False)
    assert not rep.simulated
    assert 'class="simulated-banner"' not in rep.header_html()
    assert all('class="simulated-banner"' not in s.to_html() for s in rep.sections.values() if s is not None)


@needs_registry
def test_data_derived_text_is_escaped(tmp_path):
    raw, proc = _data_copy(tmp_path, simulated=False)
    path = raw / "registry" / "programs.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    evil = '<script>alert("x")</script>'
    df.loc[df["program_id"] == "cswf_free_lunch", "name"] = evil
    df.to_csv(path, index=False)
    rep = county_report("马关县", 2024, "zh", raw, proc, figures=False)
    html = rep.header_html() + "".join(s.to_html() for s in rep.sections.values() if s is not None)
    assert "<script>" not in html
    assert re.search(r"&lt;script&gt;alert\((&quot;|\")x(&quot;|\")\)&lt;/script&gt;", html)


def test_section_html_escapes_every_part():
    evil = "<b>x</b>&"
    sec = Section("k<", evil, "zh", paragraphs=[evil], tables=[(evil, pd.DataFrame({evil: [evil]}))],
                    figures=[(evil, b"png")], notes=[evil], simulated=True, seed="<1>")
    out = sec.to_html()
    assert "<b>" not in out and out.count("&lt;b&gt;x&lt;/b&gt;&amp;") >= 6
    assert "&lt;1&gt;" in out


# ----------------------------------------------------------------------------- cache


@needs_registry
@needs_sim
def test_precompute_then_slice_equals_direct_computation(tmp_path):
    raw, proc = _data_copy(tmp_path, simulated=True)
    out = precompute(2024, data_dir=raw, processed_dir=proc)
    assert out == cache_dir(2024, proc) and (out / "meta.json").is_file()
    inputs = load_inputs(raw, proc)
    for county in ("530824", "530627", "532625"):
        cached = read_cache(out, 2024, inputs.digest(), county)
        assert cached is not None
        direct = compute_tables(inputs, 2024, [county])
        for name in ("orgs", "programs", "facts", "indicators"):
            a = cached[name].reset_index(drop=True)
            b = direct[name][direct[name]["county_code"] == county].reset_index(drop=True)
            a.columns, b.columns = list(a.columns), list(b.columns)
            pd.testing.assert_frame_equal(a, b, check_dtype=False)
    # a change of the inputs invalidates the cache
    (raw / "registry" / "facts.csv").write_text(
        (raw / "registry" / "facts.csv").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert read_cache(out, 2024, load_inputs(raw, proc).digest(), "530824") is None


# ----------------------------------------------------------------------------- causal (slow: synthetic control)


@pytest.mark.slow
@needs_registry
@needs_sim
def test_causal_section_matches_the_estimator():
    from impact.estimate.synth import synth

    rep = county_report("镇雄县", 2024, "zh", figures=True)
    sec = rep.section("causal")
    assert sec is not None and sec.simulated and 'class="simulated-banner"' in sec.to_html()
    row = rep.tables["synth"].iloc[0]
    panel = pd.read_parquet(SIM / "county_panel_simulated.parquet")
    panel = panel[panel["year"] <= 2024]
    outcome, cohort = row["outcome"], int(row["cohort"])
    from impact.design import donor_pool

    donors = donor_pool(panel, rep.code, sector=row["sector"], outcome=outcome, start=cohort, max_donors=SYNTH_DONORS)
    pre = panel[panel["year"] < cohort].groupby("county_code")[outcome].mean()
    assert not (set(donors) & set(panel.loc[panel[f"cohort_{row['sector']}"] > 0, "county_code"]))
    assert (pre[donors] - pre[rep.code]).abs().is_monotonic_increasing
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = synth(panel[panel["county_code"].isin(donors + [rep.code])], outcome, idname="county_code", tname="year",
                    treated_unit=rep.code, treat_time=cohort, donors=donors)
    assert_allclose(row["estimate"], ref.tidy()["estimate"].iloc[0], rtol=1e-9)
    assert_allclose(row["p_value"], ref.info["Placebo p-value"], rtol=0, atol=0)
    assert i18n.fmt_pvalue(row["p_value"]) in sec.to_html()
    assert len(sec.figures) >= 1


@needs_registry
@needs_sim
def test_benefit_cost_section_where_costs_are_recorded(tmp_path):
    raw, proc = _data_copy(tmp_path, simulated=True)
    path = raw / "simulated" / "cost_ledger_simulated.parquet"
    led = pd.read_parquet(path)
    # 景谷's hospital support starts in the simulated 2024 wave: local surgery from 2024 on
    extra = pd.DataFrame({"entry_id": ["X1"], "program_id": "hospital_pairing", "county_code": "530824",
                          "month": ["2024-06"], "item": "training",
                          "amount_yuan": [150_000.0], "funder": "external"})
    pd.concat([led, extra.astype(led.dtypes.to_dict())], ignore_index=True).to_parquet(path)
    rep = county_report("景谷县", 2024, "en", raw, proc)
    sec = rep.section("bcr")
    assert sec is not None and sec.simulated and 'class="simulated-banner"' in sec.to_html()
    # independent: yearly total saving = (mean provincial − mean local cost) × local patients
    pat = pd.read_parquet(SIM / "patients_simulated.parquet").query("county_code == '530824'")
    pat = pat.assign(cost=pat["medical_cost"] + pat["travel_cost"].fillna(0) + pat["lodging_cost"].fillna(0)
                     + (pat["lost_work_days"] * pat["daily_wage"]).fillna(0))
    benefit = []
    for y in (2024,):
        p = pat[pat["year"] == y]
        local = p[p["setting"] == "local"]["cost"]
        benefit.append((p[p["setting"] == "provincial"]["cost"].mean() - local.mean()) * len(local))
    d = 1.08 ** -np.arange(1)
    expected = float(np.sum(np.array(benefit) * d) / np.sum(extra["amount_yuan"].to_numpy() * d))
    got = rep.tables["bcr"].query("term == 'bcr'")["estimate"].iloc[0]
    assert_allclose(got, expected, rtol=1e-9)
    assert f"{expected:.2f}" in sec.to_html()
    # other counties have no ledger for a sector with monetized benefits: no section
    assert county_report("马关县", 2024, "en", raw, proc, figures=False).section("bcr") is None


def test_count_bars_have_whole_number_ticks():
    from impact.plots import bar_chart

    fig = bar_chart(pd.DataFrame({"sector": ["health", "agriculture"], "n": [2, 1]}), "sector", "n")
    ticks = fig.axes[0].get_xticks()
    assert len(ticks) >= 2 and all(float(v).is_integer() for v in ticks)
    fig = bar_chart(pd.DataFrame({"sector": ["a"], "yuan": [1.5]}), "sector", "yuan", money=True)
    assert fig.axes[0].get_xticks().size > 0
