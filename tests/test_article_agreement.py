"""Every simulated aggregate with an article counterpart, held against the article.

The committed simulated data (``data/raw/simulated``) are read and summarized the way the
reports summarize them (:mod:`impact.indicators`); each figure is compared with the
article's figure within the tolerance stated in ``TOLERANCE`` (sampling noise of the
simulated small scale, or "no larger than" for counts of people and money the article
gives as totals). The quote is in the test's docstring or comment.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from impact import config

#: Stated tolerances: relative for money, percentage points for yield gains.
TOLERANCE = {
    "local_surgery_cost_rel": 0.10,  # 景谷 local total cost per patient vs 约4万元
    "saving_per_patient_rel": 0.15,  # 景谷 saving per patient vs 约6万元 (about 2 SE at 40 patients a year)
    "yield_gain_county_year_pp": 3.0,  # each trial county-year vs 亩产增加20%
    "yield_gain_pooled_pp": 1.5,  # all pairs vs 亩产增加20%
}
JINGGU, ZHENXIONG = "530824", "530627"
SEED_COUNTIES = {"532627": "广南", "532626": "丘北", "532622": "砚山"}


def _article(term: str, sector: str) -> float:
    """The article's figure for an indicator, through the one mapping the reports use
    (:data:`impact.counterparts.COUNTERPARTS`)."""
    from impact.counterparts import counterpart_facts
    from impact.registry_tables import read

    cp = counterpart_facts(read("facts"))
    hit = cp[(cp["term"] == term) & (cp["sector"] == sector)]
    assert len(hit) == 1 and pd.notna(hit["value"].iloc[0]), (term, sector)
    return float(hit["value"].iloc[0])


def test_every_counterpart_names_a_registry_fact() -> None:
    from impact.counterparts import counterpart_facts
    from impact.registry_tables import read

    cp = counterpart_facts(read("facts"))
    assert cp["fact_id"].notna().all(), cp.loc[cp["fact_id"].isna(), "measure"].tolist()


def _read(table: str) -> pd.DataFrame:
    return pd.read_parquet(config.SIMULATED_DIR / f"{table}_simulated.parquet")


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((config.SIMULATED_DIR / "truth_simulated.json").read_text(encoding="utf-8"))


def _cost_savings(year: int) -> pd.DataFrame:
    from impact.indicators import cost_savings

    p = _read("patients")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cost_savings(p[p["year"] == year], by=("county_code", "year")).tidy()


def test_jinggu_local_surgery_about_40k_and_saving_about_60k() -> None:
    """"手术费用约为4万元，相比患者前往省级三甲医院接受手术治疗，每人平均可节省约6万元" (景谷县人民医院)."""
    tab = _cost_savings(2024)
    j = tab[tab["county_code"] == JINGGU].set_index("term")["estimate"]
    assert _article("local_cost", "health") == 40_000 and _article("saving_per_patient", "health") == 60_000
    assert abs(j["local_cost"] / _article("local_cost", "health") - 1) <= TOLERANCE["local_surgery_cost_rel"]
    assert abs(j["saving_per_patient"] / _article("saving_per_patient", "health") - 1) <= \
        TOLERANCE["saving_per_patient_rel"]


def test_patients_only_in_hospital_association_counties() -> None:
    """"云南省医院协会与……等15个县市建立了结对帮扶关系": no patient records elsewhere."""
    p = _read("patients")
    assert p["county_code"].nunique() <= 15
    assert "530828" not in set(p["county_code"])  # 澜沧: no article fact on surgery


def test_yield_gain_about_20_percent_in_the_three_seed_counties() -> None:
    """"在文山州广南、丘北、砚山 3县 4镇（乡）试点……亩产增加20%"."""
    from impact.indicators import yield_gain

    tr = _read("plot_trials")
    assert set(tr["county_code"]) == set(SEED_COUNTIES)
    assert tr.groupby("county_code")["town"].nunique().sum() == 4
    n_var = tr.loc[tr["arm"] == "treated", "variety"].nunique()
    assert 10 <= n_var <= 20  # "开展 10至20个品种示范种植"
    tab = yield_gain(tr, by=("county_code", "year")).tidy()
    pct = tab[tab["term"] == "yield_gain_pct"]
    assert len(pct) == 6
    article = _article("yield_gain_pct", "agriculture")
    assert article == 20
    assert (pct["estimate"] - article).abs().max() <= TOLERANCE["yield_gain_county_year_pp"]
    pooled = yield_gain(tr, by=None).tidy()
    est = float(pooled.loc[pooled["term"] == "yield_gain_pct", "estimate"].iloc[0])
    assert abs(est - article) <= TOLERANCE["yield_gain_pooled_pp"]


def test_children_served_never_exceed_the_article() -> None:
    """"为1815名困境儿童提供每月入户干预服务，为 3423名低收入家庭儿童发放4.78万份生活物资"
    (project-wide figures): no county, 镇雄 included, reaches more children than that."""
    from impact.indicators import reach

    ben = _read("beneficiaries")
    ay = ben[ben["program_id"] == "ayou_ansheng"]
    assert ay.loc[ay["service"] == "home_visit", "person_id"].nunique() == 1815
    assert ay["person_id"].nunique() <= 3423
    tab = reach(ben, by=("program_id", "county_code", "year")).tidy()
    u = tab[(tab["term"] == "unique_persons") & (tab["program_id"] == "ayou_ansheng")]
    assert _article("unique_persons", "child_protection") == 1815
    assert u["estimate"].max() <= _article("unique_persons", "child_protection")
    assert u.loc[u["county_code"] == ZHENXIONG, "estimate"].max() <= 1815
    per_county = ay.groupby("county_code")["person_id"].nunique()
    assert per_county.sum() <= 3423 and per_county.max() <= 1815


def test_supplies_orders_and_vouchers_match_article_counts() -> None:
    """"4.78万份生活物资"; "开具了379笔就医补助订单"; "57位困境儿童提供每人 200元的公益消费券";
    "200余名困境老人"; "60岁以上老人吃饭仅需 4元一餐"."""
    led, ben = _read("cost_ledger"), _read("beneficiaries")
    sup = led.loc[(led["program_id"] == "ayou_ansheng") & (led["item"] == "supplies"), "amount_yuan"].sum()
    from impact.simulate.programs import ASSUMPTIONS

    assert round(sup / ASSUMPTIONS["supply_item_cost_yuan"]) == 47_800
    assert (led["item"] == "medical_subsidy_order").sum() == 379
    v = ben[ben["service"] == "consumption_voucher"]
    assert (v["age"] < 18).sum() == 57
    elders = ben.loc[ben["service"] == "medical_subsidy", "person_id"].nunique()
    assert 200 < elders < 300
    assert (ben.loc[ben["service"] == "meal_subsidy", "age"] >= 60).all()


def test_funds_no_larger_than_article(truth: dict) -> None:
    """"累计投入超过 650万元善款专项支持昭通市开展的儿童保护项目" (more than 6.5 million, the
    simulated external funds stay within 20% above it); "累计投入帮扶资金2.31亿元" bounds
    every simulated ledger together."""
    led = _read("cost_ledger")
    t = truth["tables"]["beneficiaries"]["truth"]
    zt = t["child_protection_external_yuan_zhaotong"]
    assert 6_500_000 < zt <= 1.2 * 6_500_000
    assert led["amount_yuan"].sum() <= 231_000_000


def test_program_effect_on_children_no_larger_than_article(truth: dict) -> None:
    """The county panel's true child-protection effect (children reached by the program)
    summed over the program's counties never exceeds the article's 1,815 children."""
    per = truth["tables"]["county_panel"]["truth"]["outcomes"]["children_reached"]["per_county"]
    by_year: dict[str, float] = {}
    for v in per.values():
        for y, e in v["effects"].items():
            by_year[y] = by_year.get(y, 0.0) + e
    assert by_year and max(by_year.values()) <= 1815
    assert len(per) == 5  # 镇雄, 彝良, 绥江, 鲁甸, 会泽


def test_first_wave_is_27_counties_recorded_as_drawn(truth: dict) -> None:
    """"结对帮扶我省 27个国家乡村振兴重点帮扶县": 27 first-wave counties, said to be drawn."""
    fw = truth["tables"]["county_panel"]["truth"]["first_wave"]
    assert fw["n"] == 27 and fw["year"] == 2022
    assert fw["source"] == "drawn" and "drawn" in fw["note"]
    panel = _read("county_panel")
    assert (panel.groupby("county_code")["cohort"].max() > 0).all()  # "129个县（市、区）结对帮扶"
    assert np.isin(panel["cohort"].unique(), [2022, 2023, 2024]).all()
