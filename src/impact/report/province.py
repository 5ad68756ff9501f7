"""The province report: what the province notebook shows, section by section.

:func:`province_report` builds the staggered-adoption estimates by sector, their
heterogeneity by organization level and kind (:mod:`impact.report.causal`), the
choropleths (:mod:`impact.maps`), the league table of cost per beneficiary from the
article's facts, the reconciliation of the article's province totals with the
registry, the appendix and the notes section.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from impact.i18n import column_name, fmt_ci, fmt_number, fmt_pvalue, fmt_quantity, kind_name, level_name, sector_name, t
from impact.plots import forest_plot, league_chart
from impact.registry import beneficiary_facts, fund_facts, funds_by_county, programs_by_county
from impact.report.cache import precompute, precomputed_synth
from impact.report.causal import heterogeneity, staggered_by_sector
from impact.report.inputs import Inputs, load_inputs
from impact.report.notes import Notes
from impact.report.render import (
    REPORT_CSS,
    Section,
    data_hashes,
    display_frame,
    fig_png,
    notes_section,
    package_versions,
    simulated_banner,
)
from impact.report.text import OUTCOME_LABEL
from impact.results import check_option
from impact.vocab import LANGS, Lang

__all__ = ["RECONCILE_LABELS", "ProvinceReport", "league_from_facts", "province_report", "reconcile_totals"]


@dataclass
class ProvinceReport:
    """Everything the province notebook displays; absent sections are ``None``."""

    year: int
    lang: str
    sections: dict[str, Section | None]
    simulated: bool
    seed: str | None
    tables: dict[str, pd.DataFrame]

    def title(self) -> str:
        return t("report.province.title", self.lang, year=self.year)

    def header_html(self) -> str:
        out = [REPORT_CSS, f"<h1>{html.escape(self.title())}</h1>"]
        if self.simulated:
            out.append(simulated_banner(self.lang, self.seed, top=True))
        return "\n".join(out)

    def section(self, key: str) -> Section | None:
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
    "assistance_funds_invested": {"zh": "帮扶资金（元）", "en": "Funds (yuan)"},
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
            skipped[pid] = f"{len(fu)} fund figure(s), {len(be)} beneficiary figure(s)"
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


def province_report(year: int = 2024, lang: Lang = "zh", data_dir: str | Path = "",
                    processed_dir: str | Path = "", *, figures: bool = True) -> ProvinceReport:
    """Build the province report: staggered estimates by sector, heterogeneity by
    organization level and kind, choropleths, league table, reconciliation."""
    check_option("lang", lang, LANGS)
    year = int(year)
    inputs = load_inputs(data_dir, processed_dir)
    reg = inputs.registry
    sections: dict[str, Section | None] = {}
    tables: dict[str, pd.DataFrame] = {}
    notes = Notes()

    stag = staggered_by_sector(inputs, year, notes=notes)
    tables["staggered"] = stag
    sections["staggered"] = _estimates_section("staggered", stag, lang, inputs, figures) if not stag.empty else None
    het = heterogeneity(inputs, year, notes=notes)
    tables["heterogeneity"] = het
    sections["heterogeneity"] = _estimates_section("heterogeneity", het, lang, inputs, figures) if not het.empty else None

    sec = Section("choropleth", t("section.choropleth", lang), lang, seed=inputs.seed)
    funds = funds_by_county(reg.get("facts", pd.DataFrame()))
    n_prog = programs_by_county(reg.get("program_sites", pd.DataFrame()))
    tables["funds_by_county"] = funds.reset_index()
    if figures:
        from impact import maps

        if not n_prog.empty:
            sec.figures.append((column_name("n_programs", lang),
                                fig_png(maps.province_choropleth(n_prog, lang=lang, label=column_name("n_programs", lang),
                                                                 title=column_name("n_programs", lang)))))
        if not funds.empty:
            sec.figures.append((column_name("funds", lang),
                                fig_png(maps.province_choropleth(funds, lang=lang, label=t("fig.funds", lang),
                                                                 title=column_name("funds", lang)))))
        syn = precomputed_synth(year, inputs, processed_dir)
        if syn is None:  # no current cache: make it (the county reports reuse it afterwards)
            precompute(year, data_dir=data_dir, processed_dir=processed_dir)
            syn = precomputed_synth(year, inputs, processed_dir)
        tables["synth"] = syn
        if syn is not None and not syn.empty:
            for outcome, g in syn.groupby("outcome", sort=True):  # one map per outcome: units differ
                lab = OUTCOME_LABEL.get(outcome, {"zh": outcome, "en": outcome, "unit_zh": "", "unit_en": ""})
                title = t("fig.effect_map", lang, outcome=lab[lang])
                sec.figures.append((title, fig_png(maps.province_choropleth(
                    g.set_index("county_code")["estimate"], lang=lang, cmap="YlOrRd",
                    label=f"{t('fig.effect', lang)} {lab[f'unit_{lang}']}".strip(), title=title))))
            sec.simulated = bool(syn["simulated"].any())
    sections["choropleth"] = sec if sec.figures else None

    league, skipped = league_from_facts(reg)
    for pid, why in skipped.items():
        notes.skipped(f"league {pid}", why)
    tables["league"] = league
    if not league.empty:
        sec = Section("league", t("section.league", lang), lang)
        d = league.assign(sector=league["sector"].map(lambda v: sector_name(v, lang)),
                          cost=league["cost"].map(lambda v: fmt_number(v, lang)),
                          beneficiaries=[fmt_quantity(v, u, lang) for v, u in zip(league["beneficiaries"], league["unit"])],
                          cost_per_beneficiary=league["cost_per_beneficiary"].map(lambda v: fmt_number(v, lang)))
        sec.tables.append(("", display_frame(d, ["rank", "program", "sector", "cost", "beneficiaries",
                                                  "cost_per_beneficiary", "quote"], lang)))
        sec.notes.append(t("note.league", lang))
        sec.notes += [f"{k}: {v}" for k, v in skipped.items()]
        if figures:
            sec.figures.append((t("section.league", lang), fig_png(league_chart(league, lang=lang))))
        sections["league"] = sec
    else:
        sections["league"] = None

    rec = reconcile_totals(reg)
    tables["reconcile"] = rec
    if not rec.empty:
        sec = Section("reconcile", t("section.reconcile", lang), lang)
        d = rec.assign(measure=rec["measure"].map(lambda m: RECONCILE_LABELS.get(m, {}).get(lang, m)),
                       stated_total=[fmt_quantity(v, "", lang, q) for v, q in zip(rec["stated_total"], rec["qualifier"])],
                       registry_sum=rec["registry_sum"].map(lambda v: fmt_number(v, lang)),
                       difference=rec["difference"].map(lambda v: fmt_number(v, lang)),
                       covered=rec["covered"].map(lambda v: f"{v:.1%}"))
        sec.tables.append(("", display_frame(d, ["measure", "stated_total", "registry_sum", "difference", "covered",
                                                  "quote"], lang)))
        sec.paragraphs.append(t("note.reconcile", lang))
        sections["reconcile"] = sec
    else:
        sections["reconcile"] = None
    sections["appendix"] = Section("appendix", t("section.appendix", lang), lang,
                                   paragraphs=[t("appendix.sources", lang)],
                                   tables=[(t("appendix.hashes", lang), data_hashes(inputs, lang)),
                                           (t("appendix.versions", lang), package_versions(lang))])
    tables["notes"] = notes.frame()
    sections["notes"] = notes_section(tables["notes"], lang)
    used_sim = any(s is not None and s.simulated for s in sections.values())
    return ProvinceReport(year=year, lang=lang, sections=sections, simulated=used_sim, seed=inputs.seed,
                          tables=tables)


def _group_label(g: str, lang: str) -> str:
    if g.startswith("level:"):
        return level_name(g[6:], lang)
    if g.startswith("kind:"):
        return kind_name(g[5:], lang)
    return sector_name(g, lang)


def _estimates_section(key: str, tab: pd.DataFrame, lang: str, inputs: Inputs, figures: bool) -> Section:
    sec = Section(key, t(f"section.{key}", lang), lang, simulated=bool(tab["simulated"].any()), seed=inputs.seed)
    d = tab.assign(label=[_group_label(g, lang) for g in tab["group"]],
                   outcome_l=[OUTCOME_LABEL.get(o, {}).get(lang, o) for o in tab["outcome"]])
    shown = pd.DataFrame({
        column_name("group", lang): d["label"],
        column_name("indicator", lang): d["outcome_l"],
        column_name("estimate", lang): d["estimate"].map(lambda v: fmt_number(v, lang)),
        column_name("ci", lang): [fmt_ci(a, b, lang) for a, b in zip(d["conf_low"], d["conf_high"])],
        column_name("p_value", lang): d["p_value"].map(fmt_pvalue),
        column_name("n", lang): d["n"],
    })
    if "twfe_estimate" in d.columns and d["twfe_estimate"].notna().any():
        shown[t("col.twfe", lang)] = d["twfe_estimate"].map(lambda v: fmt_number(v, lang))
        gap = (d["estimate"] - d["twfe_estimate"]).abs() > 1.96 * np.hypot(d["std_error"], d["twfe_std_error"])
        for g, bad in zip(d["label"], gap):
            if bad:
                sec.notes.append(t("caveat.twfe", lang, group=g))
    sec.tables.append(("", shown))
    sec.paragraphs.append(t(f"explain.{key}", lang))
    if figures:
        for outcome, g in d.groupby("outcome_l", sort=True):
            sec.figures.append((str(outcome), fig_png(forest_plot(g, "label", lang=lang, xlabel=str(outcome)))))
    return sec
