"""Program exposure from the registry: a hand-made registry with known answers, and the real one."""

from __future__ import annotations

import pandas as pd
import pytest

from impact.errors import InputError
from impact.indicators import exposure


def registry() -> dict[str, pd.DataFrame]:
    orgs = pd.DataFrame({"org_id": ["o1", "o2", "o3"], "name": ["甲协会", "乙基金会", "丙中心"]})
    pairings = pd.DataFrame({"pairing_id": ["P1", "P2"], "org_id": ["o1", "o2"], "county_code": ["530824", "530824"],
                             "year": [2023, None], "date": [None, None]})
    programs = pd.DataFrame({"program_id": ["g1", "g2", "g3"], "org_id": ["o1", "o3", "o2"], "name": ["项目一", "项目二", "项目三"],
                             "sector": ["health", "education", "health"],
                             "period_start": ["2024-07-12", "2022-01-01", None], "period_end": ["2024-07-14", None, None]})
    sites = pd.DataFrame({"program_id": ["g1", "g2", "g3"], "county_code": ["530824", "530824", "530824"]})
    facts = pd.DataFrame({"fact_id": ["F1", "F2", "F3", "F4"], "value": [2_670_000.0, 100_000.0, 50.0, 9e8],
                          "base_unit": ["yuan", "yuan", "person", "yuan"],
                          # F4 is an output value: money, but not money put into a program
                          "measure": ["funds_allocated", "donation_to_school", "students_benefiting", "industry_output_value"],
                          "county_code": ["530824"] * 4, "period_start": ["2024-01-01", None, "2024-01-01", "2024-01-01"],
                          "period_end": ["2024-12-31", None, None, None], "qualifier": ["more_than", "exact", "exact", "exact"]})
    return {"organizations": orgs, "pairings": pairings, "programs": programs, "program_sites": sites, "facts": facts}


def test_hand_made_registry():
    r = exposure("530824", [2023, 2024], registry=registry())
    t = r.table.set_index(["year", "term"])
    # 2023: o1 (paired 2023), o3 (g2 from 2022); programs: g2 only
    assert t.loc[(2023, "organizations"), "estimate"] == 2
    assert t.loc[(2023, "programs"), "estimate"] == 1
    assert t.loc[(2023, "funds_yuan"), "estimate"] == 0
    # 2024: g1 (2024-07) and g2 -> 2 programs, 2 sectors; orgs o1, o3; funds F1 (approximate)
    assert t.loc[(2024, "programs"), "estimate"] == 2
    assert t.loc[(2024, "sectors"), "estimate"] == 2
    assert t.loc[(2024, "funds_yuan"), "estimate"] == 2_670_000
    assert "approximate" in t.loc[(2024, "funds_yuan"), "note"]
    # undated: o2 (pairing without year, g3), g3, F2
    assert t.loc[(2024, "organizations"), "undated"] == 1
    assert t.loc[(2024, "programs"), "undated"] == 1
    assert t.loc[(2024, "funds_yuan"), "undated"] == 100_000
    assert "项目一" in t.loc[(2024, "programs"), "detail"]
    assert "乙基金会" in t.loc[(2024, "organizations"), "detail_undated"]
    assert "原文未注明年份" in r.sentence("zh")


def test_real_registry_jinggu_2024():
    r = exposure("景谷傣族彝族自治县", 2024)
    t = r.table.set_index("term")
    assert t["county_code"].eq("530824").all()
    assert t.loc["programs", "estimate"] >= 1  # the 2024-07 hospital association visit
    assert t.loc["organizations", "estimate"] + t.loc["organizations", "undated"] >= 1


def test_errors():
    reg = registry()
    del reg["facts"]
    with pytest.raises(InputError, match="facts"):
        exposure("530824", 2024, registry=reg)
    reg = registry()
    reg["programs"] = reg["programs"].drop(columns="sector")
    with pytest.raises(InputError, match="sector"):
        exposure("530824", 2024, registry=reg)


def test_real_registry_counts_only_money_put_into_programs():
    """Output values (永善 1.8亿元), surgery costs and savings (景谷) are not funds; 马关's 267万元 lunch grant is."""
    t = exposure(["永善县", "景谷县", "马关县"], [2024]).table
    funds = t[t["term"] == "funds_yuan"].set_index("county_code")
    assert funds.loc["530625", "estimate"] + funds.loc["530625", "undated"] == 0
    assert funds.loc["530824", "estimate"] + funds.loc["530824", "undated"] == 0
    assert funds.loc["532625", "estimate"] == 2_670_000
