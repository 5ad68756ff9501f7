"""Tests of impact.fmt: one number convention per report and inference wording from numbers."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from impact import fmt, i18n
from impact.errors import ImpactError

# ------------------------------------------------------------------ money


@pytest.mark.parametrize(
    ("yuan", "zh", "en"),
    [
        (231_000_000, "2.31亿元", "CNY 231 million"),
        (30_000_000, "3000万元", "CNY 30 million"),
        (2_670_000, "267万元", "CNY 2.67 million"),
        (47_800, "4.78万元", "CNY 47,800"),
        (32_097.46, "3.21万元", "CNY 32,097"),  # no fen
        (3_210.5, "3,210元", "CNY 3,210"),  # banker's rounding of .5 is fine; no fen shown
        (4, "4元", "CNY 4"),
        (1_200_000_000, "12亿元", "CNY 1.2 billion"),
        (-45_000, "-4.5万元", "CNY -45,000"),
        (0, "0元", "CNY 0"),
    ],
)
def test_money(yuan, zh, en):
    assert fmt.money(yuan, lang="zh") == zh
    assert fmt.money(yuan, lang="en") == en


def test_money_never_shows_fen_or_exponent():
    for v in (32_097.46, 0.4, 1e7, 123_456_789.123, 9_999.99):
        for lang in ("zh", "en"):
            s = fmt.money(v, lang=lang)
            assert "e" not in s.replace("CNY", "").replace("million", "").replace("billion", "")
            if v < 1e4:
                assert "." not in s


def test_money_missing_and_bad():
    assert fmt.money(None) == "—"
    assert fmt.money(float("nan"), lang="en") == "—"
    with pytest.raises(ImpactError, match="expected a number"):
        fmt.money("abc")
    with pytest.raises(ImpactError, match="lang"):
        fmt.money(1, lang="fr")


def test_money_unit_one_per_column():
    u = fmt.money_unit([30_000, 2_670_000, None, float("nan")])
    assert (u.zh, u.factor) == ("万元", 1e4)
    assert u.header("资金") == "资金（万元）"
    assert fmt.money_unit([231_000_000, 5]).zh == "亿元"
    assert fmt.money_unit([5, 200]).zh == "元"
    en = fmt.money_unit([2_670_000], lang="en")
    assert en.header("Funds", lang="en") == "Funds (CNY million)"


# ------------------------------------------------------------------ counts and numbers


@pytest.mark.parametrize(("x", "out"), [(1815, "1,815"), (1144.0, "1,144"), (3, "3"), (0, "0"), (-1200, "-1,200")])
def test_count(x, out):
    assert fmt.count(x) == out
    assert fmt.count(x, lang="en") == out  # one format in both languages


def test_count_rejects_fractions():
    with pytest.raises(ImpactError, match="whole number"):
        fmt.count(2.5)


@pytest.mark.parametrize(("x", "d", "out"), [(-0.001, 2, "0.00"), (-0.0, 0, "0"), (1234.567, 1, "1,234.6"),
                                             (-0.004, 2, "0.00"), (-0.006, 2, "-0.01")])
def test_number_never_minus_zero(x, d, out):
    assert fmt.number(x, decimals=d) == out


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.integers(min_value=0, max_value=4))
def test_number_has_no_negative_zero_property(x, d):
    s = fmt.number(x, decimals=d)
    assert not re.fullmatch(r"-0(\.0+)?", s)


def test_percent():
    assert fmt.percent(20) == "20.0%"
    assert fmt.percent(0.2, share=True, decimals=0) == "20%"
    assert fmt.percent(None) == "—"


# ------------------------------------------------------------------ intervals


@pytest.mark.parametrize(
    ("low", "high", "out"),
    [
        (-0.05, -0.001, "[-0.050, -0.001]"),
        (-0.05, -0.0001, "[-0.0500, -0.0001]"),
        (-0.05, 0.0, "[-0.050, 0.000]"),
        (-170.3, 1234.5, "[-170; 1,234]"),
        (1234.0, 5678.0, "[1,234; 5,678]"),
        (0.12, 0.345, "[0.12, 0.34]"),
        (1.5, 2.5, "[1.5, 2.5]"),
        (0, 0, "[0, 0]"),
    ],
)
def test_interval_readable(low, high, out):
    assert fmt.interval(low, high) == out


def test_the_reported_minus_zero_interval_cannot_occur():
    assert fmt.interval(-0.05, -0.0004) != "[-0.05, -0]"
    assert "-0]" not in i18n.fmt_ci(-0.05, -0.0004)
    assert "-0," not in i18n.fmt_ci(-0.0004, 0.05)


@given(st.floats(min_value=-1e5, max_value=1e5, allow_nan=False),
       st.floats(min_value=-1e5, max_value=1e5, allow_nan=False))
def test_interval_ends_are_readable_property(a, b):
    lo, hi = min(a, b), max(a, b)
    s = fmt.interval(lo, hi)
    left, right = s[1:-1].split("; " if "; " in s else ", ")
    for text, v in ((left, lo), (right, hi)):
        assert not re.fullmatch(r"-0(\.0+)?", text)  # no signed zero
        if abs(v) >= 1e-6:  # a non-zero end shows a non-zero digit (within max decimals)
            assert re.search(r"[1-9]", text), (s, lo, hi)
    assert float(left.replace(",", "")) <= float(right.replace(",", ""))


def test_interval_missing():
    assert fmt.interval(None, 1) == "—"


# ------------------------------------------------------------------ p-values and significance


@pytest.mark.parametrize(("p", "out"), [(0.143, "0.143"), (0.0004, "< 0.001"), (1.0, "1.000"), (0.001, "0.001")])
def test_pvalue(p, out):
    assert fmt.pvalue(p) == out


def test_pvalue_out_of_range():
    with pytest.raises(ImpactError, match=r"\[0, 1\]"):
        fmt.pvalue(1.2)


@pytest.mark.parametrize("p", [0.143, 0.286, 0.857, 0.05])
def test_not_significant_is_said(p):
    zh, en = fmt.significance(p, lang="zh"), fmt.significance(p, lang="en")
    assert "不显著" in zh and fmt.pvalue(p) in zh
    assert en.startswith("Not statistically significant") and "cannot be ruled out" in en


def test_significant_at_chosen_level():
    assert "统计显著" in fmt.significance(0.03) and "不显著" not in fmt.significance(0.03)
    assert "不显著" in fmt.significance(0.03, level=0.01)
    assert "1%" in fmt.significance(0.03, level=0.01)
    assert "10% level" in fmt.significance(0.07, level=0.10, lang="en")
    assert "p < 0.001" in fmt.significance(0.00001, lang="en")


def test_significance_missing_and_bad_level():
    assert "无法判断" in fmt.significance(None)
    assert "not assessed" in fmt.significance(float("nan"), lang="en")
    with pytest.raises(ImpactError, match="level"):
        fmt.significance(0.1, level=5)


# ------------------------------------------------------------------ pre-trends


def test_pretrend_large_pre_estimates_are_not_called_close_to_zero():
    # 景谷: pre-period points from -170 to +100 yuan; a test that does not reject
    zh = fmt.pretrend_sentence(0.40, [-170, 100, -35], scale=150, unit="元")
    en = fmt.pretrend_sentence(0.40, [-170, 100, -35], scale=150, unit="yuan", lang="en")
    assert "接近零" not in zh and "存疑" in zh and "-170至100元" in zh
    assert "in doubt" in en and "-170 to 100 yuan" in en


def test_pretrend_small_and_not_rejected():
    zh = fmt.pretrend_sentence(0.6, [-3, 2, 1], scale=150)
    assert "接近零" in zh and "相符" in zh and "不能证明" in zh
    en = fmt.pretrend_sentence(0.6, [-3, 2, 1], scale=150, lang="en")
    assert "consistent with parallel trends" in en


def test_pretrend_rejected_even_when_small():
    zh = fmt.pretrend_sentence(0.01, [-3, 2], scale=150)
    assert "拒绝平行趋势" in zh and "接近零" not in zh


def test_pretrend_without_estimates_or_test():
    assert "无法检验" in fmt.pretrend_sentence(0.5, [], scale=1)
    assert "no pre-trend test" in fmt.pretrend_sentence(None, [0.1], scale=10, lang="en")
    with pytest.raises(ImpactError, match="scale"):
        fmt.pretrend_sentence(0.5, [1], scale=0)


def test_pretrend_depends_on_size_threshold():
    # the same estimates switch wording exactly where max|pre| crosses tolerance × scale
    pre = [-25.0, 10.0]
    assert "接近零" in fmt.pretrend_sentence(0.5, pre, scale=100, tolerance=0.25)
    assert "接近零" not in fmt.pretrend_sentence(0.5, pre, scale=99, tolerance=0.25)


# ------------------------------------------------------------------ synthetic control


def test_synth_one_post_period_and_poor_fit_not_narrated():
    # one post year and ±200–400 yuan pre-period gaps against a 250 yuan gap
    a = fmt.synth_assessment(pre_rmspe=300, post_gap=250, n_post=1)
    assert not a.narrate_effect
    assert math.isclose(a.fit_ratio, 1.2)
    assert any("只有1期" in c for c in a.caveats) and any("不能视为帮扶效应" in c for c in a.caveats)


def test_synth_good_fit_several_periods_is_narrated():
    a = fmt.synth_assessment(pre_rmspe=20, post_gap=400, n_post=3, n_pre=6, n_donors=40, lang="en")
    assert a.narrate_effect and a.caveats == ()


def test_synth_only_one_problem_each():
    assert not fmt.synth_assessment(pre_rmspe=20, post_gap=400, n_post=1).narrate_effect
    assert not fmt.synth_assessment(pre_rmspe=300, post_gap=400, n_post=4).narrate_effect
    assert not fmt.synth_assessment(pre_rmspe=1, post_gap=0, n_post=4).narrate_effect  # no gap: no ratio
    few = fmt.synth_assessment(pre_rmspe=20, post_gap=400, n_post=3, n_pre=3, n_donors=9, lang="en")
    assert few.narrate_effect and len(few.caveats) == 2 and "0.100" in few.caveats[1]


def test_synth_bad_input():
    with pytest.raises(ImpactError, match="n_post"):
        fmt.synth_assessment(pre_rmspe=1, post_gap=1, n_post=0)
    with pytest.raises(ImpactError, match="pre_rmspe"):
        fmt.synth_assessment(pre_rmspe=-1, post_gap=1, n_post=2)


def test_precision_note_states_the_convention():
    assert "万元" in fmt.precision_note() and "亿元" in fmt.precision_note()
    assert "million" in fmt.precision_note(lang="en")


@pytest.mark.parametrize(("yuan", "zh", "en"), [(99_999_999, "1亿元", "CNY 100 million"),
                                                (9_999.7, "1万元", "CNY 10,000"),
                                                (999_999_999, "10亿元", "CNY 1 billion")])
def test_money_rounding_moves_to_the_next_unit(yuan, zh, en):
    assert fmt.money(yuan) == zh
    assert fmt.money(yuan, lang="en") == en


def test_pretrend_from_event_study_table():
    import pandas as pd

    table = pd.DataFrame({"event_time": [-4, -3, -2, -1, 0, 1, 2],
                          "estimate": [-170.0, 100.0, -40.0, 0.0, 300.0, 350.0, 250.0]})
    zh = fmt.pretrend_from_table(table, 0.4, unit="元")
    assert "存疑" in zh and "-170至100元" in zh  # max |pre| 170 > 0.25 × 300
    shuffled = table.sample(frac=1.0, random_state=1)
    assert fmt.pretrend_from_table(shuffled, 0.4, unit="元") == zh
    small = table.assign(estimate=[-5.0, 4.0, 2.0, 0.0, 300.0, 350.0, 250.0])
    assert "接近零" in fmt.pretrend_from_table(small, 0.4)
    with pytest.raises(ImpactError, match="post-period"):
        fmt.pretrend_from_table(table[table["event_time"] < 0], 0.4)
