"""Scoring rules of impact.evaluation on hand-computed cases."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from impact.evaluation.scoring import (grade_of, score_grade, score_ratio, score_row, score_threshold, subtotals,
                                       total)

BANDS = "0.9:1;0.8:0.8;0.7:0.6;0:0"
GRADES = "优:1;良:0.8;中:0.6;差:0"


def test_ratio_below_target_scores_proportionally():
    s = score_ratio(80, 100, 10)
    assert s.scored and s.attainment == pytest.approx(0.8) and s.score == pytest.approx(8.0)


def test_ratio_is_capped_at_full_marks():
    s = score_ratio(130, 100, 6)
    assert s.attainment == pytest.approx(1.3)
    assert s.score == pytest.approx(6.0)


def test_ratio_lower_is_better_uses_target_over_actual():
    s = score_ratio(1250, 1000, 6, "lower")  # a cost 25% over target: 1000/1250 = 0.8
    assert s.attainment == pytest.approx(0.8) and s.score == pytest.approx(4.8)
    assert score_ratio(900, 1000, 6, "lower").score == pytest.approx(6.0)


@pytest.mark.parametrize("actual,target,why", [(math.nan, 100, "no actual value"), (50, math.nan, "no target"),
                                                (None, 100, "no actual value")])
def test_missing_data_leave_the_indicator_unscored(actual, target, why):
    s = score_ratio(actual, target, 5)
    assert not s.scored and math.isnan(s.score) and why in s.reason


@pytest.mark.parametrize("actual,expected", [(0.95, 10.0), (0.9, 10.0), (0.85, 8.0), (0.72, 6.0), (0.5, 0.0)])
def test_threshold_bands(actual, expected):
    assert score_threshold(actual, BANDS, 10, "higher", 0.9).score == pytest.approx(expected)


def test_threshold_lower_direction():
    bands = "10:1;20:0.5"
    assert score_threshold(8, bands, 4, "lower").score == pytest.approx(4.0)
    assert score_threshold(15, bands, 4, "lower").score == pytest.approx(2.0)
    assert score_threshold(25, bands, 4, "lower").score == 0.0  # no bound met: scored, zero points
    assert not score_threshold(math.nan, bands, 4, "lower").scored


@pytest.mark.parametrize("grade,expected", [("优", 5.0), ("良", 4.0), ("中", 3.0), ("差", 0.0)])
def test_qualitative_grades(grade, expected):
    assert score_grade(grade, GRADES, 5).score == pytest.approx(expected)


@pytest.mark.parametrize("grade", ["", None, "好"])
def test_missing_or_unknown_grade_is_unscored(grade):
    s = score_grade(grade, GRADES, 5)
    assert not s.scored and s.reason


@pytest.mark.parametrize("x,g", [(100, "优"), (90, "优"), (89.99, "良"), (80, "良"), (79.9, "中"), (60, "中"),
                                 (59.99, "差"), (0, "差")])
def test_grade_bands(x, g):
    assert grade_of(x) == g


def _table(rows):
    t = pd.DataFrame(rows, columns=["indicator_id", "level1", "weight", "scoring", "direction", "target", "actual",
                                    "grade", "thresholds"])
    s = [score_row(r) for _, r in t.iterrows()]
    return t.assign(score=[x.score for x in s], scored=[x.scored for x in s])


def test_subtotals_total_and_grade_from_rows():
    t = _table([
        ("a", "决策", 20, "grade", "", math.nan, math.nan, "良", GRADES),        # 16
        ("b", "产出", 50, "ratio", "higher", 200, 150, "", ""),                  # 37.5
        ("c", "效益", 30, "ratio", "lower", 10, 8, "", ""),                      # 30 (capped)
    ])
    sub = subtotals(t)
    assert list(sub["level1"]) == ["决策", "产出", "效益"]
    assert sub["score"].tolist() == pytest.approx([16, 37.5, 30])
    tot = total(t)
    assert tot.complete and tot.score == pytest.approx(83.5) and tot.grade == "良"
    # row order does not change the result
    assert total(t.iloc[::-1]).score == pytest.approx(83.5)


def test_unscored_rows_withhold_the_grade():
    t = _table([
        ("a", "决策", 20, "grade", "", math.nan, math.nan, "", GRADES),          # unscored
        ("b", "产出", 80, "ratio", "higher", 100, 100, "", ""),                  # 80
    ])
    tot = total(t)
    assert not tot.complete and tot.grade is None
    assert tot.score == pytest.approx(80) and tot.scored_weight == pytest.approx(80)
    assert tot.provisional == pytest.approx(100)
    assert subtotals(t).set_index("level1").loc["决策", "n_unscored"] == 1
