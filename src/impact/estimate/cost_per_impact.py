"""Cost per unit of causal impact (J-PAL style cost-effectiveness) with the effect's uncertainty.

With ``C`` the programme's cost (yuan, from the cost ledger: treated as known), ``N`` the units
reached (households, pupils, mu) and ``tau`` the estimated effect per unit (in the outcome's
units, from any estimator's Result), the total impact is ``N tau`` and

- impact per cost: ``I = N tau / C * per`` (e.g. ``per = 10_000``: impact per 10,000 yuan);
  linear in ``tau``, so its standard error is ``N se(tau) / C * per`` and its interval is the
  effect's interval scaled by the same factor (exact, whatever the effect's interval is);
- cost per unit of impact: ``R = C / (N tau)``; standard error by the delta method
  ``C se(tau) / (N tau^2)``. Its interval is the image of the effect's interval
  ``[C / (N tau_hi), C / (N tau_lo)]`` when that interval lies above zero (a monotone
  transformation keeps the coverage exactly); when the effect's interval contains zero the
  set of costs per unit consistent with the data is unbounded and the bounds are NaN, with a
  note saying so.

J-PAL reports cost-effectiveness as impact per 100 USD (Dhaliwal, Duflo, Glennerster & Tulloch
2013); here the currency is yuan and the scale is the user's ``per``.

References
----------
Dhaliwal, I., Duflo, E., Glennerster, R. and Tulloch, C. (2013). Comparative cost-effectiveness
analysis to inform policy in developing countries. In: Glewwe (ed.), Education Policy in
Developing Countries. University of Chicago Press.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from impact.results import Result, normal_ci


def cost_effectiveness(
    effect: Result,
    *,
    cost: float,
    units: float,
    term: str | None = None,
    per: float = 10_000.0,
    impact_unit: str | None = None,
    cost_source: str = "",
) -> Result:
    """Impact per ``per`` yuan and cost per unit of impact, with intervals carried from ``effect``.

    Parameters
    ----------
    effect
        A Result from any estimator; the row ``term`` (default: the first row) gives the
        effect per unit reached, its standard error and its interval.
    cost
        Total cost in yuan (positive; say where it comes from in ``cost_source``).
    units
        Units reached (positive): the population the effect applies to.
    per
        Cost scale of the impact-per-cost row (yuan).
    impact_unit
        Units of the effect (default: the effect row's ``unit``).

    Returns
    -------
    Result
        Rows ``impact_per_cost`` (units of impact per ``per`` yuan) and ``cost_per_impact``
        (yuan per unit of impact), each with ``std_error``, ``conf_low``, ``conf_high`` at the
        effect's level, plus ``total_impact``.
    """
    if not (np.isfinite(cost) and cost > 0):
        raise ValueError(f"cost={cost!r}: expected a positive total cost in yuan")
    if not (np.isfinite(units) and units > 0):
        raise ValueError(f"units={units!r}: expected a positive number of units reached")
    t = effect.tidy()
    if term is not None:
        if term not in set(t["term"]):
            raise ValueError(f"term={term!r} is not in the effect's table; expected one of {', '.join(map(repr, t['term']))}")
        row = t[t["term"] == term].iloc[0]
    else:
        row = t.iloc[0]
    tau, se = float(row["estimate"]), float(row["std_error"])
    lo, hi = float(row["conf_low"]), float(row["conf_high"])
    if not (np.isfinite(lo) and np.isfinite(hi)):
        lo, hi = (float(v) for v in normal_ci(tau, se, effect.level))
    unit = impact_unit or str(row.get("unit") or "outcome units")
    k = units / cost
    rows: list[dict[str, Any]] = []
    ipc = tau * k * per
    rows.append({"term": "impact_per_cost", "estimate": ipc, "std_error": se * k * per,
                 "conf_low": lo * k * per, "conf_high": hi * k * per, "unit": f"{unit} per {per:,.0f} yuan"})
    note = ""
    if tau != 0:
        cpi = 1.0 / (tau * k)
        cse = abs(se / (tau**2 * k)) if np.isfinite(se) else np.nan
        if lo > 0 or hi < 0:
            clo, chi = sorted((1.0 / (hi * k), 1.0 / (lo * k)))
        else:
            clo = chi = np.nan
            note = ("the effect's interval contains zero: every cost per unit of impact beyond "
                    f"{1.0 / (hi * k):,.4g} yuan (and every negative value) is consistent with the data; no finite interval")
    else:
        cpi = cse = clo = chi = np.nan
        note = "the estimated effect is zero: cost per unit of impact is undefined"
    rows.append({"term": "cost_per_impact", "estimate": cpi, "std_error": cse, "conf_low": clo, "conf_high": chi,
                 "unit": f"yuan per {unit}"})
    rows.append({"term": "total_impact", "estimate": tau * units, "std_error": se * units, "conf_low": lo * units,
                 "conf_high": hi * units, "unit": unit})
    table = pd.DataFrame(rows)
    table["statistic"] = table["estimate"] / table["std_error"]
    table["p_value"] = np.where(table["term"] == "cost_per_impact", np.nan, float(row["p_value"]) if np.isfinite(row["p_value"])
                                else 2 * stats.norm.sf(abs(tau / se)))
    table["n"] = row["n"]
    table["method"] = "Cost-effectiveness (cost per unit of impact)"
    info = {"Effect": f"{row['term']} = {tau:,.4g} {unit} per unit (from {effect.method})", "Cost": f"{cost:,.0f} yuan"
            + (f" ({cost_source})" if cost_source else ""), "Units reached": f"{units:,.0f}",
            "Interval": f"the effect's {effect.level:.0%} interval carried through (cost and units treated as known)"}
    if note:
        info["Note"] = note
    res = Result(table=table, method="Cost-effectiveness (J-PAL style)",
                 assumptions=tuple(effect.assumptions) + ("the effect per unit applies to every unit reached", "the cost is the full programme cost, known without error"),
                 info=info, level=effect.level)
    res.text = lambda lang: (
        f"每 {per:,.0f} 元带来 {ipc:,.3g} {unit} 的影响；每单位影响的成本为 {cpi:,.4g} 元。" if lang == "zh"
        else f"Each {per:,.0f} yuan buys {ipc:,.3g} {unit} of impact; one unit of impact costs {cpi:,.4g} yuan."
    )
    return res
