"""Patient records of county hospitals paired with the hospital association, before and after.

The article (景谷县人民医院): pancreatic tumor surgery now costs about 40,000 yuan locally,
and each patient saves about 60,000 yuan on average against a provincial tertiary
hospital. The simulation keeps to that one procedure, in the counties the registry pairs
with the Yunnan Hospital Association (the program's own domain), with the local medical
cost centred on 40,000 yuan and the provincial one set so that the mean **total** saving
(medical + travel + lodging + lost work) is about 60,000 yuan. The travel, lodging and
lost-work parameters are simulation assumptions, documented in ``docs/simulation.md``.

Each patient ``i`` has both potential settings' costs drawn:

    med_i(s) = mu_{proc,s} exp(x_i - 0.5 sd^2) infl_t,   x_i ~ N(0, sd^2),  infl_t = 1.02^(t - 2024)
    total_i(s) = med_i(s) + travel_i(s) + lodging_i(s) + lost_work_days_i(s) * daily_wage_i

and a latent ``u_i ~ U(0,1)``: treated locally iff ``u_i < p_{proc,period}``, with the
local share higher after the county's program start (``cohort_health``). The true saving
is ``total_i(provincial) - total_i(local)`` averaged over patients the program moved.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from impact.simulate._rng import stream

YEARS = np.arange(2020, 2026)
#: procedure -> (share, local medical cost, provincial medical cost, P(local) before, P(local) after)
#: local 40,000 (article: 手术费用约为4万元); provincial 96,000 so that the expected total
#: saving, 96,000 + 942 + 1,800 + 2,200 - (40,000 + 108 + 1,100) = 59,734 yuan, is the
#: article's 每人平均可节省约6万元. P(local) before/after the support: assumptions.
PROCEDURES: dict[str, tuple[float, float, float, float, float]] = {
    "胰腺肿瘤手术": (1.0, 40_000.0, 96_000.0, 0.05, 0.55),
}
#: organisation whose paired counties have the patient records
HOSPITAL_ORG = "yn_hospital_assoc"
COST_LOG_SD = 0.15
INFLATION = 0.02
PATIENTS_PER_COUNTY_YEAR = {"small": 40, "medium": 400, "large": 2000}


def hospital_counties(registry: dict[str, pd.DataFrame]) -> list[str]:
    """Counties the registry pairs with :data:`HOSPITAL_ORG` or where it sites a program."""
    pair = registry["pairings"]
    codes = set(pair.loc[pair["org_id"].astype(str) == HOSPITAL_ORG, "county_code"].astype(str))
    progs = registry["programs"]
    pids = set(progs.loc[progs["org_id"].astype(str) == HOSPITAL_ORG, "program_id"].astype(str))
    sites = registry["program_sites"]
    codes |= set(sites.loc[sites["program_id"].astype(str).isin(pids), "county_code"].astype("string").dropna())
    return sorted(c for c in codes if c)


def patients(
    seed: int, scale: str, expo: pd.DataFrame, registry: dict[str, pd.DataFrame]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Patient table and truth. ``expo`` is the panel's exposure frame (``cohort_health``:
    the support's start); hospitals are those of :func:`hospital_counties`."""
    rng = stream(seed, "patients", 0)
    codes = set(hospital_counties(registry))
    hosp = expo.loc[expo["county_code"].isin(codes) & (expo["cohort_health"] > 0), ["county_code", "cohort_health"]]
    start_col = "cohort_health"
    if hosp.empty:
        from impact.errors import ImpactError

        raise ImpactError(f"no county paired with {HOSPITAL_ORG} has a health cohort: no patient records to simulate")
    hosp = hosp.sort_values("county_code")
    names = list(PROCEDURES)
    share = np.array([PROCEDURES[p][0] for p in names])
    lam = PATIENTS_PER_COUNTY_YEAR[scale]
    parts = []
    for code, g in zip(hosp["county_code"], hosp["cohort_health"]):
        for year in YEARS:
            n = int(rng.poisson(lam))
            parts.append(pd.DataFrame({"county_code": code, "year": np.full(n, year), "g": g}))
    df = pd.concat(parts, ignore_index=True)
    n = len(df)
    proc = rng.choice(len(names), size=n, p=share)
    after = df["year"].to_numpy() >= df["g"].to_numpy()
    infl = (1.0 + INFLATION) ** (df["year"].to_numpy() - 2024)
    x = rng.normal(0.0, COST_LOG_SD, n)
    mu_l = np.array([PROCEDURES[p][1] for p in names])[proc]
    mu_p = np.array([PROCEDURES[p][2] for p in names])[proc]
    scale_x = np.exp(x - 0.5 * COST_LOG_SD**2) * infl
    med = {
        "local": np.round(mu_l * scale_x * np.exp(rng.normal(0.0, 0.05, n)), 2),
        "provincial": np.round(mu_p * scale_x * np.exp(rng.normal(0.0, 0.05, n)), 2),
    }
    travel = {
        "local": np.round(np.exp(rng.normal(np.log(100.0), 0.4, n)), 2),
        "provincial": np.round(np.exp(rng.normal(np.log(900.0), 0.3, n)), 2),
    }
    lodging = {"local": np.zeros(n), "provincial": np.round((2 + rng.poisson(8, n)) * rng.normal(180.0, 20.0, n), 2)}
    lost = {"local": 3 + rng.poisson(7, n), "provincial": 5 + rng.poisson(15, n)}
    wage = np.round(np.clip(rng.normal(110.0, 20.0, n), 40.0, None), 2)
    u = rng.random(n)
    p_before = np.array([PROCEDURES[p][3] for p in names])[proc]
    p_after = np.array([PROCEDURES[p][4] for p in names])[proc]
    local_obs = u < np.where(after, p_after, p_before)
    local_none = u < p_before  # setting without the program

    def total(s: str) -> np.ndarray:
        return med[s] + travel[s] + lodging[s] + lost[s] * wage

    tot_l, tot_p = total("local"), total("provincial")
    pick = lambda a, b: np.where(local_obs, a, b)  # noqa: E731
    out = pd.DataFrame(
        {
            "patient_id": [f"PT{i + 1:07d}" for i in range(n)],
            "county_code": df["county_code"].astype(str).to_numpy(),
            "year": df["year"].to_numpy(dtype="int64"),
            "procedure": np.array(names)[proc],
            "setting": np.where(local_obs, "local", "provincial"),
            "period": np.where(after, "after", "before"),
            "medical_cost": pick(med["local"], med["provincial"]),
            "travel_cost": pick(travel["local"], travel["provincial"]),
            "lodging_cost": pick(lodging["local"], lodging["provincial"]),
            "lost_work_days": pick(lost["local"], lost["provincial"]).astype("int64"),
            "daily_wage": wage,
        }
    )
    obs_total = np.where(local_obs, tot_l, tot_p)
    none_total = np.where(local_none, tot_l, tot_p)
    moved = after & local_obs & ~local_none
    pan = proc == names.index("胰腺肿瘤手术")
    truth: dict[str, Any] = {
        "program_start_column": start_col,
        "counties": {str(c): int(g) for c, g in zip(hosp["county_code"], hosp["cohort_health"])},
        "n_patients": int(n),
        "inflation_per_year": INFLATION,
        "procedures": {
            p: {
                "share": PROCEDURES[p][0],
                "medical_cost_local_2024": PROCEDURES[p][1],
                "medical_cost_provincial_2024": PROCEDURES[p][2],
                "p_local_before": PROCEDURES[p][3],
                "p_local_after": PROCEDURES[p][4],
                "source": "article: local cost 约4万元, saving 每人平均可节省约6万元 (total cost); "
                "P(local) before/after: simulation assumption",
            }
            for p in names
        },
        "n_moved_by_program": int(moved.sum()),
        "saving_per_moved_patient_total": _m(tot_p[moved] - tot_l[moved]),
        "saving_per_moved_patient_medical": _m(med["provincial"][moved] - med["local"][moved]),
        "saving_per_moved_patient_total_pancreatic": _m((tot_p - tot_l)[moved & pan]),
        "saving_per_moved_patient_medical_pancreatic": _m((med["provincial"] - med["local"])[moved & pan]),
        "saving_if_local_vs_provincial_total_all_patients": _m(tot_p - tot_l),
        "effect_of_program_on_total_cost_per_after_patient": _m((obs_total - none_total)[after]),
        "naive_before_after_difference_total_cost": round(
            float(np.mean(obs_total[after]) - np.mean(obs_total[~after])), 4
        ),
        "cost_definition": "total = medical_cost + travel_cost + lodging_cost + lost_work_days * daily_wage (yuan)",
    }
    return out, truth


def _m(x: np.ndarray) -> float | None:
    return round(float(np.mean(x)), 4) if len(x) else None
