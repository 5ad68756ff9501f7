"""One front end for event-time (dynamic) effects under staggered adoption.

``dynamic_effects(data, yname, idname=, tname=, gname=, estimator=...)`` returns the same tidy
layout (terms ``e=k``, column ``event_time``) whichever estimator is chosen:

- ``"twfe"``: leads and lags in a two-way fixed-effects regression
  (:func:`impact.estimate.event_study`); contaminated by heterogeneous effects across cohorts.
- ``"callaway_santanna"``: :func:`impact.estimate.att_gt` aggregated by event time
  (:func:`impact.estimate.aggte`, ``type="dynamic"``).
- ``"sun_abraham"``: Sun & Abraham (2021) interaction-weighted estimator. One regression
  ``y_it = sum_{g} sum_{e != -1} delta_{g,e} 1[G_i = g] 1[t - g = e] + alpha_i + lambda_t + u_it``
  with the never-treated as the control cohort (or, without never-treated units, the last
  treated cohort, whose periods from its treatment on are dropped), then
  ``beta_e = sum_g w_{g,e} delta_{g,e}`` with ``w_{g,e}`` the share of cohort ``g`` among the
  unit-periods at event time ``e``. Standard errors: cluster-robust (CRV1) covariance of the
  ``delta`` with the shares held fixed (as fixest's ``sunab`` aggregation and pyfixest's
  saturated event study).
- ``"imputation"``: Borusyak, Jaravel & Spiess (2024) imputation estimator. Unit and period
  effects are fitted on the untreated observations (never treated and not yet treated),
  ``Y_it(0)`` is imputed for every treated observation, and ``beta_e`` averages
  ``Y_it - Y_it(0)_hat`` over the treated observations at event time ``e >= 0``. The point
  estimates equal Gardner's (2021) two-stage DiD; standard errors are Gardner's GMM
  (cluster-robust) standard errors from pyfixest's ``did2s``. Pre-treatment event times are not
  estimated by this estimator (BJS test pre-trends separately).

References
----------
Sun, L. and Abraham, S. (2021). Estimating dynamic treatment effects in event studies with
heterogeneous treatment effects. Journal of Econometrics 225(2), 175-199.
Borusyak, K., Jaravel, X. and Spiess, J. (2024). Revisiting event-study designs: robust and
efficient estimation. Review of Economic Studies 91(6), 3253-3285.
Gardner, J. (2021). Two-stage differences in differences. arXiv:2207.05943.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from scipy import stats

from impact.errors import DesignError
from impact.results import Result, check_option

from ._common import drop_missing, keyword_only, require_columns, require_numeric

Estimator = Literal["twfe", "callaway_santanna", "sun_abraham", "imputation"]

ASSUMPTIONS_DYN = (
    "parallel trends for the untreated outcomes of every cohort",
    "no anticipation before the first treated period",
    "staggered, irreversible treatment",
)


def _panel(data: pd.DataFrame, yname: str, idname: str, tname: str, gname: str, cluster: str | None) -> pd.DataFrame:
    require_columns(data, [yname, idname, tname, gname, cluster])
    require_numeric(data, [yname, tname, gname])
    cols = list(dict.fromkeys([c for c in (yname, idname, tname, gname, cluster) if c is not None]))
    df = drop_missing(data[cols], [yname, idname, tname, cluster]).copy()
    df[gname] = pd.to_numeric(df[gname]).fillna(0)
    if not (df[gname] > 0).any():
        raise DesignError(f"no variation in treatment: no unit has {gname!r} > 0")
    return df.reset_index(drop=True)


def _tidy(est: np.ndarray, se: np.ndarray, events: list[int], n: list[int], df_t: float, alpha: float, yname: str,
          method: str, cluster: str) -> pd.DataFrame:
    stat = est / se
    crit = stats.t.ppf(1 - alpha / 2, df_t)
    return pd.DataFrame({"term": [f"e={e}" for e in events], "estimate": est, "std_error": se, "statistic": stat,
                         "p_value": 2 * stats.t.sf(np.abs(stat), df_t), "conf_low": est - crit * se, "conf_high": est + crit * se,
                         "n": n, "unit": yname, "method": method, "event_time": events, "cluster": cluster})


def _sun_abraham(df: pd.DataFrame, yname: str, idname: str, tname: str, gname: str, cluster: str, alpha: float) -> tuple[pd.DataFrame, dict[str, Any]]:
    import pyfixest as pf

    g = df[gname].to_numpy(float)
    t = df[tname].to_numpy(float)
    info: dict[str, Any] = {}
    if (g == 0).any():
        info["Control cohort"] = "never treated"
    else:
        last = g.max()
        df = df[t < last].copy()
        g, t = df[gname].to_numpy(float), df[tname].to_numpy(float)
        df.loc[g == last, gname] = 0
        g = df[gname].to_numpy(float)
        info["Control cohort"] = f"last treated cohort ({last:g}), periods from {last:g} on dropped"
        warnings.warn(f"no never-treated units: the last treated cohort ({last:g}) is the control", stacklevel=4)
    rel = np.where(g > 0, t - g, np.nan)
    names, cells = [], []
    for gg in np.unique(g[g > 0]):
        for e in np.unique(rel[(g == gg)]):
            if e == -1:
                continue
            nm = f"d_{int(gg)}_{'m' if e < 0 else 'p'}{abs(int(e))}"
            df[nm] = ((g == gg) & (rel == e)).astype(float)
            names.append(nm)
            cells.append((gg, int(e), int(df[nm].sum())))
    fit = pf.feols(f"{yname} ~ {' + '.join(names)} | {idname} + {tname}", data=df, vcov={"CRV1": cluster}, fixef_rm="none")
    coef = fit.coef()
    V = pd.DataFrame(np.asarray(fit._vcov), index=coef.index, columns=coef.index)
    cells = [(gg, e, k, nm) for (gg, e, k), nm in zip(cells, names) if nm in coef.index]
    events = sorted({e for _, e, _, _ in cells})
    est, se, ns = [], [], []
    for e in events:
        sub = [(k, nm) for _, ee, k, nm in cells if ee == e]
        tot = sum(k for k, _ in sub)
        w = np.array([k / tot for k, _ in sub])
        idx = [nm for _, nm in sub]
        est.append(float(w @ coef[idx].to_numpy()))
        se.append(float(np.sqrt(w @ V.loc[idx, idx].to_numpy() @ w)))
        ns.append(tot)
    G = int(df[cluster].nunique())
    table = _tidy(np.array(est), np.array(se), events, ns, G - 1, alpha, yname, "Sun-Abraham (2021) interaction-weighted", cluster)
    info["Cohort-event cells"] = len(cells)
    return table, info


def _imputation(df: pd.DataFrame, yname: str, idname: str, tname: str, gname: str, cluster: str, alpha: float) -> tuple[pd.DataFrame, dict[str, Any]]:
    import pyfixest as pf

    g = df[gname].to_numpy(float)
    t = df[tname].to_numpy(float)
    D = (g > 0) & (t >= g)
    if not (~D).any():
        raise DesignError("no untreated observations to fit the unit and period effects on")
    df = df.assign(_D=D.astype(int))
    rel = np.where(D, t - g, np.nan)
    events = [int(e) for e in np.unique(rel[D])]
    names = []
    for e in events:
        nm = f"ep{e}"
        df[nm] = (rel == e).astype(float)
        names.append(nm)
    # units never untreated cannot have their effect alpha_i estimated
    ids_untreated = set(df.loc[~D, idname])
    lost = ~df[idname].isin(ids_untreated) & D
    if lost.any():
        raise DesignError(f"{int(df.loc[lost, idname].nunique())} units are never observed untreated: their unit effect cannot be "
                          "imputed; drop them or extend the panel back")
    # our imputation: unit and period effects fitted on the untreated observations, predicted for all
    fit1 = pf.feols(f"{yname} ~ 1 | {idname} + {tname}", data=df[~D].reset_index(drop=True), fixef_rm="none")
    y0 = np.asarray(fit1.predict(newdata=df), float)
    tau = df[yname].to_numpy(float) - y0
    est = np.array([tau[rel == e].mean() for e in events])
    ns = [int((rel == e).sum()) for e in events]
    # Gardner (2021) two-stage GMM standard errors (pyfixest did2s)
    fit2 = pf.did2s(df, yname=yname, first_stage=f"~ 0 | {idname} + {tname}", second_stage="~ " + " + ".join(names),
                    treatment="_D", cluster=cluster)
    b2, se2 = fit2.coef(), fit2.se()
    if not np.allclose(b2[names].to_numpy(), est, rtol=1e-6, atol=1e-8 * (1 + np.abs(est).max())):
        raise DesignError("imputation and two-stage estimates disagree: the untreated observations do not identify "
                          "all unit and period effects (a unit or period with no untreated observation)")
    G = int(df[cluster].nunique())
    table = _tidy(est, se2[names].to_numpy(float), events, ns, G - 1, alpha, yname,
                  "Imputation (Borusyak-Jaravel-Spiess 2024), Gardner two-stage SE", cluster)
    return table, {"Untreated observations": int((~D).sum()), "Treated observations": int(D.sum())}


@keyword_only()
def dynamic_effects(
    data: pd.DataFrame,
    yname: str,
    *,
    idname: str,
    tname: str,
    gname: str,
    estimator: Estimator = "callaway_santanna",
    cluster: str | None = None,
    alpha: float = 0.05,
    **options: Any,
) -> Result:
    """Event-time effects by the chosen ``estimator`` (see the module docstring).

    ``options`` go to the underlying estimator (``window``, ``xformla`` for ``twfe``;
    ``control_group``, ``xformla``, ``est_method``, ``weightsname``, ``biters``, ``seed`` for
    ``callaway_santanna``). Returns a Result with one row per event time (``e=k``; the reference
    ``e=-1`` is omitted except for ``twfe``, where it is the zero row) in units of ``yname``.
    """
    check_option("estimator", estimator, get_args(Estimator))
    cluster = cluster or idname
    if estimator == "twfe":
        from .event_study import event_study

        return event_study(data, yname, idname=idname, tname=tname, gname=gname, cluster=cluster, alpha=alpha, **options)
    if estimator == "callaway_santanna":
        from .aggregate import aggte
        from .group_time import att_gt

        gt = att_gt(data, yname, tname=tname, idname=idname, gname=gname, cluster=None if cluster == idname else cluster,
                    alpha=alpha, **options)
        dyn = aggte(gt, "dynamic")
        t = dyn.tidy()
        t = t[t["term"] != "ATT"].reset_index(drop=True)
        return Result(table=t, method=dyn.method, assumptions=dyn.assumptions, info=dyn.info,
                      diagnostics={"overall": dyn.tidy().iloc[[0]], **gt.diagnostics}, level=1 - alpha)
    if options:
        raise ValueError(f"estimator={estimator!r} takes no options {', '.join(options)}")
    df = _panel(data, yname, idname, tname, gname, cluster)
    fn = _sun_abraham if estimator == "sun_abraham" else _imputation
    table, info = fn(df, yname, idname, tname, gname, cluster, alpha)
    info = {"Outcome": yname, "Estimator": estimator, "Cluster": f"{cluster} ({df[cluster].nunique()} clusters)", **info}
    method = str(table["method"].iloc[0])
    return Result(table=table, method=method, assumptions=ASSUMPTIONS_DYN, info=info, level=1 - alpha)
