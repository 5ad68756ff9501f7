"""Satisfaction surveys: share satisfied, Wilson interval, validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from impact.errors import InputError
from impact.evaluation.satisfaction import satisfaction, validate_survey, wilson_interval


def survey(scores, item="overall", county="530824", year=2024):
    return pd.DataFrame({"response_id": [f"R{i}" for i in range(len(scores))], "county_code": county,
                         "program_id": "", "year": year, "item": item, "score": scores})


@pytest.mark.parametrize("k,n", [(0, 10), (7, 10), (10, 10), (45, 50), (1, 3)])
def test_wilson_matches_statsmodels(k, n):
    lo, hi = wilson_interval(k, n)
    ref = proportion_confint(k, n, alpha=0.05, method="wilson")
    np.testing.assert_allclose([lo, hi], ref, rtol=0, atol=1e-12)


def test_share_satisfied_counts_4_and_5_among_answers():
    df = survey(["5", "4", "4", "3", "2", "5", "4", "1", "5", "4", ""])  # 7 of 10 answers ≥ 4; one blank
    r = satisfaction(df).tidy().iloc[0]
    assert r["estimate"] == pytest.approx(0.7) and r["n"] == 10 and r["no_answer"] == 1
    lo, hi = proportion_confint(7, 10, method="wilson")
    assert (r["conf_low"], r["conf_high"]) == pytest.approx((lo, hi), abs=1e-12)


def test_result_does_not_depend_on_row_order():
    df = pd.concat([survey([5, 4, 3, 2, 1, 5, 5], item="overall"), survey([4, 4, 2], item="staff")])
    df["response_id"] = df["response_id"] + df["item"]
    a = satisfaction(df, by="county_code").tidy()
    b = satisfaction(df.sample(frac=1, random_state=3), by="county_code").tidy()
    pd.testing.assert_frame_equal(a, b)


def test_bad_answers_name_the_row():
    df = survey([5, 6, 4, "很好"])
    df.loc[2, "county_code"] = "5308"
    with pytest.raises(InputError) as err:
        validate_survey(df, file="survey.csv")
    rows = {(p.row, p.column) for p in err.value.problems}
    assert rows == {(3, "score"), (5, "score"), (4, "county_code")}


def test_survey_file_feeds_the_satisfaction_indicator(tmp_path):
    from impact.evaluation import evaluate, load_data

    p = tmp_path / "survey.csv"
    survey([5] * 18 + [4] * 9 + [2] * 3).to_csv(p, index=False)   # 27 of 30 satisfied = 0.9
    data = load_data()
    ev = evaluate("county", 2024, county="530824", data=data, satisfaction=p)
    r = ev.table.set_index("indicator_id").loc["S1"]
    assert r["actual"] == pytest.approx(0.9) and r["n"] == 30 and r["score"] == pytest.approx(10.0)
    assert data.satisfaction is None  # the caller's data are not modified
    other = evaluate("county", 2024, county="530112", data=data, satisfaction=p)  # no answers from that county
    s1 = other.table.set_index("indicator_id").loc["S1"]
    assert not s1["scored"] and "no answers" in s1["reason"]
