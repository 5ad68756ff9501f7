"""What each report section shows: pure functions over the clean tables.

The report notebooks are thin: they call :func:`county_report` (or
:func:`province_report`) and display its :class:`Section` objects. A section is
data (a title, plain-text paragraphs, display-ready tables, rendered figures and
a ``simulated`` flag); :meth:`Section.to_html` escapes every data-derived string
(``html.escape``), so a program named ``<script>`` shows as text. Sections that do
not apply to a county (no health program, no treatment to estimate) are ``None``
and the notebook shows nothing for them, not an empty heading.

Speed: :func:`precompute` computes every county's numbers once (registry joins,
indicators vectorized over counties, synthetic control per paired county) and
writes them to ``<processed_dir>/report_cache/<year>/`` with a hash of its
inputs. :func:`county_report` reads its slice from there when the hash matches
the current inputs, and otherwise computes its own county only (so a single
report never needs the batch, and a stale cache is never used).

Numbers are language-independent; labels and sentences are made at display
time from :mod:`impact.i18n`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import importlib
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Sequence

import numpy as np
import pandas as pd

from impact import config
from impact.i18n import (
    column_name,
    fmt_ci,
    fmt_money,
    fmt_number,
    fmt_pvalue,
    fmt_quantity,
    join_list,
    kind_name,
    level_name,
    sector_name,
    t,
)
from impact.registry import beneficiary_facts, fund_facts
from impact.results import check_option

Lang = Literal["zh", "en"]

REGISTRY_TABLES: tuple[str, ...] = ("organizations", "pairings", "programs", "program_sites", "facts")
SIMULATED_TABLES: tuple[str, ...] = (
    "county_panel",
    "plot_trials",
    "households",
    "patients",
    "beneficiaries",
    "cost_ledger",
)
#: Sectors with an indicator section of their own, in report order.
INDICATOR_SECTORS: tuple[str, ...] = ("agriculture", "health", "child_protection", "elderly_care")
#: Outcome of the causal section per sector (county_panel column).
SECTOR_OUTCOME: dict[str, str] = {
    "agriculture": "income_per_capita",
    "health": "referral_out_share",
    "child_protection": "children_reached",
}
OUTCOME_LABEL: dict[str, dict[str, str]] = {
    "income_per_capita": {"zh": "农村居民人均可支配收入", "en": "rural income per capita", "unit_zh": "元", "unit_en": "yuan"},
    "grain_yield": {"zh": "粮食单产", "en": "grain yield", "unit_zh": "公斤/亩", "unit_en": "kg/mu"},
    "referral_out_share": {"zh": "重症外转比例", "en": "share of serious cases referred out", "unit_zh": "", "unit_en": ""},
    "children_reached": {"zh": "儿童保护服务覆盖人数", "en": "children reached", "unit_zh": "人", "unit_en": "children"},
}
#: ``facts.measure`` names (regular expressions) of money put into programs (funds, donations,
#: donated goods' value) and of people reached. Output values (sales, output value, income
#: gains, prices, costs of care) do not match. The registry's measure names are free text,
#: so these patterns are checked against every fact in ``tests/test_sections.py``.
CACHE_VERSION = "2"  # 2: fund and beneficiary facts classified by impact.registry


# ======================================================================= inputs


@dataclass
class Inputs:
    """The tables one report reads, where they came from and whether they are simulated."""

    counties: pd.DataFrame
    registry: dict[str, pd.DataFrame]
    data: dict[str, pd.DataFrame]
    simulated: dict[str, bool]
    files: dict[str, Path]
    seed: str | None = None
    missing: dict[str, str] = field(default_factory=dict)

    def digest(self) -> str:
        """SHA-256 over the content of every input file, the library's code and the cache version
        (so a cache made by other code or from other data is never used)."""
        h = hashlib.sha256(CACHE_VERSION.encode())
        h.update(code_digest().encode())
        for name in sorted(self.files):
            h.update(name.encode())
            h.update(file_sha256(self.files[name]).encode())
        return h.hexdigest()


def code_digest() -> str:
    """SHA-256 over the source of the :mod:`impact` package (every ``.py`` file, sorted by path)."""
    h = hashlib.sha256()
    for f in sorted(config.PACKAGE_DIR.rglob("*.py")):
        h.update(str(f.relative_to(config.PACKAGE_DIR)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _dirs(data_dir: str | Path = "", processed_dir: str | Path = "") -> tuple[Path, Path]:
    raw = Path(data_dir) if str(data_dir) else config.DATA_RAW
    proc = Path(processed_dir) if str(processed_dir) else config.DATA_PROCESSED
    return raw, proc


def _parquet_is_simulated(path: Path) -> tuple[bool, str | None]:
    from impact.io import read_parquet_metadata

    meta = read_parquet_metadata(path)
    return meta.get("impact.simulated") == "true" or "simulated" in path.name, meta.get("impact.seed")


def _codes_as_str(df: pd.DataFrame) -> pd.DataFrame:
    for col in ("county_code", "prefecture_code"):
        if col in df.columns:
            df[col] = df[col].astype("string")
    return df


def load_inputs(data_dir: str | Path = "", processed_dir: str | Path = "") -> Inputs:
    """Read the counties, the registry and the (simulated or user) evaluation tables.

    Order of preference per table: the built Parquet file in ``processed_dir``
    (``<name>.parquet``, what ``impact.load`` returns), then the raw file in
    ``data_dir`` (``registry/<name>.csv``; ``simulated/<name>_simulated.parquet``).
    A table found nowhere is recorded in ``Inputs.missing`` with the reason, and
    the sections that need it are left out. Simulated tables are recognized by
    their Parquet metadata (``impact.simulated = "true"``) or their file name.
    """
    from impact import geo
    from impact.io import read_table

    raw, proc = _dirs(data_dir, processed_dir)
    files: dict[str, Path] = {}
    geo_csv = raw / "geo" / "counties.csv"
    counties = geo.county_table(geo_csv if geo_csv.is_file() else None)
    files["geo/counties.csv"] = geo_csv if geo_csv.is_file() else config.GEO_DIR / "counties.csv"
    registry: dict[str, pd.DataFrame] = {}
    missing: dict[str, str] = {}
    for name in REGISTRY_TABLES:
        built = proc / f"{name}.parquet"
        source = raw / "registry" / f"{name}.csv"
        if built.is_file():
            registry[name] = pd.read_parquet(built)
            files[f"processed/{name}.parquet"] = built
        elif source.is_file():
            registry[name] = read_table(source, dtype=str)
            files[f"registry/{name}.csv"] = source
        else:
            registry[name] = pd.DataFrame()
            missing[name] = f"no {built} or {source}"
        registry[name] = _codes_as_str(registry[name])
    data: dict[str, pd.DataFrame] = {}
    simulated: dict[str, bool] = {}
    seed = None
    for name in SIMULATED_TABLES:
        candidates = [proc / f"{name}.parquet", proc / f"{name}_simulated.parquet",
                      raw / "simulated" / f"{name}_simulated.parquet"]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            missing[name] = "no file in " + ", ".join(str(p.parent) for p in candidates[1:])
            continue
        data[name] = _codes_as_str(pd.read_parquet(path))
        simulated[name], s = _parquet_is_simulated(path)
        seed = seed or s
        files[f"data/{path.name}"] = path
    return Inputs(counties=counties, registry=registry, data=data, simulated=simulated,
                  files=files, seed=seed, missing=missing)


# ================================================================ computations


def _filter_codes(df: pd.DataFrame, codes: Sequence[str] | None) -> pd.DataFrame:
    if codes is None or df.empty or "county_code" not in df.columns:
        return df
    return df[df["county_code"].isin(list(codes))]


def exposure_tables(registry: dict[str, pd.DataFrame], codes: Sequence[str] | None = None) -> dict[str, pd.DataFrame]:
    """Organizations paired with each county and programs sited in it, from the registry.

    Returns ``orgs`` (``county_code, org_id, organization, level, kind, year, date,
    event, quote``; one row per pairing) and ``programs`` (``county_code,
    program_id, org_id, organization, program, sector, period_start, period_end,
    delivered, towns, quote``; one row per program and county, towns joined with 、).
    """
    orgs = registry.get("organizations", pd.DataFrame())
    pair = _filter_codes(registry.get("pairings", pd.DataFrame()), codes)
    progs = registry.get("programs", pd.DataFrame())
    sites = _filter_codes(registry.get("program_sites", pd.DataFrame()), codes)
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
                "period_end", "delivered", "towns", "quote"]
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
    direct = _filter_codes(direct, codes)
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


# -------------------------------------------------------------- indicators


def _module(name: str) -> Any | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _indicator_fn(name: str) -> Callable[..., Any] | None:
    mod = _module("impact.indicators")
    fn = getattr(mod, name, None) if mod is not None else None
    if fn is None:
        sub = _module(f"impact.indicators.{name}")
        fn = getattr(sub, name, None) if sub is not None else None
    return fn


#: The indicators a county report shows: function of :mod:`impact.indicators`, the tables it
#: reads (rows of the report year, or of the latest earlier year per county), its grouping,
#: the terms shown and the sector (``None``: the sector of each row's ``program_id``).
INDICATOR_SPECS: tuple[dict[str, Any], ...] = (
    {"function": "yield_gain", "tables": ("plot_trials",), "by": ("county_code", "year"),
     "terms": ("yield_gain", "yield_gain_pct"), "sector": "agriculture"},
    {"function": "income_increase", "tables": ("households",), "by": ("county_code", "year"),
     "terms": ("total_per_household", "total_per_capita"), "sector": "agriculture"},
    {"function": "cost_savings", "tables": ("patients",), "by": ("county_code", "year"),
     "terms": ("saving_per_patient", "local_cost", "provincial_cost"), "sector": "health"},
    {"function": "reach", "tables": ("beneficiaries",), "by": ("program_id", "county_code", "year"),
     "terms": ("unique_persons", "person_times"), "sector": None},
    {"function": "cost_effectiveness", "tables": ("cost_ledger", "beneficiaries"),
     "by": ("program_id", "county_code", "year"), "terms": ("cost_per_beneficiary", "cost_total", "leverage"),
     "sector": None},
)


def indicator_table(inputs: Inputs, year: int, codes: Sequence[str] | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """All indicators for the given counties in one long tidy table.

    Columns: ``county_code, sector, indicator, term, estimate, std_error, conf_low,
    conf_high, n, unit, method, note, simulated, year``. Each indicator function
    of :mod:`impact.indicators` is called once over all counties (vectorized).
    Returns the table and ``{indicator: reason}`` for indicators not computed.
    """
    rows: list[pd.DataFrame] = []
    skipped: dict[str, str] = {}
    progs = inputs.registry.get("programs", pd.DataFrame())
    prog_sector = dict(zip(progs.get("program_id", []), progs.get("sector", [])))
    for spec in INDICATOR_SPECS:
        fname, tables_needed = spec["function"], spec["tables"]
        fn = _indicator_fn(fname)
        if fn is None:
            skipped[fname] = f"impact.indicators.{fname} is not available"
            continue
        missing = [tb for tb in tables_needed if tb not in inputs.data]
        if missing:
            skipped[fname] = f"no {', '.join(missing)} table"
            continue
        frames = []
        for tb in tables_needed:
            df = _filter_codes(inputs.data[tb], codes)
            if "month" in df.columns and "year" not in df.columns:
                df = df.assign(year=pd.to_numeric(df["month"].astype(str).str[:4], errors="coerce"))
            if "year" in df.columns:
                df = df[pd.to_numeric(df["year"], errors="coerce") <= year]
            frames.append(df)
        if any(f.empty for f in frames):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = fn(*frames, by=spec["by"])
        except Exception as err:  # an indicator failing must not hide the others; the appendix says why
            skipped[fname] = f"{type(err).__name__}: {err}"
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
        simulated = any(bool(inputs.simulated.get(tb, False)) for tb in tables_needed)
        tab = tab.assign(sector=sector, indicator=fname, simulated=simulated)
        if "note" not in tab.columns:
            tab["note"] = ""
        if "program_id" not in tab.columns:
            tab["program_id"] = pd.NA
        rows.append(tab)
    cols = ["county_code", "sector", "indicator", "program_id", "term", "estimate", "std_error", "conf_low",
            "conf_high", "n", "unit", "method", "note", "simulated", "year"]
    if not rows:
        return pd.DataFrame(columns=cols), skipped
    out = pd.concat(rows, ignore_index=True)
    out["county_code"] = out["county_code"].astype("string")
    out["note"] = out["note"].fillna("").astype(str)
    out["n"] = pd.to_numeric(out["n"], errors="coerce").astype("Float64")
    out["program_id"] = out["program_id"].astype("string")
    out["year"] = pd.to_numeric(out.get("year"), errors="coerce").astype("Float64")
    return out[cols].reset_index(drop=True), skipped


# --------------------------------------------------------------- causal


#: Donor pool size of the county synthetic control (counties without a program of the same
#: sector closest in the pre-program mean of the outcome; :func:`impact.design.donor_pool`). Restricting the pool to similar units limits
#: interpolation bias (Abadie 2021, J. Econ. Lit. 59(2)); 20 donors allow a smallest
#: placebo p-value of 1/21 < 0.05.
SYNTH_DONORS = 20
#: Indicator terms read out in the summary box.
HEADLINE_TERMS: tuple[str, ...] = ("yield_gain_pct", "total_per_household", "saving_per_patient", "unique_persons",
                                   "cost_per_beneficiary")


def synth_table(inputs: Inputs, year: int, codes: Sequence[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Synthetic control (:func:`impact.estimate.synth`) for each county paired by ``year``.

    Outcome: the county's first sector outcome (:data:`SECTOR_OUTCOME`), or income per
    capita for counties paired in other sectors. Donors: the :data:`SYNTH_DONORS`
    counties without a program of the same sector closest in pre-program mean outcome
    (:func:`impact.design.donor_pool`; every county is paired, so counties without a
    sector program get no county-specific estimate). Panel years up to
    ``year`` only. Returns ``summary`` (``county_code, sector, outcome, cohort,
    estimate, p_value, pre_rmspe, outcome_sd, n_donors, n_pre, method, simulated``),
    ``gaps`` (``county_code, unit, year, gap``: the county and the placebos whose
    pre-period RMSPE is at most 5 times the county's, as in Abadie et al. 2010) and the
    reasons for counties not estimated.
    """
    skipped: dict[str, str] = {}
    empty = (pd.DataFrame(columns=["county_code", "sector", "outcome", "cohort", "estimate", "p_value",
                                   "pre_rmspe", "outcome_sd", "n_donors", "n_pre", "method", "simulated"]),
             pd.DataFrame(columns=["county_code", "unit", "year", "gap"]))
    panel = inputs.data.get("county_panel")
    if panel is None:
        skipped["synth"] = "no county_panel table"
        return (*empty, skipped)
    try:
        synth = importlib.import_module("impact.estimate.synth").synth
    except (ImportError, AttributeError) as err:  # only while the estimator is being written
        skipped["synth"] = f"impact.estimate.synth is not available ({err})"
        return (*empty, skipped)
    panel = panel[pd.to_numeric(panel["year"]) <= year]
    first = panel.groupby("county_code")["cohort"].max()
    targets = [c for c in first.index if 0 < first[c] <= year]
    if codes is not None:
        targets = [c for c in targets if c in set(codes)]
    summaries, gaps = [], []
    for code in targets:
        from impact.design import county_design, donor_pool
        from impact.errors import DesignError

        design = county_design(panel, code, year)
        if design is None:
            continue
        sector, outcome, cohort = design["sector"], design["outcome"], design["start"]
        try:
            donors = donor_pool(panel, code, sector=sector, outcome=outcome, start=cohort, max_donors=SYNTH_DONORS)
        except DesignError as err:
            skipped[f"synth {code}"] = str(err)
            continue
        sub = panel[panel["county_code"].isin(donors + [code])]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = synth(sub, outcome, "county_code", "year", code, treat_time=cohort, donors=donors)
        except Exception as err:  # e.g. DesignError: too few pre-periods; the appendix says why
            skipped[f"synth {code}"] = f"{type(err).__name__}: {err}"
            continue
        head = res.tidy().iloc[0]
        pg = res.diagnostics["placebo_gaps"]
        plac = res.diagnostics["placebos"].set_index("unit")
        keep = [u for u in pg.columns if u == code or plac.loc[u, "pre_rmspe"] <= 5 * plac.loc[code, "pre_rmspe"]]
        long = pg[keep].rename_axis("year").reset_index().melt(id_vars="year", var_name="unit", value_name="gap")
        gaps.append(long.assign(county_code=code)[["county_code", "unit", "year", "gap"]])
        pre = sub[(sub["county_code"] == code) & (sub["year"] < cohort)][outcome]
        summaries.append({
            "county_code": code, "sector": sector, "outcome": outcome, "cohort": cohort,
            "estimate": float(head["estimate"]), "p_value": float(head["p_value"]),
            "pre_rmspe": float(res.info["Pre-period RMSPE"]),
            "outcome_sd": float(pre.std(ddof=1)) if len(pre) > 1 else np.nan,
            "n_donors": int(res.info["Donors"]), "n_pre": int(len(pre)),
            "method": res.method, "simulated": bool(inputs.simulated.get("county_panel", False)),
        })
    s = pd.DataFrame(summaries) if summaries else empty[0]
    gp = pd.concat(gaps, ignore_index=True) if gaps else empty[1]
    if not gp.empty:
        gp["unit"] = gp["unit"].astype("string")
        gp["county_code"] = gp["county_code"].astype("string")
    return s, gp, skipped


def event_study_table(inputs: Inputs, year: int, biters: int = 999) -> tuple[pd.DataFrame, dict[str, str]]:
    """Event-time effects per sector (Callaway–Sant'Anna dynamic aggregation, counties without a
    program of the sector as controls, :func:`impact.estimate.staggered`), pooled over all
    counties with a program of the sector.

    Columns: ``sector, outcome, time`` (years since pairing), ``estimate, conf_low, conf_high``
    (pointwise), ``cband_low, cband_high`` (uniform band), plus the overall ATT as
    ``time = NaN`` rows with term ``ATT``; ``simulated``.
    """
    panel = inputs.data.get("county_panel")
    skipped: dict[str, str] = {}
    if panel is None:
        return pd.DataFrame(), {"event_study": "no county_panel table"}
    try:
        staggered = importlib.import_module("impact.estimate.staggered").staggered
    except (ImportError, AttributeError) as err:
        return pd.DataFrame(), {"event_study": f"impact.estimate.staggered is not available ({err})"}
    panel = panel[pd.to_numeric(panel["year"]) <= year]
    rows = []
    for sector, outcome in SECTOR_OUTCOME.items():
        g = f"cohort_{sector}"
        if g not in panel.columns or not (panel[g] > 0).any():
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = staggered(panel, outcome, "year", "county_code", g, biters=biters, seed=0, twfe=False)
        except Exception as err:
            skipped[f"event_study {sector}"] = f"{type(err).__name__}: {err}"
            continue
        tab = res.tidy()
        tab["time"] = pd.to_numeric(tab.get("event_time"), errors="coerce")
        rows.append(tab.assign(sector=sector, outcome=outcome,
                               simulated=bool(inputs.simulated.get("county_panel", False))))
    if not rows:
        return pd.DataFrame(), skipped
    out = pd.concat(rows, ignore_index=True)
    keep = ["sector", "outcome", "term", "time", "estimate", "std_error", "conf_low", "conf_high", "cband_low",
            "cband_high", "p_value", "n", "method", "simulated"]
    return out[[c for c in keep if c in out.columns]], skipped


#: Monetized yearly benefit of a sector's programs for the benefit–cost ratio: (indicator, term).
BCR_BENEFITS: dict[str, tuple[str, str]] = {
    "health": ("cost_savings", "total_saving"),
    "agriculture": ("income_increase", "total_aggregate"),
}


def bcr_tables(inputs: Inputs, year: int, codes: Sequence[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Benefit–cost ratio per county and sector where both sides are in the data.

    Benefits ``B_t``: the sector's monetized yearly benefit in the county (:data:`BCR_BENEFITS`:
    patients' total savings, or participating households' aggregate income gain; yuan per
    year). Costs ``C_t``: the county's ``cost_ledger`` entries of the sector's programs
    (yuan per year). Years up to ``year`` where both are recorded; ``t = 0`` is the first.
    Returns the headline (:func:`impact.indicators.benefit_cost` at its default rate) and
    the sensitivity grid (:func:`impact.indicators.sensitivity_table`), both with
    ``county_code, sector``, and reasons where nothing could be computed.
    """
    skipped: dict[str, str] = {}
    ledger = inputs.data.get("cost_ledger")
    progs = inputs.registry.get("programs", pd.DataFrame())
    bc, sens = _indicator_fn("benefit_cost"), _indicator_fn("sensitivity_table")
    if ledger is None or progs.empty or bc is None or sens is None:
        return pd.DataFrame(), pd.DataFrame(), {"benefit_cost": "no cost ledger or no benefit_cost indicator"}
    led = _filter_codes(ledger, codes)
    led = led.assign(year=pd.to_numeric(led["month"].astype(str).str[:4], errors="coerce"))
    led = led[led["year"] <= year].merge(progs[["program_id", "sector"]], on="program_id", how="left")
    costs = led.groupby(["county_code", "sector", "year"], as_index=False)["amount_yuan"].sum()
    flows = []
    for sector, (fname, term) in BCR_BENEFITS.items():
        table = {"cost_savings": "patients", "income_increase": "households"}[fname]
        fn, df = _indicator_fn(fname), inputs.data.get(table)
        c = costs[costs["sector"] == sector]
        if fn is None or df is None or c.empty:
            continue
        df = _filter_codes(df, list(c["county_code"].unique()))
        df = df[pd.to_numeric(df["year"], errors="coerce") <= year]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ben = fn(df, by=("county_code", "year")).tidy()
        ben = ben[(ben["term"] == term) & ben["estimate"].notna()][["county_code", "year", "estimate"]]
        f = ben.rename(columns={"estimate": "benefit"}).merge(
            c.rename(columns={"amount_yuan": "cost"})[["county_code", "year", "cost"]], on=["county_code", "year"])
        if not f.empty:
            sim = bool(inputs.simulated.get(table, False)) or bool(inputs.simulated.get("cost_ledger", False))
            flows.append(f.assign(sector=sector, simulated=sim))
    if not flows:
        skipped["benefit_cost"] = "no county has both a monetized benefit and program costs in the same years"
        return pd.DataFrame(), pd.DataFrame(), skipped
    fl = pd.concat(flows, ignore_index=True).sort_values(["county_code", "sector", "year"])
    fl["t"] = fl["year"] - fl.groupby(["county_code", "sector"])["year"].transform("min")
    full = fl.groupby(["county_code", "sector"])["t"].transform(lambda x: len(x) == x.max() + 1)
    fl = fl[full.astype(bool)]  # periods must run 0..T-1 without gaps
    if fl.empty:
        skipped["benefit_cost"] = "no county has benefits and costs in consecutive years"
        return pd.DataFrame(), pd.DataFrame(), skipped
    by = ["county_code", "sector"]
    head = bc(fl[by + ["t", "benefit", "cost"]], by=by).tidy()
    grid = sens(fl[by + ["t", "benefit", "cost"]], by=by).tidy()
    sim = fl.groupby(by)["simulated"].any().rename("simulated").reset_index()
    return head.merge(sim, on=by), grid.merge(sim, on=by), skipped


def bcr_section(c: Any, tables: dict[str, Any], sectors: Sequence[str], lang: str, inputs: Inputs,
                *, figures: bool = True) -> Section | None:
    """Benefit–cost ratio with its sensitivity over discount rates and horizons; ``None``
    where the data hold no benefit and cost series for the county."""
    head, grid = tables.get("bcr"), tables.get("bcr_grid")
    if not isinstance(head, pd.DataFrame) or head.empty:
        return None
    head = head[head["sector"].isin(sectors)]
    if head.empty:
        return None
    sec = Section("bcr", t("section.bcr", lang), lang, simulated=bool(head["simulated"].any()), seed=inputs.seed)
    for sector, h in head.groupby("sector", sort=True):
        e = dict(zip(h["term"], h["estimate"]))
        sec.paragraphs.append(t("bcr.sentence", lang, sector=sector_name(sector, lang), bcr=f"{e.get('bcr', np.nan):.2f}",
                                npv=fmt_money(e.get("npv"), lang), rate=f"{float(h['rate'].iloc[0]):.0%}"
                                if "rate" in h.columns else "8%"))
        g = grid[(grid["sector"] == sector) & (grid["term"] == "bcr")] if isinstance(grid, pd.DataFrame) else None
        if g is not None and not g.empty:
            shown = g.pivot_table(index="rate", columns="horizon", values="estimate", aggfunc="first")
            shown.index = [f"{v:.0%}" for v in shown.index]
            shown = shown.map(lambda v: "—" if pd.isna(v) else f"{v:.2f}").reset_index()
            shown.columns = [column_name("discount_rate", lang)] + [str(x) for x in shown.columns[1:]]
            sec.tables.append((column_name("bcr", lang), shown))
            if figures:
                from impact.plots import sensitivity_heatmap

                sec.figures.append((column_name("bcr", lang), fig_png(sensitivity_heatmap(
                    g.rename(columns={"rate": "discount_rate"}), lang=lang, title=sector_name(sector, lang)))))
    return sec


# ================================================================ cache


def cache_dir(year: int, processed_dir: str | Path = "") -> Path:
    """Folder of the precomputed tables for ``year``: ``<processed_dir>/report_cache/<year>``."""
    return _dirs("", processed_dir)[1] / "report_cache" / str(int(year))


def compute_tables(inputs: Inputs, year: int, codes: Sequence[str] | None = None) -> dict[str, Any]:
    """Every number the county reports show, for ``codes`` (all counties when None)."""
    exp = exposure_tables(inputs.registry, codes)
    facts = county_facts(inputs.registry, exp["programs"], codes)
    ind, skipped = indicator_table(inputs, year, codes)
    syn, gaps, skipped_syn = synth_table(inputs, year, codes)
    es, skipped_es = event_study_table(inputs, year)
    bcr, bcr_grid, skipped_bcr = bcr_tables(inputs, year, codes)
    if bcr.empty:
        bcr = pd.DataFrame({"county_code": pd.Series(dtype="string"), "sector": pd.Series(dtype="string")})
        bcr_grid = bcr.copy()
    return {"orgs": exp["orgs"], "programs": exp["programs"], "facts": facts, "indicators": ind,
            "synth": syn, "gaps": gaps, "event_study": es, "bcr": bcr, "bcr_grid": bcr_grid,
            "skipped": {**skipped, **skipped_syn, **skipped_es, **skipped_bcr}}


def precompute(year: int, out_dir: str | Path | None = None, *, data_dir: str | Path = "",
               processed_dir: str | Path = "", force: bool = False) -> Path:
    """Compute all counties' report tables once and write them to ``out_dir``.

    ``out_dir`` defaults to :func:`cache_dir`. Writes one Parquet file per table
    and ``meta.json`` (``year``, ``inputs_sha256``, skipped computations with
    reasons), each atomically (``meta.json`` last, so a reader never sees a half-made
    cache as valid). Returns ``out_dir``. Does nothing when ``meta.json`` already records
    the same inputs and code (unless ``force``). The batch runner calls this before
    running the county notebooks; each notebook then reads its slice.
    """
    from impact.io import write_json, write_parquet

    out = Path(out_dir) if out_dir is not None else cache_dir(year, processed_dir)
    inputs = load_inputs(data_dir, processed_dir)
    digest = inputs.digest()
    meta = out / "meta.json"
    if not force and meta.is_file():
        old = json.loads(meta.read_text(encoding="utf-8"))
        if old.get("inputs_sha256") == digest and int(old.get("year", -1)) == int(year):
            return out  # same inputs and code: the cache is current
    tables = compute_tables(inputs, int(year))
    for name, df in tables.items():
        if isinstance(df, pd.DataFrame):
            write_parquet(df, out / f"{name}.parquet")
    write_json({"year": int(year), "inputs_sha256": digest, "skipped": tables["skipped"],
                "cache_version": CACHE_VERSION}, out / "meta.json")
    return out


def _read_cache(out: Path, year: int, digest: str, code: str) -> dict[str, Any] | None:
    meta_file = out / "meta.json"
    if not meta_file.is_file():
        return None
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    if meta.get("inputs_sha256") != digest or int(meta.get("year", -1)) != int(year):
        return None
    tables: dict[str, Any] = {"skipped": meta.get("skipped", {})}
    for name in ("orgs", "programs", "facts", "indicators", "synth", "bcr", "bcr_grid"):
        df = pd.read_parquet(out / f"{name}.parquet", filters=[("county_code", "==", code)])
        tables[name] = _codes_as_str(df)
    tables["gaps"] = _codes_as_str(pd.read_parquet(out / "gaps.parquet", filters=[("county_code", "==", code)]))
    es = out / "event_study.parquet"
    tables["event_study"] = pd.read_parquet(es) if es.is_file() else pd.DataFrame()
    return tables


# ================================================================ display


@dataclass
class Section:
    """One report section: plain text and data, rendered (escaped) by :meth:`to_html`."""

    key: str
    title: str
    lang: str = "zh"
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    figures: list[tuple[str, bytes]] = field(default_factory=list, repr=False)
    notes: list[str] = field(default_factory=list)
    simulated: bool = False
    seed: str | None = None
    level: int = 2
    box: bool = False

    def to_html(self) -> str:
        e = html.escape
        style = (' style="border:1px solid #1f5f8b;border-radius:6px;padding:4px 16px;background:#f4f8fb"'
                 if self.box else "")
        parts = [f'<section class="impact-section{" summary-box" if self.box else ""}" id="sec-{e(self.key)}"{style}>',
                 f"<h{self.level}>{e(self.title)}</h{self.level}>"]
        if self.simulated:
            parts.append(simulated_banner(self.lang, self.seed))
        parts += [f"<p>{e(p)}</p>" for p in self.paragraphs]
        for caption, fig in self.figures:
            data = base64.b64encode(fig).decode("ascii")
            parts.append(f'<figure><img src="data:image/png;base64,{data}" alt="{e(caption)}" '
                         f'style="max-width:100%"><figcaption>{e(caption)}</figcaption></figure>')
        for caption, df in self.tables:
            parts.append(f"<h{self.level + 1}>{e(caption)}</h{self.level + 1}>" if caption else "")
            parts.append(df.to_html(index=False, escape=True, border=0, na_rep="—",
                                    classes="impact-table"))
        if self.notes:
            parts.append('<ul class="notes">' + "".join(f"<li>{e(n)}</li>" for n in self.notes) + "</ul>")
        parts.append("</section>")
        return "\n".join(p for p in parts if p)

    def _repr_html_(self) -> str:
        return self.to_html()


#: Small stylesheet shipped with the report header (tables left-aligned and wrapped, print-friendly).
REPORT_CSS = (
    "<style>.impact-table{border-collapse:collapse;margin:4px 0 12px;font-size:13px}"
    ".impact-table th,.impact-table td{text-align:left!important;vertical-align:top;padding:3px 8px;"
    "border-bottom:1px solid #e3e3e3;word-break:break-word}"
    ".impact-section figure{margin:8px 0}.impact-section figcaption{font-size:12px;color:#555}"
    ".impact-section ul.notes{font-size:12px;color:#444}"
    "@media print{.impact-section{break-inside:avoid-page}.simulated-banner{-webkit-print-color-adjust:exact;"
    "print-color-adjust:exact}}</style>"
)


def simulated_banner(lang: str = "zh", seed: str | None = None, top: bool = False) -> str:
    """The visible simulated-data banner (HTML, class ``simulated-banner``)."""
    key = "banner.simulated.top" if top else "banner.simulated"
    text = t(key, lang, seed=seed if seed is not None else "?")
    return ('<div class="simulated-banner" role="note" style="border:2px solid #d1495b;'
            'background:#fde8ea;color:#7a1020;padding:8px 12px;margin:8px 0;font-weight:600">'
            f"{html.escape(text)}</div>")


def fig_png(fig: Any) -> bytes:
    from impact.plots import to_png

    return to_png(fig)


def _display_frame(df: pd.DataFrame, columns: Sequence[str], lang: str) -> pd.DataFrame:
    """Select ``columns`` and rename them to display headers in ``lang``."""
    cols = [c for c in columns if c in df.columns]
    out = df[cols].astype(object)
    out = out.where(out.notna(), "—")
    return out.rename(columns={c: column_name(c, lang) for c in cols}).reset_index(drop=True)


def _period(row: pd.Series, lang: str) -> str:
    a, b = row.get("period_start"), row.get("period_end")
    a = "" if a is None or pd.isna(a) else str(a)
    b = "" if b is None or pd.isna(b) else str(b)
    if not a and not b:
        return t("note.article_not_say", lang)
    return a if a == b or not b else (f"{a}–{b}" if a else f"–{b}")


# ------------------------------------------------------------ the county report


@dataclass
class CountyReport:
    """Everything the county notebook displays, in order; absent sections are ``None``."""

    code: str
    name: str
    short_name: str
    prefecture: str
    year: int
    lang: str
    sections: dict[str, Section | None]
    summary: list[str]
    simulated: bool
    seed: str | None
    tables: dict[str, pd.DataFrame]
    skipped: dict[str, str]

    def title(self) -> str:
        return t("report.county.title", self.lang, name=self.name, year=self.year)

    def header_html(self) -> str:
        e = html.escape
        out = [REPORT_CSS, f"<h1>{e(self.title())}</h1>",
               f"<p>{e(t('report.identity', self.lang, code=self.code, prefecture=self.prefecture))}</p>"]
        if self.simulated:
            out.append(simulated_banner(self.lang, self.seed, top=True))
        return "\n".join(out)

    def section(self, key: str) -> Section | None:
        return self.sections.get(key)

    def applies(self, key: str) -> bool:
        return self.sections.get(key) is not None


def county_report(county: str | int, year: int = 2024, lang: Lang = "zh", data_dir: str | Path = "",
                  processed_dir: str | Path = "", *, figures: bool = True) -> CountyReport:
    """Build the county report's sections for ``county`` (any form the resolver accepts).

    Reads the precomputed slice when :func:`precompute` has run on the same
    inputs, else computes this county's tables. Raises ``UnknownCountyError`` /
    ``AmbiguousCountyError`` for a bad county.
    """
    from impact.geo import resolve_county

    check_option("lang", lang, ("zh", "en"))
    c = resolve_county(county)
    year = int(year)
    inputs = load_inputs(data_dir, processed_dir)
    tables = _read_cache(cache_dir(year, processed_dir), year, inputs.digest(), c.code)
    if tables is None:
        tables = compute_tables(inputs, year, [c.code])
    tables = {k: (v[v["county_code"] == c.code].reset_index(drop=True)
                  if isinstance(v, pd.DataFrame) and "county_code" in v.columns else v)
              for k, v in tables.items()}
    sections: dict[str, Section | None] = {}
    panel = inputs.data.get("county_panel")
    sectors = active_sectors(tables["programs"], panel, c.code, year)
    sections["summary"] = summary_section(c, tables, sectors, lang, inputs)
    sections["maps"] = maps_section(c, tables, lang) if figures else None
    sections["exposure"] = exposure_section(c, tables, lang)
    for s in INDICATOR_SECTORS:
        sections[s] = sector_section(s, c, tables, sectors, lang, inputs, figures=figures)
    sections["bcr"] = bcr_section(c, tables, sectors, lang, inputs, figures=figures)
    sections["causal"] = causal_section(c, tables, lang, inputs, figures=figures)
    sections["appendix"] = appendix_section(c, tables, lang, inputs)
    used_sim = any(sec is not None and sec.simulated for sec in sections.values())
    return CountyReport(code=c.code, name=c.name, short_name=c.short_name, prefecture=c.prefecture,
                        year=year, lang=lang, sections=sections,
                        summary=sections["summary"].paragraphs if sections["summary"] else [],
                        simulated=used_sim, seed=inputs.seed, tables=tables,
                        skipped=tables.get("skipped", {}))


def _is_local(facts: pd.DataFrame, code: str) -> pd.Series:
    return facts["fact_county_code"].astype("string").fillna("") == code


def summary_sentences(c: Any, tables: dict[str, Any], sectors: Sequence[str], lang: str,
                      indicators: pd.DataFrame | None = None) -> list[str]:
    """One sentence each, readable aloud: organizations, programs, funds, beneficiaries, headline indicators."""
    orgs, progs, facts = tables["orgs"], tables["programs"], tables["facts"]
    out = []
    n_orgs = orgs["org_id"].nunique() if not orgs.empty else 0
    out.append(t("summary.orgs", lang, n=n_orgs, name=c.short_name) if n_orgs
               else t("summary.orgs.none", lang, name=c.short_name))
    n_prog = progs["program_id"].nunique() if not progs.empty else 0
    if n_prog:
        secs = join_list([sector_name(s, lang) for s in dict.fromkeys(progs["sector"].dropna())], lang)
        out.append(t("summary.programs", lang, n=n_prog, sectors=secs))
    else:
        out.append(t("summary.programs.none", lang))
    funds = fund_facts(facts)
    local = funds[_is_local(funds, c.code)] if not funds.empty else funds
    wide = funds[~_is_local(funds, c.code)] if not funds.empty else funds
    if not local.empty:
        out.append(t("summary.funds", lang, amount=_sum_text(local, lang)))
    else:
        out.append(t("summary.funds.none", lang))
    if not wide.empty:
        out.append(t("summary.funds.wide", lang, amount=_sum_text(wide, lang)))
    ben = beneficiary_facts(facts)
    ben = ben[_is_local(ben, c.code)] if not ben.empty else ben
    for _, r in ben.iterrows():
        what = (quote_clause(str(r.get("quote") or ""), str(r.get("value_as_written") or "")) if lang == "zh"
                else str(r["measure"]).replace("_", " "))
        out.append(t("summary.beneficiaries", lang, amount=fmt_quantity(r["value"], r["base_unit"], lang,
                                                                         r.get("qualifier") or "exact"),
                     measure=what))
    ind = tables["indicators"] if indicators is None else indicators
    names = dict(zip(progs.get("program_id", []), progs.get("program", [])))
    for _, r in ind.iterrows():
        if (r["term"] not in HEADLINE_TERMS or r["sector"] not in sectors or r.get("note")
                or pd.isna(r["estimate"])):
            continue
        out.append(indicator_sentence(r, lang, names))
    return out


def quote_clause(quote: str, value_as_written: str) -> str:
    """The clause of ``quote`` (split at Chinese punctuation) that holds ``value_as_written``;
    the whole quote when none does. ``"…，受益师生 8955人"`` → ``"受益师生 8955人"``."""
    import re

    for part in re.split(r"[，。；！？：,;]", quote):
        if value_as_written and value_as_written in part:
            return part.strip()
    return quote.strip()


def _sum_text(facts: pd.DataFrame, lang: str) -> str:
    """Sum of fact values; prefixed with the qualifier when all rows share a non-exact one
    (``超过`` + ``超过`` stays ``超过``); mixed qualifiers are prefixed with ``about``."""
    total = float(facts["value"].sum())
    quals = set(facts["qualifier"].fillna("exact")) if "qualifier" in facts.columns else {"exact"}
    q = quals.pop() if len(quals) == 1 else "about"
    return fmt_quantity(total, "yuan", lang, q)


def indicator_label(r: pd.Series, lang: str, program_names: dict[str, str] | None = None) -> str:
    """Display label of an indicator row (with the program's name for per-program rows)."""
    key = f"ind.{r['term']}"
    label = t(key, lang) if key in _MESSAGES_KEYS() else str(r["term"])
    pid = r.get("program_id")
    if pid is not None and not pd.isna(pid) and str(pid):
        label = f"{label}（{(program_names or {}).get(pid, pid)}）" if lang == "zh" else \
            f"{label} ({(program_names or {}).get(pid, pid)})"
    return label


def unit_label(unit: Any, lang: str) -> str:
    from impact.i18n import unit_name

    u = "" if unit is None or pd.isna(unit) else str(unit)
    return "%" if u == "percent" else unit_name(u, lang)


def indicator_sentence(r: pd.Series, lang: str, program_names: dict[str, str] | None = None) -> str:
    """``label: estimate unit (95% CI low to high).``; counts without an interval drop the CI."""
    label = indicator_label(r, lang, program_names)
    unit = unit_label(r.get("unit"), lang)
    if pd.isna(r["conf_low"]) or pd.isna(r["conf_high"]):
        return t("summary.indicator.noci", lang, label=label, estimate=fmt_number(r["estimate"], lang),
                 unit=unit if lang == "zh" or unit == "%" else " " + unit)
    if unit == "%":
        return t("summary.indicator.pct", lang, label=label, estimate=fmt_number(r["estimate"], lang),
                 low=fmt_number(r["conf_low"], lang), high=fmt_number(r["conf_high"], lang))
    return t("summary.indicator", lang, label=label, estimate=fmt_number(r["estimate"], lang), unit=unit,
             low=fmt_number(r["conf_low"], lang), high=fmt_number(r["conf_high"], lang))


def _MESSAGES_KEYS() -> set[str]:
    from impact.i18n import MESSAGES

    return set(MESSAGES)


def summary_section(c: Any, tables: dict[str, Any], sectors: Sequence[str], lang: str, inputs: Inputs) -> Section:
    sentences = summary_sentences(c, tables, sectors, lang)
    used = tables["indicators"]
    used = used[used["sector"].isin(sectors) & used["term"].isin(HEADLINE_TERMS)] if not used.empty else used
    sim = bool(not used.empty and used["simulated"].any())
    syn = tables.get("synth")
    if isinstance(syn, pd.DataFrame) and not syn.empty:
        sentences.append(causal_sentence(syn.iloc[0], lang))
        sim = sim or bool(syn["simulated"].iloc[0])
    return Section("summary", t("section.summary", lang), lang, paragraphs=sentences, simulated=sim,
                   seed=inputs.seed, box=True)


def maps_section(c: Any, tables: dict[str, Any], lang: str) -> Section | None:
    """County within prefecture and province (from :mod:`impact.maps`); programs by town."""
    sec = Section("maps", t("section.maps", lang), lang)
    maps = _module("impact.maps")
    if maps is not None and hasattr(maps, "county_locator_map"):
        from impact.plots import new_figure

        fig, ax = new_figure(7.5, 5.5)
        res = maps.county_locator_map(c.code, ax=ax, lang=lang)
        fig = getattr(res, "figure", None) or (res if hasattr(res, "savefig") else fig)
        sec.figures.append((t("fig.in_province", lang, name=c.name), fig_png(fig)))
    progs = tables["programs"]
    towns = progs[progs["towns"].astype(str) != ""] if not progs.empty else progs
    if not towns.empty:
        d = towns.assign(sector=towns["sector"].map(lambda s: sector_name(s, lang)))
        sec.tables.append((column_name("town", lang), _display_frame(d, ["towns", "program", "sector"], lang)
                           .rename(columns={"towns": column_name("town", lang)})))
    return sec if (sec.figures or sec.tables) else None


def exposure_section(c: Any, tables: dict[str, Any], lang: str) -> Section:
    """Paired organizations and programs, with the article's verbatim quotes."""
    sec = Section("exposure", t("section.exposure", lang), lang)
    orgs, progs = tables["orgs"], tables["programs"]
    if orgs.empty and progs.empty:
        sec.paragraphs.append(t("note.no_programs", lang))
        return sec
    if not orgs.empty:
        d = orgs.assign(level=orgs["level"].map(lambda v: level_name(v, lang)),
                        kind=orgs["kind"].map(lambda v: kind_name(v, lang)))
        sec.tables.append((t("section.exposure", lang),
                           _display_frame(d, ["organization", "level", "kind", "year", "event", "quote"], lang)))
    if not progs.empty:
        d = progs.assign(sector=progs["sector"].map(lambda v: sector_name(v, lang)),
                         period=progs.apply(lambda r: _period(r, lang), axis=1))
        sec.tables.append((column_name("program", lang),
                           _display_frame(d, ["program", "organization", "sector", "period", "towns", "delivered",
                                              "quote"], lang).rename(columns={"towns": column_name("town", lang)})))
        counts = progs.groupby("sector").size().rename("n").reset_index()
        counts["label"] = counts["sector"].map(lambda s: sector_name(s, lang))
        from impact.plots import bar_chart

        sec.figures.append((t("fig.programs", lang), fig_png(bar_chart(counts, "label", "n", lang=lang,
                                                                        xlabel=t("fig.programs", lang)))))
    return sec


def sector_section(sector: str, c: Any, tables: dict[str, Any], sectors: Sequence[str], lang: str,
                   inputs: Inputs, *, figures: bool = True) -> Section | None:
    """Indicators of one sector; ``None`` when the sector is not active in the county."""
    if sector not in sectors:
        return None
    sec = Section(sector, t(f"section.sector.{sector}", lang), lang, seed=inputs.seed)
    progs = tables["programs"]
    sp = progs[progs["sector"] == sector] if not progs.empty else progs
    if not sp.empty:
        sec.tables.append((column_name("program", lang),
                           _display_frame(sp, ["program", "organization", "delivered", "quote"], lang)))
        ids = set(sp["program_id"])
        f = tables["facts"]
        f = f[f["program_id"].isin(ids)] if not f.empty else f
        if not f.empty:
            sec.tables.append((t("appendix.registry_facts", lang), facts_frame(f, lang)))
    ind = tables["indicators"]
    ind = ind[ind["sector"] == sector] if not ind.empty else ind
    if not ind.empty:
        shown = ind.copy()
        names = dict(zip(tables["programs"].get("program_id", []), tables["programs"].get("program", [])))
        shown["label"] = [indicator_label(r, lang, names) for _, r in shown.iterrows()]
        shown["ci"] = ["—" if pd.isna(a) or pd.isna(b) else fmt_ci(a, b, lang)
                       for a, b in zip(shown["conf_low"], shown["conf_high"])]
        shown["estimate_s"] = [fmt_number(v, lang) for v in shown["estimate"]]
        shown["unit"] = shown["unit"].map(lambda u: unit_label(u, lang))
        shown["n"] = shown["n"].map(lambda v: "—" if pd.isna(v) else f"{int(v):,}")
        sec.tables.append((t("section.indicators", lang), shown[["label", "estimate_s", "ci", "n", "unit", "method"]]
                           .rename(columns={"label": column_name("indicator", lang),
                                            "estimate_s": column_name("estimate", lang),
                                            "ci": column_name("ci", lang), "n": column_name("n", lang),
                                            "unit": column_name("unit", lang), "method": column_name("method", lang)})))
        sec.paragraphs += [indicator_sentence(r, lang, names) for _, r in ind.iterrows()
                           if not r.get("note") and pd.notna(r["estimate"])]
        sec.notes += [f"{r['term']}: {r['note']}" for _, r in ind.iterrows() if r.get("note")]
        sec.simulated = bool(ind["simulated"].any())
        if figures:
            from impact.plots import forest_plot

            ok = shown[shown["estimate"].notna() & shown["conf_low"].notna()]
            for unit, g in ok.groupby("unit", sort=True):
                sec.figures.append((t("section.indicators", lang), fig_png(forest_plot(g, "label", lang=lang,
                                                                                        xlabel=str(unit)))))
    if not sec.tables and not sec.paragraphs:
        return None
    return sec


def causal_section(c: Any, tables: dict[str, Any], lang: str, inputs: Inputs, *, figures: bool = True) -> Section | None:
    """Synthetic-control estimate with its gap plot, placebo p-value and caveats; ``None`` when
    the county has no pairing cohort in the panel or the estimate could not be made."""
    syn = tables["synth"]
    if syn.empty:
        return None
    r = syn.iloc[0]
    lab = OUTCOME_LABEL.get(r["outcome"], {"zh": r["outcome"], "en": r["outcome"], "unit_zh": "", "unit_en": ""})
    sec = Section("causal", t("section.causal", lang), lang, simulated=bool(r["simulated"]), seed=inputs.seed)
    sec.paragraphs.append(causal_sentence(r, lang))
    from impact.design import design

    sec.paragraphs.append(design("synthetic_control").sentence(lang))
    sec.paragraphs.append(t("causal.interpret", lang))
    caveats = synth_caveats(r, lang)
    sec.notes += caveats
    if r["simulated"]:
        sec.notes.append(t("caveat.simulated", lang))
    if figures and not tables["gaps"].empty:
        from impact.plots import gap_plot

        fig = gap_plot(tables["gaps"], treated=c.code, pairing_year=int(r["cohort"]), lang=lang,
                       ylabel=f"{lab[lang]} {lab[f'unit_{lang}']}".strip())
        sec.figures.append((t("fig.gap", lang), fig_png(fig)))
    es = tables.get("event_study")
    if isinstance(es, pd.DataFrame) and not es.empty:
        es = es[(es["sector"] == r["sector"]) & es["time"].notna()]
        if not es.empty:
            sec.paragraphs.append(t("causal.event_study", lang))
            if figures:
                from impact.plots import event_study_plot

                fig = event_study_plot(es, lang=lang, ylabel=f"{lab[lang]} {lab[f'unit_{lang}']}".strip(),
                                       title=t("fig.event_title", lang, sector=sector_name(r["sector"], lang)))
                sec.figures.append((t("fig.event_title", lang, sector=sector_name(r["sector"], lang)), fig_png(fig)))
    return sec


def causal_sentence(r: pd.Series, lang: str) -> str:
    """The synthetic-control estimate in one sentence, with its placebo p-value."""
    lab = OUTCOME_LABEL.get(r["outcome"], {"zh": r["outcome"], "en": r["outcome"], "unit_zh": "", "unit_en": ""})
    est = float(r["estimate"])
    return t("summary.causal", lang, outcome=lab[lang], gap=fmt_number(abs(est), lang), unit=lab[f"unit_{lang}"],
             direction=t("dir.higher" if est >= 0 else "dir.lower", lang), p=fmt_pvalue(r["p_value"]))


def synth_caveats(r: pd.Series, lang: str) -> list[str]:
    """Caveats that apply: fewer than 5 pre-periods, pre-RMSPE above half the outcome's
    pre-period SD, fewer than 20 donors (smallest p-value 1/(donors+1) > 0.05)."""
    out = []
    if int(r["n_pre"]) < 5:
        out.append(t("caveat.few_pre", lang, n=int(r["n_pre"])))
    sd = float(r["outcome_sd"])
    if np.isfinite(sd) and sd > 0 and float(r["pre_rmspe"]) > 0.5 * sd:
        out.append(t("caveat.poor_fit", lang, ratio=f"{float(r['pre_rmspe']) / sd:.2f}"))
    if int(r["n_donors"]) < 20:
        out.append(t("caveat.small_pool", lang, n=int(r["n_donors"]), pmin=f"{1 / (int(r['n_donors']) + 1):.3f}"))
    return out


def facts_frame(f: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Registry facts for display: the value with unit and qualifier, and the verbatim quote;
    the measure as plain words in English (the Chinese quote says what it is)."""
    d = f.assign(value=[fmt_quantity(v, u, lang, q if isinstance(q, str) and q else "exact")
                        for v, u, q in zip(f["value"], f["base_unit"], f.get("qualifier", [""] * len(f)))],
                 measure=f["measure"].astype(str).str.replace("_", " "))
    cols = ["value", "quote"] if lang == "zh" else ["measure", "value", "quote"]
    return _display_frame(d, cols, lang)


def appendix_section(c: Any, tables: dict[str, Any], lang: str, inputs: Inputs) -> Section:
    """Sources with quotes, data hashes, package versions, what was not computed and why."""
    sec = Section("appendix", t("section.appendix", lang), lang, seed=inputs.seed)
    sec.paragraphs.append(t("appendix.sources", lang))
    f = tables["facts"]
    if not f.empty:
        sec.tables.append((t("appendix.registry_facts", lang), facts_frame(f, lang)))
    sec.tables.append((t("appendix.hashes", lang), data_hashes(inputs, lang)))
    sec.tables.append((t("appendix.versions", lang), package_versions(lang)))
    for k, why in sorted(tables.get("skipped", {}).items()):
        if k.startswith("synth ") and k != f"synth {c.code}":
            continue
        sec.notes.append(f"{k}: {why}")
    return sec


def data_hashes(inputs: Inputs, lang: str = "zh") -> pd.DataFrame:
    """SHA-256 of every input file, with whether it is simulated."""
    rows = []
    for name, path in sorted(inputs.files.items()):
        sim = "simulated" in path.name
        rows.append({column_name("file", lang): name, column_name("sha256", lang): file_sha256(path),
                     column_name("simulated", lang): ("是" if sim else "否") if lang == "zh" else ("yes" if sim else "no")})
    return pd.DataFrame(rows)


def package_versions(lang: str = "zh") -> pd.DataFrame:
    from importlib.metadata import PackageNotFoundError, version

    rows = []
    for pkg in ("impact", "pandas", "numpy", "geopandas", "statsmodels", "pyfixest", "matplotlib", "seaborn",
                "papermill"):
        try:
            v = version(pkg)
        except PackageNotFoundError:
            v = "—"
        rows.append({column_name("package", lang): pkg, column_name("version", lang): v})
    return pd.DataFrame(rows)


def show(obj: Any) -> None:
    """Display a section (or the report header) in a notebook; nothing for ``None``."""
    from IPython.display import HTML, display

    if obj is None:
        return
    if isinstance(obj, (CountyReport, ProvinceReport)):
        display(HTML(obj.header_html()))
    elif isinstance(obj, Section):
        display(HTML(obj.to_html()))
    else:
        display(obj)


def collect_report(rep: "CountyReport | ProvinceReport") -> None:
    """Register the report's tables and headline figures with the report engine
    (:mod:`impact.report.collect`; a no-op outside the engine)."""
    from impact.report import collect

    for name, df in rep.export_tables().items():
        collect.table(name, df)
    for name, (value, label, unit) in rep.headlines().items():
        collect.headline(name, value, label=label, unit=unit)


def _county_export(self: CountyReport) -> dict[str, pd.DataFrame]:
    out = {}
    for key in ("orgs", "programs", "facts", "indicators", "synth"):
        df = self.tables.get(key)
        if isinstance(df, pd.DataFrame) and not df.empty:
            out[key] = df.reset_index(drop=True)
    return out


def _county_headlines(self: CountyReport) -> dict[str, tuple[Any, str, str | None]]:
    lang = self.lang
    orgs, progs = self.tables["orgs"], self.tables["programs"]
    funds = fund_facts(self.tables["facts"])
    funds = funds[_is_local(funds, self.code)] if not funds.empty else funds
    out: dict[str, tuple[Any, str, str | None]] = {
        "organizations": (int(orgs["org_id"].nunique()) if not orgs.empty else 0, column_name("n_organizations", lang), None),
        "programs": (int(progs["program_id"].nunique()) if not progs.empty else 0, column_name("n_programs", lang), None),
        "funds_yuan": (float(funds["value"].sum()) if not funds.empty else None, column_name("funds", lang),
                       "元" if lang == "zh" else "yuan"),
    }
    syn = self.tables.get("synth")
    if isinstance(syn, pd.DataFrame) and not syn.empty:
        out["synth_effect"] = (float(syn["estimate"].iloc[0]), t("section.causal", lang), None)
        out["synth_p"] = (float(syn["p_value"].iloc[0]), column_name("p_value", lang), None)
    out["simulated"] = (bool(self.simulated), column_name("simulated", lang), None)
    return out


CountyReport.export_tables = _county_export  # type: ignore[attr-defined]
CountyReport.headlines = _county_headlines  # type: ignore[attr-defined]


# ========================================================== the province report


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
        return {k: v.reset_index(drop=True) for k, v in self.tables.items() if not v.empty}

    def headlines(self) -> dict[str, tuple[Any, str, str | None]]:
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


def funds_by_county(registry: dict[str, pd.DataFrame]) -> pd.Series:
    """Funds the article states for one county alone (facts with a ``county_code``), by county code."""
    facts = registry.get("facts", pd.DataFrame())
    if facts.empty:
        return pd.Series(dtype=float)
    f = facts[facts["county_code"].notna() & (facts["county_code"] != "")]
    f = fund_facts(f.assign(value=pd.to_numeric(f["value"], errors="coerce")))
    return f.groupby("county_code")["value"].sum().rename("funds")


def programs_by_county(registry: dict[str, pd.DataFrame]) -> pd.Series:
    """Number of registry programs sited in each county."""
    sites = registry.get("program_sites", pd.DataFrame())
    if sites.empty:
        return pd.Series(dtype=float)
    return sites.dropna(subset=["county_code"]).groupby("county_code")["program_id"].nunique().rename("programs")


def province_report(year: int = 2024, lang: Lang = "zh", data_dir: str | Path = "",
                    processed_dir: str | Path = "", *, figures: bool = True) -> ProvinceReport:
    """Build the province report: staggered estimates by sector, heterogeneity by
    organization level and kind, choropleths, league table, reconciliation."""
    check_option("lang", lang, ("zh", "en"))
    year = int(year)
    inputs = load_inputs(data_dir, processed_dir)
    reg = inputs.registry
    sections: dict[str, Section | None] = {}
    tables: dict[str, pd.DataFrame] = {}

    stag = staggered_by_sector(inputs, year)
    tables["staggered"] = stag
    sections["staggered"] = _estimates_section("staggered", stag, lang, inputs, figures) if not stag.empty else None
    het = heterogeneity(inputs, year)
    tables["heterogeneity"] = het
    sections["heterogeneity"] = _estimates_section("heterogeneity", het, lang, inputs, figures) if not het.empty else None

    sec = Section("choropleth", t("section.choropleth", lang), lang, seed=inputs.seed)
    funds = funds_by_county(reg)
    n_prog = programs_by_county(reg)
    tables["funds_by_county"] = funds.reset_index()
    maps = _module("impact.maps")
    if figures and maps is not None:
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
    tables["league"] = league
    if not league.empty:
        sec = Section("league", t("section.league", lang), lang)
        d = league.assign(sector=league["sector"].map(lambda v: sector_name(v, lang)),
                          cost=league["cost"].map(lambda v: fmt_number(v, lang)),
                          beneficiaries=[fmt_quantity(v, u, lang) for v, u in zip(league["beneficiaries"], league["unit"])],
                          cost_per_beneficiary=league["cost_per_beneficiary"].map(lambda v: fmt_number(v, lang)))
        sec.tables.append(("", _display_frame(d, ["rank", "program", "sector", "cost", "beneficiaries",
                                                  "cost_per_beneficiary", "quote"], lang)))
        sec.notes.append(t("note.league", lang))
        sec.notes += [f"{k}: {v}" for k, v in skipped.items()]
        if figures:
            from impact.plots import league_chart

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
        sec.tables.append(("", _display_frame(d, ["measure", "stated_total", "registry_sum", "difference", "covered",
                                                  "quote"], lang)))
        sec.paragraphs.append(t("note.reconcile", lang))
        sections["reconcile"] = sec
    else:
        sections["reconcile"] = None
    sections["appendix"] = Section("appendix", t("section.appendix", lang), lang,
                                   paragraphs=[t("appendix.sources", lang)],
                                   tables=[(t("appendix.hashes", lang), data_hashes(inputs, lang)),
                                           (t("appendix.versions", lang), package_versions(lang))])
    used_sim = any(s is not None and s.simulated for s in sections.values())
    return ProvinceReport(year=year, lang=lang, sections=sections, simulated=used_sim, seed=inputs.seed,
                          tables=tables)


def precomputed_synth(year: int, inputs: Inputs, processed_dir: str | Path = "") -> pd.DataFrame | None:
    """All counties' synthetic-control estimates from the cache (when it matches the inputs)."""
    out = cache_dir(year, processed_dir)
    meta = out / "meta.json"
    if not meta.is_file():
        return None
    m = json.loads(meta.read_text(encoding="utf-8"))
    if m.get("inputs_sha256") != inputs.digest():
        return None
    return _codes_as_str(pd.read_parquet(out / "synth.parquet"))


def staggered_by_sector(inputs: Inputs, year: int) -> pd.DataFrame:
    """Callaway–Sant'Anna overall ATT per sector on the county panel (counties without a
    program of the sector as controls; every county is paired).

    Columns: ``group`` (sector), ``outcome``, tidy columns, ``simulated``. Empty when the
    panel or the estimator is missing.
    """
    panel = inputs.data.get("county_panel")
    try:
        staggered = importlib.import_module("impact.estimate.staggered").staggered
    except (ImportError, AttributeError):
        return pd.DataFrame()
    if panel is None:
        return pd.DataFrame()
    panel = panel[pd.to_numeric(panel["year"]) <= year]
    rows = []
    for sector, outcome in SECTOR_OUTCOME.items():
        g = f"cohort_{sector}"
        if g not in panel.columns:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = staggered(panel, yname=outcome, idname="county_code", tname="year", gname=g)
        except Exception:
            continue
        tab = res.tidy().iloc[[0]].assign(group=sector, outcome=outcome,
                                          simulated=bool(inputs.simulated.get("county_panel", False)))
        tw = res.diagnostics.get("twfe")
        tab["twfe_estimate"] = float(tw["estimate"].iloc[0]) if tw is not None else np.nan
        tab["twfe_std_error"] = float(tw["std_error"].iloc[0]) if tw is not None else np.nan
        rows.append(tab)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def heterogeneity(inputs: Inputs, year: int) -> pd.DataFrame:
    """Overall ATT on income per capita for counties paired with organizations of each
    level and each kind (the group's later-paired counties, not yet paired, as controls)."""
    panel = inputs.data.get("county_panel")
    pair, orgs = inputs.registry.get("pairings", pd.DataFrame()), inputs.registry.get("organizations", pd.DataFrame())
    try:
        staggered = importlib.import_module("impact.estimate.staggered").staggered
    except (ImportError, AttributeError):
        return pd.DataFrame()
    if panel is None or pair.empty or orgs.empty:
        return pd.DataFrame()
    panel = panel[pd.to_numeric(panel["year"]) <= year]
    link = pair.merge(orgs[["org_id", "level", "kind"]], on="org_id")
    rows = []
    for dim in ("level", "kind"):
        for value, g in link.groupby(dim):
            sub = panel[panel["county_code"].isin(set(g["county_code"]))]
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    res = staggered(sub, yname="income_per_capita", idname="county_code", tname="year", gname="cohort",
                                    control_group="notyettreated")
            except Exception:
                continue
            rows.append(res.tidy().iloc[[0]].assign(group=f"{dim}:{value}", outcome="income_per_capita",
                                                    simulated=bool(inputs.simulated.get("county_panel", False))))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


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
        from impact.plots import forest_plot

        for outcome, g in d.groupby("outcome_l", sort=True):
            sec.figures.append((str(outcome), fig_png(forest_plot(g, "label", lang=lang, xlabel=str(outcome)))))
    return sec
