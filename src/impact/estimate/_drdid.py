"""The 2x2 DiD kernels of Callaway-Sant'Anna's ATT(g, t) (Sant'Anna & Zhao 2020, as R ``DRDID``).

Panel (``drdid_panel``, ``std_ipw_did_panel``, ``reg_did_panel``) and repeated cross-section
(``drdid_rc``, ``std_ipw_did_rc``, ``reg_did_rc``) versions; each returns the ATT and its
influence function (one entry per observation).
"""

from __future__ import annotations

import numpy as np

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
