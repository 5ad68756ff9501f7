"""County-year panel, 129 counties x 2016-2025, with staggered, sector-specific exposure.

Data-generating process (see ``docs/simulation.md``), for county ``i`` in prefecture
``p(i)``, year ``t`` and outcome ``o`` whose exposure is given by cohort ``G_i^o``
(the county's first pairing year for the outcome's sector, 0 = never):

    Y_it(0) = alpha_io + lambda_ot + delta_{o,p(i),t} + eps_iot,
    eps_iot = rho_o * eps_io,t-1 + nu_iot,            nu ~ N(0, sigma_o^2)
    tau_iot = beta_o * h_io * d(t - G_i^o),           h_io = 1 + a_band(i) + b * z_i + u_io
    d(e)    = 1 + kappa * e  (e >= 0),  0 otherwise
    Y_it    = Y_it(0) + 1[G_i^o > 0, t >= G_i^o] * tau_iot

``z_i`` is the standardized log baseline income and ``u_io ~ N(0, sigma_u^2)``. Stored
values are rounded (and clipped to the outcome's range); the recorded individual effect
is the difference of the stored potential outcomes, so sample truths are exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from impact.simulate._rng import stream

YEARS = np.arange(2016, 2026)
WAVES = (2022, 2023, 2024)
#: probabilities of the waves drawn for paired counties whose registry rows carry no year
WAVE_PROBS = (1 / 3, 1 / 3, 1 / 3)
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
    Outcome("children_reached", "cohort_child_protection", 250.0, "persons", 12.0, 0.4, 5.0, 0),
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
    """County exposure cohorts from the registry.

    A county is exposed if the registry pairs it (``pairings``) or sites a program in it
    (``program_sites``). Its ``cohort`` is the earliest year the registry gives (pairing
    ``year``/``date`` or the program's ``period_start``), clipped to 2022-2024; when the
    registry gives no year a wave is drawn from {2022, 2023, 2024} with equal probability.
    ``cohort_<sector>`` equals ``cohort`` when the county has a program of that sector (a
    program sited there, or a program without sites of an organization paired with it).
    Returns the per-county frame and a record of where each cohort came from.
    """
    codes = set(counties["county_code"])
    pairings = pairings.copy()
    programs = programs.copy()
    sites = sites.copy()
    for df in (pairings, sites):
        df["county_code"] = _codes(df["county_code"]) if "county_code" in df else ""
    programs["program_id"] = _codes(programs["program_id"])
    sites["program_id"] = _codes(sites["program_id"]) if "program_id" in sites else ""
    prog_sector = dict(zip(programs["program_id"], programs["sector"].astype("string").fillna("")))
    prog_start = {
        pid: _year_of(v)
        for pid, v in zip(programs["program_id"], programs.get("period_start", pd.Series([None] * len(programs))))
    }
    prog_org = dict(zip(programs["program_id"], _codes(programs["org_id"])))

    years: dict[str, list[int]] = {}
    sectors: dict[str, set[str]] = {}
    exposed: set[str] = set()
    for row in pairings.itertuples(index=False):
        code = row.county_code
        if code not in codes:
            continue
        exposed.add(code)
        y = _year_of(getattr(row, "year", None)) or _year_of(getattr(row, "date", None))
        if y is not None:
            years.setdefault(code, []).append(y)
    sited_programs = set(sites["program_id"])
    for row in sites.itertuples(index=False):
        code = row.county_code
        if code not in codes:
            continue
        exposed.add(code)
        pid = row.program_id
        sectors.setdefault(code, set()).add(str(prog_sector.get(pid, "")))
        y = prog_start.get(pid)
        if y is not None:
            years.setdefault(code, []).append(y)
    # programs with no sites apply to every county their organization is paired with
    for pid, org in prog_org.items():
        if pid in sited_programs:
            continue
        for code in pairings.loc[_codes(pairings["org_id"]) == org, "county_code"]:
            if code in codes:
                sectors.setdefault(code, set()).add(str(prog_sector.get(pid, "")))

    rng = stream(seed, "county_panel", 1)
    order = sorted(exposed)
    draws = rng.choice(np.array(WAVES), size=len(order), p=np.array(WAVE_PROBS))
    source: dict[str, str] = {}
    cohort: dict[str, int] = {}
    for code, drawn in zip(order, draws):
        given = years.get(code)
        if given:
            y = min(given)
            c = int(min(max(y, WAVES[0]), WAVES[-1]))
            cohort[code] = c
            source[code] = "registry_year" if c == y else f"registry_year_clipped_from_{y}"
        else:
            cohort[code] = int(drawn)
            source[code] = "drawn_wave"
    out = pd.DataFrame({"county_code": counties["county_code"]})
    out["cohort"] = [cohort.get(c, 0) for c in out["county_code"]]
    for s in SECTORS:
        out[f"cohort_{s}"] = [cohort.get(c, 0) if s in sectors.get(c, set()) else 0 for c in out["county_code"]]
    record = {
        code: {
            "cohort": cohort[code],
            "source": source[code],
            "sectors": sorted(x for x in sectors.get(code, set()) if x),
        }
        for code in order
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
        "exposure": expo_record,
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
        "n_never": int(np.sum(g == 0)),
        "att_gt": att_gt,
        "att_sample": agg(sample),
        "att_population": agg(popul),
        "per_county": per_county,
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
