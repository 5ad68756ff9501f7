"""Inference for Callaway-Sant'Anna: analytic influence-function standard errors and the
multiplier bootstrap with a uniform (sup-t) critical value (R ``did::mboot``).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ._cs_fit import BootWeights, GTFit

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
