"""Wald pre-test of parallel trends on Callaway-Sant'Anna's pre-treatment ATT(g, t)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ._cs_fit import GTFit


def pretest(fit: GTFit) -> pd.DataFrame:
    """Wald pre-test of parallel trends on the pre-treatment ATT(g,t) (as R ``did::att_gt``'s ``W``).

    With ``P`` the pre-treatment cells (``t < g - anticipation``) whose influence function is
    not identically zero (the universal base period's reference cells are dropped) and
    ``V = Psi' Psi / n`` the analytic covariance of the influence functions (cluster sums when
    ``cluster`` is given; R's ``did`` then reports no test), ``W = n att_P' V_P^{-1} att_P`` is
    chi-square with ``|P|`` degrees of freedom under parallel pre-trends. One row
    ``test, wald, df, p_value, note``; ``wald`` is NaN (with the reason in ``note``) when there
    are no pre-treatment cells or their covariance is singular.
    """
    ant = fit.options.get("anticipation", 0)
    n = fit.n
    if fit.cluster is None:
        psi = fit.inf
    else:
        psi = np.zeros((fit.cluster.max() + 1, fit.inf.shape[1]))
        np.add.at(psi, fit.cluster, fit.inf)
    V = psi.T @ psi / n
    pre = np.flatnonzero((fit.groups - ant > fit.times) & np.isfinite(fit.att) & (np.diag(V) > 0))
    row: dict[str, Any] = {"test": "pre-treatment ATT(g,t) = 0 (Wald)", "wald": np.nan, "df": len(pre), "p_value": np.nan, "note": ""}
    if len(pre) == 0:
        row["note"] = "no pre-treatment ATT(g,t) to test"
        return pd.DataFrame([row])
    Vp = V[np.ix_(pre, pre)]
    if 1.0 / np.linalg.cond(Vp, p=1) <= np.finfo(float).eps:
        row["note"] = "covariance of the pre-treatment ATT(g,t) is singular; no Wald statistic"
        return pd.DataFrame([row])
    a = fit.att[pre]
    W = float(n * a @ np.linalg.solve(Vp, a))
    row.update(wald=W, p_value=float(stats.chi2.sf(W, len(pre))))
    return pd.DataFrame([row])
