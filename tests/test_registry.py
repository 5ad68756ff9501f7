"""Tests of the program registry (data/raw/registry) and impact.registry.

The expected figures below are typed from the article by hand; each test checks
the registry's value, base unit and that the stored quote contains the figure as
the article writes it.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from impact import config, registry
from impact.errors import InputError
from impact.units import parse_quantity

ARTICLE = config.ARTICLE.read_text(encoding="utf-8")
JOINED = ARTICLE.replace("\n", "")


@pytest.fixture(scope="module")
def t() -> dict[str, pd.DataFrame]:
    return {name: registry.read(name) for name in registry.tables()}


def _fact(facts: pd.DataFrame, **where: str) -> pd.Series:
    mask = pd.Series(True, index=facts.index)
    for col, val in where.items():
        mask &= facts[col] == val
    rows = facts[mask.fillna(False)]
    assert len(rows) == 1, f"expected one fact with {where}, found {len(rows)}"
    return rows.iloc[0]


# ------------------------------------------------------------ province totals

PROVINCE_TOTALS = [
    # measure, value, base unit, qualifier, text as the article writes it
    ("organizations_paired_total", 282, "organization", "exact", "282家"),
    ("counties_paired_total", 129, "county", "exact", "129个县"),
    ("organizations_out_of_province_paired", 52, "organization", "exact", "来自省外的52家"),
    ("organizations_in_province_paired", 230, "organization", "exact", "省内230家"),
    ("counties_paired_by_in_province_organizations", 129, "county", "exact", "129个县"),
    ("national_key_counties_paired", 27, "county", "exact", "27个国家乡村振兴重点帮扶县"),
    ("organizations_national_and_eastern_paired_2022_action", 52, "organization", "exact", "52家全国性"),
    ("national_key_counties_paired_2022_action", 27, "county", "exact", "27个国家乡村振兴重点帮扶县"),
    ("assistance_projects", 337, "project", "exact", "开展帮扶项目337个"),
    ("assistance_funds_invested", 231_000_000, "yuan", "exact", "2.31亿元"),
    ("province_program_central_and_lottery_funds", 30_000_000, "yuan", "more_than", "3000余万元"),
    ("province_symposium_batches", 3, "unit", "exact", "分三批"),
]


@pytest.mark.parametrize(("measure", "value", "base", "qualifier", "text"), PROVINCE_TOTALS)
def test_province_total(t, measure, value, base, qualifier, text):
    f = _fact(t["facts"], measure=measure, scope="province")
    assert_allclose(f["value"], value, rtol=0, atol=1e-6)
    assert f["base_unit"] == base
    assert f["qualifier"] == qualifier
    assert text in f["quote"]
    assert f["value_as_written"] in text
    assert f["unit_as_written"] in f["quote"]


def test_province_totals_add_up(t):
    facts = t["facts"]
    out = _fact(facts, measure="organizations_out_of_province_paired")["value"]
    within = _fact(facts, measure="organizations_in_province_paired")["value"]
    total = _fact(facts, measure="organizations_paired_total")["value"]
    assert out + within == total  # 52 + 230 = 282, as the article's headline says


PREFECTURE_FIGURES = [
    ("zhaotong_signing_national_organizations", "昭通市", 28, "organization", "28个国家级社会组织"),
    ("zhaotong_signing_provincial_organizations", "昭通市", 27, "organization", "27个省级社会组织"),
    ("zhaotong_signing_city_organizations", "昭通市", 51, "organization", "51家市内社会组织"),
    ("zhaotong_signing_counties", "昭通市", 11, "county", "11个县"),
    ("dali_signing_organizations", "大理白族自治州", 24, "organization", "24家社会组织"),
    ("dali_signing_counties", "大理白族自治州", 12, "county", "12个县"),
]


@pytest.mark.parametrize(("measure", "place", "value", "base", "text"), PREFECTURE_FIGURES)
def test_prefecture_signing_figures(t, measure, place, value, base, text):
    f = _fact(t["facts"], measure=measure, scope="prefecture")
    assert f["place"] == place
    assert_allclose(f["value"], value, rtol=0, atol=1e-6)
    assert f["base_unit"] == base
    assert text in f["quote"]
    assert f["period_start"][:7] in ("2024-03", "2024-05")


# ------------------------------------------------------------ program figures

PROGRAM_FIGURES = [
    # program_id, measure, value, base unit, qualifier, text as written
    ("hospital_pairing", "pancreatic_tumour_surgery_cost_local", 40_000, "yuan", "about", "约为4万元"),
    ("hospital_pairing", "saving_per_patient_vs_provincial_hospital", 60_000, "yuan", "about", "约6万元"),
    ("hospital_pairing", "grassroots_assistance_activities", 50, "unit", "more_than", "50余次"),
    ("hospital_jinggu_2024", "medical_staff_trained", 130, "person", "more_than", "130余名"),
    ("seed_haozhong", "seed_value_donated", 30_000, "yuan", "exact", "3万元"),
    ("seed_haozhong", "yield_per_mu_increase", 20, "percent", "exact", "亩产增加20%"),
    ("seed_haozhong", "collective_revenue_share_of_seed_sales_price", 16, "percent", "exact", "16%"),
    ("seed_haozhong", "farmer_income_increase", 10_000_000, "yuan", "exact", "增收1000万元"),
    ("vegetable_pairing", "cool_climate_vegetable_industry_output_value", 180_000_000, "yuan", "exact", "1.8亿元"),
    ("vegetable_pairing", "expected_output_value_yongshou_yunling_cooperation", 60_000_000, "yuan", "more_than",
     "6000余万元"),
    ("vegetable_pairing", "expected_jobs_yongshou_yunling_cooperation", 200, "unit", "exact", "200个就业岗位"),
    ("alibaba_lancang", "social_funds_attracted", 20_000_000, "yuan", "more_than", "2000余万元"),
    ("alibaba_lancang", "consumption_assistance_sales", 7_000_000, "yuan", "more_than", "超700万元"),
    ("alibaba_lancang", "digital_jobs_provided", 125, "unit", "exact", "125个"),
    ("alibaba_lancang", "direct_beneficiaries_per_year", 40_000, "person_time", "more_than", "人次超40000人"),
    ("ayou_ansheng", "donations_invested_zhaotong_child_protection", 6_500_000, "yuan", "more_than", "超过 650万元"),
    ("ayou_ansheng", "child_directors_in_team", 137, "person", "exact", "137名儿童主任"),
    ("ayou_ansheng", "local_social_workers_in_team", 73, "person", "exact", "73名本地社会工作者"),
    ("ayou_ansheng", "volunteers_mobilized", 400, "person", "more_than", "超过400名志愿者"),
    ("ayou_ansheng", "children_in_difficulty_monthly_home_visits", 1815, "person", "exact", "1815名困境儿童"),
    ("ayou_ansheng", "low_income_children_receiving_supplies", 3423, "person", "exact", "3423名"),
    ("ayou_ansheng", "living_supply_items_distributed", 47_800, "unit", "exact", "4.78万份"),
    ("amity_meals", "price_per_meal", 4, "yuan", "exact", "4元一餐"),
    ("amity_medical", "medical_subsidy_orders", 379, "unit", "exact", "379笔"),
    ("amity_medical", "voucher_value_per_person", 200, "yuan", "exact", "每人 200元"),
    ("amity_medical", "children_receiving_vouchers", 57, "person", "exact", "57位困境儿童"),
    ("cswf_free_lunch", "funds_allocated_spring_semester", 2_670_000, "yuan", "exact", "267万元"),
    ("cswf_free_lunch", "schools_covered", 97, "school", "exact", "97所学校"),
    ("cswf_free_lunch", "teachers_and_students_benefiting", 8955, "person", "exact", "8955人"),
    ("cswf_free_lunch", "townships_covered", 14, "unit", "exact", "14个乡"),
    ("wenzhou_xichou_bathhouses", "water_heaters_value", 360_000, "yuan", "exact", "36万元"),
    ("wenzhou_xichou_bathhouses", "schools_receiving_water_heaters", 19, "school", "exact", "19所学校"),
    ("wenzhou_xichou_bathhouses", "students_benefiting", 4984, "person", "exact", "4984名学生"),
    ("wenzhou_baoshan_scholarship", "donation_to_scholarship_fund", 100_000, "yuan", "exact", "10万元"),
    ("honghe_pingbian_donation", "donation_to_education_bureau", 3_000_000, "yuan", "exact", "300万元"),
    ("huaping_sunshine_home", "persons_with_disabilities_served", 600, "person", "exact", "600名残疾人"),
    ("youth_livestream", "livestreamers_and_new_media_workers_trained", 400, "person", "more_than", "400多人"),
]  # fmt: skip


@pytest.mark.parametrize(("program", "measure", "value", "base", "qualifier", "text"), PROGRAM_FIGURES)
def test_program_figure(t, program, measure, value, base, qualifier, text):
    f = _fact(t["facts"], program_id=program, measure=measure)
    assert_allclose(f["value"], value, rtol=0, atol=1e-6)
    assert f["base_unit"] == base
    assert f["qualifier"] == qualifier
    assert text in f["quote"]
    assert f["value_as_written"] in text


ORG_FIGURES = [
    # org_id, measure, value, base unit, qualifier, text as written. Organization-level
    # figures: the article gives them for the organization ("目前，云南省连心社区照顾服务中心
    # 已经支持了..."), not for a program, so they carry org_id and no program_id.
    ("lianxin", "returning_youth_supported", 100, "person", "nearly", "近100名"),
    ("lianxin", "social_work_agencies_cultivated_directly", 20, "organization", "more_than", "20余家"),
    ("lianxin", "social_work_agencies_mobilized_indirectly", 150, "organization", "more_than", "150余家"),
]  # fmt: skip


@pytest.mark.parametrize(("org", "measure", "value", "base", "qualifier", "text"), ORG_FIGURES)
def test_org_figure(t, org, measure, value, base, qualifier, text):
    f = _fact(t["facts"], org_id=org, measure=measure)
    assert pd.isna(f["program_id"])  # cumulative "目前...已经" totals, not the 2024-09 base's output
    assert_allclose(f["value"], value, rtol=0, atol=1e-6)
    assert f["base_unit"] == base
    assert f["qualifier"] == qualifier
    assert text in f["quote"]
    assert f["value_as_written"] in text
    assert "云南省连心社区照顾服务中心" in f["quote"]


def test_multi_county_figure_is_not_given_one_county(t):
    # The 130+ medical staff came from 景谷、镇沅、西盟、孟连、墨江等县: not a 景谷 figure.
    f = _fact(t["facts"], program_id="hospital_jinggu_2024", measure="medical_staff_trained")
    assert pd.isna(f["county_code"])
    assert "景谷、镇沅、西盟、孟连、墨江等县" in f["quote"]


def test_dated_and_placed_facts_quote_their_date_and_place(t):
    # A period or place in a fact row must be readable in the row's own quote.
    facts = t["facts"].set_index("fact_id")
    for fid, text in [("F002", "2022年"), ("F004", "2023年"), ("F013", "2023年10月"), ("F032", "2024年9月"),
                      ("F019", "杨林港"), ("F030", "景谷县人民医院"), ("F041", "永善"), ("F043", "永善"),
                      ("F064", "呢噜坪社区"), ("F066", "砚池街道"), ("F071", "马关县")]:
        assert text in facts.at[fid, "quote"], fid


def test_org_level_figures(t):
    facts = t["facts"]
    age = _fact(facts, org_id="lianxin", measure="organization_age")
    assert (age["value"], age["base_unit"], age["qualifier"]) == (20, "year", "nearly")
    assert "近 20年" in age["quote"]
    brands = _fact(facts, org_id="lianxin", measure="project_brands_built")
    assert (brands["value"], brands["qualifier"]) == (10, "more_than")
    members = _fact(facts, org_id="yn_vegetable_assoc", measure="association_member_units")
    assert (members["value"], members["qualifier"]) == (200, "more_than")


def test_every_fact_value_matches_its_written_form(t):
    for _, f in t["facts"].iterrows():
        count_of = f["base_unit"] if f["base_unit"] not in ("yuan", "mu", "kg", "percent", "year") else None
        q = parse_quantity(f["value_as_written"] + f["unit_as_written"], count_of=count_of)
        assert q.value == f["value"], f["fact_id"]
        assert q.base_unit == f["base_unit"], f["fact_id"]
        assert f["value_as_written"] in f["quote"], f["fact_id"]


# ------------------------------------------------------------ sources and keys


@pytest.mark.parametrize("name", registry.tables())
def test_every_quote_is_verbatim(t, name):
    quotes = t[name]["quote"]
    assert quotes.notna().all()
    missing = [q for q in quotes if q not in JOINED]
    assert missing == []


def test_joined_article_removes_only_newlines():
    assert registry.joined_article() == JOINED
    assert len(JOINED) == len(ARTICLE) - ARTICLE.count("\n")


def test_split_paragraph_is_quoted_in_both_columns(t):
    # The 阿里巴巴/澜沧 paragraph continues in a later column: its figures after the
    # break (700万元, 125, 40000) are quoted from the continuation.
    facts = t["facts"][t["facts"]["program_id"] == "alibaba_lancang"].set_index("measure")
    assert "通过农特产品上行电商渠道" not in JOINED  # the break is not contiguous text
    assert "累计引入社会资金2000余万元" in facts.at["social_funds_attracted", "quote"]
    assert facts.at["consumption_assistance_sales", "quote"].startswith("道、订单农业等形式")
    for measure in ("consumption_assistance_sales", "digital_jobs_provided", "direct_beneficiaries_per_year"):
        assert facts.at[measure, "county_code"] == "530828"


@pytest.mark.parametrize("name", registry.tables())
def test_keys_unique(t, name):
    df = t[name]
    key = list(registry.KEYS[name])
    assert not df.duplicated(subset=key).any()
    if name != "program_sites":
        assert df[key[0]].notna().all()


def test_foreign_keys(t):
    orgs = set(t["organizations"]["org_id"])
    programs = set(t["programs"]["program_id"])
    assert set(t["pairings"]["org_id"]) <= orgs
    assert set(t["programs"]["org_id"]) <= orgs
    assert set(t["program_sites"]["program_id"]) <= programs
    assert set(t["facts"]["program_id"].dropna()) <= programs
    assert set(t["facts"]["org_id"].dropna()) <= orgs
    # every program's organization is the org of its facts
    prog_org = t["programs"].set_index("program_id")["org_id"]
    linked = t["facts"].dropna(subset=["program_id"])
    assert (linked["org_id"].to_numpy() == prog_org.loc[linked["program_id"]].to_numpy()).all()


def test_dtypes(t):
    assert t["pairings"]["county_code"].dtype == "string"
    assert t["pairings"]["year"].dtype == "Int64"
    assert t["facts"]["value"].dtype == "float64"
    assert t["facts"]["county_code"].dropna().str.fullmatch(r"53\d{4}").all()


def test_enumerations(t):
    assert set(t["organizations"]["level"].dropna()) <= {
        "national", "out_of_province", "provincial", "prefecture", "county"}  # fmt: skip
    assert set(t["organizations"]["kind"].dropna()) <= {
        "foundation", "trade_association", "chamber_of_commerce", "social_work_agency",
        "professional_association", "ngo", "enterprise", "other"}  # fmt: skip
    assert set(t["programs"]["sector"]) <= {
        "agriculture", "health", "education", "child_protection", "elderly_care", "disability",
        "culture", "tourism", "ecommerce", "employment", "governance", "other"}  # fmt: skip
    assert set(t["facts"]["qualifier"]) <= {"exact", "more_than", "about", "nearly", "up_to", "at_least"}
    assert set(t["facts"]["scope"]) <= {"province", "prefecture", "county", "program"}


# ------------------------------------------------------------ content


NAMED_ORGANIZATIONS = [
    "云南省医院协会", "云南省种子协会", "云南省蔬菜行业协会", "云南省茶叶流通协会", "阿里巴巴公益基金会",
    "爱佑慈善基金会", "爱德基金会", "腾讯公益慈善基金会", "中国社会福利基金会", "上海市外商投资协会",
    "云南省温州商会", "华坪县阳光助残社会工作发展协会", "云南省连心社区照顾服务中心", "瑞丽市妇女儿童发展中心",
    "云南省青年创业致富带头人协会", "云南省物业管理行业协会", "镇雄乐为社会工作服务中心",
    "玉溪市峨山彝族自治县嶍峨为民社会工作服务中心", "昭通鲁甸顺心社会工作服务中心", "怒江兰坪星火社会工作服务中心",
]  # fmt: skip


def test_named_organizations_present_and_quoted(t):
    orgs = t["organizations"]
    assert set(NAMED_ORGANIZATIONS) <= set(orgs["name"])
    assert not orgs["name"].duplicated().any()
    for _, o in orgs.iterrows():
        assert o["name"] in o["quote"], o["org_id"]


def test_levels_only_where_the_article_says(t):
    orgs = t["organizations"].set_index("name")
    assert orgs.at["爱佑慈善基金会", "level"] == "national"  # "民政部主管的全国性社会组织"
    assert orgs.at["上海市外商投资协会", "level"] == "out_of_province"
    assert pd.isna(orgs.at["阿里巴巴公益基金会", "level"])  # the article does not say


def test_hospital_association_pairings(t):
    p = t["pairings"][t["pairings"]["org_id"] == "yn_hospital_assoc"]
    # the article says 15 counties but names 8: the 8 are rows, the 15 is a fact
    assert len(p) == 8
    assert set(p["county_code"]) == {"530622", "530628", "530629", "530624", "532527", "532531", "530824", "533422"}
    f = _fact(t["facts"], org_id="yn_hospital_assoc", measure="counties_paired")
    assert f["value"] == 15 and "15个县市" in f["quote"]


def test_vegetable_alibaba_ayou_pairings(t):
    p = t["pairings"]
    veg = p[p["org_id"] == "yn_vegetable_assoc"]
    assert list(veg["county"]) == ["景东", "景谷", "永善", "石屏", "施甸", "腾冲"]
    assert set(veg["county_code"]) == {"530823", "530824", "530625", "532525", "530521", "530581"}
    assert p.loc[p["org_id"] == "alibaba_fdn", "county_code"].tolist() == ["530828"]
    assert p.loc[p["org_id"] == "ayou_fdn", "county_code"].tolist() == ["530627"]


def test_no_invented_key_county_list(t):
    # The article counts 27 national key counties but does not list them.
    assert "重点帮扶县" not in " ".join(t["pairings"]["event"].dropna())
    assert len(t["pairings"]) < 27
    key = t["facts"][t["facts"]["measure"].str.contains("national_key_counties")]
    assert set(key["value"]) == {27.0} and key["county_code"].isna().all()


def test_sites_quote_their_places(t):
    for _, s in t["program_sites"].iterrows():
        for col in ("county", "town", "village"):
            if not pd.isna(s[col]):
                assert s[col] in s["quote"], (s["program_id"], col)


def test_tea_contact_points_match_count(t):
    sites = t["program_sites"][t["program_sites"]["program_id"] == "tea_contact_points"]
    points = _fact(t["facts"], program_id="tea_contact_points", measure="contact_points")
    assert len(sites) == points["value"] == 7
    assert ("勐海县", "勐混镇", "贺开村") in set(zip(sites["county"], sites["town"], sites["village"]))


# ------------------------------------------------------------ counties


def _geo_available() -> str | None:
    try:
        from impact import geo

        geo.resolve_county("530824")
    except Exception as err:  # noqa: BLE001 - any failure means the geo layer is not ready
        return f"impact.geo is not usable yet: {type(err).__name__}: {err}"
    return None


_GEO_SKIP = _geo_available()


@pytest.mark.skipif(_GEO_SKIP is not None, reason=_GEO_SKIP or "")
@pytest.mark.parametrize("name", ["pairings", "program_sites"])
def test_every_county_resolves_to_its_code(t, name):
    from impact.geo import resolve_county

    df = t[name].dropna(subset=["county"])
    assert len(df) > 0
    for _, row in df.iterrows():
        assert resolve_county(row["county"]).code == row["county_code"], row["county"]


@pytest.mark.skipif(_GEO_SKIP is not None, reason=_GEO_SKIP or "")
def test_every_fact_county_code_resolves(t):
    from impact.geo import resolve_county

    for code in t["facts"]["county_code"].dropna():
        assert resolve_county(code).code == code


@pytest.mark.skipif(_GEO_SKIP is not None, reason=_GEO_SKIP or "")
def test_registry_check_passes():
    assert registry.problems() == []
    registry.check()


# ------------------------------------------------------------ bad registries


@pytest.fixture
def reg_copy(tmp_path: Path) -> Path:
    out = tmp_path / "registry"
    shutil.copytree(config.REGISTRY_DIR, out)
    return out


def _edit(path: Path, row: int, column: str, value: str) -> None:
    """Set a cell; ``row`` is the spreadsheet row (header = 1)."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    rows[row - 1][rows[0].index(column)] = value
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


@pytest.mark.skipif(_GEO_SKIP is not None, reason=_GEO_SKIP or "")
def test_unknown_county_fails_with_file_row_column_value(reg_copy):
    _edit(reg_copy / "pairings.csv", 3, "county", "景古县")
    with pytest.raises(InputError) as info:
        registry.check(reg_copy)
    (p,) = [p for p in info.value.problems if p.column == "county"]
    assert p.file.endswith("pairings.csv") and p.row == 3 and p.value == "景古县"
    assert "row 3" in str(info.value) and "景古县" in str(info.value)


@pytest.mark.skipif(_GEO_SKIP is not None, reason=_GEO_SKIP or "")
def test_wrong_county_code_fails(reg_copy):
    _edit(reg_copy / "program_sites.csv", 2, "county_code", "530824")
    problems = registry.problems(reg_copy)
    assert [(p.row, p.column, p.value) for p in problems] == [(2, "county_code", "530824")]
    assert "530112" in problems[0].expected


def test_altered_quote_fails(reg_copy):
    _edit(reg_copy / "facts.csv", 18, "quote", "累计投入帮扶资金2.32亿元")
    problems = [p for p in registry.problems(reg_copy) if p.column == "quote"]
    assert [(p.file.endswith("facts.csv"), p.row) for p in problems] == [(True, 18)]


def test_fact_value_inconsistent_with_written_form_fails(reg_copy):
    _edit(reg_copy / "facts.csv", 18, "value", "2.31")  # forgot the 亿
    problems = registry.problems(reg_copy)
    assert [(p.row, p.column) for p in problems] == [(18, "value")]
    assert "231000000" in problems[0].expected


def test_unit_typo_in_facts_fails(reg_copy):
    _edit(reg_copy / "facts.csv", 18, "unit_as_written", "亿圆")
    problems = registry.problems(reg_copy)
    assert any(p.row == 18 and p.column == "unit_as_written" and "亿圆" in str(p.value) for p in problems)


def test_duplicate_key_and_dangling_reference_fail(reg_copy):
    _edit(reg_copy / "facts.csv", 3, "fact_id", "F001")
    _edit(reg_copy / "pairings.csv", 2, "org_id", "no_such_org")
    problems = registry.problems(reg_copy)
    assert any(p.row == 3 and p.column == "fact_id" for p in problems)
    assert any(p.row == 2 and p.column == "org_id" and p.value == "no_such_org" for p in problems)


def test_bad_date_and_year_fail(reg_copy):
    _edit(reg_copy / "programs.csv", 3, "period_start", "2024年9月")
    _edit(reg_copy / "pairings.csv", 2, "year", "二〇二四")
    with pytest.raises(InputError) as info:
        registry.read("pairings", reg_copy)
    assert info.value.problems[0].column == "year"
    problems = registry.problems(reg_copy)
    assert any(p.column == "period_start" and p.value == "2024年9月" for p in problems)


def test_missing_column_and_missing_file(reg_copy):
    df = pd.read_csv(reg_copy / "programs.csv", dtype=str, keep_default_na=False).drop(columns=["sector"])
    df.to_csv(reg_copy / "programs.csv", index=False)
    with pytest.raises(InputError, match="sector"):
        registry.read("programs", reg_copy)
    (reg_copy / "facts.csv").unlink()
    with pytest.raises(InputError, match="facts.csv"):
        registry.read("facts", reg_copy)


def test_unknown_table_name():
    with pytest.raises(ValueError, match="organizations"):
        registry.read("organisations")


def test_gbk_file_is_rejected_clearly(reg_copy):
    text = (reg_copy / "organizations.csv").read_text(encoding="utf-8")
    (reg_copy / "organizations.csv").write_bytes(text.encode("gbk", errors="replace"))
    with pytest.raises(InputError, match="UTF-8"):
        registry.read("organizations", reg_copy)


@pytest.mark.skipif(_GEO_SKIP is not None, reason=_GEO_SKIP or "")
def test_fill_county_codes_for_user_rows():
    df = pd.DataFrame({"county": ["普洱市景谷县", "镇雄", None], "county_code": [None, None, None]})
    out = registry.fill_county_codes(df, file="my_sites.csv")
    assert out["county_code"].tolist()[:2] == ["530824", "530627"]
    with pytest.raises(InputError, match="row 2"):
        registry.fill_county_codes(pd.DataFrame({"county": ["景古县"], "county_code": [None]}), file="x.csv")


# ------------------------------------------------------------ enterprises and totals


def test_honghe_is_an_enterprise_of_the_wenzhou_chamber(t):
    orgs = t["organizations"].set_index("org_id")
    assert orgs.at["honghe_phosphorus", "kind"] == "enterprise"
    assert "执行会长企业云南红河磷电有限责任公司" in orgs.at["honghe_phosphorus", "quote"]
    assert "云南省温州商会" in orgs.at["honghe_phosphorus", "quote"]
    assert orgs.at["yn_wenzhou_chamber", "kind"] == "chamber_of_commerce"
    assert set(registry.SOCIAL_ORGANIZATION_KINDS) | {"enterprise"} >= set(orgs["kind"].dropna())
    assert "enterprise" not in registry.SOCIAL_ORGANIZATION_KINDS


def test_funds_total_states_what_it_includes(t):
    facts = t["facts"][t["facts"]["scope"].isin(["program", "county"])]
    kw = dict(programs=t["programs"], organizations=t["organizations"])
    social = registry.funds_total(facts, include="social_organizations", **kw)
    ent = registry.funds_total(facts, include="enterprises", **kw)
    every = registry.funds_total(facts, include="all", **kw)
    assert ent.fact_ids == ("F081",) and ent.value == 3_000_000
    assert "F081" not in social.fact_ids and "F081" in social.excluded_fact_ids
    assert social.value + ent.value == every.value  # every program fund has an organisation
    # the province report's 3266万 included the enterprise's 300万 (issue #14): 2966万 without it
    # 3万 seeds + 2000万 阿里巴巴 + 650万 爱佑 + 267万 free lunch + 36万 heaters + 10万 scholarship + 300万 屏边
    assert every.value == sum([3, 2000, 650, 267, 36, 10, 300]) * 10_000 == 32_660_000
    assert social.value == 29_660_000
    assert social.label("zh") == "社会组织资金（不含企业资金300万元）"
    assert "excluding CNY 3 million from enterprises" in social.label("en")
    assert every.label("zh") == "社会组织和企业资金"
    with pytest.raises(TypeError):
        registry.funds_total(facts)  # no silent default: say what the total includes
    with pytest.raises(Exception, match="include"):
        registry.funds_total(facts, include="companies", **kw)


def test_fund_facts_without_organisation_only_in_all(t):
    f = t["facts"]
    kw = dict(programs=t["programs"], organizations=t["organizations"])
    assert "F001" in set(registry.fund_facts(f)["fact_id"])  # central and lottery funds
    assert "F001" not in set(registry.fund_facts(f, include="social_organizations", **kw)["fact_id"])
    # row order does not change the selection
    shuffled = f.sample(frac=1.0, random_state=3)
    a = registry.fund_facts(f, include="social_organizations", **kw)["fact_id"]
    b = registry.fund_facts(shuffled, include="social_organizations", **kw)["fact_id"]
    assert sorted(a) == sorted(b)


# ------------------------------------------------------------ coverage of facts

SHARED = [
    # county, fact measures shown in that county that are not its own, label
    ("镇雄", ["child_directors_in_team", "local_social_workers_in_team", "children_in_difficulty_monthly_home_visits",
             "low_income_children_receiving_supplies", "living_supply_items_distributed"], "全项目合计（涉及5县）"),
    ("广南", ["farmer_income_increase", "yield_per_mu_increase"], "全项目合计（涉及3县）"),
    ("景谷", ["grassroots_assistance_activities"], "全项目合计（涉及15县）"),
]  # fmt: skip


@pytest.mark.parametrize(("county", "measures", "label"), SHARED)
def test_project_wide_figures_are_not_the_countys_own(t, county, measures, label):
    cf = registry.county_facts(county, tables=t)
    for m in measures:
        rows = cf[cf["measure"] == m]
        assert len(rows) >= 1, m
        assert not rows["own"].any(), m
        assert (rows["label_zh"] == label).all(), (m, rows["label_zh"].tolist())
        assert rows["label_en"].str.startswith("whole project (").all()


def test_n_counties_comes_from_the_article(t):
    cov = registry.fact_coverage(t).set_index("fact_id")
    assert cov.at["F027", "n_counties"] == 15  # 等15个县市, though only 8 are named
    assert cov.at["F040", "n_counties"] == 3  # 广南、丘北、砚山 3县
    assert cov.at["F058", "n_counties"] == 5  # 镇雄 + 彝良、绥江、鲁甸 + 会泽
    assert cov.at["F029", "n_counties"] == 5 and cov.at["F029", "n_counties_at_least"]  # 景谷、…、墨江等县
    assert cov.at["F029", "coverage_zh"] == "全项目合计（涉及至少5县）"
    assert cov.at["F008", "coverage"] == "prefecture" and cov.at["F005", "n_counties"] == 11
    assert cov.at["F005", "coverage_zh"] == "昭通市合计（涉及11县）"
    assert cov.at["F017", "coverage_zh"] == "全省合计"
    assert cov.at["F021", "coverage"] == "organization"
    assert set(cov["coverage"]) <= set(registry.COVERAGES)


def test_own_facts_are_the_countys(t):
    cf = registry.county_facts("530824", tables=t)
    own = cf[cf["own"]]
    assert set(own["county_code"]) == {"530824"}
    assert {"saving_per_patient_vs_provincial_hospital", "experts_sent"} <= set(own["measure"])
    assert (own["label_zh"] == "本县").all() and (own["label_en"] == "this county").all()
    assert list(cf["own"]) == sorted(cf["own"], reverse=True)  # own facts first
    assert not cf["coverage"].eq("province").any()
    assert registry.county_facts("景谷", tables=t, include_province=True)["coverage"].eq("province").any()


def test_county_facts_independent_of_row_order(t):
    shuffled = {k: v.sample(frac=1.0, random_state=7).reset_index(drop=True) for k, v in t.items()}
    a = registry.county_facts("镇雄", tables=t)
    b = registry.county_facts("镇雄", tables=shuffled)
    assert a["fact_id"].tolist() == b["fact_id"].tolist()
    assert a["label_zh"].tolist() == b["label_zh"].tolist()


def test_coverage_label_words():
    assert registry.coverage_label("project", 3, lang="en") == "whole project (3 counties)"
    assert registry.coverage_label("project", None) == "全项目合计"
    assert registry.coverage_label("project", 1, lang="en") == "whole project (1 county)"
    assert registry.coverage_label("province", lang="en") == "province-wide"
    with pytest.raises(Exception, match="coverage"):
        registry.coverage_label("village")


# ------------------------------------------------------------ organisations per county


def test_organisation_counts_per_county(t):
    co = registry.county_organizations(t).set_index("county_code")
    assert len(co) == 129
    for code in ("532627", "532625", "532623", "532523"):  # 广南, 马关, 西畴, 屏边
        assert co.at[code, "named"] and co.at[code, "n_organizations"] >= 1, code
    assert co.at["532627", "organizations"] == "云南省种子协会"
    assert co.at["532523", "n_enterprises"] == 1 and co.at["532523", "n_social_organizations"] == 0
    assert co.at["532523", "text_zh"] == "0家社会组织，1家企业"
    wuhua = co.loc["530102"]  # 五华: the article names no organisation there
    assert not wuhua["named"] and pd.isna(wuhua["n_organizations"])
    assert wuhua["text_zh"] == "原文未点名组织" and wuhua["text_en"] == "none named in the article"
    assert co.at["530627", "n_organizations"] == 2  # 镇雄: 爱佑, 爱德
    counts = co["n_organizations"].dropna()
    assert (counts > 0).all()  # a count is never 0: "none named" is <NA>
    assert (co["n_social_organizations"].fillna(0) + co["n_enterprises"].fillna(0)
            == co["n_organizations"].fillna(0)).all()


def test_organization_count_text():
    assert registry.organization_count_text(2, 0) == "2家社会组织"
    assert registry.organization_count_text(1, 0, lang="en") == "1 social organisation"
    assert registry.organization_count_text(pd.NA, pd.NA) == "原文未点名组织"


# ------------------------------------------------------------ province report facts

PROVINCE_REPORT = [
    ("province_program_central_and_lottery_funds", "3000余万元"),
    ("national_key_counties_paired", "27个国家乡村振兴重点帮扶县"),
    ("zhaotong_signing_national_organizations", "28个国家级社会组织"),
    ("zhaotong_signing_provincial_organizations", "27个省级社会组织"),
    ("zhaotong_signing_city_organizations", "51家市内社会组织"),
    ("zhaotong_signing_counties", "11个县"),
    ("dali_signing_organizations", "24家社会组织"),
    ("dali_signing_counties", "12个县"),
]


@pytest.mark.parametrize(("measure", "text"), PROVINCE_REPORT)
def test_province_facts_hold_what_the_province_report_needs(t, measure, text):
    pf = registry.province_facts(t)
    rows = pf[pf["measure"] == measure]
    assert len(rows) == 1
    assert text in rows.iloc[0]["quote"]
    assert rows.iloc[0]["coverage"] in ("province", "prefecture")


def test_province_facts_order(t):
    pf = registry.province_facts(t)
    cov = pf["coverage"].tolist()
    assert cov == sorted(cov, key=lambda c: c == "prefecture")
