"""Tests of impact.design: the campaign's designs, comparison groups and inference."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from impact import config
from impact import design as dz
from impact.errors import DesignError, ImpactError, InputError


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    from impact.simulate import county_panel

    frame, _ = county_panel(config.DEFAULT_SEED)
    return frame


@pytest.fixture(scope="module")
def truth() -> dict:
    from impact.simulate import county_panel

    return county_panel(config.DEFAULT_SEED)[1]


@pytest.fixture(scope="module")
def registry() -> dict:
    from impact.simulate._inputs import registry_tables

    reg = registry_tables()
    from impact.registry import read

    reg["facts"] = read("facts")
    return reg


# ----------------------------------------------------------------------------- designs as data


def test_every_design_states_name_assumption_and_comparison_in_both_languages() -> None:
    assert set(dz.DESIGNS) == {"wave_timing", "program_exposure", "intensity", "paired_plots",
                               "patients_before_after", "household_participation", "synthetic_control"}
    for key, d in dz.DESIGNS.items():
        for lang in ("zh", "en"):
            for text in (d.name(lang), d.assumption(lang), d.comparison(lang)):
                assert text.strip(), (key, lang)
            s = d.sentence(lang)
            assert d.name(lang) in s and d.assumption(lang) in s
        assert re.search(r"[\u4e00-\u9fff]", d.assumption_zh) and not re.search(r"[\u4e00-\u9fff]", d.assumption_en)
        assert d.assumption_zh.count("。") == 1  # one plain sentence
    assert dz.design("intensity").causal is False
    assert all(d.causal for k, d in dz.DESIGNS.items() if k != "intensity")


def test_unknown_design_names_the_valid_ones() -> None:
    with pytest.raises(ImpactError, match="wave_timing"):
        dz.design("never")


# ----------------------------------------------------------------------------- the first wave


def test_key_counties_missing_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ImpactError, match="27 national key") as err:
        dz.key_counties(tmp_path / "key_counties.csv")
    assert "key_counties.csv" in str(err.value) and "drawn" in str(err.value)


def test_project_ships_no_unsourced_list() -> None:
    path = config.REGISTRY_DIR / dz.KEY_COUNTIES_FILE
    if path.is_file():  # a shipped list must carry a source and quote for every county
        df = dz.key_counties(path)
        assert (df["source"].str.len() > 0).all() and (df["quote"].str.len() > 0).all()
    else:
        with pytest.raises(ImpactError):
            dz.key_counties()


def _write_list(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    pd.DataFrame(rows, columns=list(dz.KEY_COUNTIES_COLUMNS)).to_csv(path, index=False, encoding="utf-8")
    return path


def test_key_counties_validates_names_codes_sources_and_count(tmp_path: Path) -> None:
    from impact.simulate._inputs import county_frame

    c = county_frame().head(27)
    rows = [(code, name, "test fixture, not a fact", "fixture quote") for code, name in zip(c["county_code"], c["name"])]
    good = dz.key_counties(_write_list(tmp_path / "good.csv", rows))
    assert len(good) == 27 and list(good["county_code"]) == sorted(good["county_code"])
    bad = list(rows)
    bad[0] = (bad[0][0], bad[1][1], bad[0][2], bad[0][3])  # name of another county
    bad[2] = (bad[2][0], bad[2][1], "", bad[2][3])  # no source
    with pytest.raises(InputError) as err:
        dz.key_counties(_write_list(tmp_path / "bad.csv", bad[:26]))
    msg = str(err.value)
    assert "county_code" in msg and "source" in msg and "27 counties" in msg


def test_draw_first_wave_is_seeded_and_complete() -> None:
    codes = [f"53{i:04d}" for i in range(129)]
    a = dz.draw_first_wave(codes, np.random.default_rng(5))
    b = dz.draw_first_wave(list(reversed(codes)), np.random.default_rng(5))
    assert a == b and len(set(a)) == 27 and set(a) <= set(codes)
    with pytest.raises(DesignError):
        dz.draw_first_wave(codes[:10], np.random.default_rng(0))


# ----------------------------------------------------------------------------- exposure, intensity, donors


def test_program_counties_follow_the_registry(registry: dict) -> None:
    agri = dz.program_counties(registry, "agriculture")
    assert {"532627", "532626", "532622", "530625", "530824"} <= set(agri)  # seeds, vegetables (永善, 景谷)
    health = dz.program_counties(registry, "health")
    assert {"530824", "530828", "530622"} <= set(health)  # 景谷, 澜沧, 巧家
    assert dz.program_counties(registry, "child_protection") == sorted(["530627", "530628", "530626", "530621", "530326"])


def test_intensity_statement_says_plainly_why_it_is_descriptive(registry: dict) -> None:
    from impact.simulate._inputs import county_frame

    codes = county_frame()["county_code"].astype(str).tolist()
    tab = dz.intensity(registry, counties=codes)
    n_org, n_fund = int((tab["n_organizations"] > 0).sum()), int(tab["funds_yuan"].notna().sum())
    zh = dz.intensity_statement(registry, codes, lang="zh")
    en = dz.intensity_statement(registry, codes, lang="en")
    assert f"{len(codes)}个县中{n_org}个县" in zh and f"{n_fund}个县的单县资金" in zh and "没有强度为零的县" in zh
    assert f"{n_org} of {len(codes)} counties" in en and "no county has zero dose" in en and "not dose-response" in en
    assert 0 < n_org < len(codes)  # the article names organisations for some counties only


def test_intensity_is_descriptive_counts_and_article_funds(registry: dict) -> None:
    from impact.simulate._inputs import county_frame

    tab = dz.intensity(registry, counties=county_frame()["county_code"].tolist())
    assert len(tab) == 129 and tab["county_code"].is_unique
    row = tab.set_index("county_code")
    assert row.loc["530824", "n_organizations"] >= 2  # 景谷: hospital and vegetable associations
    assert row.loc["530824", "n_programs"] >= 2
    assert (tab.loc[tab["funds_yuan"].isna(), "funds_source"] == "").all()
    assert (tab.loc[tab["funds_yuan"].notna(), "funds_source"] == "article").all()
    # row order of the registry does not matter
    shuffled = {k: v.sample(frac=1.0, random_state=3) for k, v in registry.items()}
    pd.testing.assert_frame_equal(dz.intensity(shuffled, counties=county_frame()["county_code"].tolist()), tab)


def test_donor_pool_has_no_county_with_the_same_program(panel: pd.DataFrame) -> None:
    donors = dz.donor_pool(panel, "530627", sector="child_protection", outcome="children_reached", start=2022)
    has = set(panel.loc[panel["cohort_child_protection"] > 0, "county_code"])
    assert len(donors) == 20 and not (set(donors) & has) and "530627" not in donors
    assert (panel.loc[panel["county_code"].isin(donors), "cohort"] > 0).all()  # donors are paired too
    pre = panel[panel["year"] < 2022].groupby("county_code")["children_reached"].mean()
    dist = (pre[donors] - pre["530627"]).abs()
    assert dist.is_monotonic_increasing
    everyone = dz.donor_pool(panel, "530627", sector="child_protection", max_donors=None)
    assert len(everyone) == 129 - len(has)
    with pytest.raises(DesignError, match="paired"):
        dz.donor_pool(panel, "530627", sector="education")
    full = panel.assign(cohort_child_protection=2023)
    with pytest.raises(DesignError, match="no donor"):
        dz.donor_pool(full, "530627", sector="child_protection")


@pytest.mark.parametrize("code,sector", [("530824", "agriculture"), ("532627", "agriculture"), ("530828", "health"),
                                         ("530627", "child_protection"), ("530625", "agriculture")])
def test_county_design_of_the_report_counties(panel: pd.DataFrame, code: str, sector: str) -> None:
    """景谷, 广南, 澜沧, 镇雄, 永善: a synthetic control on a program others lack."""
    d = dz.county_design(panel, code, 2025)
    assert d is not None and d["design"] == "synthetic_control" and d["sector"] == sector
    assert d["outcome"] == dz.SECTOR_OUTCOME[sector]
    assert d["start"] == int(panel.loc[panel["county_code"] == code, f"cohort_{sector}"].iloc[0])


def test_county_without_sector_program_gets_no_county_design(panel: pd.DataFrame) -> None:
    none = panel.groupby("county_code")[[f"cohort_{s}" for s in dz.SECTORS]].max().sum(axis=1) == 0
    code = none.index[none][0]
    assert dz.county_design(panel, code, 2025) is None


@pytest.mark.parametrize("code,program", [("532625", "免费午餐项目"), ("532623", "希望澡堂"), ("532523", "捐资")])
def test_county_without_a_sector_program_says_why_in_both_languages(panel: pd.DataFrame, registry: dict, code: str,
                                                                     program: str) -> None:
    """马关 (free lunches), 西畴 (bath houses), 屏边 (a donation): no program of a sector with a
    county-panel outcome, so no synthetic control on their pairing year, and a reason naming
    their programs."""
    plan = dz.county_plan(panel, code, 2025, registry=registry)
    assert plan["design"] is None and dz.county_design(panel, code, 2025, registry=registry) is None
    assert program in plan["reason_zh"] and program in plan["reason_en"]
    assert "教育" in plan["reason_zh"] and "education" in plan["reason_en"]
    assert "所有县都已结对" in plan["reason_zh"] and "Every county is paired" in plan["reason_en"]


def test_a_start_year_the_registry_does_not_know_is_no_treatment_date(panel: pd.DataFrame, registry: dict) -> None:
    """A panel cohort for a program the registry does not place in the county is refused."""
    code = "532625"  # 马关: free lunches only
    forged = panel.assign(cohort_health=np.where(panel["county_code"].astype(str) == code, 2023,
                                                 panel["cohort_health"]))
    assert dz.county_design(forged, code, 2025) is not None  # without the registry, the panel is believed
    plan = dz.county_plan(forged, code, 2025, registry=registry)
    assert plan["design"] is None and "2023" in plan["reason_zh"] and "registry lists no such program" in plan["reason_en"]
    ok = dz.county_plan(panel, "530828", 2025, registry=registry)  # 澜沧: hospital pairing
    assert ok["design"] == "synthetic_control" and ok["sector"] == "health"
    assert str(ok["start"]) in ok["reason_zh"] and str(ok["start"]) in ok["reason_en"]


def test_report_synth_table_records_why_a_county_has_none(panel: pd.DataFrame, registry: dict) -> None:
    from impact.report.causal import synth_table
    from impact.report.inputs import Inputs
    from impact.report.notes import Notes

    inputs = Inputs(counties=pd.DataFrame(), registry=registry, data={"county_panel": panel}, simulated={}, files={})
    notes = Notes()
    syn, _ = synth_table(inputs, 2024, ["532625", "530627"], notes=notes)
    assert list(syn["county_code"]) == ["530627"]  # 镇雄: 爱佑安生 (child protection)
    n = notes.frame()
    mine = n[(n["county_code"] == "532625") & (n["part"] == "synth 532625")]
    assert len(mine) == 1 and "免费午餐项目" in mine["message_zh"].iloc[0] and "outside the sectors" in mine["message"].iloc[0]


# ----------------------------------------------------------------------------- estimation


def test_wave_att_uses_not_yet_treated_and_recovers_identified_att(panel: pd.DataFrame, truth: dict) -> None:
    res = dz.wave_att(panel, "income_per_capita", biters=199)
    tab = res.tidy()
    est, se = float(tab["estimate"].iloc[0]), float(tab["std_error"].iloc[0])
    target = truth["outcomes"]["income_per_capita"]["wave_identified"]
    assert target["cells"] == [[2022, 2022], [2022, 2023], [2023, 2023]]
    assert abs(est - target["simple_sample"]) < 4 * se
    assert "not yet" in str(res.info.get("Comparison group", "")).lower()


def test_program_att_compares_with_counties_without_the_program(panel: pd.DataFrame, truth: dict) -> None:
    res = dz.program_att(panel, "agriculture", biters=199)
    est, se = float(res.tidy()["estimate"].iloc[0]), float(res.tidy()["std_error"].iloc[0])
    assert abs(est - truth["outcomes"]["grain_yield"]["att_sample"]["simple"]) < 4 * se
    with pytest.raises(DesignError):
        dz.program_att(panel, "education")


def test_did_statistic_matches_a_direct_computation(panel: pd.DataFrame) -> None:
    Y, years, g, _ = dz._did_parts(panel, "children_reached", "cohort_child_protection")
    direct = []
    ctrl = g == 0
    for c in np.unique(g[g > 0]):
        pre = years < c
        for i in np.flatnonzero(g == c):
            for j in np.flatnonzero(~pre):
                direct.append((Y[i, j] - Y[i, pre].mean()) - (Y[ctrl, j].mean() - Y[ctrl][:, pre].mean()))
    assert np.isclose(dz._did_stat(Y, years, g[:, None])[0], np.mean(direct), rtol=1e-12, atol=1e-9)


def test_permutation_interval_covers_truth_and_ignores_row_order(panel: pd.DataFrame, truth: dict) -> None:
    r = dz.program_permutation(panel, "child_protection", reps=299, seed=1)
    t = truth["outcomes"]["children_reached"]["att_sample"]["simple"]
    assert r["conf_low"] < r["estimate"] < r["conf_high"]
    assert r["conf_low"] <= t <= r["conf_high"]
    assert r["p_value"] < 0.05 and r["n_treated"] == 5
    r2 = dz.program_permutation(panel.sample(frac=1.0, random_state=2), "child_protection", reps=299, seed=1)
    assert r2 == r


def test_program_permutation_and_randomization_test_share_one_core(panel: pd.DataFrame) -> None:
    """One cohort, no clustering: the program DiD is the difference in means of each county's
    ``B_i / n_post`` (post mean minus pre mean), so ``randomization_test`` on that county table
    (one county per cluster) and ``program_permutation`` on the panel test the same statistic
    with the same draws: same p-value, same interval, same convention ``(1 + hits)/(reps + 1)``."""
    from impact.estimate import randomization_test

    start = 2022
    codes = sorted(panel["county_code"].astype(str).unique())
    treated = set(codes[5:125:15])  # 8 counties, one cohort
    one = panel.assign(cohort_health=np.where(panel["county_code"].astype(str).isin(treated), start, 0))
    Y, years, g, cc = dz._did_parts(one, "referral_out_share", "cohort_health")
    post = years >= start
    county = pd.DataFrame({"county_code": cc, "d": (g > 0).astype(int),
                           "y": Y[:, post].mean(axis=1) - Y[:, ~post].mean(axis=1)})
    for seed in (0, 4):
        a = dz.program_permutation(one, "health", cluster=None, reps=499, seed=seed)
        b = randomization_test(county, "y", dname="d", cluster="county_code", reps=499, seed=seed).tidy().iloc[0]
        assert a["p_value"] == b["p_value"]
        assert (a["p_value"] * 500) % 1 < 1e-9  # (1 + hits) / (reps + 1)
        assert np.isclose(a["estimate"], b["estimate"], rtol=1e-10, atol=0)
        assert np.allclose([a["conf_low"], a["conf_high"]], [b["conf_low"], b["conf_high"]], rtol=1e-6, atol=0)
    # neither depends on row order
    shuffled = one.sample(frac=1.0, random_state=3)
    assert dz.program_permutation(shuffled, "health", cluster=None, reps=499, seed=4) == a
    rows = county.sample(frac=1.0, random_state=5).drop(columns="county_code")
    c1 = randomization_test(county.drop(columns="county_code"), "y", dname="d", reps=499, seed=4).tidy().iloc[0]
    c2 = randomization_test(rows, "y", dname="d", reps=499, seed=4).tidy().iloc[0]
    assert c1["p_value"] == c2["p_value"] and c1["conf_low"] == c2["conf_low"] and c1["conf_high"] == c2["conf_high"]


def test_permutation_does_not_reject_a_true_null(panel: pd.DataFrame) -> None:
    """Placebo: the tourist-visit outcome has no effect; with the child-protection
    cohorts its randomisation p-value is not small."""
    r = dz.program_permutation(panel, "child_protection", yname="tourist_visits", reps=299, seed=0)
    assert r["p_value"] > 0.05


# ----------------------------------------------------------------------------- no comparison with unpaired counties

#: "not yet paired" (尚未结对) is the wave design's comparison and stays allowed
BANNED = re.compile(r"never[-_ ]?paired|(?<!尚)未结对|从未结对|unpaired count", re.IGNORECASE)


def test_no_code_text_or_doc_compares_with_never_paired_counties() -> None:
    """The campaign pairs every county: no report, doc, template or code path may speak of
    (or compare with) counties that were never paired."""
    hits = []
    paths = [p for folder in ("src", "notebooks", "docs", "data/templates") for p in sorted((config.ROOT / folder).rglob("*"))]
    for path in paths + [config.ROOT / "data" / "README.md", config.ROOT / "README.md"]:
        if path.is_file() and path.suffix in {".py", ".md", ".ipynb", ".j2", ".html", ".txt", ".json", ".yaml", ".csv"}:
            for k, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                if BANNED.search(line):
                    hits.append(f"{path.relative_to(config.ROOT)}:{k}: {line.strip()[:80]}")
    assert not hits, "\n".join(hits)


def test_truth_file_records_every_design_and_its_estimand() -> None:
    import json

    doc = json.loads((config.SIMULATED_DIR / "truth_simulated.json").read_text(encoding="utf-8"))
    d = doc["designs"]
    assert set(d) == set(dz.DESIGNS)
    for key, v in d.items():
        assert v["assumption"] == dz.design(key).assumption_en and "estimands" in v
    wave = d["wave_timing"]["estimands"]["income_per_capita"]
    assert wave == doc["tables"]["county_panel"]["truth"]["outcomes"]["income_per_capita"]["wave_identified"]
    assert d["wave_timing"]["first_wave"]["source"] == "drawn"
    pe = d["program_exposure"]["estimands"]
    assert {s: v["n_program_counties"] + v["n_comparison_counties"] for s, v in pe.items()} == dict.fromkeys(dz.SECTORS, 129)
    assert d["intensity"]["causal"] is False and d["intensity"]["estimands"] == {}
    sc = d["synthetic_control"]["estimands"]
    assert sc["530627"]["sector"] == "child_protection" and sc["532627"]["sector"] == "agriculture"
    assert abs(d["patients_before_after"]["estimands"]["expected_total_saving_2024_yuan"] - 60_000) < 1_000


def test_program_table_picks_the_inference_that_covers(panel: pd.DataFrame, truth: dict) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tab = dz.program_table(panel, lang="en", reps=299).set_index("sector")
    assert list(tab.index) == list(dz.SECTORS)
    assert tab.loc["agriculture", "inference"] == "analytic"  # 14 program counties
    assert tab.loc["child_protection", "inference"] == "randomisation"  # 5 program counties
    assert tab.loc["health", "inference"] == "randomisation"  # 9 program counties
    assert (tab["n_program_counties"] + tab["n_comparison_counties"] == 129).all()
    for s, row in tab.iterrows():
        t = truth["outcomes"][dz.SECTOR_OUTCOME[s]]["att_sample"]["simple"]
        assert row["conf_low"] <= t <= row["conf_high"], s
    assert tab["design"].str.startswith("Design: Program exposure").all()
