"""Rambachan-Roth smoothness bounds: against the HonestDiD port, coverage under a linear
pre-trend violation, and the inputs taken from the event study and from Callaway-Sant'Anna."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from impact.estimate.sensitivity import honest_did
from impact.results import Result

from _estimate_data import reference, staggered_panel


def _as_result(beta: np.ndarray, sigma: np.ndarray, events: list[int]) -> Result:
    terms = [f"e={e}" for e in events]
    t = pd.DataFrame({"term": terms, "estimate": beta, "std_error": np.sqrt(np.diag(sigma)), "event_time": events, "unit": "y"})
    return Result(table=t, method="test", diagnostics={"vcov": pd.DataFrame(sigma, index=terms, columns=terms)})


@pytest.mark.parametrize("case", ["e0", "mean_post"])
def test_flci_matches_honestdid(case):
    ref = reference("honestdid_castle.json")
    events = [int(t.split("=")[1]) for t in ref["terms"]]
    res = _as_result(np.array(ref["betahat"]), np.array(ref["sigma"]), events)
    c = ref["cases"][case]
    out = honest_did(res, Mvec=ref["Mvec"], l_vec=c["l_vec"]).tidy()
    out = out[out["term"] != "original"]
    width = np.array(c["ub"]) - np.array(c["lb"])
    # the port simulates its folded-normal quantile (1e6 draws): ~1e-3 relative noise
    assert_allclose(out["conf_low"], c["lb"], rtol=0, atol=5e-3 * width.max())
    assert_allclose(out["conf_high"], c["ub"], rtol=0, atol=5e-3 * width.max())


def test_intervals_widen_with_m_and_m0_corrects_a_linear_trend():
    rng = np.random.default_rng(0)
    events = [-4, -3, -2, 0, 1, 2]
    A = rng.normal(size=(6, 6))
    sigma = 0.01 * (A @ A.T / 6 + np.eye(6))
    slope, tau0 = 0.05, 0.3
    delta = slope * (np.array(events) + 1.0)  # linear violation through the reference e = -1
    truth = np.array([0, 0, 0, tau0, tau0, tau0]) + delta
    out = honest_did(_as_result(truth, sigma, events), Mvec=[0, 0.02, 0.05, 0.1]).tidy()
    flci = out[out["term"] != "original"]
    hl = (flci["conf_high"] - flci["conf_low"]).to_numpy()
    assert np.all(np.diff(hl) >= -1e-9)
    # at the true mean and M = 0 the FLCI is centred on the true effect (the linear trend is removed exactly)
    assert_allclose(flci["estimate"].iloc[0], tau0, rtol=0, atol=1e-9)
    orig = out[out["term"] == "original"].iloc[0]
    assert_allclose(orig["estimate"], tau0 + slope, rtol=0, atol=1e-12)  # biased by the trend


def test_coverage_under_a_linear_violation():
    rng = np.random.default_rng(1)
    events = [-3, -2, 0, 1]
    sigma = 0.02 * (np.eye(4) + 0.3)
    Lc = np.linalg.cholesky(sigma)
    slope, tau0 = 0.4, 0.2
    mean = np.array([0, 0, tau0, tau0]) + slope * (np.array(events) + 1.0)
    cover_m0 = cover_orig = 0
    R = 150
    for _ in range(R):
        b = mean + Lc @ rng.normal(size=4)
        t = honest_did(_as_result(b, sigma, events), Mvec=[0.0]).tidy().set_index("term")
        cover_m0 += t.loc["M=0", "conf_low"] <= tau0 <= t.loc["M=0", "conf_high"]
        cover_orig += t.loc["original", "conf_low"] <= tau0 <= t.loc["original", "conf_high"]
    assert abs(cover_m0 / R - 0.95) < 0.05
    assert cover_orig / R < 0.6


def test_inputs_from_event_study_and_callaway_santanna():
    from impact.estimate.event_study import event_study
    from impact.estimate.staggered import aggte, att_gt

    p = staggered_panel(2, n=400)
    es = event_study(p, "y", idname="id", tname="t", gname="g")
    r1 = honest_did(es, Mvec=[0.0, 0.05])
    assert r1.tidy()["conf_low"].notna().all()
    dyn = aggte(att_gt(p, "y", tname="t", idname="id", gname="g", xformla="~ x", base_period="universal", bstrap=False), "dynamic")
    V = dyn.diagnostics["vcov"]
    se = dyn.tidy().set_index("term")["std_error"]
    terms = [t for t in V.index if t != "e=-1"]
    assert_allclose(np.sqrt(np.diag(V.loc[terms, terms])), se.loc[terms].to_numpy(), rtol=1e-10, atol=0)
    r2 = honest_did(dyn, Mvec=[0.0])
    assert len(r2.tidy()) == 2
