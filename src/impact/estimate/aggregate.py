"""Aggregations of group-time ATTs (R ``did::aggte``): simple, group, dynamic, calendar."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from impact.errors import DesignError
from impact.plots import plot_staggered
from impact.results import Result, check_option

from ._common import keyword_only
from ._cs_fit import ASSUMPTIONS_CS, AggType, StaggeredResult, _info, _method_name
from ._cs_inference import _inference


def _wif(keepers: np.ndarray, pg: np.ndarray, G: np.ndarray, group: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Influence of estimated weights pg_k / sum pg (R ``did:::wif``); n x len(keepers)."""
    ind = (G[:, None] == group[keepers][None, :]).astype(float)
    if w is not None:
        ind = ind * w[:, None]
    pk = pg[keepers]
    s = pk.sum()
    if1 = (ind - pk) / s
    if2 = (ind - pk).sum(1, keepdims=True) * (pk / s**2)[None, :]
    return if1 - if2


def _agg(att: np.ndarray, inf: np.ndarray, which: np.ndarray, pg: np.ndarray, G: np.ndarray, group: np.ndarray,
         wu: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    w = pg[which] / pg[which].sum()
    est = float(att[which] @ w)
    psi = inf[:, which] @ w + _wif(which, pg, G, group, wu) @ att[which]
    return est, psi


@keyword_only()
def aggte(
    gt: StaggeredResult,
    type: AggType = "simple",
    *,
    min_e: float = -np.inf,
    max_e: float = np.inf,
    bstrap: bool | None = None,
    biters: int | None = None,
    cband: bool | None = None,
    alpha: float | None = None,
    seed: int | None = None,
) -> Result:
    """Aggregate group-time ATTs (R ``did::aggte``).

    - ``simple``: post-treatment cells weighted by cohort size;
    - ``group``: average over each cohort's post-treatment periods, then across cohorts by size;
    - ``dynamic``: by event time ``e = t - g`` (cohort-size weights), overall = mean over ``e >= 0``;
    - ``calendar``: by period over cohorts treated by then, overall = mean over periods.

    Returns a Result whose first row is the overall effect (term ``"ATT"``),
    followed by the components (``"e=0"``, ``"g=2022"``, ``"t=2023"``).
    """
    check_option("type", type, ("simple", "group", "dynamic", "calendar"))
    fit = gt.fit
    if fit is None:
        raise ValueError("aggte() needs the result of att_gt()")
    o = fit.options
    bstrap = o["bstrap"] if bstrap is None else bstrap
    biters = o["biters"] if biters is None else biters
    cband = o["cband"] if cband is None else cband
    alpha = o["alpha"] if alpha is None else alpha
    seed = o["seed"] if seed is None else seed
    ok = np.isfinite(fit.att)
    att = np.where(ok, fit.att, 0.0)
    group, time = fit.groups, fit.times
    G = fit.unit_group
    wu = np.ones(fit.n) if fit.weights is None else fit.weights
    pg_g = np.array([np.mean(wu * (G == g)) for g in fit.glist])
    pg = pg_g[np.searchsorted(fit.glist, group)]
    e = time - group
    ant = o["anticipation"]
    terms: list[str] = []
    ests: list[float] = []
    psis: list[np.ndarray] = []
    extra: list[dict[str, Any]] = []
    if type == "simple":
        keep = np.flatnonzero((group - ant <= time) & (e <= max_e) & ok)
        est, psi = _agg(att, fit.inf, keep, pg, G, group, fit.weights)
        terms, ests, psis = ["ATT"], [est], [psi]
        extra = [{}]
    elif type == "dynamic":
        eseq = np.unique(e[ok])
        eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
        comp_e, comp_est, comp_psi = [], [], []
        for ev in eseq:
            w = np.flatnonzero((e == ev) & ok)
            est, psi = _agg(att, fit.inf, w, pg, G, group, fit.weights)
            comp_e.append(ev); comp_est.append(est); comp_psi.append(psi)
        comp_e = np.array(comp_e)
        post = comp_e >= 0
        if not post.any():
            raise DesignError("no identified ATT(g,t) at or after treatment: every cohort lacks comparison units "
                              "in its post-treatment periods (with not-yet-treated controls, the last cohort has none)")
        overall = float(np.mean(np.array(comp_est)[post]))
        overall_psi = np.column_stack(comp_psi)[:, post].mean(1)
        terms = ["ATT"] + [f"e={int(v)}" for v in comp_e]
        ests = [overall] + comp_est
        psis = [overall_psi] + comp_psi
        extra = [{"event_time": np.nan}] + [{"event_time": int(v)} for v in comp_e]
    elif type == "group":
        comp_est, comp_psi = [], []
        for g in fit.glist:
            w = np.flatnonzero((group == g) & (g - ant <= time) & (time <= g + max_e) & ok)
            if len(w) == 0:  # no estimable post-period cell (e.g. no comparison units left)
                comp_est.append(np.nan)
                comp_psi.append(np.zeros(fit.n))
                continue
            comp_est.append(float(att[w].mean()))
            comp_psi.append(fit.inf[:, w].mean(1))
        A = np.array(comp_est)
        Psi = np.column_stack(comp_psi)
        keepers = np.flatnonzero(np.isfinite(A))
        wg = pg_g[keepers] / pg_g[keepers].sum()
        overall = float(A[keepers] @ wg)
        overall_psi = Psi[:, keepers] @ wg + _wif(keepers, pg_g, G, fit.glist, fit.weights) @ A[keepers]
        terms = ["ATT"] + [f"g={int(g)}" for g in fit.glist]
        ests = [overall] + comp_est
        psis = [overall_psi] + comp_psi
        extra = [{"group": np.nan}] + [{"group": int(g)} for g in fit.glist]
    else:  # calendar
        tl = fit.tlist[fit.tlist >= fit.glist.min()]
        comp_t, comp_est, comp_psi = [], [], []
        for t in tl:
            w = np.flatnonzero((group <= t) & (time == t) & ok)
            if len(w) == 0:
                continue
            est, psi = _agg(att, fit.inf, w, pg, G, group, fit.weights)
            comp_t.append(t); comp_est.append(est); comp_psi.append(psi)
        overall = float(np.mean(comp_est))
        overall_psi = np.column_stack(comp_psi).mean(1)
        terms = ["ATT"] + [f"t={t}" for t in comp_t]
        ests = [overall] + comp_est
        psis = [overall_psi] + comp_psi
        extra = [{"time": np.nan}] + [{"time": t} for t in comp_t]
    est_arr = np.array(ests, float)
    Psi = np.column_stack(psis)
    inf_ = _inference(est_arr, Psi, fit, bstrap=bstrap, biters=biters, boot_weights=o["boot_weights"], alpha=alpha, seed=seed, cband=cband)
    if bstrap and len(est_arr) > 1:
        # uniform band over the components only (as R: the overall row gets its pointwise interval)
        comp = _inference(est_arr[1:], Psi[:, 1:], fit, bstrap=True, biters=biters, boot_weights=o["boot_weights"], alpha=alpha, seed=seed, cband=cband)
        for k in ("cband_low", "cband_high", "crit"):
            inf_[k][1:] = comp[k]
        inf_["cband_low"][0], inf_["cband_high"][0] = inf_["conf_low"][0], inf_["conf_high"][0]
    n_units = fit.n
    table = pd.DataFrame({
        "term": terms, "estimate": est_arr, **{k: v for k, v in inf_.items() if k != "crit"},
        "n": n_units, "unit": fit.yname, "method": f"Callaway-Sant'Anna aggregation ({type})",
        "cluster": fit.cluster_name or "unit",
    })
    for k in ("event_time", "group", "time"):
        if any(k in d for d in extra):
            table[k] = [d.get(k, np.nan) for d in extra]
    covs = o["covariates"]
    # analytic covariance of the aggregated estimates (for sensitivity analysis): Psi'Psi / n^2
    if fit.cluster is None:
        S = Psi
    else:
        S = np.zeros((fit.cluster.max() + 1, Psi.shape[1]))
        np.add.at(S, fit.cluster, Psi)
    vcov = pd.DataFrame(S.T @ S / fit.n**2, index=terms, columns=terms)
    res = StaggeredResult(
        table=table, method=_method_name(covs, o.get("est_method", "dr")) + f"; aggregation: {type}",
        assumptions=ASSUMPTIONS_CS, info={**_info(fit, covs, bstrap, biters, float(inf_["crit"][-1])), "Aggregation": type},
        plotter=plot_staggered, level=1 - alpha, fit=fit, diagnostics={"vcov": vcov},
    )
    est0 = est_arr[0]
    lo, hi = inf_["conf_low"][0], inf_["conf_high"][0]
    res.text = lambda lang, est0=est0, lo=lo, hi=hi, y=fit.yname: (
        f"平均处理效应（{y}）为 {est0:,.3g}，95%置信区间 [{lo:,.3g}, {hi:,.3g}]。" if lang == "zh"
        else f"The average effect on {y} is {est0:,.3g} (95% CI {lo:,.3g} to {hi:,.3g})."
    )
    return res

