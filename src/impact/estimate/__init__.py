"""Estimators: one per file, exposed through a flat lazy namespace.

>>> from impact import estimate as est
>>> res = est.twfe(panel, yname="income_per_capita", dname="treated",
...                idname="county_code", tname="year", cluster="prefecture_code")
>>> res.tidy()

Shared argument names follow R's ``did``: ``yname`` (outcome), ``idname`` (unit),
``tname`` (time), ``gname`` (first treated period, 0 = never treated), plus
``dname`` (0/1 treatment), ``cluster``, ``xformla`` / ``covariates`` and ``weightsname``.
The data and the outcome are positional, everything else keyword-only (a positional option
raises ``ArgumentOrderError``). Every estimator returns :class:`impact.results.Result`.
"""

from __future__ import annotations

import importlib
from typing import Any

# Functions named like their module (event_study, staggered, synth) are bound eagerly:
# importing a submodule sets the package attribute to the module, which would shadow a lazy
# function of the same name. These modules import only numpy/pandas/scipy at top level
# (pyfixest, statsmodels and matplotlib are imported inside the functions), so this is cheap.
from impact.estimate.event_study import event_study  # noqa: E402, F401
from impact.estimate.staggered import staggered  # noqa: E402, F401
from impact.estimate.synth import synth  # noqa: E402, F401

_LAZY: dict[str, tuple[str, str]] = {
    "did2x2": ("impact.estimate.did", "did2x2"),
    "twfe": ("impact.estimate.did", "twfe"),
    "wild_cluster_bootstrap": ("impact.estimate.did", "wild_cluster_bootstrap"),
    "att_gt": ("impact.estimate.group_time", "att_gt"),
    "aggte": ("impact.estimate.aggregate", "aggte"),
    "twfe_weights": ("impact.estimate.twfe_decomp", "twfe_weights"),
    "synthetic_did": ("impact.estimate.synth", "synthetic_did"),
    "propensity_score": ("impact.estimate.matching", "propensity_score"),
    "ipw": ("impact.estimate.matching", "ipw"),
    "ra": ("impact.estimate.matching", "ra"),
    "aipw": ("impact.estimate.matching", "aipw"),
    "nn_match": ("impact.estimate.matching", "nn_match"),
    "balance_stats": ("impact.estimate.matching", "balance_stats"),
    "balance_table": ("impact.estimate.balance", "balance_table"),
    "export_table": ("impact.estimate.balance", "export_table"),
    "adjust_pvalues": ("impact.estimate.multiple", "adjust_pvalues"),
    "romano_wolf": ("impact.estimate.multiple", "romano_wolf"),
    "randomization_test": ("impact.estimate.randomization", "randomization_test"),
    "pretest": ("impact.estimate._cs_pretest", "pretest"),
    "mde": ("impact.estimate.design_power", "mde"),
    "power": ("impact.estimate.design_power", "power"),
    "sample_size": ("impact.estimate.design_power", "sample_size"),
    "simulated_power": ("impact.estimate.design_power", "simulated_power"),
    "honest_did": ("impact.estimate.sensitivity", "honest_did"),
    "honest_did_rm": ("impact.estimate.sensitivity_rm", "honest_did_rm"),
    "dynamic_effects": ("impact.estimate.dynamic", "dynamic_effects"),
    "cost_effectiveness": ("impact.estimate.cost_per_impact", "cost_effectiveness"),
}

__all__ = sorted([*_LAZY, "event_study", "staggered", "synth"])


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        obj = getattr(importlib.import_module(module), attr)
        globals()[name] = obj
        return obj
    raise AttributeError(f"module 'impact.estimate' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
