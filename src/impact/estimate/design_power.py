"""Power and minimum detectable effect (MDE) for the designs the programmes use.

Every design reduces to a t-test of a difference whose standard error is ``sigma * k`` with
``df`` degrees of freedom (``sigma``: standard deviation of the outcome among comparable units,
in the outcome's units). Power at effect ``delta`` is computed exactly from the noncentral t
distribution,

    power = P(|T_df(ncp)| > t_{df, 1 - alpha/2}),   ncp = delta / (sigma k),

and the MDE is the ``delta`` solving ``power(delta) = target`` (root-finding); for large ``df`` it
tends to ``(z_{1-alpha/2} + z_{power}) sigma k`` (the multiplier 2.80 for alpha = 0.05 and
power 0.80, Bloom 1995). ``k`` and ``df`` per design:

- ``individual``: ``n_treated``, ``n_control`` units: ``k = sqrt(1/n1 + 1/n0)``, ``df = n1 + n0 - 2``.
- ``cluster``: ``clusters`` (J) of ``cluster_size`` (m) units, share ``treated_share`` (P) of
  clusters treated, intra-cluster correlation ``icc`` (rho):
  ``k = sqrt((rho + (1 - rho)/m) / (P (1 - P) J))``, ``df = J - 2`` (Bloom 2007; Duflo,
  Glennerster & Kremer 2007, eq. 11); the design effect is ``1 + (m - 1) rho``.
- ``did``: one baseline and one follow-up per unit with correlation ``r`` between them,
  comparison of changes: ``k = sqrt(2 (1 - r) (1/n1 + 1/n0))``; ``ancova`` (follow-up adjusted for
  baseline): ``k = sqrt((1 - r^2)(1/n1 + 1/n0))``; ``df = n1 + n0 - 2`` (McKenzie 2012). With
  ``clusters``/``cluster_size``/``icc`` (the ICC of the analysed quantity) the cluster formula
  applies to the variance factor ``2 (1 - r)`` or ``1 - r^2``.
- ``paired``: ``pairs`` pairs (a treated and a check plot), correlation ``r`` of the pair's
  outcomes: ``k = sqrt(2 (1 - r) / pairs)``, ``df = pairs - 1`` (paired t-test).

References
----------
Bloom, H. S. (1995). Minimum detectable effects: a simple way to report the statistical power
of experimental designs. Evaluation Review 19(5), 547-556.
Bloom, H. S. (2007). Sample design for group-randomized trials. In: Bloom (ed.), Learning More
from Social Experiments. Russell Sage.
Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences, 2nd ed., Table 2.4.1.
Duflo, E., Glennerster, R. and Kremer, M. (2007). Using randomization in development economics
research: a toolkit. Handbook of Development Economics 4, 3895-3962.
McKenzie, D. (2012). Beyond baseline and follow-up: the case for more T in experiments.
Journal of Development Economics 99(2), 210-221.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal, get_args

import numpy as np
import pandas as pd
from scipy import optimize, stats

from impact.results import Result, check_option

Design = Literal["individual", "cluster", "did", "ancova", "paired"]


@dataclass(frozen=True)
class _Scale:
    k: float
    df: float
    description: str


def _scale(design: str, *, n_treated: float | None, n_control: float | None, clusters: float | None,
           cluster_size: float | None, icc: float, treated_share: float, r: float, pairs: float | None) -> _Scale:
    def need(**kw: float | None) -> None:
        missing = [k for k, v in kw.items() if v is None]
        if missing:
            raise ValueError(f"design={design!r} needs {', '.join(missing)}")
        bad = [f"{k}={v!r}" for k, v in kw.items() if not (v is not None and v > 0)]
        if bad:
            raise ValueError(f"{', '.join(bad)}: expected positive numbers")

    if not 0 <= icc <= 1:
        raise ValueError(f"icc={icc!r}: expected an intra-cluster correlation between 0 and 1")
    if not -1 < r < 1:
        raise ValueError(f"r={r!r}: expected a correlation strictly between -1 and 1")
    if not 0 < treated_share < 1:
        raise ValueError(f"treated_share={treated_share!r}: expected a share strictly between 0 and 1")
    if design == "paired":
        need(pairs=pairs)
        return _Scale(float(np.sqrt(2 * (1 - r) / pairs)), float(pairs) - 1, f"{pairs:g} pairs, within-pair correlation {r:g}")
    factor = {"individual": 1.0, "cluster": 1.0, "did": 2 * (1 - r), "ancova": 1 - r**2}[design]
    if design == "cluster" or (design in ("did", "ancova") and clusters is not None):
        need(clusters=clusters, cluster_size=cluster_size)
        J, m, P = float(clusters), float(cluster_size), treated_share
        k = np.sqrt(factor * (icc + (1 - icc) / m) / (P * (1 - P) * J))
        return _Scale(float(k), J - 2, f"{J:g} clusters of {m:g}, {P:.0%} treated, ICC {icc:g}"
                      + (f", baseline correlation {r:g}" if design != "cluster" else ""))
    need(n_treated=n_treated, n_control=n_control)
    k = np.sqrt(factor * (1 / n_treated + 1 / n_control))
    return _Scale(float(k), float(n_treated + n_control - 2), f"{n_treated:g} treated, {n_control:g} comparison units"
                  + (f", baseline correlation {r:g}" if design in ("did", "ancova") else ""))


def _power(delta: float, sc: _Scale, alpha: float) -> float:
    tcrit = stats.t.ppf(1 - alpha / 2, sc.df)
    ncp = delta / sc.k
    if sc.df > 1e5:  # the noncentral t is the normal here (and scipy's nct loses accuracy)
        z = stats.norm.ppf(1 - alpha / 2)
        return float(stats.norm.sf(z - ncp) + stats.norm.cdf(-z - ncp))
    p = float(stats.nct.sf(tcrit, sc.df, ncp) + stats.nct.cdf(-tcrit, sc.df, ncp))
    return 1.0 if np.isnan(p) and ncp > tcrit else p


def _mde(sc: _Scale, alpha: float, power: float) -> float:
    """MDE in units of sigma."""
    approx = (stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * sc.k
    return float(optimize.brentq(lambda d: _power(d, sc, alpha) - power, 1e-9 * approx, 3 * approx, xtol=1e-12 * approx))


def mde(
    *,
    design: Design,
    sd: float = 1.0,
    alpha: float = 0.05,
    power: float = 0.8,
    n_treated: float | None = None,
    n_control: float | None = None,
    clusters: float | None = None,
    cluster_size: float | None = None,
    icc: float = 0.0,
    treated_share: float = 0.5,
    r: float = 0.0,
    pairs: float | None = None,
    unit: str = "sd",
) -> Result:
    """Minimum detectable effect of a two-sided test at level ``alpha`` with the given ``power``.

    ``sd`` is the outcome's standard deviation (the MDE is in its units; ``sd=1`` gives the MDE
    in standard deviations, ``unit`` names the units). Returns a Result with one row ``mde``
    (``estimate`` = MDE, extra columns ``power``, ``alpha``, ``df``, ``multiplier`` = MDE / se).
    See the module docstring for the design formulas.
    """
    check_option("design", design, get_args(Design))
    sc = _scale(design, n_treated=n_treated, n_control=n_control, clusters=clusters, cluster_size=cluster_size, icc=icc,
                treated_share=treated_share, r=r, pairs=pairs)
    m = _mde(sc, alpha, power) * sd
    return _result("mde", m, sd * sc.k, sc, design, alpha, power, unit)


def power(
    effect: float,
    *,
    design: Design,
    sd: float = 1.0,
    alpha: float = 0.05,
    n_treated: float | None = None,
    n_control: float | None = None,
    clusters: float | None = None,
    cluster_size: float | None = None,
    icc: float = 0.0,
    treated_share: float = 0.5,
    r: float = 0.0,
    pairs: float | None = None,
    unit: str = "sd",
) -> Result:
    """Power of a two-sided level-``alpha`` test to detect ``effect`` (units of ``sd``)."""
    check_option("design", design, get_args(Design))
    sc = _scale(design, n_treated=n_treated, n_control=n_control, clusters=clusters, cluster_size=cluster_size, icc=icc,
                treated_share=treated_share, r=r, pairs=pairs)
    pw = _power(effect / sd, sc, alpha)
    return _result("power", pw, sd * sc.k, sc, design, alpha, pw, unit, effect=effect)


def sample_size(
    effect: float,
    *,
    sd: float = 1.0,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
) -> int:
    """Units per arm (comparison arm = ``ratio`` x treated) for an individual-level two-sample t-test.

    The smallest whole ``n1`` with power at least ``power``; Cohen (1988) Table 2.4.1 lists 64
    per group for ``effect / sd = 0.5``.
    """
    d = effect / sd
    if d <= 0:
        raise ValueError(f"effect={effect!r}: expected a positive effect")
    n = 2
    while _power(d, _Scale(float(np.sqrt(1 / n + 1 / (ratio * n))), n + ratio * n - 2, ""), alpha) < power:
        n += 1 if n < 1000 else max(1, n // 100)
    return int(n)


def _result(term: str, value: float, se: float, sc: _Scale, design: str, alpha: float, pw: float, unit: str,
            effect: float | None = None) -> Result:
    row = {"term": term, "estimate": value, "std_error": se, "n": None, "unit": unit if term == "mde" else "probability",
           "method": f"Analytic power ({design})", "power": pw, "alpha": alpha, "df": sc.df,
           "multiplier": (value / se) if term == "mde" else np.nan, "effect": effect if effect is not None else np.nan}
    info = {"Design": design, "Sample": sc.description, "Test": f"two-sided t-test, alpha {alpha:g}, {sc.df:g} df (noncentral t)",
            "Standard error of the estimate": f"{se:.4g} {unit}"}
    res = Result(table=pd.DataFrame([row]), method=f"Power analysis ({design})",
                 assumptions=("the outcome's standard deviation, ICC and correlations are as stated (from a baseline or pilot, never invented)",
                              "normal errors; the t-test with the stated degrees of freedom is the analysis that will be run"),
                 info=info)
    res.text = lambda lang: (
        (f"最小可检测效应为 {value:,.3g}（{unit}，检验水准 {alpha:g}，检验效能 {pw:.0%}）。" if term == "mde"
         else f"检测效应 {effect:,.3g} 的检验效能为 {value:.0%}。") if lang == "zh" else
        (f"The minimum detectable effect is {value:,.3g} {unit} (alpha {alpha:g}, power {pw:.0%})." if term == "mde"
         else f"The power to detect an effect of {effect:,.3g} is {value:.0%}.")
    )
    return res


def simulated_power(
    simulate: Callable[[int], pd.DataFrame],
    estimate: Callable[[pd.DataFrame], Result],
    *,
    reps: int = 200,
    term: str | None = None,
    alpha: float = 0.05,
    truth: float | None = None,
    seed: int = 0,
) -> Result:
    """Power (and bias, coverage) of an estimator by simulation, for designs without a formula.

    ``simulate(seed)`` returns one data set (e.g. ``lambda s: impact.simulate.county_panel(s)[0]``
    for the staggered county design, whose true effects are in its truth file); ``estimate(data)``
    returns a Result whose row ``term`` (default: the first) is tested. Over seeds
    ``seed, ..., seed + reps - 1``: power = share of ``p_value < alpha`` with Monte Carlo standard
    error ``sqrt(power (1 - power) / reps)``; with ``truth``, also the mean estimate, bias,
    RMSE and the coverage of the reported intervals.
    """
    if reps < 2:
        raise ValueError(f"reps={reps!r}: expected at least 2 replications")
    est_, p_, lo_, hi_ = [], [], [], []
    for r in range(reps):
        t = estimate(simulate(seed + r)).tidy()
        row = t.iloc[0] if term is None else t[t["term"] == term].iloc[0]
        est_.append(float(row["estimate"]))
        p_.append(float(row["p_value"]))
        lo_.append(float(row["conf_low"]))
        hi_.append(float(row["conf_high"]))
    e, p, lo, hi = map(np.asarray, (est_, p_, lo_, hi_))
    pw = float(np.mean(p < alpha))
    rows = [{"term": "power", "estimate": pw, "std_error": float(np.sqrt(pw * (1 - pw) / reps)), "n": reps, "unit": "probability"}]
    if truth is not None:
        cov = float(np.mean((lo <= truth) & (truth <= hi)))
        rows += [{"term": "mean_estimate", "estimate": float(e.mean()), "std_error": float(e.std(ddof=1) / np.sqrt(reps)), "n": reps},
                 {"term": "bias", "estimate": float(e.mean() - truth), "std_error": float(e.std(ddof=1) / np.sqrt(reps)), "n": reps},
                 {"term": "rmse", "estimate": float(np.sqrt(np.mean((e - truth) ** 2))), "n": reps},
                 {"term": "coverage", "estimate": cov, "std_error": float(np.sqrt(cov * (1 - cov) / reps)), "n": reps,
                  "unit": "probability"}]
    table = pd.DataFrame(rows)
    table["method"] = "Power by simulation"
    return Result(table=table, method="Power by simulation",
                  assumptions=("the simulator reproduces the design, the effect size and the noise of the real data",),
                  info={"Replications": reps, "Seeds": f"{seed} to {seed + reps - 1}", "Level": alpha,
                        "Truth": "not given" if truth is None else f"{truth:g}"})
