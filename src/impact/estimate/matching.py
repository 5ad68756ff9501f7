"""Selection on observables: propensity score, IPW, regression adjustment, doubly robust, matching.

Notation: ``D`` treatment (0/1), ``X`` covariates (with intercept), ``e(X) = P(D=1|X)``
the logit propensity score.

- ``ipw``: normalised (Hajek) weights; ATE weights ``D/e + (1-D)/(1-e)``, ATT weights
  ``D + (1-D) e/(1-e)``.
- ``ra``: regression adjustment (separate OLS by arm; ATT averages ``Y - m0(X)`` over the treated).
- ``aipw``: doubly robust. ATE: augmented IPW. ATT: Sant'Anna & Zhao (2020) DR estimator.

Standard errors are ``sqrt(mean(psi^2)/n)`` from each estimator's influence function,
including the estimation of the logit and OLS nuisance models (M-estimation; identical to
the exactly-identified GMM sandwich of statsmodels' ``TreatmentEffect``, which we do not
call because its GMM optimiser fails to converge on badly scaled, poorly overlapping data
such as NSW-CPS; for the ATE of AIPW the efficient influence function is used).
- ``nn_match``: nearest-neighbour matching on the logit of the propensity score or the
  Mahalanobis distance, with replacement, ``k`` matches, optional caliper (in standard
  deviations of the logit score); ATT with the Abadie-Imbens (2006) variance (conditional
  variances by matching within arm, ``J = 1``; the adjustment for an estimated score,
  Abadie-Imbens 2016, is not applied).

Every result carries ``diagnostics["balance"]``: standardised mean differences
``(m1 - m0) / sqrt((s1^2 + s0^2) / 2)`` (denominator from the unweighted sample) and
variance ratios ``s1^2 / s0^2``, before and after weighting/matching, and
``diagnostics["pscore"]`` for the overlap plot (``result.plot()``).
"""

from __future__ import annotations

import warnings
from typing import Any, Literal, Sequence, get_args

import numpy as np
import pandas as pd
from scipy import stats

from impact.errors import DesignError, DesignWarning
from impact.plots import plot_overlap
from impact.results import Result, check_option, normal_ci

from ._common import (
    covariate_names,
    design_matrix,
    drop_missing,
    keyword_only,
    logit_fit,
    require_binary,
    require_columns,
    require_numeric,
    require_variation,
)

Estimand = Literal["ATT", "ATE"]
Distance = Literal["pscore", "mahalanobis"]
Ties = Literal["average", "first"]

ASSUMPTIONS_SOO = (
    "unconfoundedness: given the covariates, treatment is as good as random",
    "overlap: every unit has a propensity score strictly between 0 and 1",
    "no interference between units (SUTVA)",
)


def _prep(data: pd.DataFrame, yname: str | None, dname: str, covariates: Any, *, allow_none: bool = False) -> tuple[pd.DataFrame, list[str]]:
    covs = covariate_names(covariates)
    if not covs and not allow_none:
        raise ValueError("give at least one covariate (regression adjustment, ra(), also runs without: a difference in means)")
    require_columns(data, [yname, dname, *covs])
    require_numeric(data, [c for c in [yname, *covs] if c is not None])
    require_binary(data, dname)
    df = drop_missing(data, [yname, dname, *covs]).reset_index(drop=True)
    require_variation(df[dname], dname)
    const = [c for c in covs if df[c].nunique() < 2]
    if const:
        raise DesignError(f"covariate(s) {', '.join(const)} take a single value in the sample; drop them")
    return df, covs


@keyword_only(1)
def propensity_score(data: pd.DataFrame, *, dname: str, covariates: str | Sequence[str]) -> pd.Series:
    """Logit propensity score ``P(D=1|X)``; :class:`DesignError` on perfect separation."""
    df, covs = _prep(data, None, dname, covariates)
    _, p = logit_fit(df[dname].to_numpy(float), design_matrix(df, covs))
    return pd.Series(p, index=df.index, name="pscore")


@keyword_only(1)
def balance_stats(data: pd.DataFrame, *, dname: str, covariates: str | Sequence[str], weights: np.ndarray | None = None) -> pd.DataFrame:
    """SMD and variance ratio per covariate, unweighted and (if ``weights``) weighted."""
    covs = covariate_names(covariates)
    D = data[dname].to_numpy(float)
    rows = []
    for c in covs:
        x = data[c].to_numpy(float)
        x1, x0 = x[D == 1], x[D == 0]
        s1, s0 = x1.var(ddof=1), x0.var(ddof=1)
        pooled = np.sqrt((s1 + s0) / 2)
        row = {"covariate": c, "mean_treated": x1.mean(), "mean_control": x0.mean(),
               "smd_before": (x1.mean() - x0.mean()) / pooled if pooled > 0 else np.nan,
               "var_ratio_before": s1 / s0 if s0 > 0 else np.nan}
        if weights is not None:
            w = np.asarray(weights, float)
            w1, w0 = w[D == 1], w[D == 0]
            m1, m0 = np.average(x1, weights=w1), np.average(x0, weights=w0)
            v1 = np.average((x1 - m1) ** 2, weights=w1)
            v0 = np.average((x0 - m0) ** 2, weights=w0)
            row.update({"mean_treated_after": m1, "mean_control_after": m0,
                        "smd_after": (m1 - m0) / pooled if pooled > 0 else np.nan,
                        "var_ratio_after": v1 / v0 if v0 > 0 else np.nan})
        rows.append(row)
    return pd.DataFrame(rows)


def _logit_with_influence(D: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Logit score ``e(X)`` and the linear representation of the logit coefficients
    (``n x k``; row i is ``(D_i - e_i) X_i (X'WX/n)^{-1}``)."""
    _, ps = logit_fit(D, X)
    n = len(D)
    H = np.linalg.inv((X * (ps * (1 - ps))[:, None]).T @ X / n)
    return ps, (X * (D - ps)[:, None]) @ H


def _ols_influence(Y: np.ndarray, X: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS of Y on X within ``mask``: coefficients and linear representation (n x k)."""
    n = len(Y)
    w = mask.astype(float)
    b = np.linalg.lstsq(X[mask], Y[mask], rcond=None)[0]
    inv = np.linalg.inv((X * w[:, None]).T @ X / n)
    return b, (X * (w * (Y - X @ b))[:, None]) @ inv


def _estimate(kind: str, Y: np.ndarray, D: np.ndarray, X: np.ndarray, estimand: str) -> tuple[float, np.ndarray, np.ndarray]:
    """Point estimate, influence function and propensity score for ipw / ra / dr (ATT or ATE).

    ATT estimators are those of DRDID (``std_ipw_did_panel``, ``reg_did_panel``,
    ``drdid_panel``) applied to a single outcome; ATE: Hajek IPW with the logit
    correction, regression adjustment with the OLS corrections, AIPW (efficient
    influence function). Standard error = ``sqrt(mean(psi^2) / n)``.
    """
    n = len(Y)
    if kind == "dr" and estimand == "ATT":
        from ._drdid import _drdid_panel

        _, ps = logit_fit(D, X)
        est, inf = _drdid_panel(Y, D, X)
        return est, inf, ps
    if kind == "ra":
        ps = logit_fit(D, X)[1] if X.shape[1] > 1 else np.full(n, D.mean())
        b0, L0 = _ols_influence(Y, X, D == 0)
        m0 = X @ b0
        if estimand == "ATT":
            p1 = D.mean()
            est = float(np.sum(D * (Y - m0)) / D.sum())
            inf = (D * (Y - m0 - est) - L0 @ (D[:, None] * X).mean(0)) / p1
            return est, inf, ps
        b1, L1 = _ols_influence(Y, X, D == 1)
        tau_i = X @ (b1 - b0)
        est = float(tau_i.mean())
        inf = tau_i - est + (L1 - L0) @ X.mean(0)
        return est, inf, ps
    ps, Lps = _logit_with_influence(D, X)
    if kind == "ipw" and estimand == "ATT":
        wt, wc = D, (1 - D) * ps / (1 - ps)
        mu1 = np.sum(wt * Y) / wt.sum()
        mu0 = np.sum(wc * Y) / wc.sum()
        inf1 = wt * (Y - mu1) / wt.mean()
        M = (X * (wc * (Y - mu0))[:, None]).mean(0)
        inf0 = (wc * (Y - mu0) + Lps @ M) / wc.mean()
        return float(mu1 - mu0), inf1 - inf0, ps
    if kind == "ipw":
        w1, w0 = D / ps, (1 - D) / (1 - ps)
        mu1 = np.sum(w1 * Y) / w1.sum()
        mu0 = np.sum(w0 * Y) / w0.sum()
        M1 = (X * (-w1 * (Y - mu1) * (1 - ps))[:, None]).mean(0)
        M0 = (X * (w0 * (Y - mu0) * ps)[:, None]).mean(0)
        inf1 = (w1 * (Y - mu1) + Lps @ M1) / w1.mean()
        inf0 = (w0 * (Y - mu0) + Lps @ M0) / w0.mean()
        return float(mu1 - mu0), inf1 - inf0, ps
    # dr, ATE: augmented IPW, with the (mean-zero in population) nuisance-estimation terms
    b1, L1 = _ols_influence(Y, X, D == 1)
    b0, L0 = _ols_influence(Y, X, D == 0)
    m1, m0 = X @ b1, X @ b0
    phi = m1 - m0 + D * (Y - m1) / ps - (1 - D) * (Y - m0) / (1 - ps)
    est = float(phi.mean())
    G1 = (X * (1 - D / ps)[:, None]).mean(0)
    G0 = (X * (1 - (1 - D) / (1 - ps))[:, None]).mean(0)
    Gps = (X * (-D * (Y - m1) * (1 - ps) / ps - (1 - D) * (Y - m0) * ps / (1 - ps))[:, None]).mean(0)
    return est, phi - est + L1 @ G1 - L0 @ G0 + Lps @ Gps, ps


def _result(df: pd.DataFrame, yname: str, dname: str, covs: list[str], est: float, se: float, estimand: str, method: str,
            ps: np.ndarray, weights: np.ndarray | None, alpha: float, extra_info: dict[str, Any] | None = None,
            balance: pd.DataFrame | None = None) -> Result:
    z = est / se if se > 0 else np.nan
    lo, hi = normal_ci(est, se, 1 - alpha)
    row = {"term": estimand, "estimate": est, "std_error": se, "statistic": z, "p_value": 2 * stats.norm.sf(abs(z)),
           "conf_low": float(lo), "conf_high": float(hi), "n": len(df), "unit": yname, "method": method, "cluster": "none (robust)"}
    D = df[dname].to_numpy(int)
    bal = balance if balance is not None else balance_stats(df, dname=dname, covariates=covs, weights=weights)
    pdf = pd.DataFrame({"pscore": ps, "treated": D})
    info = {"Outcome": yname, "Treatment": dname, "Estimand": estimand, "Treated": int(D.sum()), "Controls": int((1 - D).sum()),
            "Covariates": ", ".join(covs), "Propensity score range": f"{ps.min():.4f} to {ps.max():.4f}"}
    info.update(extra_info or {})
    if "smd_after" in bal and (bal["smd_after"].abs() > 0.1).any():
        bad = bal.loc[bal["smd_after"].abs() > 0.1, "covariate"].tolist()
        info["Imbalance after adjustment (|SMD| > 0.1)"] = ", ".join(bad)
    res = Result(table=pd.DataFrame([row]), method=method, assumptions=ASSUMPTIONS_SOO, info=info,
                 diagnostics={"balance": bal, "pscore": pdf}, plotter=plot_overlap, level=1 - alpha)
    res.text = lambda lang: (
        f"{estimand} 对 {yname} 的估计为 {est:,.3g}（{1 - alpha:.0%}置信区间 [{float(lo):,.3g}, {float(hi):,.3g}]）。" if lang == "zh"
        else f"The estimated {estimand} on {yname} is {est:,.3g} ({1 - alpha:.0%} CI {float(lo):,.3g} to {float(hi):,.3g})."
    )
    return res


def _check_overlap(ps: np.ndarray, D: np.ndarray, estimand: str) -> None:
    lim = 0.99 if estimand == "ATT" else 0.98
    extreme = (ps > lim) | ((ps < 1 - lim) & (estimand == "ATE"))
    if extreme.any():
        warnings.warn(f"{int(extreme.sum())} units have propensity scores beyond {1 - lim:.2f}/{lim:.2f}: weak overlap, "
                      "weights are extreme; consider trimming", DesignWarning, stacklevel=4)


def _weighting(kind: str, method: str, data: pd.DataFrame, yname: str, dname: str, covariates: Any,
               estimand: str, alpha: float) -> Result:
    check_option("estimand", estimand, get_args(Estimand))
    df, covs = _prep(data, yname, dname, covariates, allow_none=kind == "ra")
    D = df[dname].to_numpy(float)
    X = design_matrix(df, covs)
    Y = df[yname].to_numpy(float)
    est, inf, ps = _estimate(kind, Y, D, X, estimand)
    if kind != "ra":
        _check_overlap(ps, D, estimand)
    se = float(np.sqrt(np.mean(inf**2) / len(Y)))
    w = D + (1 - D) * ps / (1 - ps) if estimand == "ATT" else D / ps + (1 - D) / (1 - ps)
    return _result(df, yname, dname, covs, est, se, estimand, f"{method} ({estimand})", ps, w, alpha,
                   {"Standard error": "influence function (M-estimation, propensity/outcome models estimated)"})


@keyword_only()
def ipw(data: pd.DataFrame, yname: str, *, dname: str, covariates: str | Sequence[str], estimand: Estimand = "ATT",
        alpha: float = 0.05) -> Result:
    """Inverse probability weighting with normalised (Hajek) weights; the logit's estimation enters the SE."""
    return _weighting("ipw", "Inverse probability weighting, normalised weights", data, yname, dname, covariates, estimand, alpha)


@keyword_only()
def ra(data: pd.DataFrame, yname: str, *, dname: str, covariates: str | Sequence[str] | None = None, estimand: Estimand = "ATT",
       alpha: float = 0.05) -> Result:
    """Regression adjustment: linear outcome model per arm; ATT averages ``Y - m0(X)`` over the treated.

    Without ``covariates`` this is the plain difference in means ``mean(Y | D=1) - mean(Y | D=0)``
    with the unequal-variance (Welch, large-sample) standard error
    ``sqrt(s1^2 / n1 + s0^2 / n0)`` (variances with divisor n, from the influence function).
    """
    return _weighting("ra", "Regression adjustment", data, yname, dname, covariates, estimand, alpha)


@keyword_only()
def aipw(data: pd.DataFrame, yname: str, *, dname: str, covariates: str | Sequence[str], estimand: Estimand = "ATT",
         alpha: float = 0.05) -> Result:
    """Doubly robust: augmented IPW for the ATE, Sant'Anna-Zhao (2020) DR estimator for the ATT."""
    name = "Doubly robust, Sant'Anna-Zhao" if estimand == "ATT" else "Augmented IPW, doubly robust"
    return _weighting("dr", name, data, yname, dname, covariates, estimand, alpha)


def _tied_neighbours(tree: Any, Zq: np.ndarray, k: int, *, ties: str, exclude_self: bool = False,
                     self_idx: np.ndarray | None = None) -> list[np.ndarray]:
    """For each query row, the indices (into the tree's points) of its ``k`` nearest neighbours.

    ``ties="average"`` returns every point at a distance no greater than the k-th smallest
    (Abadie & Imbens 2006; Stata ``teffects nnmatch``, R ``Matching`` with ``ties=TRUE``), so the
    set can hold more than ``k`` points; ``ties="first"`` returns exactly ``k``, breaking ties
    at the k-th distance by row order (lowest row first). Distances within ``1e-9`` (relative
    to the scale of the points) count as equal, so round-off never decides a match.
    ``exclude_self`` drops the query point itself (matching within an arm; ``self_idx`` gives
    its index in the tree).
    """
    extra = 1 if exclude_self else 0
    kk = min(k + extra, tree.n)
    dist, _ = tree.query(Zq, k=kk)
    dist = dist.reshape(len(Zq), kk)
    dk = dist[:, -1]
    scale = 1.0 + float(np.max(np.abs(tree.data))) if tree.n else 1.0
    tol = 1e-9 * scale
    cand = tree.query_ball_point(Zq, r=dk + tol, return_sorted=True)
    out = []
    for i, c in enumerate(cand):
        c = np.asarray(c, dtype=np.intp)
        if exclude_self and self_idx is not None:
            c = c[c != self_idx[i]]
        if ties == "first" and len(c) > k:
            d = np.sqrt(((tree.data[c] - Zq[i]) ** 2).sum(axis=1))
            sure = c[d < dk[i] - tol]
            tied = np.sort(c[d >= dk[i] - tol])
            c = np.concatenate([sure, tied[: k - len(sure)]])
        out.append(np.sort(c))
    return out


@keyword_only()
def nn_match(data: pd.DataFrame, yname: str, *, dname: str, covariates: str | Sequence[str], k: int = 1,
             distance: Distance = "pscore", caliper: float | None = None, ties: Ties = "average",
             alpha: float = 0.05) -> Result:
    """Nearest-neighbour matching with replacement for the ATT, Abadie-Imbens (2006) standard error.

    Parameters
    ----------
    data, yname
        The table and the outcome column (units of ``yname``).
    dname
        0/1 treatment column.
    covariates
        Covariate names (list or ``"x1 + x2"``).
    k
        Number of matches per treated unit.
    distance
        ``"pscore"``: absolute difference of the logit propensity score; ``"mahalanobis"``:
        Mahalanobis distance on the covariates.
    caliper
        Treated units without a control within ``caliper`` standard deviations of the logit
        score are dropped (counted, with a :class:`DesignWarning`); pscore distance only.
    ties
        ``"average"`` (default, as Stata ``teffects nnmatch`` and R ``Matching``): every
        control at a distance no greater than the k-th nearest is a match, each weighted
        ``1 / #J(i)``, so the estimate does not depend on row order. ``"first"``: exactly
        ``k`` matches, ties at the k-th distance broken by row order (reproduces software
        that keeps the first; the estimate then depends on the order of the rows).

    Returns
    -------
    Result
        One row ``ATT``; ``info`` counts matched treated units, distinct controls used and
        treated units with tied matches.

    Notes
    -----
    With ``J(i)`` the matched set of treated unit ``i``, ``Y0_hat_i = mean_{j in J(i)} Y_j`` and
    ``ATT = mean_i (Y_i - Y0_hat_i)``. With ``K(j) = sum_i 1[j in J(i)] / #J(i)`` and
    ``K'(j) = sum_i 1[j in J(i)] / #J(i)^2``, the Abadie-Imbens (2006, Theorem 7) variance is
    ``V = [sum_i (Y_i - Y0_hat_i - ATT)^2 + sum_{j control} (K(j)^2 - K'(j)) sigma^2(X_j)] / N1^2``,
    where ``sigma^2(X_j) = #M/(#M+1) (Y_j - mean_{m in M(j)} Y_m)^2`` matches ``j`` to its nearest
    same-arm unit(s) ``M(j)`` (ties averaged as above). The adjustment for an estimated
    propensity score (Abadie-Imbens 2016) is not applied.

    References
    ----------
    Abadie, A. and Imbens, G. W. (2006). Large sample properties of matching estimators for
    average treatment effects. Econometrica 74(1), 235-267.
    """
    check_option("distance", distance, get_args(Distance))
    check_option("ties", ties, get_args(Ties))
    if not (isinstance(k, (int, np.integer)) and k >= 1):
        raise ValueError(f"k={k!r} is not valid; expected a positive whole number of matches")
    from scipy.spatial import cKDTree

    df, covs = _prep(data, yname, dname, covariates)
    D = df[dname].to_numpy(int)
    Y = df[yname].to_numpy(float)
    X = design_matrix(df, covs)
    _, ps = logit_fit(D.astype(float), X)
    lps = np.log(ps / (1 - ps))
    if distance == "pscore":
        Z = lps[:, None]
    else:
        Xc = X[:, 1:]
        S = np.cov(Xc, rowvar=False)
        L = np.linalg.cholesky(np.linalg.inv(np.atleast_2d(S)))
        Z = Xc @ L
    t_idx, c_idx = np.flatnonzero(D == 1), np.flatnonzero(D == 0)
    if len(c_idx) < k:
        raise DesignError(f"only {len(c_idx)} control units for k = {k} matches")
    if caliper is not None and distance != "pscore":
        raise ValueError("caliper is defined on the logit propensity score; use distance='pscore'")
    tree = cKDTree(Z[c_idx])
    sets = [c_idx[m] for m in _tied_neighbours(tree, Z[t_idx], k, ties=ties)]
    keep = np.ones(len(t_idx), bool)
    if caliper is not None:
        cal = caliper * lps.std(ddof=1)
        keep = np.array([bool(np.all(np.abs(lps[i] - lps[m]) <= cal)) for i, m in zip(t_idx, sets)])
        if not keep.any():
            raise DesignError(f"no treated unit has a control within the caliper ({caliper} SD of the logit score)")
        if (~keep).any():
            warnings.warn(f"{int((~keep).sum())} of {len(t_idx)} treated units have no control within the caliper and are dropped; "
                          "the estimand is the ATT on the matched treated", DesignWarning, stacklevel=3)
    t_idx = t_idx[keep]
    sets = [m for m, kp in zip(sets, keep) if kp]
    sizes = np.array([len(m) for m in sets], float)
    flat = np.concatenate(sets)
    owner = np.repeat(np.arange(len(t_idx)), sizes.astype(int))
    y0hat = np.bincount(owner, Y[flat], minlength=len(t_idx)) / sizes
    tau_i = Y[t_idx] - y0hat
    att = float(tau_i.mean())
    N1 = len(t_idx)
    # K(j) = sum_i 1[j in J(i)] / #J(i);  K'(j) = sum_i 1[j in J(i)] / #J(i)^2
    Kw = np.bincount(flat, 1.0 / sizes[owner], minlength=len(Y))
    Kw2 = np.bincount(flat, 1.0 / sizes[owner] ** 2, minlength=len(Y))
    # conditional variances by matching within arm (one neighbour, ties averaged)
    sig2 = np.zeros(len(Y))
    for arm in (0, 1):
        idx = np.flatnonzero(D == arm)
        if len(idx) < 2:
            continue
        tr = cKDTree(Z[idx])
        nbrs = _tied_neighbours(tr, Z[idx], 1, ties=ties, exclude_self=True, self_idx=np.arange(len(idx)))
        for pos, nb in enumerate(nbrs):
            m = len(nb)
            sig2[idx[pos]] = m / (m + 1) * (Y[idx[pos]] - Y[idx[nb]].mean()) ** 2
    ctrl = np.flatnonzero(D == 0)
    var = (np.sum((tau_i - att) ** 2) + np.sum((Kw[ctrl] ** 2 - Kw2[ctrl]) * sig2[ctrl])) / N1**2
    se = float(np.sqrt(var))
    wts = np.zeros(len(Y))
    wts[t_idx] = 1.0
    wts += Kw
    used = wts > 0
    sub = df.loc[used]
    bal = balance_stats(df, dname=dname, covariates=covs)
    after = balance_stats(sub, dname=dname, covariates=covs, weights=wts[used])
    for c in ("mean_treated_after", "mean_control_after", "var_ratio_after"):
        bal[c] = after[c].to_numpy()
    # SMD after with the before-sample pooled SD
    bal["smd_after"] = (after["mean_treated_after"] - after["mean_control_after"]).to_numpy() / np.sqrt(
        (df.loc[D == 1, covs].var(ddof=1) + df.loc[D == 0, covs].var(ddof=1)).to_numpy() / 2)
    n_tied = int((sizes > k).sum())
    return _result(df, yname, dname, covs, att, se, "ATT",
                   f"Nearest-neighbour matching ({distance}, k={k}, with replacement, ties {ties}"
                   f"{', caliper ' + str(caliper) if caliper else ''})",
                   ps, wts, alpha, {"Matched treated": N1, "Distinct controls used": int((Kw[ctrl] > 0).sum()),
                                    "Treated units with tied matches": n_tied if ties == "average" else "ties broken by row order",
                                    "Standard error": "Abadie-Imbens (2006)"}, balance=bal)
