"""Randomisation (permutation) inference for a completed randomised or quasi-randomised design.

Under the sharp null ``H0: Y_i(1) - Y_i(0) = tau0`` for every unit, the outcomes under any
other assignment are known (``Y_i(0) = Y_i - tau0 D_i``), so the distribution of the test
statistic over the assignments the design could have produced is known exactly (Fisher 1935;
Imbens & Rubin 2015, ch. 5). The assignments respect the design:

- ``strata``: treatment is re-assigned within each stratum, keeping its number of treated
  (a paired design is strata of two: every pair flips or not);
- ``cluster``: treatment is constant within a cluster and re-assigned across clusters (within
  strata of clusters when both are given).

When the number of possible assignments ``N_A = prod_s C(n_s, n1_s)`` (over strata, counting
clusters) is at most ``reps``, every assignment is enumerated and the p-value
``p = #{a : |T(a)| >= |T_obs|} / N_A`` is exact: ``P(p <= alpha) <= alpha`` under H0 for every
``alpha``. Otherwise ``reps`` assignments are drawn at random and ``p = (1 + #{|T*| >= |T_obs|}) / (reps + 1)``:
the observed assignment counts as one of the draws, so the p-value is never 0 and the test stays
exact at every level (Phipson & Smyth 2010). :func:`permutation_p_value` and
:func:`permutation_inference` are the one core of this convention, shared with the
cluster-preserving program permutation of :func:`impact.design.program_permutation`.

The interval collects every constant effect ``tau0`` the test does not reject at level ``alpha``
(test inversion, Imbens & Rubin 2015, sec. 5.7), found by bisection on the same assignments.
"""

from __future__ import annotations

import itertools
import math
from typing import Callable, Literal, get_args

import numpy as np
import pandas as pd

from impact.errors import DesignError
from impact.results import Result, check_option

from ._common import drop_missing, invert_test, keyword_only, require_binary, require_columns, require_numeric, require_variation

Statistic = Literal["diff_means", "t"]

ASSUMPTIONS_RI = (
    "treatment was assigned at random by the stated design (within strata, by cluster): the permutations reproduce it",
    "the sharp null: the effect is the same constant for every unit (zero for the p-value)",
    "no interference between units (SUTVA)",
)


def random_orders(n: int, reps: int, rng: np.random.Generator) -> np.ndarray:
    """``reps`` random orderings of ``n`` units (``reps x n`` indices): the argsort of uniform
    keys. A draw re-assigns treatment to the units placed first (as many as are treated)."""
    return np.argsort(rng.random((reps, n)), axis=1)


def permutation_p_value(observed: float, draws: np.ndarray, *, enumerated: bool = False) -> float:
    """Two-sided randomisation p-value of ``observed`` against the statistics of ``draws``.

    ``p = #{|T*| >= |T_obs|} / N_A`` when ``draws`` enumerate every assignment (the observed one
    among them); ``p = (1 + #{|T*| >= |T_obs|}) / (reps + 1)`` when they are ``reps`` random
    draws (Phipson, B. and Smyth, G. K. 2010, Permutation p-values should never be zero,
    Stat. Appl. Genet. Mol. Biol. 9(1), art. 39). Ties within ``1e-12`` relative count as hits.
    """
    dev = abs(float(observed))
    hits = int(np.sum(np.abs(draws) >= dev - 1e-12 * max(1.0, dev)))
    n = len(draws)
    return hits / n if enumerated else (hits + 1) / (n + 1)


def permutation_inference(stat: Callable[[float], tuple[float, np.ndarray]], *, estimate: float, step: float,
                          alpha: float, enumerated: bool = False, ci: bool = True) -> tuple[float, float, float]:
    """The p-value of ``H0: tau = 0`` and the test-inversion interval of one randomisation test.

    ``stat(tau0)`` returns the observed statistic and the statistics of the assignments, both
    computed on the untreated outcomes implied by ``H0: tau = tau0`` (``Y - tau0 D``);
    :func:`permutation_p_value` turns them into ``p(tau0)``, and the interval
    ``{tau0 : p(tau0) > alpha}`` is found by :func:`impact.estimate._common.invert_test`
    from ``estimate`` in steps of ``step`` (the spread of the null distribution).
    Returns ``(p(0), low, high)`` (NaN ends when ``ci`` is False).
    """

    def pval(tau0: float) -> float:
        obs, draws = stat(tau0)
        return permutation_p_value(obs, draws, enumerated=enumerated)

    lo = hi = np.nan
    if ci:
        lo, hi = invert_test(pval, estimate, step if step > 0 else 1.0, alpha)
    return pval(0.0), lo, hi


def _assignments(units_by_stratum: list[np.ndarray], n_treated: list[int], n_units: int, reps: int,
                 rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """Assignment matrix (``A x n_units``, 0/1) and whether it is the full enumeration."""
    total = 1
    for u, k in zip(units_by_stratum, n_treated):
        total *= math.comb(len(u), k)
        if total > reps:
            break
    if total <= reps:
        per = [[np.isin(u, np.array(c, dtype=u.dtype)) for c in itertools.combinations(u, k)]
               for u, k in zip(units_by_stratum, n_treated)]
        rows = []
        for combo in itertools.product(*per):
            a = np.zeros(n_units)
            for u, m in zip(units_by_stratum, combo):
                a[u] = m
            rows.append(a)
        return np.array(rows), True
    A = np.zeros((reps, n_units))
    for u, k in zip(units_by_stratum, n_treated):
        order = random_orders(len(u), reps, rng)[:, :k]
        A[np.arange(reps)[:, None], u[order]] = 1.0
    return A, False


def _stat(Y: np.ndarray, A: np.ndarray, kind: str) -> np.ndarray:
    """Statistic for each row of A (0/1 over observations)."""
    n1 = A.sum(1)
    n0 = A.shape[1] - n1
    s1 = A @ Y
    m1 = s1 / n1
    m0 = (Y.sum() - s1) / n0
    diff = m1 - m0
    if kind == "diff_means":
        return diff
    q1 = A @ (Y**2)
    v1 = (q1 - n1 * m1**2) / (n1 - 1)
    v0 = ((Y**2).sum() - q1 - n0 * m0**2) / (n0 - 1)
    return diff / np.sqrt(v1 / n1 + v0 / n0)


@keyword_only()
def randomization_test(
    data: pd.DataFrame,
    yname: str,
    *,
    dname: str,
    strata: str | None = None,
    cluster: str | None = None,
    statistic: Statistic = "diff_means",
    reps: int = 9999,
    seed: int | None = None,
    alpha: float = 0.05,
    ci: bool = True,
) -> Result:
    """Randomisation inference for the effect of ``dname`` on ``yname``.

    Parameters
    ----------
    data, yname
        The table and the outcome (units of ``yname``).
    dname
        0/1 treatment as assigned.
    strata
        Column of randomisation strata (blocks, pairs: e.g. ``"pair_id"`` of plot trials).
    cluster
        Column of the unit of assignment (e.g. ``"village_id"``, ``"county_code"``); treatment
        must be constant within it.
    statistic
        ``"diff_means"`` (difference in means) or ``"t"`` (Welch t, studentised; more robust to
        unequal variances when used for the interval).
    reps
        Number of random assignments when the full enumeration is larger than ``reps``.
    seed
        Seed for the random assignments (none needed under full enumeration).
    alpha
        Level of the test-inversion interval.
    ci
        Compute the interval (bisection; costs about 60 further passes over the assignments).

    Returns
    -------
    Result
        One row ``effect``: the difference in means, ``p_value`` from the randomisation
        distribution, ``conf_low``/``conf_high`` by test inversion, ``std_error`` the standard
        deviation of the statistic over the assignments (diff_means only); ``info`` says whether
        the enumeration was complete and how many assignments there are.

    References
    ----------
    Fisher, R. A. (1935). The Design of Experiments. Imbens, G. W. and Rubin, D. B. (2015).
    Causal Inference for Statistics, Social, and Biomedical Sciences, ch. 5.
    Young, A. (2019). Channeling Fisher: randomization tests and the statistical
    insignificance of seemingly significant experimental results. QJE 134(2), 557-598.
    """
    check_option("statistic", statistic, get_args(Statistic))
    require_columns(data, [yname, dname, strata, cluster])
    require_numeric(data, [yname])
    require_binary(data, dname)
    df = drop_missing(data, [yname, dname, strata, cluster]).reset_index(drop=True)
    if cluster is None:  # units in a canonical order, so the seeded draws do not depend on row order
        df = df.sort_values([c for c in (strata, dname, yname) if c is not None], kind="mergesort").reset_index(drop=True)
    require_variation(df[dname], dname)
    Y = df[yname].to_numpy(float)
    D = df[dname].to_numpy(float)
    n = len(Y)
    # the unit of assignment: clusters (treatment constant within) or observations
    if cluster is not None:
        per = df.groupby(cluster, sort=True)[dname].nunique()
        if (per > 1).any():
            raise DesignError(f"treatment {dname!r} varies within cluster {per[per > 1].index[0]!r} of {cluster!r}; "
                              "with cluster assignment every member of a cluster has the same treatment")
        cl_codes, cl_keys = pd.factorize(df[cluster], sort=True)
        n_a = len(cl_keys)
        Da = np.zeros(n_a)
        Da[cl_codes] = D
    else:
        cl_codes = np.arange(n)
        n_a = n
        Da = D
    if strata is not None:
        s_of_unit = pd.Series(df[strata].to_numpy()).groupby(cl_codes).agg(lambda s: s.nunique())
        if (s_of_unit > 1).any():
            raise DesignError(f"a cluster of {cluster!r} spans more than one stratum of {strata!r}; clusters must nest in strata")
        s_codes = pd.factorize(pd.Series(df[strata].to_numpy()).groupby(cl_codes).first().to_numpy(), sort=True)[0]
    else:
        s_codes = np.zeros(n_a, int)
    units_by_stratum, n_treated = [], []
    for s in range(s_codes.max() + 1):
        u = np.flatnonzero(s_codes == s)
        k = int(Da[u].sum())
        if 0 < k < len(u):  # strata with no variation contribute nothing to re-randomise
            units_by_stratum.append(u)
            n_treated.append(k)
    if not units_by_stratum:
        raise DesignError("no stratum has both treated and untreated units: nothing can be re-randomised")
    rng = np.random.default_rng(seed)
    Aa, enumerated = _assignments(units_by_stratum, n_treated, n_a, reps, rng)
    A = Aa[:, cl_codes]  # assignments at the observation level
    t_obs = float(_stat(Y, D[None, :], statistic)[0])
    est = float(_stat(Y, D[None, :], "diff_means")[0])

    def stat(tau0: float) -> tuple[float, np.ndarray]:
        # under H0: tau = tau0 the untreated outcomes are y0 = Y - tau0 D whatever the assignment,
        # and the statistic of assignment a, centred at tau0, is the statistic of (y0, a)
        y0 = Y - tau0 * D
        return float(_stat(y0, D[None, :], statistic)[0]), _stat(y0, A, statistic)

    null = _stat(Y, A, "diff_means")
    se = float(np.std(null, ddof=0)) if statistic == "diff_means" else np.nan
    p, lo, hi = permutation_inference(stat, estimate=est, step=float(np.std(null)), alpha=alpha,
                                      enumerated=enumerated, ci=ci)
    design = "clusters" if cluster else "units"
    method = f"Randomisation inference ({statistic}, {'full enumeration' if enumerated else f'{len(A)} random assignments'})"
    row = {"term": "effect", "estimate": est, "std_error": se, "statistic": t_obs, "p_value": p, "conf_low": lo,
           "conf_high": hi, "n": n, "unit": yname, "method": method, "assignments": len(A), "enumerated": enumerated}
    info = {"Outcome": yname, "Treatment": dname, "Unit of assignment": f"{cluster} ({n_a} {design})" if cluster else f"observation ({n})",
            "Strata": f"{strata} ({len(units_by_stratum)} with both arms)" if strata else "none",
            "Assignments": f"{len(A):,} ({'all possible: exact p-value' if enumerated else 'random draws'})",
            "Interval": f"test inversion under a constant effect, level {1 - alpha:.0%}" if ci else "not computed"}
    res = Result(table=pd.DataFrame([row]), method=method, assumptions=ASSUMPTIONS_RI, info=info,
                 diagnostics={"null_distribution": pd.DataFrame({"statistic": null})}, level=1 - alpha)
    res.text = lambda lang: (
        f"{yname} 的处理效应估计为 {est:,.3g}，随机化推断 p = {p:.3g}。" if lang == "zh"
        else f"The estimated effect on {yname} is {est:,.3g}; randomisation-inference p = {p:.3g}."
    )
    return res
