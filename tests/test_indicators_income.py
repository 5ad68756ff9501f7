"""Income increase: hand-computed DiD of means, per capita, aggregate, CPI, cluster SE, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose
from scipy import stats

from impact.errors import InputError
from impact.indicators import income_increase

SRC = ("farming", "wages", "ecommerce", "transfers")


def panel() -> pd.DataFrame:
    """8 households in 4 villages; participants' total income changes 1000/2000/3000/2000, others 500/500/1000/0."""
    d_part = [1000, 2000, 3000, 2000]
    d_non = [500, 500, 1000, 0]
    rows = []
    for i, d in enumerate(d_part + d_non):
        part = int(i < 4)
        base = 20000 + 1000 * i
        for wave, year, total in ((0, 2022, base), (1, 2023, base + d)):
            farming = total * 0.5
            rows.append(dict(household_id=f"H{i}", county_code="530824", town="T", village_id=f"V{i % 4}", wave=wave,
                             year=year, hh_size=2 + (i % 2), participant=part, baseline_income=base,
                             income_farming=farming, income_wages=total - farming, income_ecommerce=0.0,
                             income_transfers=0.0, income_total=float(total)))
    return pd.DataFrame(rows)


def test_did_hand_computed_welch():
    r = income_increase(panel(), cluster=None).table.set_index("term")
    row = r.loc["total_per_household"]
    assert_allclose(row["estimate"], 2000 - 500, rtol=1e-12)
    # Welch: var 666,666.7/4 + 166,666.7/4 -> se 456.44
    assert_allclose(row["std_error"], np.sqrt(2e6 / 3 / 4 + 5e5 / 3 / 4), rtol=1e-12)
    ref = stats.ttest_ind([1000, 2000, 3000, 2000], [500, 500, 1000, 0], equal_var=False)
    assert_allclose(row["statistic"], ref.statistic, rtol=1e-10)
    assert_allclose(row["p_value"], ref.pvalue, rtol=1e-8)
    ci = ref.confidence_interval(0.95)
    assert_allclose([row["conf_low"], row["conf_high"]], [ci.low, ci.high], rtol=1e-8)
    # by source: farming is half of the total change
    assert_allclose(r.loc["farming_per_household", "estimate"], 750, rtol=1e-12)
    # per capita: changes divided by household size (2 for even i, 3 for odd i)
    size = np.array([2, 3, 2, 3, 2, 3, 2, 3])
    d = np.array([1000, 2000, 3000, 2000, 500, 500, 1000, 0]) / size
    assert_allclose(r.loc["total_per_capita", "estimate"], d[:4].mean() - d[4:].mean(), rtol=1e-12)
    # aggregate, the article's style: gain per household x 4 participating households
    assert_allclose(r.loc["total_aggregate", "estimate"], 1500 * 4, rtol=1e-12)
    assert r.loc["total_aggregate", "unit"] == "yuan/year"
    assert r.loc["total_per_household", "participants"] == 4


def test_cluster_robust_se_matches_statsmodels():
    df = panel()
    r = income_increase(df, cluster="village_id", sources=("total",)).table.set_index("term")
    w = df.pivot_table(index=["household_id", "village_id", "participant"], columns="wave", values="income_total").reset_index()
    y = w[1] - w[0]
    X = sm.add_constant(w["participant"].astype(float))
    fit = sm.OLS(y, X).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(w["village_id"])[0]})
    n, k = len(y), 2
    # statsmodels multiplies by G/(G-1) (N-1)/(N-K); ours is CR1 with G/(G-1) only
    se_sm = fit.bse["participant"] * np.sqrt((n - k) / (n - 1))
    assert_allclose(r.loc["total_per_household", "estimate"], fit.params["participant"], rtol=1e-10)
    assert_allclose(r.loc["total_per_household", "std_error"], se_sm, rtol=1e-10)
    assert r.loc["total_per_household", "n_clusters"] == 4


def test_difference_in_levels():
    r = income_increase(panel(), comparison="difference", cluster=None, sources=("total",)).table.set_index("term")
    f = panel().query("wave == 1")
    exp = f.loc[f.participant == 1, "income_total"].mean() - f.loc[f.participant == 0, "income_total"].mean()
    assert_allclose(r.loc["total_per_household", "estimate"], exp, rtol=1e-12)


def test_real_terms_with_user_cpi():
    cpi = {2022: 100.0, 2023: 110.0}
    r = income_increase(panel(), cluster=None, cpi=cpi, sources=("total",)).table.set_index("term")
    df = panel()
    w = df.pivot_table(index=["household_id", "participant"], columns="year", values="income_total").reset_index()
    d_real = w[2023] - w[2022] * 1.1  # 2023 yuan
    exp = d_real[w.participant == 1].mean() - d_real[w.participant == 0].mean()
    assert_allclose(r.loc["total_per_household_real", "estimate"], exp, rtol=1e-12)
    assert_allclose(r.loc["total_per_household", "estimate"], 1500, rtol=1e-12)
    assert r.loc["total_per_household_real", "price"] == "real"
    # base year 2022: everything divided by 1.1 relative to 2023 yuan
    r22 = income_increase(panel(), cluster=None, cpi=cpi, base_year=2022, sources=("total",)).table.set_index("term")
    assert_allclose(r22.loc["total_per_household_real", "estimate"], exp / 1.1, rtol=1e-12)


def test_no_default_cpi_means_nominal_only():
    r = income_increase(panel())
    assert set(r.table["price"]) == {"nominal"}
    assert "nominal only" in r.info["price basis"]


def test_user_household_counts_and_text():
    counts = pd.DataFrame({"county_code": ["530824"], "year": [2023], "households": [10_000]})
    r = income_increase(panel(), cluster=None, n_households=counts)
    t = r.table.set_index("term")
    assert_allclose(t.loc["total_aggregate", "estimate"], 1500 * 10_000, rtol=1e-12)
    assert "合计增收约 1,500.0 万元" in r.sentence("zh")
    assert "1,500 yuan more" in r.sentence("en")


def test_parquet_path_matches_frame(tmp_path):
    p = tmp_path / "hh.parquet"
    panel().to_parquet(p)
    a = income_increase(panel()).table
    b = income_increase(p).table
    pd.testing.assert_frame_equal(a, b)


def test_empty_arm_gives_na_with_reason():
    df = panel()
    df2 = pd.concat([df, df.assign(county_code="530825", participant=1)])
    r = income_increase(df2, cluster=None).table
    bad = r[r.county_code == "530825"]
    assert bad["estimate"].isna().all()
    assert bad["note"].eq("no non-participating households").all()


def test_errors(tmp_path):
    df = panel()
    with pytest.raises(InputError, match="hh_size"):
        income_increase(df.assign(hh_size=0))
    with pytest.raises(InputError, match="participant"):
        income_increase(df.assign(participant=2))
    with pytest.raises(InputError, match="income_wages"):
        income_increase(df.drop(columns="income_wages"))
    with pytest.raises(InputError, match="baseline"):
        income_increase(df[df.wave > 0])
    with pytest.raises(InputError, match="mismatched|do not match"):
        income_increase(df, cpi={2023: 110.0})
    with pytest.raises(InputError, match="no households"):
        income_increase(df.iloc[0:0])
    p = tmp_path / "bad.parquet"
    df.assign(hh_size=-1).to_parquet(p)
    with pytest.raises(InputError, match="hh_size"):
        income_increase(p)
    with pytest.raises(InputError, match="not found"):
        income_increase(tmp_path / "missing.parquet")
    with pytest.raises(ValueError, match="comparison"):
        income_increase(df, comparison="naive")


def test_aggregate_counts_households_once_across_waves():
    df = panel()
    wave2 = df[df.wave == 1].assign(wave=2, year=2024)
    two = pd.concat([df, wave2], ignore_index=True)
    r = income_increase(two, by="county_code", cluster=None, sources=("total",)).table.set_index("term")
    assert r.loc["total_per_household", "n"] == 16  # 8 households x 2 follow-up waves
    assert_allclose(r.loc["total_aggregate", "households"], 4)  # 4 distinct participating households
    assert_allclose(r.loc["total_aggregate", "estimate"], 1500 * 4, rtol=1e-12)
