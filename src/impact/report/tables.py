"""The numbers behind the county reports, for one county or all at once.

Pure functions over :class:`impact.report.inputs.Inputs`: the registry's
organizations, programs and facts per county (:func:`exposure_tables`,
:func:`county_facts`), every indicator of :mod:`impact.indicators` vectorized over
counties (:func:`indicator_table`), benefit–cost ratios (:func:`bcr_tables`), and,
from :mod:`impact.report.causal`, the synthetic controls and event studies.
:func:`compute_tables` returns them all; :mod:`impact.report.cache` stores its
result for every county once per batch.
"""

from __future__ import annotations

from typing import Any, Sequence

import pandas as pd

from impact import indicators
from impact.report.inputs import Inputs, filter_codes
from impact.report.notes import Notes, call
from impact.vocab import INDICATOR_SECTORS

__all__ = ["INDICATOR_SECTORS", "INDICATOR_SPECS", "active_sectors", "bcr_tables", "compute_tables",
           "county_facts", "exposure_tables", "indicator_table"]


def exposure_tables(registry: dict[str, pd.DataFrame], codes: Sequence[str] | None = None) -> dict[str, pd.DataFrame]:
    """Organizations paired with each county and programs sited in it, from the registry.

    Returns ``orgs`` (``county_code, org_id, organization, level, kind, year, date,
    event, quote``; one row per pairing) and ``programs`` (``county_code,
    program_id, org_id, organization, program, sector, period_start, period_end,
    delivered, delivered_en, towns, quote``; one row per program and county, towns joined with 、;
    ``delivered_en`` is the project's translation, present when the registry has it).
    """
    orgs = registry.get("organizations", pd.DataFrame())
    pair = filter_codes(registry.get("pairings", pd.DataFrame()), codes)
    progs = registry.get("programs", pd.DataFrame())
    sites = filter_codes(registry.get("program_sites", pd.DataFrame()), codes)
    org_cols = ["org_id", "name", "level", "kind"]
    out: dict[str, pd.DataFrame] = {}
    if not pair.empty and not orgs.empty:
        o = pair.merge(orgs[org_cols].rename(columns={"name": "organization"}), on="org_id", how="left")
        cols = ["county_code", "org_id", "organization", "level", "kind", "year", "date", "event", "quote"]
        o = o[[c for c in cols if c in o.columns]].drop_duplicates(subset=["county_code", "org_id", "year"]
                                                                     if "year" in o.columns else None)
        out["orgs"] = o.sort_values(["county_code", "org_id"], kind="stable").reset_index(drop=True)
    else:
        out["orgs"] = pd.DataFrame(columns=["county_code", "org_id", "organization", "level", "kind", "year",
                                            "date", "event", "quote"])
    if not sites.empty and not progs.empty:
        s = sites.copy()
        s["town"] = s.get("town", pd.Series(index=s.index, dtype="string")).fillna("")
        towns = (s.groupby(["county_code", "program_id"], sort=True)["town"]
                 .agg(lambda x: "、".join(dict.fromkeys(v for v in x if v))).rename("towns").reset_index())
        p = towns.merge(progs.rename(columns={"name": "program"}), on="program_id", how="left")
        if not orgs.empty:
            p = p.merge(orgs[["org_id", "name"]].rename(columns={"name": "organization"}), on="org_id", how="left")
        cols = ["county_code", "program_id", "org_id", "organization", "program", "sector", "period_start",
                "period_end", "delivered", "delivered_en", "towns", "quote"]
        out["programs"] = p[[c for c in cols if c in p.columns]].sort_values(
            ["county_code", "program_id"], kind="stable").reset_index(drop=True)
    else:
        out["programs"] = pd.DataFrame(columns=["county_code", "program_id", "org_id", "organization", "program",
                                                "sector", "period_start", "period_end", "delivered", "towns", "quote"])
    return out


def county_facts(registry: dict[str, pd.DataFrame], programs: pd.DataFrame,
                 codes: Sequence[str] | None = None) -> pd.DataFrame:
    """Facts about each county: facts with its ``county_code`` plus facts of programs sited in it.

    One row per (county_code, fact_id); ``value`` numeric (base units);
    ``fact_county_code`` is the fact's own county (empty for program-wide facts that
    cover several counties, which are therefore not the county's alone).
    """
    facts = registry.get("facts", pd.DataFrame())
    if facts.empty:
        return pd.DataFrame(columns=["county_code", "fact_id", "measure", "value", "base_unit", "qualifier",
                                     "program_id", "fact_county_code", "quote"])
    direct = facts[facts["county_code"].notna() & (facts["county_code"] != "")]
    direct = filter_codes(direct, codes)
    direct = direct.assign(fact_county_code=direct["county_code"])
    via = programs[["county_code", "program_id"]].merge(
        facts[facts["program_id"].notna() & (facts["program_id"] != "")]
        .rename(columns={"county_code": "fact_county_code"}),
        on="program_id")
    # a program fact about another county is not about this one
    via = via[via["fact_county_code"].isna() | (via["fact_county_code"] == "") |
              (via["fact_county_code"] == via["county_code"])]
    out = pd.concat([direct, via], ignore_index=True).drop_duplicates(subset=["county_code", "fact_id"])
    out["value"] = pd.to_numeric(out["value"], errors="coerce")
    return out.sort_values(["county_code", "fact_id"], kind="stable").reset_index(drop=True)


def active_sectors(programs: pd.DataFrame, panel: pd.DataFrame | None, code: str, year: int) -> list[str]:
    """Sectors active in county ``code`` by ``year``.

    A sector is active when the registry sites a program of that sector in the
    county, or the county panel gives the county a sector cohort (first pairing
    year) no later than ``year``.
    """
    sectors = set(programs.loc[programs["county_code"] == code, "sector"].dropna().astype(str))
    if panel is not None and not panel.empty:
        row = panel[panel["county_code"] == code]
        for col in [c for c in panel.columns if c.startswith("cohort_")]:
            c = pd.to_numeric(row[col], errors="coerce").max()
            if pd.notna(c) and 0 < c <= year:
                sectors.add(col.removeprefix("cohort_"))
    return [s for s in list(INDICATOR_SECTORS) + sorted(sectors - set(INDICATOR_SECTORS)) if s in sectors]


def _note_income_sources(households: pd.DataFrame, notes: Notes) -> None:
    """Record the income sources whose columns are absent or empty: the report shows the total.

    The report's income indicator is the change of total income (``income_total``); income by
    source (farming, wages, e-commerce, transfers) is optional in a household survey. Where those
    columns are empty the total is used, and the notes say so.
    """
    from impact.indicators.income import SOURCES

    empty = [src for src in SOURCES if src != "total"
             and (f"income_{src}" not in households.columns or households[f"income_{src}"].isna().all())]
    if empty:
        notes.add("income_increase", "note",
                  f"income by source not available for {', '.join(empty)} (columns absent or empty): "
                  "the total income (income_total) is used")


#: The indicators a county report shows: function of :mod:`impact.indicators`, the tables it
#: reads (rows of the report year, or of the latest earlier year per county), its grouping,
#: the terms shown and the sector (``None``: the sector of each row's ``program_id``).
INDICATOR_SPECS: tuple[dict[str, Any], ...] = (
    {"function": "yield_gain", "tables": ("plot_trials",), "by": ("county_code", "year"),
     "terms": ("yield_gain", "yield_gain_pct"), "sector": "agriculture"},
    {"function": "income_increase", "tables": ("households",), "by": ("county_code", "year"),
     "terms": ("total_per_household", "total_per_capita"), "sector": "agriculture",
     "options": {"sources": ("total",)}},
    {"function": "cost_savings", "tables": ("patients",), "by": ("county_code", "year"),
     "terms": ("saving_per_patient", "local_cost", "provincial_cost"), "sector": "health"},
    {"function": "reach", "tables": ("beneficiaries",), "by": ("program_id", "county_code", "year"),
     "terms": ("unique_persons", "person_times"), "sector": None},
    {"function": "cost_effectiveness", "tables": ("cost_ledger", "beneficiaries"),
     "by": ("program_id", "county_code", "year"), "terms": ("cost_per_beneficiary", "cost_total", "leverage"),
     "sector": None},
)


def indicator_table(inputs: Inputs, year: int, codes: Sequence[str] | None = None, *,
                    notes: Notes | None = None) -> pd.DataFrame:
    """All indicators for the given counties in one long tidy table.

    Columns: ``county_code, sector, indicator, term, estimate, std_error, conf_low,
    conf_high, n, unit, method, note, simulated, year``. Each indicator function
    of :mod:`impact.indicators` is called once over all counties (vectorized).
    Indicators without their tables, and their warnings, are recorded in ``notes``.
    """
    notes = notes if notes is not None else Notes()
    rows: list[pd.DataFrame] = []
    progs = inputs.registry.get("programs", pd.DataFrame())
    prog_sector = dict(zip(progs.get("program_id", []), progs.get("sector", [])))
    for spec in INDICATOR_SPECS:
        fname, tables_needed = spec["function"], spec["tables"]
        fn = getattr(indicators, fname)
        missing = [tb for tb in tables_needed if tb not in inputs.data]
        if missing:
            notes.skipped(fname, f"no {', '.join(missing)} table")
            continue
        frames = []
        for tb in tables_needed:
            df = filter_codes(inputs.data[tb], codes)
            if "month" in df.columns and "year" not in df.columns:
                df = df.assign(year=pd.to_numeric(df["month"].astype(str).str[:4], errors="coerce"))
            if "year" in df.columns:
                df = df[pd.to_numeric(df["year"], errors="coerce") <= year]
            frames.append(df)
        if any(f.empty for f in frames):
            continue
        if fname == "income_increase":
            _note_income_sources(frames[0], notes)
        res = call(notes, fname, fn, *frames, by=spec["by"], **spec.get("options", {}))
        if res is None:
            continue
        tab = res.tidy()
        tab = tab[tab["term"].isin(spec["terms"])]
        if "year" in tab.columns:  # the report year, or the latest earlier year with data
            keys = [k for k in spec["by"] if k != "year"]
            latest = tab.groupby(keys, dropna=False)["year"].transform("max")
            tab = tab[tab["year"] == latest]
        if spec["sector"] is None:
            sector = tab["program_id"].map(prog_sector).fillna("other")
        else:
            sector = spec["sector"]
        simulated = pd.Series(False, index=tab.index)
        for tb in tables_needed:  # per county: only where simulated rows of the county were used
            sim_codes = inputs.simulated_codes(tb)
            simulated |= (tab["county_code"].astype(str).isin(sim_codes) if sim_codes is not None
                          else bool(inputs.simulated.get(tb, False)))
        tab = tab.assign(sector=sector, indicator=fname, simulated=simulated.astype(bool))
        if "note" not in tab.columns:
            tab["note"] = ""
        if "program_id" not in tab.columns:
            tab["program_id"] = pd.NA
        rows.append(tab)
    cols = ["county_code", "sector", "indicator", "program_id", "term", "estimate", "std_error", "conf_low",
            "conf_high", "n", "unit", "method", "note", "simulated", "year"]
    if not rows:
        return pd.DataFrame(columns=cols)
    out = pd.concat(rows, ignore_index=True)
    out["county_code"] = out["county_code"].astype("string")
    out["note"] = out["note"].fillna("").astype(str)
    out["n"] = pd.to_numeric(out["n"], errors="coerce").astype("Float64")
    out["program_id"] = out["program_id"].astype("string")
    out["year"] = pd.to_numeric(out.get("year"), errors="coerce").astype("Float64")
    return out[cols].reset_index(drop=True)


#: Monetized yearly benefit of a sector's programs for the benefit–cost ratio: (indicator, term).
BCR_BENEFITS: dict[str, tuple[str, str]] = {
    "health": ("cost_savings", "total_saving"),
    "agriculture": ("income_increase", "total_aggregate"),
}


def bcr_tables(inputs: Inputs, year: int, codes: Sequence[str] | None = None, *,
               notes: Notes | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Benefit–cost ratio per county and sector where both sides are in the data.

    Benefits ``B_t``: the sector's monetized yearly benefit in the county (:data:`BCR_BENEFITS`:
    patients' total savings, or participating households' aggregate income gain; yuan per
    year). Costs ``C_t``: the county's ``cost_ledger`` entries of the sector's programs
    (yuan per year). Years up to ``year`` where both are recorded; ``t = 0`` is the first.
    Returns the headline (:func:`impact.indicators.benefit_cost` at its default rate) and
    the sensitivity grid (:func:`impact.indicators.sensitivity_table`), both with
    ``county_code, sector``; the reason is recorded in ``notes`` where nothing could be computed.
    """
    notes = notes if notes is not None else Notes()
    ledger = inputs.data.get("cost_ledger")
    progs = inputs.registry.get("programs", pd.DataFrame())
    if ledger is None or progs.empty:
        notes.skipped("benefit_cost", "no cost ledger or no program registry")
        return pd.DataFrame(), pd.DataFrame()
    led = filter_codes(ledger, codes)
    led = led.assign(year=pd.to_numeric(led["month"].astype(str).str[:4], errors="coerce"))
    led = led[led["year"] <= year].merge(progs[["program_id", "sector"]], on="program_id", how="left")
    costs = led.groupby(["county_code", "sector", "year"], as_index=False)["amount_yuan"].sum()
    flows = []
    for sector, (fname, term) in BCR_BENEFITS.items():
        table = {"cost_savings": "patients", "income_increase": "households"}[fname]
        fn, df = getattr(indicators, fname), inputs.data.get(table)
        c = costs[costs["sector"] == sector]
        if df is None or c.empty:
            continue
        df = filter_codes(df, list(c["county_code"].unique()))
        df = df[pd.to_numeric(df["year"], errors="coerce") <= year]
        res = call(notes, f"benefit_cost {sector}", fn, df, by=("county_code", "year"))
        if res is None:
            continue
        ben = res.tidy()
        ben = ben[(ben["term"] == term) & ben["estimate"].notna()][["county_code", "year", "estimate"]]
        f = ben.rename(columns={"estimate": "benefit"}).merge(
            c.rename(columns={"amount_yuan": "cost"})[["county_code", "year", "cost"]], on=["county_code", "year"])
        if not f.empty:
            sim = pd.Series(False, index=f.index)
            for tb in (table, "cost_ledger"):
                sim_codes = inputs.simulated_codes(tb)
                sim |= (f["county_code"].astype(str).isin(sim_codes) if sim_codes is not None
                        else bool(inputs.simulated.get(tb, False)))
            flows.append(f.assign(sector=sector, simulated=sim.astype(bool)))
    if not flows:
        notes.skipped("benefit_cost", "no county has both a monetized benefit and program costs in the same years")
        return pd.DataFrame(), pd.DataFrame()
    fl = pd.concat(flows, ignore_index=True).sort_values(["county_code", "sector", "year"])
    fl["t"] = fl["year"] - fl.groupby(["county_code", "sector"])["year"].transform("min")
    full = fl.groupby(["county_code", "sector"])["t"].transform(lambda x: len(x) == x.max() + 1)
    fl = fl[full.astype(bool)]  # periods must run 0..T-1 without gaps
    if fl.empty:
        notes.skipped("benefit_cost", "no county has benefits and costs in consecutive years")
        return pd.DataFrame(), pd.DataFrame()
    by = ["county_code", "sector"]
    head = call(notes, "benefit_cost", indicators.benefit_cost, fl[by + ["t", "benefit", "cost"]], by=by).tidy()
    grid = call(notes, "benefit_cost", indicators.sensitivity_table, fl[by + ["t", "benefit", "cost"]], by=by).tidy()
    sim = fl.groupby(by)["simulated"].any().rename("simulated").reset_index()
    return head.merge(sim, on=by), grid.merge(sim, on=by)


def compute_tables(inputs: Inputs, year: int, codes: Sequence[str] | None = None) -> dict[str, Any]:
    """Every number the county reports show, for ``codes`` (all counties when None).

    Keys: ``orgs, programs, facts, indicators, synth, gaps, event_study, bcr, bcr_grid``
    and ``notes`` (:mod:`impact.report.notes`: the estimators' warnings and the parts
    skipped, with reasons).
    """
    from impact.report.causal import event_study_table, synth_table  # the estimators: only when computing

    notes = Notes()
    exp = exposure_tables(inputs.registry, codes)
    facts = county_facts(inputs.registry, exp["programs"], codes)
    ind = indicator_table(inputs, year, codes, notes=notes)
    syn, gaps = synth_table(inputs, year, codes, notes=notes)
    # all sectors for the shared tables; for given counties, the sectors of their synthetic controls
    es = event_study_table(inputs, year, notes=notes,
                           sectors=None if codes is None else sorted(set(syn["sector"])))
    bcr, bcr_grid = bcr_tables(inputs, year, codes, notes=notes)
    if bcr.empty:
        bcr = pd.DataFrame({"county_code": pd.Series(dtype="string"), "sector": pd.Series(dtype="string")})
        bcr_grid = bcr.copy()
    return {"orgs": exp["orgs"], "programs": exp["programs"], "facts": facts, "indicators": ind,
            "synth": syn, "gaps": gaps, "event_study": es, "bcr": bcr, "bcr_grid": bcr_grid,
            "notes": notes.frame()}
