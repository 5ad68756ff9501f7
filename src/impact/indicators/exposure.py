"""Program exposure of a county in a year, from the registry (organizations, programs, funds, sectors)."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from impact.errors import InputError, Problem
from impact.registry import fund_facts
from impact.results import Result

from ._common import county_label, fmt_num, require_columns

REGISTRY_TABLES = ("organizations", "pairings", "programs", "program_sites", "facts")


def _load_registry(registry: Mapping[str, pd.DataFrame] | None) -> dict[str, pd.DataFrame]:
    if registry is None:
        from impact import registry as reg

        return {name: reg.read(name) for name in REGISTRY_TABLES}
    missing = [t for t in REGISTRY_TABLES if t not in registry]
    if missing:
        raise InputError([Problem("registry", None, None, t, "this registry table") for t in missing], title="registry: missing tables")
    return dict(registry)


def _year(s: pd.Series) -> pd.Series:
    """Year of an ISO date or year value; <NA> where empty."""
    return pd.to_numeric(s.astype("string").str.extract(r"^(\d{4})", expand=False), errors="coerce").astype("Int64")


def _codes(county: str | int | Sequence[str | int] | None, known: pd.Series) -> list[str]:
    if county is None:
        return sorted(set(known.dropna().astype(str)))
    values = [county] if isinstance(county, (str, int)) else list(county)
    out = []
    for v in values:
        s = str(v)
        if s.isdigit() and len(s) == 6:
            out.append(s)
            continue
        from impact.geo import resolve_county

        out.append(resolve_county(s).code)
    return out


def exposure(
    county: str | int | Sequence[str | int] | None = None,
    year: int | Sequence[int] | None = None,
    registry: Mapping[str, pd.DataFrame] | None = None,
) -> Result:
    """Organizations, programs, sectors and funds active in each county and year (registry).

    Definitions
        A *program* is linked to a county by ``program_sites``; an *organization* by
        ``pairings`` or by running a program sited there; *funds* are the ``facts`` that
        :func:`impact.registry.fund_facts` classifies as money put into programs (not output
        values, sales, prices, costs of care or savings) whose ``county_code`` is the county (province- and prefecture-wide totals are not split
        across counties). An item is *active in year y* when its start year (pairing
        ``year``/``date``; program or fact ``period_start``) is <= y and its end year
        (``period_end``) is >= y or not given (open-ended).
    Undated items
        Most of the article's items carry no date. They are not counted as active in any
        year: the columns ``undated`` and ``detail_undated`` list them separately for every
        year, so nothing the article does not say is assumed.
    Output terms
        ``organizations`` and ``programs`` (counts), ``sectors`` (count of distinct sectors of
        the active programs), ``funds_yuan`` (sum; a figure stated as 余/约/近 counts at its
        stated value, and ``note`` says so). ``detail`` names the items. No sampling
        uncertainty: registry facts.
    Vectorized
        One merge of the items with the requested years; no loop over counties.
    """
    reg = _load_registry(registry)
    for name, cols in {
        "pairings": ["org_id", "county_code"], "programs": ["program_id", "org_id", "sector", "period_start", "period_end"],
        "program_sites": ["program_id", "county_code"], "facts": ["value", "base_unit", "county_code", "period_start", "period_end", "qualifier"],
        "organizations": ["org_id", "name"],
    }.items():
        require_columns(reg[name], cols, name)
    pairings, programs, sites, facts, orgs = (reg[n].copy() for n in ("pairings", "programs", "program_sites", "facts", "organizations"))
    for df in (pairings, sites, facts):
        df["county_code"] = df["county_code"].astype("string")
    known = pd.concat([pairings["county_code"], sites["county_code"], facts["county_code"]])
    codes = _codes(county, known)
    # items: one row per (county, kind, item), with start and end years
    p_start = _year(pairings["year"]) if "year" in pairings else pd.Series(pd.NA, index=pairings.index, dtype="Int64")
    if "date" in pairings:
        p_start = p_start.fillna(_year(pairings["date"]))
    org_name = dict(zip(orgs["org_id"].astype(str), orgs["name"].astype(str)))
    items = [
        pd.DataFrame({"county_code": pairings["county_code"], "kind": "organization", "item": pairings["org_id"].astype(str),
                      "start": p_start, "end": pd.Series(pd.NA, index=pairings.index, dtype="Int64"), "value": np.nan, "sector": pd.NA, "approx": False}),
    ]
    ps = sites[["program_id", "county_code"]].merge(programs, on="program_id", how="left")
    prog_name = dict(zip(programs["program_id"].astype(str), programs.get("name", programs["program_id"]).astype(str)))
    ps_start, ps_end = _year(ps["period_start"]), _year(ps["period_end"])
    items.append(pd.DataFrame({"county_code": ps["county_code"], "kind": "program", "item": ps["program_id"].astype(str),
                               "start": ps_start, "end": ps_end, "value": np.nan, "sector": ps["sector"], "approx": False}))
    items.append(pd.DataFrame({"county_code": ps["county_code"], "kind": "organization", "item": ps["org_id"].astype(str),
                               "start": ps_start, "end": ps_end, "value": np.nan, "sector": pd.NA, "approx": False}))
    f = fund_facts(facts)  # money put into programs, not output values, prices or savings
    f = f[f["county_code"].notna()]
    items.append(pd.DataFrame({"county_code": f["county_code"], "kind": "funds", "item": f.get("fact_id", f.index.to_series()).astype(str),
                               "start": _year(f["period_start"]), "end": _year(f["period_end"]),
                               "value": pd.to_numeric(f["value"], errors="coerce"), "sector": pd.NA,
                               "approx": f["qualifier"].astype("string").fillna("exact") != "exact"}))
    it = pd.concat(items, ignore_index=True)
    it = it[it["county_code"].isin(codes)]
    if year is None:
        ys = pd.concat([it["start"], it["end"]]).dropna()
        years = list(range(int(ys.min()), int(ys.max()) + 1)) if len(ys) else []
        if not years:
            raise InputError(Problem("registry", None, "period_start", None, "at least one dated item, or pass year="), title="exposure: no year")
    else:
        years = [int(year)] if isinstance(year, (int, np.integer)) else [int(y) for y in year]
    grid = pd.DataFrame({"county_code": np.repeat(codes, len(years)), "year": np.tile(years, len(codes))})
    m = grid.merge(it, on="county_code", how="left")
    dated = m["start"].notna()
    active = dated & (m["start"] <= m["year"]).fillna(False) & (m["end"].isna() | (m["end"] >= m["year"]).fillna(False))
    undated = m["kind"].notna() & ~dated
    act = m[active.to_numpy(dtype=bool)]
    und = m[undated.to_numpy(dtype=bool)]
    key = ["county_code", "year"]

    def count(df: pd.DataFrame, kind: str) -> pd.Series:
        return df[df["kind"] == kind].groupby(key)["item"].nunique()

    def names(df: pd.DataFrame, kind: str, lookup: Mapping[str, str]) -> pd.Series:
        d = df[df["kind"] == kind].drop_duplicates(key + ["item"])
        return d.groupby(key)["item"].agg(lambda s: "、".join(sorted(lookup.get(x, x) for x in s)))

    g = grid.set_index(key)
    rows = []
    for term, unit in (("organizations", "organization"), ("programs", "program"), ("sectors", "sector"), ("funds_yuan", "yuan")):
        if term == "organizations":
            est, un = count(act, "organization"), count(und, "organization")
            det, detu = names(act, "organization", org_name), names(und, "organization", org_name)
        elif term == "programs":
            est, un = count(act, "program"), count(und, "program")
            det, detu = names(act, "program", prog_name), names(und, "program", prog_name)
        elif term == "sectors":
            a, u = act[act["kind"] == "program"], und[und["kind"] == "program"]
            est, un = a.groupby(key)["sector"].nunique(), u.groupby(key)["sector"].nunique()
            det = a.groupby(key)["sector"].agg(lambda s: ", ".join(sorted(set(s.dropna().astype(str)))))
            detu = u.groupby(key)["sector"].agg(lambda s: ", ".join(sorted(set(s.dropna().astype(str)))))
        else:
            a, u = act[act["kind"] == "funds"], und[und["kind"] == "funds"]
            est, un = a.groupby(key)["value"].sum(), u.groupby(key)["value"].sum()
            det = a.groupby(key)["item"].agg(lambda s: ", ".join(sorted(s)))
            detu = u.groupby(key)["item"].agg(lambda s: ", ".join(sorted(s)))
            approx = a.groupby(key)["approx"].any()
        t = g.assign(term=term, unit=unit).copy()
        t["estimate"] = est.reindex(t.index).fillna(0).astype(float)  # a count over known items: 0 is a true zero
        t["undated"] = un.reindex(t.index).fillna(0).astype(float)
        t["detail"] = det.reindex(t.index).fillna("")
        t["detail_undated"] = detu.reindex(t.index).fillna("")
        t["note"] = ""
        if term == "funds_yuan":
            ap = approx.reindex(t.index).fillna(False).astype(bool)
            t.loc[ap.to_numpy(), "note"] = "includes figures stated as approximate or lower bounds (余/约/近)"
        rows.append(t.reset_index())
    table = pd.concat(rows, ignore_index=True)
    table["method"] = "registry lookup (items dated to the year; undated items listed separately)"
    table["n"] = pd.NA
    table = table.sort_values(key, kind="stable").reset_index(drop=True)
    res = Result(table=table, method="Program exposure from the registry",
                 assumptions=("a dated item with no end date is active from its start year on",
                              "undated items are not assigned to any year (see 'undated')",
                              "registry facts: no sampling uncertainty"),
                 info={"counties": len(codes), "years": f"{min(years)}–{max(years)}"})

    def text(lang: str = "zh") -> str:
        out = []
        wide = res.table.pivot_table(index=key, columns="term", values=["estimate", "undated"], aggfunc="first")
        for (code, yr), r in wide.iterrows():
            lab = county_label(code, lang)
            e, u = r["estimate"], r["undated"]
            if lang == "zh":
                out.append(f"{lab}（{yr}年）：有 {fmt_num(e['organizations'])} 家社会组织、{fmt_num(e['programs'])} 个项目在该年开展"
                           f"（涉及 {fmt_num(e['sectors'])} 个领域，可查资金 {fmt_num(e['funds_yuan'])} 元）；"
                           f"另有 {fmt_num(u['organizations'])} 家组织、{fmt_num(u['programs'])} 个项目原文未注明年份。")
            else:
                out.append(f"{lab}, {yr}: {fmt_num(e['organizations'])} organizations and {fmt_num(e['programs'])} programs active "
                           f"({fmt_num(e['sectors'])} sectors, {fmt_num(e['funds_yuan'])} yuan of stated funds); "
                           f"{fmt_num(u['organizations'])} more organizations and {fmt_num(u['programs'])} programs are undated in the source.")
        return "\n".join(out)

    res.text = text
    return res
