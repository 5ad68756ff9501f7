"""Weights in twfe, did2x2 and event_study (weighted least squares) against statsmodels WLS with
dummies; one treated cluster warns and reports one inference."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from impact import estimate as est
from impact.errors import DesignWarning, InputError
from impact.estimate._common import FewTreatedClustersWarning

from _estimate_data import castle_weighted


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    d = castle_weighted()
    d["treated"] = ((d.g > 0) & (d.year >= d.g)).astype(int)
    return d


def test_weighted_twfe_matches_statsmodels_wls_with_dummies(data):
    import statsmodels.formula.api as smf

    res = est.twfe(data, "y", dname="treated", idname="sid", tname="year", weightsname="popw", wild_bootstrap=False)
    ref = smf.wls("y ~ treated + C(sid) + C(year)", data=data, weights=data["popw"]).fit()
    assert_allclose(res.tidy()["estimate"].iloc[0], ref.params["treated"], rtol=1e-9, atol=0)
    unweighted = est.twfe(data, "y", dname="treated", idname="sid", tname="year", wild_bootstrap=False).tidy()["estimate"].iloc[0]
    assert abs(unweighted - ref.params["treated"]) > 1e-4  # the weights matter here
    assert res.info["Weights"] == "popw"


def test_weighted_did2x2_matches_statsmodels_wls(data):
    import statsmodels.formula.api as smf

    d = data.assign(tr=(data.g > 0).astype(int), po=(data.year >= 2006).astype(int))
    res = est.did2x2(d, "y", treatname="tr", postname="po", weightsname="popw").tidy().iloc[0]
    ref = smf.wls("y ~ tr * po", data=d, weights=d["popw"]).fit(cov_type="HC1")
    assert_allclose(res["estimate"], ref.params["tr:po"], rtol=1e-9, atol=0)
    assert_allclose(res["std_error"], ref.bse["tr:po"], rtol=1e-6, atol=0)


def test_weighted_event_study_matches_statsmodels_wls(data):
    import statsmodels.formula.api as smf

    res = est.event_study(data, "y", idname="sid", tname="year", gname="g", window=(-4, 3), weightsname="popw").tidy()
    d = data.copy()
    rel = np.where(d.g > 0, (d.year - d.g).clip(-4, 3), np.nan)
    names = []
    for e in range(-4, 4):
        if e == -1:
            continue
        nm = f"e{'m' if e < 0 else 'p'}{abs(e)}"
        d[nm] = (rel == e).astype(float)
        names.append(nm)
    ref = smf.wls(f"y ~ {' + '.join(names)} + C(sid) + C(year)", data=d, weights=d["popw"]).fit()
    ours = res.set_index("event_time")["estimate"]
    for e, nm in zip([e for e in range(-4, 4) if e != -1], names):
        assert_allclose(ours[e], ref.params[nm], rtol=1e-8, atol=1e-12)


def test_bad_weights_name_the_row(data):
    d = data.copy()
    d.loc[7, "popw"] = -1.0
    with pytest.raises(InputError, match=r"row 9, column 'popw': found -1.0; expected a positive weight"):
        est.twfe(d, "y", dname="treated", idname="sid", tname="year", weightsname="popw")


def test_one_treated_cluster_warns_and_keeps_one_inference():
    """Organ donations (Kessler & Roth 2014): California is the only treated state."""
    import causaldata as cd
    import pyfixest as pf

    d = cd.organ_donations.load_pandas().data.copy()
    d["treated"] = ((d.State == "California") & (d.Quarter_Num >= 4)).astype(int)
    with pytest.warns(FewTreatedClustersWarning, match="1 cluster.* contain treated observations"):
        res = est.twfe(d, "Rate", dname="treated", idname="State", tname="Quarter_Num", cluster="State")
    row = res.tidy().iloc[0]
    fit = pf.feols("Rate ~ treated | State + Quarter_Num", data=d, vcov={"CRV1": "State"})
    # no silent switch to the bootstrap: statistic, p-value and interval all CRV1
    assert_allclose(row["p_value"], fit.pvalue()["treated"], rtol=1e-10, atol=0)
    assert_allclose(row["conf_low"], fit.confint().loc["treated"].iloc[0], rtol=1e-10, atol=0)
    assert "unreliable" in row["inference"]
    assert issubclass(FewTreatedClustersWarning, DesignWarning)


def test_wild_row_is_one_inference_with_enough_treated_clusters(data):
    with warnings.catch_warnings():
        warnings.simplefilter("error", FewTreatedClustersWarning)
        res = est.twfe(data, "y", dname="treated", idname="sid", tname="year", cluster="region", reps=999, seed=1)
    row = res.tidy().iloc[0]
    assert row["inference"].startswith("wild cluster bootstrap")
    assert row["conf_low"] < row["estimate"] < row["conf_high"]
    assert res.diagnostics["crv1"]["p_value"].iloc[0] != row["p_value"]


def test_staggered_timing_with_every_cluster_treated_does_not_warn():
    """All units eventually treated (no never-treated cluster): timing variation identifies the
    effect; this is not the one-treated-cluster problem."""
    from _estimate_data import staggered_panel

    p = staggered_panel(1, n=200)
    p = p[p.g > 0].copy()
    p["d"] = (p.t >= p.g).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FewTreatedClustersWarning)
        est.twfe(p, "y", dname="d", idname="id", tname="t", wild_bootstrap=False)
