"""Yield gain: hand-computed paired and cluster cases, units, bootstrap weights, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from impact.errors import InputError
from impact.indicators import yield_gain
from impact.indicators._common import nested_multinomial_weights


def paired_frame() -> pd.DataFrame:
    # one county-year, three pairs: treated 110/120/130, check 100/100/110
    rows = []
    for k, (t, c, vil) in enumerate([(110, 100, "V1"), (120, 100, "V2"), (130, 110, "V3")]):
        for arm, y in (("treated", t), ("check", c)):
            rows.append(dict(county_code="532627", year=2024, town="T1", village=vil, pair_id=f"K{k}", arm=arm,
                             yield_kg_per_mu=float(y), area_mu=1.0))
    return pd.DataFrame(rows)


def test_paired_hand_computed():
    r = yield_gain(paired_frame())
    t = r.table.set_index("term")
    # differences 10, 20, 20: mean 16.667, sd^2 = 33.33, se = sqrt(33.33/3) = 3.3333
    assert_allclose(t.loc["yield_gain", "estimate"], 50 / 3, rtol=1e-12)
    assert_allclose(t.loc["yield_gain", "std_error"], np.sqrt((100 / 3) / 3), rtol=1e-12)
    q = stats.t.ppf(0.975, 2)  # 4.3027
    assert_allclose(t.loc["yield_gain", ["conf_low", "conf_high"]].to_numpy(float), 50 / 3 + np.array([-1, 1]) * q * np.sqrt(100 / 9), rtol=1e-12)
    # reference: scipy's paired t-test
    ref = stats.ttest_rel([110, 120, 130], [100, 100, 110])
    assert_allclose(t.loc["yield_gain", "statistic"], ref.statistic, rtol=1e-12)
    assert_allclose(t.loc["yield_gain", "p_value"], ref.pvalue, rtol=1e-10)
    # percent: ratio of means 120 / 103.333 - 1 = 16.129%
    assert_allclose(t.loc["yield_gain_pct", "estimate"], 100 * (120 / (310 / 3) - 1), rtol=1e-12)
    # delta method by hand: z_i = (t_i - R c_i)/mean_c, se = sd(z)/sqrt(3)
    tt, cc = np.array([110, 120, 130.0]), np.array([100, 100, 110.0])
    R = tt.mean() / cc.mean()
    z = (tt - R * cc) / cc.mean()
    assert_allclose(t.loc["yield_gain_pct", "std_error"], 100 * z.std(ddof=1) / np.sqrt(3), rtol=1e-10)
    assert_allclose(t.loc["yield_gain_pct", "std_error"], 2.99973, rtol=1e-4)
    assert (t["n"] == 3).all()
    assert r.info["design"] == "paired"
    assert r.table["design"].eq("paired").all()


def test_paired_percent_se_matches_statsmodels_ratio_estimator():
    """The delta-method SE of the ratio of means equals a reference: the ratio of means is
    weighted least squares of treated on check without intercept, weights 1/check
    (normal equation sum(t - R c) = 0), and its HC1 sandwich variance is
    sum(e_i^2)/(sum c_i)^2 * n/(n - 1), e_i = t_i - R c_i (Cochran 1977, eq. 6.9)."""
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(7)
    n = 40
    base = 400 * np.exp(rng.normal(0, 0.15, n))
    tt = np.round(base * 1.2 * np.exp(rng.normal(0, 0.05, n)), 1)
    cc = np.round(base * np.exp(rng.normal(0, 0.05, n)), 1)
    rows = [dict(county_code="532627", year=2024, village=f"V{k % 6}", pair_id=f"K{k:03d}", arm=arm, yield_kg_per_mu=y)
            for k in range(n) for arm, y in (("treated", tt[k]), ("check", cc[k]))]
    t = yield_gain(pd.DataFrame(rows)).table.set_index("term")
    ref = sm.WLS(tt, cc, weights=1.0 / cc).fit(cov_type="HC1")
    assert_allclose(t.loc["yield_gain_pct", "estimate"], 100 * (ref.params[0] - 1), rtol=1e-10)
    assert_allclose(t.loc["yield_gain_pct", "std_error"], 100 * ref.bse[0], rtol=1e-10)


def test_units_convert_absolute_gain_only():
    base = yield_gain(paired_frame()).table.set_index("term")
    ha = yield_gain(paired_frame(), unit="kg/ha").table.set_index("term")
    jin = yield_gain(paired_frame(), unit="jin/mu").table.set_index("term")
    assert_allclose(ha.loc["yield_gain", "estimate"], 15 * base.loc["yield_gain", "estimate"], rtol=1e-12)
    assert_allclose(jin.loc["yield_gain", "conf_high"], 2 * base.loc["yield_gain", "conf_high"], rtol=1e-12)
    assert ha.loc["yield_gain", "unit"] == "kg/ha"
    assert_allclose(ha.loc["yield_gain_pct", "estimate"], base.loc["yield_gain_pct", "estimate"], rtol=1e-12)


def test_text_sentences():
    r = yield_gain(paired_frame())
    zh, en = r.sentence("zh"), r.sentence("en")
    assert "示范品种平均亩产提高 16.1%" in zh and "95% 置信区间" in zh
    assert "16.1% more than the check" in en


def cluster_frame(n_vil: int = 6, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for cc in ("530000", "530001"):
        for v in range(n_vil):
            ve = rng.normal(0, 20)
            for arm, mu in (("treated", 480.0), ("check", 400.0)):
                for _ in range(3):
                    rows.append(dict(county_code=cc, year=2023, town="T", village=f"{cc}-V{v}", arm=arm,
                                     yield_kg_per_mu=mu + ve + rng.normal(0, 10)))
    return pd.DataFrame(rows)


def test_cluster_point_estimates_and_reproducible_bootstrap():
    df = cluster_frame()
    r = yield_gain(df, n_boot=499, seed=7)
    assert r.info["design"] == "cluster"
    for cc, g in df.groupby("county_code"):
        mt = g.loc[g.arm == "treated", "yield_kg_per_mu"].mean()
        mc = g.loc[g.arm == "check", "yield_kg_per_mu"].mean()
        row = r.table[(r.table.county_code == cc)].set_index("term")
        assert_allclose(row.loc["yield_gain", "estimate"], mt - mc, rtol=1e-12)
        assert_allclose(row.loc["yield_gain_pct", "estimate"], 100 * (mt / mc - 1), rtol=1e-12)
        assert row.loc["yield_gain", "conf_low"] < mt - mc < row.loc["yield_gain", "conf_high"]
        assert row.loc["yield_gain", "n_clusters"] == 6
    again = yield_gain(df, n_boot=499, seed=7)
    pd.testing.assert_frame_equal(r.table, again.table)
    other = yield_gain(df, n_boot=499, seed=8)
    assert not np.allclose(other.table["std_error"], r.table["std_error"])


def test_cluster_bootstrap_se_matches_analytic_cluster_se():
    # many clusters: the bootstrap SE of a difference in means approaches the cluster-robust SE
    df = cluster_frame(n_vil=60, seed=11)
    g = df[df.county_code == "530000"]
    r = yield_gain(g, by=None, n_boot=2000, seed=1).table.set_index("term")
    vill = g.assign(t=(g.arm == "treated")).groupby("village")
    mt = g.loc[g.arm == "treated", "yield_kg_per_mu"].mean()
    mc = g.loc[g.arm == "check", "yield_kg_per_mu"].mean()
    nt, nc = (g.arm == "treated").sum(), (g.arm == "check").sum()
    psi = vill.apply(lambda v: ((v.yield_kg_per_mu - mt)[v.t].sum() / nt) - ((v.yield_kg_per_mu - mc)[~v.t].sum() / nc))
    G = len(psi)
    se_cr1 = np.sqrt(G / (G - 1) * (psi**2).sum())  # CR1, the factor our bootstrap SE carries
    assert_allclose(r.loc["yield_gain", "std_error"], se_cr1, rtol=0.1)
    # default interval: estimate +- t_{G-1} SE; the percentile option differs
    est, se = r.loc["yield_gain", "estimate"], r.loc["yield_gain", "std_error"]
    assert_allclose(r.loc["yield_gain", "conf_high"], est + stats.t.ppf(0.975, G - 1) * se, rtol=1e-12)
    pc = yield_gain(g, by=None, n_boot=2000, seed=1, ci="percentile").table.set_index("term")
    assert pc.loc["yield_gain", "conf_high"] != r.loc["yield_gain", "conf_high"]
    assert pc.loc["yield_gain", "conf_low"] < est < pc.loc["yield_gain", "conf_high"]


def test_nested_multinomial_weights_stay_within_groups():
    groups = np.array([0, 0, 0, 1, 1, 2])
    W = nested_multinomial_weights(groups, 500, np.random.default_rng(0))
    assert W.shape == (500, 6)
    assert_allclose(W[:, :3].sum(axis=1), 3)
    assert_allclose(W[:, 3:5].sum(axis=1), 2)
    assert_allclose(W[:, 5], 1)
    assert_allclose(W[:, :3].mean(), 1.0, atol=0.1)


def test_too_few_clusters_and_missing_arm_give_na_with_reason():
    df = cluster_frame(n_vil=1)
    r = yield_gain(df)
    assert r.table["estimate"].isna().all()
    assert r.table["note"].str.contains("fewer than 2 clusters").all()
    only_t = cluster_frame()[lambda d: ~((d.county_code == "530001") & (d.arm == "check"))]
    r2 = yield_gain(only_t).table
    bad = r2[r2.county_code == "530001"]
    assert bad["estimate"].isna().all() and bad["note"].eq("no check plots").all()
    good = r2[r2.county_code == "530000"]
    assert good["estimate"].notna().all()
    assert "无法计算" in yield_gain(only_t).sentence("zh")


def test_errors():
    df = paired_frame()
    with pytest.raises(InputError, match="arm"):
        yield_gain(df.assign(arm=df.arm.replace({"check": "control"})))
    with pytest.raises(InputError, match=r"yield_kg_per_mu.*-5"):
        yield_gain(df.assign(yield_kg_per_mu=[-5.0] + list(df.yield_kg_per_mu[1:])))
    with pytest.raises(InputError, match="no plots"):
        yield_gain(df.iloc[0:0])
    with pytest.raises(InputError, match="yield_kg_per_mu"):
        yield_gain(df.drop(columns="yield_kg_per_mu"))
    with pytest.raises(InputError, match="paired"):
        yield_gain(df.iloc[:-1], design="paired")
    with pytest.raises(InputError, match="area_mu"):
        yield_gain(df.assign(area_mu=0.0))
    with pytest.raises(ValueError, match="unit"):
        yield_gain(df, unit="t/ha")


def test_auto_falls_back_to_cluster_when_pairs_incomplete():
    df = paired_frame().iloc[:-1]
    r = yield_gain(df, n_boot=50)
    assert r.info["design"] == "cluster"


def test_recovers_simulator_truth(tmp_path):
    import json

    from impact.simulate import simulate

    res = simulate(seed=5, out=tmp_path)
    trials = pd.read_parquet(res.paths["plot_trials"])
    truth = json.loads(res.truth_path.read_text(encoding="utf-8"))
    tt = truth["tables"]["plot_trials"]["truth"]
    r = yield_gain(trials, by=None).table.set_index("term")
    # pooled over all pairs: the ratio of means and the mean difference of the sample
    assert r.loc["yield_gain_pct", "conf_low"] < 100 * tt["ratio_of_means_gain_sample"] < r.loc["yield_gain_pct", "conf_high"]
    assert_allclose(r.loc["yield_gain_pct", "estimate"], 100 * tt["ratio_of_means_gain_sample"], atol=1.5)
    assert r.loc["yield_gain", "conf_low"] < tt["mean_gain_kg_per_mu_sample"] < r.loc["yield_gain", "conf_high"]
