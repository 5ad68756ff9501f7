"""Coverage studies: do the 95% intervals cover the truth 93-97% of the time?

The slow versions (``-m slow``) run 200 replications per estimator; the fast versions, in the
default run, run 20 with a loose bound. The yield study uses the project's simulator (in
memory: ``impact.simulate.plot_trials``, the same generator ``simulate`` writes to disk); the
others use small data-generating processes written here with known true values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impact.indicators import cost_savings, income_increase, yield_gain

LEVEL = 0.95


def _yield_simulator(reps: int) -> np.ndarray:
    from impact.simulate import plot_trials

    hits = []
    for seed in range(reps):
        df, truth = plot_trials(seed)
        # variety drawn uniformly per pair, independent of plot effects: E[Y1]/E[Y0] - 1 = mean of variety gains
        target = 100 * float(np.mean(list(truth["variety_gains"].values())))
        t = yield_gain(df).table
        t = t[t.term == "yield_gain_pct"]
        hits.append(((t.conf_low < target) & (target < t.conf_high)).to_numpy())
    return np.concatenate(hits)


def _yield_cluster(reps: int) -> np.ndarray:
    hits = []
    for seed in range(reps):
        rng = np.random.default_rng(1000 + seed)
        G, V, P = 4, 20, 4
        g = np.repeat(np.arange(G), V * 2 * P)
        v = np.repeat(np.arange(G * V), 2 * P)
        arm = np.tile(np.repeat(["treated", "check"], P), G * V)
        mu = np.where(arm == "treated", 480.0, 400.0)
        y = mu * np.exp(rng.normal(0, 0.08, G * V)[v]) + rng.normal(0, 25, g.size)
        df = pd.DataFrame({"county_code": g.astype(str), "year": 2024, "village": v, "arm": arm, "yield_kg_per_mu": y})
        # E[exp(N(0, .08^2))] multiplies both arms: true gain 80 * e^{.0032}, percent exactly 20
        t = yield_gain(df, n_boot=399, seed=seed).table.set_index("term")
        truth = {"yield_gain": 80 * np.exp(0.08**2 / 2), "yield_gain_pct": 20.0}
        for term, target in truth.items():
            x = t.loc[term]
            hits.append(((x.conf_low < target) & (target < x.conf_high)).to_numpy())
    return np.concatenate(hits)


def _savings(reps: int) -> np.ndarray:
    hits = []
    s = 0.3
    for seed in range(reps):
        rng = np.random.default_rng(2000 + seed)
        n = 40
        rows = []
        for g in range(5):
            loc = 40_000 * np.exp(rng.normal(-s**2 / 2, s, n))  # mean 40,000
            prov = 95_000 * np.exp(rng.normal(-s**2 / 2, s, n))  # mean 95,000, + 5,000 travel/lodging/lost work
            rows.append(pd.DataFrame({"county_code": str(g), "year": 2024, "setting": ["local"] * n + ["provincial"] * n,
                                      "medical_cost": np.r_[loc, prov], "travel_cost": np.r_[np.zeros(n), np.full(n, 1000.0)],
                                      "lodging_cost": np.r_[np.zeros(n), np.full(n, 2000.0)], "lost_work_days": np.r_[np.zeros(n), np.full(n, 10)],
                                      "daily_wage": 200.0}))
        t = cost_savings(pd.concat(rows)).table
        t = t[t.term == "saving_per_patient"]
        hits.append(((t.conf_low < 60_000) & (60_000 < t.conf_high)).to_numpy())
    return np.concatenate(hits)


def _income(reps: int) -> np.ndarray:
    hits = []
    for seed in range(reps):
        rng = np.random.default_rng(3000 + seed)
        C, V, H = 3, 30, 12
        n = C * V * H
        county = np.repeat(np.arange(C), V * H).astype(str)
        village = np.repeat(np.arange(C * V), H)
        part = rng.random(n) < 0.4
        base = 20_000 * np.exp(rng.normal(0, 0.3, n))
        growth = rng.normal(1500, 800, C * V)[village]  # village-level shocks: naive SEs would be too small
        follow = base + growth + rng.normal(0, 1500, n) + 2000 * part
        hh = pd.DataFrame({"household_id": np.tile(np.arange(n), 2), "county_code": np.tile(county, 2), "village_id": np.tile(village, 2),
                           "wave": np.repeat([0, 1], n), "year": np.repeat([2022, 2023], n), "hh_size": 4, "participant": np.tile(part.astype(int), 2),
                           "income_total": np.r_[base, follow]})
        t = income_increase(hh, sources=("total",)).table
        t = t[t.term == "total_per_household"]
        hits.append(((t.conf_low < 2000) & (2000 < t.conf_high)).to_numpy())
    return np.concatenate(hits)


STUDIES = {"yield_paired_simulator": _yield_simulator, "yield_cluster_bootstrap": _yield_cluster,
           "cost_savings_welch": _savings, "income_cluster_robust": _income}


@pytest.mark.parametrize("name", list(STUDIES))
def test_coverage_fast(name):
    hits = STUDIES[name](12 if name == "yield_cluster_bootstrap" else 20)
    rate = hits.mean()
    assert 0.85 <= rate <= 1.0, f"{name}: coverage {rate:.3f} over {hits.size} intervals"


@pytest.mark.slow
@pytest.mark.parametrize("name", list(STUDIES))
def test_coverage_slow(name):
    hits = STUDIES[name](200)
    rate = hits.mean()
    print(f"\ncoverage {name}: {rate:.4f} over {hits.size} intervals (200 replications)")
    assert 0.93 <= rate <= 0.97, f"{name}: coverage {rate:.3f} over {hits.size} intervals"
