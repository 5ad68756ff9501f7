"""The campaign's evaluation designs as data (``DESIGNS``) and the groups they compare: the first
wave of key counties, program counties and exposure, intensity, synthetic-control donor pools,
and the design of one county.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd

from impact import config
from impact.errors import DesignError, ImpactError, InputError, Problem

Lang = Literal["zh", "en"]


#: Year of the first wave (the article: "2022年……结对帮扶我省 27个国家乡村振兴重点帮扶县").
FIRST_WAVE_YEAR = 2022


#: Number of national key counties in Yunnan (the article, twice).
N_KEY_COUNTIES = 27


#: Years in which later-wave counties can first be paired in an annual panel: the action
#: was deployed in October 2023 and signing ceremonies ran "2023年底以来" (昭通 2024-03,
#: 大理 2024-05). The article gives no county's exact year outside those two prefectures.
LATER_WAVE_YEARS = (2023, 2024)


#: Prefectures whose later-wave signing year the article gives: name -> year.
DATED_SIGNINGS = {"昭通市": 2024, "大理白族自治州": 2024}


#: Sectors with a county-panel outcome (``cohort_<sector>`` columns of ``county_panel``).
SECTORS = ("agriculture", "health", "child_protection")


#: The county-panel outcome of each sector.
SECTOR_OUTCOME = {"agriculture": "grain_yield", "health": "referral_out_share", "child_protection": "children_reached"}


#: Where a shipped list of the 27 key counties would live.
KEY_COUNTIES_FILE = "key_counties.csv"


KEY_COUNTIES_COLUMNS = ("county_code", "name", "source", "quote")


#: Fewer treated counties than this: analytic (influence-function) intervals under-cover;
#: the design switches to inference made for few treated clusters.
FEW_TREATED = 10


@dataclass(frozen=True)
class Design:
    """One evaluation design: what is compared with what, and what must hold.

    ``estimator`` names the function that carries it out; ``causal`` is False for
    descriptive designs (their numbers are associations, not effects).
    """

    key: str
    name_zh: str
    name_en: str
    assumption_zh: str
    assumption_en: str
    comparison_zh: str
    comparison_en: str
    estimator: str
    level: Literal["county", "unit"]
    causal: bool = True

    def name(self, lang: Lang = "zh") -> str:
        """The design's name in ``lang``."""
        return self.name_zh if lang == "zh" else self.name_en

    def assumption(self, lang: Lang = "zh") -> str:
        """The identifying assumption in one plain sentence."""
        return self.assumption_zh if lang == "zh" else self.assumption_en

    def comparison(self, lang: Lang = "zh") -> str:
        """The comparison group in one plain sentence."""
        return self.comparison_zh if lang == "zh" else self.comparison_en

    def sentence(self, lang: Lang = "zh") -> str:
        """``Design: <name>. Compared with: <group>. Assumption: <assumption>`` in ``lang``."""
        if lang == "zh":
            return f"设计：{self.name_zh}。对照：{self.comparison_zh}假设：{self.assumption_zh}"
        return f"Design: {self.name_en}. Compared with: {self.comparison_en} Assumption: {self.assumption_en}"


DESIGNS: dict[str, Design] = {
    d.key: d
    for d in (
        Design(
            key="wave_timing",
            name_zh="分批结对（2022年批次对照尚未结对的后续批次）",
            name_en="Pairing waves (the 2022 wave against later waves not yet paired)",
            assumption_zh="若没有结对，先结对的县与后结对的县的结果会沿相同趋势变化，且结对前没有预期效应。",
            assumption_en="Without pairing, early- and later-paired counties would have followed the same trend, "
            "and no county changed course in anticipation of its pairing.",
            comparison_zh="同一年份里尚未结对的后续批次县（每个县最终都会结对）。",
            comparison_en="Counties of later waves in the years before their own pairing (every county is paired "
            "in the end).",
            estimator="impact.estimate.staggered(control_group='notyettreated')",
            level="county",
        ),
        Design(
            key="program_exposure",
            name_zh="项目暴露（有某类项目的县对照没有该类项目的县）",
            name_en="Program exposure (counties with a program of a sector against counties without one)",
            assumption_zh="没有该类项目时，两组县在该领域的结果趋势相同；其他结对帮扶不影响这一领域的结果。",
            assumption_en="Without the program, counties with and without it would have followed the same trend "
            "in its sector, and pairing without such a program does not move that sector's outcome.",
            comparison_zh="同样已结对、但没有该领域项目的县。",
            comparison_en="Counties that are paired too, but have no program of that sector.",
            estimator="impact.estimate.staggered(gname='cohort_<sector>', control_group='nevertreated')",
            level="county",
        ),
        Design(
            key="intensity",
            name_zh="帮扶强度（描述性）",
            name_en="Intensity of support (descriptive)",
            assumption_zh="这只是描述：组织数和资金多的县本来就可能不同，差异不能解读为因果效应。",
            assumption_en="This is descriptive only: counties with more organisations or funds may differ in other "
            "ways, so differences are not causal effects.",
            comparison_zh="不作比较：所有县都已结对，没有强度为零的县；原文只给少数县的组织和资金。",
            comparison_en="None: every county is paired, so no county has zero dose, and the article gives "
            "organisations and funds for a few counties only.",
            estimator="impact.design.intensity",
            level="county",
            causal=False,
        ),
        Design(
            key="paired_plots",
            name_zh="配对地块（示范品种对照同一配对的对照品种）",
            name_en="Paired plots (demonstration variety against the check plot of the same pair)",
            assumption_zh="同一配对的两块地土壤和管理相同，产量差异只来自品种。",
            assumption_en="The two plots of a pair share soil and management, so their yield difference comes "
            "from the variety alone.",
            comparison_zh="同一村同一配对中种植当地对照品种的地块。",
            comparison_en="The plot of the same pair, in the same village, sown with the local check variety.",
            estimator="impact.indicators.yield_gain",
            level="unit",
        ),
        Design(
            key="patients_before_after",
            name_zh="患者前后对比（本地手术对照去省级医院）",
            name_en="Patients before and after (local surgery against treatment at a provincial hospital)",
            assumption_zh="在本地和去省级医院做手术的患者病情和收入相当，费用差异来自就医地点。",
            assumption_en="Patients operated locally and at a provincial hospital are alike in illness and income, "
            "so their cost difference comes from where they were treated.",
            comparison_zh="同一县去省级医院做同类手术的患者（帮扶前大多如此）。",
            comparison_en="Patients of the same county who had the same operation at a provincial hospital "
            "(as most did before the support).",
            estimator="impact.indicators.cost_savings",
            level="unit",
        ),
        Design(
            key="household_participation",
            name_zh="参与户对照未参与户（按基线特征加权）",
            name_en="Participating against non-participating households (weighted on baseline traits)",
            assumption_zh="在基线收入、教育、土地、距离和年龄相同的农户中，是否参与与收入前景无关。",
            assumption_en="Among households with the same baseline income, education, land, distance and age, "
            "taking part is unrelated to income prospects.",
            comparison_zh="同一批县中未参与项目、基线特征相近的农户。",
            comparison_en="Non-participating households of the same counties with similar baseline traits.",
            estimator="impact.estimate.ipw(estimand='ATT')",
            level="unit",
        ),
        Design(
            key="synthetic_control",
            name_zh="合成控制（供体为没有同类项目的县）",
            name_en="Synthetic control (donors are counties without a program of the same sector)",
            assumption_zh="没有该类项目的县加权组合能重现本县结对前的走势，且这些县不受本县项目影响。",
            assumption_en="A weighted mix of counties without such a program reproduces the county's path before "
            "its program, and those counties are not affected by it.",
            comparison_zh="没有同领域项目、结对前走势相近的县（它们同样已结对）。",
            comparison_en="Counties with no program of the same sector and a similar path before it (they are "
            "paired too).",
            estimator="impact.estimate.synth(donors=impact.design.donor_pool(...))",
            level="county",
        ),
    )
}


def design(key: str) -> Design:
    """The :class:`Design` named ``key`` (one of :data:`DESIGNS`)."""
    if key not in DESIGNS:
        raise ImpactError(f"design={key!r} is not valid; expected one of {', '.join(map(repr, DESIGNS))}")
    return DESIGNS[key]


def key_counties(path: str | Path | None = None) -> pd.DataFrame:
    """The 27 national key counties of Yunnan, from a sourced file.

    Parameters
    ----------
    path
        CSV with columns ``county_code, name, source, quote`` (UTF-8); default
        ``data/raw/registry/key_counties.csv``.

    Returns
    -------
    DataFrame with ``county_code, name, source, quote``, one row per county, sorted by code.

    Raises
    ------
    ImpactError
        When the file is missing: the project ships no list because no reliable complete
        source was found; real analyses of the wave design must supply one.
    InputError
        When a row lacks a source or quote, a name does not resolve to its code in
        :mod:`impact.geo`, a code repeats, or the file does not hold 27 counties.
    """
    file = Path(path) if path is not None else config.REGISTRY_DIR / KEY_COUNTIES_FILE
    if not file.is_file():
        raise ImpactError(
            f"{file}: no list of Yunnan's {N_KEY_COUNTIES} national key rural-revitalisation counties "
            "(国家乡村振兴重点帮扶县, 2021). The project does not ship one because no reliable, complete source "
            f"was found. Supply a CSV with columns {', '.join(KEY_COUNTIES_COLUMNS)} (a source and a quote "
            "for every row) and pass its path; the simulator draws its first wave instead and records it as drawn."
        )
    from impact.geo import resolve_county

    df = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8")
    problems: list[Problem] = []
    missing = [c for c in KEY_COUNTIES_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(Problem(str(file), None, ", ".join(missing), None, f"columns {', '.join(KEY_COUNTIES_COLUMNS)}"))
    for i, row in df.iterrows():
        for col in ("source", "quote"):
            if not str(row[col]).strip():
                problems.append(Problem(str(file), int(i) + 2, col, "", "a non-empty source and quote"))
        try:
            c = resolve_county(str(row["name"]))
        except ImpactError as err:
            problems.append(Problem(str(file), int(i) + 2, "name", row["name"], f"a county of impact.geo ({err})"))
            continue
        if c.code != str(row["county_code"]):
            problems.append(Problem(str(file), int(i) + 2, "county_code", row["county_code"], f"{c.code} ({c.name})"))
    dup = df["county_code"][df["county_code"].duplicated()]
    problems += [Problem(str(file), int(i) + 2, "county_code", v, "each county once") for i, v in dup.items()]
    if len(df) != N_KEY_COUNTIES:
        problems.append(Problem(str(file), None, "county_code", len(df), f"{N_KEY_COUNTIES} counties"))
    if problems:
        raise InputError(problems, title="key counties")
    return df[list(KEY_COUNTIES_COLUMNS)].sort_values("county_code", kind="stable").reset_index(drop=True)


def draw_first_wave(county_codes: Sequence[str], rng: np.random.Generator, *, n: int = N_KEY_COUNTIES) -> list[str]:
    """Draw ``n`` counties for the simulated first wave (uniformly, without replacement).

    Used only by the simulator when no sourced list is available; the draw is recorded
    in the truth file as drawn, never presented as the real list.
    """
    codes = sorted(str(c) for c in county_codes)
    if len(codes) < n:
        raise DesignError(f"cannot draw {n} first-wave counties from {len(codes)}")
    return sorted(rng.choice(np.array(codes), size=n, replace=False).tolist())


def _codes(s: pd.Series) -> pd.Series:
    return s.astype("string").fillna("").str.strip()


def program_counties(registry: dict[str, pd.DataFrame], sector: str) -> list[str]:
    """County codes with a program of ``sector``: a program sited there, or a program
    without sites run by an organisation paired with the county (sorted)."""
    programs, sites, pairings = registry["programs"], registry["program_sites"], registry["pairings"]
    pids = set(_codes(programs.loc[programs["sector"].astype(str) == sector, "program_id"]))
    out = {c for c, p in zip(_codes(sites["county_code"]), _codes(sites["program_id"])) if p in pids and c}
    sited = set(_codes(sites["program_id"]))
    for pid, org in zip(_codes(programs["program_id"]), _codes(programs["org_id"])):
        if pid in pids and pid not in sited:
            out |= {c for c in _codes(pairings.loc[_codes(pairings["org_id"]) == org, "county_code"]) if c}
    return sorted(out)


def intensity(registry: dict[str, pd.DataFrame], counties: Sequence[str] | None = None) -> pd.DataFrame:
    """Descriptive intensity of support per county, from the registry.

    Columns ``county_code, n_organizations, n_programs, funds_yuan, funds_source``:
    distinct organisations paired with the county (``pairings``) or running a program
    sited there; distinct programs sited there; the sum of fund facts stated for that
    county (:func:`impact.registry.fund_facts`, scope ``county``), NaN when the article
    states none. ``counties`` adds rows (zeros, NaN funds) for counties the registry does
    not name: the article pairs every county but does not list most partners.
    This is the ``intensity`` design: a description, not an effect.
    """
    from impact.registry import fund_facts

    pairings, sites, programs = registry["pairings"], registry["program_sites"], registry["programs"]
    org_of = dict(zip(_codes(programs["program_id"]), _codes(programs["org_id"])))
    pairs = pd.DataFrame({"county_code": _codes(pairings["county_code"]), "org_id": _codes(pairings["org_id"])})
    site = pd.DataFrame({"county_code": _codes(sites["county_code"]), "program_id": _codes(sites["program_id"])})
    site["org_id"] = site["program_id"].map(org_of).fillna("")
    orgs = pd.concat([pairs, site[["county_code", "org_id"]]])
    orgs = orgs[(orgs["county_code"] != "") & (orgs["org_id"] != "")]
    n_org = orgs.drop_duplicates().groupby("county_code").size()
    site = site[site["county_code"] != ""]
    n_prog = site.drop_duplicates(["county_code", "program_id"]).groupby("county_code").size()
    codes = sorted(set(n_org.index) | set(n_prog.index) | set(counties or ()))
    out = pd.DataFrame({"county_code": codes})
    out["n_organizations"] = out["county_code"].map(n_org).fillna(0).astype("int64")
    out["n_programs"] = out["county_code"].map(n_prog).fillna(0).astype("int64")
    facts = registry.get("facts")
    funds = pd.Series(dtype=float)
    if facts is not None and not facts.empty:
        f = fund_facts(facts)
        f = f[(f["scope"].astype(str) == "county") & (_codes(f["county_code"]) != "")]
        funds = pd.to_numeric(f["value"]).groupby(_codes(f["county_code"])).sum()
    out["funds_yuan"] = out["county_code"].map(funds).astype(float)
    out["funds_source"] = np.where(out["funds_yuan"].notna(), "article", "")
    return out


def intensity_statement(registry: dict[str, pd.DataFrame], counties: Sequence[str], *, lang: Lang = "zh") -> str:
    """Why intensity is described and not estimated, with the registry's counts, in ``lang``.

    A dose-response estimate (generalized propensity score, Hirano and Imbens 2004; continuous
    DiD, Callaway, Goodman-Bacon and Sant'Anna 2024) needs the dose of every county and a
    comparison at low or zero dose. Here every county is paired (no county has dose zero),
    the article names organisations for a few counties and funds for fewer (its province
    totals are not broken down by county), and organisations chose their counties. The
    sentence gives the counts from :func:`intensity` over ``counties`` (all counties studied).
    """
    tab = intensity(registry, counties)
    n_all = len(set(map(str, counties)))
    n_org = int((tab["n_organizations"] > 0).sum())
    n_fund = int(tab["funds_yuan"].notna().sum())
    if lang == "zh":
        return (f"帮扶强度只作描述，不估计因果效应：原文只点名了{n_all}个县中{n_org}个县的帮扶组织，只写明{n_fund}个县的单县资金，"
                f"全省合计没有分到各县；{n_all}个县都已结对，没有强度为零的县可作对照；组织去哪些县是它们自己选的，"
                "强度高的县本来就可能不同。因此组织数和资金的差异不能解读为剂量—反应效应。")
    return (f"Intensity of support is described, not estimated: the article names organisations for {n_org} of "
            f"{n_all} counties and states funds for a single county in {n_fund} of them; its province totals are not "
            f"broken down by county; all {n_all} counties are paired, so no county has zero dose to compare with; "
            "organisations chose their counties, so counties with more support may differ anyway. Differences in "
            "organisations and funds are therefore not dose-response effects.")


def donor_pool(
    panel: pd.DataFrame,
    county_code: str,
    *,
    sector: str,
    outcome: str | None = None,
    start: int | None = None,
    max_donors: int | None = 20,
) -> list[str]:
    """Synthetic-control donors for ``county_code``: counties without a program of ``sector``.

    ``panel`` is a county panel with ``cohort_<sector>`` (0 = no program of that sector;
    every county is paired with someone). With ``outcome`` and ``start`` the pool is
    limited to the ``max_donors`` counties closest in the mean of ``outcome`` before
    ``start`` (limiting interpolation bias, Abadie 2021). Raises :class:`DesignError` when
    the sector has no cohort column or no county lacks the program.
    """
    if sector not in SECTORS:
        raise DesignError(f"sector={sector!r} has no county-panel exposure; expected one of {', '.join(SECTORS)}. "
                          "Every county is paired, so a synthetic control needs a program that some counties lack.")
    col = f"cohort_{sector}"
    if col not in panel.columns:
        raise DesignError(f"the panel has no {col!r} column: cannot tell which counties lack the program")
    first = panel.groupby(panel["county_code"].astype(str))[col].max()
    pool = sorted(c for c in first.index[first == 0] if c != str(county_code))
    if not pool:
        raise DesignError(f"every county has a {sector} program: no donor without the same program")
    if outcome is None or start is None:
        return pool if max_donors is None else pool[:max_donors]
    pre = panel[pd.to_numeric(panel["year"]) < start]
    pre_mean = pre.groupby(pre["county_code"].astype(str))[outcome].mean()
    target = pre_mean.get(str(county_code), np.nan)
    if not np.isfinite(target):
        raise DesignError(f"county {county_code} has no {outcome} before {start}")
    dist = (pre_mean.reindex(pool) - target).abs().dropna().sort_values(kind="stable")
    return list(dist.index if max_donors is None else dist.index[:max_donors])


def county_design(
    panel: pd.DataFrame, county_code: str, year: int, *, registry: dict[str, pd.DataFrame] | None = None
) -> dict[str, Any] | None:
    """The county-level design of one county's report, or None (:func:`county_plan` says why)."""
    plan = county_plan(panel, county_code, year, registry=registry)
    return None if plan["design"] is None else plan


def _registry_programs(registry: dict[str, pd.DataFrame], county_code: str) -> pd.DataFrame:
    """The registry's programs in ``county_code`` as :func:`program_counties` places them (sited
    there, or without sites and run by an organisation paired with it): ``name, sector``."""
    programs, sites, pairings = registry["programs"], registry["program_sites"], registry["pairings"]
    pid = _codes(programs["program_id"])
    sited_here = set(_codes(sites.loc[_codes(sites["county_code"]) == county_code, "program_id"]))
    orgs_here = set(_codes(pairings.loc[_codes(pairings["county_code"]) == county_code, "org_id"]))
    unsited = ~pid.isin(set(_codes(sites["program_id"])))
    keep = pid.isin(sited_here) | (unsited & _codes(programs["org_id"]).isin(orgs_here))
    return programs.loc[keep.to_numpy(), ["name", "sector"]].reset_index(drop=True)


def county_plan(
    panel: pd.DataFrame, county_code: str, year: int, *, registry: dict[str, pd.DataFrame] | None = None
) -> dict[str, Any]:
    """Whether one county gets a synthetic control, on which program and date, and why (not).

    A county-specific estimate needs a treatment that exists in the campaign and that other
    counties lack: every county is paired, so pairing itself leaves no comparison group. The
    county's first sector of :data:`SECTOR_OUTCOME` whose program started by ``year``
    (``cohort_<sector>``, 0 = none) gives the design; with ``registry`` that program must also
    be one the registry places in the county (:func:`program_counties`), so a start year with no
    program behind it never becomes a treatment date. Donors: :func:`donor_pool`.

    Returns ``design`` (``"synthetic_control"`` or None), ``sector``, ``outcome``, ``start``
    and ``reason_zh`` / ``reason_en``: one computed sentence saying what the estimate rests on,
    or why there is none (the county's programs and their sectors, when the registry is given).
    """
    from impact.i18n import sector_name

    code = str(county_code)
    rows = panel[panel["county_code"].astype(str) == code]
    plan: dict[str, Any] = {"design": None, "sector": None, "outcome": None, "start": None}
    if rows.empty:
        return {**plan, "reason_zh": f"县级面板没有县代码 {code} 的数据，不做合成控制。",
                "reason_en": f"The county panel has no rows for county {code}: no synthetic control."}
    listed = {s for s in SECTORS if code in program_counties(registry, s)} if registry is not None else set(SECTORS)
    later: list[tuple[str, int]] = []
    unlisted: list[tuple[str, int]] = []
    for sector, outcome in SECTOR_OUTCOME.items():
        col = f"cohort_{sector}"
        start = int(rows[col].max()) if col in panel.columns else 0
        if start <= 0:
            continue
        if sector not in listed:
            unlisted.append((sector, start))
        elif start > year:
            later.append((sector, start))
        else:
            zh, en = sector_name(sector, "zh"), sector_name(sector, "en").lower()
            return {"design": "synthetic_control", "sector": sector, "outcome": outcome, "start": start,
                    "reason_zh": f"本县{zh}项目{start}年开始：合成控制以{start}年为处理时点，对照县取没有{zh}项目的县。",
                    "reason_en": f"The county's {en} program started in {start}: the synthetic control takes {start} "
                                 f"as the treatment date and draws its donors from counties without such a program."}
    tail_zh = "所有县都已结对，仅凭结对找不到对照组，因此本县不做县级合成控制。"
    tail_en = ("Every county is paired, so pairing alone leaves no comparison group: "
               "no county-specific synthetic control.")
    if later:
        s, y = later[0]
        return {**plan, "reason_zh": f"本县{sector_name(s, 'zh')}项目{y}年才开始，晚于报告年份{year}年；{tail_zh}",
                "reason_en": f"The county's {sector_name(s, 'en').lower()} program starts in {y}, after the report year {year}. "
                             + tail_en}
    if unlisted:
        s, y = unlisted[0]
        return {**plan, "reason_zh": f"面板给出本县{sector_name(s, 'zh')}项目开始于{y}年，但项目登记表中本县没有该领域的项目，"
                                     f"这个年份不是活动中存在的处理时点；{tail_zh}",
                "reason_en": f"The panel gives a {sector_name(s, 'en').lower()} program start of {y} for the county, but the program "
                             "registry lists no such program there, so that year is no treatment date of the campaign. "
                             + tail_en}
    have = "、".join(sector_name(s, "zh") for s in SECTOR_OUTCOME)
    en_names = [sector_name(s, "en").lower() for s in SECTOR_OUTCOME]
    have_en = ", ".join(en_names[:-1]) + " or " + en_names[-1]
    progs = _registry_programs(registry, code) if registry is not None else pd.DataFrame(columns=["name", "sector"])
    if len(progs):
        named_zh = "、".join(f"{n}（{sector_name(str(s), 'zh')}）" for n, s in zip(progs["name"], progs["sector"]))
        named_en = "; ".join(f"{n} ({sector_name(str(s), 'en').lower()})" for n, s in zip(progs["name"], progs["sector"]))
        return {**plan, "reason_zh": f"原文记载的本县项目为{named_zh}，不属于县级面板有结果指标的领域（{have}）；{tail_zh}",
                "reason_en": f"The article's programs in the county, {named_en}, are outside the sectors with a county-panel "
                             f"outcome ({have_en}). " + tail_en}
    return {**plan, "reason_zh": f"本县没有{have}领域的项目；{tail_zh}",
            "reason_en": f"The county has no program in {have_en}. " + tail_en}
