"""Reach, cost-effectiveness, leverage and jobs: hand counts, NA reasons, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from impact.errors import InputError
from impact.indicators import cost_effectiveness, jobs_created, reach


def roster() -> pd.DataFrame:
    # program A in county 1, 2024: persons p1 (3 months), p2 (2 months), p3 (1 month) -> 3 persons, 6 person-times
    rows = [("p1", m) for m in ("2024-01", "2024-02", "2024-03")] + [("p2", m) for m in ("2024-01", "2024-02")] + [("p3", "2024-05")]
    df = pd.DataFrame(rows, columns=["person_id", "month"]).assign(program_id="A", county_code="530621", service="visit", age=8, sex="f", group="g")
    # program B in county 2, 2024: one person, 2 months
    b = pd.DataFrame({"person_id": ["q1", "q1"], "month": ["2024-03", "2024-04"]}).assign(program_id="B", county_code="530622", service="meal", age=70, sex="m", group="g")
    return pd.concat([df, b], ignore_index=True)


def ledger() -> pd.DataFrame:
    return pd.DataFrame({
        "entry_id": ["e1", "e2", "e3", "e4"], "program_id": ["A", "A", "A", "B"], "county_code": ["530621"] * 3 + ["530622"],
        "month": ["2024-01", "2024-02", "2024-03", "2024-03"], "item": "x",
        "amount_yuan": [1000.0, 2000.0, 3000.0, 500.0], "funder": ["public", "external", "external", "external"],
    })


def test_reach_hand_counts():
    r = reach(roster())
    t = r.table
    a = t[t.program_id == "A"].set_index("term")
    assert a.loc["unique_persons", "estimate"] == 3 and a.loc["person_times", "estimate"] == 6
    assert a.loc["unique_persons", "year"] == 2024
    assert np.isnan(a.loc["unique_persons", "std_error"])
    assert "服务 3 人，共 6 人次" in r.sentence("zh")
    tot = reach(roster(), by=None).table.set_index("term")
    assert tot.loc["unique_persons", "estimate"] == 4 and tot.loc["person_times", "estimate"] == 8


def test_cost_effectiveness_and_leverage():
    r = cost_effectiveness(ledger(), roster())
    a = r.table[r.table.program_id == "A"].set_index("term")
    assert_allclose(a.loc["cost_total", "estimate"], 6000)
    assert_allclose(a.loc["cost_per_beneficiary", "estimate"], 2000)  # 6000 / 3 persons
    assert_allclose(a.loc["cost_per_person_time", "estimate"], 1000)  # 6000 / 6 person-times
    assert_allclose(a.loc["leverage", "estimate"], 5.0)  # 5000 external / 1000 public
    b = r.table[r.table.program_id == "B"].set_index("term")
    assert np.isnan(b.loc["leverage", "estimate"])
    assert b.loc["leverage", "note"] == "no public funds: leverage undefined"
    assert "每 1 元公共资金撬动社会资金 5.00 元" in r.sentence("zh")


def test_cost_per_outcome_and_missing_group():
    out = pd.DataFrame({"program_id": ["A", "C"], "county_code": ["530621", "530623"], "year": [2024, 2024],
                        "outcome": ["home_visit", "home_visit"], "value": [12.0, 5.0], "unit": ["visit", "visit"]})
    r = cost_effectiveness(ledger(), outcomes=out).table
    a = r[(r.program_id == "A") & (r.term == "cost_per_home_visit")].iloc[0]
    assert_allclose(a["estimate"], 500.0)
    assert a["unit"] == "yuan/visit"
    c = r[(r.program_id == "C") & (r.term == "cost_per_home_visit")].iloc[0]
    assert np.isnan(c["estimate"]) and c["note"] == "no costs recorded for this group"


def test_beneficiaries_without_costs_are_na():
    ros = pd.concat([roster(), roster().assign(program_id="Z")])
    r = cost_effectiveness(ledger(), ros).table
    z = r[(r.program_id == "Z") & (r.county_code == "530621")].set_index("term")
    assert np.isnan(z.loc["cost_per_beneficiary", "estimate"])
    assert z.loc["cost_per_beneficiary", "note"] == "no costs recorded for this group"
    assert z.loc["cost_total", "note"] == "no costs recorded for this group"


def test_jobs_created():
    jobs = pd.DataFrame({"program_id": ["A", "A"], "county_code": ["530621"] * 2, "month": ["2024-01", "2024-06"], "jobs": [2, 1]})
    r = jobs_created(jobs, ledger())
    t = r.table.set_index("term")
    assert t.loc["jobs_created", "estimate"] == 3
    assert_allclose(t.loc["cost_per_job", "estimate"], 2000)
    assert "带动就业 3 个岗位" in r.sentence("zh")


def test_errors():
    with pytest.raises(InputError, match="amount_yuan"):
        cost_effectiveness(ledger().assign(amount_yuan=-5.0))
    with pytest.raises(InputError, match="funder"):
        cost_effectiveness(ledger().assign(funder="private"))
    with pytest.raises(InputError, match="month"):
        reach(roster().assign(month="2024/01"))
    with pytest.raises(InputError, match="mismatched years"):
        cost_effectiveness(ledger(), roster().assign(month="2020-01"))
    out = pd.DataFrame({"program_id": ["A"], "county_code": ["530621"], "year": [2024], "outcome": ["x"], "value": [1.0], "unit": [None]})
    with pytest.raises(InputError, match="missing units"):
        cost_effectiveness(ledger(), outcomes=out)
    with pytest.raises(InputError, match="no ledger entries"):
        cost_effectiveness(ledger().iloc[0:0])
    with pytest.raises(InputError, match="jobs"):
        jobs_created(pd.DataFrame({"program_id": ["A"], "county_code": ["1"], "month": ["2024-01"], "jobs": [-1]}))


def test_recovers_simulator_roster_and_ledger_totals(tmp_path):
    import json

    from impact.simulate import simulate

    res = simulate(seed=2, out=tmp_path)
    ros = pd.read_parquet(res.paths["beneficiaries"])
    led = pd.read_parquet(res.paths["cost_ledger"])
    truth = json.loads(res.truth_path.read_text(encoding="utf-8"))["tables"]["beneficiaries"]["truth"]
    by_service = reach(ros, by="service").table
    for service, t in truth["by_service"].items():
        got = by_service[by_service.service == service].set_index("term")["estimate"]
        assert got["unique_persons"] == t["unique_persons"]
        assert got["person_times"] == t["person_months"]
    ce = cost_effectiveness(led, ros, by="program_id").table
    for program, t in truth["ledger"].items():
        got = ce[ce.program_id == program].set_index("term")["estimate"]
        assert_allclose(got["cost_total"], t["total_yuan"], rtol=1e-9)
        assert_allclose(got["cost_per_beneficiary"], t["total_yuan"] / t["unique_persons"], rtol=1e-9)
        if t["public_yuan"] > 0:
            assert_allclose(got["leverage"], t["external_yuan"] / t["public_yuan"], rtol=1e-9)
        else:
            assert np.isnan(got["leverage"])
