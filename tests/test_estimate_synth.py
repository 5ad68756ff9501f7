"""Synthetic control: reproduction of pysyncon on texas, truth recovery, design errors, plot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from impact.errors import DesignError, DesignWarning
from impact.estimate.synth import synth

from _estimate_data import reference

REF = reference("pysyncon_texas.json")


@pytest.fixture(scope="module")
def texas() -> pd.DataFrame:
    import causaldata as cd

    return cd.texas.load_pandas().data


@pytest.fixture(scope="module")
def texas_fit(texas):
    return synth(texas, "bmprison", idname="statefip", tname="year", treated_unit=48, treat_time=1993)


def test_weights_match_pysyncon(texas_fit):
    w = texas_fit.diagnostics["weights"].set_index("donor")["weight"].reindex(REF["controls"])
    # pysyncon stops SLSQP at its default tolerance; ours solves the same QP to ~1e-10
    assert_allclose(w.to_numpy(), REF["weights"], rtol=0, atol=2e-3)
    assert_allclose(w.sum(), 1.0, rtol=0, atol=1e-12)
    assert (w >= 0).all()


def test_objective_no_worse_than_pysyncon(texas, texas_fit):
    """Same QP: our loss (sum of squared scaled pre-period gaps) is <= pysyncon's."""
    Y = texas.pivot(index="statefip", columns="year", values="bmprison").loc[:, 1985:1992]
    sd = Y.std(axis=0, ddof=1)
    X = Y / sd
    w = texas_fit.diagnostics["weights"].set_index("donor")["weight"]
    ours = float(((X.loc[48] - X.loc[w.index].T @ w) ** 2).sum())
    wr = pd.Series(REF["weights"], index=REF["controls"])
    theirs = float(((X.loc[48] - X.loc[wr.index].T @ wr) ** 2).sum())
    assert ours <= theirs + 1e-9


def test_att_close_to_pysyncon(texas_fit):
    att = texas_fit.tidy().set_index("term").loc["ATT", "estimate"]
    assert_allclose(att, REF["att"], rtol=2e-3, atol=0)


def test_placebo_inference(texas_fit):
    plac = texas_fit.diagnostics["placebos"]
    assert len(plac) == 51 and plac["treated"].sum() == 1
    p = texas_fit.tidy().set_index("term").loc["ATT", "p_value"]
    r1 = plac.loc[plac.treated, "ratio"].iloc[0]
    assert_allclose(p, (plac["ratio"] >= r1).mean(), rtol=0, atol=1e-12)
    assert 0 < p <= 1


def _factor_panel(seed: int, effect: float = 5.0) -> pd.DataFrame:
    """Treated unit = convex combination of donors plus noise; known effect from period 15."""
    rng = np.random.default_rng(seed)
    J, T = 30, 20
    f = rng.normal(size=(T, 2)).cumsum(axis=0)
    lam = rng.normal(size=(J, 2))
    Y0 = 50 + f @ lam.T + rng.normal(scale=0.3, size=(T, J))
    w = np.zeros(J)
    w[:3] = [0.5, 0.3, 0.2]
    y1 = Y0 @ w + rng.normal(scale=0.3, size=T)
    y1[15:] += effect
    rows = [pd.DataFrame({"unit": j + 1, "t": np.arange(T), "y": Y0[:, j], "g": 0}) for j in range(J)]
    rows.append(pd.DataFrame({"unit": 0, "t": np.arange(T), "y": y1, "g": 15}))
    return pd.concat(rows, ignore_index=True)


def test_truth_recovery_factor_model():
    df = _factor_panel(1)
    res = synth(df, "y", idname="unit", tname="t", treated_unit=0, gname="g")
    att = res.tidy().set_index("term").loc["ATT", "estimate"]
    assert abs(att - 5.0) < 0.6
    assert res.tidy().set_index("term").loc["ATT", "p_value"] <= 1 / 31 + 1e-12
    w = res.diagnostics["weights"].set_index("donor")["weight"]
    assert w.loc[[1, 2, 3]].sum() > 0.8


def test_predictors_with_v_weights(texas):
    res = synth(texas, "bmprison", idname="statefip", tname="year", treated_unit=48, treat_time=1993, predictors=["income", "ur", "alcohol"], placebo=False)
    pr = res.diagnostics["predictors"]
    assert_allclose(pr["v"].sum(), 1.0, rtol=0, atol=1e-9)
    assert np.isnan(res.tidy()["p_value"].iloc[0])


def test_design_errors_and_warnings(texas):
    with pytest.raises(DesignError, match="donor pool too small"):
        synth(texas, "bmprison", idname="statefip", tname="year", treated_unit=48, treat_time=1993, donors=[1, 2, 4])
    with pytest.raises(DesignError, match="too few pre-periods"):
        synth(texas, "bmprison", idname="statefip", tname="year", treated_unit=48, treat_time=1986)
    # the largest state is outside the donors' convex hull: poor pre-fit
    big = texas[texas.year < 1993].groupby("statefip")["bmprison"].mean().idxmax()
    with pytest.warns(DesignWarning, match="poor pre-period fit"):
        synth(texas, "bmprison", idname="statefip", tname="year", treated_unit=big, treat_time=1993, placebo=False)


def test_gap_plot(texas_fit):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.collections import LineCollection

    ax = texas_fit.plot()
    # the treated gap and the placebo gaps: lines, and one collection holding all placebos but the first
    placebos = sum(len(c.get_segments()) for c in ax.collections if isinstance(c, LineCollection))
    assert len(ax.lines) + placebos > 10
    ax2 = texas_fit.plot(kind="path")
    assert len(ax2.lines) >= 2


def test_synthetic_did_recovers_truth_with_level_shift():
    """SDID allows a constant gap (intercept): shift the treated unit by +20, effect 5 stays recoverable."""
    from impact.estimate.synth import synthetic_did

    df = _factor_panel(2)
    df.loc[df.unit == 0, "y"] += 20.0
    res = synthetic_did(df, "y", idname="unit", tname="t", treated_units=0, treat_time=15)
    row = res.tidy().iloc[0]
    assert abs(row["estimate"] - 5.0) < 1.0
    assert row["conf_low"] <= 5.0 <= row["conf_high"]
    assert_allclose(res.diagnostics["unit_weights"]["weight"].sum(), 1.0, rtol=0, atol=1e-9)
    assert_allclose(res.diagnostics["time_weights"]["weight"].sum(), 1.0, rtol=0, atol=1e-9)


def test_synthetic_did_equals_did_with_uniform_weights_case():
    """When every control is identical up to noise-free parallel paths, SDID equals the simple DiD."""
    from impact.estimate.synth import synthetic_did

    T, J = 8, 6
    t = np.arange(T)
    rows = [pd.DataFrame({"unit": j + 1, "t": t, "y": 10.0 + j + 0.5 * t}) for j in range(J)]
    rows.append(pd.DataFrame({"unit": 0, "t": t, "y": 3.0 + 0.5 * t + 2.0 * (t >= 5)}))
    df = pd.concat(rows, ignore_index=True)
    res = synthetic_did(df, "y", idname="unit", tname="t", treated_units=0, treat_time=5)
    assert_allclose(res.tidy()["estimate"].iloc[0], 2.0, rtol=0, atol=1e-6)


def test_single_county_on_simulator_covers_truth():
    """County 530824 (景谷, agriculture program) in the simulated panel: SDID interval covers its true
    mean post effect; donors are counties without an agriculture program (every county is paired)."""
    from impact.estimate.synth import synthetic_did
    from impact.simulate import county_panel

    df, truth = county_panel(20240712)
    true = truth["outcomes"]["grain_yield"]["per_county"]["530824"]["mean_post"]
    start = int(df.loc[df.county_code == "530824", "cohort_agriculture"].iloc[0])
    donors = df.loc[df.cohort_agriculture == 0, "county_code"].unique().tolist()
    sd = synthetic_did(df, "grain_yield", idname="county_code", tname="year", treated_units="530824", treat_time=start, donors=donors).tidy().iloc[0]
    assert sd["conf_low"] <= true <= sd["conf_high"]
    sc = synth(df, "grain_yield", idname="county_code", tname="year", treated_unit="530824", gname="cohort_agriculture").tidy().iloc[0]
    assert abs(sc["estimate"] - true) < 3 * sd["std_error"]
