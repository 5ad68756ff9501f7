"""Rambachan-Roth relative-magnitudes bounds (Delta^RM, ARP conditional and C-LF hybrid): against
the HonestDiD port on the stored castle event study, the structure of the restriction, and the
inputs taken from the event study and from Callaway-Sant'Anna's dynamic effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from impact.estimate.sensitivity_rm import honest_did_rm, rm_constraints
from impact.results import Result

from _estimate_data import reference, staggered_panel


def _as_result(beta: np.ndarray, sigma: np.ndarray, events: list[int]) -> Result:
    terms = [f"e={e}" for e in events]
    t = pd.DataFrame({"term": terms, "estimate": beta, "std_error": np.sqrt(np.diag(sigma)), "event_time": events, "unit": "y"})
    return Result(table=t, method="test", diagnostics={"vcov": pd.DataFrame(sigma, index=terms, columns=terms)})


def _castle() -> Result:
    base = reference("honestdid_castle.json")
    events = [int(t.split("=")[1]) for t in base["terms"]]
    return _as_result(np.array(base["betahat"]), np.array(base["sigma"]), events)


# the conditional test in the default run; the hybrid (C-LF, ~100 s) with the slow studies
@pytest.mark.parametrize("method", ["Conditional", pytest.param("C-LF", marks=pytest.mark.slow)])
def test_relative_magnitudes_match_honestdid(method):
    ref = reference("honestdid_rm_castle.json")
    Mbar = ref["Mbar"] if method == "Conditional" else ref["Mbar"][-1:]  # the hybrid simulates 8,000 LPs per Mbar
    out = honest_did_rm(_castle(), Mbarvec=Mbar, method=method, grid_points=ref["grid_points"],
                        grid_lb=ref["grid_lb"], grid_ub=ref["grid_ub"]).tidy()
    out = out[out["term"] != "original"]
    r = ref["methods"][method]
    k = len(Mbar)
    # the same grid: the accepted hulls coincide point for point
    assert_allclose(out["conf_low"], r["lb"][-k:], rtol=0, atol=1e-9)
    assert_allclose(out["conf_high"], r["ub"][-k:], rtol=0, atol=1e-9)


def test_constraints_describe_relative_magnitudes():
    K, T, Mbar = 3, 2, 0.5
    rng = np.random.default_rng(0)
    for _ in range(200):
        full = np.r_[rng.normal(size=K), 0.0, rng.normal(size=T)]  # delta with delta_{-1} = 0 at position K
        d = np.diff(full)
        inside = np.max(np.abs(d[K:])) <= Mbar * np.max(np.abs(d[:K]))
        delta = np.delete(full, K)
        union = any((rm_constraints(K, T, Mbar, s, pos) @ delta <= 1e-12).all() for s in range(-(K - 1), 1) for pos in (True, False))
        assert union == inside


@pytest.mark.slow
def test_sets_grow_with_mbar_and_cover_a_pre_trend_free_truth():
    rng = np.random.default_rng(3)
    events = [-3, -2, 0, 1]
    A = rng.normal(size=(4, 4))
    sigma = 0.01 * (A @ A.T / 4 + np.eye(4))
    beta = np.array([0.0, 0.0, 0.3, 0.3])  # no pre-trend: every Mbar allows no bias, theta = 0.3
    out = honest_did_rm(_as_result(beta, sigma, events), Mbarvec=[0.0, 1.0, 2.0], method="Conditional", grid_points=61).tidy()
    sets = out[out["term"] != "original"]
    assert (sets["conf_low"] <= 0.3).all() and (sets["conf_high"] >= 0.3).all()
    assert np.all(np.diff(sets["conf_low"]) <= 1e-12) and np.all(np.diff(sets["conf_high"]) >= -1e-12)


def test_inputs_from_event_study_and_callaway_santanna():
    from impact.estimate.aggregate import aggte
    from impact.estimate.event_study import event_study
    from impact.estimate.group_time import att_gt

    p = staggered_panel(2, n=400)
    es = event_study(p, "y", idname="id", tname="t", gname="g")
    r1 = honest_did_rm(es, Mbarvec=[1.0], method="Conditional", grid_points=41).tidy()
    assert r1["conf_low"].notna().all() and (r1["conf_low"] <= r1["conf_high"]).all()
    dyn = aggte(att_gt(p, "y", tname="t", idname="id", gname="g", base_period="universal", bstrap=False), "dynamic")
    r2 = honest_did_rm(dyn, Mbarvec=[0.5], method="Conditional", grid_points=41).tidy()
    row = r2.set_index("term").loc["Mbar=0.5"]
    orig = r2.set_index("term").loc["original"]
    assert row["conf_low"] <= orig["estimate"] <= row["conf_high"]


def test_bad_method_is_refused():
    with pytest.raises(Exception, match="C-LF"):
        honest_did_rm(_castle(), Mbarvec=[1.0], method="FLCI")
