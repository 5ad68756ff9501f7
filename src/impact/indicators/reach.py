"""Reach (unique persons, person-times), cost-effectiveness, leverage and jobs created."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from impact.errors import InputError, Problem
from impact.results import Result

from ._common import (
    as_by,
    fmt_num,
    group_label,
    require_categories,
    require_columns,
    require_nonempty,
    require_nonnegative,
    require_numeric,
    year_from_month,
)

DEFAULT_BY = ("program_id", "county_code", "year")
_ADMIN = "administrative totals (a census of the records): no sampling uncertainty"


def _with_year(df: pd.DataFrame, by: list[str], table: str) -> pd.DataFrame:
    if "year" in by and "year" not in df.columns:
        require_columns(df, ["month"], table)
        df = df.assign(year=year_from_month(df["month"], table).to_numpy())
    return df


def _prep_roster(beneficiaries: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    table = "beneficiaries"
    require_columns(beneficiaries, ["person_id", *[b for b in by if b != "year"]], table)
    require_nonempty(beneficiaries, table, "beneficiary rows")
    df = _with_year(beneficiaries, by, table)
    if df["person_id"].isna().any():
        row = int(np.flatnonzero(df["person_id"].isna().to_numpy())[0]) + 2
        raise InputError(Problem(table, row, "person_id", None, "a person identifier (not missing)"), title=f"{table}: missing person_id")
    return df


def _prep_ledger(cost_ledger: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    table = "cost_ledger"
    require_columns(cost_ledger, ["amount_yuan", "funder", *[b for b in by if b != "year"]], table)
    require_nonempty(cost_ledger, table, "ledger entries")
    require_numeric(cost_ledger, ["amount_yuan"], table)
    require_nonnegative(cost_ledger, ["amount_yuan"], table)
    require_categories(cost_ledger, "funder", ("public", "external"), table)
    return _with_year(cost_ledger, by, table)


def _counts(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    if not by:
        return pd.DataFrame({"unique_persons": [df["person_id"].nunique()], "person_times": [len(df)]})
    g = df.groupby(by, sort=True, dropna=False)
    return pd.DataFrame({"unique_persons": g["person_id"].nunique(), "person_times": g.size()}).reset_index()


def _costs(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    amt = pd.to_numeric(df["amount_yuan"]).astype(float)
    pub = df["funder"].to_numpy() == "public"
    tmp = df[by].assign(cost_total=amt.to_numpy(), cost_public=np.where(pub, amt, 0.0), cost_external=np.where(pub, 0.0, amt))
    if not by:
        return tmp.sum().to_frame().T
    return tmp.groupby(by, sort=True, dropna=False)[["cost_total", "cost_public", "cost_external"]].sum().reset_index()


def _check_years(a: pd.DataFrame, b: pd.DataFrame, by: list[str], na: str, nb: str) -> None:
    if "year" in by:
        ya, yb = set(a["year"].astype(int)), set(b["year"].astype(int))
        if not ya & yb:
            raise InputError(
                Problem(nb, None, "year", sorted(yb), f"years overlapping those of {na} {sorted(ya)}"),
                title=f"{na} and {nb}: mismatched years",
            )


def _tidy(wide: pd.DataFrame, by: list[str], terms: Sequence[tuple[str, str, str, str]], method: str) -> pd.DataFrame:
    """Long tidy table from a wide frame: (term, value column, unit, note column or '')."""
    rows = []
    for term, col, unit, note_col in terms:
        t = wide[by].copy()
        t["term"] = term
        t["estimate"] = wide[col].astype(float).to_numpy()
        t["n"] = wide["_n"].to_numpy() if "_n" in wide else pd.NA
        t["unit"] = unit
        t["method"] = method
        t["note"] = wide[note_col].to_numpy() if note_col else np.where(wide[col].isna(), "no records for this group", "")
        rows.append(t)
    return pd.concat(rows, ignore_index=True).sort_values(by, kind="stable").reset_index(drop=True)


def reach(beneficiaries: pd.DataFrame, by: str | Sequence[str] | None = DEFAULT_BY) -> Result:
    """Beneficiaries reached: unique persons and person-times, per group.

    Formula
        ``unique_persons = |{person_id}|``; ``person_times`` = rows (one row per person-month
        served). ``year`` is taken from ``month`` (``YYYY-MM``) when grouping by year.
    Units
        persons; person-times.
    Uncertainty
        None: administrative totals (a census of the roster), so ``std_error`` and the
        interval are NA.
    Assumptions
        ``person_id`` identifies a person across months and programs of the roster.
    """
    by_ = as_by(by)
    df = _prep_roster(beneficiaries, by_)
    w = _counts(df, by_)
    w["_n"] = w["person_times"]
    w["_note"] = ""
    table = _tidy(w, by_, [("unique_persons", "unique_persons", "person", "_note"),
                           ("person_times", "person_times", "person_time", "_note")], "count of roster records")
    res = Result(table=table, method="Reach: unique persons and person-times (roster counts)", assumptions=(_ADMIN,),
                 info={"roster rows": int(len(df))})
    res.text = _reach_text(res.table, by_)
    return res


def _reach_text(table: pd.DataFrame, by: list[str]):
    def text(lang: str = "zh") -> str:
        up = table[table["term"] == "unique_persons"].reset_index(drop=True)
        pt = table[table["term"] == "person_times"].reset_index(drop=True)
        out = []
        for i, row in up.iterrows():
            label = group_label(row, by, lang)
            if lang == "zh":
                out.append(f"{label}：服务 {fmt_num(row['estimate'])} 人，共 {fmt_num(pt.iloc[i]['estimate'])} 人次。")
            else:
                out.append(f"{label}: {fmt_num(row['estimate'])} persons served, {fmt_num(pt.iloc[i]['estimate'])} person-times.")
        return "\n".join(out)

    return text


def cost_effectiveness(
    cost_ledger: pd.DataFrame,
    beneficiaries: pd.DataFrame | None = None,
    outcomes: pd.DataFrame | None = None,
    by: str | Sequence[str] | None = DEFAULT_BY,
) -> Result:
    """Costs, cost per beneficiary, cost per unit of outcome and leverage, per group.

    Formula
        ``cost_total = sum(amount_yuan)``, split by ``funder`` into public and external;
        ``cost_per_beneficiary = cost_total / unique persons``;
        ``cost_per_person_time = cost_total / person-times``;
        ``cost_per_<outcome> = cost_total / value`` for each row of ``outcomes`` (a frame with
        the ``by`` columns, ``outcome``, ``value`` and ``unit``);
        ``leverage = cost_external / cost_public`` (external yuan per yuan of public money).
    Units
        yuan; yuan per person; yuan per person-time; yuan per outcome unit; yuan per yuan.
    Uncertainty
        None: administrative totals, so ``std_error`` and the interval are NA.
    Empty groups
        A group with costs but no beneficiaries (or the reverse), no public money (leverage),
        or an outcome of 0 is NA with the reason in ``note``; never 0.
    """
    by_ = as_by(by)
    led = _prep_ledger(cost_ledger, by_)
    w = _costs(led, by_)
    terms: list[tuple[str, str, str, str]] = [
        ("cost_total", "cost_total", "yuan", ""), ("cost_public", "cost_public", "yuan", ""),
        ("cost_external", "cost_external", "yuan", ""), ("leverage", "leverage", "yuan/yuan", "leverage_note"),
    ]
    if beneficiaries is not None:
        ros = _prep_roster(beneficiaries, by_)
        _check_years(led, ros, by_, "cost_ledger", "beneficiaries")
        cnt = _counts(ros, by_)
        w = w.merge(cnt, on=by_, how="outer") if by_ else pd.concat([w, cnt], axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            w["cost_per_beneficiary"] = w["cost_total"] / w["unique_persons"]
            w["cost_per_person_time"] = w["cost_total"] / w["person_times"]
        w["ben_note"] = np.select([w["cost_total"].isna(), w["unique_persons"].isna()],
                                  ["no costs recorded for this group", "no beneficiaries recorded for this group"], default="")
        terms += [("cost_per_beneficiary", "cost_per_beneficiary", "yuan/person", "ben_note"),
                  ("cost_per_person_time", "cost_per_person_time", "yuan/person_time", "ben_note")]
    w["_n"] = pd.NA
    with np.errstate(divide="ignore", invalid="ignore"):
        w["leverage"] = np.where(w["cost_public"] > 0, w["cost_external"] / w["cost_public"], np.nan)
    w["leverage_note"] = np.select([w["cost_total"].isna(), ~(w["cost_public"] > 0)],
                                   ["no costs recorded for this group", "no public funds: leverage undefined"], default="")
    table = _tidy(w, by_, terms, "sum and ratio of ledger amounts")
    if outcomes is not None:
        table = pd.concat([table, _per_outcome(w, outcomes, by_)], ignore_index=True)
    for col in ("cost_total", "cost_public", "cost_external"):
        m = (table["term"] == col) & table["estimate"].isna()
        table.loc[m, "note"] = "no costs recorded for this group"
    table = table.sort_values(by_, kind="stable").reset_index(drop=True)
    res = Result(table=table, method="Cost-effectiveness and leverage (ledger totals)", assumptions=(_ADMIN, "all costs of the group are in the ledger"),
                 info={"ledger entries": int(len(led))})
    res.text = _ce_text(res.table, by_)
    return res


def _per_outcome(w: pd.DataFrame, outcomes: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    table = "outcomes"
    require_columns(outcomes, [*by, "outcome", "value", "unit"], table)
    require_nonempty(outcomes, table, "outcome rows")
    miss = outcomes["unit"].isna() | (outcomes["unit"].astype(str).str.strip() == "")
    if miss.any():
        row = int(np.flatnonzero(miss.to_numpy())[0]) + 2
        raise InputError(Problem(table, row, "unit", None, "the outcome's unit (e.g. 'person', 'kg', 'school')"), title=f"{table}: missing units")
    require_numeric(outcomes, ["value"], table)
    require_nonnegative(outcomes, ["value"], table)
    o = outcomes[[*by, "outcome", "value", "unit"]].merge(w[[*by, "cost_total"]] if by else w[["cost_total"]], on=by or None, how="left") if by else outcomes.assign(cost_total=float(w["cost_total"].iloc[0]))
    v = pd.to_numeric(o["value"]).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.where(v > 0, o["cost_total"] / v, np.nan)
    note = np.select([o["cost_total"].isna(), ~(v > 0)], ["no costs recorded for this group", "outcome is 0: cost per unit undefined"], default="")
    return o[by].assign(term="cost_per_" + o["outcome"].astype(str), estimate=est, n=pd.NA, unit="yuan/" + o["unit"].astype(str),
                        method="ledger total / outcome", note=note)


def _ce_text(table: pd.DataFrame, by: list[str]):
    def text(lang: str = "zh") -> str:
        keys = table[by].drop_duplicates() if by else pd.DataFrame(index=[0])
        out = []
        for _, k in keys.iterrows():
            sub = table
            for b in by:
                sub = sub[sub[b] == k[b]]
            est = dict(zip(sub["term"], sub["estimate"]))
            label = group_label(k, by, lang)
            cpb = est.get("cost_per_beneficiary", np.nan)
            lev = est.get("leverage", np.nan)
            if lang == "zh":
                s = f"{label}：投入 {fmt_num(est.get('cost_total', np.nan))} 元"
                s += f"，每位受益人成本 {fmt_num(cpb)} 元" if np.isfinite(cpb) else ""
                s += f"，每 1 元公共资金撬动社会资金 {fmt_num(lev, 2)} 元" if np.isfinite(lev) else "，无公共资金投入记录"
                out.append(s + "。")
            else:
                s = f"{label}: {fmt_num(est.get('cost_total', np.nan))} yuan spent"
                s += f", {fmt_num(cpb)} yuan per beneficiary" if np.isfinite(cpb) else ""
                s += f", {fmt_num(lev, 2)} yuan of external funds per yuan of public money" if np.isfinite(lev) else ", no public funds recorded"
                out.append(s + ".")
        return "\n".join(out)

    return text


def jobs_created(
    jobs: pd.DataFrame, cost_ledger: pd.DataFrame | None = None, by: str | Sequence[str] | None = DEFAULT_BY
) -> Result:
    """Jobs created and cost per job, per group.

    Formula
        ``jobs_created = sum(jobs)`` over the rows of ``jobs`` (a frame with the ``by`` columns
        or ``month``, and ``jobs``: jobs created, full-time equivalents or positions as the
        user records them); ``cost_per_job = cost_total / jobs_created`` with the ledger.
    Units
        jobs; yuan per job.
    Uncertainty
        None: administrative totals.
    Empty groups
        ``cost_per_job`` is NA with a reason where no job or no cost is recorded.
    """
    by_ = as_by(by)
    table_name = "jobs"
    require_columns(jobs, ["jobs", *[b for b in by_ if b != "year"]], table_name)
    require_nonempty(jobs, table_name, "rows")
    require_numeric(jobs, ["jobs"], table_name)
    require_nonnegative(jobs, ["jobs"], table_name)
    j = _with_year(jobs, by_, table_name)
    j = j.assign(jobs=pd.to_numeric(j["jobs"]).astype(float))
    w = j.groupby(by_, sort=True, dropna=False)["jobs"].sum().reset_index() if by_ else pd.DataFrame({"jobs": [j["jobs"].sum()]})
    terms = [("jobs_created", "jobs", "job", "")]
    if cost_ledger is not None:
        led = _prep_ledger(cost_ledger, by_)
        _check_years(j, led, by_, "jobs", "cost_ledger")
        c = _costs(led, by_)
        w = w.merge(c, on=by_, how="left") if by_ else pd.concat([w, c], axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            w["cost_per_job"] = np.where(w["jobs"] > 0, w["cost_total"] / w["jobs"], np.nan)
        w["cpj_note"] = np.select([w["cost_total"].isna(), ~(w["jobs"] > 0)],
                                  ["no costs recorded for this group", "no jobs recorded: cost per job undefined"], default="")
        terms.append(("cost_per_job", "cost_per_job", "yuan/job", "cpj_note"))
    w["_n"] = pd.NA
    table = _tidy(w, by_, terms, "sum of recorded jobs; ledger total / jobs")
    res = Result(table=table, method="Jobs created (recorded totals)", assumptions=(_ADMIN,))

    def text(lang: str = "zh") -> str:
        jc = res.table[res.table["term"] == "jobs_created"]
        return "\n".join(
            (f"{group_label(r, by_, lang)}：带动就业 {fmt_num(r['estimate'])} 个岗位。" if lang == "zh"
             else f"{group_label(r, by_, lang)}: {fmt_num(r['estimate'])} jobs created.")
            for _, r in jc.iterrows()
        )

    res.text = text
    return res
