"""Callaway-Sant'Anna: est_method dr / ipw / reg, unit weights and the Wald pre-test against
csdid (Python port of R did); truth recovery on a simulated staggered panel."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from impact.estimate.staggered import aggte, att_gt, staggered

from _estimate_data import castle_weighted, reference, staggered_panel

REF = reference("csdid_methods.json")


@pytest.fixture(scope="module")
def data():
    return castle_weighted()


@pytest.mark.parametrize("case", sorted(REF["cases"]))
def test_methods_and_weights_match_csdid(data, case):
    em, wn, xf = case.split("|")
    ref = REF["cases"][case]
    gt = att_gt(data, "y", tname="year", idname="sid", gname="g", est_method=em, weightsname=None if wn == "none" else wn,
                xformla=None if xf == "none" else xf, bstrap=False)
    t = gt.tidy()
    assert_allclose(t["estimate"], ref["att"], rtol=0, atol=1e-7)
    assert_allclose(t["std_error"], ref["se"], rtol=1e-6, atol=1e-9)
    dyn = aggte(gt, "dynamic").tidy()
    assert_allclose(dyn["estimate"].iloc[0], ref["dynamic_att"], rtol=0, atol=1e-7)
    assert_allclose(dyn["std_error"].iloc[0], ref["dynamic_se"], rtol=1e-6, atol=0)
    assert_allclose(dyn["estimate"].iloc[1:], ref["dynamic_egt"], rtol=0, atol=1e-7)
    assert_allclose(dyn["std_error"].iloc[1:], ref["dynamic_se_egt"], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("case", sorted(REF["pretest"]))
def test_wald_pretest_matches_csdid(case):
    seed, pt, em, xf = case.split("|")
    ref = REF["pretest"][case]
    p = staggered_panel(int(seed), pretrend=float(pt))
    gt = att_gt(p, "y", tname="t", idname="id", gname="g", est_method=em, weightsname="w",
                xformla=None if xf == "none" else xf, bstrap=False)
    assert_allclose(gt.tidy()["estimate"], ref["att"], rtol=0, atol=1e-7)
    pre = gt.diagnostics["pretrend"].iloc[0]
    assert_allclose(pre["wald"], ref["W"], rtol=1e-6, atol=0)
    assert_allclose(pre["p_value"], ref["Wpval"], rtol=0, atol=1e-5)  # R rounds to 5 digits
    assert "Pre-test of parallel trends" in gt.info


def test_methods_agree_without_covariates(data):
    a = [att_gt(data, "y", tname="year", idname="sid", gname="g", est_method=m, bstrap=False).tidy()["estimate"] for m in ("dr", "ipw", "reg")]
    assert_allclose(a[1], a[0], rtol=0, atol=1e-10)
    assert_allclose(a[2], a[0], rtol=0, atol=1e-10)


@pytest.mark.parametrize("em", ["dr", "ipw", "reg"])
def test_each_method_recovers_the_dynamic_truth_with_covariate_driven_trends(em):
    """Trends depend on x, which is higher among the treated: without x the event-time effects
    are biased; with x every method recovers 1 + 0.5 e."""
    p = staggered_panel(3, n=3000)
    dyn = aggte(att_gt(p, "y", tname="t", idname="id", gname="g", xformla="~ x", est_method=em, bstrap=False), "dynamic").tidy()
    post = dyn[dyn["event_time"] >= 0]
    truth = 1 + 0.5 * post["event_time"].to_numpy(float)
    z = (post["estimate"].to_numpy() - truth) / post["std_error"].to_numpy()
    assert np.all(np.abs(z) < 3.5), z
    naive = aggte(att_gt(p, "y", tname="t", idname="id", gname="g", bstrap=False), "dynamic").tidy()
    nz = (naive[naive["event_time"] >= 0]["estimate"].to_numpy() - truth) / naive[naive["event_time"] >= 0]["std_error"].to_numpy()
    assert np.max(np.abs(nz)) > 4  # confounded


def test_pretest_rejects_a_violated_trend_and_not_a_parallel_one():
    """Trends are parallel only given x: the unconditional pre-test rejects, the conditional one
    does not, and an added trend in cohort 6 is rejected even given x."""
    kw = dict(tname="t", idname="id", gname="g", bstrap=False)
    ok = att_gt(staggered_panel(4, n=2000), "y", xformla="~ x", **kw).diagnostics["pretrend"]
    uncond = att_gt(staggered_panel(4, n=2000), "y", **kw).diagnostics["pretrend"]
    bad = att_gt(staggered_panel(4, n=2000, pretrend=0.15), "y", xformla="~ x", **kw).diagnostics["pretrend"]
    assert uncond["p_value"].iloc[0] < 1e-3
    assert ok["p_value"].iloc[0] > 0.01
    assert bad["p_value"].iloc[0] < 1e-6


def test_weights_equal_to_duplicated_units():
    """Integer weights give the point estimates of a panel with each unit repeated that many times."""
    p = staggered_panel(5, n=200)
    p["k"] = 1 + (p["id"] % 3)
    a = att_gt(p, "y", tname="t", idname="id", gname="g", xformla="~ x", weightsname="k", bstrap=False).tidy()
    rep = p.loc[p.index.repeat(p["k"])].copy()
    rep["id"] = rep["id"].astype(str) + "_" + rep.groupby(["id", "t"]).cumcount().astype(str)
    b = att_gt(rep, "y", tname="t", idname="id", gname="g", xformla="~ x", bstrap=False).tidy()
    assert_allclose(a["estimate"], b["estimate"], rtol=0, atol=1e-9)


def test_staggered_info_reports_the_dynamic_band_critical_value():
    res = staggered(staggered_panel(6), "y", tname="t", idname="id", gname="g", biters=999, seed=1, twfe=False)
    dyn = res.table[res.table["term"].str.startswith("e=")]
    z = (dyn["cband_high"] - dyn["estimate"]) / dyn["std_error"]
    crit = float(z.iloc[0])
    assert crit > 2.0
    assert f"{crit:.3f}" in res.info["Inference"]


@pytest.mark.parametrize("case", sorted(REF["unbalanced"]))
def test_unbalanced_panel_matches_csdid(case):
    from _estimate_data import unbalanced_panel

    em, xf = case.split("|")
    ref = REF["unbalanced"][case]
    gt = att_gt(unbalanced_panel(7), "y", tname="t", idname="id", gname="g", xformla=None if xf == "none" else xf,
                est_method=em, weightsname="w", allow_unbalanced_panel=True, bstrap=False)
    assert "Panel" in gt.info
    t = gt.tidy()
    assert_allclose(t["estimate"], ref["att"], rtol=0, atol=1e-7)
    assert_allclose(t["std_error"], ref["se"], rtol=1e-6, atol=0)
    dyn = aggte(gt, "dynamic").tidy()
    assert_allclose(dyn["estimate"].iloc[0], ref["dynamic_att"], rtol=0, atol=1e-7)
    assert_allclose(dyn["std_error"].iloc[0], ref["dynamic_se"], rtol=1e-6, atol=0)


def test_unbalanced_panel_keeps_units_and_recovers_the_truth():
    """Attrition at random in a household panel: the balanced-only fit drops most units; the
    unbalanced fit keeps them and still recovers 1 + 0.5 e."""
    p = staggered_panel(8, n=3000)
    p = p[np.random.default_rng(9).random(len(p)) > 0.1]
    with pytest.warns(Warning, match="dropped"):
        bal = att_gt(p, "y", tname="t", idname="id", gname="g", xformla="~ x", bstrap=False)
    unb = att_gt(p, "y", tname="t", idname="id", gname="g", xformla="~ x", bstrap=False, allow_unbalanced_panel=True)
    assert unb.fit.n == 3000 and bal.fit.n < 1500
    dyn = aggte(unb, "dynamic").tidy()
    post = dyn[dyn["event_time"] >= 0]
    z = (post["estimate"].to_numpy() - (1 + 0.5 * post["event_time"].to_numpy(float))) / post["std_error"].to_numpy()
    assert np.all(np.abs(z) < 3.5), z


def test_unbalanced_option_on_a_balanced_panel_changes_nothing():
    p = staggered_panel(10)
    a = att_gt(p, "y", tname="t", idname="id", gname="g", xformla="~ x", bstrap=False).tidy()
    b = att_gt(p, "y", tname="t", idname="id", gname="g", xformla="~ x", bstrap=False, allow_unbalanced_panel=True).tidy()
    assert_allclose(a["estimate"], b["estimate"], rtol=0, atol=0)
