"""Coverage studies: do the designs' 95% intervals cover the simulator's truth?

Each study re-runs one table's data-generating process with seeds ``seed0, seed0 + 1, ...``
(fixed, so every run gives the same numbers), estimates with the design's estimator and
inference, and records whether the interval covers the true value of that replication.
County-panel truths are the effects in the simulated counties (sample ATTs): with every
county in the study and a handful of program counties, that is the question the data can
answer; intervals built for a super-population of counties are then conservative.
A design is calibrated when coverage lies in [0.93, 0.97] over >= 200 replications
(the Monte Carlo standard error of a 95% coverage is 1.5 points at 200 replications).

Studies (``STUDIES``), each returning one row per replication:

- ``wave_timing``: Callaway–Sant'Anna with not-yet-treated controls on
  ``income_per_capita`` (analytic influence-function interval, clustered by prefecture);
  truth: the identified cells' ATT in the simulated counties (``wave_identified.simple_sample``).
- ``program_<sector>_analytic``: Callaway–Sant'Anna, counties with a program of the sector
  against counties without one, analytic interval clustered by prefecture; truth
  ``att_sample.simple``.
- ``program_<sector>_permutation``: the same comparison with prefecture-preserving
  randomisation inference (:func:`impact.design.program_permutation`), made for few treated
  counties; truth: the effect in the treated counties (``att_sample.simple``).
- ``paired_plots``: :func:`impact.indicators.yield_gain` over all pairs (paired t
  interval of the ratio of means); truth: the gain on the simulated plots
  (``ratio_of_means_gain_sample``; its population value is the article's +20%).
- ``patients``: :func:`impact.indicators.cost_savings` (Welch interval) over the 2024
  patients of all hospitals; truth: :func:`expected_saving_2024`.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np
import pandas as pd

#: Coverage a calibrated 95% interval must reach over the study's replications.
TARGET = (0.93, 0.97)
#: Clustering of analytic intervals: prefecture-year shocks are shared by a prefecture's counties.
CLUSTER = "prefecture_code"


def _panel(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    from impact.simulate import panel
    from impact.simulate._inputs import county_frame, registry_tables

    return panel.county_panel(seed, _cached("counties", county_frame), _cached("registry", registry_tables))


_CACHE: dict[str, Any] = {}


def _cached(key: str, fn: Callable[[], Any]) -> Any:
    if key not in _CACHE:
        _CACHE[key] = fn()
    return _CACHE[key]


def _cs(frame: pd.DataFrame, yname: str, gname: str, control: str) -> tuple[float, float, float]:
    from impact.estimate.staggered import aggte, att_gt

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gt = att_gt(frame, yname, tname="year", idname="county_code", gname=gname, control_group=control, bstrap=False,
                    cluster=CLUSTER)
        row = aggte(gt, "simple").table.iloc[0]
    return float(row["estimate"]), float(row["conf_low"]), float(row["conf_high"])


def wave_timing(seed: int) -> dict[str, float]:
    """One replication of the wave design on income per capita."""
    frame, truth = _panel(seed)
    est, lo, hi = _cs(frame, "income_per_capita", "cohort", "notyettreated")
    return {"estimate": est, "conf_low": lo, "conf_high": hi,
            "truth": truth["outcomes"]["income_per_capita"]["wave_identified"]["simple_sample"]}


def program(sector: str, inference: str) -> Callable[[int], dict[str, float]]:
    """One replication of the program design for ``sector`` with ``inference``
    (``analytic`` or ``permutation``)."""
    from impact.design import SECTOR_OUTCOME, program_permutation

    def run(seed: int) -> dict[str, float]:
        frame, truth = _panel(seed)
        y = SECTOR_OUTCOME[sector]
        if inference == "analytic":
            est, lo, hi = _cs(frame, y, f"cohort_{sector}", "nevertreated")
            return {"estimate": est, "conf_low": lo, "conf_high": hi,
                    "truth": truth["outcomes"][y]["att_sample"]["simple"]}
        r = program_permutation(frame, sector, reps=499, seed=seed)
        return {"estimate": r["estimate"], "conf_low": r["conf_low"], "conf_high": r["conf_high"],
                "truth": truth["outcomes"][y]["att_sample"]["simple"]}

    return run


def paired_plots(seed: int) -> dict[str, float]:
    """One replication of the paired-plot design (all pairs pooled)."""
    from impact.indicators import yield_gain
    from impact.simulate import trials
    from impact.simulate._inputs import county_frame, registry_tables

    frame, truth = trials.plot_trials(seed, "small", _cached("counties", county_frame),
                                      _cached("registry", registry_tables))
    tab = yield_gain(frame, by=None).tidy()
    row = tab[tab["term"] == "yield_gain_pct"].iloc[0]
    return {"estimate": float(row["estimate"]), "conf_low": float(row["conf_low"]),
            "conf_high": float(row["conf_high"]), "truth": 100.0 * truth["ratio_of_means_gain_sample"]}


def expected_saving_2024() -> float:
    """Expected total saving of a 2024 patient operated locally instead of provincially (yuan).

    ``E[med_p - med_l] + E[travel_p - travel_l] + E[lodging_p] + E[days_p - days_l] * 110``
    with lognormal means ``mu exp(s^2/2)``: the simulator's population parameter.
    """
    from impact.simulate import patients as pm

    _, mu_l, mu_p, _, _ = pm.PROCEDURES["胰腺肿瘤手术"]
    eta = np.exp(0.05**2 / 2)
    med = (mu_p - mu_l) * eta
    travel = 900.0 * np.exp(0.3**2 / 2) - 100.0 * np.exp(0.4**2 / 2)
    lodging = (2 + 8) * 180.0
    lost = ((5 + 15) - (3 + 7)) * 110.0
    return float(med + travel + lodging + lost)


def patients(seed: int) -> dict[str, float]:
    """One replication of the patient comparison (2024 patients of all hospitals)."""
    from impact.indicators import cost_savings
    from impact.simulate import patients as pm
    from impact.simulate._inputs import registry_tables

    frame, _ = _panel(seed)
    expo = frame.drop_duplicates("county_code")
    pt, _ = pm.patients(seed, "small", expo, _cached("registry", registry_tables))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tab = cost_savings(pt[pt["year"] == 2024], by=None).tidy()
    row = tab[tab["term"] == "saving_per_patient"].iloc[0]
    return {"estimate": float(row["estimate"]), "conf_low": float(row["conf_low"]),
            "conf_high": float(row["conf_high"]), "truth": expected_saving_2024()}


STUDIES: dict[str, Callable[[int], dict[str, float]]] = {
    "wave_timing": wave_timing,
    **{f"program_{s}_{inf}": program(s, inf) for s in ("agriculture", "health", "child_protection")
       for inf in ("analytic", "permutation")},
    "paired_plots": paired_plots,
    "patients": patients,
}


def study(name: str, *, reps: int = 200, seed0: int = 1000) -> pd.DataFrame:
    """Run study ``name`` for ``reps`` replications with seeds ``seed0 .. seed0 + reps - 1``.

    Returns one row per replication: ``seed, estimate, conf_low, conf_high, truth, covered``.
    """
    from impact.errors import ImpactError

    if name not in STUDIES:
        raise ImpactError(f"study={name!r} is not valid; expected one of {', '.join(map(repr, STUDIES))}")
    rows = []
    for k in range(reps):
        r = STUDIES[name](seed0 + k)
        rows.append({"seed": seed0 + k, **r})
    out = pd.DataFrame(rows)
    out["covered"] = (out["conf_low"] <= out["truth"]) & (out["truth"] <= out["conf_high"])
    return out


def summarize(table: pd.DataFrame) -> dict[str, float]:
    """Coverage, its Monte Carlo SE, mean bias and mean interval length of a study table."""
    n = len(table)
    cov = float(table["covered"].mean())
    return {"reps": n, "coverage": cov, "mc_se": float(np.sqrt(cov * (1 - cov) / n)),
            "bias": float((table["estimate"] - table["truth"]).mean()),
            "length": float((table["conf_high"] - table["conf_low"]).mean())}
