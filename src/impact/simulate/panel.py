"""County-year panel, 129 counties x 2016-2025, with staggered, sector-specific exposure.

Data-generating process (see ``docs/simulation.md``), for county ``i`` in prefecture
``p(i)``, year ``t`` and outcome ``o`` whose exposure is given by cohort ``G_i^o``
(the county's pairing year, or its first program year in the outcome's sector; 0 = the
county has no program of that sector; every county is paired):

    Y_it(0) = alpha_io + lambda_ot + delta_{o,p(i),t} + eps_iot,
    eps_iot = rho_o * eps_io,t-1 + nu_iot,            nu ~ N(0, sigma_o^2)
    tau_iot = beta_o * h_io * d(t - G_i^o),           h_io = 1 + a_band(i) + b * z_i + u_io
    d(e)    = 1 + kappa * e  (e >= 0),  0 otherwise
    Y_it    = Y_it(0) + 1[G_i^o > 0, t >= G_i^o] * tau_iot

Waves: 27 first-wave counties paired in 2022 (drawn unless a sourced list is shipped), the
rest in 2023 or 2024 (see :func:`exposure`); no county stays unpaired.

``z_i`` is the standardized log baseline income and ``u_io ~ N(0, sigma_u^2)``. Stored
values are rounded (and clipped to the outcome's range); the recorded individual effect
is the difference of the stored potential outcomes, so sample truths are exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from impact import config
from impact.simulate._rng import stream

YEARS = np.arange(2016, 2026)
WAVES = (2022, 2023, 2024)
#: probabilities of 2023 and 2024 for later-wave counties whose year the article does not give
#: (the action was deployed in October 2023; signing ceremonies ran from the end of 2023)
LATER_WAVE_PROBS = (0.4, 0.6)
SECTORS = ("agriculture", "health", "child_protection")

ALTITUDE_BANDS = ("low", "middle", "high")
ALTITUDE_PROBS = np.array([0.30, 0.45, 0.25])
#: baseline-income multipliers by altitude band
ALTITUDE_INCOME = np.array([1.08, 1.00, 0.88])
#: effect heterogeneity: additive shift of h by altitude band
ALTITUDE_EFFECT = np.array([-0.25, 0.0, 0.35])
INCOME_BASE = 9000.0  # yuan, 2016 rural per-capita disposable income (order of magnitude)
INCOME_LOG_SD = 0.18
INCOME_EFFECT_SLOPE = -0.20  # poorer counties gain more (per SD of log baseline income)
EFFECT_NOISE_SD = 0.15  # sigma_u
DYNAMIC_SLOPE = 0.40  # kappa: effect grows 40% of its impact value per year since start


@dataclass(frozen=True)
class Outcome:
    """Parameters of one panel outcome."""

    name: str
    cohort: str  # column holding the exposure cohort
    beta: float  # impact effect at event time 0 for h = 1, in the outcome's unit
    unit: str
    sigma: float  # innovation SD of the AR(1) error
    rho: float  # AR(1) coefficient
    sigma_pref: float  # SD of prefecture-year shocks
    decimals: int
    lower: float | None = 0.0
    upper: float | None = None


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("income_per_capita", "cohort", 600.0, "yuan/person/year", 220.0, 0.6, 180.0, 0),
    Outcome("grain_yield", "cohort_agriculture", 12.0, "kg/mu", 6.0, 0.5, 4.0, 1),
    Outcome("vegetable_output", "cohort_agriculture", 2500.0, "10k yuan", 900.0, 0.6, 600.0, 1),
    Outcome("tourist_visits", "cohort", 0.0, "10k person-times", 20.0, 0.7, 15.0, 1),
    Outcome("referral_out_share", "cohort_health", -0.03, "share 0-1", 0.015, 0.5, 0.01, 4, 0.0, 1.0),
    Outcome("children_reached", "cohort_child_protection", 80.0, "persons", 12.0, 0.4, 5.0, 0),
)


def _year_of(value: Any) -> int | None:
    """Integer year from a year, ISO date or ``YYYY-MM`` string; None when missing."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    if not text or text.lower() in ("nan", "none", "<na>"):
        return None
    try:
        return int(float(text[:4]))
    except ValueError:
        return None


def _codes(series: pd.Series) -> pd.Series:
    return series.astype("string").fillna("").str.strip()


def exposure(
    counties: pd.DataFrame,
    pairings: pd.DataFrame,
    programs: pd.DataFrame,
    sites: pd.DataFrame,
    seed: int,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Pairing waves and program cohorts of every county (every county is paired).

    ``cohort`` (the county's first pairing year): 2022 for the first wave, the 27 national
    key counties. The project ships no sourced list of them (:func:`impact.design.key_counties`),
    so unless ``data/raw/registry/key_counties.csv`` exists they are **drawn** (27 of 129,
    uniformly; stream ``county_panel/1``) and recorded as drawn. The other counties form the
    later wave: 2024 in 昭通 and 大理 (the article dates their signing ceremonies 2024-03 and
    2024-05), else drawn from {2023, 2024} with probabilities :data:`LATER_WAVE_PROBS`.

    ``cohort_<sector>``: for counties with a program of that sector
    (:func:`impact.design.program_counties`), the later of the county's pairing year and the
    program's ``period_start`` year where the registry gives one (the earliest such
    program); 0 for counties without a program of that sector. Returns the per-county frame
    and a record of where each year came from.
    """
    from impact import design as dz

    codes = counties["county_code"].astype(str).tolist()
    rng = stream(seed, "county_panel", 1)
    key_file = config.REGISTRY_DIR / dz.KEY_COUNTIES_FILE
    if key_file.is_file():
        first = set(dz.key_counties(key_file)["county_code"])
        first_source = f"sourced list {key_file.name}"
    else:
        first = set(dz.draw_first_wave(codes, rng))
        first_source = "drawn"
    later_draw = rng.choice(np.array(dz.LATER_WAVE_YEARS), size=len(codes), p=np.array(LATER_WAVE_PROBS))
    pref = dict(zip(codes, counties["prefecture"].astype(str)))
    cohort: dict[str, int] = {}
    source: dict[str, str] = {}
    for code, drawn in zip(codes, later_draw):
        if code in first:
            cohort[code], source[code] = dz.FIRST_WAVE_YEAR, f"first_wave_{first_source.split()[0]}"
        elif pref[code] in dz.DATED_SIGNINGS:
            cohort[code], source[code] = dz.DATED_SIGNINGS[pref[code]], "later_wave_article_prefecture_signing"
        else:
            cohort[code], source[code] = int(drawn), "later_wave_drawn"

    registry = {"pairings": pairings, "programs": programs, "program_sites": sites}
    prog = programs.assign(program_id=_codes(programs["program_id"]))
    start_of = {pid: _year_of(v) for pid, v in zip(prog["program_id"], prog.get("period_start", pd.Series([None] * len(prog))))}
    sector_of = dict(zip(prog["program_id"], prog["sector"].astype(str)))
    site_pairs = set(zip(_codes(sites["county_code"]), _codes(sites["program_id"])))
    sectors: dict[str, dict[str, int]] = {}
    for s in SECTORS:
        for code in dz.program_counties(registry, s):
            if code not in cohort:
                continue
            starts = [max(cohort[code], start_of.get(pid) or cohort[code])
                      for (c, pid) in site_pairs if c == code and sector_of.get(pid) == s]
            sectors.setdefault(code, {})[s] = int(min(starts)) if starts else cohort[code]
    out = pd.DataFrame({"county_code": codes})
    out["cohort"] = [cohort[c] for c in codes]
    for s in SECTORS:
        out[f"cohort_{s}"] = [sectors.get(c, {}).get(s, 0) for c in codes]
    record = {
        "first_wave": {
            "year": dz.FIRST_WAVE_YEAR,
            "n": len(first),
            "source": first_source,
            "counties": sorted(first),
            "note": "drawn by the simulator: the project ships no sourced list of the 27 national key counties"
            if first_source == "drawn" else "read from the sourced list",
        },
        "counties": {
            code: {"cohort": cohort[code], "source": source[code], "sectors": dict(sorted(sectors.get(code, {}).items()))}
            for code in codes
        },
    }
    return out, record


def _covariates(counties: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = stream(seed, "county_panel", 2)
    n = len(counties)
    band = rng.choice(3, size=n, p=ALTITUDE_PROBS)
    pref_codes = np.array(sorted(counties["prefecture_code"].unique()))
    pref_eff = rng.normal(0.0, 0.10, size=len(pref_codes))
    pidx = np.searchsorted(pref_codes, counties["prefecture_code"].to_numpy())
    county_eff = rng.normal(0.0, 1.0, size=n)
    log_inc = np.log(INCOME_BASE) + pref_eff[pidx] + INCOME_LOG_SD * county_eff + np.log(ALTITUDE_INCOME[band])
    income = np.round(np.exp(log_inc), 0)
    return pd.DataFrame({"band": band, "baseline_income": income, "log_income": np.log(income)})


def _z_income(log_income: np.ndarray) -> np.ndarray:
    """Log baseline income standardized with the population constants (not the sample's)."""
    return (log_income - np.log(INCOME_BASE)) / INCOME_LOG_SD


def population_mean_h() -> float:
    """E[h] over the super-population of counties (u has mean 0).

    E[z] = sum_b p_b log(m_b) / s, because log income = log(base) + prefecture effect (mean 0)
    + s * N(0, 1) + log(m_band).
    """
    mean_z = float(np.sum(ALTITUDE_PROBS * np.log(ALTITUDE_INCOME)) / INCOME_LOG_SD)
    return float(1.0 + np.sum(ALTITUDE_PROBS * ALTITUDE_EFFECT) + INCOME_EFFECT_SLOPE * mean_z)


def _baseline_level(o: Outcome, rng: np.random.Generator, cov: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """County levels alpha_io and year trends lambda_ot for outcome ``o``."""
    n = len(cov)
    band = cov["band"].to_numpy()
    t = YEARS - YEARS[0]
    if o.name == "income_per_capita":
        alpha = cov["baseline_income"].to_numpy(dtype=float)
        lam = INCOME_BASE * (1.08**t - 1.0)
    elif o.name == "grain_yield":
        alpha = rng.normal(290.0, 35.0, n) + np.array([15.0, 0.0, -25.0])[band]
        lam = 2.0 * t
    elif o.name == "vegetable_output":
        alpha = np.exp(rng.normal(np.log(40000.0), 0.6, n))
        lam = 2500.0 * t
    elif o.name == "tourist_visits":
        alpha = np.exp(rng.normal(np.log(250.0), 0.7, n))
        covid = np.zeros(len(YEARS))
        covid[np.isin(YEARS, [2020, 2021, 2022])] = [-0.35, -0.28, -0.30]
        lam = 18.0 * t
        return alpha, lam + covid * 250.0  # additive COVID dip common to all counties
    elif o.name == "referral_out_share":
        alpha = rng.normal(0.30, 0.05, n) + np.array([-0.02, 0.0, 0.04])[band]
        lam = -0.006 * t
    elif o.name == "children_reached":
        alpha = np.maximum(rng.normal(60.0, 25.0, n), 5.0)
        lam = 4.0 * t
    else:  # pragma: no cover - OUTCOMES is closed
        raise KeyError(o.name)
    return alpha, lam


def _finish(x: np.ndarray, o: Outcome) -> np.ndarray:
    x = np.round(x, o.decimals)
    if o.lower is not None or o.upper is not None:
        x = np.clip(x, o.lower, o.upper)
    return x


def county_panel(
    seed: int,
    counties: pd.DataFrame,
    registry: dict[str, pd.DataFrame],
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The county-year panel and its truth (ATT(g,t), aggregations, per-county effects)."""
    counties = counties.reset_index(drop=True)
    expo, expo_record = exposure(counties, registry["pairings"], registry["programs"], registry["program_sites"], seed)
    cov = _covariates(counties, seed)
    n, T = len(counties), len(YEARS)
    pref_codes = np.array(sorted(counties["prefecture_code"].unique()))
    pidx = np.searchsorted(pref_codes, counties["prefecture_code"].to_numpy())
    z = _z_income(cov["log_income"].to_numpy())
    band = cov["band"].to_numpy()

    year = np.tile(YEARS, n)
    frame = pd.DataFrame(
        {
            "county_code": np.repeat(counties["county_code"].to_numpy(), T),
            "county_name": np.repeat(counties["name"].to_numpy(), T),
            "prefecture_code": np.repeat(counties["prefecture_code"].to_numpy(), T),
            "prefecture": np.repeat(counties["prefecture"].to_numpy(), T),
            "year": year.astype("int64"),
            "altitude_band": np.repeat(np.array(ALTITUDE_BANDS)[band], T),
            "baseline_income": np.repeat(cov["baseline_income"].to_numpy(), T),
        }
    )
    for col in ("cohort", "cohort_agriculture", "cohort_health", "cohort_child_protection"):
        frame[col] = np.repeat(expo[col].to_numpy(dtype="int64"), T)
    frame["treated"] = ((frame["cohort"] > 0) & (frame["year"] >= frame["cohort"])).astype("int64")
    frame = frame[
        [
            "county_code",
            "county_name",
            "prefecture_code",
            "prefecture",
            "year",
            "altitude_band",
            "baseline_income",
            "cohort",
            "treated",
            "cohort_agriculture",
            "cohort_health",
            "cohort_child_protection",
        ]
    ]

    h_mean_pop = population_mean_h()
    truth_outcomes: dict[str, Any] = {}
    for k, o in enumerate(OUTCOMES):
        rng = stream(seed, "county_panel", 10 + k)
        alpha, lam = _baseline_level(o, rng, cov)
        shocks = rng.normal(0.0, o.sigma_pref, size=(len(pref_codes), T))
        nu = rng.normal(0.0, o.sigma, size=(n, T))
        eps = np.empty((n, T))
        eps[:, 0] = nu[:, 0] / np.sqrt(1.0 - o.rho**2)
        for j in range(1, T):
            eps[:, j] = o.rho * eps[:, j - 1] + nu[:, j]
        u = rng.normal(0.0, EFFECT_NOISE_SD, size=n)
        h = 1.0 + ALTITUDE_EFFECT[band] + INCOME_EFFECT_SLOPE * z + u
        g = expo[o.cohort].to_numpy()
        e = YEARS[None, :] - g[:, None]
        d = np.where((g[:, None] > 0) & (e >= 0), 1.0 + DYNAMIC_SLOPE * e, 0.0)
        y0 = alpha[:, None] + lam[None, :] + shocks[pidx, :] + eps
        y1 = y0 + o.beta * h[:, None] * d
        y0r, y1r = _finish(y0, o), _finish(y1, o)
        on = d > 0
        observed = np.where(on, y1r, y0r)
        frame[o.name] = observed.reshape(-1).astype("int64" if o.decimals == 0 else "float64")
        effect = np.where(on, y1r - y0r, 0.0)
        truth_outcomes[o.name] = _panel_truth(o, counties["county_code"].to_numpy(), g, effect, on, h_mean_pop)
    truth = {
        "years": [int(YEARS[0]), int(YEARS[-1])],
        "n_counties": int(n),
        "first_wave": expo_record["first_wave"],
        "exposure": expo_record["counties"],
        "outcomes": truth_outcomes,
    }
    return frame, truth


def _panel_truth(
    o: Outcome, codes: np.ndarray, g: np.ndarray, effect: np.ndarray, on: np.ndarray, h_mean_pop: float
) -> dict[str, Any]:
    """ATT(g,t) (sample and population), aggregations and per-county effects for one outcome."""
    cohorts = sorted(int(c) for c in np.unique(g) if c > 0)
    att_gt = []
    n_g = {c: int(np.sum(g == c)) for c in cohorts}
    sample: dict[tuple[int, int], float] = {}
    popul: dict[tuple[int, int], float] = {}
    for c in cohorts:
        rows = g == c
        for j, t in enumerate(YEARS):
            ev = int(t - c)
            s = float(np.mean(effect[rows, j])) if ev >= 0 else 0.0
            p = float(o.beta * h_mean_pop * (1.0 + DYNAMIC_SLOPE * ev)) if ev >= 0 else 0.0
            sample[(c, int(t))] = s
            popul[(c, int(t))] = p
            att_gt.append(
                {
                    "cohort": c,
                    "year": int(t),
                    "event_time": ev,
                    "n": n_g[c],
                    "att_sample": _r(s),
                    "att_population": _r(p),
                }
            )

    def agg(values: dict[tuple[int, int], float]) -> dict[str, Any]:
        post = [(c, t) for (c, t) in values if t >= c]
        w = np.array([n_g[c] for c, _ in post], dtype=float)
        v = np.array([values[k] for k in post])
        simple = float(np.sum(w * v) / np.sum(w)) if len(post) else 0.0
        by_cohort = {str(c): _r(float(np.mean([values[(c, t)] for t in YEARS if t >= c]))) for c in cohorts}
        by_event = {}
        for ev in range(0, int(YEARS[-1] - min(cohorts)) + 1 if cohorts else 0):
            ks = [(c, c + ev) for c in cohorts if c + ev <= YEARS[-1]]
            ww = np.array([n_g[c] for c, _ in ks], dtype=float)
            by_event[str(ev)] = _r(float(np.sum(ww * np.array([values[k] for k in ks])) / np.sum(ww)))
        return {"simple": _r(simple), "by_cohort": by_cohort, "by_event_time": by_event}

    per_county = {}
    for i in np.flatnonzero(g > 0):
        eff = {str(int(t)): _r(float(effect[i, j])) for j, t in enumerate(YEARS) if on[i, j]}
        per_county[str(codes[i])] = {
            "cohort": int(g[i]),
            "effects": eff,
            "mean_post": _r(float(np.mean(effect[i, on[i]]))),
        }
    # TWFE static estimand: regress the individual effects on D with county and year
    # effects (balanced panel, closed-form two-way demeaning): what TWFE converges to.
    simple = float(np.mean(effect[on])) if on.any() else 0.0
    twfe, neg = _twfe_estimand(on, effect)
    ever = g > 0
    twfe_t, neg_t = _twfe_estimand(on[ever], effect[ever]) if ever.any() else (0.0, 0.0)
    return {
        "twfe_static_estimand": _r(twfe),
        "twfe_static_bias": _r(twfe - simple),
        "twfe_negative_weight_share": _r(neg),
        "twfe_static_estimand_treated_only": _r(twfe_t),
        "twfe_static_bias_treated_only": _r(twfe_t - simple),
        "twfe_negative_weight_share_treated_only": _r(neg_t),
        "cohort_column": o.cohort,
        "unit": o.unit,
        "beta": o.beta,
        "rho": o.rho,
        "sigma": o.sigma,
        "sigma_prefecture": o.sigma_pref,
        "n_treated": int(np.sum(g > 0)),
        "n_without_program": int(np.sum(g == 0)),
        "wave_identified": _wave_identified(g, sample, popul, n_g),
        "att_gt": att_gt,
        "att_sample": agg(sample),
        "att_population": agg(popul),
        "per_county": per_county,
    }


def _wave_identified(
    g: np.ndarray, sample: dict[tuple[int, int], float], popul: dict[tuple[int, int], float], n_g: dict[int, int]
) -> dict[str, Any]:
    """Estimand of the ``wave_timing`` design (not-yet-treated controls) for this exposure.

    ATT(g, t) with ``t >= g`` is identified only while some county is not yet treated:
    ``max G > t`` among the treated-at-some-point counties (every county is paired, and
    with a sector exposure the comparison may also include counties without the program,
    which are never treated by it: then every cell is identified). Aggregation as
    Callaway–Sant'Anna's ``simple``: ``sum N_g ATT(g,t) / sum N_g`` over identified cells.
    """
    has_untreated = bool(np.any(g == 0))
    last = int(np.max(g)) if g.size else 0
    cells = [(c, t) for (c, t) in sample if t >= c and (has_untreated or t < last)]
    if not cells:
        return {"cells": [], "simple_sample": None, "simple_population": None}
    w = np.array([n_g[c] for c, _ in cells], dtype=float)
    return {
        "cells": [[int(c), int(t)] for c, t in cells],
        "simple_sample": _r(float(np.sum(w * np.array([sample[k] for k in cells])) / w.sum())),
        "simple_population": _r(float(np.sum(w * np.array([popul[k] for k in cells])) / w.sum())),
    }


def _twfe_estimand(on: np.ndarray, effect: np.ndarray) -> tuple[float, float]:
    """Probability limit of static TWFE given the individual effects, and its share of
    treated cells with negative weight.

    In a balanced panel the two-way demeaned treatment is
    ``D~_it = D_it - mean_i D - mean_t D + mean D`` and the TWFE coefficient of the
    (noise-free) effects is ``sum D~ tau / sum D~ D`` (Goodman-Bacon 2021; de Chaisemartin
    and D'Haultfoeuille 2020).
    """
    dd = on.astype(float)
    dt = dd - dd.mean(axis=1, keepdims=True) - dd.mean(axis=0, keepdims=True) + dd.mean()
    den = float(np.sum(dt * dd))
    if den <= 0:
        return 0.0, 0.0
    return float(np.sum(dt * effect) / den), float(np.sum(dt[on] < 0) / max(1, int(on.sum())))


def _r(x: float) -> float:
    return float(round(x, 6))
