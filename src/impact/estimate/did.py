"""Difference-in-differences: the 2x2 design and two-way fixed effects, via pyfixest.

``did2x2``: ``y = a + b·treat + c·post + ATT·treat·post (+ x'g) + e``.
``twfe``:   ``y_it = ATT·D_it (+ x_it'g) + alpha_i + lambda_t + e_it`` (unit and period
fixed effects absorbed by pyfixest).

Standard errors are cluster-robust (CRV1, pyfixest's small-sample correction) at the level
the user names. With few clusters (fewer than ``few_clusters``, default 42) the p-value and
interval come from the wild cluster restricted (WCR) bootstrap (Cameron, Gelbach & Miller
2008; Roodman et al. 2019): residuals of the model estimated under ``H0: ATT = b0`` are
multiplied by cluster-level Rademacher or Webb weights; the p-value is the share of
bootstrap |t*| at least the observed |t|; the interval collects every ``b0`` not rejected
(test inversion). With Rademacher weights and ``2^G <= reps`` all sign vectors are
enumerated, so the result is deterministic.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd

from impact.errors import DesignError, DesignWarning
from impact.estimate._common import FewTreatedClustersWarning
from impact.results import Result, check_option

from ._common import (
    covariate_names,
    drop_missing,
    invert_test,
    keyword_only,
    require_binary,
    require_columns,
    require_numeric,
    require_variation,
    require_weights,
)

BootWeights = Literal["rademacher", "webb"]
WildOption = bool | Literal["auto"]

ASSUMPTIONS_DID = (
    "parallel trends: absent treatment, treated and comparison units' outcomes would have moved in parallel",
    "no anticipation: outcomes before treatment are unaffected by it",
    "stable composition of treated and comparison groups (SUTVA, no spillovers)",
)
ASSUMPTIONS_TWFE = ASSUMPTIONS_DID + (
    "homogeneous effects across cohorts and time, or a single treatment date; otherwise the TWFE coefficient "
    "is a weighted average with possibly negative weights (use impact.estimate.staggered)",
)


# ---------------------------------------------------------------------------
# wild cluster restricted bootstrap
# ---------------------------------------------------------------------------

def _weights_matrix(kind: str, reps: int, G: int, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    if kind == "rademacher" and 2**G <= reps:
        grid = ((np.arange(2**G)[:, None] >> np.arange(G)[None, :]) & 1).astype(float) * 2 - 1
        return grid, True
    if kind == "rademacher":
        return rng.integers(0, 2, size=(reps, G)).astype(float) * 2 - 1, False
    vals = np.array([-np.sqrt(1.5), -1, -np.sqrt(0.5), np.sqrt(0.5), 1, np.sqrt(1.5)])
    return vals[rng.integers(0, 6, size=(reps, G))], False


def wild_cluster_bootstrap(
    X: np.ndarray,
    y: np.ndarray,
    cluster: np.ndarray,
    j: int = 0,
    *,
    reps: int = 9999,
    weights: BootWeights = "rademacher",
    alpha: float = 0.05,
    seed: int | None = None,
    ci: bool = True,
) -> dict[str, Any]:
    """WCR bootstrap test of ``beta_j = b0`` and its inversion into an interval.

    ``X`` (``n x k``) and ``y`` are the (fixed-effect demeaned) regressors and outcome.
    For a null ``b0`` the bootstrap t-statistics are computed for all draws at once: with
    ``w = X (X'X)^{-1} e_j``, restricted residuals ``u``, ``a_g = w_g'u_g`` and
    ``C_gh = w_g'X_g (X'X)^{-1} X_h'u_h``, the draw ``v`` gives
    ``beta*_j - b0 = v'a`` and cluster scores ``v∘a - C v``.
    Returns ``p_value``, ``conf_low``, ``conf_high``, ``t_stat``, ``reps`` and ``enumerated``.
    """
    check_option("weights", weights, ("rademacher", "webb"))
    X = np.asarray(X, float)
    y = np.asarray(y, float)
    g_idx, _ = pd.factorize(pd.Series(cluster))
    G = int(g_idx.max()) + 1
    rng = np.random.default_rng(seed)
    V, enumerated = _weights_matrix(weights, reps, G, rng)
    XtX_inv = np.linalg.inv(X.T @ X)
    beta = XtX_inv @ X.T @ y
    w = X @ XtX_inv[:, j]
    # cluster sums: W_g = w_g'X_g (G x k)
    Wg = np.zeros((G, X.shape[1]))
    np.add.at(Wg, g_idx, w[:, None] * X)
    others = np.delete(np.arange(X.shape[1]), j)
    Xo = X[:, others]
    Po = np.linalg.pinv(Xo.T @ Xo) @ Xo.T if len(others) else None
    xj = X[:, j]

    def restricted_resid(b0: float) -> np.ndarray:
        r = y - b0 * xj
        return r - Xo @ (Po @ r) if Po is not None else r

    def pieces(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a = np.bincount(g_idx, w * u, minlength=G)
        Xu = np.zeros((G, X.shape[1]))
        np.add.at(Xu, g_idx, X * u[:, None])
        C = Wg @ XtX_inv @ Xu.T  # G x G
        return a, C

    # observed t (CRV1 without small-sample factor; the factor cancels in the comparison)
    e = y - X @ beta
    s = np.bincount(g_idx, w * e, minlength=G)
    se0 = np.sqrt(np.sum(s**2))
    # linearity in b0: u(b0) = u(0) - b0 * m, with m = M_o x_j
    u0 = restricted_resid(0.0)
    m = u0 - restricted_resid(1.0)
    a0, C0 = pieces(u0)
    am, Cm = pieces(m)

    def pval(b0: float) -> float:
        a = a0 - b0 * am
        C = C0 - b0 * Cm
        num = V @ a
        S = V * a[None, :] - V @ C.T
        den = np.sqrt(np.sum(S**2, axis=1))
        with np.errstate(divide="ignore", invalid="ignore"):
            tstar = np.abs(num / den)
        t = abs(beta[j] - b0) / se0
        return float(np.mean(tstar >= t - 1e-12 * max(1.0, t)))

    p = pval(0.0)
    out: dict[str, Any] = {"p_value": p, "t_stat": beta[j] / se0 * np.sqrt(G / (G - 1)), "reps": len(V), "enumerated": enumerated, "G": G}
    if ci:
        se_ref = se0 if se0 > 0 else 1.0

        out["conf_low"], out["conf_high"] = invert_test(pval, beta[j], se_ref, alpha, rtol=1e-7)
    return out


# ---------------------------------------------------------------------------
# estimators
# ---------------------------------------------------------------------------

def _fit_and_tidy(
    df: pd.DataFrame,
    fml: str,
    term: str,
    label: str,
    *,
    yname: str,
    cluster: str | None,
    wild_bootstrap: WildOption,
    few_clusters: int,
    reps: int,
    boot_weights: BootWeights,
    seed: int | None,
    alpha: float,
    method: str,
    assumptions: Sequence[str],
    info: dict[str, Any],
    treated: str,
    weightsname: str | None = None,
) -> Result:
    import pyfixest as pf

    vcov: Any = {"CRV1": cluster} if cluster else "hetero"
    try:
        fit = pf.feols(fml, data=df, vcov=vcov, fixef_rm="none", weights=weightsname)
    except ValueError as err:
        if "collinear" in str(err):
            raise DesignError(f"every regressor, including the treatment {term!r}, is collinear with the fixed effects; "
                              "the design has no usable treatment variation") from err
        raise
    coefs = list(fit.coef().index)
    if term not in coefs:
        raise DesignError(f"the treatment term {term!r} was dropped as collinear with the fixed effects or covariates; "
                          "the design has no usable treatment variation")
    est = float(fit.coef()[term])
    se = float(fit.se()[term])
    t = float(fit.tstat()[term])
    p = float(fit.pvalue()[term])
    ci = fit.confint(alpha=alpha).loc[term]
    G = None
    G1 = G0 = None
    if cluster:
        G = int(min(fit._G)) if getattr(fit, "_G", None) else int(df[cluster].nunique())
        any_treated = pd.to_numeric(df[treated]).gt(0).groupby(df[cluster].to_numpy()).any()
        G1, G0 = int(any_treated.sum()), int((~any_treated).sum())
    # one treated cluster, or one untreated cluster (G0 = 0 is fine: staggered timing, every
    # cluster treated at some point, compares clusters across time)
    one_treated = G1 is not None and (G1 <= 1 or G0 == 1)
    use_wild = bool(cluster) and (wild_bootstrap is True or (wild_bootstrap == "auto" and G is not None and G < few_clusters
                                                              and not one_treated))
    n = int(fit._N)
    row: dict[str, Any] = {
        "term": label, "estimate": est, "std_error": se, "statistic": t, "p_value": p,
        "conf_low": float(ci.iloc[0]), "conf_high": float(ci.iloc[1]), "n": n, "unit": yname,
        "method": method, "cluster": cluster or "none (heteroskedasticity-robust)",
        "inference": f"CRV1, t({G - 1})" if cluster else "HC1",
    }
    if weightsname:
        row["weights"] = weightsname
    diagnostics: dict[str, pd.DataFrame] = {"coefficients": fit.tidy().reset_index().rename(columns=str.lower)}
    info = dict(info)
    info["Observations"] = n
    if cluster:
        info["Cluster"] = f"{cluster} ({G} clusters, {G1} with treated observations)"
    if weightsname:
        info["Weights"] = weightsname
    if one_treated:
        row["inference"] = f"CRV1, t({G - 1}); unreliable: {G1} treated and {G0} untreated cluster(s)"
        warnings.warn(
            f"{G1} cluster(s) of {cluster!r} contain treated observations and {G0} contain none: with one treated (or one "
            "untreated) cluster neither the cluster-robust "
            "p-value nor the wild cluster bootstrap is reliable (MacKinnon & Webb 2017: CRV1 over-rejects, the restricted "
            "wild bootstrap is extremely conservative); use randomisation inference "
            "(impact.estimate.randomization_test) or synthetic control with placebo inference",
            FewTreatedClustersWarning, stacklevel=4)
        info["Inference"] = row["inference"]
    if use_wild:
        j = coefs.index(term)
        # pyfixest's _X/_Y: fixed effects partialled out, multiplied by sqrt(weights), collinear columns dropped
        wb = wild_cluster_bootstrap(np.asarray(fit._X), np.asarray(fit._Y).ravel(), df[cluster].to_numpy(), j,
                                    reps=reps, weights=boot_weights, alpha=alpha, seed=seed)
        diagnostics["crv1"] = pd.DataFrame([row])
        # one inference throughout the row: the statistic is the studentised coefficient whose
        # bootstrap distribution gives p_value; the interval inverts the same bootstrap test
        row.update(p_value=wb["p_value"], conf_low=wb["conf_low"], conf_high=wb["conf_high"],
                   inference=f"wild cluster bootstrap (WCR, {boot_weights}, {wb['reps']} {'enumerated' if wb['enumerated'] else 'draws'}): "
                             "p-value of the CRV1 t against its bootstrap distribution, interval by test inversion")
        info["Inference"] = row["inference"] + f"; {G} clusters are few, CRV1 p-value {p:.4g} in diagnostics['crv1']"
    elif cluster and G is not None and G < few_clusters and not one_treated:
        warnings.warn(f"only {G} clusters in {cluster!r}: cluster-robust p-values over-reject; use wild_bootstrap=True",
                      DesignWarning, stacklevel=4)
    res = Result(table=pd.DataFrame([row]), method=method, assumptions=tuple(assumptions), info=info,
                 diagnostics=diagnostics, level=1 - alpha)
    res.text = lambda lang, r=row: (
        f"{r['unit']} 的双重差分估计为 {r['estimate']:,.3g}（{1 - alpha:.0%}置信区间 [{r['conf_low']:,.3g}, {r['conf_high']:,.3g}]，p = {r['p_value']:.3g}）。"
        if lang == "zh" else
        f"The difference-in-differences estimate for {r['unit']} is {r['estimate']:,.3g} ({1 - alpha:.0%} CI {r['conf_low']:,.3g} to {r['conf_high']:,.3g}, p = {r['p_value']:.3g})."
    )
    res.fit = fit  # type: ignore[attr-defined]
    return res


@keyword_only()
def did2x2(
    data: pd.DataFrame,
    yname: str,
    *,
    treatname: str,
    postname: str,
    xformla: str | Sequence[str] | None = None,
    cluster: str | None = None,
    wild_bootstrap: WildOption = "auto",
    few_clusters: int = 42,
    reps: int = 9999,
    boot_weights: BootWeights = "rademacher",
    seed: int | None = None,
    weightsname: str | None = None,
    alpha: float = 0.05,
) -> Result:
    """Two-by-two DiD by OLS: ``y ~ treat + post + treat:post (+ covariates)``.

    ``treatname`` marks the treated group (0/1), ``postname`` the post period (0/1).
    The reported term ``ATT`` is the coefficient on ``treat:post`` in units of ``yname``.
    """
    covs = covariate_names(xformla)
    require_columns(data, [yname, treatname, postname, cluster, weightsname, *covs])
    require_numeric(data, [yname, *covs])
    require_binary(data, treatname)
    require_binary(data, postname)
    require_weights(data, weightsname)
    df = drop_missing(data, [yname, treatname, postname, *covs, cluster, weightsname])
    require_variation(df[treatname], treatname)
    require_variation(df[postname], postname)
    df = df.assign(_treat=df[treatname].astype(float), _post=df[postname].astype(float))  # a copy
    df["_treat_post"] = df["_treat"] * df["_post"]
    if df.groupby(["_treat", "_post"]).size().shape[0] < 4:
        raise DesignError("a 2x2 DiD needs all four cells (treated/comparison x before/after); at least one is empty")
    rhs = " + ".join(["_treat", "_post", "_treat_post", *covs])
    return _fit_and_tidy(
        df, f"{yname} ~ {rhs}", "_treat_post", "ATT", yname=yname, cluster=cluster, wild_bootstrap=wild_bootstrap,
        few_clusters=few_clusters, reps=reps, boot_weights=boot_weights, seed=seed, alpha=alpha,
        method="2x2 difference-in-differences (" + ("WLS" if weightsname else "OLS") + ")", assumptions=ASSUMPTIONS_DID,
        treated="_treat", weightsname=weightsname,
        info={"Outcome": yname, "Treatment": f"{treatname} x {postname}", "Covariates": ", ".join(covs) or "none"},
    )


@keyword_only()
def twfe(
    data: pd.DataFrame,
    yname: str,
    *,
    dname: str,
    idname: str,
    tname: str,
    xformla: str | Sequence[str] | None = None,
    cluster: str | None = None,
    wild_bootstrap: WildOption = "auto",
    few_clusters: int = 42,
    reps: int = 9999,
    boot_weights: BootWeights = "rademacher",
    seed: int | None = None,
    weightsname: str | None = None,
    alpha: float = 0.05,
) -> Result:
    """Two-way fixed-effects DiD: ``y ~ d (+ covariates) | idname + tname`` (pyfixest).

    ``dname`` is the 0/1 treatment indicator of unit ``idname`` in period ``tname``;
    ``cluster`` names the clustering column (for example ``"county_code"`` or
    ``"prefecture_code"``; default ``idname``). Household panels work the same way
    (``idname="household_id"``, ``cluster="county_code"``).
    """
    covs = covariate_names(xformla)
    cluster = cluster or idname
    require_columns(data, [yname, dname, idname, tname, cluster, weightsname, *covs])
    require_numeric(data, [yname, *covs])
    require_binary(data, dname)
    require_weights(data, weightsname)
    df = drop_missing(data, [yname, dname, idname, tname, *covs, cluster, weightsname])
    require_variation(df[dname], dname)
    rhs = " + ".join([dname, *covs])
    try:
        return _fit_and_tidy(
            df, f"{yname} ~ {rhs} | {idname} + {tname}", dname, "ATT", yname=yname, cluster=cluster,
            wild_bootstrap=wild_bootstrap, few_clusters=few_clusters, reps=reps, boot_weights=boot_weights, seed=seed,
            alpha=alpha, method="Two-way fixed effects DiD (pyfixest" + (", weighted)" if weightsname else ")"),
            assumptions=ASSUMPTIONS_TWFE, treated=dname, weightsname=weightsname,
            info={"Outcome": yname, "Treatment": dname, "Fixed effects": f"{idname} + {tname}",
                  "Covariates": ", ".join(covs) or "none"},
        )
    except DesignError:
        # explain the usual cause (checked only on failure: a groupby over millions of rows is not free)
        within = df.groupby(idname, sort=False)[dname].agg(["min", "max"])
        if (within["min"] == within["max"]).all():
            raise DesignError(f"{dname!r} never changes within a unit of {idname!r}: the unit fixed effects absorb it; "
                              "a TWFE DiD needs units observed both before and after treatment") from None
        raise
