"""Sensitivity of event-study conclusions to violations of parallel trends (Rambachan & Roth 2023).

The event-study coefficients ``beta = (beta_pre, beta_post)`` (reference period ``e = -1``
omitted, ``K`` pre and ``T`` post coefficients, consecutive event times) estimate
``tau + delta``: the effects ``tau`` (zero before treatment) plus the bias ``delta`` from
non-parallel trends. The smoothness restriction

    Delta^SD(M) = { delta : |(delta_{e+1} - delta_e) - (delta_e - delta_{e-1})| <= M for all e },

with ``delta_{-1} = 0``, allows the trend to bend by at most ``M`` (outcome units) per period;
``M = 0`` allows linear trends that extrapolate from the pre-period. The target is
``theta = l' tau_post`` (default: the effect at ``e = 0``).

The interval is the optimal fixed-length confidence interval (FLCI, Armstrong & Kolesar 2018;
Rambachan & Roth 2023, sec. 4.1): among affine estimators ``theta_hat = l' beta_post + v' beta_pre``
whose bias is bounded over ``Delta^SD(M)`` (which requires ``sum_e e v_e + sum_e e l_e = 0`` so
linear trends cancel), choose ``v`` to minimise the half-length
``chi = sd(theta_hat) * cv_alpha(b(v) / sd(theta_hat))``, where ``b(v)`` is the worst-case bias
and ``cv_alpha(t)`` the ``1 - alpha`` quantile of ``|N(t, 1)|``; the interval is
``theta_hat +/- chi``. In the ``w`` parameterisation of the HonestDiD package (``v = L w``, ``L``
first differences) the worst-case bias is ``M (c + sum_i |sum_{j<=i} w_j|)`` with
``c = sum_s |sum_{r<=s} r l_{T-s+r}| - sum_s s l_s`` and the constraint ``sum w = sum_s s l_s``.
For each bound ``h`` on the standard deviation the smallest worst-case bias is a convex
programme (solved here with SLSQP); the half-length is then minimised over ``h`` between the
smallest attainable standard deviation and the one of the minimum-bias estimator.

References
----------
Rambachan, A. and Roth, J. (2023). A more credible approach to parallel trends. Review of
Economic Studies 90(5), 2555-2591. Armstrong, T. B. and Kolesar, M. (2018). Optimal inference
in a class of regression models. Econometrica 86(2), 655-683.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats

from impact.errors import DesignError
from impact.results import Result

from ._common import keyword_only


def _cv_folded(t: float, alpha: float) -> float:
    """``1 - alpha`` quantile of |N(t, 1)|."""
    t = abs(t)
    f = lambda c: stats.norm.cdf(c - t) - stats.norm.cdf(-c - t) - (1 - alpha)  # noqa: E731
    hi = t + stats.norm.ppf(1 - alpha / 2) + 1.0
    return float(optimize.brentq(f, 0.0, hi, xtol=1e-14))


class _FLCI:
    def __init__(self, sigma: np.ndarray, K: int, T: int, l_vec: np.ndarray):
        self.K, self.T, self.l = K, T, l_vec
        Spre, Sprepost, Spost = sigma[:K, :K], sigma[:K, K:], sigma[K:, K:]
        L = np.eye(K) - np.eye(K, k=-1)  # w -> v (pre weights)
        self.Q = L.T @ Spre @ L
        self.q = 2 * L.T @ Sprepost @ l_vec
        self.c0 = float(l_vec @ Spost @ l_vec)
        self.L = L
        s = np.arange(1, T + 1)
        self.sum_target = float(s @ l_vec)
        self.const = sum(abs(float(np.arange(1, k + 1) @ l_vec[T - k:])) for k in range(1, T + 1)) - self.sum_target
        self.C = np.tril(np.ones((K, K)))

    def var(self, w: np.ndarray) -> float:
        return float(w @ self.Q @ w + self.q @ w + self.c0)

    def bias(self, w: np.ndarray) -> float:
        return float(self.const + np.abs(self.C @ w).sum())

    def min_var(self) -> tuple[float, np.ndarray]:
        # minimise var subject to sum w = target (equality-constrained quadratic: KKT system)
        K = self.K
        A = np.zeros((K + 1, K + 1))
        A[:K, :K] = 2 * self.Q
        A[:K, K] = 1.0
        A[K, :K] = 1.0
        rhs = np.r_[-self.q, self.sum_target]
        sol = np.linalg.lstsq(A, rhs, rcond=None)[0]
        w = sol[:K]
        return np.sqrt(max(self.var(w), 0.0)), w

    def min_bias_w(self) -> np.ndarray:
        w = np.zeros(self.K)
        w[-1] = self.sum_target
        return w

    def min_bias_given_h(self, h: float, start: np.ndarray) -> tuple[float, np.ndarray]:
        K = self.K
        # variables x = (U, w): minimise sum U s.t. U >= |C w|, sum w = target, var(w) <= h^2
        x0 = np.r_[np.abs(self.C @ start) + 1e-9, start]
        cons = [
            {"type": "ineq", "fun": lambda x: x[:K] - self.C @ x[K:], "jac": lambda x: np.hstack([np.eye(K), -self.C])},
            {"type": "ineq", "fun": lambda x: x[:K] + self.C @ x[K:], "jac": lambda x: np.hstack([np.eye(K), self.C])},
            {"type": "eq", "fun": lambda x: np.array([x[K:].sum() - self.sum_target]), "jac": lambda x: np.r_[np.zeros(K), np.ones(K)][None, :]},
            {"type": "ineq", "fun": lambda x: np.array([h**2 - self.var(x[K:])]),
             "jac": lambda x: np.r_[np.zeros(K), -(2 * self.Q @ x[K:] + self.q)][None, :]},
        ]
        res = optimize.minimize(lambda x: x[:K].sum(), x0, jac=lambda x: np.r_[np.ones(K), np.zeros(K)], constraints=cons,
                                method="SLSQP", options={"ftol": 1e-13, "maxiter": 500})
        w = res.x[K:]
        return self.bias(w), w

    def solve(self, M: float, alpha: float) -> tuple[float, np.ndarray]:
        """Half-length and the pre-period weights v of the optimal FLCI."""
        h_min, w_mv = self.min_var()
        w_mb = self.min_bias_w()
        h0 = np.sqrt(max(self.var(w_mb), 0.0))
        if M == 0 or h0 <= h_min * (1 + 1e-10):
            w = w_mb if M > 0 else w_mv
            b = self.bias(w) * M
            sd = np.sqrt(self.var(w))
            # with M = 0 every feasible w is unbiased: the minimum-variance one is optimal
            return sd * _cv_folded(b / sd, alpha), self.L @ w
        cache: dict[float, np.ndarray] = {}

        def half_length(h: float) -> float:
            start = cache.get(h, w_mv if h < (h_min + h0) / 2 else w_mb)
            b, w = self.min_bias_given_h(h, start)
            cache[h] = w
            sd = np.sqrt(max(self.var(w), 1e-300))
            return sd * _cv_folded(M * b / sd, alpha)

        grid = np.linspace(h_min * (1 + 1e-6), h0, 25)
        vals = [half_length(h) for h in grid]
        i = int(np.argmin(vals))
        lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
        res = optimize.minimize_scalar(half_length, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10 * h0})
        h_best = res.x if res.fun <= vals[i] else grid[i]
        b, w = self.min_bias_given_h(h_best, cache.get(h_best, w_mv))
        sd = np.sqrt(self.var(w))
        return sd * _cv_folded(M * b / sd, alpha), self.L @ w


def _event_inputs(result: Result) -> tuple[np.ndarray, np.ndarray, list[int], list[int]]:
    V = result.diagnostics.get("vcov")
    if V is None:
        raise DesignError(f"{result.method}: no covariance of the event-time estimates (diagnostics['vcov']); "
                          "use impact.estimate.event_study or aggte(att_gt(...), 'dynamic')")
    t = result.tidy()
    t = t[t["term"].isin(V.index)]
    t = t[t["event_time"].notna() & (t["event_time"] != -1)].sort_values("event_time")
    ev = t["event_time"].astype(int).tolist()
    pre = [e for e in ev if e < -1]
    post = [e for e in ev if e >= 0]
    if not pre or not post:
        raise DesignError("the sensitivity analysis needs at least one pre-period coefficient (e <= -2) and one post-period one")
    want = list(range(min(pre), -1)) + list(range(0, max(post) + 1))
    if pre + post != want:
        raise DesignError(f"event times must be consecutive around the reference e = -1; found {ev}")
    terms = t.set_index("event_time").loc[pre + post, "term"].tolist()
    return t.set_index("event_time").loc[pre + post, "estimate"].to_numpy(float), V.loc[terms, terms].to_numpy(float), pre, post


@keyword_only(1)
def honest_did(
    result: Result,
    *,
    Mvec: Sequence[float] | None = None,
    l_vec: Sequence[float] | None = None,
    alpha: float = 0.05,
) -> Result:
    """Rambachan-Roth smoothness bounds (Delta^SD(M)) for an event study.

    Parameters
    ----------
    result
        :func:`impact.estimate.event_study` or ``aggte(att_gt(...), "dynamic")`` (use
        ``base_period="universal"`` in ``att_gt`` so every pre-period coefficient is relative to
        ``e = -1``, as the method assumes).
    Mvec
        Bounds ``M`` on the change in slope of the trend violation per period (outcome units);
        default: 0 and 10 values up to the largest pre-period standard error.
    l_vec
        Weights of the post-period effects in the target (default: the effect at ``e = 0``).
    alpha
        1 - coverage.

    Returns
    -------
    Result
        Row ``original`` (the conventional interval of ``l' beta_post``) and one row per ``M``
        (term ``M=...``, extra column ``M``) with the FLCI in ``conf_low``/``conf_high``;
        ``estimate`` is the FLCI's centre. The breakdown value (the smallest M in ``Mvec``
        whose interval contains 0) is in ``info``.
    """
    beta, sigma, pre, post = _event_inputs(result)
    K, T = len(pre), len(post)
    lv = np.zeros(T) if l_vec is None else np.asarray(l_vec, float)
    if l_vec is None:
        lv[0] = 1.0
    if len(lv) != T:
        raise ValueError(f"l_vec has {len(lv)} weights; expected one per post-period coefficient ({T})")
    sd_pre = np.sqrt(np.diag(sigma)[:K])
    Ms = list(np.r_[0.0, np.linspace(sd_pre.max() / 10, sd_pre.max(), 10)]) if Mvec is None else [float(m) for m in Mvec]
    theta = float(lv @ beta[K:])
    se = float(np.sqrt(lv @ sigma[K:, K:] @ lv))
    z = stats.norm.ppf(1 - alpha / 2)
    rows: list[dict[str, Any]] = [{"term": "original", "estimate": theta, "std_error": se, "conf_low": theta - z * se,
                                   "conf_high": theta + z * se, "M": np.nan}]
    solver = _FLCI(sigma, K, T, lv)
    for M in Ms:
        hl, v = solver.solve(M, alpha)
        centre = float(v @ beta[:K] + lv @ beta[K:])
        rows.append({"term": f"M={M:.6g}", "estimate": centre, "std_error": np.nan, "conf_low": centre - hl, "conf_high": centre + hl, "M": M})
    table = pd.DataFrame(rows)
    table["unit"] = str(result.tidy()["unit"].iloc[0])
    table["method"] = "Rambachan-Roth smoothness (Delta^SD), FLCI"
    contains0 = table[(table["term"] != "original") & (table["conf_low"] <= 0) & (table["conf_high"] >= 0)]
    info = {"Target": "effect at e=0" if l_vec is None else f"l'beta_post, l = {list(lv)}",
            "Pre-period coefficients": f"{K} (e = {pre[0]} to -2)", "Post-period coefficients": f"{T}",
            "Breakdown M (smallest M in the grid whose interval contains 0)": (f"{contains0['M'].min():.4g}" if len(contains0) else
                                                                               "none in the grid")}
    return Result(table=table, method="Sensitivity to parallel-trend violations (Rambachan-Roth 2023, smoothness)",
                  assumptions=("the bias delta bends by at most M per period (second differences of delta bounded by M)",
                               "the event-study coefficients are asymptotically normal with the given covariance"),
                  info=info, level=1 - alpha)
