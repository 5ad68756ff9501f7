"""Small valid tables of each user kind, shared by the schema and malformed-input tests."""

from __future__ import annotations

import pandas as pd

# Real county codes (data/raw/geo/counties.csv): 景谷 530824, 巧家 530622, 西山区 530112.
VALID: dict[str, list[dict]] = {
    "cost_ledger": [
        {"entry_id": "E1", "program_id": "P1", "county_code": "530824", "month": "2024-01", "item": "培训",
         "amount_yuan": "1200.5", "funder": "public"},
        {"entry_id": "E2", "program_id": "P1", "county_code": "530622", "month": "2024-02", "item": "物资",
         "amount_yuan": "300", "funder": "external"},
    ],
    "plot_trials": [
        {"trial_id": "T1", "county_code": "530824", "town": "威远镇", "village": "村一", "plot_id": "A1",
         "pair_id": "K1", "year": "2023", "variety": "云瑞", "arm": "treated", "area_mu": "1.5",
         "yield_kg_per_mu": "520", "fertilizer_kg_per_mu": "35", "seed_cost_yuan_per_mu": "70"},
        {"trial_id": "T1", "county_code": "530824", "town": "威远镇", "village": "村一", "plot_id": "A2",
         "pair_id": "K1", "year": "2023", "variety": "local_check", "arm": "check", "area_mu": "1.5",
         "yield_kg_per_mu": "450", "fertilizer_kg_per_mu": "35", "seed_cost_yuan_per_mu": "50"},
    ],
    "county_panel": [
        {"county_code": "530824", "county_name": "景谷县", "prefecture_code": "530800", "prefecture": "普洱市",
         "year": str(y), "altitude_band": "mid", "baseline_income": "12000", "cohort": "2023",
         "treated": str(int(y >= 2023)), "cohort_agriculture": "2023", "cohort_health": "0",
         "cohort_child_protection": "0", "income_per_capita": "13000", "grain_yield": "350",
         "vegetable_output": "1200", "tourist_visits": "80", "referral_out_share": "0.2",
         "children_reached": "0"}
        for y in (2022, 2023)
    ],
    "household_survey": [
        {"household_id": "H1", "county_code": "530622", "town": "白鹤滩镇", "village_id": "V1", "wave": "0",
         "year": "2022", "hh_size": "4", "participant": "1", "head_age": "45", "head_education_years": "7",
         "land_mu": "5", "distance_to_town_km": "6", "baseline_income": "30000", "income_farming": "10000",
         "income_wages": "15000", "income_ecommerce": "1000", "income_transfers": "4000", "income_total": "30000"},
    ],
    "patient_records": [
        {"patient_id": "Q1", "county_code": "530622", "year": "2023", "procedure": "cataract", "setting": "local",
         "period": "after", "medical_cost": "3000", "travel_cost": "100", "lodging_cost": "0",
         "lost_work_days": "3", "daily_wage": "120"},
    ],
    "beneficiary_roster": [
        {"person_id": "B1", "program_id": "P1", "county_code": "530112", "month": "2024-03", "service": "home_visit",
         "age": "9", "sex": "female", "group": "left_behind_child"},
    ],
    "facts": [
        {"fact_id": "F1", "measure": "funds", "value": "30000000", "base_unit": "yuan", "value_as_written": "3000",
         "unit_as_written": "万元", "qualifier": "more_than", "scope": "province", "program_id": "",
         "org_id": "", "county_code": "", "place": "云南省", "period_start": "2022", "period_end": "2024",
         "quote": "中央财政和省级福彩公益金下达3000余万元支持社会组织助力乡村振兴。"},
    ],
    "pairings": [
        {"pairing_id": "PR1", "org_id": "o1", "county": "巧家县", "county_code": "530622", "year": "2023",
         "date": "2023-05", "event": "", "quote": "与巧家县建立了结对帮扶关系。"},
    ],
}


def frame(kind: str, **changes_at_row0) -> pd.DataFrame:
    """The valid table of ``kind`` (all cells as text), with ``changes_at_row0`` applied to its first row."""
    df = pd.DataFrame(VALID[kind]).astype(object)
    for col, val in changes_at_row0.items():
        df.loc[0, col] = val
    return df
