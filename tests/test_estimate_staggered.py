"""Callaway-Sant'Anna: reproduction of csdid on castle, truth recovery on simulated panels, design errors."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from impact.errors import DesignError, DesignWarning
from impact.estimate.staggered import aggte, att_gt, multiplier_bootstrap, staggered, twfe_weights

from _estimate_data import castle, reference

REF = reference("csdid_castle.json")
CASES = list(REF["cases"])


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return castle()


@pytest.mark.parametrize("case", CASES)
def test_att_gt_matches_csdid(data, case):
    cg, xf = case.split("|")
    ref = REF["cases"][case]
    res = att_gt(data, "y", tname="year", idname="sid", gname="g", control_group=cg, xformla=None if xf == "none" else xf, bstrap=False)
    t = res.tidy()
    assert t["group"].tolist() == ref["group"]
    assert t["time"].tolist() == ref["time"]
    assert_allclose(t["estimate"], ref["att"], rtol=0, atol=1e-6)
    assert_allclose(t["std_error"], ref["se"], rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("kind", ["simple", "dynamic", "group", "calendar"])
def test_aggte_matches_csdid(data, case, kind):
    cg, xf = case.split("|")
    ref = REF["cases"][case]["agg"][kind]
    gt = att_gt(data, "y", tname="year", idname="sid", gname="g", control_group=cg, xformla=None if xf == "none" else xf, bstrap=False)
    t = aggte(gt, kind).tidy()
    assert_allclose(t["estimate"].iloc[0], ref["overall_att"], rtol=0, atol=1e-6)
    assert_allclose(t["std_error"].iloc[0], ref["overall_se"], rtol=1e-4, atol=1e-7)
    if ref["att_egt"] is not None and kind != "simple":
        assert_allclose(t["estimate"].iloc[1:], ref["att_egt"], rtol=0, atol=1e-6)
        assert_allclose(t["std_error"].iloc[1:], ref["se_egt"], rtol=1e-4, atol=1e-7)


def test_bootstrap_se_close_to_analytic(data):
    gt_a = att_gt(data, "y", tname="year", idname="sid", gname="g", bstrap=False)
    gt_b = att_gt(data, "y", tname="year", idname="sid", gname="g", bstrap=True, biters=4999, seed=3)
    a, b = aggte(gt_a, "dynamic").tidy(), aggte(gt_b, "dynamic").tidy()
    # IQR-based bootstrap SEs track the analytic ones where many units contribute; event times
    # before -5 rest on one small cohort (heavy-tailed influence functions) and are excluded
    ok = (a["event_time"] >= -5).to_numpy()
    assert_allclose(b.loc[ok, "std_error"], a.loc[ok, "std_error"], rtol=0.15, atol=0)
    # uniform band is wider than the pointwise interval
    comp = b.iloc[1:]
    assert ((comp["cband_high"] - comp["cband_low"]) > (comp["conf_high"] - comp["conf_low"])).all()


def test_multiplier_bootstrap_weights_have_unit_variance():
    rng = np.random.default_rng(0)
    inf = rng.normal(size=(400, 3))
    for w in ("mammen", "rademacher"):
        se, crit = multiplier_bootstrap(inf, biters=20000, weights=w, seed=1)
        assert_allclose(se, np.sqrt((inf**2).sum(0)) / 400, rtol=0.03, atol=0)
        assert 1.96 < crit < 2.6


def _toy_panel(seed: int, n: int = 300, effects=None) -> tuple[pd.DataFrame, dict]:
    """Small DGP with known ATT(g,t): unit and time effects, cohorts 2004/2006, 20% never treated;
    effect = 1 + 0.5 * (t - g) for cohort 2004, 2 for cohort 2006; covariate x shifts trends."""
    rng = np.random.default_rng(seed)
    years = np.arange(2000, 2010)
    g = rng.choice([0, 2004, 2006], size=n, p=[0.4, 0.3, 0.3])
    x = rng.normal(size=n) + 0.5 * (g > 0)
    a = rng.normal(size=n)
    rows = []
    truth = {}
    for t_i, t in enumerate(years):
        te = np.where((g == 2004) & (t >= 2004), 1 + 0.5 * (t - 2004), 0.0) + np.where((g == 2006) & (t >= 2006), 2.0, 0.0)
        y = a + 0.3 * t_i + 0.2 * x * t_i + te + rng.normal(size=n)
        rows.append(pd.DataFrame({"id": np.arange(n), "t": t, "g": g, "x": x, "y": y}))
        for gg in (2004, 2006):
            truth[(gg, t)] = (1 + 0.5 * (t - 2004) if gg == 2004 else 2.0) if t >= gg else 0.0
    return pd.concat(rows, ignore_index=True), truth


def test_truth_recovery_toy_dgp_with_covariates():
    df, truth = _toy_panel(1, n=4000)
    res = att_gt(df, "y", tname="t", idname="id", gname="g", xformla="~ x", bstrap=False).tidy()
    est = res.set_index(["group", "time"])["estimate"]
    se = res.set_index(["group", "time"])["std_error"]
    tr = pd.Series([truth[k] for k in est.index], index=est.index)
    z = ((est - tr) / se).abs()
    assert (z < 4).all()
    # without covariates the x-driven trend biases the estimates: DR removes it
    nocov = att_gt(df, "y", tname="t", idname="id", gname="g", bstrap=False).tidy().set_index(["group", "time"])["estimate"]
    assert (nocov - tr).abs().mean() > 3 * (est - tr).abs().mean()


@pytest.fixture(scope="module")
def sim():
    from impact.simulate import county_panel

    return county_panel(20240712)


def _truth_cells(truth: dict, outcome: str) -> pd.DataFrame:
    t = pd.DataFrame(truth["outcomes"][outcome]["att_gt"])
    return t.rename(columns={"cohort": "group", "year": "time"}).set_index(["group", "time"])


def test_truth_recovery_on_simulator(sim):
    # every county is paired: the waves against later waves not yet paired (identified cells only)
    df, truth = sim
    gt = att_gt(df, "income_per_capita", tname="year", idname="county_code", gname="cohort", control_group="notyettreated",
                cluster="prefecture_code", biters=999, seed=1)
    t = gt.tidy().set_index(["group", "time"])
    t = t[t["estimate"].notna()]
    cells = _truth_cells(truth, "income_per_capita")
    tr = cells["att_sample"].reindex(t.index)
    assert tr.notna().all()
    inside = ((t["cband_low"] <= tr) & (tr <= t["cband_high"])).mean()
    assert inside >= 0.9
    simple = aggte(gt, "simple").tidy().iloc[0]
    true_simple = truth["outcomes"]["income_per_capita"]["wave_identified"]["simple_sample"]
    assert simple["conf_low"] <= true_simple <= simple["conf_high"]
    dyn = aggte(gt, "dynamic").tidy().set_index("term")
    post = cells.loc[[tuple(c) for c in truth["outcomes"]["income_per_capita"]["wave_identified"]["cells"]]]
    post = post.reset_index()
    for e, g in post.groupby(post["time"] - post["group"]):
        v = float((g["att_sample"] * g["n"]).sum() / g["n"].sum())
        row = dyn.loc[f"e={e}"]
        assert row["cband_low"] <= v <= row["cband_high"]


def test_twfe_weights_reproduce_simulator_twfe_estimand(sim):
    """sum_w w_it * TE_it with our dCDH weights equals the simulator's stated TWFE estimand."""
    df, truth = sim
    out = truth["outcomes"]["income_per_capita"]
    w = twfe_weights(df, tname="year", idname="county_code", gname="cohort")
    cells = _truth_cells(truth, "income_per_capita")["att_sample"]
    implied = float((w.set_index(["group", "time"])["weight"] * cells.reindex(w.set_index(["group", "time"]).index)).sum())
    assert_allclose(w["weight"].sum(), 1.0, rtol=0, atol=1e-10)
    assert_allclose(implied, out["twfe_static_estimand"], rtol=1e-6, atol=1e-6)


def test_staggered_shows_twfe_and_warns_when_it_disagrees():
    # effects growing with exposure: TWFE is biased downward (later cohorts compared to earlier ones)
    rng = np.random.default_rng(4)
    n, years = 120, np.arange(2010, 2020)
    g = rng.choice([2012, 2015, 2018], size=n)
    rows = []
    for t in years:
        te = 3.0 * np.clip(t - g + 1, 0, None) ** 1.5
        rows.append(pd.DataFrame({"id": np.arange(n), "t": t, "g": g, "y": rng.normal(size=n) * 0.3 + te + 0.1 * t}))
    df = pd.concat(rows, ignore_index=True)
    with pytest.warns(DesignWarning, match="disagree"):
        res = staggered(df, "y", tname="t", idname="id", gname="g", control_group="notyettreated", biters=199, seed=1)
    assert "twfe" in res.diagnostics and "twfe_weights" in res.diagnostics
    assert (res.diagnostics["twfe_weights"]["weight"] < 0).any()


def test_design_errors(data):
    never = data.assign(g=0)
    with pytest.raises(DesignError, match="no variation"):
        att_gt(never, "y", tname="year", idname="sid", gname="g")
    early = data.copy()
    early.loc[early.sid == early.sid.iloc[0], "g"] = 2000
    with pytest.raises(DesignError, match="first period"):
        att_gt(early, "y", tname="year", idname="sid", gname="g")
    nonever = data[data.g > 0]
    with pytest.raises(DesignError, match="never-treated"):
        att_gt(nonever, "y", tname="year", idname="sid", gname="g")


def test_speed_999_draws_on_county_panel(sim):
    """Sanity bound only (the timed figure is in benchmarks/bench_estimate.py)."""
    df, _ = sim
    t0 = time.perf_counter()
    gt = att_gt(df, "income_per_capita", tname="year", idname="county_code", gname="cohort", control_group="notyettreated",
                cluster="prefecture_code", biters=999, seed=1)
    aggte(gt, "dynamic")
    assert time.perf_counter() - t0 < 10


def test_result_interface(data):
    gt = att_gt(data, "y", tname="year", idname="sid", gname="g", biters=199, seed=1)
    agg = aggte(gt, "dynamic")
    t = agg.tidy()
    assert list(t.columns[:10]) == ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high", "n", "unit", "method"]
    assert "cluster" in t
    assert "Callaway" in agg.summary().as_text()
    assert "平均处理效应" in agg.sentence("zh")
    import matplotlib

    matplotlib.use("Agg")
    ax = agg.plot()
    assert len(ax.collections) >= 1


@pytest.mark.slow
def test_coverage_study_toy_dgp():
    """250 draws of an iid-unit panel (the sampling the estimator assumes), doubly robust with a
    covariate-driven trend: 95% intervals of the simple ATT (population weights, truth 2.15) and of
    ATT(2004, 2006) (truth 2.0) must cover in 93-97% of replications."""
    hits_simple, hits_cell = [], []
    for seed in range(250):
        df, truth = _toy_panel(10_000 + seed, n=300)
        gt = att_gt(df, "y", tname="t", idname="id", gname="g", xformla="~ x", biters=999, seed=seed)
        s = aggte(gt, "simple").tidy().iloc[0]
        hits_simple.append(s["conf_low"] <= 2.15 <= s["conf_high"])
        c = gt.tidy().set_index(["group", "time"]).loc[(2004, 2006)]
        hits_cell.append(c["conf_low"] <= truth[(2004, 2006)] <= c["conf_high"])
    cs, cc = float(np.mean(hits_simple)), float(np.mean(hits_cell))
    print(f"toy DGP coverage (250 reps): simple ATT {cs:.3f}, ATT(2004,2006) {cc:.3f}")
    assert 0.93 <= cs <= 0.97
    assert 0.93 <= cc <= 0.97


@pytest.mark.slow
def test_coverage_study_simulator():
    """200 simulator panels (impact.simulate.county_panel): coverage of the wave design's
    sample ATT (truth wave_identified.simple_sample; every county is paired, not-yet-treated
    controls) by prefecture-clustered bootstrap intervals.
    The treated counties are fixed by the registry, so the unit-sampling variance is
    conservative for the sample ATT: coverage at or above nominal is expected."""
    from impact.simulate import county_panel

    hits = []
    for seed in range(1000, 1200):
        df, truth = county_panel(seed)
        gt = att_gt(df, "income_per_capita", tname="year", idname="county_code", gname="cohort", control_group="notyettreated",
                    cluster="prefecture_code", biters=999, seed=seed)
        s = aggte(gt, "simple").tidy().iloc[0]
        v = truth["outcomes"]["income_per_capita"]["wave_identified"]["simple_sample"]
        hits.append(s["conf_low"] <= v <= s["conf_high"])
    cover = float(np.mean(hits))
    print(f"simulator coverage of 95% CI (simple ATT, prefecture-clustered bootstrap): {cover:.3f} over {len(hits)} replications")
    assert 0.93 <= cover <= 0.995
