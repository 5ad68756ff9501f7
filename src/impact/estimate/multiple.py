"""Multiple outcomes: adjusted p-values.

- :func:`adjust_pvalues`: Benjamini-Hochberg false discovery rate (``"fdr_bh"``), Holm,
  Bonferroni, Benjamini-Yekutieli, via ``statsmodels.stats.multitest.multipletests``.
- :func:`romano_wolf`: Romano & Wolf (2005) stepdown family-wise error rate control by
  bootstrap. For outcomes ``k = 1..K`` with treatment coefficients ``b_k`` (OLS of each
  outcome on the treatment and covariates; HC1 or CRV1 standard errors ``s_k``) and
  ``t_k = b_k / s_k``, the pairs (or clusters) bootstrap gives centred statistics
  ``t*_k = (b*_k - b_k) / s*_k``. Ordering ``|t|`` from largest, the adjusted p-value of
  the j-th is ``mean(max_{l >= j} |t*_l| >= |t_j|)``, made monotone by a running maximum.
"""

from __future__ import annotations

from typing import Literal, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from impact.results import Result, check_option

from ._common import covariate_names, design_matrix, drop_missing, keyword_only, require_binary, require_columns, require_numeric, require_variation

AdjustMethod = Literal["fdr_bh", "holm", "bonferroni", "fdr_by"]


@keyword_only(1)
def adjust_pvalues(pvalues: Sequence[float] | pd.Series, *, method: AdjustMethod = "fdr_bh", alpha: float = 0.05) -> pd.DataFrame:
    """Adjusted p-values (statsmodels ``multipletests``); columns ``p_value, p_adjusted, reject``."""
    from statsmodels.stats.multitest import multipletests

    check_option("method", method, ("fdr_bh", "holm", "bonferroni", "fdr_by"))
    p = pd.Series(pvalues, dtype=float)
    ok = p.notna()
    adj = pd.Series(np.nan, index=p.index)
    rej = pd.Series(False, index=p.index)
    if ok.any():
        r, pa, _, _ = multipletests(p[ok].to_numpy(), alpha=alpha, method=method)
        adj[ok], rej[ok] = pa, r
    return pd.DataFrame({"p_value": p, "p_adjusted": adj, "reject": rej})


def _ols_t(Y: np.ndarray, X: np.ndarray, cl: np.ndarray | None, nc: int) -> tuple[np.ndarray, np.ndarray]:
    """Coefficient on column 1 and its HC1 / CRV1 standard error, for every column of Y."""
    n, k = X.shape
    XtX_inv = np.linalg.inv(X.T @ X)
    B = XtX_inv @ X.T @ Y
    E = Y - X @ B
    a = X @ XtX_inv[:, 1]  # n
    if cl is None:
        v = (a[:, None] ** 2 * E**2).sum(0) * n / (n - k)
    else:
        S = np.zeros((nc, Y.shape[1]))
        np.add.at(S, cl, a[:, None] * E)
        v = (S**2).sum(0) * nc / (nc - 1) * (n - 1) / (n - k)
    return B[1], np.sqrt(v)


@keyword_only()
def romano_wolf(
    data: pd.DataFrame,
    ynames: Sequence[str],
    *,
    dname: str,
    covariates: str | Sequence[str] | None = None,
    cluster: str | None = None,
    B: int = 999,
    seed: int | None = None,
    alpha: float = 0.05,
) -> Result:
    """Treatment effects on several outcomes with Romano-Wolf and Benjamini-Hochberg adjusted p-values.

    Rows with a missing outcome, treatment or covariate are dropped (complete cases across
    all outcomes, so every outcome uses the same sample). The tidy table has one row per
    outcome with the unadjusted ``p_value`` and extra columns ``p_romano_wolf`` and ``p_bh``.
    """
    covs = covariate_names(covariates)
    require_columns(data, [*ynames, dname, cluster, *covs])
    require_numeric(data, [*ynames, *covs])
    require_binary(data, dname)
    df = drop_missing(data, [*ynames, dname, *covs, cluster]).reset_index(drop=True)
    require_variation(df[dname], dname)
    X = design_matrix(df, [dname, *covs])
    Y = df[list(ynames)].to_numpy(float)
    cl, nc = None, 0
    if cluster:
        cl, uniq = pd.factorize(df[cluster])
        nc = len(uniq)
    b, s = _ols_t(Y, X, cl, nc)
    t = b / s
    dof = (nc - 1) if cluster else (len(df) - X.shape[1])
    p = 2 * stats.t.sf(np.abs(t), dof)
    rng = np.random.default_rng(seed)
    K = len(ynames)
    tstar = np.empty((B, K))
    if cluster:
        members = [np.flatnonzero(cl == g) for g in range(nc)]
    for r in range(B):
        if cluster:
            pick = rng.integers(0, nc, nc)
            idx = np.concatenate([members[g] for g in pick])
            clr = np.repeat(np.arange(nc), [len(members[g]) for g in pick])
            br, sr = _ols_t(Y[idx], X[idx], clr, nc)
        else:
            idx = rng.integers(0, len(df), len(df))
            br, sr = _ols_t(Y[idx], X[idx], None, 0)
        tstar[r] = (br - b) / sr
    order = np.argsort(-np.abs(t))
    absstar = np.abs(tstar[:, order])
    # max over the remaining hypotheses: reverse cumulative max
    tail_max = np.maximum.accumulate(absstar[:, ::-1], axis=1)[:, ::-1]
    p_rw_sorted = (tail_max >= np.abs(t[order])[None, :]).mean(0)
    p_rw_sorted = np.maximum.accumulate(p_rw_sorted)
    p_rw = np.empty(K)
    p_rw[order] = p_rw_sorted
    bh = adjust_pvalues(p, method="fdr_bh", alpha=alpha)["p_adjusted"].to_numpy()
    crit = stats.t.ppf(1 - alpha / 2, dof)
    table = pd.DataFrame({"term": list(ynames), "estimate": b, "std_error": s, "statistic": t, "p_value": p,
                          "conf_low": b - crit * s, "conf_high": b + crit * s, "n": len(df), "unit": list(ynames),
                          "method": "OLS difference" + (" with covariates" if covs else ""),
                          "p_romano_wolf": p_rw, "p_bh": bh, "cluster": cluster or "none (HC1)"})
    return Result(table=table, method="Multiple outcomes: Romano-Wolf stepdown and Benjamini-Hochberg",
                  info={"Outcomes": K, "Bootstrap draws": B, "Bootstrap": "clusters" if cluster else "pairs",
                        "Cluster": cluster or "none"},
                  assumptions=("each outcome's treatment coefficient is identified as in the single-outcome design",
                               "Romano-Wolf controls the family-wise error rate; Benjamini-Hochberg the false discovery rate"),
                  level=1 - alpha)
