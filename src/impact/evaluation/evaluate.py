"""One evaluation: the scoring table of a scope and year, its subtotals, total and grade."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from impact.errors import ImpactError
from impact.evaluation.data import EvaluationData, load_data, rows_of
from impact.evaluation.measures import actual_values, is_weak
from impact.evaluation.scoring import Total, score_row, subtotals, total
from impact.evaluation.sheet import read_sheet
from impact.evaluation.system import Scope, for_scope, read_system

#: Points are rounded to this many decimals per indicator; the total is the sum of the rounded points,
#: so a printed table adds up exactly.
SCORE_DECIMALS = 2
#: Columns of the scoring table, in order.
TABLE_COLUMNS: tuple[str, ...] = (
    "indicator_id", "level1", "level2", "level3", "level3_en", "dac", "weight", "scoring", "direction", "unit",
    "target", "target_source", "actual", "conf_low", "conf_high", "n", "p_value", "data_year", "evidence", "source",
    "quote", "grade", "attainment", "score", "scored", "reason", "weak", "deviation_reason", "thresholds",
)


@dataclass(frozen=True)
class Evaluation:
    """The scored indicator system of one scope and year.

    ``table`` is the tidy scoring table (:data:`TABLE_COLUMNS`), one row per indicator in the
    order of the system file; ``subtotals`` one row per first-level group; ``total`` the sum.
    """

    scope: Scope
    year: int
    county: str | None
    table: pd.DataFrame
    system_file: str

    @cached_property
    def subtotals(self) -> pd.DataFrame:
        """Per first-level group (:func:`~impact.evaluation.scoring.subtotals`), computed once."""
        return subtotals(self.table)

    @cached_property
    def total(self) -> Total:
        """The total (:func:`~impact.evaluation.scoring.total`), computed once."""
        return total(self.table)


def _merge_sheet(table: pd.DataFrame, sheet: pd.DataFrame | None) -> pd.DataFrame:
    t = table.assign(grade="", deviation_reason="")
    if sheet is None or sheet.empty:
        return t
    s = sheet.set_index("indicator_id")
    for i, r in t.iterrows():
        iid = r["indicator_id"]
        if iid not in s.index:
            continue
        e = s.loc[iid]
        if not math.isnan(e["target"]) and (math.isnan(r["target"]) or e["target"] != r["target"]):
            t.at[i, "target"] = e["target"]
            t.at[i, "target_source"] = "evaluator"
        if not math.isnan(e["actual_entered"]):
            before = r["actual"]
            t.at[i, "actual"] = e["actual_entered"]
            t.at[i, "evidence"] = "evaluator"
            t.at[i, "source"] = "evaluator's sheet" + (f" (tool computed {before:g} from {r['source']})"
                                                      if not math.isnan(before) else "")
            for c in ("conf_low", "conf_high", "p_value", "n"):
                t.at[i, c] = math.nan
        t.at[i, "grade"] = e["grade"]
        t.at[i, "deviation_reason"] = e["deviation_reason"]
    return t


def evaluate(scope: Scope = "province", year: int = 2024, *, county: str | int | None = None,
             system: pd.DataFrame | str | Path | None = None, sheet: pd.DataFrame | str | Path | None = None,
             data: EvaluationData | None = None, satisfaction: pd.DataFrame | str | Path | None = None) -> Evaluation:
    """Score the indicator system for the province or one county.

    Parameters
    ----------
    scope
        ``"province"`` or ``"county"`` (then ``county`` is a code or name, resolved by
        :func:`impact.geo.resolve_county`).
    year
        Report year: indicators read that year (or the latest earlier year with data).
    system
        An indicator system (file or table from :func:`read_system`); default the shipped one.
    sheet
        The evaluator's filled sheet (path or the table :func:`read_sheet` returns): targets,
        evaluator-entered values, qualitative grades and deviation reasons.
    data
        Tables to read (default :func:`load_data`); ``satisfaction`` adds a survey.

    Returns
    -------
    Evaluation
        ``table`` with, per indicator, ``actual`` and its ``source``, ``attainment``,
        ``score`` (NaN and ``scored = False`` with the ``reason`` when data are missing), and
        ``weak`` (why the evidence is weak, '' otherwise).
    """
    code = None
    if scope == "county":
        if county is None:
            raise ImpactError("scope='county' needs county= (a county code or name, e.g. '景谷县' or '530824')")
        from impact.geo import resolve_county

        code = resolve_county(county).code
    sys_df = system if isinstance(system, pd.DataFrame) else read_system(system)
    system_file = "<table>" if isinstance(system, pd.DataFrame) else str(system or "data/raw/evaluation/indicator_system.csv")
    rows = for_scope(sys_df, scope)
    if data is None:
        data = load_data(satisfaction=satisfaction)
    elif satisfaction is not None:
        from dataclasses import replace

        from impact.evaluation.satisfaction import read_survey, validate_survey

        survey = validate_survey(satisfaction) if isinstance(satisfaction, pd.DataFrame) else read_survey(satisfaction)
        data = replace(data, satisfaction=survey)
    actuals = actual_values(rows, data, year=year, county=code)
    table = rows.merge(actuals, on="indicator_id", how="left", validate="one_to_one")
    sheet_df = read_sheet(sheet, sys_df) if isinstance(sheet, (str, Path)) else sheet
    table = _merge_sheet(table, sheet_df)
    records = rows_of(table)
    scores = [score_row(r) for r in records]
    table["attainment"] = [s.attainment for s in scores]
    table["score"] = [round(s.score, SCORE_DECIMALS) for s in scores]  # the points as printed; the total sums them
    table["scored"] = [s.scored for s in scores]
    table["reason"] = [("" if s.scored else "; ".join(x for x in (s.reason, r["note"]) if x))
                       for s, r in zip(scores, records)]
    table["weak"] = [is_weak(r) for r in records]
    return Evaluation(scope=scope, year=int(year), county=code, table=table[list(TABLE_COLUMNS)].copy(),
                      system_file=system_file)


def write_template(out: str | Path, scope: Scope = "province", year: int = 2024, *, county: str | int | None = None,
                   system: pd.DataFrame | str | Path | None = None, data: EvaluationData | None = None,
                   satisfaction: pd.DataFrame | str | Path | None = None) -> Path:
    """Write the evaluator's sheet for one scope and year, prefilled with the computed values.

    The indicators of ``scope`` (:func:`for_scope`), each with its target from the system file
    and the actual value the tool computes (:func:`evaluate` without a sheet) with its source;
    the columns the evaluator fills stay blank (:func:`impact.evaluation.sheet.write_sheet`).

    Returns
    -------
    The path written (``.xlsx``).
    """
    from impact.evaluation.sheet import write_sheet

    ev = evaluate(scope, year, county=county, system=system, data=data, satisfaction=satisfaction)
    if ev.county is None:
        where = "云南省"
    else:
        from impact.geo import resolve_county

        where = f"{resolve_county(ev.county).name}（{ev.county}）"
    sys_df = system if isinstance(system, pd.DataFrame) else read_system(system)
    return write_sheet(for_scope(sys_df, scope), out, actuals=ev.table[["indicator_id", "actual", "source"]],
                       title=f"评价人录入表 · {where} · {ev.year}年度 · 指标体系 {ev.system_file}")
