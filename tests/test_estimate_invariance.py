"""Every estimator: shuffling the rows of the input leaves the estimates unchanged,
and calling with options in positional form is refused with a message naming them."""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from impact import estimate as est
from impact.errors import ImpactError

from _estimate_data import NSW_COVS, castle, staggered_panel, unbalanced_panel

NSW8 = ["age", "educ", "black", "hisp", "marr", "nodegree", "re74", "re75"]


def _nsw() -> pd.DataFrame:
    import causaldata as cd

    return cd.nsw_mixtape.load_pandas().data


def _texas() -> pd.DataFrame:
    import causaldata as cd

    return cd.texas.load_pandas().data


def _castle() -> pd.DataFrame:
    d = castle()
    d["treated"] = ((d.g > 0) & (d.year >= d.g)).astype(int)
    return d


CASES: dict[str, tuple[Callable[[], pd.DataFrame], Callable[[pd.DataFrame], Any]]] = {
    "ipw": (_nsw, lambda d: est.ipw(d, "re78", dname="treat", covariates=NSW8)),
    "ipw_ate": (_nsw, lambda d: est.ipw(d, "re78", dname="treat", covariates=NSW8, estimand="ATE")),
    "ra": (_nsw, lambda d: est.ra(d, "re78", dname="treat", covariates=NSW8)),
    "ra_no_covariates": (_nsw, lambda d: est.ra(d, "re78", dname="treat")),
    "aipw": (_nsw, lambda d: est.aipw(d, "re78", dname="treat", covariates=NSW8)),
    "nn_match_pscore": (_nsw, lambda d: est.nn_match(d, "re78", dname="treat", covariates=NSW8)),
    "nn_match_k3": (_nsw, lambda d: est.nn_match(d, "re78", dname="treat", covariates=NSW8, k=3)),
    "nn_match_mahalanobis": (_nsw, lambda d: est.nn_match(d, "re78", dname="treat", covariates=NSW8, distance="mahalanobis")),
    "balance_table": (_nsw, lambda d: est.balance_table(d, dname="treat", variables=NSW8)),
    "romano_wolf": (_nsw, lambda d: est.romano_wolf(d, ["re78", "re75"], dname="treat", B=199, seed=1)),
    "randomization_test": (_castle, lambda d: est.randomization_test(d.assign(tr=(d.g > 0).astype(int)), "y", dname="tr",
                                                                     cluster="sid", strata="region", reps=999, seed=3)),
    "did2x2": (_castle, lambda d: est.did2x2(d.assign(tr=(d.g > 0).astype(int), po=(d.year >= 2006).astype(int)), "y",
                                             treatname="tr", postname="po", cluster="sid")),
    "twfe": (_castle, lambda d: est.twfe(d, "y", dname="treated", idname="sid", tname="year", wild_bootstrap=False)),
    "twfe_wild": (_castle, lambda d: est.twfe(d, "y", dname="treated", idname="sid", tname="year", cluster="region",
                                              reps=999, seed=2)),
    "event_study": (_castle, lambda d: est.event_study(d, "y", idname="sid", tname="year", gname="g", window=(-5, 4))),
    "att_gt": (_castle, lambda d: est.att_gt(d, "y", tname="year", idname="sid", gname="g", biters=199, seed=1)),
    "att_gt_dr": (_castle, lambda d: est.att_gt(d, "y", tname="year", idname="sid", gname="g", xformla="~ pov0", bstrap=False)),
    "att_gt_unbalanced": (lambda: unbalanced_panel(7), lambda d: est.att_gt(d, "y", tname="t", idname="id", gname="g", xformla="~ x",
                                                                           est_method="reg", weightsname="w",
                                                                           allow_unbalanced_panel=True, bstrap=False)),
    "att_gt_ipw_weighted": (lambda: staggered_panel(3), lambda d: est.att_gt(d, "y", tname="t", idname="id", gname="g", xformla="~ x",
                                                                             est_method="ipw", weightsname="w", bstrap=False)),
    "sun_abraham": (_castle, lambda d: est.dynamic_effects(d, "y", idname="sid", tname="year", gname="g", estimator="sun_abraham")),
    "imputation": (_castle, lambda d: est.dynamic_effects(d, "y", idname="sid", tname="year", gname="g", estimator="imputation")),
    "aggte_dynamic": (_castle, lambda d: est.aggte(est.att_gt(d, "y", tname="year", idname="sid", gname="g", bstrap=False), "dynamic")),
    "staggered": (_castle, lambda d: est.staggered(d, "y", tname="year", idname="sid", gname="g", biters=199, seed=1)),
    "twfe_weights": (_castle, lambda d: est.twfe_weights(d, tname="year", idname="sid", gname="g")),
    "synth": (_texas, lambda d: est.synth(d, "bmprison", idname="statefip", tname="year", treated_unit=48, treat_time=1993,
                                          placebo=False)),
    "synthetic_did": (_texas, lambda d: est.synthetic_did(d, "bmprison", idname="statefip", tname="year", treated_units=48,
                                                          treat_time=1993)),
}


def _numbers(res: Any) -> pd.DataFrame:
    t = res.tidy() if hasattr(res, "tidy") else res
    cols = [c for c in ("estimate", "std_error", "p_value", "conf_low", "conf_high", "weight") if c in t]
    key = [c for c in ("term", "group", "time") if c in t]
    return t.sort_values(key).reset_index(drop=True)[key + cols] if key else t[cols]


@pytest.mark.parametrize("name", sorted(CASES))
def test_shuffled_rows_give_the_same_estimates(name):
    load, run = CASES[name]
    data = load()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = _numbers(run(data))
        for seed in (1, 2):
            shuffled = data.sample(frac=1.0, random_state=seed)
            shuffled.index = np.arange(len(shuffled))[::-1]  # a fresh index: nothing may rely on it
            b = _numbers(run(shuffled))
            pd.testing.assert_frame_equal(a[a.columns[:1]], b[b.columns[:1]])
            for c in a.columns:
                if pd.api.types.is_float_dtype(a[c]):
                    assert_allclose(b[c].to_numpy(float), a[c].to_numpy(float), rtol=1e-7, atol=1e-9, err_msg=f"{name}: {c}")


def test_nn_match_ties_averaged_by_default_and_first_depends_on_order():
    """NSW (discrete covariates, many zero earnings): ties are common. The default averages
    every tied control (invariant to row order); ties='first' reproduces first-match software
    and moves with the order."""
    d = _nsw()
    avg = est.nn_match(d, "re78", dname="treat", covariates=NSW8)
    assert avg.info["Treated units with tied matches"] > 0
    firsts = {round(float(est.nn_match(d.sample(frac=1.0, random_state=s), "re78", dname="treat", covariates=NSW8,
                                       ties="first").tidy()["estimate"].iloc[0]), 6) for s in range(6)}
    assert len(firsts) > 1


def test_nn_match_ties_against_brute_force():
    """Independent computation of the tie-averaged matching estimator and its Abadie-Imbens variance."""
    d = _nsw()
    res = est.nn_match(d, "re78", dname="treat", covariates=NSW8).tidy().iloc[0]
    ps = est.propensity_score(d, dname="treat", covariates=NSW8).to_numpy()
    lps = np.log(ps / (1 - ps))
    D, Y = d.treat.to_numpy(), d.re78.to_numpy(float)
    t, c = np.flatnonzero(D == 1), np.flatnonzero(D == 0)
    tol = 1e-9 * (1 + np.abs(lps[c]).max())
    K = np.zeros(len(Y))
    K2 = np.zeros(len(Y))
    gaps = []
    for i in t:
        dist = np.abs(lps[c] - lps[i])
        J = c[dist <= dist.min() + tol]
        gaps.append(Y[i] - Y[J].mean())
        K[J] += 1 / len(J)
        K2[J] += 1 / len(J) ** 2
    gaps = np.array(gaps)
    assert_allclose(res["estimate"], gaps.mean(), rtol=1e-12, atol=0)
    sig2 = np.zeros(len(Y))
    for arm in (0, 1):
        idx = np.flatnonzero(D == arm)
        for i in idx:
            others = idx[idx != i]
            dist = np.abs(lps[others] - lps[i])
            M = others[dist <= dist.min() + tol]
            sig2[i] = len(M) / (len(M) + 1) * (Y[i] - Y[M].mean()) ** 2
    var = (np.sum((gaps - gaps.mean()) ** 2) + np.sum((K[c] ** 2 - K2[c]) * sig2[c])) / len(t) ** 2
    assert_allclose(res["std_error"], np.sqrt(var), rtol=1e-10, atol=0)


@pytest.mark.parametrize("call", [
    lambda d: est.att_gt(d, "y", "year", "sid", "g"),
    lambda d: est.event_study(d, "y", "sid", "year", "g"),
    lambda d: est.twfe(d, "y", "treated", idname="sid", tname="year"),
    lambda d: est.synth(d, "y", "sid", "year", 1, treat_time=2006),
    lambda d: est.nn_match(d, "y", "treated", ["pov0"]),
])
def test_options_in_positional_form_are_refused_with_their_names(call):
    with pytest.raises(ImpactError, match=r"by name; got \d+ more positional value.*write \w+\(data, yname, "):
        call(_castle())


def test_binary_error_row_is_the_users_row_after_missing_rows():
    d = _nsw().head(40).copy()
    d.loc[3, "re78"] = np.nan  # dropped for missing outcome
    d.loc[10, "treat"] = 2  # the user's spreadsheet row 12
    with pytest.raises(ImpactError, match=r"row 12, column 'treat': found 2"):
        est.ra(d, "re78", dname="treat")


def test_nsw_cps_ties_do_not_move_the_estimate():
    from _estimate_data import nsw_cps

    d = nsw_cps()
    a = est.nn_match(d, "re78k", dname="treat", covariates=NSW_COVS).tidy()["estimate"].iloc[0]
    b = est.nn_match(d.sample(frac=1.0, random_state=7), "re78k", dname="treat", covariates=NSW_COVS).tidy()["estimate"].iloc[0]
    assert_allclose(a, b, rtol=1e-9, atol=0)
