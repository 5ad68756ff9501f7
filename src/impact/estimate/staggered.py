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

This module is the front end (:func:`staggered`) and the public home of every name; the work
lives by job in :mod:`~impact.estimate.group_time` (``att_gt``), :mod:`~impact.estimate._drdid`
(the 2x2 kernels), :mod:`~impact.estimate._cs_inference` (standard errors, multiplier bootstrap),
:mod:`~impact.estimate._cs_pretest` (Wald pre-test), :mod:`~impact.estimate.aggregate` (``aggte``),
:mod:`~impact.estimate.twfe_decomp` (TWFE weights) and :mod:`~impact.estimate._cs_fit` (options,
the fit container, the wide panel).
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import pandas as pd

from impact.errors import DesignWarning
from impact.plots import plot_staggered
from impact.results import Result

from ._common import keyword_only
from ._cs_fit import (  # noqa: F401  (re-exported: impact.estimate.staggered is the public home)
    ASSUMPTIONS_CS,
    AggType,
    BasePeriod,
    BootWeights,
    ControlGroup,
    EstMethod,
    GTFit,
    StaggeredResult,
    _prepare,
)
from ._cs_inference import multiplier_bootstrap  # noqa: F401
from ._cs_pretest import pretest  # noqa: F401
from ._drdid import _drdid_panel  # noqa: F401
from .aggregate import aggte
from .group_time import att_gt
from .twfe_decomp import twfe_weights


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
