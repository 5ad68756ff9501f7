"""Benefit-cost: hand-computed NPV/BCR/IRR, IRR without sign change, sensitivity grid, Monte Carlo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from impact.errors import InputError
from impact.indicators import DEFAULT_RATE, benefit_cost, monte_carlo_bcr, sensitivity_table


def flows() -> pd.DataFrame:
    return pd.DataFrame({"t": [0, 1, 2], "benefit": [0.0, 60.0, 60.0], "cost": [100.0, 0.0, 0.0]})


def test_hand_computed_npv_bcr_irr():
    r = benefit_cost(flows(), rate=0.10).table.set_index("term")
    pvb = 60 / 1.1 + 60 / 1.21  # 104.132
    assert_allclose(r.loc["pv_benefits", "estimate"], pvb, rtol=1e-12)
    assert_allclose(r.loc["npv", "estimate"], pvb - 100, rtol=1e-12)
    assert_allclose(r.loc["bcr", "estimate"], pvb / 100, rtol=1e-12)
    # IRR: 60x^2 + 60x - 100 = 0 with x = 1/(1+r)
    x = (-60 + np.sqrt(60**2 + 4 * 60 * 100)) / 120
    assert_allclose(r.loc["irr", "estimate"], 1 / x - 1, rtol=1e-9)
    assert_allclose(r.loc["irr", "estimate"], 0.130662, atol=1e-6)


def test_default_rate_is_8_percent_and_sourced():
    r = benefit_cost(flows())
    assert DEFAULT_RATE == 0.08
    assert any("建设项目经济评价方法与参数" in a for a in r.assumptions)
    assert_allclose(r.table.set_index("term").loc["pv_benefits", "estimate"], 60 / 1.08 + 60 / 1.08**2, rtol=1e-12)
    assert "按 8% 折现率计算，效益成本比为" in r.sentence("zh")


def test_irr_na_with_reason_without_sign_change():
    f = pd.DataFrame({"t": [0, 1], "benefit": [10.0, 10.0], "cost": [0.0, 0.0]})
    t = benefit_cost(f).table.set_index("term")
    assert np.isnan(t.loc["irr", "estimate"])
    assert "never change sign" in t.loc["irr", "note"]
    assert np.isnan(t.loc["bcr", "estimate"]) and "no costs" in t.loc["bcr", "note"]


def test_year_column_and_groups():
    f = pd.concat([flows().assign(year=lambda d: 2024 + d.t, program="a").drop(columns="t"),
                   flows().assign(year=lambda d: 2020 + d.t, program="b", benefit=lambda d: 2 * d.benefit).drop(columns="t")])
    t = benefit_cost(f, rate=0.1, by="program").table
    bcr = t[t.term == "bcr"].set_index("program")["estimate"]
    assert_allclose(bcr["b"], 2 * bcr["a"], rtol=1e-12)


def test_sensitivity_grid_and_short_horizon():
    f = pd.DataFrame({"t": range(10), "benefit": [0.0] + [30.0] * 9, "cost": [100.0] + [5.0] * 9})
    r = sensitivity_table(f, rates=(0.04, 0.08, 0.12), horizons=(5, 10, 15))
    t = r.table
    assert len(t) == 2 * 3 * 3
    npv5 = t[(t.term == "npv") & (t.horizon == 5)].sort_values("rate")["estimate"].to_numpy()
    assert np.all(np.diff(npv5) < 0)
    exp = sum((30 - 5) / 1.08**k for k in range(1, 5)) - 100
    got = t[(t.term == "npv") & (t.horizon == 5) & np.isclose(t.rate, 0.08)]["estimate"].iloc[0]
    assert_allclose(got, exp, rtol=1e-12)
    h15 = t[t.horizon == 15]
    assert h15["estimate"].isna().all() and h15["note"].str.contains("fewer than 15").all()
    assert "效益成本比介于" in r.sentence("zh")


def test_monte_carlo_reproducible_and_matches_analytic_spread():
    f = flows().assign(benefit_se=[0.0, 6.0, 6.0])
    a = monte_carlo_bcr(f, rate=0.1, n_draws=20_000, seed=3)
    b = monte_carlo_bcr(f, rate=0.1, n_draws=20_000, seed=3)
    pd.testing.assert_frame_equal(a.table, b.table)
    t = a.table.set_index("term")
    pvb = 60 / 1.1 + 60 / 1.21
    assert_allclose(t.loc["bcr", "estimate"], pvb / 100, rtol=1e-12)
    # common shock: BCR* = (PVB + Z * PV(se)) / 100 is normal with sd PV(se)/100
    sd = (6 / 1.1 + 6 / 1.21) / 100
    assert_allclose(t.loc["bcr", "std_error"], sd, rtol=0.03)
    assert_allclose(t.loc["bcr", "conf_low"], pvb / 100 - 1.96 * sd, rtol=0.01)
    from scipy.stats import norm

    assert_allclose(t.loc["prob_bcr_above_1", "estimate"], norm.sf((1 - pvb / 100) / sd), atol=0.01)
    assert "95% 区间" in a.sentence("zh")


def test_monte_carlo_without_uncertainty_is_degenerate():
    t = monte_carlo_bcr(flows(), rate=0.1, n_draws=500).table.set_index("term")
    assert_allclose(t.loc["bcr", "conf_low"], t.loc["bcr", "estimate"], rtol=1e-12)
    assert_allclose(t.loc["bcr", "std_error"], 0, atol=1e-12)


def test_errors():
    with pytest.raises(InputError, match="cost"):
        benefit_cost(flows().assign(cost=-1.0))
    with pytest.raises(InputError, match="incomplete periods"):
        benefit_cost(flows().iloc[[0, 2]])
    with pytest.raises(InputError, match="period"):
        benefit_cost(flows().drop(columns="t"))
    with pytest.raises(InputError, match="discount rate"):
        benefit_cost(flows(), rate=-1.5)
    with pytest.raises(InputError, match="no periods"):
        benefit_cost(flows().iloc[0:0])
    with pytest.raises(InputError, match="draws"):
        monte_carlo_bcr(flows(), n_draws=10)
