"""Estimates under the designs: the first wave's and a program's difference in differences
(``wave_att``, ``program_att``), cluster randomisation inference (``program_permutation``) and
the table of every program's estimate (``program_table``).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from impact.design_definitions import FEW_TREATED, SECTOR_OUTCOME, SECTORS, Lang, design
from impact.errors import DesignError


def wave_att(
    panel: pd.DataFrame,
    yname: str,
    *,
    gname: str = "cohort",
    cluster: str | None = None,
    biters: int = 999,
    seed: int | None = 0,
) -> Any:
    """The ``wave_timing`` design: Callaway–Sant'Anna ATT with not-yet-treated controls.

    Every county is paired by the end, so ATT(g, t) is identified only for years before
    the last wave's pairing; :func:`impact.estimate.staggered` drops the others. The
    simple aggregate is ``sum_{g,t<=...} N_g ATT(g,t) / sum N_g`` over identified cells.
    """
    from impact.estimate import staggered

    return staggered(panel, yname, tname="year", idname="county_code", gname=gname, control_group="notyettreated",
                     cluster=cluster, biters=biters, seed=seed, twfe=False)


def program_att(
    panel: pd.DataFrame,
    sector: str,
    *,
    yname: str | None = None,
    cluster: str | None = None,
    biters: int = 999,
    seed: int | None = 0,
) -> Any:
    """The ``program_exposure`` design for ``sector``: counties with a program of the sector
    (``cohort_<sector>`` > 0) against paired counties without one, Callaway–Sant'Anna.

    With fewer than :data:`FEW_TREATED` treated counties the analytic interval is not
    trusted; use :func:`program_permutation` (randomisation inference) alongside.
    """
    from impact.estimate import staggered

    if sector not in SECTORS:
        raise DesignError(f"sector={sector!r} has no county-panel exposure; expected one of {', '.join(SECTORS)}")
    return staggered(panel, yname or SECTOR_OUTCOME[sector], tname="year", idname="county_code", gname=f"cohort_{sector}",
                     control_group="nevertreated", cluster=cluster, biters=biters, seed=seed, twfe=False)


def _did_parts(panel: pd.DataFrame, yname: str, gname: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-county arrays for the program DiD: outcome matrix Y (county x year), years,
    cohorts g (0 = no program) and county codes, sorted by code."""
    wide = panel.pivot_table(index="county_code", columns="year", values=yname, aggfunc="first").sort_index()
    g = panel.groupby("county_code")[gname].max().reindex(wide.index).to_numpy(int)
    if wide.isna().any().any():
        raise DesignError(f"{yname}: the panel is not balanced; randomisation inference needs every county-year")
    return wide.to_numpy(float), np.asarray(wide.columns, int), g, wide.index.to_numpy()


def _did_stat(Y: np.ndarray, years: np.ndarray, g: np.ndarray) -> np.ndarray:
    """DiD against units without the program, for each column of assignments ``g``
    (k units x m draws): the mean over treated post cells of
    ``(Y_it - Ybar_i,pre) - (Ybar_Ct - Ybar_C,pre)``, ``C`` the units with ``g == 0`` and the
    pre means over the years before the cell's cohort. With
    ``B_i(c) = sum_{t >= c} (Y_it - Ybar_i,pre(c))`` the numerator is
    ``sum_c [sum_{i: g_i = c} B_i(c) - n_c mean_{j in C} B_j(c)]`` (balanced panel), so all
    draws are computed at once."""
    num = np.zeros(g.shape[1])
    den = np.zeros(g.shape[1])
    ctrl = (g == 0).astype(float)
    n_ctrl = ctrl.sum(axis=0)
    for c in np.unique(g[g > 0]):
        pre = years < c
        n_post = int(np.sum(~pre))
        B = Y[:, ~pre].sum(axis=1) - n_post * Y[:, pre].mean(axis=1)
        tr = (g == c).astype(float)
        n_c = tr.sum(axis=0)
        num += B @ tr - n_c * (B @ ctrl) / n_ctrl
        den += n_c * n_post
    return num / den


def _cluster_permutation(
    g: np.ndarray, members: list[np.ndarray], treated: list[tuple[int, np.ndarray]], rng: np.random.Generator
) -> np.ndarray:
    """One re-assignment of cohorts ``g`` that keeps their clustering: each cluster holding
    treated units (``treated``: cluster index and its cohorts) is mapped to a randomly chosen
    cluster (a permutation of all clusters), and its cohorts go to randomly chosen units of
    that image (as many as it holds). ``members[k]``: the units of cluster ``k``."""
    image = rng.permutation(len(members))
    out = np.zeros_like(g)
    for k, cohorts in treated:
        pool = members[image[k]]
        take = rng.choice(pool, size=min(len(cohorts), len(pool)), replace=False)
        out[take] = rng.permutation(cohorts)[: len(take)]
    return out


def program_permutation(
    panel: pd.DataFrame,
    sector: str,
    *,
    yname: str | None = None,
    cluster: str | None = "prefecture_code",
    reps: int = 999,
    alpha: float = 0.05,
    seed: int = 0,
) -> dict[str, float]:
    """Randomisation inference for the ``program_exposure`` design with few treated counties.

    The statistic ``T`` is the DiD of treated post cells against counties without the
    program (each treated county's post years minus its own pre mean, minus the same for
    the comparison mean; :func:`_did_stat`). Under the sharp null ``tau_it = b`` for every
    treated post cell, ``T(Y - b D)`` has the same distribution under any re-assignment of
    the program that the design treats as equally likely. Re-assignments keep the
    program's clustering (``cluster``, default prefecture: the clusters holding programs
    are mapped to random clusters and the counties within them drawn at random), so
    shocks shared by a prefecture's counties enter the null distribution; ``cluster=None``
    shuffles cohorts over all counties. The interval collects the ``b`` not rejected at
    level ``alpha`` (Fisher 1935; Imbens and Rubin 2015, ch. 5; cluster-preserving
    placements as in Conley and Taber 2011), found by bisection. It is an interval for the
    effect **in the treated counties** (the sample ATT), the question few counties can answer.
    The p-value and the inversion are :func:`impact.estimate.randomization.permutation_inference`,
    the core :func:`impact.estimate.randomization_test` uses too: ``p = (1 + hits) / (reps + 1)``
    (Phipson and Smyth 2010); with ``cluster=None`` the assignments are drawn as that test draws
    them, so on the same data and seed both give the same p-value and interval.
    Returns ``estimate, conf_low, conf_high, p_value, reps, n_treated``.
    """
    yname = yname or SECTOR_OUTCOME[sector]
    Y, years, g, codes = _did_parts(panel, yname, f"cohort_{sector}")
    if not (g > 0).any() or not (g == 0).any():
        raise DesignError(f"{sector}: randomisation inference needs counties with and without the program")
    from impact.estimate.randomization import permutation_inference, random_orders

    rng = np.random.default_rng(seed)
    if cluster is None:
        # the shared draw of impact.estimate.randomization_test: the cohorts, largest first, go to
        # the units a random ordering places first (one cohort: the first n_treated units)
        ranked = np.sort(g)[::-1]
        draws = []
        for order in random_orders(len(g), reps, rng):
            d = np.empty_like(g)
            d[order] = ranked
            draws.append(d)
    else:
        cl = panel.groupby("county_code")[cluster].first().reindex(codes).astype(str).to_numpy()
        idx, labels = pd.factorize(cl, sort=True)
        members = [np.flatnonzero(idx == k) for k in range(len(labels))]
        treated = [(k, g[m][g[m] > 0]) for k, m in enumerate(members) if (g[m] > 0).any()]
        draws = [_cluster_permutation(g, members, treated, rng) for _ in range(reps)]
    perms = np.column_stack([g] + draws)
    D = (g[:, None] > 0) & (years[None, :] >= g[:, None])
    a = _did_stat(Y, years, perms)  # T_p(Y)
    b = _did_stat(D.astype(float), years, perms)  # T_p(D): the statistic is linear in Y, so T_p(Y - b0 D) = a - b0 b
    est = float(a[0])
    p, lo, hi = permutation_inference(lambda b0: (a[0] - b0 * b[0], a[1:] - b0 * b[1:]), estimate=est,
                                      step=float(np.std(a[1:])), alpha=alpha)
    return {"estimate": est, "conf_low": lo, "conf_high": hi, "p_value": p,
            "reps": float(reps), "n_treated": float(np.sum(g > 0))}


def program_table(
    panel: pd.DataFrame,
    *,
    sectors: Sequence[str] = SECTORS,
    lang: Lang = "zh",
    reps: int = 999,
    seed: int = 0,
) -> pd.DataFrame:
    """The ``program_exposure`` design for each sector, with the interval a report should show.

    One row per sector with a program in the panel: ``sector, outcome, estimate, conf_low,
    conf_high, p_value, inference, n_program_counties, n_comparison_counties, design``.
    With at least :data:`FEW_TREATED` program counties the Callaway–Sant'Anna estimate and
    its analytic interval clustered by prefecture (``inference = "analytic"``); with fewer,
    the same comparison with randomisation inference (:func:`program_permutation`,
    ``inference = "randomisation"``), whose coverage the studies in ``docs/design.md``
    show where the analytic interval fails. ``design`` is the design's sentence in ``lang``.
    """
    from impact.estimate.staggered import aggte, att_gt

    rows = []
    sentence = design("program_exposure").sentence(lang)
    for s in sectors:
        col = f"cohort_{s}"
        if col not in panel.columns:
            continue
        g = panel.groupby("county_code")[col].max()
        n1, n0 = int((g > 0).sum()), int((g == 0).sum())
        if n1 == 0 or n0 == 0:
            continue
        y = SECTOR_OUTCOME[s]
        if n1 >= FEW_TREATED:
            gt = att_gt(panel, y, tname="year", idname="county_code", gname=col, control_group="nevertreated", bstrap=False,
                        cluster="prefecture_code" if "prefecture_code" in panel.columns else None)
            r = aggte(gt, "simple").table.iloc[0]
            est, lo, hi, p, inf = r["estimate"], r["conf_low"], r["conf_high"], r["p_value"], "analytic"
        else:
            cl = "prefecture_code" if "prefecture_code" in panel.columns else None
            r = program_permutation(panel, s, cluster=cl, reps=reps, seed=seed)
            est, lo, hi, p, inf = r["estimate"], r["conf_low"], r["conf_high"], r["p_value"], "randomisation"
        rows.append({"sector": s, "outcome": y, "estimate": float(est), "conf_low": float(lo),
                     "conf_high": float(hi), "p_value": float(p), "inference": inf,
                     "n_program_counties": n1, "n_comparison_counties": n0, "design": sentence})
    cols = ["sector", "outcome", "estimate", "conf_low", "conf_high", "p_value", "inference",
            "n_program_counties", "n_comparison_counties", "design"]
    return pd.DataFrame(rows, columns=cols)
