"""Tests of the simulator: determinism, independent streams, schemas, and moments vs truth.

Tolerances are stated in sampling standard errors computed from the generated data
(cluster-robust or bootstrap), so a wrong data-generating process or a wrong truth fails.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from numpy.testing import assert_allclose

from impact import config
from impact.errors import ImpactError
from impact.simulate import KINDS, TABLES, TRUTH_FILE, file_name, household_survey, simulate

SEED = config.DEFAULT_SEED


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("sim")
    return {
        "a": simulate(seed=SEED, scale="small", out=base / "a"),
        "b": simulate(seed=SEED, scale="small", out=base / "b"),
        "other_seed": simulate(seed=SEED + 1, scale="small", out=base / "c", households=1500),
        "fewer_households": simulate(seed=SEED, scale="small", out=base / "d", households=1500),
    }


@pytest.fixture(scope="module")
def a(runs: dict):
    return runs["a"]


@pytest.fixture(scope="module")
def truth(a) -> dict:
    return json.loads(a.truth_path.read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------- determinism


def test_same_seed_gives_byte_identical_files(runs: dict) -> None:
    for table in TABLES:
        assert _sha(runs["a"].paths[table]) == _sha(runs["b"].paths[table]), table
    assert _sha(runs["a"].truth_path) == _sha(runs["b"].truth_path)


def test_different_seed_gives_different_content(runs: dict) -> None:
    for table in TABLES:
        x = pq.read_table(runs["a"].paths[table]).to_pandas()
        y = pq.read_table(runs["other_seed"].paths[table]).to_pandas()
        assert not x.equals(y), table


def test_streams_are_independent_of_household_count(runs: dict) -> None:
    a, d = runs["a"], runs["fewer_households"]
    for table in ("county_panel", "plot_trials", "patients", "beneficiaries", "cost_ledger"):
        assert _sha(a.paths[table]) == _sha(d.paths[table]), table
    assert _sha(a.paths["households"]) != _sha(d.paths["households"])
    assert pq.read_metadata(d.paths["households"]).num_rows == 1500 * 3


def test_committed_small_data_is_what_the_code_generates(a) -> None:
    """data/raw/simulated holds exactly the default-seed small output (regenerate if this fails)."""
    for table in TABLES:
        committed = config.SIMULATED_DIR / file_name(table)
        assert committed.is_file(), committed
        assert _sha(committed) == _sha(a.paths[table]), table
    assert _sha(config.SIMULATED_DIR / TRUTH_FILE) == _sha(a.truth_path)


def test_in_memory_households_equal_written_file(a) -> None:
    frame, t = household_survey(SEED, "small")
    written = pq.read_table(a.paths["households"]).to_pandas()
    pd.testing.assert_frame_equal(frame, written)
    assert t == json.loads(a.truth_path.read_text(encoding="utf-8"))["tables"]["households"]["truth"]


# ----------------------------------------------------------------------------- labels, schemas


def test_files_and_metadata_say_simulated(a) -> None:
    for table, path in a.paths.items():
        assert "simulated" in path.name
        meta = pq.read_metadata(path).metadata
        assert meta[b"impact.simulated"] == b"true"
        assert meta[b"impact.seed"] == str(SEED).encode()
        assert meta[b"impact.scale"] == b"small"
        assert meta[b"impact.table"] == table.encode()
    assert "simulated" in a.truth_path.name


def test_every_table_passes_its_schema(a) -> None:
    schemas = pytest.importorskip("impact.schemas")
    for table in TABLES:
        df = pq.read_table(a.paths[table]).to_pandas()
        schemas.validate(df, KINDS[table], file=a.paths[table].name)


def test_bad_options_raise_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="scale"):
        simulate(scale="huge", out=tmp_path)  # type: ignore[arg-type]
    with pytest.raises(ImpactError, match="households"):
        simulate(households=0, out=tmp_path)
    with pytest.raises(ImpactError, match="seed"):
        simulate(seed=-1, out=tmp_path)


# ----------------------------------------------------------------------------- county panel


def test_panel_design_follows_the_campaign(a, truth: dict) -> None:
    """Every county is paired: 27 in the 2022 wave (drawn, recorded as drawn), the rest in
    2023 or 2024 (昭通 and 大理 in 2024, as the article dates their signing ceremonies);
    sector cohorts only where the registry has a program of the sector."""
    from impact.design import SECTORS, program_counties
    from impact.simulate._inputs import county_frame, registry_tables

    panel = a.read("county_panel")
    counties = county_frame()
    assert len(panel) == len(counties) * 10 == 1290
    assert set(panel["county_code"]) == set(counties["county_code"])
    per = panel.drop_duplicates("county_code").set_index("county_code")
    assert (per["cohort"] > 0).all()  # no county stays unpaired
    assert (per["cohort"] == 2022).sum() == 27
    assert set(per["cohort"]) == {2022, 2023, 2024}
    t = truth["tables"]["county_panel"]["truth"]
    assert t["first_wave"]["source"] == "drawn" and len(t["first_wave"]["counties"]) == 27
    assert set(t["first_wave"]["counties"]) == set(per.index[per["cohort"] == 2022])
    later = per[(per["cohort"] > 2022) & per["prefecture"].isin(["昭通市", "大理白族自治州"])]
    assert (later["cohort"] == 2024).all() and len(later) > 0
    reg = registry_tables()
    for s in SECTORS:
        col = f"cohort_{s}"
        assert set(per.index[per[col] > 0]) == set(program_counties(reg, s)), s
        has = per[col] > 0
        assert (per.loc[has, col] >= per.loc[has, "cohort"]).all()  # a program starts once paired
    assert per.loc["530622", "cohort_health"] > 0  # 巧家: hospital association
    assert per.loc["530627", "cohort_child_protection"] > 0  # 镇雄: 爱佑安生
    treated = ((panel["cohort"] > 0) & (panel["year"] >= panel["cohort"])).astype(int)
    assert (panel["treated"] == treated).all()


def _cs_simple(df: pd.DataFrame, y: str, gcol: str) -> float:
    """Callaway-Sant'Anna ATT(g,t), base g-1, aggregated by cell size, against units not
    (yet) treated: units with ``gcol == 0`` and units whose cohort is after ``t``; only
    cells with such controls count."""
    num, den = 0.0, 0
    for g in sorted(c for c in df[gcol].unique() if c > 0):
        cohort = df[df[gcol] == g].groupby("year")[y].mean()
        n = df.loc[df[gcol] == g, "county_code"].nunique()
        for t in range(g, 2026):
            ctrl = df[(df[gcol] == 0) | (df[gcol] > t)]
            if ctrl.empty:
                continue
            c = ctrl.groupby("year")[y].mean()
            att = (cohort[t] - cohort[g - 1]) - (c[t] - c[g - 1])
            num += n * att
            den += n
    return num / den


@pytest.mark.parametrize(
    "outcome",
    [
        "income_per_capita",
        "grain_yield",
        "vegetable_output",
        "referral_out_share",
        "children_reached",
        "tourist_visits",
    ],
)
def test_staggered_did_recovers_true_att(a, truth: dict, outcome: str) -> None:
    import pyfixest as pf

    panel = a.read("county_panel")
    o = truth["tables"]["county_panel"]["truth"]["outcomes"][outcome]
    gcol = o["cohort_column"]
    cs = _cs_simple(panel, outcome, gcol)
    d = panel.assign(D=((panel[gcol] > 0) & (panel["year"] >= panel[gcol])).astype(int))
    se = pf.feols(f"{outcome} ~ D | county_code + year", data=d, vcov={"CRV1": "county_code"}).se()["D"]
    # the design's estimand: identified cells only (every county is paired by 2024)
    target = o["wave_identified"]["simple_sample"]
    # tolerance: 4 cluster-robust standard errors of the comparable TWFE estimate
    assert abs(cs - target) < 4 * se


def test_truth_aggregations_are_consistent(truth: dict) -> None:
    for name, o in truth["tables"]["county_panel"]["truth"]["outcomes"].items():
        post = [r for r in o["att_gt"] if r["event_time"] >= 0]
        pre = [r for r in o["att_gt"] if r["event_time"] < 0]
        assert all(r["att_sample"] == 0 for r in pre), name
        w = np.array([r["n"] for r in post], dtype=float)
        simple = np.sum(w * [r["att_sample"] for r in post]) / w.sum()
        assert_allclose(simple, o["att_sample"]["simple"], rtol=1e-6, atol=1e-5)
        per = [e for c in o["per_county"].values() for e in c["effects"].values()]
        assert_allclose(np.mean(per), o["att_sample"]["simple"], rtol=1e-6, atol=1e-5)
        if o["beta"] != 0:  # dynamic: effects grow with event time
            ev = o["att_population"]["by_event_time"]
            assert abs(ev["3"]) > abs(ev["0"]) * 1.8
        else:
            assert o["att_sample"]["simple"] == 0


def test_heterogeneity_by_altitude(a, truth: dict) -> None:
    panel = a.read("county_panel").drop_duplicates("county_code").set_index("county_code")
    per = truth["tables"]["county_panel"]["truth"]["outcomes"]["income_per_capita"]["per_county"]
    eff0 = pd.Series({c: v["effects"][str(v["cohort"])] for c, v in per.items()})
    band = panel.loc[eff0.index, "altitude_band"]
    assert eff0[band == "high"].mean() > eff0[band == "low"].mean()


def test_twfe_bias_where_design_says_so(a, truth: dict) -> None:
    """Every county is paired in a wave and effects grow: static TWFE compares later with
    earlier waves and is biased downward; the wave design's estimand is not."""
    import pyfixest as pf

    panel = a.read("county_panel")
    o = truth["tables"]["county_panel"]["truth"]["outcomes"]["income_per_capita"]
    att = o["att_sample"]["simple"]
    assert o["twfe_static_bias"] < -0.15 * att
    fit = pf.feols("income_per_capita ~ treated | county_code + year", data=panel, vcov={"CRV1": "county_code"})
    est, se = fit.coef()["treated"], fit.se()["treated"]
    assert abs(est - o["twfe_static_estimand"]) < 4 * se
    assert est < att


def test_serial_correlation_makes_iid_standard_errors_too_small(a) -> None:
    import pyfixest as pf

    panel = a.read("county_panel")
    # the program design (agriculture program against none): AR(1) errors within county
    d = panel.assign(D=((panel["cohort_agriculture"] > 0) & (panel["year"] >= panel["cohort_agriculture"])).astype(int))
    f = "grain_yield ~ D | county_code + year"
    iid = pf.feols(f, data=d, vcov="iid").se()["D"]
    crv = pf.feols(f, data=d, vcov={"CRV1": "county_code"}).se()["D"]
    assert crv > 1.25 * iid


@pytest.mark.slow
def test_twfe_treated_only_biased_in_expectation() -> None:
    """Monte Carlo over 20 seeds: mean TWFE error equals the recorded TWFE bias; CS with
    not-yet-treated controls is unbiased for the identified cells."""
    import pyfixest as pf

    from impact.simulate import county_panel

    twfe_err, cs_err, bias = [], [], []
    for s in range(20):
        panel, t = county_panel(1000 + s)
        o = t["outcomes"]["income_per_capita"]
        twfe_err.append(
            pf.feols("income_per_capita ~ treated | county_code + year", data=panel).coef()["treated"]
            - o["att_sample"]["simple"]
        )
        cs_err.append(_cs_simple(panel, "income_per_capita", "cohort") - o["wave_identified"]["simple_sample"])
        bias.append(o["twfe_static_bias"])
    mc_se = np.std(twfe_err, ddof=1) / np.sqrt(20)
    assert np.mean(twfe_err) < -3 * mc_se
    assert abs(np.mean(twfe_err) - np.mean(bias)) < 3 * mc_se
    assert abs(np.mean(cs_err)) < 3 * np.std(cs_err, ddof=1) / np.sqrt(20)


# ----------------------------------------------------------------------------- trials


def test_trials_pair_design_and_gain(a, truth: dict) -> None:
    t = truth["tables"]["plot_trials"]["truth"]
    trials = a.read("plot_trials")
    from impact.simulate._inputs import county_frame

    alias = county_frame().set_index("county_code")["alias"]
    assert {"广南", "丘北", "砚山"} == set(alias[trials["county_code"].unique()])  # the program's domain only
    assert trials.groupby("county_code")["town"].nunique().sum() == 4  # "3县4镇"
    pv = trials.pivot_table(index=["pair_id", "year"], columns="arm", values="yield_kg_per_mu")
    assert len(pv) == t["n_pairs"] and not pv.isna().any().any()
    ratio = pv["treated"].sum() / pv["check"].sum() - 1
    rng = np.random.default_rng(0)
    idx = rng.integers(0, len(pv), size=(400, len(pv)))
    boot = pv["treated"].to_numpy()[idx].sum(1) / pv["check"].to_numpy()[idx].sum(1) - 1
    assert abs(ratio - t["ratio_of_means_gain_sample"]) < 4 * boot.std()
    assert 0.15 < t["mean_gain_sample"] < 0.25  # "亩产增加20%"
    assert t["gain_population"] == 0.20


# ----------------------------------------------------------------------------- households


def test_households_naive_biased_ipw_recovers(a, truth: dict) -> None:
    import statsmodels.api as sm

    h = truth["tables"]["households"]["truth"]
    df = a.read("households")
    base = df[df["wave"] == 0].set_index("household_id")
    X = sm.add_constant(
        pd.DataFrame(
            {
                "edu": base["head_education_years"] - 7,
                "log_land": np.log(base["land_mu"] / 5),
                "log_dist": np.log(base["distance_to_town_km"] / 6),
                "log_income": np.log(base["baseline_income"] / 30000),
                "age10": (base["head_age"] - 48) / 10,
            }
        )
    )
    d = base["participant"]
    ps = pd.Series(sm.Logit(d, X).fit(disp=0).predict(X), index=base.index)
    last = df[df["wave"] == 2].set_index("household_id").loc[base.index]
    y = last["income_total"].to_numpy()
    D = d.to_numpy().astype(bool)
    w = (ps / (1 - ps)).to_numpy()

    def ipw(ix: np.ndarray) -> float:
        yy, dd, ww = y[ix], D[ix], w[ix]
        return yy[dd].mean() - np.average(yy[~dd], weights=ww[~dd])

    n = len(y)
    est = ipw(np.arange(n))
    rng = np.random.default_rng(1)
    se = np.std([ipw(rng.integers(0, n, n)) for _ in range(100)], ddof=1)
    truth2 = h["waves"]["2"]
    naive = y[D].mean() - y[~D].mean()
    assert_allclose(naive, truth2["naive_difference"], rtol=1e-9, atol=1e-3)
    assert truth2["naive_bias"] > 10 * se  # the naive difference is far off
    assert abs(est - truth2["att"]) < 4 * se  # weighting on the observables recovers the ATT
    # unconditional difference in differences is biased too (education and land drive growth)
    dy = y - base["income_total"].to_numpy()

    def did(ix: np.ndarray) -> float:
        return dy[ix][D[ix]].mean() - dy[ix][~D[ix]].mean()

    assert_allclose(did(np.arange(n)), truth2["naive_did"], rtol=1e-9, atol=1e-3)
    se_did = np.std([did(rng.integers(0, n, n)) for _ in range(100)], ddof=1)
    assert truth2["naive_did_bias"] > 4 * se_did


# ----------------------------------------------------------------------------- patients


def test_patient_design_follows_article(a, truth: dict) -> None:
    """Patients only in the hospital association's counties, only the article's procedure;
    the article-level agreement is tested in tests/test_article_agreement.py."""
    from impact.simulate._inputs import registry_tables
    from impact.simulate.patients import hospital_counties

    p = a.read("patients")
    t = truth["tables"]["patients"]["truth"]
    assert set(p["county_code"]) == set(hospital_counties(registry_tables())) == set(t["counties"])
    assert "530828" not in set(p["county_code"])  # 澜沧: its health program is no surgery program
    assert set(p["procedure"]) == {"胰腺肿瘤手术"}
    share = p.assign(local=p["setting"] == "local").groupby("period")["local"].mean()
    assert share["after"] > share["before"] + 0.2
    assert t["saving_per_moved_patient_total"] > t["saving_per_moved_patient_medical"]  # travel, lodging, work


# ----------------------------------------------------------------------------- rosters and ledgers


def test_rosters_and_ledger_match_article_scale(a, truth: dict) -> None:
    ben = a.read("beneficiaries")
    led = a.read("cost_ledger")
    t = truth["tables"]["beneficiaries"]["truth"]
    persons = ben.groupby("service")["person_id"].nunique()
    assert persons["home_visit"] == 1815
    assert persons["supplies"] == 3423
    visited = set(ben.loc[ben["service"] == "home_visit", "person_id"])
    assert visited <= set(ben.loc[ben["service"] == "supplies", "person_id"])  # 3,423 children in all
    assert (led["item"] == "medical_subsidy_order").sum() == 379
    vouchers = led.loc[led["item"] == "consumption_voucher", "amount_yuan"].sum()
    assert vouchers == 200 * (persons["consumption_voucher"])
    assert (ben.loc[ben["service"] == "meal_subsidy", "age"] >= 60).all()
    meal = led.loc[led["item"] == "meal_subsidy", "amount_yuan"].sum()
    assert_allclose(meal, t["meals"] * (t["assumptions"]["meal_full_cost_yuan"] - 4.0), rtol=1e-9, atol=0.01)
    assert t["child_protection_external_yuan_zhaotong"] > 6_500_000  # "累计投入超过650万元"
    for pid, g in led.groupby("program_id"):
        lt = t["ledger"][pid]
        assert_allclose(g["amount_yuan"].sum(), lt["total_yuan"], rtol=1e-12, atol=0.01)
        assert_allclose(g.loc[g["funder"] == "public", "amount_yuan"].sum(), lt["public_yuan"], rtol=1e-12, atol=0.01)
        assert lt["unique_persons"] == ben.loc[ben["program_id"] == pid, "person_id"].nunique()
    assert ben.duplicated(["person_id", "program_id", "month", "service"]).sum() == 0


# ----------------------------------------------------------------------------- CLI


def test_cli_writes_and_prints_truth(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from impact.cli import cli

    res = CliRunner().invoke(cli, ["simulate", "--seed", "7", "--households", "200", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "truth_simulated.json" in res.output and "ATT" in res.output
    meta = pq.read_metadata(tmp_path / "households_simulated.parquet")
    assert meta.num_rows == 600 and meta.metadata[b"impact.seed"] == b"7"
    bad = CliRunner().invoke(cli, ["simulate", "--scale", "huge", "--out", str(tmp_path)])
    assert bad.exit_code != 0


def test_is_simulated(a, tmp_path: Path) -> None:
    from impact.simulate import is_simulated

    assert is_simulated(a.paths["county_panel"])
    plain = tmp_path / "panel.parquet"
    import shutil

    shutil.copy(a.paths["county_panel"], plain)
    assert is_simulated(plain)  # by metadata, not name
    pq.write_table(pq.read_table(plain).replace_schema_metadata(None), plain)
    assert not is_simulated(plain)
