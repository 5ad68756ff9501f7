"""Cost per unit of causal impact: the effect's interval carried through exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from impact.estimate.cost_per_impact import cost_effectiveness
from impact.estimate.matching import ra
from impact.results import Result


def _effect(est: float, se: float) -> Result:
    return Result(table=pd.DataFrame([{"term": "ATT", "estimate": est, "std_error": se, "conf_low": est - 1.96 * se,
                                       "conf_high": est + 1.96 * se, "p_value": 0.01, "n": 100, "unit": "yuan"}]), method="test")


def test_intervals_are_the_effects_interval_transformed():
    res = cost_effectiveness(_effect(500.0, 100.0), cost=2_000_000, units=1000, per=10_000).tidy().set_index("term")
    # 1000 households x 500 yuan = 500,000 yuan of income for 2,000,000 yuan: 2,500 per 10,000
    assert_allclose(res.loc["impact_per_cost", "estimate"], 2500.0, rtol=1e-12, atol=0)
    assert_allclose(res.loc["impact_per_cost", ["conf_low", "conf_high"]].to_numpy(float), [(500 - 196) * 5, (500 + 196) * 5], rtol=1e-12, atol=0)
    assert_allclose(res.loc["cost_per_impact", "estimate"], 4.0, rtol=1e-12, atol=0)
    assert_allclose(res.loc["cost_per_impact", ["conf_low", "conf_high"]].to_numpy(float),
                    [2e6 / (1000 * 696), 2e6 / (1000 * 304)], rtol=1e-12, atol=0)
    assert_allclose(res.loc["cost_per_impact", "std_error"], 2e6 * 100 / (1000 * 500**2), rtol=1e-12, atol=0)


def test_coverage_of_cost_per_impact_equals_the_effects_coverage():
    """Simulated effect estimates: when the effect interval excludes zero, the cost interval covers
    the true cost per unit exactly when the effect interval covers the true effect."""
    rng = np.random.default_rng(0)
    true_tau, se = 300.0, 50.0
    cover_e = cover_c = 0
    for _ in range(200):
        est = rng.normal(true_tau, se)
        r = cost_effectiveness(_effect(est, se), cost=1e6, units=500).tidy().set_index("term")
        e_in = est - 1.96 * se <= true_tau <= est + 1.96 * se
        lo, hi = r.loc["cost_per_impact", ["conf_low", "conf_high"]]
        c_in = bool(lo <= 1e6 / (500 * true_tau) <= hi)
        assert e_in == c_in
        cover_e += e_in
        cover_c += c_in
    assert cover_c == cover_e
    assert abs(cover_c / 200 - 0.95) < 0.05


def test_interval_containing_zero_gives_no_finite_cost_interval():
    res = cost_effectiveness(_effect(50.0, 100.0), cost=1e6, units=500)
    row = res.tidy().set_index("term").loc["cost_per_impact"]
    assert np.isnan(row["conf_low"]) and np.isnan(row["conf_high"])
    assert "contains zero" in res.info["Note"]


def test_takes_any_estimator_result():
    import causaldata as cd

    d = cd.nsw_mixtape.load_pandas().data
    eff = ra(d, "re78", dname="treat")
    res = cost_effectiveness(eff, cost=185 * 3000.0, units=185, per=1000, cost_source="illustrative")
    row = res.tidy().set_index("term").loc["impact_per_cost"]
    assert_allclose(row["estimate"], eff.tidy()["estimate"].iloc[0] / 3000 * 1000, rtol=1e-12, atol=0)
    with pytest.raises(ValueError, match="positive total cost"):
        cost_effectiveness(eff, cost=0, units=10)
