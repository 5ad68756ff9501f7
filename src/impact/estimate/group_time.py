"""Callaway & Sant'Anna (2021) group-time ATTs (R ``did::att_gt``); see :mod:`impact.estimate.staggered`."""

from __future__ import annotations

import warnings
from typing import Sequence, get_args

import numpy as np
import pandas as pd

from impact.errors import DesignError, DesignWarning
from impact.plots import plot_staggered
from impact.results import check_option

from ._common import covariate_names, keyword_only
from ._cs_fit import (
    ASSUMPTIONS_CS,
    BasePeriod,
    BootWeights,
    ControlGroup,
    EstMethod,
    GTFit,
    StaggeredResult,
    _info,
    _method_name,
    _prepare,
)
from ._cs_inference import _inference
from ._cs_pretest import pretest
from ._drdid import _PANEL_ESTIMATORS, _RC_ESTIMATORS


@keyword_only()
def att_gt(
    data: pd.DataFrame,
    yname: str,
    *,
    tname: str,
    idname: str,
    gname: str,
    xformla: str | Sequence[str] | None = None,
    control_group: ControlGroup = "nevertreated",
    est_method: EstMethod = "dr",
    weightsname: str | None = None,
    allow_unbalanced_panel: bool = False,
    base_period: BasePeriod = "varying",
    anticipation: int = 0,
    cluster: str | None = None,
    bstrap: bool = True,
    biters: int = 999,
    boot_weights: BootWeights = "mammen",
    cband: bool = True,
    alpha: float = 0.05,
    seed: int | None = None,
) -> StaggeredResult:
    """Group-time average treatment effects ATT(g, t) (Callaway & Sant'Anna 2021).

    Parameters follow R's ``did::att_gt``: ``gname`` holds the first treated period
    (0 or NaN = never treated); ``xformla`` the covariates (``"~ x1 + x2"`` or a list),
    measured in the earlier period of each comparison (use time-invariant baseline
    covariates for a clean design). ``bstrap=False`` gives analytic standard errors and
    pointwise intervals; ``bstrap=True`` the multiplier bootstrap with ``biters`` draws and,
    with ``cband``, uniform (sup-t) bands in ``cband_low``/``cband_high``.

    Raises :class:`DesignError` when no unit is ever treated, when units are treated
    in or before the first period (no pre-period), or when no comparison units exist.
    """
    check_option("control_group", control_group, get_args(ControlGroup))
    check_option("est_method", est_method, get_args(EstMethod))
    check_option("base_period", base_period, get_args(BasePeriod))
    check_option("boot_weights", boot_weights, get_args(BootWeights))
    covs = covariate_names(xformla)
    Y, G, tlist, Xd, cl, ids, Wu = _prepare(data, yname, tname, idname, gname, covs, cluster, weightsname,
                                            unbalanced=allow_unbalanced_panel)
    estimator = _PANEL_ESTIMATORS[est_method]
    n, nT = Y.shape
    rc_mode = bool(np.isnan(Y).any())
    rc_estimator = _RC_ESTIMATORS[est_method]
    treated_g = np.unique(G[G > 0])
    if len(treated_g) == 0:
        raise DesignError(f"no variation in treatment: no unit has {gname!r} > 0 (every unit is never treated)")
    early = treated_g[treated_g - anticipation <= tlist[0]]
    if len(early):
        raise DesignError(
            f"{int(np.isin(G, early).sum())} units are treated in or before the first period of the panel "
            f"({gname} = {', '.join(str(int(g)) for g in early)}; panel starts {int(tlist[0])}): "
            "they have no pre-treatment period; drop them or extend the panel back"
        )
    late = G > tlist[-1]
    if late.any():
        # treated after the panel ends: behave as never treated within the window
        G = np.where(late, 0.0, G)
        treated_g = np.unique(G[G > 0])
    if control_group == "nevertreated" and not (G == 0).any():
        raise DesignError("no never-treated units to compare with; use control_group='notyettreated'")
    tfac = 1 if base_period == "varying" else 0
    groups, times, atts, infs, cell_n = [], [], [], [], []
    for g in treated_g:
        last_pre = np.flatnonzero(tlist + anticipation < g)
        lp = int(last_pre[-1])
        for ti in range(nT - tfac):
            tn_i = ti + tfac
            tn = tlist[tn_i]
            base = ti
            if base_period == "universal":
                base = lp
            if g - anticipation <= tn:
                base = lp
            if base_period == "universal" and base == tn_i:
                groups.append(g); times.append(tn); atts.append(0.0)
                infs.append(np.zeros(n)); cell_n.append(0)
                continue
            tb = tlist[base]
            if control_group == "nevertreated":
                C = G == 0
            else:
                C = (G == 0) | ((G > max(tn, tb) + anticipation) & (G != g))
            Dg = G == g
            keep = Dg | C
            if not C.any():
                warnings.warn(f"no comparison units for cohort {g:g} in period {tn}; ATT(g,t) set to NA", DesignWarning, stacklevel=3)
                groups.append(g); times.append(tn); atts.append(np.nan); infs.append(np.zeros(n)); cell_n.append(int(keep.sum()))
                continue
            if rc_mode:
                # unbalanced panel: the two periods as repeated cross sections (R did's
                # allow_unbalanced_panel), influence functions summed back to units
                u0 = np.flatnonzero(keep & ~np.isnan(Y[:, base]))
                u1 = np.flatnonzero(keep & ~np.isnan(Y[:, tn_i]))
                units = np.r_[u0, u1]
                yy = np.r_[Y[u0, base], Y[u1, tn_i]]
                post = np.r_[np.zeros(len(u0)), np.ones(len(u1))]
                X = np.column_stack([np.ones(len(units))] + [np.r_[Xd[c][u0, base], Xd[c][u1, tn_i]] for c in covs])
                Dr = Dg[units].astype(float)
                if min(((Dr == 1) & (post == 0)).sum(), ((Dr == 1) & (post == 1)).sum(),
                       ((Dr == 0) & (post == 0)).sum(), ((Dr == 0) & (post == 1)).sum()) == 0:
                    warnings.warn(f"cohort {g:g}, period {tn}: a treated or comparison group is unobserved in one of the two "
                                  "periods; ATT(g,t) set to NA", DesignWarning, stacklevel=3)
                    groups.append(g); times.append(tn); atts.append(np.nan); infs.append(np.zeros(n)); cell_n.append(len(units))
                    continue
                att, inf_rows = rc_estimator(yy, post, Dr, X, Wu[units])
                n1 = len(units)
                full = np.zeros(n)
                np.add.at(full, units, (n / n1) * inf_rows)
            else:
                dy = Y[keep, tn_i] - Y[keep, base]
                early_idx = min(base, tn_i)
                X = np.column_stack([np.ones(keep.sum())] + [Xd[c][keep, early_idx] for c in covs])
                att, inf_cell = estimator(dy, Dg[keep].astype(float), X, Wu[keep])
                n1 = int(keep.sum())
                full = np.zeros(n)
                full[keep] = (n / n1) * inf_cell
            groups.append(g); times.append(tn); atts.append(att); infs.append(full); cell_n.append(n1)
    fit = GTFit(
        groups=np.array(groups, float), times=np.array(times), att=np.array(atts, float), inf=np.column_stack(infs),
        unit_group=G, cluster=cl, tlist=tlist, glist=treated_g, n=n, cell_n=np.array(cell_n), yname=yname,
        cluster_name=cluster, control_group=control_group, weights=Wu,
        options=dict(anticipation=anticipation, base_period=base_period, covariates=covs, bstrap=bstrap, biters=biters,
                     boot_weights=boot_weights, alpha=alpha, seed=seed, cband=cband, est_method=est_method,
                     weightsname=weightsname, unbalanced=rc_mode),
    )
    inf_ = _inference(fit.att, fit.inf, fit, bstrap=bstrap, biters=biters, boot_weights=boot_weights, alpha=alpha, seed=seed, cband=cband)
    table = pd.DataFrame({
        "term": [f"ATT({int(g)},{t})" for g, t in zip(fit.groups, fit.times)],
        "estimate": fit.att, **{k: v for k, v in inf_.items() if k != "crit"},
        "n": fit.cell_n, "unit": yname,
        "method": "Callaway-Sant'Anna ATT(g,t)",
        "group": fit.groups.astype(int), "time": fit.times, "event_time": (fit.times - fit.groups).astype(int),
        "cluster": cluster or idname,
    })
    method = _method_name(covs, est_method)
    pre = pretest(fit)
    info = _info(fit, covs, bstrap, biters, inf_["crit"][0] if len(inf_["crit"]) else np.nan)
    if rc_mode:
        info["Panel"] = ("unbalanced: each ATT(g,t) compares the units observed in each of its two periods "
                         f"(repeated cross-section estimator, DRDID {dict(dr='drdid_rc', ipw='std_ipw_did_rc', reg='reg_did_rc')[est_method]}), "
                         "influence functions summed by unit")
    if len(pre):
        r = pre.iloc[0]
        info["Pre-test of parallel trends"] = (f"Wald chi2({int(r['df'])}) = {r['wald']:.3f}, p = {r['p_value']:.4g}"
                                               if np.isfinite(r["wald"]) else str(r["note"]))
    return StaggeredResult(
        table=table, method=method, assumptions=ASSUMPTIONS_CS, info=info, diagnostics={"pretrend": pre},
        plotter=plot_staggered, level=1 - alpha, fit=fit,
    )
