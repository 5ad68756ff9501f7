"""Property tests (hypothesis): scaling, monotonicity and invariance of the indicators."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from impact.indicators import benefit_cost, cost_effectiveness, cost_savings, sensitivity_table, yield_gain

money = st.floats(min_value=1.0, max_value=1e7, allow_nan=False, allow_infinity=False)
scale = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False, allow_infinity=False)
fast = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _ledger(amounts: list[float], funders: list[str]) -> pd.DataFrame:
    n = len(amounts)
    return pd.DataFrame({"entry_id": [f"e{i}" for i in range(n)], "program_id": "A", "county_code": "530621",
                         "month": "2024-03", "item": "x", "amount_yuan": amounts, "funder": funders})


ROSTER = pd.DataFrame({"person_id": ["a", "b", "b", "c"], "program_id": "A", "county_code": "530621", "month": "2024-03"})


@fast
@given(st.lists(money, min_size=1, max_size=8), scale, st.data())
def test_scaling_costs_scales_cost_per_beneficiary(amounts, k, data):
    funders = data.draw(st.lists(st.sampled_from(["public", "external"]), min_size=len(amounts), max_size=len(amounts)))
    base = cost_effectiveness(_ledger(amounts, funders), ROSTER).table.set_index("term")["estimate"]
    scaled = cost_effectiveness(_ledger([a * k for a in amounts], funders), ROSTER).table.set_index("term")["estimate"]
    assert_allclose(scaled["cost_per_beneficiary"], k * base["cost_per_beneficiary"], rtol=1e-9)
    assert_allclose(scaled["cost_per_person_time"], k * base["cost_per_person_time"], rtol=1e-9)
    # leverage is a ratio of money: invariant to the scale
    assert_allclose(scaled["leverage"], base["leverage"], rtol=1e-9, equal_nan=True)


@fast
@given(st.lists(money, min_size=2, max_size=12), money, st.floats(0.0, 0.3), st.floats(0.001, 0.3))
def test_npv_decreasing_in_rate_for_positive_future_benefits(benefits, cost0, r1, dr):
    n = len(benefits)
    f = pd.DataFrame({"t": range(n + 1), "benefit": [0.0] + benefits, "cost": [cost0] + [0.0] * n})
    lo = benefit_cost(f, rate=r1).table.set_index("term").loc["npv", "estimate"]
    hi = benefit_cost(f, rate=r1 + dr).table.set_index("term").loc["npv", "estimate"]
    assert hi < lo
    grid = sensitivity_table(f, rates=(r1, r1 + dr, r1 + 2 * dr), horizons=(n + 1,)).table
    npv = grid[grid.term == "npv"].sort_values("rate")["estimate"].to_numpy()
    assert np.all(np.diff(npv) < 0)


@fast
@given(st.lists(st.tuples(money, money), min_size=1, max_size=10), scale, st.floats(0.0, 0.25))
def test_bcr_invariant_to_currency_scaling(pairs, k, rate):
    b = [p[0] for p in pairs]
    c = [p[1] for p in pairs]
    f = pd.DataFrame({"t": range(len(pairs)), "benefit": b, "cost": c})
    t1 = benefit_cost(f, rate=rate).table.set_index("term")["estimate"]
    t2 = benefit_cost(f.assign(benefit=f.benefit * k, cost=f.cost * k), rate=rate).table.set_index("term")["estimate"]
    assert_allclose(t2["bcr"], t1["bcr"], rtol=1e-9)
    assert_allclose(t2["npv"], k * t1["npv"], rtol=1e-9, atol=1e-6 * k)
    assert_allclose(t2["irr"], t1["irr"], rtol=1e-6, atol=1e-9, equal_nan=True)


# Costs are recorded in whole yuan: drawing them as integers keeps the test about the
# formula, not about the float cancellation in near-degenerate variances (1e7 vs 1e7-2e-9).
yuan = st.integers(0, 10_000_000).map(float)


@fast
@given(st.lists(yuan, min_size=2, max_size=6), st.lists(yuan, min_size=2, max_size=6), scale)
def test_cost_savings_scale_with_currency(local, prov, k):
    rows = [dict(setting="local", medical_cost=v) for v in local] + [dict(setting="provincial", medical_cost=v) for v in prov]
    df = pd.DataFrame(rows).assign(county_code="1", year=2024, travel_cost=0.0, lodging_cost=0.0, lost_work_days=0, daily_wage=0.0)
    a = cost_savings(df).table.set_index("term")
    b = cost_savings(df.assign(medical_cost=df.medical_cost * k)).table.set_index("term")
    assert_allclose(b["estimate"], k * a["estimate"], rtol=1e-9)
    assert_allclose(b["std_error"], k * a["std_error"], rtol=1e-6, atol=1e-9 * k)
    assert_allclose(b.loc["saving_per_patient", "statistic"], a.loc["saving_per_patient", "statistic"], rtol=1e-6, equal_nan=True)


@fast
@given(st.lists(st.tuples(st.floats(50, 1000), st.floats(50, 1000)), min_size=2, max_size=8), st.floats(0.1, 10.0))
def test_percent_yield_gain_invariant_to_units(pairs, k):
    rows = []
    for i, (t, c) in enumerate(pairs):
        rows += [dict(county_code="1", year=2024, pair_id=i, arm="treated", yield_kg_per_mu=t),
                 dict(county_code="1", year=2024, pair_id=i, arm="check", yield_kg_per_mu=c)]
    df = pd.DataFrame(rows)
    a = yield_gain(df).table.set_index("term")
    b = yield_gain(df.assign(yield_kg_per_mu=df.yield_kg_per_mu * k)).table.set_index("term")
    assert_allclose(b.loc["yield_gain_pct", "estimate"], a.loc["yield_gain_pct", "estimate"], rtol=1e-9)
    assert_allclose(b.loc["yield_gain", "estimate"], k * a.loc["yield_gain", "estimate"], rtol=1e-9, atol=1e-9)
