"""The province report: the annual 绩效评价 report of the campaign.

:func:`province_report` scores the indicator system (:func:`impact.evaluation.evaluate`) and
lays the report out in the standard outline (:func:`impact.evaluation.build_outline`):
一、基本情况 (with the province and prefecture facts of the article and the maps of programs
and funds per county); 二、绩效目标; 三、评价工作开展情况 (with the reconciliation of the
article's totals with the registry); 四、综合评价结论; 五、绩效指标分析 (with the complete
scoring table and the league table of cost per beneficiary); 六、主要成效 (causal estimates
only from designs the campaign makes possible, :mod:`impact.design`); 七、存在问题及原因;
八、意见建议; 九、典型案例. The English version is framed by the OECD DAC criteria. The
same document is drawn as HTML (:mod:`impact.report.outline_html`) and as Word
(:mod:`impact.report.docx`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from impact.evaluation.document import Block, Document, Figure, Paragraph, Table
from impact.i18n import column_name, sector_name, t
from impact.registry import beneficiary_facts, fund_facts, funds_by_county, programs_by_county
from impact.report.outline_html import OUTLINE_CSS, document_html
from impact.report.render import REPORT_CSS, Section, data_hashes, fig_png, package_versions, simulated_banner
from impact.report.text import OUTCOME_LABEL
from impact.results import check_option
from impact.vocab import LANGS, Lang

__all__ = ["RECONCILE_LABELS", "OutlinePart", "ProvinceReport", "design_estimates", "league_from_facts",
           "province_report", "reconcile_totals"]


@dataclass
class OutlinePart:
    """The 绩效评价 document as one displayable part (HTML via :func:`document_html`)."""

    document: Document

    def to_html(self) -> str:
        return document_html(self.document, title=False)

    def _repr_html_(self) -> str:
        return self.to_html()


@dataclass
class ProvinceReport:
    """Everything the province notebook displays; absent sections are ``None``."""

    year: int
    lang: str
    sections: dict[str, Any]
    simulated: bool
    seed: str | None
    tables: dict[str, pd.DataFrame]
    document: Document | None = None

    def title(self) -> str:
        if self.document is not None:
            return self.document.title
        return t("report.province.title", self.lang, year=self.year)

    def header_html(self) -> str:
        out = [REPORT_CSS, OUTLINE_CSS, f"<h1>{html.escape(self.title())}</h1>"]
        if self.simulated:
            out.append(simulated_banner(self.lang, self.seed, top=True))
        return "\n".join(out)

    def section(self, key: str) -> Any:
        return self.sections.get(key)

    def export_tables(self) -> dict[str, pd.DataFrame]:
        """The report's tables for the workbook (non-empty ones only)."""
        return {k: v.reset_index(drop=True) for k, v in self.tables.items() if not v.empty}

    def headlines(self) -> dict[str, tuple[Any, str, str | None]]:
        """Headline figures for the index page (none for the province report)."""
        return {}


#: Province totals stated in the article (``facts.measure``) and how the registry counts the same thing.
#: Each entry: measure → (label key in COLUMNS-like dict, function of the registry giving the registry sum).
def _registry_counts(reg: dict[str, pd.DataFrame]) -> dict[str, float]:
    orgs = reg.get("organizations", pd.DataFrame())
    pair = reg.get("pairings", pd.DataFrame())
    sites = reg.get("program_sites", pd.DataFrame())
    progs = reg.get("programs", pd.DataFrame())
    facts = reg.get("facts", pd.DataFrame())
    lvl = orgs["level"].astype(str) if not orgs.empty else pd.Series(dtype=str)
    counties = set(pair["county_code"].dropna()) | set(sites["county_code"].dropna()) if not pair.empty else set()
    f = facts.assign(value=pd.to_numeric(facts["value"], errors="coerce")) if not facts.empty else facts
    funds = fund_facts(f[f["scope"].isin(["program", "county"])]) if not f.empty else f
    return {
        # enterprises in the registry (partners of the programs) are not social organizations
        "organizations_paired_total": float((orgs["kind"] != "enterprise").sum()) if not orgs.empty else 0.0,
        "organizations_out_of_province_paired": float(lvl.isin(["national", "out_of_province"]).sum()),
        "organizations_in_province_paired": float(lvl.isin(["provincial", "prefecture", "county"]).sum()),
        "counties_paired_total": float(len({c for c in counties if c})),
        "assistance_projects": float(progs["program_id"].nunique()) if not progs.empty else 0.0,
        "assistance_funds_invested": float(funds["value"].sum()) if not funds.empty else 0.0,
    }


RECONCILE_LABELS: dict[str, dict[str, str]] = {
    "organizations_paired_total": {"zh": "结对社会组织（家）", "en": "Organizations paired"},
    "organizations_out_of_province_paired": {"zh": "省外社会组织（家）", "en": "Organizations from outside Yunnan"},
    "organizations_in_province_paired": {"zh": "省内社会组织（家）", "en": "Organizations within Yunnan"},
    "counties_paired_total": {"zh": "结对县（市、区）", "en": "Counties paired"},
    "assistance_projects": {"zh": "帮扶项目（个）", "en": "Programs"},
    "assistance_funds_invested": {"zh": "帮扶资金", "en": "Funds"},
}


def reconcile_totals(registry: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Article's province totals versus the registry's sums.

    Columns: ``measure, stated_total, qualifier, registry_sum, difference`` (stated −
    registry), ``covered`` (registry ÷ stated), ``quote``. The registry holds only what
    the article names, so it covers a small part of the stated totals; the
    difference is what the article counts but does not itemize.
    """
    facts = registry.get("facts", pd.DataFrame())
    if facts.empty:
        return pd.DataFrame(columns=["measure", "stated_total", "qualifier", "registry_sum", "difference",
                                     "covered", "quote"])
    counts = _registry_counts(registry)
    f = facts[(facts["scope"] == "province") & facts["measure"].isin(list(counts))]
    f = f.drop_duplicates(subset=["measure"])
    out = pd.DataFrame({
        "measure": f["measure"].to_numpy(),
        "stated_total": pd.to_numeric(f["value"]).to_numpy(dtype=float),
        "qualifier": f["qualifier"].to_numpy(),
        "registry_sum": [counts[m] for m in f["measure"]],
        "quote": f["quote"].to_numpy(),
    })
    out["difference"] = out["stated_total"] - out["registry_sum"]
    out["covered"] = out["registry_sum"] / out["stated_total"]
    order = {m: i for i, m in enumerate(RECONCILE_LABELS)}
    out = out.sort_values("measure", key=lambda s: s.map(order)).reset_index(drop=True)
    return out[["measure", "stated_total", "qualifier", "registry_sum", "difference", "covered", "quote"]]


def league_from_facts(registry: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, dict[str, str]]:
    """Cost per beneficiary of programs for which the article states one amount of funds
    and one count of people reached: ``funds ÷ beneficiaries`` (yuan per person).

    Programs with several fund or beneficiary figures are left out (the pairing is
    ambiguous) and listed with the reason. Periods of the two figures may differ;
    both quotes are kept. Returns the table (sorted, cheapest first) and the reasons.
    """
    facts = registry.get("facts", pd.DataFrame())
    progs = registry.get("programs", pd.DataFrame())
    if facts.empty or progs.empty:
        return pd.DataFrame(), {}
    f = facts[facts["program_id"].notna() & (facts["program_id"] != "")]
    f = f.assign(value=pd.to_numeric(f["value"], errors="coerce"))
    funds, ben = fund_facts(f), beneficiary_facts(f)
    rows, skipped = [], {}
    for pid in sorted(set(funds["program_id"]) | set(ben["program_id"])):
        fu, be = funds[funds["program_id"] == pid], ben[ben["program_id"] == pid]
        if len(fu) != 1 or len(be) != 1:
            skipped[pid] = f"{len(fu)} fund figures, {len(be)} beneficiary figures"
            continue
        p = progs[progs["program_id"] == pid].iloc[0]
        cost, n = float(fu["value"].iloc[0]), float(be["value"].iloc[0])
        rows.append({"program_id": pid, "program": p["name"], "sector": p["sector"], "cost": cost,
                     "beneficiaries": n, "unit": be["base_unit"].iloc[0],
                     "cost_per_beneficiary": cost / n if n > 0 else np.nan,
                     "quote": f"{fu['quote'].iloc[0]} / {be['quote'].iloc[0]}"})
    out = pd.DataFrame(rows)
    if not out.empty:
        out = out.sort_values("cost_per_beneficiary", kind="stable").reset_index(drop=True)
        out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out, skipped


#: The appendix's source sentence (the Chinese title in parentheses on the English page).
_SOURCES = {"zh": "登记表中的每个事实都附有原文引文。来源：《云南日报》报道《携手共绘乡村振兴新画卷》（郎晶晶）。",
            "en": "Every registry fact carries its verbatim quote from the source: the Yunnan Daily article by "
                  "Lang Jingjing (携手共绘乡村振兴新画卷)."}


def _label(outcome: str, lang: str) -> tuple[str, str]:
    lab = OUTCOME_LABEL.get(outcome, {"zh": outcome, "en": outcome.replace("_", " "), "unit_zh": "", "unit_en": ""})
    return lab[lang], lab[f"unit_{lang}"]


def _num(x: float, unit: str) -> str:
    from impact.fmt import number, percent

    if unit == "":  # shares: percentage points
        return percent(x, share=True, decimals=1)
    return number(x, decimals=1 if abs(x) < 1000 else 0)


def design_estimates(panel: pd.DataFrame | None, year: int, lang: Lang = "zh", *,
                     simulated: bool = False) -> tuple[pd.DataFrame, list[Block]]:
    """主要成效: estimates from the designs the campaign makes possible, with their sentences.

    * ``program_exposure`` per sector (:func:`impact.design.program_table`): counties with a
      program of the sector against paired counties without one; randomisation inference
      below :data:`impact.design.FEW_TREATED` program counties.
    * ``wave_timing`` (:func:`impact.design.wave_att`): the earlier pairing waves against
      later waves not yet paired, on income per capita; cells without a not-yet-paired
      comparison are not identified and left out.

    Returns the tidy table for the outline (``term, estimate, conf_low, conf_high, p_value,
    method, design, inference, n_treated, n_comparison, outcome``) and the blocks (one sentence
    per design naming it with its assumption, one sentence per estimate stating its size,
    interval and significance at the 5% level). No panel → an empty table and a sentence.
    """
    import warnings

    from impact.design import design, program_table, wave_att
    from impact.fmt import interval, significance

    zh = lang == "zh"
    cols = ["term", "estimate", "conf_low", "conf_high", "p_value", "method", "design", "inference", "n_treated",
            "n_comparison", "outcome"]
    if panel is None or panel.empty:
        return pd.DataFrame(columns=cols), [Paragraph(
            "未提供县级面板数据，无法按可行的评价设计估计因果效应。" if zh else
            "No county panel was given, so no causal estimate from a feasible design is shown.")]
    panel = panel[pd.to_numeric(panel["year"]) <= year]
    rows: list[dict[str, Any]] = []
    prog = program_table(panel, lang=lang)
    for _, r in prog.iterrows():
        rows.append({"term": f"{sector_name(r['sector'], lang)}：{_label(r['outcome'], lang)[0]}" if zh else
                     f"{sector_name(r['sector'], lang)}: {_label(r['outcome'], lang)[0]}",
                     "estimate": r["estimate"], "conf_low": r["conf_low"], "conf_high": r["conf_high"],
                     "p_value": r["p_value"], "design": "program_exposure", "inference": r["inference"],
                     "n_treated": int(r["n_program_counties"]), "n_comparison": int(r["n_comparison_counties"]),
                     "outcome": r["outcome"]})
    n_dropped = 0
    if "cohort" in panel.columns and "income_per_capita" in panel.columns:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = wave_att(panel, "income_per_capita",
                           cluster="prefecture_code" if "prefecture_code" in panel.columns else None)
        n_dropped = sum("no comparison units" in str(w.message) for w in caught)
        r = res.tidy().iloc[0]
        g = panel.groupby("county_code")["cohort"].max()
        first = int(g[g > 0].min()) if (g > 0).any() else year
        rows.append({"term": ("分批结对：" if zh else "Pairing waves: ") + _label("income_per_capita", lang)[0],
                     "estimate": r["estimate"], "conf_low": r["conf_low"], "conf_high": r["conf_high"],
                     "p_value": r["p_value"], "design": "wave_timing", "inference": "analytic",
                     "n_treated": int((g == first).sum()), "n_comparison": int((g > first).sum()),
                     "outcome": "income_per_capita"})
    est = pd.DataFrame(rows, columns=cols)
    inf_name = {"analytic": ("解析标准误（按州市聚类）", "analytic, clustered by prefecture"),
                "randomisation": ("随机化推断（项目县少于10个）", "randomisation inference (fewer than 10 program counties)")}
    est["method"] = [f"{design(d).name(lang)}；{inf_name[i][0]}" if zh else f"{design(d).name(lang)}; {inf_name[i][1]}"
                     for d, i in zip(est["design"], est["inference"])]
    blocks: list[Block] = []
    for key in dict.fromkeys(est["design"]):
        blocks.append(Paragraph(design(key).sentence(lang)))
        for _, r in est[est["design"] == key].iterrows():
            name, unit = _label(r["outcome"], lang)
            gap = _num(abs(r["estimate"]), unit)
            ci = interval(r["conf_low"] * (100 if unit == "" else 1), r["conf_high"] * (100 if unit == "" else 1),
                          lang=lang)
            ci_unit = ("个百分点" if zh else " percentage points") if unit == "" else (unit if zh else f" {unit}")
            if zh:
                direction = "高" if r["estimate"] >= 0 else "低"
                who = "有该领域项目的" if key == "program_exposure" else "先结对的"
                blocks.append(Paragraph(
                    f"{r['term']}：{who}{r['n_treated']}个县比对照的{r['n_comparison']}个县{direction}{gap}"
                    f"{'' if unit == '' else unit}（95%置信区间 {ci}{ci_unit}）。{significance(r['p_value'], lang='zh')}"))
            else:
                direction = "higher" if r["estimate"] >= 0 else "lower"
                who = "counties with a program of the sector" if key == "program_exposure" else "earlier-paired counties"
                blocks.append(Paragraph(
                    f"{r['term']}: the {r['n_treated']} {who} are {gap}{'' if unit == '' else ' ' + unit} {direction} "
                    f"than the {r['n_comparison']} comparison counties (95% interval {ci}{ci_unit}). "
                    f"{significance(r['p_value'], lang='en')}"))
    if n_dropped:
        blocks.append(Paragraph(
            f"分批结对设计中，有 {n_dropped} 个“批次×年份”单元当年已没有尚未结对的对照县，无法识别，已按设计略去。" if zh else
            f"In the wave design, {n_dropped} wave-year cells have no county left unpaired to compare with; they are "
            "not identified and are left out.", "note"))
    if simulated:
        blocks.append(Paragraph(
            "以上估计使用模拟的县级面板数据，仅演示评价方法，不代表真实效果。" if zh else
            "These estimates use a SIMULATED county panel: they demonstrate the method and describe no real effect.",
            "note"))
    return est, blocks


def _maps(reg: dict[str, pd.DataFrame], lang: str) -> list[Block]:
    from impact import maps

    out: list[Block] = []
    funds = funds_by_county(reg.get("facts", pd.DataFrame()))
    n_prog = programs_by_county(reg.get("program_sites", pd.DataFrame()))
    zh = lang == "zh"
    if not n_prog.empty:
        lab = column_name("n_programs", lang)
        out.append(Figure(fig_png(maps.province_choropleth(n_prog, lang=lang, label=lab, title=lab, integer=True)),
                          ("图 原文记载的帮扶项目在各县的分布（个）" if zh else
                           "Figure. Programs the article names, by county (count)"), width_cm=14.0))
    if not funds.empty:
        out.append(Figure(fig_png(maps.province_choropleth(funds / 1e4, lang=lang, label=t("fig.funds_wan", lang),
                                                          title=column_name("funds", lang))),
                          ("图 原文记载的单县帮扶资金（万元；多县项目的资金不计入单县）" if zh else
                           "Figure. Funds the article states for one county alone (CNY 10,000; multi-county funds left out)"),
                          width_cm=14.0))
    if out and {"programs", "program_sites", "pairings"} <= set(reg):  # the maps describe; say why not more
        from impact.design import intensity_statement
        from impact.geo import counties

        out.append(Paragraph(intensity_statement(reg, counties()["county_code"].astype(str).tolist(), lang=lang), "note"))
    return out


def _league_blocks(reg: dict[str, pd.DataFrame], lang: str, figures: bool) -> tuple[pd.DataFrame, list[Block]]:
    from impact.fmt import money
    from impact.i18n import fmt_quantity
    from impact.plots import league_chart
    from impact.romanize import program_en

    zh = lang == "zh"
    league, skipped = league_from_facts(reg)
    if league.empty:
        return league, []
    frame = pd.DataFrame({
        ("排名" if zh else "Rank"): league["rank"].astype(str),
        ("项目" if zh else "Program"): league["program"] if zh else [
            program_en(n, sec) for n, sec in zip(league["program"], league["sector"])],
        ("领域" if zh else "Sector"): league["sector"].map(lambda v: sector_name(v, lang)),
        ("资金" if zh else "Funds"): league["cost"].map(lambda v: money(v, lang=lang)),
        ("受益" if zh else "Reached"): [fmt_quantity(v, u, lang) for v, u in zip(league["beneficiaries"], league["unit"])],
        ("每受益人资金（元）" if zh else "Funds per person (yuan)"): league["cost_per_beneficiary"].map(
            lambda v: f"{v:,.0f}"),
    })
    note = ("资金÷受益人数，两者均取自原文；两项数据的时期可能不同。" if zh else
            "Funds ÷ people reached, both from the article; the two figures may cover different periods.")
    if skipped:
        note += (f"另有 {len(skipped)} 个项目的资金或受益人数据不止一项或缺失，未列入。" if zh else
                 f" {len(skipped)} further programs have several or no fund or beneficiary figures and are left out.")
    out: list[Block] = [Table(frame, "表 每受益人帮扶资金（原文数据）" if zh else
                              "Table. Funds per person reached (article figures)", note=note)]
    if figures:
        out.append(Figure(fig_png(league_chart(league, lang=lang)),
                          "图 每受益人帮扶资金" if zh else "Figure. Funds per person reached", width_cm=14.0))
    return league, out


def _reconcile_block(reg: dict[str, pd.DataFrame], lang: str) -> tuple[pd.DataFrame, list[Block]]:
    from impact.fmt import money, number

    zh = lang == "zh"
    rec = reconcile_totals(reg)
    if rec.empty:
        return rec, []
    frame = pd.DataFrame({
        ("项目" if zh else "Measure"): rec["measure"].map(lambda m: RECONCILE_LABELS.get(m, {}).get(lang, m)),
        ("原文总数" if zh else "Article total"): [money(v, lang=lang) if m == "assistance_funds_invested"
                                                 else number(v, decimals=0)
                                                 for m, v in zip(rec["measure"], rec["stated_total"])],
        ("登记表逐项合计" if zh else "Itemised in the registry"): [
            money(v, lang=lang) if m == "assistance_funds_invested" else number(v, decimals=0)
            for m, v in zip(rec["measure"], rec["registry_sum"])],
        ("覆盖比例" if zh else "Share itemised"): rec["covered"].map(lambda v: f"{v:.1%}"),
    })
    return rec, [Paragraph(t("note.reconcile", lang)),
                 Table(frame, "表 原文总数与登记表逐项数据核对" if zh else
                       "Table. Article totals against the figures it itemises")]


def province_report(year: int = 2024, lang: Lang = "zh", data_dir: str | Path = "",
                    processed_dir: str | Path = "", *, figures: bool = True,
                    sheet: pd.DataFrame | str | Path | None = None,
                    satisfaction: pd.DataFrame | str | Path | None = None) -> ProvinceReport:
    """Build the province 绩效评价 report (see the module docstring for the outline).

    Parameters
    ----------
    year
        Report year.
    lang
        ``"zh"`` (绩效评价 outline) or ``"en"`` (the same content framed by the DAC criteria).
    data_dir, processed_dir
        Raw and processed data folders ('' for the defaults).
    figures
        Include maps and charts.
    sheet, satisfaction
        The evaluator's filled sheet (:func:`impact.evaluation.write_sheet` writes the
        template) and a beneficiary satisfaction survey, as file or table.
    """
    from impact.errors import ImpactError
    from impact.evaluation import build_outline, evaluate
    from impact.evaluation.data import load_data
    from impact.report.notes import Notes, call
    from impact.report.render import notes_section
    from impact.report.inputs import load_inputs

    check_option("lang", lang, LANGS)
    year = int(year)
    data = load_data(data_dir=data_dir or None, processed_dir=processed_dir or None, satisfaction=satisfaction)
    notes = Notes()  # the estimators' warnings go to the appendix, never to the page as stderr
    ev = call(notes, "evaluation", evaluate, "province", year, data=data, sheet=sheet)
    if ev is None:
        raise ImpactError(f"the province evaluation could not be made: {notes.frame()['message'].iloc[-1]}")
    reg = data.registry
    panel = data.tables.get("county_panel")
    sim_panel = bool(data.simulated.get("county_panel", False))
    est, effect_blocks = design_estimates(panel, year, lang, simulated=sim_panel)
    league, league_blocks = _league_blocks(reg, lang, figures)
    rec, rec_blocks = _reconcile_block(reg, lang)
    extra: dict[int, list[Block]] = {0: _maps(reg, lang) if figures else [], 2: rec_blocks, 4: league_blocks,
                                     5: effect_blocks}
    doc = build_outline(ev, data, lang=lang, estimates=est if not est.empty else None, figures=figures, extra=extra)
    inputs = load_inputs(data_dir, processed_dir)
    sections: dict[str, Any] = {"outline": OutlinePart(doc)}
    warned = notes_section(notes.frame(), lang)
    sections["appendix"] = Section("appendix", t("section.appendix", lang), lang,
                                   paragraphs=[_SOURCES[lang]],
                                   tables=[(t("appendix.hashes", lang), data_hashes(inputs, lang)),
                                           (t("appendix.versions", lang), package_versions(lang))]
                                   + [(t("section.notes", lang), df) for _, df in warned.tables])
    tables = {"scoring": ev.table, "subtotals": ev.subtotals, "estimates": est, "league": league,
              "reconcile": rec}
    used_sim = any(bool(v) for v in data.simulated.values())
    return ProvinceReport(year=year, lang=lang, sections=sections, simulated=used_sim, seed=inputs.seed, tables=tables,
                          document=doc)

