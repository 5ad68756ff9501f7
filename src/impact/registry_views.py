"""Views of the registry for reports: funds and beneficiaries (``fund_facts``, ``funds_total``),
the coverage of every fact (``fact_coverage``, ``coverage_label``), and the facts and
organisations of a county or of the province.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

import pandas as pd

from impact.registry_tables import _resolve, read
from impact.results import check_option

#: ``facts.measure`` names of money put into programs (funds, donations, in-kind gifts valued
#: in yuan). Other yuan facts are outcomes (output values, sales, income), prices, costs of care
#: and savings, and are never summed as funds.
FUND_PATTERN = r"fund|donat|invested|allocated|heaters_value|seed_value"


#: ``facts.measure`` names that count people reached (persons or person-times).
BENEFICIARY_PATTERN = r"benefi|served|receiving|home_visits"


#: Organisation kinds that are social organisations (社会组织); ``enterprise`` is not one.
SOCIAL_ORGANIZATION_KINDS: tuple[str, ...] = (
    "foundation", "trade_association", "chamber_of_commerce", "social_work_agency",
    "professional_association", "ngo", "other",
)  # fmt: skip


#: Which organisations a total includes: social organisations only, enterprises only, or all.
OrgInclude = Literal["social_organizations", "enterprises", "all"]


ORG_INCLUDE: tuple[str, ...] = get_args(OrgInclude)


def _tables(tables: Mapping[str, pd.DataFrame] | None, *names: str) -> list[pd.DataFrame]:
    """The named registry tables from ``tables`` or, when absent, read from ``data/raw/registry``."""
    given = dict(tables or {})
    return [given[n] if n in given else read(n) for n in names]


def fact_org_kind(
    facts: pd.DataFrame, *, programs: pd.DataFrame, organizations: pd.DataFrame
) -> pd.Series:
    """Kind of the organisation behind each fact (``<NA>`` when the fact names none).

    The organisation is the fact's ``org_id`` or, when empty, the ``org_id`` of its
    ``program_id``. Returned with ``facts``' index, as pandas ``string``.
    """
    prog_org = dict(zip(programs["program_id"], programs["org_id"]))
    kind = dict(zip(organizations["org_id"], organizations["kind"]))
    org = facts["org_id"].astype("string").copy()
    via_program = facts["program_id"].astype("string").map(prog_org)
    org = org.fillna(via_program.astype("string"))
    return org.map(lambda o: kind.get(o, pd.NA) if not pd.isna(o) else pd.NA).astype("string")


def _keep_kinds(facts: pd.DataFrame, include: str, programs: pd.DataFrame | None,
                organizations: pd.DataFrame | None) -> pd.DataFrame:
    check_option("include", include, ORG_INCLUDE)
    if include == "all" or facts.empty:
        return facts
    if programs is None or organizations is None:
        programs, organizations = _tables(None, "programs", "organizations")
    kind = fact_org_kind(facts, programs=programs, organizations=organizations)
    wanted = SOCIAL_ORGANIZATION_KINDS if include == "social_organizations" else ("enterprise",)
    return facts[kind.isin(wanted).fillna(False).to_numpy(dtype=bool)]


@dataclass(frozen=True)
class FundsTotal:
    """A sum of fund facts and what it includes.

    Attributes
    ----------
    value
        Sum of ``facts.value`` in yuan over ``fact_ids``.
    fact_ids
        The fund facts summed (sorted).
    include
        One of :data:`ORG_INCLUDE`: which organisations' money is in ``value``.
    excluded_value, excluded_fact_ids
        Fund facts left out by ``include`` (for example an enterprise's donation).
    """

    value: float
    fact_ids: tuple[str, ...]
    include: str
    excluded_value: float
    excluded_fact_ids: tuple[str, ...]

    def label(self, lang: str = "zh") -> str:
        """What the total includes, e.g. ``"社会组织资金（不含企业资金300万元）"``."""
        from impact.fmt import money

        what = {
            "social_organizations": ("社会组织资金", "funds of social organisations"),
            "enterprises": ("企业资金", "funds of enterprises"),
            "all": ("社会组织和企业资金", "funds of social organisations and enterprises"),
        }[self.include]
        if not self.excluded_fact_ids:
            return what[0] if lang == "zh" else what[1]
        other = "企业" if self.include == "social_organizations" else "社会组织"
        other_en = "enterprises" if self.include == "social_organizations" else "social organisations"
        amount = money(self.excluded_value, lang=lang)
        if lang == "zh":
            return f"{what[0]}（不含{other}资金{amount}）"
        return f"{what[1]} (excluding {amount} from {other_en})"


def fund_facts(
    facts: pd.DataFrame,
    *,
    include: OrgInclude = "all",
    programs: pd.DataFrame | None = None,
    organizations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Facts stating money put into programs: base unit yuan and a measure matching :data:`FUND_PATTERN`.

    ``include`` chooses whose money: ``"all"`` (default: social organisations and
    enterprises, and funds the article ties to no organisation, such as the 3000余万元
    of central and lottery funds), ``"social_organizations"`` (facts whose organisation,
    directly or through its program, is of a kind in :data:`SOCIAL_ORGANIZATION_KINDS`)
    or ``"enterprises"`` (``kind = enterprise``). ``programs`` and
    ``organizations`` are read from ``data/raw/registry`` when not given and needed.
    """
    if facts.empty:
        return facts
    m = (facts["base_unit"] == "yuan") & facts["measure"].astype(str).str.contains(FUND_PATTERN, regex=True)
    return _keep_kinds(facts[m.fillna(False)], include, programs, organizations)


def funds_total(
    facts: pd.DataFrame,
    *,
    include: OrgInclude,
    programs: pd.DataFrame | None = None,
    organizations: pd.DataFrame | None = None,
) -> FundsTotal:
    """Sum of :func:`fund_facts` with an explicit choice of whose money it includes.

    ``include`` has no default: a caller states whether an enterprise's donation (the
    300万元 of 云南红河磷电有限责任公司) belongs in the total. The result names the facts
    summed and those left out; ``FundsTotal.label(lang)`` says so in words.
    """
    everything = fund_facts(facts, include="all")
    kept = fund_facts(facts, include=include, programs=programs, organizations=organizations)
    left = everything.drop(index=kept.index)

    def ids(df: pd.DataFrame) -> tuple[str, ...]:
        return tuple(sorted(df["fact_id"].astype(str))) if "fact_id" in df.columns else ()

    return FundsTotal(
        value=float(pd.to_numeric(kept["value"]).sum()) if not kept.empty else 0.0,
        fact_ids=ids(kept),
        include=include,
        excluded_value=float(pd.to_numeric(left["value"]).sum()) if not left.empty else 0.0,
        excluded_fact_ids=ids(left),
    )


def beneficiary_facts(facts: pd.DataFrame) -> pd.DataFrame:
    """Facts counting people reached: persons or person-times, measure matching :data:`BENEFICIARY_PATTERN`."""
    if facts.empty:
        return facts
    m = facts["base_unit"].isin(["person", "person_time"]) & facts["measure"].astype(str).str.contains(
        BENEFICIARY_PATTERN, regex=True)
    return facts[m.fillna(False)]


#: What a fact covers: one county, a whole project (N counties), an organisation as a
#: whole, a prefecture, the province.
Coverage = Literal["county", "project", "organization", "prefecture", "province"]


COVERAGES: tuple[str, ...] = get_args(Coverage)


def _named_counties(place: object) -> tuple[set[str], bool]:
    """County codes listed in a place such as ``"景谷、镇沅、西盟、孟连、墨江等县公立医疗机构"``.

    Returns (codes, open-ended): the list counts only when at least two parts resolve;
    ``等`` after the list makes it open-ended (at least that many).
    """
    if pd.isna(place) or "、" not in str(place):
        return set(), False
    text = str(place)
    head, etc, _ = text.partition("等")
    codes: set[str] = set()
    for part in head.split("、"):
        code, _err = _resolve(part.strip())
        if code is not None:
            codes.add(code)
    return (codes, bool(etc)) if len(codes) >= 2 else (set(), False)


def coverage_label(coverage: str, n_counties: object = None, *, at_least: bool = False,
                   place: object = None, lang: str = "zh") -> str:
    """Label of a fact's coverage: ``本县`` / ``全项目合计（涉及3县）`` / ``全省合计`` and English.

    ``n_counties`` (``None``/``<NA>`` when unknown) and ``at_least`` describe how many
    counties a project or prefecture fact covers; ``place`` names the prefecture.
    """
    check_option("coverage", coverage, COVERAGES)
    check_option("lang", lang, ("zh", "en"))
    n = None if n_counties is None or pd.isna(n_counties) else int(n_counties)  # type: ignore[arg-type]
    zh_n = "" if n is None else f"涉及{'至少' if at_least else ''}{n}县"
    en_n = "" if n is None else f"{'at least ' if at_least else ''}{n} {'county' if n == 1 else 'counties'}"
    if coverage == "county":
        return "本县" if lang == "zh" else "this county"
    if coverage == "project":
        if lang == "zh":
            return f"全项目合计（{zh_n}）" if zh_n else "全项目合计"
        return f"whole project ({en_n})" if en_n else "whole project"
    if coverage == "organization":
        return "组织整体数字" if lang == "zh" else "whole organisation"
    if coverage == "prefecture":
        where = "" if place is None or pd.isna(place) else str(place)
        if lang == "zh":
            return f"{where or '全州（市）'}合计" + (f"（{zh_n}）" if zh_n else "")
        return "prefecture-wide" + (f" ({en_n})" if en_n else "")
    return "全省合计" if lang == "zh" else "province-wide"


def fact_coverage(tables: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """The facts with what each one covers, so no shared figure reads as a county's own.

    Rules, in order:

    * ``scope = province`` → ``province``; ``scope = prefecture`` → ``prefecture``, with
      ``n_counties`` from the prefecture's county-count fact of the same place and start.
    * a ``county_code`` → ``county``: the figure is that county's own.
    * a ``program_id`` (no county) → ``project``, with ``n_counties`` the largest of: a
      county count the article states for the program (``15个县市``, ``3县``), the
      program's distinct site counties, and the counties listed in ``place``
      (``景谷、镇沅、…等县``, open-ended: ``n_counties_at_least``).
    * an ``org_id`` only → ``organization`` (a figure about the organisation as a whole).

    Parameters
    ----------
    tables
        Registry tables by name (``facts``, ``program_sites``); read from
        ``data/raw/registry`` when absent.

    Returns
    -------
    DataFrame
        ``facts`` with ``coverage``, ``n_counties`` (Int64, ``<NA>`` unknown),
        ``n_counties_at_least`` (bool), ``covered_counties`` (sorted codes joined by
        ``,``, ``<NA>`` when none known), ``coverage_zh`` and ``coverage_en``.

    Notes
    -----
    Computed once per content of ``facts`` and ``program_sites`` in a process (each county
    report asks for it): the memo is keyed by the tables' row hashes, columns and dtypes, so
    an edited table is never answered from it. Returns a copy.
    """
    facts, sites = _tables(tables, "facts", "program_sites")
    key = (_content_key(facts), _content_key(sites))
    if _COVERAGE_MEMO.get("key") != key:
        _COVERAGE_MEMO.clear()
        _COVERAGE_MEMO.update(key=key, value=_fact_coverage(facts, sites))
    return _COVERAGE_MEMO["value"].copy()


#: The last :func:`fact_coverage` result and the content key of its tables.
_COVERAGE_MEMO: dict[str, object] = {}


def _content_key(df: pd.DataFrame) -> tuple[object, ...]:
    """What identifies a table's content: its columns, dtypes and a hash of every row and index."""
    return (tuple(map(str, df.columns)), tuple(map(str, df.dtypes)),
            pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes())


def _fact_coverage(facts: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    site_codes: dict[str, set[str]] = {}
    for pid, code in zip(sites["program_id"], sites["county_code"]):
        if not pd.isna(code):
            site_codes.setdefault(str(pid), set()).add(str(code))
    stated: dict[str, int] = {}
    no_county = facts["county_code"].isna() & (facts["base_unit"] == "county")
    for pid, v in zip(facts.loc[no_county, "program_id"], facts.loc[no_county, "value"]):
        if not pd.isna(pid):
            stated[str(pid)] = max(stated.get(str(pid), 0), int(v))
    pref_n = {
        (str(p), str(s)): int(v)
        for p, s, v, sc, b in zip(facts["place"], facts["period_start"], facts["value"], facts["scope"],
                                  facts["base_unit"])
        if sc == "prefecture" and b == "county"
    }
    rows = []
    for _, f in facts.iterrows():
        n: int | None = None
        at_least = False
        codes: set[str] = set()
        if f["scope"] == "province":
            cov = "province"
        elif f["scope"] == "prefecture":
            cov = "prefecture"
            n = pref_n.get((str(f["place"]), str(f["period_start"])))
        elif not pd.isna(f["county_code"]):
            cov, n, codes = "county", 1, {str(f["county_code"])}
        elif not pd.isna(f["program_id"]):
            cov = "project"
            pid = str(f["program_id"])
            named, open_ended = _named_counties(f["place"])
            codes = site_codes.get(pid, set()) | named
            candidates = [len(codes), stated.get(pid, 0)]
            n = max(candidates) or None
            at_least = open_ended and n == len(codes) and stated.get(pid, 0) < len(codes)
        else:
            cov = "organization"
        rows.append((cov, n, at_least, ",".join(sorted(codes)) if codes else pd.NA,
                     coverage_label(cov, n, at_least=at_least, place=f["place"], lang="zh"),
                     coverage_label(cov, n, at_least=at_least, place=f["place"], lang="en")))
    extra = pd.DataFrame(rows, index=facts.index, columns=[
        "coverage", "n_counties", "n_counties_at_least", "covered_counties", "coverage_zh", "coverage_en"])
    out = pd.concat([facts, extra], axis=1)
    out["n_counties"] = out["n_counties"].astype("Int64")
    out["n_counties_at_least"] = out["n_counties_at_least"].astype(bool)
    for col in ("coverage", "covered_counties", "coverage_zh", "coverage_en"):
        out[col] = out[col].astype("string")
    return out


def _county_org_ids(tables: Mapping[str, pd.DataFrame] | None) -> dict[str, set[str]]:
    """county_code -> org_ids named as working there (pairings and program sites)."""
    pairings, programs, sites = _tables(tables, "pairings", "programs", "program_sites")
    out: dict[str, set[str]] = {}
    for code, org in zip(pairings["county_code"], pairings["org_id"]):
        if not pd.isna(code):
            out.setdefault(str(code), set()).add(str(org))
    prog_org = dict(zip(programs["program_id"], programs["org_id"]))
    for code, pid in zip(sites["county_code"], sites["program_id"]):
        if not pd.isna(code) and not pd.isna(prog_org.get(pid, pd.NA)):
            out.setdefault(str(code), set()).add(str(prog_org[pid]))
    return out


def county_facts(
    county: str,
    *,
    tables: Mapping[str, pd.DataFrame] | None = None,
    include_province: bool = False,
) -> pd.DataFrame:
    """A county's own facts and the shared facts that concern it, each labelled.

    Own: facts with the county's ``county_code``. Shared: ``project`` facts of a program
    with a site in the county (or a place listing it), ``organization`` facts of an
    organisation working there, ``prefecture`` facts of its prefecture and, with
    ``include_province=True``, the province's.

    Parameters
    ----------
    county
        Anything :func:`impact.geo.resolve_county` accepts (``"景谷"``, ``"530824"``).
    tables
        Registry tables by name; read from ``data/raw/registry`` when absent.

    Returns
    -------
    DataFrame
        :func:`fact_coverage` rows with ``own`` (bool) and ``label_zh``/``label_en``
        (``本县`` or the shared label, e.g. ``全项目合计（涉及3县）``), own facts first,
        then by ``fact_id``.
    """
    from impact.geo import resolve_county

    c = resolve_county(county)
    cov = fact_coverage(tables)
    orgs_here = _county_org_ids(tables).get(c.code, set())
    prefecture_forms = {c.prefecture, c.prefecture.removesuffix("市"), c.prefecture.removesuffix("自治州")}
    covered = cov["covered_counties"].fillna("").str.split(",")
    own = (cov["coverage"] == "county") & (cov["county_code"] == c.code).fillna(False)
    project = (cov["coverage"] == "project") & covered.map(lambda xs: c.code in xs)
    organization = (cov["coverage"] == "organization") & cov["org_id"].isin(orgs_here).fillna(False)
    prefecture = (cov["coverage"] == "prefecture") & cov["place"].isin(prefecture_forms).fillna(False)
    province = (cov["coverage"] == "province") & include_province
    keep = own | project | organization | prefecture | province
    out = cov[keep].copy()
    out["own"] = own[keep].astype(bool)
    out["label_zh"] = out["coverage_zh"]
    out["label_en"] = out["coverage_en"]
    return out.sort_values(["own", "fact_id"], ascending=[False, True], kind="stable").reset_index(drop=True)


def organization_count_text(n_social: object, n_enterprises: object, *, lang: str = "zh") -> str:
    """Words for a county's organisation count; ``<NA>`` means the article names none (not 0).

    ``(2, 0)`` → ``"2家社会组织"``; ``(0, 1)`` → ``"0家社会组织，1家企业"``; ``(<NA>, <NA>)`` →
    ``"原文未点名组织"`` / ``"none named in the article"``.
    """
    check_option("lang", lang, ("zh", "en"))
    if n_social is None or pd.isna(n_social):  # type: ignore[arg-type]
        return "原文未点名组织" if lang == "zh" else "none named in the article"
    s, e = int(n_social), int(0 if n_enterprises is None or pd.isna(n_enterprises) else n_enterprises)  # type: ignore[arg-type]
    if lang == "zh":
        return f"{s}家社会组织" + (f"，{e}家企业" if e else "")
    text = f"{s} social organisation{'' if s == 1 else 's'}"
    return text + (f", {e} enterprise{'' if e == 1 else 's'}" if e else "")


def county_organizations(tables: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Organisations the article names as working in each of the 129 counties.

    An organisation works in a county when the article pairs it with the county
    (``pairings``) or runs one of its programs there (``program_sites``).

    Returns
    -------
    DataFrame
        One row per county (``impact.geo.county_table`` order): ``county_code, county,
        prefecture, named`` (bool: the article names at least one organisation there),
        ``n_organizations``, ``n_social_organizations``, ``n_enterprises`` (Int64,
        ``<NA>`` when none is named: "not named in the article" is not 0),
        ``organizations`` (names joined by ``、``, ``<NA>`` when none), ``text_zh``,
        ``text_en`` (from :func:`organization_count_text`).
    """
    from impact.geo import county_table

    (orgs,) = _tables(tables, "organizations")
    kind = dict(zip(orgs["org_id"], orgs["kind"]))
    name = dict(zip(orgs["org_id"], orgs["name"]))
    by_county = _county_org_ids(tables)
    ct = county_table()
    rows = []
    for code, cname, pref in zip(ct["county_code"], ct["name"], ct["prefecture"]):
        ids = sorted(by_county.get(str(code), set()))
        if not ids:
            rows.append((code, cname, pref, False, pd.NA, pd.NA, pd.NA, pd.NA))
            continue
        n_ent = sum(kind.get(i) == "enterprise" for i in ids)
        rows.append((code, cname, pref, True, len(ids), len(ids) - n_ent, n_ent, "、".join(name[i] for i in ids)))
    out = pd.DataFrame(rows, columns=["county_code", "county", "prefecture", "named", "n_organizations",
                                      "n_social_organizations", "n_enterprises", "organizations"])
    for col in ("n_organizations", "n_social_organizations", "n_enterprises"):
        out[col] = out[col].astype("Int64")
    for col in ("county_code", "county", "prefecture", "organizations"):
        out[col] = out[col].astype("string")
    out["text_zh"] = [organization_count_text(s, e, lang="zh")
                      for s, e in zip(out["n_social_organizations"], out["n_enterprises"])]
    out["text_en"] = [organization_count_text(s, e, lang="en")
                      for s, e in zip(out["n_social_organizations"], out["n_enterprises"])]
    return out


def province_facts(tables: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """The province- and prefecture-scope facts (3000余万元, 27 key counties, 昭通's 28/27/51
    organisations and 11 counties, 大理's 24 and 12, ...) with quotes and coverage labels,
    province first, then by ``fact_id``."""
    cov = fact_coverage(tables)
    out = cov[cov["coverage"].isin(["province", "prefecture"])].copy()
    out["_order"] = (out["coverage"] == "prefecture").astype(int)
    return out.sort_values(["_order", "fact_id"], kind="stable").drop(columns="_order").reset_index(drop=True)


def funds_by_county(facts: pd.DataFrame) -> pd.Series:
    """Funds (yuan) the article states for one county alone, by ``county_code``.

    Sums the values of the fund facts (:func:`fund_facts`) that carry a ``county_code``;
    program-wide figures covering several counties are left out (they are no one county's).
    """
    if facts.empty:
        return pd.Series(dtype=float, name="funds")
    f = facts[facts["county_code"].notna() & (facts["county_code"] != "")]
    f = fund_facts(f.assign(value=pd.to_numeric(f["value"], errors="coerce")))
    return f.groupby("county_code")["value"].sum().rename("funds")


def programs_by_county(sites: pd.DataFrame) -> pd.Series:
    """Number of registry programs sited in each county (``program_sites`` rows), by ``county_code``."""
    if sites.empty:
        return pd.Series(dtype=float, name="programs")
    return sites.dropna(subset=["county_code"]).groupby("county_code")["program_id"].nunique().rename("programs")
