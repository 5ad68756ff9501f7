"""Event study: leads and lags of treatment in a two-way fixed-effects regression (pyfixest).

    y_it = sum_{e != -1} beta_e · 1[t - g_i = e] + alpha_i + lambda_t + e_it

``g_i`` is unit i's first treated period (``gname``; 0 = never treated, whose
indicators are all zero). Period ``e = -1`` is the reference. Event times outside
``window`` are binned into the end points when ``bin_endpoints`` is true, dropped
from the indicator set otherwise. The joint pre-trend test is the Wald test of
``beta_e = 0`` for all leads ``e <= -2`` with the cluster-robust covariance:
``W = b' V^{-1} b``, reported as ``F = W / q`` with ``(q, G - 1)`` degrees of freedom
(and the chi-square p-value alongside).

With staggered timing and heterogeneous effects the TWFE leads and lags are
contaminated (Sun & Abraham 2021); :func:`impact.estimate.staggered.aggte`
(``type="dynamic"``) gives the clean event-time effects.
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from impact.errors import DesignError, DesignWarning
from impact.plots import plot_event_study
from impact.results import Result

from ._common import covariate_names, drop_missing, keyword_only, require_columns, require_numeric, require_weights

ASSUMPTIONS_ES = (
    "parallel trends in every period (tested, not proven, by the leads)",
    "no anticipation: leads are zero under the design; period -1 is the reference",
    "homogeneous dynamic effects across cohorts (otherwise see staggered.aggte(type='dynamic'))",
)


def _term(e: int) -> str:
    return f"e{'m' if e < 0 else 'p'}{abs(e)}"


@keyword_only()
def event_study(
    data: pd.DataFrame,
    yname: str,
    *,
    idname: str,
    tname: str,
    gname: str,
    window: tuple[int, int] | None = None,
    bin_endpoints: bool = True,
    xformla: str | Sequence[str] | None = None,
    cluster: str | None = None,
    min_pre: int = 2,
    weightsname: str | None = None,
    alpha: float = 0.05,
) -> Result:
    """Leads-and-lags regression with a joint pre-trend test and a plot with bands.

    Terms are ``e=-k`` / ``e=k`` (extra columns ``event_time``, ``cluster``); the
    reference ``e=-1`` row is included with estimate 0 and no standard error.
    ``weightsname`` names a column of analytic (e.g. population) or survey weights: the
    regression is weighted least squares (pyfixest ``weights=``).
    ``diagnostics["pretrend"]`` holds the Wald test. Raises :class:`DesignError` when
    the treated units have fewer than ``min_pre`` observed pre-periods (the
    reference and at least one lead are needed), when nobody is treated, or when
    units are treated in the first period of the panel.
    """
    import pyfixest as pf

    covs = covariate_names(xformla)
    cluster = cluster or idname
    require_columns(data, [yname, idname, tname, gname, cluster, weightsname, *covs])
    require_numeric(data, [yname, tname, gname, *covs])
    require_weights(data, weightsname)
    cols = list(dict.fromkeys([c for c in [yname, idname, tname, gname, *covs, cluster, weightsname] if c is not None]))
    df = drop_missing(data[cols], [yname, idname, tname, *covs, cluster, weightsname]).copy()
    g = pd.to_numeric(df[gname]).fillna(0).to_numpy(float)
    t = df[tname].to_numpy(float)
    if not (g > 0).any():
        raise DesignError(f"no variation in treatment: no unit has {gname!r} > 0")
    t0 = t.min()
    if (g[g > 0] <= t0).any():
        raise DesignError(f"{int(np.unique(df.loc[g > 0, idname][g[g > 0] <= t0]).size)} units are treated in or before the "
                          f"first period ({int(t0)}); they have no pre-period; drop them or extend the panel")
    treated = g > 0
    rel = np.where(treated, t - g, np.nan)
    n_pre = int(-np.nanmin(rel)) if treated.any() else 0
    if n_pre < min_pre:
        raise DesignError(
            f"too few pre-periods for an event study: treated units are observed at most {n_pre} period(s) before "
            f"treatment; at least {min_pre} are needed (the reference period -1 and one lead to test pre-trends)"
        )
    lo, hi = (int(np.nanmin(rel)), int(np.nanmax(rel))) if window is None else (int(window[0]), int(window[1]))
    if lo > -2:
        raise DesignError(f"window starts at {lo}; an event study needs at least one lead before the reference period -1")
    if bin_endpoints:
        relb = np.clip(rel, lo, hi)
    else:
        relb = np.where((rel < lo) | (rel > hi), np.nan, rel)
        if window is not None:
            # units outside the window would otherwise count as controls
            out = treated & np.isnan(relb)
            df, relb, treated = df.loc[~out], relb[~out], treated[~out]
    events = [e for e in range(lo, hi + 1) if e != -1 and np.any(relb == e)]
    if not (~treated).any() and not bin_endpoints:
        warnings.warn("no never-treated units: the leads and lags are identified only through timing differences",
                      DesignWarning, stacklevel=3)
    names = []
    for e in events:
        nm = _term(e)
        df[nm] = (relb == e).astype(float)
        names.append(nm)
    fml = f"{yname} ~ {' + '.join(names + covs)} | {idname} + {tname}"
    fit = pf.feols(fml, data=df, vcov={"CRV1": cluster}, fixef_rm="none", weights=weightsname)
    coef, se, tst, pv = fit.coef(), fit.se(), fit.tstat(), fit.pvalue()
    ci = fit.confint(alpha=alpha)
    G = int(df[cluster].nunique())
    n = int(fit._N)
    rows = []
    for e, nm in zip(events, names):
        if nm not in coef.index:
            continue
        rows.append({"term": f"e={e}", "estimate": coef[nm], "std_error": se[nm], "statistic": tst[nm], "p_value": pv[nm],
                     "conf_low": ci.loc[nm].iloc[0], "conf_high": ci.loc[nm].iloc[1], "n": int(df[nm].sum()),
                     "event_time": e})
    rows.append({"term": "e=-1", "estimate": 0.0, "event_time": -1, "n": int((relb == -1).sum())})
    table = pd.DataFrame(rows).sort_values("event_time").reset_index(drop=True)
    table["unit"] = yname
    table["method"] = "Event study (TWFE leads and lags)"
    table["cluster"] = cluster
    # joint pre-trend test
    leads = [nm for e, nm in zip(events, names) if e <= -2 and nm in coef.index]
    V = fit._vcov
    idx = [list(coef.index).index(nm) for nm in leads]
    b = coef[leads].to_numpy()
    Vl = np.asarray(V)[np.ix_(idx, idx)]
    W = float(b @ np.linalg.pinv(Vl) @ b)
    q = len(leads)
    F = W / q
    pre = pd.DataFrame([{
        "test": "joint pre-trend (all leads = 0)", "leads": q, "wald": W, "f_stat": F, "df1": q, "df2": G - 1,
        "p_value": float(stats.f.sf(F, q, G - 1)), "p_value_chi2": float(stats.chi2.sf(W, q)),
    }])
    if pre["p_value"].iloc[0] < 0.05:
        warnings.warn(f"pre-trends rejected (joint F-test p = {pre['p_value'].iloc[0]:.3g} on {q} leads): "
                      "the parallel-trends assumption is doubtful", DesignWarning, stacklevel=3)
    info = {"Outcome": yname, "Reference period": "e = -1", "Window": f"{lo} to {hi}" + (" (end points binned)" if bin_endpoints else ""),
            "Observations": n, "Cluster": f"{cluster} ({G} clusters)", "Weights": weightsname or "none",
            "Pre-trend test": f"F({q}, {G - 1}) = {F:.3f}, p = {pre['p_value'].iloc[0]:.3g}"}
    kept = [(e, nm) for e, nm in zip(events, names) if nm in coef.index]
    pos = [list(coef.index).index(nm) for _, nm in kept]
    vterms = [f"e={e}" for e, _ in kept]
    vcov = pd.DataFrame(np.asarray(V)[np.ix_(pos, pos)], index=vterms, columns=vterms)
    res = Result(table=table, method="Event study (TWFE leads and lags, pyfixest)", assumptions=ASSUMPTIONS_ES,
                 info=info, diagnostics={"pretrend": pre, "vcov": vcov}, plotter=plot_event_study, level=1 - alpha)
    res.fit = fit  # type: ignore[attr-defined]
    return res
