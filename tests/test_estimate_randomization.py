"""Randomisation inference: exact under full enumeration, against independent enumerations,
paired and clustered designs."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from impact.errors import DesignError
from impact.estimate.randomization import randomization_test


def test_p_values_are_exact_under_full_enumeration():
    """Fix the outcomes (sharp null true); let every possible assignment be the observed one.
    The p-value is then uniform on its support: P(p <= v) = v for every attained v."""
    rng = np.random.default_rng(1)
    y = rng.normal(size=8)
    ps = []
    for treated in itertools.combinations(range(8), 3):
        d = np.zeros(8, int)
        d[list(treated)] = 1
        r = randomization_test(pd.DataFrame({"y": y, "d": d}), "y", dname="d", ci=False)
        assert bool(r.tidy()["enumerated"].iloc[0])
        ps.append(r.tidy()["p_value"].iloc[0])
    ps = np.array(ps)
    assert len(ps) == 56
    for v in np.unique(ps):
        assert_allclose(np.mean(ps <= v + 1e-12), v, rtol=0, atol=1e-12)


def test_stratified_cluster_design_against_an_independent_enumeration():
    """Villages (clusters) assigned within two counties (strata); outcomes at household level."""
    rng = np.random.default_rng(2)
    rows = []
    for county, villages in (("A", 5), ("B", 4)):
        treated = set(rng.choice(villages, 2, replace=False))
        for v in range(villages):
            for _ in range(rng.integers(2, 6)):
                rows.append({"county": county, "village": f"{county}{v}", "d": int(v in treated), "y": rng.normal() + 0.8 * (v in treated)})
    df = pd.DataFrame(rows)
    res = randomization_test(df, "y", dname="d", strata="county", cluster="village", ci=False).tidy().iloc[0]
    # independent: enumerate village assignments county by county
    va = df.groupby("village").agg(county=("county", "first"), d=("d", "first"))
    obs = df.y[df.d == 1].mean() - df.y[df.d == 0].mean()
    stats = []
    ca = [c for c in va.index if va.county[c] == "A"]
    cb = [c for c in va.index if va.county[c] == "B"]
    for ta in itertools.combinations(ca, 2):
        for tb in itertools.combinations(cb, 2):
            t = df.village.isin(ta + tb)
            stats.append(df.y[t].mean() - df.y[~t].mean())
    stats = np.array(stats)
    assert res["assignments"] == len(stats) == 10 * 6
    assert_allclose(res["p_value"], np.mean(np.abs(stats) >= abs(obs) - 1e-12), rtol=0, atol=1e-12)
    assert_allclose(res["estimate"], obs, rtol=1e-12, atol=0)


def test_paired_design_is_the_sign_flip_test():
    """Plot trials: a treated and a check plot per pair; re-randomising within pairs flips signs."""
    rng = np.random.default_rng(3)
    P = 9
    diff = rng.normal(0.5, 1, P)
    base = rng.normal(0, 3, P)
    df = pd.DataFrame({"pair": np.repeat(np.arange(P), 2), "d": np.tile([1, 0], P),
                       "y": np.ravel(np.column_stack([base + diff, base]))})
    res = randomization_test(df, "y", dname="d", strata="pair").tidy().iloc[0]
    signs = np.array(list(itertools.product([-1, 1], repeat=P)))
    flipped = np.abs(signs @ diff / P)
    assert_allclose(res["p_value"], np.mean(flipped >= abs(diff.mean()) - 1e-12), rtol=0, atol=1e-12)
    assert res["assignments"] == 2**P
    assert res["conf_low"] < diff.mean() < res["conf_high"]


def test_interval_is_the_set_of_effects_not_rejected():
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"y": rng.normal(size=12) + np.r_[np.ones(6), np.zeros(6)], "d": np.r_[np.ones(6), np.zeros(6)].astype(int)})
    r = randomization_test(df, "y", dname="d").tidy().iloc[0]
    lo, hi = r["conf_low"], r["conf_high"]
    eps = 1e-4 * (hi - lo)
    for tau, inside in ((lo + eps, True), (hi - eps, True), (lo - eps, False), (hi + eps, False)):
        p = randomization_test(df.assign(y=df.y - tau * df.d), "y", dname="d", ci=False).tidy()["p_value"].iloc[0]
        assert (p > 0.05) == inside, (tau, p)


def test_random_draws_approximate_the_exact_p_value():
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"y": rng.normal(size=16) + 0.7 * np.r_[np.ones(8), np.zeros(8)], "d": np.r_[np.ones(8), np.zeros(8)].astype(int)})
    exact = randomization_test(df, "y", dname="d", ci=False, reps=20000).tidy().iloc[0]
    drawn = randomization_test(df, "y", dname="d", ci=False, reps=4999, seed=1).tidy().iloc[0]
    assert bool(exact["enumerated"]) and not bool(drawn["enumerated"])
    assert abs(exact["p_value"] - drawn["p_value"]) < 0.02


def test_treatment_varying_within_a_cluster_is_an_error():
    df = pd.DataFrame({"y": [1.0, 2, 3, 4], "d": [1, 0, 0, 1], "v": ["a", "a", "b", "b"]})
    with pytest.raises(DesignError, match="varies within cluster"):
        randomization_test(df, "y", dname="d", cluster="v")
