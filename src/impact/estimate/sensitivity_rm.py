"""Relative-magnitudes bounds on parallel-trend violations (Rambachan & Roth 2023, Delta^RM).

With the event-study coefficients ``beta = tau + delta`` (``K`` pre-period and ``T``
post-period coefficients, reference ``e = -1`` with ``delta_{-1} = 0``), the restriction

    Delta^RM(Mbar) = { delta : |delta_{t+1} - delta_t| <= Mbar * max_{s<0} |delta_{s+1} - delta_s|  for t >= 0 }

bounds each post-period change of the trend violation by ``Mbar`` times the largest
pre-period change. It is a finite union of polyhedra: for each location ``s`` of the largest
pre-period change and each sign ``+/-``, ``Delta_{s,+/-} = {delta : A_{s,+/-} delta <= 0}`` with rows
``+/-(delta_{r+1} - delta_r) <= c_r * sign * (delta_s - delta_{s-1})`` (``c_r = 1`` before treatment,
``Mbar`` after). The confidence set for ``theta = l' tau_post`` is the union over ``(s, +/-)`` of
the sets of ``theta`` not rejected by the Andrews-Roth-Pakes (2023, ARP) conditional test of

    H0: E[y_T(theta) - X_T gamma] <= 0 for some nuisance gamma,
    y_T(theta) = A beta_hat - A_post Gamma^{-1} e_1 theta,  X_T = A_post Gamma^{-1}[:, 2:],

where ``Gamma`` is an invertible matrix with first row ``l'`` (so ``Gamma tau_post = (theta, gamma)``)
and only the rows involving post-period coefficients are kept. The test statistic is the
linear programme

    eta_hat = min_{eta, gamma} eta  s.t.  y_T - X_T gamma <= eta * sigma_T,   sigma_T = sqrt(diag(A Sigma A')),

solved with :func:`scipy.optimize.linprog` (HiGHS); its Lagrange multipliers ``lambda`` pick the
binding moments ``B``. Conditioning on the event that ``B`` is optimal, ``eta_hat`` is a normal
with standard deviation ``sigma_B`` truncated to ``[V_lo, V_up]``; the test rejects when
``eta_hat / sigma_B`` exceeds the ``1 - alpha`` quantile of that truncated normal (a degenerate or
rank-deficient ``B`` uses the dual bisection of ARP's Appendix D for ``V_lo, V_up``). The
conditional-least-favourable hybrid ("C-LF", the default of the HonestDiD packages) first
rejects when ``eta_hat`` exceeds the ``1 - kappa`` quantile of ``eta`` under ``y_T ~ N(0, A Sigma A')``
(least-favourable, simulated), then runs the conditional test at size
``(alpha - kappa) / (1 - kappa)`` with ``V_up`` capped at that critical value; ``kappa = alpha / 10``.

References
----------
Rambachan, A. and Roth, J. (2023). A more credible approach to parallel trends. Review of
Economic Studies 90(5), 2555-2591. Andrews, I., Roth, J. and Pakes, A. (2023). Inference for
linear conditional moment inequalities. Review of Economic Studies 90(6), 2763-2791.
"""

from __future__ import annotations

from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from impact.results import Result, check_option

from ._common import keyword_only
from .sensitivity import _event_inputs

RMMethod = Literal["C-LF", "Conditional"]
_TOL_LAMBDA = 1e-6


def rm_constraints(K: int, T: int, Mbar: float, s: int, max_positive: bool) -> np.ndarray:
    """``A_{s,+/-}`` of Delta^RM for ``delta = (delta_pre (K), delta_post (T))`` (``delta_{-1}`` dropped).

    ``s`` in ``-(K-1), ..., 0`` locates the largest pre-period change ``delta_s - delta_{s-1}``
    (``s = 0``: from ``e = -2`` to the reference ``e = -1``).
    """
    n = K + T
    Atilde = np.zeros((n, n + 1))
    Atilde[np.arange(n), np.arange(n)] = -1.0
    Atilde[np.arange(n), np.arange(n) + 1] = 1.0
    v = np.zeros(n + 1)
    v[K + s - 1], v[K + s] = -1.0, 1.0
    if not max_positive:
        v = -v
    ub = np.vstack([np.tile(v, (K, 1)), np.tile(Mbar * v, (T, 1))])
    A = np.vstack([Atilde - ub, -Atilde - ub])
    A = A[(A**2).sum(1) > 1e-10]
    return np.delete(A, K, axis=1)


def _gamma_matrix(l_vec: np.ndarray) -> np.ndarray:
    """Invertible ``Gamma`` with first row ``l'`` completed by unit vectors (the pivots of rref([l, I]))."""
    rows = [l_vec]
    for j in range(len(l_vec)):
        e = np.eye(len(l_vec))[j]
        if np.linalg.matrix_rank(np.vstack([*rows, e])) == len(rows) + 1:
            rows.append(e)
    return np.vstack(rows)


def _eta_lp(y: np.ndarray, X: np.ndarray, sd: np.ndarray) -> tuple[float, np.ndarray] | None:
    """``min eta s.t. y - X g <= eta sd``; returns (eta, multipliers) or None if the LP fails."""
    k = X.shape[1]
    res = optimize.linprog(np.r_[1.0, np.zeros(k)], A_ub=np.column_stack([-sd, -X]), b_ub=-y,
                           bounds=[(None, None)] * (1 + k), method="highs")
    if not res.success:
        return None
    return float(res.x[0]), -res.ineqlin.marginals


def _lf_cv(X: np.ndarray, sigma: np.ndarray, kappa: float, sims: int, seed: int) -> float:
    """``1 - kappa`` quantile of ``eta`` under ``y ~ N(0, sigma)`` (least-favourable critical value)."""
    draws = np.random.RandomState(seed).multivariate_normal(np.zeros(len(sigma)), sigma, size=sims)
    sd = np.sqrt(np.diag(sigma))
    etas = [r[0] for r in (_eta_lp(xi, X, sd) for xi in draws) if r is not None]
    return float(np.quantile(etas, 1 - kappa)) if etas else np.inf


def _truncnorm_q(p: float, lo: float, hi: float) -> float:
    if lo >= hi:
        return lo
    if np.isinf(lo) and np.isinf(hi):
        return float(stats.norm.ppf(p))
    return float(stats.truncnorm.ppf(p, lo, hi))


def _dual_vlo_vup(eta: float, s_T: np.ndarray, gamma: np.ndarray, sigma: np.ndarray, W: np.ndarray) -> tuple[float, float]:
    """Truncation points by bisection on the dual LP (ARP 2023, Appendix D, Algorithm 1)."""
    gsg = float(gamma @ sigma @ gamma)
    b = sigma @ gamma / gsg

    def lp(c: float) -> tuple[bool, np.ndarray]:
        f = s_T + b * c
        beq = np.zeros(W.shape[1])
        beq[0] = 1.0
        r = optimize.linprog(-f, A_eq=W.T, b_eq=beq, bounds=[(0, None)] * len(f), method="highs")
        if not r.success:
            return False, np.zeros(len(f))
        return abs(c - (-r.fun)) <= 1e-6, r.x

    if not lp(eta)[0]:
        return eta, np.inf
    sB = np.sqrt(gsg)
    out = []
    for direction in (+1, -1):
        start = max(100.0, eta + 20 * sB) if direction > 0 else min(-100.0, eta - 20 * sB)
        ok, x = lp(start)
        if ok:
            out.append(direction * np.inf)
            continue
        iters, mid, found = 1, start, False
        while True:
            den = 1.0 - float(x @ b)
            num = float(x @ s_T)
            mid = (0.0 if abs(num) < np.finfo(float).eps ** 0.75 else num) / den if abs(den) > 1e-15 else mid
            ok, x = lp(mid)
            if ok:
                found = True
                break
            iters += 1
            if iters >= 10:
                break
        if found:
            out.append(mid)
            continue
        inside, outside = eta, mid
        while True:  # at least one step, as ARP's algorithm
            m = (inside + outside) / 2
            if lp(m)[0]:
                inside = m
            else:
                outside = m
            if abs(outside - inside) <= 1e-6:
                break
        out.append(m)
    return out[1], out[0]


def arp_test(y: np.ndarray, X: np.ndarray, sigma: np.ndarray, *, alpha: float, lf_cv: float | None = None,
             kappa: float = 0.0) -> bool:
    """ARP conditional (``lf_cv=None``) or conditional-least-favourable hybrid test; True = reject.

    Tests ``E[y - X gamma] <= 0`` for some ``gamma`` with ``y ~ N(mu, sigma)``.
    """
    sd = np.sqrt(np.diag(sigma))
    sol = _eta_lp(y, X, sd)
    if sol is None:
        return False
    eta, lam = sol
    size = alpha
    if lf_cv is not None:
        if eta > lf_cv:
            return True
        size = (alpha - kappa) / (1 - kappa)
    k = X.shape[1]
    B = lam > _TOL_LAMBDA
    XB = X[B]
    full_rank = k == 0 or (XB.size > 0 and np.linalg.matrix_rank(XB) == min(XB.shape))
    if B.sum() != k + 1 or not full_rank:
        W = np.column_stack([sd, X])
        g = lam
        gsg = float(g @ sigma @ g)
        if abs(gsg) < np.finfo(float).eps:
            return eta > 0
        s_T = y - sigma @ g * float(g @ y) / gsg
        vlo, vup = _dual_vlo_vup(eta, s_T, g, sigma, W)
        sB = np.sqrt(gsg)
    else:
        cb, cbc = np.column_stack([sd[B], XB]), np.column_stack([sd[~B], X[~B]])
        SB, SBc = np.eye(len(y))[B], np.eye(len(y))[~B]
        sol_B = np.linalg.solve(cb, SB)
        Gam = cbc @ sol_B - SBc
        vB = sol_B[0]
        s2 = float(vB @ sigma @ vB)
        sB = np.sqrt(s2)
        rho = Gam @ sigma @ vB / s2
        with np.errstate(divide="ignore", invalid="ignore"):
            cand = -(Gam @ y) / rho + float(vB @ y)
        vlo = float(cand[rho > 0].max()) if (rho > 0).any() else -np.inf
        vup = float(cand[rho < 0].min()) if (rho < 0).any() else np.inf
    if lf_cv is not None:
        vup = min(vup, lf_cv)
    zlo, zup, stat = vlo / sB, vup / sB, eta / sB
    if not zlo <= stat <= zup:
        return False
    return bool(stat > max(0.0, _truncnorm_q(1 - size, zlo, zup)))


def rm_accept(beta: np.ndarray, sigma: np.ndarray, K: int, T: int, *, Mbar: float, l_vec: np.ndarray,
              grid: np.ndarray, alpha: float, method: RMMethod = "C-LF", seed: int = 0, lf_sims: int = 1000) -> np.ndarray:
    """Accept (True) / reject for each ``theta`` in ``grid``: union over ``(s, +/-)`` of the ARP tests."""
    kappa = alpha / 10
    Gamma = _gamma_matrix(l_vec)
    accept = np.zeros(len(grid), bool)
    for s in range(-(K - 1), 1):
        for pos in (True, False):
            A = rm_constraints(K, T, Mbar, s, pos)
            A = A[(A[:, K:] != 0).any(1)]  # moments involving post-period coefficients only
            AG = A[:, K:] @ np.linalg.inv(Gamma)
            Y, SY = A @ beta, A @ sigma @ A.T
            X = AG[:, 1:]
            cv = _lf_cv(X, SY, kappa, lf_sims, seed) if method == "C-LF" else None
            for i, th in enumerate(grid):
                if not accept[i]:
                    accept[i] = not arp_test(Y - AG[:, 0] * th, X, SY, alpha=alpha, lf_cv=cv, kappa=kappa)
    return accept


@keyword_only(1)
def honest_did_rm(
    result: Result,
    *,
    Mbarvec: Sequence[float] | None = None,
    l_vec: Sequence[float] | None = None,
    alpha: float = 0.05,
    method: RMMethod = "C-LF",
    grid_points: int = 1000,
    grid_lb: float | None = None,
    grid_ub: float | None = None,
    seed: int = 0,
) -> Result:
    """Rambachan-Roth relative-magnitudes bounds (Delta^RM(Mbar)) for an event study.

    Parameters
    ----------
    result
        :func:`impact.estimate.event_study` or ``aggte(att_gt(...), "dynamic")`` (with
        ``base_period="universal"``), or their ``dynamic_effects`` equivalents.
    Mbarvec
        Ratios ``Mbar`` of the largest post-period change of the trend violation to the largest
        pre-period one (unitless); default 0, 0.5, ..., 2.
    l_vec
        Weights of the post-period effects in the target (default: the effect at ``e = 0``).
    alpha
        1 - coverage.
    method
        ``"C-LF"`` (conditional-least-favourable hybrid, ``kappa = alpha / 10``) or
        ``"Conditional"`` (the ARP conditional test alone).
    grid_points, grid_lb, grid_ub
        The grid of ``theta`` over which the test is inverted (default: ``+/- 20`` standard
        errors of ``l' beta_post`` around 0, as HonestDiD); the bounds are the smallest and largest
        accepted grid points, so they are exact to one grid step.
    seed
        Seed of the simulated least-favourable critical value.

    Returns
    -------
    Result
        Row ``original`` (the conventional interval) and one row per ``Mbar`` (term ``Mbar=...``,
        column ``Mbar``) with the confidence set's hull in ``conf_low``/``conf_high``. ``info``
        holds the breakdown value (the smallest ``Mbar`` in the grid whose set contains 0).
    """
    check_option("method", method, ("C-LF", "Conditional"))
    beta, sigma, pre, post = _event_inputs(result)
    K, T = len(pre), len(post)
    lv = np.zeros(T) if l_vec is None else np.asarray(l_vec, float)
    if l_vec is None:
        lv[0] = 1.0
    if len(lv) != T:
        raise ValueError(f"l_vec has {len(lv)} weights; expected one per post-period coefficient ({T})")
    Ms = list(np.arange(0, 2.01, 0.5)) if Mbarvec is None else [float(m) for m in Mbarvec]
    se = float(np.sqrt(lv @ sigma[K:, K:] @ lv))
    grid = np.linspace(-20 * se if grid_lb is None else grid_lb, 20 * se if grid_ub is None else grid_ub, grid_points)
    theta = float(lv @ beta[K:])
    z = stats.norm.ppf(1 - alpha / 2)
    rows: list[dict[str, Any]] = [{"term": "original", "estimate": theta, "std_error": se, "conf_low": theta - z * se,
                                   "conf_high": theta + z * se, "Mbar": np.nan}]
    for M in Ms:
        acc = rm_accept(beta, sigma, K, T, Mbar=M, l_vec=lv, grid=grid, alpha=alpha, method=method, seed=seed)
        lo, hi = (float(grid[acc].min()), float(grid[acc].max())) if acc.any() else (np.nan, np.nan)
        rows.append({"term": f"Mbar={M:.6g}", "estimate": np.nan, "std_error": np.nan, "conf_low": lo, "conf_high": hi, "Mbar": M})
    table = pd.DataFrame(rows)
    table["unit"] = str(result.tidy()["unit"].iloc[0])
    table["method"] = f"Rambachan-Roth relative magnitudes (Delta^RM), ARP {method}"
    contains0 = table[(table["term"] != "original") & (table["conf_low"] <= 0) & (table["conf_high"] >= 0)]
    info = {"Target": "effect at e=0" if l_vec is None else f"l'beta_post, l = {list(lv)}",
            "Pre-period coefficients": f"{K} (e = {pre[0]} to -2)", "Post-period coefficients": f"{T}",
            "Grid": f"{grid_points} points from {grid[0]:.4g} to {grid[-1]:.4g} (bounds exact to {grid[1] - grid[0]:.3g})",
            "Breakdown Mbar (smallest Mbar in the grid whose set contains 0)": (f"{contains0['Mbar'].min():.4g}" if len(contains0)
                                                                                else "none in the grid")}
    return Result(table=table, method="Sensitivity to parallel-trend violations (Rambachan-Roth 2023, relative magnitudes)",
                  assumptions=("post-treatment changes of the trend violation are at most Mbar times the largest pre-treatment change",
                               "the event-study coefficients are asymptotically normal with the given covariance"),
                  info=info, level=1 - alpha)
