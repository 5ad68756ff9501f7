"""One ``TableSpec`` per raw table and per user table kind (``SPECS``), the row rules they carry, and
the look-ups by kind (``spec``) and by file name (``kind_for_file``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from impact.errors import ImpactError, Problem
from impact.schemas.columns import (
    _C,
    ARMS,
    COUNTY_KINDS,
    FUNDERS,
    PERIODS,
    QUOTE,
    SCOPES,
    SETTINGS,
    SEXES,
    YEAR_MAX,
    YEAR_MIN,
    Column,
    RowRule,
    TableSpec,
    _na,
    base_units,
    known_units,
)
from impact.vocab import LEVELS, ORG_KINDS, QUALIFIERS, SECTORS


def _year_of(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.astype("string").str.slice(0, 4), errors="coerce")


def _period_order(df: pd.DataFrame) -> pd.Series:
    a = df["period_start"].astype("string")
    b = df["period_end"].astype("string")
    n = np.minimum(a.str.len().fillna(0), b.str.len().fillna(0)).astype(int)
    bad = [
        (isinstance(x, str) and isinstance(y, str) and x[:k] > y[:k])
        for x, y, k in zip(a.tolist(), b.tolist(), n.tolist())
    ]
    return pd.Series(bad, index=df.index)


def _compact(s: Any) -> str:
    return re.sub(r"\s+", "", str(s))


def _not_in_quote(col: str) -> Callable[[pd.DataFrame], pd.Series]:
    def bad(df: pd.DataFrame) -> pd.Series:
        out = [
            (not _na(v)) and (not _na(q)) and _compact(v) not in _compact(q)
            for v, q in zip(df[col].tolist(), df["quote"].tolist())
        ]
        return pd.Series(out, index=df.index)

    return bad


def _missing_when(col: str, scope: str) -> Callable[[pd.DataFrame], pd.Series]:
    def bad(df: pd.DataFrame) -> pd.Series:
        return (df["scope"].astype("string") == scope).fillna(False) & df[col].isna()

    return bad


def _treated_rule(df: pd.DataFrame) -> pd.Series:
    cohort = pd.to_numeric(df["cohort"], errors="coerce")
    year = pd.to_numeric(df["year"], errors="coerce")
    treated = pd.to_numeric(df["treated"], errors="coerce")
    want = ((cohort > 0) & (year >= cohort)).astype("Int64")
    ok = cohort.isna() | year.isna() | treated.isna()
    return (~ok) & (treated.astype("Int64") != want).fillna(False)


def _prefecture_rule(df: pd.DataFrame) -> pd.Series:
    a = df["county_code"].astype("string").str.slice(0, 4)
    b = df["prefecture_code"].astype("string").str.slice(0, 4)
    return (a != b).fillna(False)


def _income_total_rule(df: pd.DataFrame) -> pd.Series:
    parts = ["income_farming", "income_wages", "income_ecommerce", "income_transfers"]
    comp = df[parts].apply(pd.to_numeric, errors="coerce")
    total = pd.to_numeric(df["income_total"], errors="coerce")
    s = comp.sum(axis=1, min_count=len(parts))
    tol = np.maximum(1.0, 1e-6 * total.abs())
    return ((total - s).abs() > tol).fillna(False)


def _pair_rule(df: pd.DataFrame, file: str) -> list[Problem]:
    """Each (pair_id, year) holds exactly one treated and one check plot."""
    need = {"pair_id", "year", "arm"}
    if not need <= set(df.columns):
        return []
    d = pd.DataFrame({
        "pair_id": df["pair_id"], "year": df["year"],
        "t": (df["arm"] == "treated").fillna(False).astype(int),
        "c": (df["arm"] == "check").fillna(False).astype(int),
        "row": np.arange(len(df)) + 2,
    }).dropna(subset=["pair_id", "year"])
    g = d.groupby(["pair_id", "year"], sort=False).agg(n=("row", "size"), t=("t", "sum"), c=("c", "sum"),
                                                       row=("row", "min"))
    bad = g[~((g["n"] == 2) & (g["t"] == 1) & (g["c"] == 1))]
    return [
        Problem(file, int(r.row), "arm",
                f"pair {pid!r} in {int(yr)}: {int(r.t)} treated, {int(r.c)} check, {int(r.n)} plots",
                "exactly one 'treated' and one 'check' plot per pair_id and year")
        for (pid, yr), r in bad.iterrows()
    ]


def _cohort_col(name: str, meaning: str, zh: str) -> Column:
    return _C(name, "integer", meaning, zh, "year", allowed=None, ge=0, le=YEAR_MAX)


def _cohort_rule(col: str) -> RowRule:
    return RowRule(col, f"0 (none within the data) or a year {YEAR_MIN}–{YEAR_MAX}",
                   lambda df: ((pd.to_numeric(df[col], errors="coerce") > 0)
                               & (pd.to_numeric(df[col], errors="coerce") < YEAR_MIN)).fillna(False))


_SPECS: list[TableSpec] = [
    TableSpec(
        "organizations", "Organizations", "社会组织",
        "Social organizations named in the article (registry; one row per organization).",
        ("org_id",),
        (
            _C("org_id", "string", "stable identifier of the organization", "组织编号"),
            _C("name", "string", "name in Chinese as written in the article", "组织名称"),
            _C("level", "string", "level of the organization (empty: the article does not say)", "层级",
               required=False, allowed=LEVELS),
            _C("kind", "string", "kind of organization (empty: the article does not say)", "类型",
               required=False, allowed=ORG_KINDS),
            _C("based_in", "string", "where the organization is based, as written", "所在地", required=False),
            QUOTE,
        ),
        files=("registry/organizations.csv",),
    ),
    TableSpec(
        "pairings", "Pairings", "结对帮扶",
        "An organization paired with a county (registry; one row per pairing).",
        ("pairing_id",),
        (
            _C("pairing_id", "string", "stable identifier of the pairing", "结对编号"),
            _C("org_id", "string", "the organization", "组织编号", references=("organizations", "org_id")),
            _C("county", "string", "county name as written in the article", "县名（原文）"),
            _C("county_code", "county_code", "county resolved by impact.geo.resolve_county", "县级行政区划代码"),
            _C("year", "year", "year of the pairing", "年份", "year", required=False),
            _C("date", "period", "date of the pairing at the precision the article gives", "日期", required=False),
            _C("event", "string", "signing event or occasion, as written", "签约活动", required=False),
            QUOTE,
        ),
        files=("registry/pairings.csv",),
    ),
    TableSpec(
        "programs", "Programs", "帮扶项目",
        "Programs run by organizations (registry; one row per program).",
        ("program_id",),
        (
            _C("program_id", "string", "stable identifier of the program", "项目编号"),
            _C("org_id", "string", "organization running the program (empty: not said)", "组织编号",
               required=False, references=("organizations", "org_id")),
            _C("name", "string", "name or short description of the program as written", "项目名称"),
            _C("sector", "string", "sector of the program", "领域", required=False, allowed=SECTORS),
            _C("period_start", "period", "start of the program", "开始时间", required=False),
            _C("period_end", "period", "end of the program", "结束时间", required=False),
            _C("delivered", "string", "what was delivered, as written", "帮扶内容", required=False),
            _C("delivered_en", "string", "the project's English translation of delivered (not the article's words)",
               "帮扶内容（英译，本项目译）", required=False),
            QUOTE,
        ),
        files=("registry/programs.csv",),
        rules=(RowRule("period_end", "period_end not before period_start", _period_order),),
    ),
    TableSpec(
        "program_sites", "Program sites", "项目地点",
        "Counties (and towns, villages where named) of each program (registry).",
        ("program_id", "county_code", "town", "village"),
        (
            _C("program_id", "string", "the program", "项目编号", references=("programs", "program_id")),
            _C("county", "string", "county name as written in the article (empty: not said)", "县名（原文）",
               required=False),
            _C("county_code", "county_code", "county resolved by impact.geo.resolve_county (empty: not said)",
               "县级行政区划代码", required=False),
            _C("town", "string", "town (乡镇) as written", "乡镇", required=False),
            _C("village", "string", "village (村) as written", "村", required=False),
            QUOTE,
        ),
        files=("registry/program_sites.csv",),
        rules=(
            RowRule("county_code", "a county_code when county is given", lambda df: df["county"].notna()
                    & df["county_code"].isna()),
            RowRule("village", "a county_code, town or village", lambda df: df["county_code"].isna()
                    & df["town"].isna() & df["village"].isna()),
        ),
    ),
    TableSpec(
        "facts", "Facts", "数据事实",
        "Every figure the article states, in base units, with its verbatim quote (registry).",
        ("fact_id",),
        (
            _C("fact_id", "string", "stable identifier of the fact", "事实编号"),
            _C("measure", "string", "what the figure measures (snake_case)", "指标"),
            _C("value", "number", "the figure in its base unit", "数值（基本单位）", "base_unit", ge=0),
            _C("base_unit", "string", "unit of value", "基本单位", allowed=base_units),
            _C("value_as_written", "string", "the figure as written in the article (must appear in quote)",
               "原文数值", required=False),
            _C("unit_as_written", "string", "the unit as written in the article", "原文单位", required=False,
               allowed=known_units,
               allowed_text="a unit known to impact.units, alone or after 千/万/百万/千万/亿 "
                            "(元, 万元, 亿元, 亩, 公斤, 斤, 人, 人次, 所, 个, 家, %, ...)"),
            _C("qualifier", "string", "exact or approximate (余/超过 more_than, 约 about, 近 nearly, ...)",
               "限定词", required=False, allowed=QUALIFIERS),
            _C("scope", "string", "level the figure refers to", "范围", allowed=SCOPES),
            _C("program_id", "string", "program the figure belongs to", "项目编号", required=False,
               references=("programs", "program_id")),
            _C("org_id", "string", "organization the figure belongs to", "组织编号", required=False,
               references=("organizations", "org_id")),
            _C("county_code", "county_code", "county the figure refers to", "县级行政区划代码", required=False),
            _C("place", "string", "place as written (town, village, ...)", "地点", required=False),
            _C("period_start", "period", "start of the period the figure covers", "开始时间", required=False),
            _C("period_end", "period", "end of the period the figure covers", "结束时间", required=False),
            QUOTE,
        ),
        files=("registry/facts.csv",),
        rules=(
            RowRule("value_as_written", "the figure as written to appear in quote", _not_in_quote("value_as_written")),
            RowRule("county_code", "a county_code when scope is 'county'", _missing_when("county_code", "county")),
            RowRule("program_id", "a program_id or org_id when scope is 'program'",
                    lambda df: _missing_when("program_id", "program")(df) & df["org_id"].isna()),
            RowRule("period_end", "period_end not before period_start", _period_order),
        ),
    ),
    TableSpec(
        "counties", "Counties", "县级行政区",
        "Yunnan's 129 county-level divisions (geometry in data/raw/geo/counties.parquet).",
        ("county_code",),
        (
            _C("county_code", "county_code", "6-digit administrative code", "县级行政区划代码"),
            _C("name", "string", "official name (景谷傣族彝族自治县)", "全称"),
            _C("short_name", "string", "common short name (景谷县)", "简称"),
            _C("alias", "string", "bare name (景谷)", "别名"),
            _C("prefecture_code", "string", "6-digit code of the prefecture, ending in 00", "州市代码"),
            _C("prefecture", "string", "prefecture name", "州市"),
            _C("kind", "string", "kind of county-level division", "类型", allowed=COUNTY_KINDS),
            _C("area_km2", "number", "area from the unsimplified polygons (Albers equal-area)", "面积", "km²", gt=0),
        ),
        files=("geo/counties.csv",),
        rules=(RowRule("prefecture_code", "a prefecture code sharing the county code's first four digits",
                       _prefecture_rule),),
        template=False,
    ),
    TableSpec(
        "county_panel", "County panel", "县级面板",
        "One row per county and year (simulated: county_panel_simulated.parquet).",
        ("county_code", "year"),
        (
            _C("county_code", "county_code", "county", "县级行政区划代码"),
            _C("county_name", "string", "county name", "县名"),
            _C("prefecture_code", "string", "prefecture code (6 digits ending in 00)", "州市代码"),
            _C("prefecture", "string", "prefecture name", "州市"),
            _C("year", "year", "calendar year", "年份", "year"),
            _C("altitude_band", "string", "altitude band of the county", "海拔带", required=False),
            _C("baseline_income", "number", "income per capita before any pairing", "基期人均收入",
               "yuan/person/year", ge=0, required=False),
            _cohort_col("cohort", "year of the county's first pairing, 0 = not paired within the data's years",
                        "首次结对年份"),
            _C("treated", "flag", "1 when cohort > 0 and year >= cohort", "是否已结对"),
            _cohort_col("cohort_agriculture", "first year of an agriculture program, 0 = no such program", "农业项目首年"),
            _cohort_col("cohort_health", "first year of a health program, 0 = no such program", "医疗项目首年"),
            _cohort_col("cohort_child_protection", "first year of a child-protection program, 0 = no such program",
                        "儿童保护项目首年"),
            _C("income_per_capita", "number", "rural disposable income per capita", "农村居民人均可支配收入",
               "yuan/person/year", ge=0, required=False),
            _C("grain_yield", "number", "grain yield", "粮食单产", "kg/mu", ge=0, required=False),
            _C("vegetable_output", "number", "vegetable output value", "蔬菜产值", "10k yuan", ge=0, required=False),
            _C("tourist_visits", "number", "tourist visits", "游客人次", "10k person-times", ge=0, required=False),
            _C("referral_out_share", "number", "share of patients referred out of the county", "县外转诊率",
               "share 0–1", ge=0, le=1, required=False),
            _C("children_reached", "integer", "children reached by child-protection services", "覆盖儿童数",
               "persons", ge=0, required=False),
        ),
        files=("simulated/county_panel_simulated.parquet",),
        rules=(
            RowRule("treated", "treated = 1 when cohort > 0 and year >= cohort, else 0", _treated_rule),
            _cohort_rule("cohort"), _cohort_rule("cohort_agriculture"), _cohort_rule("cohort_health"),
            _cohort_rule("cohort_child_protection"),
            RowRule("prefecture_code", "a prefecture code sharing the county code's first four digits",
                    _prefecture_rule),
        ),
    ),
    TableSpec(
        "plot_trials", "Plot trials", "田间对比试验",
        "Paired field trials: a treated plot and its check plot per pair_id and year.",
        ("plot_id", "year"),
        (
            _C("trial_id", "string", "trial (one variety or technique tested at one site)", "试验编号"),
            _C("county_code", "county_code", "county", "县级行政区划代码"),
            _C("town", "string", "town (乡镇)", "乡镇", required=False),
            _C("village", "string", "village (村)", "村", required=False),
            _C("plot_id", "string", "plot", "地块编号"),
            _C("pair_id", "string", "groups a treated plot with its check plot", "配对编号"),
            _C("year", "year", "harvest year", "年份", "year"),
            _C("variety", "string", "crop variety", "品种", required=False),
            _C("arm", "string", "treated plot or check plot", "处理/对照", allowed=ARMS),
            _C("area_mu", "number", "plot area", "面积", "mu", gt=0),
            _C("yield_kg_per_mu", "number", "yield", "亩产", "kg/mu", ge=0, required=False),
            _C("fertilizer_kg_per_mu", "number", "fertilizer applied", "施肥量", "kg/mu", ge=0, required=False),
            _C("seed_cost_yuan_per_mu", "number", "seed cost", "种子成本", "yuan/mu", ge=0, required=False),
        ),
        files=("simulated/plot_trials_simulated.parquet",),
        group_rules=(_pair_rule,),
    ),
    TableSpec(
        "household_survey", "Household survey", "农户调查",
        "Household panel survey; wave 0 is the baseline (simulated: households_simulated.parquet).",
        ("household_id", "wave"),
        (
            _C("household_id", "string", "household", "农户编号"),
            _C("county_code", "county_code", "county", "县级行政区划代码"),
            _C("town", "string", "town (乡镇)", "乡镇", required=False),
            _C("village_id", "string", "village", "村编号", required=False),
            _C("wave", "integer", "survey wave, 0 = baseline", "调查轮次", ge=0),
            _C("year", "year", "survey year", "年份", "year"),
            _C("hh_size", "integer", "household members", "家庭人口", "persons", ge=1, le=30),
            _C("participant", "flag", "1 when the household takes part in a program", "是否参与项目"),
            _C("head_age", "integer", "age of the household head", "户主年龄", "years", ge=15, le=110,
               required=False),
            _C("head_education_years", "number", "schooling of the household head", "户主受教育年限", "years",
               ge=0, le=25, required=False),
            _C("land_mu", "number", "land farmed", "耕地面积", "mu", ge=0, required=False),
            _C("distance_to_town_km", "number", "distance to the town seat", "到乡镇距离", "km", ge=0,
               required=False),
            _C("baseline_income", "number", "household income at baseline", "基期收入", "yuan/household/year",
               ge=0, required=False),
            _C("income_farming", "number", "net farming income", "种养收入", "yuan/household/year", ge=0,
               required=False),
            _C("income_wages", "number", "wage income", "工资性收入", "yuan/household/year", ge=0, required=False),
            _C("income_ecommerce", "number", "e-commerce income", "电商收入", "yuan/household/year", ge=0,
               required=False),
            _C("income_transfers", "number", "transfers received", "转移性收入", "yuan/household/year", ge=0,
               required=False),
            _C("income_total", "number", "sum of the four income sources", "总收入", "yuan/household/year",
               ge=0, required=False),
        ),
        files=("simulated/households_simulated.parquet",),
        rules=(RowRule("income_total", "income_farming + income_wages + income_ecommerce + income_transfers "
                       "(within 1 yuan)", _income_total_rule),),
    ),
    TableSpec(
        "patient_records", "Patient records", "患者就医记录",
        "One row per treated patient: costs of care locally or at provincial hospitals "
        "(simulated: patients_simulated.parquet).",
        ("patient_id",),
        (
            _C("patient_id", "string", "patient", "患者编号"),
            _C("county_code", "county_code", "county of residence", "县级行政区划代码"),
            _C("year", "year", "year of treatment", "年份", "year"),
            _C("procedure", "string", "procedure or condition", "手术/病种"),
            _C("setting", "string", "where treated", "就医地点", allowed=SETTINGS),
            _C("period", "string", "before or after the program", "项目前后", allowed=PERIODS),
            _C("medical_cost", "number", "medical cost", "医疗费用", "yuan", ge=0),
            _C("travel_cost", "number", "travel cost", "交通费用", "yuan", ge=0, required=False),
            _C("lodging_cost", "number", "lodging cost", "住宿费用", "yuan", ge=0, required=False),
            _C("lost_work_days", "number", "work days lost (patient and companion)", "误工天数", "days", ge=0,
               required=False),
            _C("daily_wage", "number", "daily wage used to value lost work", "日工资", "yuan/day", ge=0,
               required=False),
        ),
        files=("simulated/patients_simulated.parquet",),
    ),
    TableSpec(
        "beneficiary_roster", "Beneficiary roster", "受益人名册",
        "One row per person and month served (simulated: beneficiaries_simulated.parquet).",
        ("person_id", "program_id", "month", "service"),
        (
            _C("person_id", "string", "person served", "受益人编号"),
            _C("program_id", "string", "program", "项目编号"),
            _C("county_code", "county_code", "county", "县级行政区划代码"),
            _C("month", "month", "month served", "月份", "YYYY-MM"),
            _C("service", "string", "service received", "服务内容"),
            _C("age", "integer", "age", "年龄", "years", ge=0, le=110, required=False),
            _C("sex", "string", "sex", "性别", required=False, allowed=SEXES),
            _C("group", "string", "target group (children, elderly, ...)", "对象类别", required=False),
        ),
        files=("simulated/beneficiaries_simulated.parquet",),
    ),
    TableSpec(
        "cost_ledger", "Cost ledger", "项目成本台账",
        "Program spending by month and item (simulated: cost_ledger_simulated.parquet).",
        ("entry_id",),
        (
            _C("entry_id", "string", "ledger entry", "条目编号"),
            _C("program_id", "string", "program", "项目编号"),
            _C("county_code", "county_code", "county", "县级行政区划代码"),
            _C("month", "month", "month of the spending", "月份", "YYYY-MM"),
            _C("item", "string", "spending item", "支出科目"),
            _C("amount_yuan", "number", "amount spent", "金额", "yuan", ge=0),
            _C("funder", "string", "who paid", "资金来源", allowed=FUNDERS),
        ),
        files=("simulated/cost_ledger_simulated.parquet",),
    ),
    TableSpec(
        "own_programs", "Own programs", "自有项目",
        "Programs declared by the user (not quoted from the article): one row per program and county "
        "(user data: data/raw/user/).",
        ("program", "organization", "county_code"),
        (
            _C("program", "string", "name of the program", "项目名称"),
            _C("organization", "string", "organization running the program", "组织名称"),
            _C("organization_kind", "string", "kind of organization", "组织类型", required=False,
               allowed=ORG_KINDS),
            _C("county_code", "county_code", "county served (a county name is accepted and resolved)",
               "县级行政区划代码"),
            _C("sector", "string", "sector of the program", "领域", allowed=SECTORS),
            _C("start_date", "period", "start of the program", "开始时间"),
            _C("funds_yuan", "number", "funds spent on the program", "投入资金", "yuan", ge=0, required=False),
            _C("beneficiaries", "integer", "people reached", "受益人数", "persons", ge=0, required=False),
            _C("source_note", "string", "where the figures come from (document, ledger, ...)", "资料来源",
               required=False),
        ),
    ),
]


#: kind -> spec, in documentation order.
SPECS: dict[str, TableSpec] = {s.kind: s for s in _SPECS}


KINDS: tuple[str, ...] = tuple(SPECS)


class UnknownKindError(ImpactError, ValueError):
    """A table kind that is not one of :data:`KINDS` (also a ``ValueError``, as option errors are)."""


def spec(kind: str) -> TableSpec:
    """The :class:`TableSpec` of ``kind`` (raises :class:`UnknownKindError` listing the valid kinds)."""
    if not isinstance(kind, str) or kind not in SPECS:
        raise UnknownKindError(f"unknown table kind {kind!r}; expected one of {', '.join(KINDS)}")
    return SPECS[kind]


def kind_for_file(path: str | Path) -> str | None:
    """Guess the kind from a file name (``facts.csv`` -> ``facts``,
    ``households_simulated.parquet`` -> ``household_survey``); None if no match."""
    stem = Path(path).name.split(".")[0].lower().removesuffix("_simulated")
    if stem in SPECS:
        return stem
    for s in _SPECS:
        for f in s.files:
            if Path(f).name.split(".")[0].removesuffix("_simulated") == stem:
                return s.kind
    return None


#: Kinds a user may bring in (``impact data add``): the evaluation tables and own programs.
USER_KINDS: tuple[str, ...] = (
    "county_panel", "plot_trials", "household_survey", "patient_records", "beneficiary_roster", "cost_ledger",
    "own_programs",
)
