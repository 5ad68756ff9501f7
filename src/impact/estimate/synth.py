"""Synthetic control for a single treated unit (Abadie, Diamond & Hainmueller 2010).

Donor weights ``w`` solve

    min_w  (X1 - X0 w)' V (X1 - X0 w)   s.t.  w >= 0,  sum(w) = 1

where the rows of ``X`` are the predictors (by default the outcome in each pre-period;
optionally the pre-period means of ``predictors``), each divided by its standard
deviation across units (as R's ``Synth`` and ``pysyncon``). ``V`` is the identity for
outcome-only fits; with ``predictors`` it is chosen to minimise the pre-period outcome
MSPE (nested optimisation, Nelder-Mead on ``|v| / sum |v|``). The inner problem is a
quadratic programme solved by non-negative least squares with the adding-up row, then
polished by SLSQP.

The effect path is ``gap_t = Y1_t - sum_j w_j Y_jt``; the headline ``ATT`` is the mean post
gap, in units of ``yname``. Inference is the placebo-in-space test: every donor is in
turn treated as if treated (the real treated unit left out of its pool), and the p-value
is the rank of the treated unit's post/pre RMSPE ratio, ``p = #{ratio_j >= ratio_1} / (J + 1)``.
"""

from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import optimize

from impact.errors import DesignError, DesignWarning
from impact.plots import plot_synth
from impact.results import Result

from ._common import keyword_only, require_columns, require_numeric

ASSUMPTIONS_SC = (
    "a weighted average of donor counties reproduces the treated county's path without the program (convex hull, good pre-period fit)",
    "donor counties are unaffected by the program (no spillovers, none of them paired)",
    "no anticipation before the treatment year",
)


def _simplex_weights(X0: np.ndarray, X1: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Weights on the simplex minimising ``sum_k v_k (X1_k - X0_k w)^2``.

    Non-negative least squares with a heavily weighted adding-up row finds the support;
    the equality-constrained least-squares problem on that support is then solved exactly
    (KKT system). If that leaves the simplex, SLSQP (on the rescaled problem) polishes.
    """
    sv = np.sqrt(v)
    scale = max(float(np.abs(X1).max()), float(np.abs(X0).max()), 1e-300)
    A = X0 * sv[:, None] / scale
    b = X1 * sv / scale
    J = A.shape[1]
    M = 1e4 * max(np.linalg.norm(A), 1.0)
    w, _ = optimize.nnls(np.vstack([A, M * np.ones(J)]), np.append(b, M), maxiter=50 * J)
    w = np.clip(w, 0, None)
    w = w / w.sum() if w.sum() > 0 else np.full(J, 1 / J)
    P = A.T @ A
    q = A.T @ b

    def f(x: np.ndarray) -> float:
        return float(0.5 * x @ P @ x - q @ x)

    S = np.flatnonzero(w > 0)
    K = np.zeros((len(S) + 1, len(S) + 1))
    K[:-1, :-1] = P[np.ix_(S, S)]
    K[:-1, -1] = 1.0
    K[-1, :-1] = 1.0
    try:
        sol = np.linalg.solve(K, np.append(q[S], 1.0))
        if np.all(sol[:-1] >= -1e-14):
            cand = np.zeros(J)
            cand[S] = np.clip(sol[:-1], 0, None)
            cand /= cand.sum()
            if f(cand) <= f(w) + 1e-15:
                w = cand
            return w
    except np.linalg.LinAlgError:
        pass
    res = optimize.minimize(lambda x: (f(x), P @ x - q), w, jac=True, method="SLSQP", bounds=[(0, 1)] * J,
                            constraints=[{"type": "eq", "fun": lambda x: x.sum() - 1, "jac": lambda x: np.ones_like(x)}],
                            options={"ftol": 1e-13, "maxiter": 300})
    if res.success and f(res.x) <= f(w):
        w = np.clip(res.x, 0, None)
        w = w / w.sum()
    return w


def _fit_one(Y: np.ndarray, Xp: np.ndarray | None, i1: int, donors: np.ndarray, pre: np.ndarray, optimize_v: bool) -> tuple[np.ndarray, np.ndarray]:
    """Weights for unit ``i1`` from ``donors``; ``Y`` is units x periods; returns (w, v)."""
    rows = Xp if Xp is not None else Y[:, pre]
    units = np.append(donors, i1)
    Xall = rows[units]
    sd = Xall.std(axis=0, ddof=1)
    sd[sd == 0] = 1.0
    X0 = (rows[donors] / sd).T
    X1 = rows[i1] / sd
    k = X0.shape[0]
    if not optimize_v:
        v = np.ones(k)
        return _simplex_weights(X0, X1, v), v
    Z0, Z1 = Y[donors][:, pre].T, Y[i1, pre]

    def loss(x: np.ndarray) -> float:
        vv = np.abs(x) / np.abs(x).sum()
        w = _simplex_weights(X0, X1, vv)
        r = Z1 - Z0 @ w
        return float(r @ r / len(r))

    res = optimize.minimize(loss, np.full(k, 1 / k), method="Nelder-Mead", options={"maxiter": 1000, "xatol": 1e-6, "fatol": 1e-10})
    v = np.abs(res.x) / np.abs(res.x).sum()
    return _simplex_weights(X0, X1, v), v


@keyword_only()
def synth(
    data: pd.DataFrame,
    yname: str,
    *,
    idname: str,
    tname: str,
    treated_unit: Any,
    treat_time: Any | None = None,
    gname: str | None = None,
    donors: Sequence[Any] | None = None,
    predictors: Sequence[str] | None = None,
    min_donors: int = 5,
    min_pre: int = 3,
    placebo: bool = True,
    fit_tolerance: float = 0.05,
) -> Result:
    """Synthetic control for ``treated_unit`` with placebo-in-space inference.

    The treatment period comes from ``treat_time`` or from the unit's value of ``gname``.
    The donor pool is ``donors`` if given, else the never-treated units (``gname == 0``),
    else every other unit. Raises :class:`DesignError` when fewer than ``min_donors``
    donors or fewer than ``min_pre`` pre-periods are available; warns
    (:class:`DesignWarning`) when the pre-period RMSPE exceeds ``fit_tolerance`` times the
    treated unit's mean absolute pre-period outcome.

    ``diagnostics``: ``weights`` (donor, weight), ``path`` (time, treated, synthetic, gap),
    ``placebos`` (unit, pre_rmspe, post_rmspe, ratio), ``predictors`` (balance, with ``v``).
    """
    require_columns(data, [yname, idname, tname, gname, *(predictors or [])])
    require_numeric(data, [yname, *(predictors or [])])
    df = data[[idname, tname, yname, *(predictors or []), *([gname] if gname else [])]].copy()
    if treated_unit not in set(df[idname]):
        raise DesignError(f"treated unit {treated_unit!r} is not in column {idname!r}")
    if treat_time is None:
        if gname is None:
            raise ValueError("give treat_time or gname")
        treat_time = df.loc[df[idname] == treated_unit, gname].iloc[0]
        if not treat_time or pd.isna(treat_time):
            raise DesignError(f"unit {treated_unit!r} is never treated ({gname} = {treat_time!r}); nothing to estimate")
    Y = df.pivot_table(index=idname, columns=tname, values=yname, aggfunc="first")
    times = Y.columns.to_numpy()
    if donors is None:
        if gname is not None:
            gg = df.groupby(idname)[gname].first().fillna(0)
            donors = list(gg.index[(gg == 0)])
        else:
            donors = list(Y.index)
    donors = [u for u in donors if u != treated_unit]
    complete = Y.notna().all(axis=1)
    if not complete.loc[treated_unit]:
        raise DesignError(f"treated unit {treated_unit!r} has missing {yname!r} in some periods; synthetic control needs its full path")
    dropped = [u for u in donors if u in complete.index and not complete.loc[u]]
    donors = [u for u in donors if u in complete.index and complete.loc[u]]
    if dropped:
        warnings.warn(f"dropped {len(dropped)} donors with missing {yname!r}", DesignWarning, stacklevel=3)
    if len(donors) < min_donors:
        raise DesignError(f"donor pool too small: {len(donors)} donor unit(s) with complete data; at least {min_donors} are needed")
    pre = times < treat_time
    post = ~pre
    if pre.sum() < min_pre:
        raise DesignError(f"too few pre-periods: {int(pre.sum())} before {treat_time}; synthetic control needs at least {min_pre}")
    if post.sum() == 0:
        raise DesignError(f"no period at or after the treatment time {treat_time}")
    units = [treated_unit] + donors
    Ym = Y.loc[units].to_numpy(float)
    Xp = None
    if predictors:
        Xp = df[df[tname] < treat_time].groupby(idname)[list(predictors)].mean().loc[units].to_numpy(float)
        if np.isnan(Xp).any():
            raise DesignError("predictors have missing pre-period values for some units")
    idx_donors = np.arange(1, len(units))
    w, v = _fit_one(Ym, Xp, 0, idx_donors, pre, optimize_v=bool(predictors))
    synth_path = Ym[idx_donors].T @ w
    gap = Ym[0] - synth_path
    pre_rmspe = float(np.sqrt(np.mean(gap[pre] ** 2)))
    post_rmspe = float(np.sqrt(np.mean(gap[post] ** 2)))
    att = float(gap[post].mean())
    level = float(np.mean(np.abs(Ym[0, pre])))
    if level > 0 and pre_rmspe > fit_tolerance * level:
        warnings.warn(f"poor pre-period fit for {treated_unit!r}: RMSPE {pre_rmspe:,.4g} is {pre_rmspe / level:.1%} of the mean "
                      f"pre-period level; the synthetic control may not be credible", DesignWarning, stacklevel=3)
    placebo_rows = [{"unit": treated_unit, "treated": True, "pre_rmspe": pre_rmspe, "post_rmspe": post_rmspe,
                     "ratio": post_rmspe / pre_rmspe if pre_rmspe > 0 else np.inf, "att": att}]
    gaps = {treated_unit: gap}
    if placebo:
        for k in idx_donors:
            others = idx_donors[idx_donors != k]
            wk, _ = _fit_one(Ym, Xp, k, others, pre, optimize_v=False if not predictors else True)
            gk = Ym[k] - Ym[others].T @ wk
            pr, po = float(np.sqrt(np.mean(gk[pre] ** 2))), float(np.sqrt(np.mean(gk[post] ** 2)))
            placebo_rows.append({"unit": units[k], "treated": False, "pre_rmspe": pr, "post_rmspe": po,
                                 "ratio": po / pr if pr > 0 else np.inf, "att": float(gk[post].mean())})
            gaps[units[k]] = gk
    plac = pd.DataFrame(placebo_rows)
    ratio1 = plac["ratio"].iloc[0]
    p = float((plac["ratio"] >= ratio1 - 1e-12 * abs(ratio1)).mean()) if placebo else np.nan
    rows = [{"term": "ATT", "estimate": att, "p_value": p, "n": len(units), "time": np.nan}]
    for tt, gv in zip(times[post], gap[post]):
        rows.append({"term": f"gap {tt}", "estimate": gv, "n": len(units), "time": tt})
    table = pd.DataFrame(rows)
    table["unit"] = yname
    table["method"] = "Synthetic control (ADH)"
    table["cluster"] = "none (placebo-in-space inference)"
    path = pd.DataFrame({"time": times, "treated": Ym[0], "synthetic": synth_path, "gap": gap, "post": post})
    wtab = pd.DataFrame({"donor": donors, "weight": w}).sort_values("weight", ascending=False).reset_index(drop=True)
    diag = {"weights": wtab, "path": path, "placebos": plac,
            "placebo_gaps": pd.DataFrame(gaps, index=pd.Index(times, name=tname))}
    if predictors:
        Xs = pd.DataFrame(Xp, index=units, columns=list(predictors))
        diag["predictors"] = pd.DataFrame({"predictor": list(predictors), "v": v, "treated": Xs.iloc[0].to_numpy(),
                                           "synthetic": Xs.iloc[1:].to_numpy().T @ w, "donor_mean": Xs.iloc[1:].mean().to_numpy()})
    info = {"Outcome": yname, "Treated unit": str(treated_unit), "Treatment time": str(treat_time), "Donors": len(donors),
            "Donors with weight > 1%": int((w > 0.01).sum()), "Pre-period RMSPE": pre_rmspe, "Post/pre RMSPE ratio": float(ratio1),
            "Placebo p-value": p}
    res = Result(table=table, method="Synthetic control (Abadie-Diamond-Hainmueller)", assumptions=ASSUMPTIONS_SC,
                 info=info, diagnostics=diag, plotter=plot_synth)
    res.text = lambda lang: (
        f"{treated_unit} 在处理后 {yname} 比合成对照平均高 {att:,.3g}（安慰剂检验 p = {p:.3g}）。" if lang == "zh"
        else f"After treatment, {treated_unit}'s {yname} was on average {att:,.3g} above its synthetic control (placebo p = {p:.3g})."
    )
    return res


# ---------------------------------------------------------------------------
# synthetic difference-in-differences (Arkhangelsky et al. 2021), robustness check
# ---------------------------------------------------------------------------

def _sdid_tau(Yco: np.ndarray, Ytr: np.ndarray, pre: np.ndarray, n_treated: int) -> tuple[float, np.ndarray, np.ndarray]:
    """SDID estimate for treated mean path ``Ytr`` (T,) against controls ``Yco`` (N0 x T).

    Unit weights: ``min ||C (Yco_pre' w - ytr_pre)||^2 + zeta^2 T0 ||w||^2`` on the simplex
    (C centres over time: the intercept), ``zeta = (N1 T1)^{1/4} sd(diff(Yco_pre))``.
    Time weights: ``min ||C (Yco_pre l - mean(Yco_post))||^2 + (1e-6 sd)^2 N0 ||l||^2`` on the
    simplex (C centres over units). ``tau = (ytr_post - l'ytr_pre) - w'(Yco_post - Yco_pre l)``.
    """
    post = ~pre
    T0, T1 = int(pre.sum()), int(post.sum())
    N0 = Yco.shape[0]
    sigma = float(np.std(np.diff(Yco[:, pre], axis=1), ddof=1)) if T0 > 1 else 0.0
    zeta = (n_treated * T1) ** 0.25 * sigma
    A = Yco[:, pre].T - Yco[:, pre].T.mean(0, keepdims=True)
    b = Ytr[pre] - Ytr[pre].mean()
    X0 = np.vstack([A, zeta * np.sqrt(T0) * np.eye(N0)])
    X1 = np.concatenate([b, np.zeros(N0)])
    w = _simplex_weights(X0, X1, np.ones(len(X1)))
    ybar_post = Yco[:, post].mean(1)
    A2 = Yco[:, pre] - Yco[:, pre].mean(0, keepdims=True)
    b2 = ybar_post - ybar_post.mean()
    zl = 1e-6 * sigma
    X0l = np.vstack([A2, zl * np.sqrt(N0) * np.eye(T0)])
    X1l = np.concatenate([b2, np.zeros(T0)])
    lam = _simplex_weights(X0l, X1l, np.ones(len(X1l)))
    tau = (Ytr[post].mean() - lam @ Ytr[pre]) - w @ (ybar_post - Yco[:, pre] @ lam)
    return float(tau), w, lam


@keyword_only()
def synthetic_did(
    data: pd.DataFrame,
    yname: str,
    *,
    idname: str,
    tname: str,
    treated_units: Any | Sequence[Any],
    treat_time: Any,
    donors: Sequence[Any] | None = None,
    min_donors: int = 5,
    min_pre: int = 2,
    alpha: float = 0.05,
) -> Result:
    """Synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg, Imbens & Wager 2021).

    Block design: ``treated_units`` (one or several) adopt at ``treat_time``; ``donors``
    default to every other unit. Standard error by the placebo method (their Algorithm 4):
    each donor in turn plays the treated role among the donors; ``se = sd(tau_placebo)``;
    normal interval. Returns the ATT in units of ``yname``; ``diagnostics``: ``unit_weights``,
    ``time_weights``, ``placebos``.
    """
    from scipy import stats

    require_columns(data, [yname, idname, tname])
    require_numeric(data, [yname])
    treated = list(treated_units) if isinstance(treated_units, (list, tuple, set, np.ndarray, pd.Index)) else [treated_units]
    Y = data.pivot_table(index=idname, columns=tname, values=yname, aggfunc="first")
    missing_t = [u for u in treated if u not in Y.index]
    if missing_t:
        raise DesignError(f"treated unit(s) {missing_t!r} not in column {idname!r}")
    pool = [u for u in (donors if donors is not None else Y.index) if u not in treated and u in Y.index]
    Y = Y.loc[treated + pool]
    if Y.isna().any().any():
        raise DesignError(f"{yname!r} has missing values in the treated/donor panel; SDID needs a balanced panel")
    if len(pool) < min_donors:
        raise DesignError(f"donor pool too small: {len(pool)} donor unit(s); at least {min_donors} are needed")
    times = Y.columns.to_numpy()
    pre = times < treat_time
    if pre.sum() < min_pre or (~pre).sum() == 0:
        raise DesignError(f"SDID needs at least {min_pre} pre-periods and one post-period around {treat_time}; found {int(pre.sum())} and {int((~pre).sum())}")
    M = Y.to_numpy(float)
    n1 = len(treated)
    Ytr, Yco = M[:n1].mean(0), M[n1:]
    tau, w, lam = _sdid_tau(Yco, Ytr, pre, n1)
    plac = []
    if len(pool) > n1:
        for j in range(len(pool)):
            rest = np.delete(np.arange(len(pool)), j)
            plac.append(_sdid_tau(Yco[rest], Yco[j], pre, 1)[0])
    se = float(np.std(plac, ddof=1)) if len(plac) > 1 else np.nan
    z = stats.norm.ppf(1 - alpha / 2)
    row = {"term": "ATT", "estimate": tau, "std_error": se, "statistic": tau / se if se > 0 else np.nan,
           "p_value": 2 * stats.norm.sf(abs(tau / se)) if se > 0 else np.nan, "conf_low": tau - z * se,
           "conf_high": tau + z * se, "n": len(Y), "unit": yname, "method": "Synthetic DiD",
           "cluster": "none (placebo variance)"}
    diag = {"unit_weights": pd.DataFrame({"donor": pool, "weight": w}).sort_values("weight", ascending=False).reset_index(drop=True),
            "time_weights": pd.DataFrame({"time": times[pre], "weight": lam}),
            "placebos": pd.DataFrame({"unit": pool, "tau": plac}) if plac else pd.DataFrame()}
    return Result(table=pd.DataFrame([row]), method="Synthetic difference-in-differences (Arkhangelsky et al. 2021)",
                  assumptions=("the weighted donors and weighted pre-periods balance the treated units' untreated path "
                               "up to a constant (parallel trends after reweighting)",
                               "donors are unaffected by the program; block adoption at treat_time",
                               "placebo variance: donors are exchangeable with the treated units under no effect"),
                  info={"Outcome": yname, "Treated units": n1, "Donors": len(pool), "Treatment time": str(treat_time),
                        "Inference": f"placebo variance over {len(plac)} donors"},
                  diagnostics=diag, level=1 - alpha)
