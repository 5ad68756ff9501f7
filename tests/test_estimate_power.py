"""Power and MDE: a published worked example (Cohen 1988), statsmodels, the identities of the
design formulas, and simulation of each design."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from impact.estimate.design_power import mde, power, sample_size


def test_cohen_1988_table_2_4_1_sample_sizes():
    """Cohen (1988), Table 2.4.1 (two-tailed alpha = .05, power .80): n = 64 per group for
    d = 0.5 and 26 for d = 0.8."""
    assert sample_size(0.5) == 64
    assert sample_size(0.8) == 26
    assert sample_size(5.0, sd=10.0) == 64  # units: effect 5 on an outcome with sd 10


def test_bloom_1995_multiplier_for_large_samples():
    """Bloom (1995): MDE = 2.80 standard errors for alpha = .05 two-sided and power .80."""
    assert_allclose(mde(design="individual", n_treated=1e7, n_control=1e7).tidy()["multiplier"].iloc[0], 2.80, atol=0.005)


@pytest.mark.parametrize("n1, n0", [(64, 64), (30, 90), (12, 15)])
def test_individual_design_matches_statsmodels(n1, n0):
    from statsmodels.stats.power import TTestIndPower

    ref = TTestIndPower().solve_power(nobs1=n1, ratio=n0 / n1, alpha=0.05, power=0.8)
    assert_allclose(mde(design="individual", n_treated=n1, n_control=n0).tidy()["estimate"].iloc[0], ref, rtol=1e-6, atol=0)
    pw = TTestIndPower().power(effect_size=0.4, nobs1=n1, ratio=n0 / n1, alpha=0.05)
    assert_allclose(power(0.4, design="individual", n_treated=n1, n_control=n0).tidy()["estimate"].iloc[0], pw, rtol=1e-6, atol=0)


def test_paired_design_matches_statsmodels_paired_t():
    from statsmodels.stats.power import TTestPower

    # with r = 0.5 the pair difference has the outcome's sd
    assert_allclose(mde(design="paired", pairs=30, r=0.5).tidy()["estimate"].iloc[0],
                    TTestPower().solve_power(nobs=30, alpha=0.05, power=0.8), rtol=1e-6, atol=0)


def test_design_identities():
    ind = mde(design="individual", n_treated=50, n_control=50).tidy()["estimate"].iloc[0]
    # McKenzie (2012): with baseline-follow-up correlation 0.5, DiD is as precise as the follow-up comparison
    assert_allclose(mde(design="did", n_treated=50, n_control=50, r=0.5).tidy()["estimate"].iloc[0], ind, rtol=1e-9, atol=0)
    # ANCOVA variance factor 1 - r^2 (here 0.75): better than both
    anc = mde(design="ancova", n_treated=50, n_control=50, r=0.5).tidy()
    assert_allclose(anc["std_error"].iloc[0], np.sqrt(0.75 * (2 / 50)), rtol=1e-12, atol=0)
    # clusters: ICC 0 gives the individual standard error with n = J m; ICC 1 with n = J
    c0 = mde(design="cluster", clusters=20, cluster_size=10, icc=0.0).tidy()["std_error"].iloc[0]
    c1 = mde(design="cluster", clusters=20, cluster_size=10, icc=1.0).tidy()["std_error"].iloc[0]
    assert_allclose(c0, np.sqrt(2 / 100), rtol=1e-12, atol=0)
    assert_allclose(c1, np.sqrt(2 / 10), rtol=1e-12, atol=0)
    # design effect 1 + (m - 1) rho
    c = mde(design="cluster", clusters=20, cluster_size=10, icc=0.1).tidy()["std_error"].iloc[0]
    assert_allclose(c**2 / c0**2, 1 + 9 * 0.1, rtol=1e-12, atol=0)


def _rejects(t: np.ndarray, df: float) -> float:
    return float(np.mean(np.abs(t) > stats.t.ppf(0.975, df)))


def test_cluster_design_by_simulation():
    """Villages of 10 households, ICC 0.1, 20 villages half treated, effect = MDE: the test on
    village means rejects with probability 0.80."""
    J, m, rho, R = 20, 10, 0.1, 20000
    eff = mde(design="cluster", clusters=J, cluster_size=m, icc=rho).tidy()["estimate"].iloc[0]
    rng = np.random.default_rng(1)
    u = rng.normal(0, np.sqrt(rho), (R, J))
    e = rng.normal(0, np.sqrt(1 - rho), (R, J, m)).mean(axis=2)
    d = np.r_[np.ones(J // 2), np.zeros(J // 2)]
    ybar = u + e + eff * d
    a, b = ybar[:, d == 1], ybar[:, d == 0]
    sp = np.sqrt((a.var(1, ddof=1) + b.var(1, ddof=1)) / 2)
    t = (a.mean(1) - b.mean(1)) / (sp * np.sqrt(4 / J))
    assert abs(_rejects(t, J - 2) - 0.8) < 0.015


def test_did_design_by_simulation():
    n, r, R = 40, 0.7, 20000
    eff = mde(design="did", n_treated=n, n_control=n, r=r).tidy()["estimate"].iloc[0]
    rng = np.random.default_rng(2)
    y0 = rng.normal(size=(R, 2 * n))
    y1 = r * y0 + np.sqrt(1 - r**2) * rng.normal(size=(R, 2 * n))
    d = np.r_[np.ones(n), np.zeros(n)]
    ch = y1 - y0 + eff * d
    a, b = ch[:, d == 1], ch[:, d == 0]
    t = (a.mean(1) - b.mean(1)) / np.sqrt((a.var(1, ddof=1) + b.var(1, ddof=1)) / n)
    assert abs(_rejects(t, 2 * n - 2) - 0.8) < 0.015


def test_paired_design_by_simulation():
    P, r, R = 15, 0.6, 20000
    eff = mde(design="paired", pairs=P, r=r).tidy()["estimate"].iloc[0]
    rng = np.random.default_rng(3)
    common = rng.normal(0, np.sqrt(r), (R, P, 1))
    y = common + rng.normal(0, np.sqrt(1 - r), (R, P, 2))
    diff = y[:, :, 0] + eff - y[:, :, 1]
    t = diff.mean(1) / (diff.std(1, ddof=1) / np.sqrt(P))
    assert abs(_rejects(t, P - 1) - 0.8) < 0.015


def test_bad_design_inputs_are_refused():
    with pytest.raises(ValueError, match="needs clusters, cluster_size"):
        mde(design="cluster")
    with pytest.raises(ValueError, match="icc"):
        mde(design="cluster", clusters=10, cluster_size=5, icc=1.5)
    with pytest.raises(ValueError, match="design='lottery' is not valid"):
        mde(design="lottery", n_treated=5, n_control=5)  # type: ignore[arg-type]


def test_simulated_power_agrees_with_the_formula():
    import pandas as pd

    from impact.estimate.design_power import simulated_power
    from impact.estimate.matching import ra

    n, eff = 40, 0.5

    def simulate(s: int) -> pd.DataFrame:
        rng = np.random.default_rng(s)
        d = np.r_[np.ones(n), np.zeros(n)].astype(int)
        return pd.DataFrame({"d": d, "y": rng.normal(size=2 * n) + eff * d})

    res = simulated_power(simulate, lambda df: ra(df, "y", dname="d"), reps=400, truth=eff).tidy().set_index("term")
    analytic = power(eff, design="individual", n_treated=n, n_control=n).tidy()["estimate"].iloc[0]
    assert abs(res.loc["power", "estimate"] - analytic) < 3.5 * res.loc["power", "std_error"] + 0.02  # z vs t p-values
    assert abs(res.loc["bias", "estimate"]) < 3.5 * res.loc["bias", "std_error"]
    assert abs(res.loc["coverage", "estimate"] - 0.95) < 0.04


@pytest.mark.slow
def test_simulated_power_on_the_project_simulator():
    """The staggered county design of impact.simulate: Callaway-Sant'Anna's simple ATT on income."""
    from impact.estimate.design_power import simulated_power
    from impact.estimate.staggered import aggte, att_gt
    from impact.simulate import county_panel

    res = simulated_power(lambda s: county_panel(s)[0],
                          lambda d: aggte(att_gt(d, "income_per_capita", tname="year", idname="county_code", gname="cohort",
                                                 bstrap=False), "simple"), reps=5)
    assert 0 <= res.tidy()["estimate"].iloc[0] <= 1
