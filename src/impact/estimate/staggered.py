"""Staggered adoption: Callaway & Sant'Anna (2021) group-time ATTs and their aggregations.

For cohort ``g`` (first treated period) and period ``t`` the group-time effect is

    ATT(g, t) = E[Y_t - Y_b | G = g] - E[Y_t - Y_b | C]

with base period ``b = g - 1 - anticipation`` for ``t >= g - anticipation`` (and ``b = t - 1``
before that under ``base_period="varying"``), and comparison group ``C`` either the never
treated (``gname == 0``) or the not-yet-treated (``G = 0`` or ``G > max(t, b) + anticipation``).
With covariates the 2x2 comparison is the doubly robust estimator of Sant'Anna & Zhao (2020,
``drdid_panel``): a logit propensity score and a linear outcome regression for the control
change, both on covariates measured in the earlier of the two periods. Without covariates
it is the difference of mean changes.

Inference uses each cell's influence function ``psi_i`` (one row per unit, scaled by
``n / n_cell`` as in R's ``did``): analytic ``se = sqrt(sum_i psi_i^2) / n`` (cluster sums
when ``cluster`` is given), or the multiplier bootstrap
``b* = n^{-1/2} sum_i v_i psi_i`` (Mammen or Rademacher ``v``, drawn per cluster) with
``se = IQR(b*) / (z_.75 - z_.25) / sqrt(n)`` and a uniform (sup-t) critical value across
the reported estimates. Aggregations (simple, group, dynamic, calendar) follow R's
``aggte``, including the influence of the estimated cohort shares.

Units are those of ``yname``. The panel must be balanced (units with missing periods
are dropped with a warning).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Literal, Sequence, get_args

import numpy as np
import pandas as pd
from scipy import stats

from impact.errors import DesignError, DesignWarning, InputError, MissingDataWarning, Problem
from impact.plots import plot_staggered
from impact.results import Result, check_option

from ._common import covariate_names, keyword_only, require_columns, require_numeric

ControlGroup = Literal["nevertreated", "notyettreated"]
EstMethod = Literal["dr", "ipw", "reg"]
BasePeriod = Literal["varying", "universal"]
AggType = Literal["simple", "group", "dynamic", "calendar"]
BootWeights = Literal["mammen", "rademacher"]

ASSUMPTIONS_CS = (
    "parallel trends: absent the program, treated cohorts' outcomes would have changed like the comparison group's (conditional on covariates if given)",
    "no anticipation beyond `anticipation` periods before first treatment",
    "staggered, irreversible treatment: once paired, a county stays treated",
    "overlap: every cohort has a positive probability of being in the comparison group given covariates",
)


@dataclass
class GTFit:
    """Internals of a group-time fit, used by :func:`aggte` (influence functions etc.)."""

    groups: np.ndarray  # cohort of each cell
    times: np.ndarray  # period of each cell
    att: np.ndarray
    inf: np.ndarray  # n_units x n_cells influence functions
    unit_group: np.ndarray  # cohort of each unit (0 = never)
    cluster: np.ndarray | None  # cluster code of each unit
    tlist: np.ndarray
    glist: np.ndarray
    n: int
    cell_n: np.ndarray
    yname: str
    cluster_name: str | None
    control_group: str
    weights: np.ndarray | None = None  # unit weights, mean 1 (None = equal)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(repr=False)
class StaggeredResult(Result):
    fit: GTFit | None = None


# ---------------------------------------------------------------------------
# input handling
# ---------------------------------------------------------------------------

def _prepare(
    data: pd.DataFrame, yname: str, tname: str, idname: str, gname: str, covs: list[str], cluster: str | None,
    weightsname: str | None = None, unbalanced: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray | None, np.ndarray, np.ndarray]:
    """Wide arrays (units x periods). With ``unbalanced`` incomplete units are kept and their
    missing periods are NaN (rows with a missing outcome or covariate count as missing)."""
    require_columns(data, [yname, tname, idname, gname, cluster, weightsname, *covs])
    require_numeric(data, [c for c in [yname, tname, gname, weightsname, *covs] if c is not None])
    extra = [c for c in (cluster, weightsname) if c and c not in (idname, tname, gname, yname, *covs)]
    df = data[[idname, tname, gname, yname, *covs] + list(dict.fromkeys(extra))].copy()
    if weightsname is not None:
        wv = pd.to_numeric(df[weightsname]).to_numpy(float)
        bad = ~(wv > 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(Problem("<data>", i + 2, weightsname, df[weightsname].iloc[i], "a positive weight"))
    df[gname] = pd.to_numeric(df[gname]).fillna(0)
    if df.duplicated([idname, tname]).any():
        dup = df[df.duplicated([idname, tname], keep=False)].iloc[0]
        raise DesignError(f"unit {dup[idname]!r} appears more than once in period {dup[tname]!r}; a panel needs one row per unit and period")
    if weightsname is not None:
        w_per_unit = df.groupby(idname)[weightsname].nunique()
        if (w_per_unit > 1).any():
            bad = w_per_unit[w_per_unit > 1].index[0]
            raise DesignError(f"unit {bad!r} has more than one value of {weightsname!r}; weights must be constant within a unit "
                              "(use the baseline weight, as R's did)")
    g_per_unit = df.groupby(idname)[gname].nunique()
    if (g_per_unit > 1).any():
        bad = g_per_unit[g_per_unit > 1].index[0]
        raise DesignError(f"unit {bad!r} has more than one value of {gname!r}; the first-treatment period must be constant within a unit")
    tlist = np.sort(df[tname].unique())
    nT = len(tlist)
    incomplete = df.dropna(subset=[yname, *covs]).groupby(idname)[tname].nunique() < nT
    bad_units = set(incomplete[incomplete].index) | (set(df[idname]) - set(incomplete.index))
    if bad_units and unbalanced:
        full = pd.MultiIndex.from_product([np.sort(df[idname].unique()), tlist], names=[idname, tname])
        obs = df.dropna(subset=[yname, *covs]).set_index([idname, tname])
        gcol = df.groupby(idname)[gname].first()
        others = [c for c in df.columns if c not in (idname, tname, yname, *covs)]
        per_unit = df.groupby(idname)[others].first()
        df = obs[[yname, *covs]].reindex(full).reset_index()
        df = df.join(per_unit, on=idname)
        df[gname] = df[idname].map(gcol)
        bad_units = set()
    if bad_units:
        warnings.warn(
            f"dropped {len(bad_units)} units without a complete record in all {nT} periods (balanced panel required; "
            "allow_unbalanced_panel=True keeps them)",
            MissingDataWarning,
            stacklevel=4,
        )
        df = df[~df[idname].isin(bad_units)]
    df = df.sort_values([idname, tname])
    ids = df[idname].unique()
    n = len(ids)
    Y = df[yname].to_numpy(float).reshape(n, nT)
    G = df.groupby(idname, sort=True)[gname].first().reindex(ids).to_numpy(float)
    X = {c: df[c].to_numpy(float).reshape(n, nT) for c in covs}
    W = np.ones(n) if weightsname is None else df.groupby(idname, sort=True)[weightsname].first().reindex(ids).to_numpy(float)
    W = W / W.mean()
    cl = None
    if cluster:
        if cluster == idname:
            cl = np.arange(n)
        else:
            cper = df.groupby(idname, sort=True)[cluster].nunique().reindex(ids)
            if (cper > 1).any():
                raise DesignError(f"cluster variable {cluster!r} varies within unit {cper[cper > 1].index[0]!r}; clusters must nest units")
            cl = pd.factorize(df.groupby(idname, sort=True)[cluster].first().reindex(ids))[0]
    return Y, G, tlist, X, cl, ids, W


# ---------------------------------------------------------------------------
# the 2x2 doubly robust estimator (Sant'Anna & Zhao 2020, panel, as DRDID::drdid_panel)
# ---------------------------------------------------------------------------

def _ps_fit(D: np.ndarray, X: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Weighted logit score and ``n * vcov`` (R ``vcov(glm) * n``); intercept only: the weighted share."""
    n = len(D)
    if X.shape[1] == 1:
        return np.full(n, np.sum(w * D) / np.sum(w)), None
    from ._common import logit_fit

    _, ps = logit_fit(D, X, w=w, what="cohort-vs-comparison propensity score")
    hess = np.linalg.inv((X * (w * ps * (1 - ps))[:, None]).T @ X) * n
    return ps, hess


def _drdid_panel(dy: np.ndarray, D: np.ndarray, X: np.ndarray, w: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Doubly robust DiD on a balanced panel (DRDID ``drdid_panel``); returns (att, influence function).

    ``X`` includes the intercept; ``w`` are unit weights (normalised to mean 1 here, as DRDID).
    With ``X`` an intercept only this equals the difference of (weighted) mean changes.
    """
    n = len(dy)
    w = np.ones(n) if w is None else np.asarray(w, float) / np.mean(w)
    ps, hess = _ps_fit(D, X, w)
    ps = np.minimum(ps, 1 - 1e-6)
    trim = np.ones(n, dtype=bool)
    trim[D == 0] = ps[D == 0] < 0.995
    ctrl = D == 0
    sw = np.sqrt(w[ctrl])
    beta, *_ = np.linalg.lstsq(X[ctrl] * sw[:, None], dy[ctrl] * sw, rcond=None)
    out = X @ beta
    w_t = trim * w * D
    w_c = trim * w * ps * (1 - D) / (1 - ps)
    r = dy - out
    att_t_i = w_t * r
    att_c_i = w_c * r
    eta_t = att_t_i.mean() / w_t.mean()
    eta_c = att_c_i.mean() / w_c.mean()
    att = eta_t - eta_c
    w_ols = w * (1.0 - D)
    XpX_inv = np.linalg.inv((X * w_ols[:, None]).T @ X / n)
    lin_ols = (X * (w_ols * r)[:, None]) @ XpX_inv
    inf_t = (att_t_i - w_t * eta_t - lin_ols @ (w_t[:, None] * X).mean(0)) / w_t.mean()
    inf_c1 = att_c_i - w_c * eta_c
    if hess is not None:
        lin_ps = (X * (w * (D - ps))[:, None]) @ hess
        inf_c2 = lin_ps @ (X * (w_c * (r - eta_c))[:, None]).mean(0)
    else:
        inf_c2 = 0.0
    inf_c3 = lin_ols @ (w_c[:, None] * X).mean(0)
    inf_c = (inf_c1 + inf_c2 - inf_c3) / w_c.mean()
    return float(att), inf_t - inf_c


def _ipw_did_panel(dy: np.ndarray, D: np.ndarray, X: np.ndarray, w: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Normalised (Hajek) inverse-probability-weighted DiD (DRDID ``std_ipw_did_panel``)."""
    n = len(dy)
    w = np.ones(n) if w is None else np.asarray(w, float) / np.mean(w)
    ps, hess = _ps_fit(D, X, w)
    ps = np.minimum(ps, 1 - 1e-6)
    trim = np.ones(n, dtype=bool)
    trim[D == 0] = ps[D == 0] < 0.995
    w_t = trim * w * D
    w_c = trim * w * ps * (1 - D) / (1 - ps)
    att_t_i, att_c_i = w_t * dy, w_c * dy
    eta_t = att_t_i.mean() / w_t.mean()
    eta_c = att_c_i.mean() / w_c.mean()
    inf_t = (att_t_i - w_t * eta_t) / w_t.mean()
    inf_c1 = att_c_i - w_c * eta_c
    if hess is not None:
        lin_ps = (X * (w * (D - ps))[:, None]) @ hess
        inf_c2 = lin_ps @ (X * (w_c * (dy - eta_c))[:, None]).mean(0)
    else:
        inf_c2 = 0.0
    return float(eta_t - eta_c), inf_t - (inf_c1 + inf_c2) / w_c.mean()


def _reg_did_panel(dy: np.ndarray, D: np.ndarray, X: np.ndarray, w: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Outcome-regression DiD (Heckman, Ichimura & Todd 1997; DRDID ``reg_did_panel``)."""
    n = len(dy)
    w = np.ones(n) if w is None else np.asarray(w, float) / np.mean(w)
    ctrl = D == 0
    sw = np.sqrt(w[ctrl])
    beta, *_ = np.linalg.lstsq(X[ctrl] * sw[:, None], dy[ctrl] * sw, rcond=None)
    out = X @ beta
    w_t = w * D
    att_t_i, att_c_i = w_t * dy, w_t * out
    eta_t = att_t_i.mean() / w_t.mean()
    eta_c = att_c_i.mean() / w_t.mean()
    w_ols = w * (1.0 - D)
    XpX_inv = np.linalg.inv((X * w_ols[:, None]).T @ X / n)
    lin_ols = (X * (w_ols * (dy - out))[:, None]) @ XpX_inv
    inf_t = (att_t_i - w_t * eta_t) / w_t.mean()
    inf_c = (att_c_i - w_t * eta_c + lin_ols @ (w_t[:, None] * X).mean(0)) / w_t.mean()
    return float(eta_t - eta_c), inf_t - inf_c


_PANEL_ESTIMATORS = {"dr": _drdid_panel, "ipw": _ipw_did_panel, "reg": _reg_did_panel}


def _reg_did_rc(y: np.ndarray, post: np.ndarray, D: np.ndarray, X: np.ndarray, w: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Outcome-regression DiD for repeated cross sections / unbalanced panels (DRDID ``reg_did_rc``).

    One row per observation: ``post`` marks the later period. Control outcome regressions are
    fitted separately before and after; ``ATT = (mean_{D=1,post} y - mean_{D=1,pre} y) -
    mean_{D=1} (m_post(X) - m_pre(X))``. Returns (att, influence function per row).
    """
    n = len(y)
    w = np.ones(n) if w is None else np.asarray(w, float) / np.mean(w)
    lin, out = {}, {}
    for p in (0, 1):
        m = (D == 0) & (post == p)
        sw = np.sqrt(w[m])
        b, *_ = np.linalg.lstsq(X[m] * sw[:, None], y[m] * sw, rcond=None)
        out[p] = X @ b
        wo = w * m
        inv = np.linalg.inv((X * wo[:, None]).T @ X / n)
        lin[p] = (X * (wo * (y - out[p]))[:, None]) @ inv
    w_pre, w_post, w_c = w * D * (1 - post), w * D * post, w * D
    a_pre, a_post, a_c = w_pre * y, w_post * y, w_c * (out[1] - out[0])
    e_pre, e_post, e_c = a_pre.mean() / w_pre.mean(), a_post.mean() / w_post.mean(), a_c.mean() / w_c.mean()
    inf_t = (a_post - w_post * e_post) / w_post.mean() - (a_pre - w_pre * e_pre) / w_pre.mean()
    M1 = (w_c[:, None] * X).mean(0)
    inf_c = (a_c - w_c * e_c + lin[1] @ M1 - lin[0] @ M1) / w_c.mean()
    return float((e_post - e_pre) - e_c), inf_t - inf_c


def _ols_rc(y: np.ndarray, X: np.ndarray, w: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WLS of y on X within ``mask``: fitted values for all rows and the linear representation."""
    n = len(y)
    sw = np.sqrt(w[mask])
    b, *_ = np.linalg.lstsq(X[mask] * sw[:, None], y[mask] * sw, rcond=None)
    fitted = X @ b
    wo = w * mask
    inv = np.linalg.inv((X * wo[:, None]).T @ X / n)
    return fitted, (X * (wo * (y - fitted))[:, None]) @ inv


def _ps_rc(D: np.ndarray, X: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    ps, hess = _ps_fit(D, X, w)
    ps = np.minimum(ps, 1 - 1e-6)
    trim = np.ones(len(D), dtype=bool)
    trim[D == 0] = ps[D == 0] < 0.995
    return ps, trim.astype(float), hess


def _ipw_did_rc(y: np.ndarray, post: np.ndarray, D: np.ndarray, X: np.ndarray, w: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Normalised IPW DiD for repeated cross sections (DRDID ``std_ipw_did_rc``)."""
    n = len(y)
    w = np.ones(n) if w is None else np.asarray(w, float) / np.mean(w)
    ps, trim, hess = _ps_rc(D, X, w)
    odds = ps * (1 - D) / (1 - ps)
    ws = {"tpre": trim * w * D * (1 - post), "tpost": trim * w * D * post,
          "cpre": trim * w * odds * (1 - post), "cpost": trim * w * odds * post}
    eta = {k: v * y / v.mean() for k, v in ws.items()}
    att = {k: e.mean() for k, e in eta.items()}
    inf = {k: eta[k] - ws[k] * att[k] / ws[k].mean() for k in ws}
    inf_t = inf["tpost"] - inf["tpre"]
    inf_c = inf["cpost"] - inf["cpre"]
    if hess is not None:
        lin_ps = (X * (w * (D - ps))[:, None]) @ hess
        M2 = {k: (X * (ws[k] * (y - att[k]))[:, None]).mean(0) / ws[k].mean() for k in ("cpre", "cpost")}
        inf_c = inf_c + lin_ps @ (M2["cpost"] - M2["cpre"])
    est = (att["tpost"] - att["tpre"]) - (att["cpost"] - att["cpre"])
    return float(est), inf_t - inf_c


def _drdid_rc(y: np.ndarray, post: np.ndarray, D: np.ndarray, X: np.ndarray, w: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Locally efficient doubly robust DiD for repeated cross sections (Sant'Anna & Zhao 2020; DRDID ``drdid_rc``)."""
    n = len(y)
    w = np.ones(n) if w is None else np.asarray(w, float) / np.mean(w)
    ps, trim, hess = _ps_rc(D, X, w)
    m_c0, L_c0 = _ols_rc(y, X, w, (D == 0) & (post == 0))
    m_c1, L_c1 = _ols_rc(y, X, w, (D == 0) & (post == 1))
    m_t0, L_t0 = _ols_rc(y, X, w, (D == 1) & (post == 0))
    m_t1, L_t1 = _ols_rc(y, X, w, (D == 1) & (post == 1))
    m_c = post * m_c1 + (1 - post) * m_c0
    odds = ps * (1 - D) / (1 - ps)
    w_tpre, w_tpost = trim * w * D * (1 - post), trim * w * D * post
    w_cpre, w_cpost = trim * w * odds * (1 - post), trim * w * odds * post
    w_d, w_dt1, w_dt0 = trim * w * D, trim * w * D * post, trim * w * D * (1 - post)
    r = y - m_c
    e_tpre, e_tpost = w_tpre * r / w_tpre.mean(), w_tpost * r / w_tpost.mean()
    e_cpre, e_cpost = w_cpre * r / w_cpre.mean(), w_cpost * r / w_cpost.mean()
    e_d1, e_dt1 = w_d * (m_t1 - m_c1) / w_d.mean(), w_dt1 * (m_t1 - m_c1) / w_dt1.mean()
    e_d0, e_dt0 = w_d * (m_t0 - m_c0) / w_d.mean(), w_dt0 * (m_t0 - m_c0) / w_dt0.mean()
    a = {k: v.mean() for k, v in dict(tpre=e_tpre, tpost=e_tpost, cpre=e_cpre, cpost=e_cpost, d1=e_d1, dt1=e_dt1, d0=e_d0, dt0=e_dt0).items()}
    est = (a["tpost"] - a["tpre"]) - (a["cpost"] - a["cpre"]) + (a["d1"] - a["dt1"]) - (a["d0"] - a["dt0"])
    inf_tpre = e_tpre - w_tpre * a["tpre"] / w_tpre.mean()
    inf_tpost = e_tpost - w_tpost * a["tpost"] / w_tpost.mean()
    M1_post = -(X * (w_tpost * post)[:, None]).mean(0) / w_tpost.mean()
    M1_pre = -(X * (w_tpre * (1 - post))[:, None]).mean(0) / w_tpre.mean()
    inf_t_or = L_c1 @ M1_post - L_c0 @ M1_pre
    inf_cpre = e_cpre - w_cpre * a["cpre"] / w_cpre.mean()
    inf_cpost = e_cpost - w_cpost * a["cpost"] / w_cpost.mean()
    inf_c_ps = 0.0
    if hess is not None:
        lin_ps = (X * (w * (D - ps))[:, None]) @ hess
        M2_pre = (X * (w_cpre * (r - a["cpre"]))[:, None]).mean(0) / w_cpre.mean()
        M2_post = (X * (w_cpost * (r - a["cpost"]))[:, None]).mean(0) / w_cpost.mean()
        inf_c_ps = lin_ps @ (M2_post - M2_pre)
    M3_post = -(X * (w_cpost * post)[:, None]).mean(0) / w_cpost.mean()
    M3_pre = -(X * (w_cpre * (1 - post))[:, None]).mean(0) / w_cpre.mean()
    inf_c_or = L_c1 @ M3_post - L_c0 @ M3_pre
    inf_eff = ((e_d1 - w_d * a["d1"] / w_d.mean()) - (e_dt1 - w_dt1 * a["dt1"] / w_dt1.mean())
               - ((e_d0 - w_d * a["d0"] / w_d.mean()) - (e_dt0 - w_dt0 * a["dt0"] / w_dt0.mean())))
    mom_post = (X * (w_d / w_d.mean() - w_dt1 / w_dt1.mean())[:, None]).mean(0)
    mom_pre = (X * (w_d / w_d.mean() - w_dt0 / w_dt0.mean())[:, None]).mean(0)
    inf_or = (L_t1 - L_c1) @ mom_post - (L_t0 - L_c0) @ mom_pre
    inf_t = inf_tpost - inf_tpre + inf_t_or
    inf_c = inf_cpost - inf_cpre + inf_c_ps + inf_c_or
    return float(est), inf_t - inf_c + inf_eff + inf_or


_RC_ESTIMATORS = {"dr": _drdid_rc, "ipw": _ipw_did_rc, "reg": _reg_did_rc}


# ---------------------------------------------------------------------------
# bootstrap and standard errors
# ---------------------------------------------------------------------------

def _boot_weights(kind: str, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    if kind == "rademacher":
        return rng.integers(0, 2, size=size, dtype=np.int8).astype(float) * 2 - 1
    s5 = np.sqrt(5.0)
    p = (s5 + 1) / (2 * s5)
    u = rng.random(size)
    return np.where(u < p, (1 - s5) / 2, (1 + s5) / 2)


def _analytic_se(inf: np.ndarray, n: int, cluster: np.ndarray | None) -> np.ndarray:
    if cluster is None:
        return np.sqrt((inf**2).sum(0)) / n
    sums = np.zeros((cluster.max() + 1, inf.shape[1]))
    np.add.at(sums, cluster, inf)
    return np.sqrt((sums**2).sum(0)) / n


def multiplier_bootstrap(
    inf: np.ndarray,
    *,
    cluster: np.ndarray | None = None,
    biters: int = 999,
    weights: BootWeights = "mammen",
    alpha: float = 0.05,
    seed: int | None = None,
) -> tuple[np.ndarray, float]:
    """Multiplier bootstrap of influence functions (R ``did::mboot``).

    ``inf`` is ``n x K``. Returns (bootstrap standard errors, uniform critical value).
    Draws ``biters x n_clusters`` weights at once; the bootstrap statistics are
    ``V @ IF / n_c * sqrt(n_c)`` (one matrix product).
    """
    rng = np.random.default_rng(seed)
    n = inf.shape[0]
    if cluster is None:
        psi = inf
    else:
        nc = cluster.max() + 1
        sums = np.zeros((nc, inf.shape[1]))
        np.add.at(sums, cluster, inf)
        counts = np.bincount(cluster, minlength=nc)
        psi = sums / counts[:, None]
    m = psi.shape[0]
    V = _boot_weights(weights, (biters, m), rng)
    bres = np.sqrt(m) * (V @ psi) / m
    q75, q25 = np.quantile(bres, [0.75, 0.25], axis=0)
    bsigma = (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
    ok = bsigma > np.sqrt(np.finfo(float).eps) * 10
    se = np.where(ok, bsigma / np.sqrt(m), np.nan)
    if ok.any():
        bT = np.max(np.abs(bres[:, ok] / bsigma[ok]), axis=1)
        crit = float(np.quantile(bT, 1 - alpha, method="inverted_cdf"))
    else:
        crit = np.nan
    zp = stats.norm.ppf(1 - alpha / 2)
    if not np.isfinite(crit) or crit < zp:
        crit = zp
    del n
    return se, crit


def _inference(
    est: np.ndarray, inf: np.ndarray, fit: GTFit, *, bstrap: bool, biters: int, boot_weights: str,
    alpha: float, seed: int | None, cband: bool
) -> dict[str, np.ndarray]:
    zp = stats.norm.ppf(1 - alpha / 2)
    if bstrap:
        se, crit = multiplier_bootstrap(inf, cluster=fit.cluster, biters=biters, weights=boot_weights, alpha=alpha, seed=seed)
    else:
        se, crit = _analytic_se(inf, fit.n, fit.cluster), zp
    se = np.where(se <= np.sqrt(np.finfo(float).eps) * 10, np.nan, se)
    stat = est / se
    p = 2 * stats.norm.sf(np.abs(stat))
    c = crit if (cband and bstrap) else zp
    return {
        "std_error": se, "statistic": stat, "p_value": p,
        "conf_low": est - zp * se, "conf_high": est + zp * se,
        "cband_low": est - c * se, "cband_high": est + c * se, "crit": np.full(len(est), c),
    }


# ---------------------------------------------------------------------------
# group-time ATTs
# ---------------------------------------------------------------------------

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


def _method_name(covs: list[str], est_method: str = "dr") -> str:
    kind = {"dr": "doubly robust (Sant'Anna-Zhao 2020)", "ipw": "inverse probability weighting (Abadie 2005, normalised)",
            "reg": "outcome regression (Heckman-Ichimura-Todd 1997)"}[est_method]
    return "Callaway-Sant'Anna (2021) group-time ATT, " + (kind if covs else "unconditional")


def _info(fit: GTFit, covs: list[str], bstrap: bool, biters: int, crit: float) -> dict[str, Any]:
    return {
        "Outcome": fit.yname,
        "Units": fit.n,
        "Cohorts": ", ".join(str(int(g)) for g in fit.glist),
        "Never treated units": int((fit.unit_group == 0).sum()),
        "Comparison group": {"nevertreated": "never treated", "notyettreated": "not yet treated"}[fit.control_group],
        "Covariates": ", ".join(covs) if covs else "none",
        "Cluster": fit.cluster_name or "unit",
        "Inference": f"multiplier bootstrap ({biters} draws, {fit.options['boot_weights']}); uniform critical value {crit:.3f}" if bstrap else "analytic (influence function)",
    }


# ---------------------------------------------------------------------------
# aggregations (R did::aggte)
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# TWFE next to it: dCDH weights and disagreement warning
# ---------------------------------------------------------------------------

@keyword_only(1)
def twfe_weights(data: pd.DataFrame, *, tname: str, idname: str, gname: str) -> pd.DataFrame:
    """de Chaisemartin & D'Haultfœuille (2020) weights of the static TWFE coefficient.

    With ``eps_it`` the residual of ``D_it`` on unit and period fixed effects, the TWFE
    coefficient is ``beta = sum_{(i,t): D_it = 1} w_it * TE_it`` with
    ``w_it = eps_it / sum_{D=1} eps``. Returned per treated cell ``(g, t)``: the number of
    unit-periods and the summed weight. Negative weights mean TWFE can have the wrong sign
    under heterogeneous effects.
    """
    require_columns(data, [tname, idname, gname])
    df = data[[idname, tname, gname]].copy()
    df[gname] = pd.to_numeric(df[gname]).fillna(0)
    D = ((df[gname] > 0) & (df[tname] >= df[gname])).astype(float).to_numpy()
    eps = _twoway_resid(D, df[idname].to_numpy(), df[tname].to_numpy())
    df["_w"] = np.where(D == 1, eps, 0.0) / eps[D == 1].sum()
    cell = df[D == 1].groupby([gname, tname]).agg(n=("_w", "size"), weight=("_w", "sum")).reset_index()
    cell = cell.rename(columns={gname: "group", tname: "time"})
    cell["group"] = cell["group"].astype(int)
    cell["event_time"] = cell["time"] - cell["group"]
    return cell


def _twoway_resid(x: np.ndarray, ids: np.ndarray, times: np.ndarray, tol: float = 1e-12) -> np.ndarray:
    """Residual of ``x`` on unit and time dummies (alternating projections; exact when balanced)."""
    ii = pd.factorize(ids)[0]
    tt = pd.factorize(times)[0]
    ni, nt = np.bincount(ii), np.bincount(tt)
    r = x.astype(float).copy()
    for _ in range(10_000):
        r -= (np.bincount(ii, r) / ni)[ii]
        m = np.bincount(tt, r) / nt
        r -= m[tt]
        if np.max(np.abs(np.bincount(ii, r) / ni)) < tol:
            break
    return r


@keyword_only()
def staggered(
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
    cluster: str | None = None,
    biters: int = 999,
    boot_weights: BootWeights = "mammen",
    alpha: float = 0.05,
    seed: int | None = None,
    twfe: bool = True,
) -> Result:
    """Staggered-adoption analysis in one call.

    Headline table: the simple aggregate ATT, then the event-time effects (with uniform
    bands). ``diagnostics`` holds ``att_gt``, ``group``, ``calendar`` aggregations and, with
    ``twfe=True``, ``twfe`` (the static TWFE coefficient, clustered, via pyfixest) and
    ``twfe_weights`` (dCDH weights). A :class:`DesignWarning` is issued when TWFE and the
    Callaway-Sant'Anna simple ATT differ by more than 1.96 times the square root of the sum
    of their squared standard errors, or when negative weights exist and the signs differ.
    """
    gt = att_gt(data, yname, tname=tname, idname=idname, gname=gname, xformla=xformla, control_group=control_group, cluster=cluster,
                est_method=est_method, weightsname=weightsname,
                bstrap=True, biters=biters, boot_weights=boot_weights, alpha=alpha, seed=seed)
    simple = aggte(gt, "simple")
    dyn = aggte(gt, "dynamic")
    grp = aggte(gt, "group")
    cal = aggte(gt, "calendar")
    table = pd.concat([simple.table, dyn.table.iloc[1:]], ignore_index=True)
    table.loc[0, "method"] = "Callaway-Sant'Anna aggregation (simple)"
    diag = {"att_gt": gt.table, "dynamic": dyn.table, "group": grp.table, "calendar": cal.table}
    info = dict(simple.info)
    info.pop("Aggregation", None)
    # the simple ATT is one number (pointwise 1.96); the uniform band is the event-time one
    info["Inference"] = dyn.info["Inference"].replace("uniform critical value", "uniform critical value of the event-time band")
    if "Pre-test of parallel trends" in gt.info:
        info["Pre-test of parallel trends"] = gt.info["Pre-test of parallel trends"]
    diag["pretrend"] = gt.diagnostics["pretrend"]
    if twfe:
        from .did import twfe as _twfe

        df = data.copy()
        gcol = pd.to_numeric(df[gname]).fillna(0)
        df["_treated"] = ((gcol > 0) & (df[tname] >= gcol)).astype(int)
        tw = _twfe(df, yname, dname="_treated", idname=idname, tname=tname, cluster=cluster or idname,
                  wild_bootstrap="auto", reps=999, seed=seed, alpha=alpha, weightsname=weightsname)
        tw_row = tw.table.iloc[[0]].assign(term="TWFE (static)")
        w = twfe_weights(data, tname=tname, idname=idname, gname=gname)
        neg = w[w["weight"] < 0]
        diag["twfe"] = tw_row
        diag["twfe_weights"] = w
        b, sb = float(tw_row["estimate"].iloc[0]), float(tw_row["std_error"].iloc[0])
        a, sa = float(simple.table["estimate"].iloc[0]), float(simple.table["std_error"].iloc[0])
        gap = abs(b - a) > 1.96 * np.hypot(sa, sb)
        sign = len(neg) > 0 and np.sign(a) != np.sign(b)
        info["TWFE (static)"] = f"{b:,.4g} (se {sb:,.4g})"
        info["Negative TWFE weights"] = f"{len(neg)} of {len(w)} cells, sum {neg['weight'].sum():.3f}"
        if gap or sign:
            warnings.warn(
                f"TWFE ({b:,.4g}) and Callaway-Sant'Anna ({a:,.4g}) disagree on {yname}: with staggered timing "
                f"TWFE compares later- with earlier-treated units ({len(neg)} negative weights, sum "
                f"{neg['weight'].sum():.3f}); report the Callaway-Sant'Anna estimate",
                DesignWarning, stacklevel=3,
            )
    res = Result(table=table, method=gt.method, assumptions=ASSUMPTIONS_CS, info=info, diagnostics=diag,
                 plotter=plot_staggered, level=1 - alpha)
    res.text = simple.text
    return res
