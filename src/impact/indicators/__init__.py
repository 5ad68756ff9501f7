"""Indicators: one public function per indicator, each returning :class:`impact.results.Result`.

=================== ========================================================================
family (module)     functions
=================== ========================================================================
``yield_gain``      :func:`yield_gain` (treated vs check plots; paired t / cluster bootstrap)
``income``          :func:`income_increase` (per household, per capita, aggregate, by source)
``health``          :func:`cost_savings` (provincial alternative minus local cost per patient),
                    :func:`patient_cost`
``reach``           :func:`reach`, :func:`cost_effectiveness` (incl. leverage), :func:`jobs_created`
``benefit_cost``    :func:`benefit_cost` (NPV, BCR, IRR), :func:`sensitivity_table`,
                    :func:`monte_carlo_bcr`
``exposure``        :func:`exposure` (organizations, programs, funds, sectors from the registry)
=================== ========================================================================

Every function is vectorized over groups (``by=["county_code", "year"]`` by default where it
applies): one call gives the whole table; empty groups are NA with the reason in ``note``.
"""

from __future__ import annotations

from .benefit_cost import DEFAULT_RATE, benefit_cost, monte_carlo_bcr, sensitivity_table
from .exposure import exposure
from .health import cost_savings, patient_cost
from .income import income_increase
from .reach import cost_effectiveness, jobs_created, reach
from .yield_gain import yield_gain

__all__ = [
    "DEFAULT_RATE",
    "benefit_cost",
    "cost_effectiveness",
    "cost_savings",
    "exposure",
    "income_increase",
    "jobs_created",
    "monte_carlo_bcr",
    "patient_cost",
    "reach",
    "sensitivity_table",
    "yield_gain",
]
