"""Event study: reproduction of pyfixest's i() specification and its Wald test; design errors; plot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from impact.errors import DesignError, DesignWarning
from impact.estimate.event_study import event_study

from _estimate_data import castle, reference

REF = reference("pyfixest_castle.json")["event_study"]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return castle()


def test_matches_pyfixest_reference(data):
    res = event_study(data, "y", idname="sid", tname="year", gname="g", window=(-5, 4))
    t = res.tidy().set_index("event_time")
    for e, b, s in zip(REF["terms"], REF["coef"], REF["se"]):
        assert_allclose(t.loc[e, "estimate"], b, rtol=0, atol=1e-6)
        assert_allclose(t.loc[e, "std_error"], s, rtol=1e-4, atol=0)
    assert t.loc[-1, "estimate"] == 0 and np.isnan(t.loc[-1, "std_error"])
    pre = res.diagnostics["pretrend"].iloc[0]
    assert_allclose(pre["wald"], REF["pretrend_wald"], rtol=1e-6, atol=0)
    assert_allclose(pre["p_value_chi2"], REF["pretrend_p"], rtol=1e-6, atol=0)
    assert_allclose(pre["f_stat"], REF["pretrend_wald"] / 4, rtol=1e-6, atol=0)


def test_recovers_dynamic_truth_and_passes_pretrend():
    rng = np.random.default_rng(3)
    n, years = 400, np.arange(2010, 2020)
    g = rng.choice([0, 2015], size=n)
    a = rng.normal(size=n)
    rows = []
    for t in years:
        te = np.where((g > 0) & (t >= g), 1.0 + 0.5 * (t - g), 0.0)
        rows.append(pd.DataFrame({"id": np.arange(n), "t": t, "g": g, "y": a + 0.2 * t + te + rng.normal(size=n)}))
    df = pd.concat(rows, ignore_index=True)
    res = event_study(df, "y", idname="id", tname="t", gname="g")
    t = res.tidy().set_index("event_time")
    truth = pd.Series({e: (1.0 + 0.5 * e if e >= 0 else 0.0) for e in t.index})
    z = ((t["estimate"] - truth) / t["std_error"]).drop(-1).abs()
    assert (z < 4).all()
    assert res.diagnostics["pretrend"]["p_value"].iloc[0] > 0.001


def test_pretrend_violation_is_flagged():
    rng = np.random.default_rng(5)
    n, years = 300, np.arange(2010, 2020)
    g = rng.choice([0, 2016], size=n)
    rows = []
    for t in years:
        trend = np.where(g > 0, 0.8 * (t - 2010), 0.0)  # treated diverge before treatment
        rows.append(pd.DataFrame({"id": np.arange(n), "t": t, "g": g, "y": trend + rng.normal(size=n)}))
    df = pd.concat(rows, ignore_index=True)
    with pytest.warns(DesignWarning, match="pre-trends rejected"):
        res = event_study(df, "y", idname="id", tname="t", gname="g")
    assert res.diagnostics["pretrend"]["p_value"].iloc[0] < 1e-6


def test_too_few_pre_periods(data):
    late = data[data.year >= 2005]  # cohort 2006 has one pre-period, 2005 cohorts none
    late = late[~late.g.isin([2005])]
    d = late.copy()
    d = d[(d.g == 0) | (d.g == 2006)]
    with pytest.raises(DesignError, match="too few pre-periods"):
        event_study(d, "y", idname="sid", tname="year", gname="g")
    with pytest.raises(DesignError, match="no variation"):
        event_study(data.assign(g=0), "y", idname="sid", tname="year", gname="g")


def test_plot_has_band(data):
    import matplotlib

    matplotlib.use("Agg")
    res = event_study(data, "y", idname="sid", tname="year", gname="g", window=(-5, 4))
    ax = res.plot(lang="en")
    assert len(ax.collections) >= 1 and "pre-trend" in ax.get_title(loc="left")
