"""Cost savings per patient: the article's 40,000 / 60,000 case, Welch interval, components, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from impact.errors import InputError
from impact.indicators import cost_savings, patient_cost


def article_case() -> pd.DataFrame:
    """景谷: local surgery about 40,000 yuan; the provincial alternative about 100,000 with travel,
    lodging and 10 lost work days at 200 yuan (5,000 yuan of non-medical cost)."""
    local = [dict(setting="local", medical_cost=m, travel_cost=0.0, lodging_cost=0.0, lost_work_days=0, daily_wage=200.0)
             for m in (38_000.0, 40_000.0, 42_000.0)]
    prov = [dict(setting="provincial", medical_cost=m, travel_cost=1_000.0, lodging_cost=2_000.0, lost_work_days=10, daily_wage=200.0)
            for m in (90_000.0, 95_000.0, 100_000.0)]
    df = pd.DataFrame(local + prov)
    df["county_code"] = "530824"
    df["year"] = 2024
    df["procedure"] = "胰腺肿瘤手术"
    df["period"] = "after"
    df["patient_id"] = [f"P{i}" for i in range(len(df))]
    return df


def test_article_figures():
    r = cost_savings(article_case())
    t = r.table.set_index("term")
    assert_allclose(t.loc["local_cost", "estimate"], 40_000, rtol=1e-12)
    assert_allclose(t.loc["provincial_cost", "estimate"], 100_000, rtol=1e-12)
    assert_allclose(t.loc["saving_per_patient", "estimate"], 60_000, rtol=1e-12)
    assert_allclose(t.loc["total_saving", "estimate"], 60_000 * 3, rtol=1e-12)
    ref = stats.ttest_ind([95_000, 100_000, 105_000], [38_000, 40_000, 42_000], equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert_allclose(t.loc["saving_per_patient", ["conf_low", "conf_high"]].to_numpy(float), [ci.low, ci.high], rtol=1e-10)
    assert_allclose(t.loc["saving_per_patient", "p_value"], ref.pvalue, rtol=1e-8)
    # local mean: one-sample t interval 40,000 +- t(2) * 2000/sqrt(3)
    assert_allclose(t.loc["local_cost", "conf_high"], 40_000 + stats.t.ppf(0.975, 2) * 2000 / np.sqrt(3), rtol=1e-12)
    zh = r.sentence("zh")
    assert "本地治疗每例费用约 40,000 元" in zh and "平均节省 60,000 元" in zh
    assert "saving 60,000 yuan per patient" in r.sentence("en")


def test_components_can_be_left_out():
    r = cost_savings(article_case(), include=()).table.set_index("term")
    assert_allclose(r.loc["saving_per_patient", "estimate"], 95_000 - 40_000, rtol=1e-12)
    r2 = cost_savings(article_case(), include=("lost_work",)).table.set_index("term")
    assert_allclose(r2.loc["saving_per_patient", "estimate"], 55_000 + 2_000, rtol=1e-12)


def test_unrecorded_components_are_counted_not_hidden():
    df = article_case()
    df.loc[3, "travel_cost"] = np.nan
    pc = patient_cost(df)
    assert not pc.loc[3, "recorded_travel"]
    assert_allclose(pc.loc[3, "cost"], 90_000 + 2_000 + 2_000, rtol=1e-12)
    r = cost_savings(df).table
    assert (r["unrecorded_components"] == 1).all()


def test_groups_and_empty_arm():
    df = pd.concat([article_case(), article_case().assign(year=2025).query("setting == 'local'")])
    r = cost_savings(df).table
    y25 = r[r.year == 2025].set_index("term")
    assert np.isnan(y25.loc["saving_per_patient", "estimate"])
    assert y25.loc["saving_per_patient", "note"] == "no provincial patients"
    assert_allclose(y25.loc["local_cost", "estimate"], 40_000, rtol=1e-12)
    assert "无法计算" in cost_savings(df).sentence("zh")


def test_period_filter():
    df = pd.concat([article_case(), article_case().assign(period="before", medical_cost=lambda d: d.medical_cost * 2)])
    after = cost_savings(df, period="after").table.set_index("term")
    assert_allclose(after.loc["saving_per_patient", "estimate"], 60_000, rtol=1e-12)


def test_errors():
    df = article_case()
    with pytest.raises(InputError, match=r"medical_cost.*-1"):
        cost_savings(df.assign(medical_cost=[-1.0] + list(df.medical_cost[1:])))
    with pytest.raises(InputError, match="setting"):
        cost_savings(df.assign(setting="county"))
    with pytest.raises(InputError, match="lodging_cost"):
        cost_savings(df.drop(columns="lodging_cost"))
    with pytest.raises(InputError, match="no patients"):
        cost_savings(df.iloc[0:0])
    with pytest.raises(InputError, match="lost_work_days"):
        cost_savings(df.assign(lost_work_days=-2))
    with pytest.raises(ValueError, match="include"):
        cost_savings(df, include=("food",))


def test_recovers_simulator_pancreatic_costs(tmp_path):
    import json

    from impact.simulate import simulate

    res = simulate(seed=3, out=tmp_path)
    p = pd.read_parquet(res.paths["patients"])
    truth = json.loads(res.truth_path.read_text(encoding="utf-8"))["tables"]["patients"]["truth"]
    proc = truth["procedures"]["胰腺肿瘤手术"]
    # the medical costs are drawn with mean mu x 1.02^(year - 2024); in 2024 only:
    r = cost_savings(p[(p.year == 2024) & (p.procedure == "胰腺肿瘤手术")], by=None, include=()).table.set_index("term")
    assert r.loc["local_cost", "conf_low"] < proc["medical_cost_local_2024"] < r.loc["local_cost", "conf_high"]
    assert r.loc["provincial_cost", "conf_low"] < proc["medical_cost_provincial_2024"] < r.loc["provincial_cost", "conf_high"]
