"""Causal estimates behind the county reports: synthetic control per county and event studies.

The province report takes its estimates from :mod:`impact.design` (program exposure by
sector, pairing waves with not-yet-paired controls; :func:`impact.report.province.design_estimates`).

Each function runs an estimator of :mod:`impact.estimate` through
:func:`impact.report.notes.call`, so the estimator's :class:`~impact.errors.DesignWarning` s
and refusals (:class:`~impact.errors.DesignError`) end up in the report's notes section.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from impact.design import SECTOR_OUTCOME as DESIGN_SECTOR_OUTCOME
from impact.design import county_plan, donor_pool
from impact.errors import DesignError
from impact.estimate.staggered import staggered
from impact.estimate.synth import synth
from impact.plots import synth_gaps
from impact.report.inputs import Inputs
from impact.report.notes import Notes, call

__all__ = ["SECTOR_OUTCOME", "SYNTH_DONORS", "event_study_table", "synth_table"]

#: Seed of every bootstrap behind a report (multiplier bootstrap of the staggered estimator):
#: a report made twice from the same inputs shows the same standard errors and bands.
BOOTSTRAP_SEED = 0
#: Outcome of the causal section per sector (county_panel column): the design's own
#: (:data:`impact.design.SECTOR_OUTCOME`), so a county's event study and its synthetic control
#: measure the same outcome, the one the sector's program can move.
SECTOR_OUTCOME: dict[str, str] = dict(DESIGN_SECTOR_OUTCOME)


#: Donor pool size of the county synthetic control (counties without a program of the same
#: sector closest in the pre-program mean of the outcome; :func:`impact.design.donor_pool`).
#: Restricting the pool to similar units limits interpolation bias (Abadie 2021, J. Econ.
#: Lit. 59(2)); 20 donors allow a smallest placebo p-value of 1/21 < 0.05.
SYNTH_DONORS = 20


def synth_table(inputs: Inputs, year: int, codes: Sequence[str] | None = None, *,
                notes: Notes | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Synthetic control (:func:`impact.estimate.synth`) for each county with a program others lack.

    The design of each county comes from :func:`impact.design.county_plan`: the county's first
    sector (agriculture, health, child protection) whose program started by ``year``, on that
    program's start year (``cohort_<sector>``, confirmed by the registry when it has the
    program tables) and the sector's outcome (:data:`impact.design.SECTOR_OUTCOME`). Donors:
    the :data:`SYNTH_DONORS` counties without a program of the same sector closest in
    pre-program mean outcome (:func:`impact.design.donor_pool`). Every county is paired, so a
    county without such a program gets no estimate, and the notes say why in Chinese and
    English (the county's programs and their sectors). Panel years up to
    ``year`` only. Returns ``summary`` (``county_code, sector, outcome, cohort,
    estimate, p_value, pre_rmspe, outcome_sd, n_donors, n_pre, method, simulated``),
    ``gaps`` (``county_code, unit, year, gap``: the county and the placebos whose
    pre-period RMSPE is at most 5 times the county's, as in Abadie et al. 2010). Counties
    not estimated, and the estimator's warnings, are recorded in ``notes``.
    """
    notes = notes if notes is not None else Notes()
    empty = (pd.DataFrame(columns=["county_code", "sector", "outcome", "cohort", "estimate", "p_value",
                                   "pre_rmspe", "outcome_sd", "n_donors", "n_pre", "method", "simulated"]),
             pd.DataFrame(columns=["county_code", "unit", "year", "gap"]))
    panel = inputs.data.get("county_panel")
    if panel is None:
        notes.skipped("synth", "no county_panel table")
        return empty
    panel = panel[pd.to_numeric(panel["year"]) <= year]
    targets = sorted(panel["county_code"].astype(str).unique())
    if codes is not None:
        targets = [c for c in targets if c in set(codes)]
    registry = inputs.registry if {"programs", "program_sites", "pairings"} <= set(inputs.registry or {}) else None
    summaries, gaps = [], []
    for code in targets:
        design = county_plan(panel, code, year, registry=registry)
        if design["design"] is None:  # no treatment date of the campaign that others lack: say why
            notes.skipped(f"synth {code}", design["reason_en"], county_code=code, reason_zh=design["reason_zh"])
            continue
        sector, outcome, cohort = design["sector"], design["outcome"], design["start"]
        try:
            donors = donor_pool(panel, code, sector=sector, outcome=outcome, start=cohort, max_donors=SYNTH_DONORS)
        except DesignError as err:
            notes.skipped(f"synth {code}", str(err), county_code=code)
            continue
        sub = panel[panel["county_code"].isin(donors + [code])]
        res = call(notes, "synth", synth, sub, yname=outcome, idname="county_code", tname="year",
                   treated_unit=code, treat_time=cohort, donors=donors, county_code=code)
        if res is None:  # DesignError, e.g. too few pre-periods: recorded in notes
            continue
        head = res.tidy().iloc[0]
        gaps.append(synth_gaps(res).assign(county_code=code)[["county_code", "unit", "year", "gap"]])
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
    return s, gp


def event_study_table(inputs: Inputs, year: int, *, sectors: Sequence[str] | None = None, biters: int = 999,
                      notes: Notes | None = None) -> pd.DataFrame:
    """Event-time effects per sector (Callaway–Sant'Anna dynamic aggregation, counties without a
    program of the sector as controls, :func:`impact.estimate.staggered`), pooled over all
    counties with a program of the sector.

    Columns: ``sector, outcome, time`` (years since pairing), ``estimate, conf_low, conf_high``
    (pointwise), ``cband_low, cband_high`` (uniform band), plus the overall ATT as
    ``time = NaN`` rows with term ``ATT``, and the joint pre-trend Wald test's p-value as the
    ``time = NaN`` row with term ``pretrend`` (``diagnostics["pretrend"]``); ``simulated``. Only ``sectors`` when given (the
    county reports need the sector of their own synthetic control). Sectors not estimated, and the
    estimator's warnings, are recorded in ``notes``.
    """
    notes = notes if notes is not None else Notes()
    panel = inputs.data.get("county_panel")
    if panel is None:
        notes.skipped("event_study", "no county_panel table")
        return pd.DataFrame()
    panel = panel[pd.to_numeric(panel["year"]) <= year]
    rows = []
    for sector, outcome in SECTOR_OUTCOME.items():
        if sectors is not None and sector not in sectors:
            continue
        g = f"cohort_{sector}"
        if g not in panel.columns or not (panel[g] > 0).any():
            continue
        res = call(notes, f"event_study {sector}", staggered, panel, yname=outcome, tname="year",
                   idname="county_code", gname=g, biters=biters, seed=BOOTSTRAP_SEED, twfe=False)
        if res is None:
            continue
        tab = res.tidy()
        tab["time"] = pd.to_numeric(tab.get("event_time"), errors="coerce")
        pre = res.diagnostics.get("pretrend")  # the joint Wald pre-test, one row ``term == "pretrend"``
        if isinstance(pre, pd.DataFrame) and not pre.empty:
            tab = pd.concat([tab, pd.DataFrame({"term": ["pretrend"], "time": [np.nan],
                                                "p_value": [float(pre["p_value"].iloc[0])]})], ignore_index=True)
        rows.append(tab.assign(sector=sector, outcome=outcome,
                               simulated=bool(inputs.simulated.get("county_panel", False))))
    if not rows:
        return pd.DataFrame()
    out = pd.concat(rows, ignore_index=True)
    keep = ["sector", "outcome", "term", "time", "estimate", "std_error", "conf_low", "conf_high", "cband_low",
            "cband_high", "p_value", "n", "method", "simulated"]
    return out[[c for c in keep if c in out.columns]]
