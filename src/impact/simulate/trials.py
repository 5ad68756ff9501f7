"""Seed-variety demonstration trials: paired plots, demonstration variety vs local check.

The article: the Yunnan Seed Association ran demonstrations of 10-20 maize varieties in
广南, 丘北 and 砚山 (3 counties, 4 towns) with "亩产增加20%". The simulator places trials in
those three counties only (the program's own domain), in 2023 and 2024.

For pair ``k`` (a treated plot and its check plot, same village, same soil) of variety
``v(k)``, with check-variety potential yield

    Y_kj(0) = exp(m_c + a_town + b_k + e_kj),      e ~ N(0, 0.08^2)

the treated plot's yield is ``Y_k1 = Y_k1(0) * (1 + gamma_v(k))`` with variety gains
``gamma_v ~ N(0.20, 0.03^2)`` re-centred so that their mean over the 15 varieties is
exactly the article's 0.20. The true mean relative gain is ``mean_k gamma_v(k)``
(sample) and 0.20 (population); the true mean gain in kg/mu is ``mean_k Y_k1 - Y_k1(0)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from impact.simulate._rng import stream

NAMED_COUNTIES = ("广南", "丘北", "砚山")
GAIN_MEAN = 0.20
GAIN_SD = 0.03
PLOT_NOISE_SD = 0.05
N_VARIETIES = 15
YEARS = (2023, 2024)
#: pairs per village per year at each scale
PAIRS_PER_VILLAGE = {"small": 15, "medium": 30, "large": 60}


def trial_counties(counties: pd.DataFrame, registry: dict[str, pd.DataFrame] | None = None) -> list[str]:
    """County codes of the trial counties: 广南, 丘北 and 砚山, the article's three."""
    alias = counties["alias"].astype(str)
    name = counties["name"].astype(str)
    picked: list[str] = []
    for a in NAMED_COUNTIES:
        hit = counties.loc[(alias == a) | name.str.startswith(a), "county_code"]
        if len(hit):
            picked.append(str(hit.iloc[0]))
    return picked


def plot_trials(
    seed: int, scale: str, counties: pd.DataFrame, registry: dict[str, pd.DataFrame]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Plot-level trial table and its truth."""
    rng = stream(seed, "plot_trials", 0)
    codes = trial_counties(counties, registry)
    if not codes:
        from impact.errors import ImpactError

        raise ImpactError("no trial county found: the county list lacks 广南, 丘北 and 砚山")
    gains = rng.normal(GAIN_MEAN, GAIN_SD, N_VARIETIES)
    gains = gains - gains.mean() + GAIN_MEAN  # the article's +20% is the varieties' mean gain
    varieties = np.array([f"demo_maize_{j + 1:02d}" for j in range(N_VARIETIES)])
    ppv = PAIRS_PER_VILLAGE[scale]
    rows: list[dict[str, Any]] = []
    y1_all, y10_all, gam_all = [], [], []
    pair_no = 0
    plot_no = 0
    for ci, code in enumerate(codes):
        m_c = np.log(rng.normal(420.0, 40.0))  # county mean maize yield, kg/mu
        n_towns = 2 if ci == 0 else 1  # the article's 3 counties, 4 towns ("3县4镇"); labels simulated
        for tw in range(n_towns):
            town = f"{code}-T{tw + 1:02d}"
            a_town = rng.normal(0.0, 0.06)
            for vi in range(3):
                village = f"{town}-V{vi + 1:02d}"
                a_vil = rng.normal(0.0, 0.05)
                for year in YEARS:
                    trial_id = f"TR{year}-{town}"
                    a_year = rng.normal(0.0, 0.04)
                    for _ in range(ppv):
                        pair_no += 1
                        b = rng.normal(0.0, 0.10)
                        v = int(rng.integers(0, N_VARIETIES))
                        e = rng.normal(0.0, PLOT_NOISE_SD, 2)
                        y0 = np.exp(m_c + a_town + a_vil + a_year + b + e)
                        y1 = y0[0] * (1.0 + gains[v])
                        yt, yc = round(float(y1), 1), round(float(y0[1]), 1)
                        yt0 = round(float(y0[0]), 1)
                        y1_all.append(yt)
                        y10_all.append(yt0)
                        gam_all.append(gains[v])
                        fert = rng.normal(35.0, 5.0)
                        area = float(np.round(rng.uniform(0.5, 3.0), 2))
                        for arm, yld, var, seedcost in (
                            ("treated", yt, varieties[v], rng.normal(75.0, 8.0)),
                            ("check", yc, "local_check", rng.normal(50.0, 6.0)),
                        ):
                            plot_no += 1
                            rows.append(
                                {
                                    "trial_id": trial_id,
                                    "county_code": code,
                                    "town": town,
                                    "village": village,
                                    "plot_id": f"P{plot_no:07d}",
                                    "pair_id": f"K{pair_no:06d}",
                                    "year": year,
                                    "variety": str(var),
                                    "arm": arm,
                                    "area_mu": area,
                                    "yield_kg_per_mu": yld,
                                    "fertilizer_kg_per_mu": round(float(fert + rng.normal(0.0, 1.0)), 1),
                                    "seed_cost_yuan_per_mu": round(float(seedcost), 1),
                                }
                            )
    frame = pd.DataFrame(rows)
    frame["year"] = frame["year"].astype("int64")
    y1a, y10a, gam = np.array(y1_all), np.array(y10_all), np.array(gam_all)
    truth = {
        "counties": codes,
        "n_pairs": int(len(y1a)),
        "gain_population": GAIN_MEAN,
        "gain_sd_between_varieties": GAIN_SD,
        "plot_noise_sd": PLOT_NOISE_SD,
        "gain_source": "article: 亩产增加20% (广南, 丘北, 砚山)",
        "variety_gains": {str(varieties[j]): round(float(gains[j]), 6) for j in range(N_VARIETIES)},
        "mean_gain_sample": round(float(np.mean(gam)), 6),
        "mean_gain_kg_per_mu_sample": round(float(np.mean(y1a - y10a)), 6),
        "ratio_of_means_gain_sample": round(float(np.mean(y1a) / np.mean(y10a) - 1.0), 6),
        "note": "town and village labels are simulated; the article names the counties only",
    }
    return frame, truth
