"""Schemas: every kind documented and checked; docs and templates generated from one place."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _valid_tables import VALID, frame
from impact import config
from impact.errors import InputError
from impact.io import read_table
from impact.schemas import (
    KINDS,
    SPECS,
    kind_for_file,
    known_units,
    pandera_schema,
    render_readme,
    spec,
    validate,
)

ROOT = config.ROOT
CONTRACT = {  # docs/architecture.md, column lists in order
    "organizations": "org_id, name, level, kind, based_in, quote",
    "pairings": "pairing_id, org_id, county, county_code, year, date, event, quote",
    "programs": "program_id, org_id, name, sector, period_start, period_end, delivered, delivered_en, quote",
    "program_sites": "program_id, county, county_code, town, village, quote",
    "facts": "fact_id, measure, value, base_unit, value_as_written, unit_as_written, qualifier, scope, program_id, "
             "org_id, county_code, place, period_start, period_end, quote",
    "counties": "county_code, name, short_name, alias, prefecture_code, prefecture, kind, area_km2",
    "county_panel": "county_code, county_name, prefecture_code, prefecture, year, altitude_band, baseline_income, "
                    "cohort, treated, cohort_agriculture, cohort_health, cohort_child_protection, income_per_capita, "
                    "grain_yield, vegetable_output, tourist_visits, referral_out_share, children_reached",
    "plot_trials": "trial_id, county_code, town, village, plot_id, pair_id, year, variety, arm, area_mu, "
                   "yield_kg_per_mu, fertilizer_kg_per_mu, seed_cost_yuan_per_mu",
    "household_survey": "household_id, county_code, town, village_id, wave, year, hh_size, participant, head_age, "
                        "head_education_years, land_mu, distance_to_town_km, baseline_income, income_farming, "
                        "income_wages, income_ecommerce, income_transfers, income_total",
    "patient_records": "patient_id, county_code, year, procedure, setting, period, medical_cost, travel_cost, "
                       "lodging_cost, lost_work_days, daily_wage",
    "beneficiary_roster": "person_id, program_id, county_code, month, service, age, sex, group",
    "cost_ledger": "entry_id, program_id, county_code, month, item, amount_yuan, funder",
    "own_programs": "program, organization, organization_kind, county_code, sector, start_date, funds_yuan, "
                    "beneficiaries, source_note",
}


def test_specs_follow_the_contract():
    assert set(KINDS) == set(CONTRACT)
    for kind, cols in CONTRACT.items():
        assert SPECS[kind].names == [c.strip() for c in cols.split(",")], kind
        for c in SPECS[kind].columns:
            assert c.meaning and c.zh, (kind, c.name)
        assert set(SPECS[kind].key) <= set(SPECS[kind].names)


@pytest.mark.parametrize("kind", sorted(VALID))
def test_valid_tables_pass_and_are_typed(kind):
    out = validate(frame(kind), kind, file=f"{kind}.csv")
    assert len(out) == len(VALID[kind])
    for c in spec(kind).columns:
        want = {"integer": "Int64", "flag": "Int64", "year": "Int64", "number": "Float64"}.get(c.type, "string")
        assert str(out[c.name].dtype) == want, (kind, c.name, out[c.name].dtype)


def test_typed_input_is_accepted_as_is():
    """A Parquet-like frame with real dtypes validates the same as text cells."""
    df = frame("cost_ledger")
    df["amount_yuan"] = df["amount_yuan"].astype(float)
    out = validate(df, "cost_ledger", file="x")
    np.testing.assert_allclose(out["amount_yuan"].to_numpy(dtype=float), [1200.5, 300.0], rtol=0, atol=0)
    panel = frame("county_panel")
    for c in ("year", "cohort", "treated"):
        panel[c] = panel[c].astype(int)
    panel["county_code"] = panel["county_code"].astype(int)  # a code read as a number
    assert validate(panel, "county_panel", file="x")["county_code"].tolist() == ["530824", "530824"]


def test_unknown_kind_lists_valid_kinds():
    with pytest.raises(ValueError, match="cost_ledger"):  # check_option: a programming error, not bad data
        validate(frame("cost_ledger"), "ledger")


def test_unit_typo_and_known_units():
    units = known_units()
    for u in ("元", "万元", "亿元", "亩", "公斤", "人", "人次", "所", "个"):
        assert u in units
    assert "万圆" not in units and "圆" not in units
    with pytest.raises(InputError) as ei:
        validate(frame("facts", unit_as_written="亿圆"), "facts", file="facts.csv")
    (p,) = ei.value.problems
    assert (p.row, p.column, p.value) == (2, "unit_as_written", "亿圆")


def test_county_codes_checked_against_given_table():
    df = frame("cost_ledger")
    validate(df, "cost_ledger", counties={"530824", "530622"})
    with pytest.raises(InputError) as ei:
        validate(df, "cost_ledger", counties={"530824"}, file="l.csv")
    assert [(p.row, p.column, p.value) for p in ei.value.problems] == [(3, "county_code", "530622")]


def test_references_between_tables():
    orgs = pd.DataFrame({"org_id": ["o1"]})
    validate(frame("pairings"), "pairings", refs={"organizations": orgs})
    with pytest.raises(InputError) as ei:
        validate(frame("pairings", org_id="o9"), "pairings", file="pairings.csv", refs={"organizations": orgs})
    (p,) = ei.value.problems
    assert (p.row, p.column, p.value) == (2, "org_id", "o9") and "a value listed in organizations.org_id" in p.expected


def test_facts_scope_rules():
    with pytest.raises(InputError) as ei:
        validate(frame("facts", scope="county"), "facts", file="f.csv")
    assert [(p.column, p.expected) for p in ei.value.problems] == [
        ("county_code", "a county_code when scope is 'county'")]
    validate(frame("facts", scope="county", county_code="530824"), "facts")


def test_period_order_rule():
    with pytest.raises(InputError, match="period_end not before period_start"):
        validate(frame("facts", period_start="2024-05", period_end="2024-01"), "facts", file="f.csv")
    validate(frame("facts", period_start="2024", period_end="2024-01"), "facts")  # same year, coarser start


def test_pandera_schema_is_usable_directly():
    import pandera.pandas as pa

    schema = pandera_schema("cost_ledger", counties={"530824", "530622"})
    assert isinstance(schema, pa.DataFrameSchema)
    good = validate(frame("cost_ledger"), "cost_ledger")
    schema.validate(good)
    bad = good.copy()
    bad.loc[0, "amount_yuan"] = -1.0
    with pytest.raises(pa.errors.SchemaError):
        schema.validate(bad)


def test_kind_for_file():
    assert kind_for_file("facts.csv") == "facts"
    assert kind_for_file("data/raw/simulated/households_simulated.parquet") == "household_survey"
    assert kind_for_file("cost_ledger.xlsx") == "cost_ledger"
    assert kind_for_file("我的表.csv") is None


def test_max_problems_caps_long_reports():
    df = pd.concat([frame("cost_ledger")] * 50, ignore_index=True)
    df["entry_id"] = [f"E{i}" for i in range(len(df))]
    df["amount_yuan"] = "-1"
    with pytest.raises(InputError) as ei:
        validate(df, "cost_ledger", max_problems=10)
    assert len(ei.value.problems) == 11 and "90 more problems" in ei.value.problems[-1].value


def test_readme_is_generated_from_specs():
    """data/README.md is the rendered spec (regenerate with `impact data templates`)."""
    text = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert text == render_readme() + "\n"
    for kind in KINDS:
        assert f"## {kind}" in text
        for c in SPECS[kind].columns:
            assert f"| `{c.name}` |" in text


@pytest.mark.parametrize("kind", [k for k in KINDS if SPECS[k].template])
def test_committed_templates_match_specs(kind):
    folder = ROOT / "data" / "templates"
    csv = read_table(folder / f"{kind}.csv")
    assert list(csv.columns) == SPECS[kind].names and len(csv) == 0
    xlsx = read_table(folder / f"{kind}.xlsx")
    assert list(xlsx.columns) == SPECS[kind].names and len(xlsx) == 0
    doc = read_table(folder / f"{kind}.xlsx", sheet="columns")
    assert doc["column"].tolist() == SPECS[kind].names


def test_filled_template_validates(tmp_path):
    """A user fills the XLSX template: it reads and validates."""
    import openpyxl

    wb = openpyxl.load_workbook(ROOT / "data" / "templates" / "cost_ledger.xlsx")
    ws = wb["data"]
    for row in VALID["cost_ledger"]:
        ws.append([float(v) if k == "amount_yuan" else v for k, v in row.items()])
    wb.save(tmp_path / "mine.xlsx")
    out = validate(read_table(tmp_path / "mine.xlsx"), "cost_ledger", file="mine.xlsx")
    assert out["amount_yuan"].sum() == pytest.approx(1500.5, rel=0, abs=1e-9)


def test_registry_and_counties_in_data_raw_validate():
    """The committed raw tables pass their schemas (files written by the registry and geo engineers)."""
    refs: dict[str, pd.DataFrame] = {}
    counties = validate(read_table(config.GEO_DIR / "counties.csv", dtype=str), "counties", file="counties.csv")
    assert len(counties) == 129
    codes = set(counties["county_code"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for kind in ("organizations", "pairings", "programs", "program_sites", "facts"):
            path = config.REGISTRY_DIR / f"{kind}.csv"
            if not path.is_file():
                pytest.skip(f"{path} not written yet")
            refs[kind] = validate(read_table(path, dtype=str), kind, file=path.name, counties=codes, refs=refs)


def test_excel_dates_in_month_and_period_columns(tmp_path):
    """Excel stores a typed 2024-03 as the date 2024-03-01; the month survives."""
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    cols = list(VALID["cost_ledger"][0])
    ws.append(cols)
    row = dict(VALID["cost_ledger"][0], month=dt.datetime(2024, 3, 1), amount_yuan=10.0, county_code=530824)
    ws.append([row[c] for c in cols])
    wb.save(tmp_path / "l.xlsx")
    out = validate(read_table(tmp_path / "l.xlsx"), "cost_ledger", file="l.xlsx")
    assert out.loc[0, "month"] == "2024-03" and out.loc[0, "county_code"] == "530824"
    facts = frame("facts", period_start=pd.Timestamp("2022-01-01"))
    assert validate(facts, "facts").loc[0, "period_start"] == "2022-01-01"


def test_templates_and_readme_are_up_to_date(tmp_path):
    """The committed templates and data/README.md are exactly what `impact data templates` writes."""
    from impact.schemas import write_templates

    written = write_templates(tmp_path / "templates", readme=tmp_path / "README.md")
    committed = ROOT / "data" / "templates"
    for path in written:
        target = ROOT / "data" / "README.md" if path.name == "README.md" else committed / path.name
        assert path.read_bytes() == target.read_bytes(), f"{target} is stale: run `impact data templates`"
    assert sorted(p.name for p in committed.iterdir()) == sorted(p.name for p in written if p.name != "README.md")


@settings(max_examples=25, deadline=None)
@given(n=st.integers(min_value=1, max_value=40), data=st.data())
def test_problem_rows_point_at_the_bad_rows(n, data):
    """Whatever the table size, each injected bad cell is reported at its spreadsheet row."""
    base = VALID["cost_ledger"][0]
    df = pd.DataFrame([dict(base, entry_id=f"E{i}") for i in range(n)])
    bad = sorted(data.draw(st.sets(st.integers(min_value=0, max_value=n - 1), min_size=1, max_size=n)))
    for i in bad:
        df.loc[i, "amount_yuan"] = "-1"
    with pytest.raises(InputError) as ei:
        validate(df, "cost_ledger", file="l.csv")
    assert [(p.row, p.column) for p in ei.value.problems] == [(i + 2, "amount_yuan") for i in bad]
