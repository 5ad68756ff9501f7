"""Actual values of the indicators, each with its source.

One resolver per ``measure_kind`` of the indicator system:

================= ========================= ===============================================
measure_kind      measure                   actual value
================= ========================= ===============================================
``registry_fact`` a ``facts.measure`` name  sum of the article's figures with that measure
                                            (scope province: province facts; county: the
                                            county's facts); source: fact ids and quotes
``registry``      ``table:column``          distinct values of the column among the
                                            registry rows of the scope
``indicator``     ``function:term``         a term of :mod:`impact.indicators` on the
                                            scope's rows, report year (or the latest earlier
                                            year with data, said in the note)
``estimate``      ``estimator:outcome``     a causal estimate of :mod:`impact.estimate` on
                                            the county panel up to the report year
``satisfaction``  survey item               share satisfied (Wilson interval, answers)
``user_table``    ``table:column:agg``      ``sum``/``mean``/``count`` of a column
``evaluator``     (none)                    the value the evaluator enters in the sheet
================= ========================= ===============================================

A value that cannot be found is NaN with the reason in ``note``: never 0.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from impact.errors import ImpactError
from impact.evaluation.data import EvaluationData, county_positions, county_rows

#: Evaluation tables each indicator function reads, in argument order.
INDICATOR_TABLES: dict[str, tuple[str, ...]] = {
    "reach": ("beneficiaries",),
    "cost_effectiveness": ("cost_ledger", "beneficiaries"),
    "income_increase": ("households",),
    "yield_gain": ("plot_trials",),
    "cost_savings": ("patients",),
}
#: Estimators the system may name (on the county panel): ``wave_att`` is the ``wave_timing``
#: design of :mod:`impact.design` (the earlier pairing waves against later waves not yet paired,
#: Callaway–Sant'Anna with not-yet-treated controls; every county is paired in the end).
ESTIMATORS: dict[str, dict[str, Any]] = {
    "wave_att": {"gname": "cohort", "cluster": "prefecture_code"},
}
#: Columns of :func:`actual_values`.
COLUMNS = ("indicator_id", "actual", "conf_low", "conf_high", "p_value", "n", "data_year", "evidence",
           "source", "quote", "note")


def _row(iid: str, actual: float = math.nan, *, evidence: str = "", source: str = "", note: str = "",
         quote: str = "", conf_low: float = math.nan, conf_high: float = math.nan, p_value: float = math.nan,
         n: float = math.nan, data_year: float = math.nan) -> dict[str, Any]:
    return {"indicator_id": iid, "actual": actual, "conf_low": conf_low, "conf_high": conf_high,
            "p_value": p_value, "n": n, "data_year": data_year, "evidence": evidence, "source": source,
            "quote": quote, "note": note}


def _in_scope(df: pd.DataFrame, county: str | None) -> pd.DataFrame:
    """The rows of ``county`` (all rows for the province), in the table's order, with its index."""
    return df if county is None else county_rows(df, county)


def _registry_fact(iid: str, measure: str, data: EvaluationData, county: str | None, year: int) -> dict:
    facts = data.registry.get("facts", pd.DataFrame())
    f = facts[facts["measure"] == measure] if not facts.empty else facts
    f = f[f["county_code"] == county] if county is not None else f[f["scope"] == "province"]
    if f.empty:
        where = f"county {county}" if county else "the province"
        return _row(iid, note=f"the article states no '{measure}' figure for {where}")
    quals = sorted(set(f["qualifier"].dropna()) - {"exact"})
    note = f"qualifier: {', '.join(quals)} (as written: {'; '.join(f['value_as_written'].astype(str))})" if quals else ""
    return _row(iid, float(f["value"].sum()), evidence="article", source="article " + ", ".join(f["fact_id"]),
                quote=" / ".join(dict.fromkeys(f["quote"].astype(str))), note=note)


def _registry_count(iid: str, measure: str, data: EvaluationData, county: str | None, year: int) -> dict:
    table, _, column = measure.partition(":")
    df = data.registry.get(table)
    if df is None or column not in df.columns:
        return _row(iid, note=f"registry table {table!r} has no column {column!r}")
    rows = df if county is None else county_rows(df, county, [column])
    return _row(iid, float(rows[column].dropna().nunique()), evidence="article",
                source=f"registry {table}.csv: distinct {column} ({len(rows)} rows)")


def _with_year(df: pd.DataFrame) -> pd.DataFrame:
    if "year" not in df.columns and "month" in df.columns:
        df = df.assign(year=pd.to_numeric(df["month"].astype(str).str[:4], errors="coerce"))
    return df


def _indicator(iid: str, measure: str, data: EvaluationData, county: str | None, year: int) -> dict:
    import impact.indicators as ind

    fname, _, term = measure.partition(":")
    needed = INDICATOR_TABLES.get(fname)
    fn: Callable[..., Any] | None = getattr(ind, fname, None)
    if needed is None or fn is None:
        return _row(iid, note=f"impact.indicators has no function {fname!r} known to the evaluation")
    absent = [t for t in needed if t not in data.tables]
    if absent:
        return _row(iid, note=f"no {', '.join(absent)} table")
    if county is not None and any("county_code" in data.tables[t].columns
                                  and county not in county_positions(data.tables[t]) for t in needed):
        return _row(iid, note=f"no {', '.join(needed)} rows up to {year} for this scope")  # no row of the county at all
    frames = [_with_year(_in_scope(data.tables[t], county)) for t in needed]
    frames = [f[pd.to_numeric(f["year"], errors="coerce") <= year] for f in frames]
    if any(f.empty for f in frames):
        return _row(iid, note=f"no {', '.join(needed)} rows up to {year} for this scope")
    # income by source is optional in a survey: a term of the total reads only the total
    opts = {"sources": (term.partition("_")[0],)} if fname == "income_increase" else {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tab = fn(*frames, by="year", **opts).tidy()
    except ImpactError as err:  # too few rows, no variation, ...: unscored with the reason
        return _row(iid, note=f"{fname} could not be computed: {err}")
    tab = tab[(tab["term"] == term) & tab["estimate"].notna()]
    if tab.empty:
        return _row(iid, note=f"{fname} gives no {term!r} up to {year}")
    r = tab.loc[pd.to_numeric(tab["year"]).idxmax()]
    y = int(r["year"])
    used = [f[pd.to_numeric(f["year"], errors="coerce") <= y] for f in frames]
    simulated, part = _simulated_rows(used, [data.simulated.get(t, False) for t in needed])
    return _row(iid, float(r["estimate"]), evidence="simulated" if simulated else "user table",
                source=f"impact.indicators.{fname} ({term}) on {', '.join(needed)}" + part,
                conf_low=float(r["conf_low"]), conf_high=float(r["conf_high"]),
                n=float(r["n"]) if pd.notna(r["n"]) else math.nan, data_year=y,
                note="" if y == year else f"latest year with data: {y}")


def _estimate(iid: str, measure: str, data: EvaluationData, county: str | None, year: int) -> dict:
    from impact.design import wave_att

    name, _, outcome = measure.partition(":")
    design = ESTIMATORS.get(name)
    if design is None:
        return _row(iid, note=f"estimator {name!r} is not one the evaluation runs ({', '.join(ESTIMATORS)})")
    if "county_panel" not in data.tables:
        return _row(iid, note="no county_panel table")
    panel = data.tables["county_panel"]
    panel = panel[pd.to_numeric(panel["year"]) <= year]
    try:
        # the estimator's warnings propagate to the caller (the report's notes section)
        res = wave_att(panel, outcome, gname=design["gname"],
                       cluster=design["cluster"] if design["cluster"] in panel.columns else None, seed=1)
    except ImpactError as err:
        return _row(iid, note=f"{name} could not be estimated: {err}")
    r = res.tidy().iloc[0]
    simulated, part = _simulated_rows([panel], [data.simulated.get("county_panel", False)])
    return _row(iid, float(r["estimate"]), evidence="simulated" if simulated else "estimate",
                source=f"impact.design.{name} (Callaway–Sant'Anna) on county_panel" + part,
                conf_low=float(r["conf_low"]), conf_high=float(r["conf_high"]), p_value=float(r["p_value"]),
                n=float(r["n"]) if pd.notna(r["n"]) else math.nan, data_year=year)


def _satisfaction(iid: str, measure: str, data: EvaluationData, county: str | None, year: int) -> dict:
    from impact.evaluation.satisfaction import satisfaction

    if data.satisfaction is None:
        return _row(iid, note="no satisfaction survey (table kind satisfaction_survey) was given")
    s = _in_scope(data.satisfaction, county)
    s = s[pd.to_numeric(s["year"]) == year]
    s = s[s["item"] == measure]
    if s.empty or s["score"].notna().sum() == 0:
        return _row(iid, note=f"the survey has no answers to item {measure!r} in {year} for this scope")
    r = satisfaction(s).tidy().iloc[0]
    return _row(iid, float(r["estimate"]), evidence="survey", conf_low=float(r["conf_low"]),
                conf_high=float(r["conf_high"]), n=float(r["n"]), data_year=year,
                source=f"satisfaction survey, item {measure}: {int(r['satisfied'])} of {int(r['n'])} answers ≥ 4 "
                       "(Wilson 95% interval)")


def _user_table(iid: str, measure: str, data: EvaluationData, county: str | None, year: int) -> dict:
    table, column, agg = (measure.split(":") + ["", "", ""])[:3]
    if table not in data.tables:
        return _row(iid, note=f"no {table} table")
    df = _with_year(_in_scope(data.tables[table], county))
    df = df[pd.to_numeric(df["year"], errors="coerce") == year] if "year" in df.columns else df
    if column not in df.columns or agg not in ("sum", "mean", "count") or df.empty:
        return _row(iid, note=f"cannot take {agg or '?'} of {table}.{column} for {year}")
    v = float(getattr(pd.to_numeric(df[column], errors="coerce"), agg)())
    simulated, part = _simulated_rows([df], [data.simulated.get(table, False)])
    return _row(iid, v, evidence="simulated" if simulated else "user table", n=float(len(df)), data_year=year,
                source=f"{agg} of {table}.{column}" + part)


def _simulated_rows(frames: list[pd.DataFrame], flags: list[bool]) -> tuple[bool, str]:
    """Whether the rows used include simulated ones (their ``source`` column, set by ``impact
    data build``; else the table's flag), and the words saying so: ``" (simulated)"``, or
    ``" (partly simulated: n of N rows)"`` when user rows are mixed with simulated rows."""
    n_sim = n_all = 0
    for f, flag in zip(frames, flags):
        if "source" in f.columns:
            n_sim += int((f["source"].astype("string") == "simulated").sum())
        elif flag:
            n_sim += len(f)
        n_all += len(f)
    if n_sim == 0:
        return False, ""
    return True, " (simulated)" if n_sim == n_all else f" (partly simulated: {n_sim} of {n_all} rows)"


_RESOLVERS: dict[str, Callable[..., dict]] = {
    "registry_fact": _registry_fact, "registry": _registry_count, "indicator": _indicator,
    "estimate": _estimate, "satisfaction": _satisfaction, "user_table": _user_table,
}


def actual_values(system: pd.DataFrame, data: EvaluationData, *, year: int, county: str | None = None) -> pd.DataFrame:
    """The actual value of every indicator of ``system`` for the province (``county=None``) or a county.

    Returns a tidy table with :data:`COLUMNS`: ``actual`` in the indicator's unit (NaN when
    not found, with the reason in ``note``), its interval and answer count when it has one,
    ``evidence`` (``article``, ``simulated``, ``user table``, ``survey``, ``estimate``,
    ``evaluator``) and ``source``. Evaluator-entered values are filled in later from the sheet.
    """
    rows = []
    for r in system[["indicator_id", "measure_kind", "measure"]].to_dict("records"):
        kind = r["measure_kind"]
        if kind in ("evaluator",):
            rows.append(_row(r["indicator_id"], evidence="evaluator", source="evaluator's sheet",
                             note=""))
            continue
        rows.append(_RESOLVERS[kind](r["indicator_id"], r["measure"], data, county, year))
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    for c in ("actual", "conf_low", "conf_high", "p_value", "n", "data_year"):
        out[c] = out[c].astype(float)
    return out


def is_weak(row: Mapping[str, Any]) -> str:
    """Why an actual value is weak evidence ('' if not): simulated data, p ≥ 0.10, few answers, a qualifier."""
    reasons = []
    if row.get("evidence") == "simulated":
        reasons.append("simulated data")
    p = row.get("p_value")
    if p is not None and not (isinstance(p, float) and np.isnan(p)) and p >= 0.10:
        reasons.append(f"p = {p:.2f}")
    n = row.get("n")
    if row.get("evidence") == "survey" and n is not None and n < 30:
        reasons.append(f"only {int(n)} answers")
    if "qualifier" in str(row.get("note", "")):
        reasons.append("approximate figure (余/超过/约/近)")
    return "; ".join(reasons)
