"""Callaway-Sant'Anna inputs: option vocabularies, the group-time fit container and the wide panel.

Shared by :mod:`impact.estimate.group_time` (``att_gt``), :mod:`impact.estimate.aggregate`
(``aggte``) and :mod:`impact.estimate.staggered` (the front end).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from impact.errors import DesignError, InputError, MissingDataWarning, Problem
from impact.results import Result

from ._common import require_columns, require_numeric

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

