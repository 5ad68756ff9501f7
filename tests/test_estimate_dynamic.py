"""One event-study front end: Sun-Abraham against pyfixest's saturated event study, the
imputation estimator against an independent computation, truth recovery with heterogeneous effects."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from impact.estimate.dynamic import dynamic_effects

from _estimate_data import castle, staggered_panel


def _heterogeneous(seed: int = 0, n: int = 900) -> pd.DataFrame:
    """Parallel trends hold; effects differ by cohort (g=4: 2 + e, g=6: 0.5) so TWFE is biased."""
    rng = np.random.default_rng(seed)
    g = rng.choice([0, 4, 6], size=n, p=[0.3, 0.35, 0.35])
    a = rng.normal(size=n)
    rows = []
    for t in range(1, 10):
        e = t - g
        eff = np.where((g == 4) & (e >= 0), 2 + e, 0.0) + np.where((g == 6) & (e >= 0), 0.5, 0.0)
        rows.append(pd.DataFrame({"id": np.arange(n), "t": t, "g": g, "y": a + 0.4 * t + eff + rng.normal(size=n)}))
    return pd.concat(rows, ignore_index=True)


def _truth(df: pd.DataFrame, e: int) -> float:
    sub = df[(df.g > 0) & (df.t - df.g == e)]
    return float(np.mean(np.where(sub.g == 4, 2 + e, 0.5)))


@pytest.mark.parametrize("data", ["castle", "simulated"])
def test_sun_abraham_matches_pyfixest_saturated_event_study(data):
    import pyfixest as pf

    if data == "castle":
        d = castle().astype({"year": "int64", "g": "int64"})  # pyfixest's event_study wants int64 periods
        kw = dict(yname="y", idname="sid", tname="year", gname="g")
    else:
        d, kw = staggered_panel(3, n=600), dict(yname="y", idname="id", tname="t", gname="g")
    ours = dynamic_effects(d, kw["yname"], idname=kw["idname"], tname=kw["tname"], gname=kw["gname"], estimator="sun_abraham").tidy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf.event_study(d, estimator="saturated", **kw).aggregate(agg="period", weighting="shares")
    ref = ref.loc[[float(e) for e in ours["event_time"]]]
    assert_allclose(ours["estimate"], ref["Estimate"].astype(float), rtol=1e-8, atol=1e-10)
    assert_allclose(ours["std_error"], ref["Std. Error"].astype(float), rtol=1e-6, atol=0)


def test_imputation_against_an_independent_computation():
    """Y(0) from OLS with unit and period dummies on the untreated observations (statsmodels)."""
    import statsmodels.formula.api as smf

    d = _heterogeneous(1, n=120)
    ours = dynamic_effects(d, "y", idname="id", tname="t", gname="g", estimator="imputation").tidy()
    D = (d.g > 0) & (d.t >= d.g)
    fit = smf.ols("y ~ C(id) + C(t)", data=d[~D]).fit()
    tau = d.y[D] - fit.predict(d[D])
    rel = (d.t - d.g)[D]
    ref = tau.groupby(rel).mean()
    assert_allclose(ours["estimate"], ref.loc[ours["event_time"]].to_numpy(), rtol=1e-8, atol=1e-10)
    assert (ours["std_error"] > 0).all()


@pytest.mark.parametrize("estimator", ["sun_abraham", "imputation", "callaway_santanna"])
def test_heterogeneous_effects_recovered_where_twfe_is_biased(estimator):
    d = _heterogeneous(2)
    res = dynamic_effects(d, "y", idname="id", tname="t", gname="g", estimator=estimator, **({"bstrap": False} if estimator == "callaway_santanna" else {})).tidy()
    post = res[res["event_time"].between(0, 3)]
    truth = np.array([_truth(d, int(e)) for e in post["event_time"]])
    z = (post["estimate"].to_numpy() - truth) / post["std_error"].to_numpy()
    assert np.all(np.abs(z) < 3.5), (estimator, z)
    tw = dynamic_effects(d, "y", idname="id", tname="t", gname="g", estimator="twfe").tidy()
    tpost = tw[tw["event_time"].between(0, 3)]
    tz = (tpost["estimate"].to_numpy() - truth) / tpost["std_error"].to_numpy()
    assert np.max(np.abs(tz)) > 4  # TWFE leads and lags are contaminated


def test_front_end_checks_its_options():
    d = _heterogeneous(3, n=60)
    with pytest.raises(ValueError, match="estimator='did2s' is not valid"):
        dynamic_effects(d, "y", idname="id", tname="t", gname="g", estimator="did2s")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="takes no options"):
        dynamic_effects(d, "y", idname="id", tname="t", gname="g", estimator="sun_abraham", window=(-3, 3))
