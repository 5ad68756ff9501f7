"""The event-study sentence follows the joint pre-trend test and the size of the pre-period
estimates (:func:`impact.report.text.pretrend_text`), in both languages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impact import fmt
from impact.report.text import pretrend_text


def _table(pre: list[float], post: list[float], p: float | None) -> pd.DataFrame:
    times = list(range(-len(pre), 0)) + list(range(len(post)))
    rows = [{"term": f"e={e}", "time": float(e), "estimate": v} for e, v in zip(times, pre + post)]
    rows.append({"term": "ATT", "time": np.nan, "estimate": float(np.mean(post)), "p_value": 0.01})
    if p is not None:
        rows.append({"term": "pretrend", "time": np.nan, "estimate": np.nan, "p_value": p})
    return pd.DataFrame(rows).sample(frac=1.0, random_state=3)  # row order must not matter


@pytest.mark.parametrize(("pre", "post", "p", "zh", "en"), [
    ([5.0, -4.0, 3.0], [300.0, 350.0], 0.001, "拒绝平行趋势", "rejects parallel trends"),
    ([-170.0, 100.0, -35.0], [300.0, 350.0], 0.62, "把握度可能不足", "may lack power"),
    ([5.0, -4.0, 3.0], [300.0, 350.0], 0.62, "与平行趋势假设相符", "consistent with parallel trends"),
])
def test_sentence_follows_p_value_and_pre_period_size(pre, post, p, zh, en):
    z, e = pretrend_text(_table(pre, post, p), "zh", unit="元"), pretrend_text(_table(pre, post, p), "en", unit="yuan")
    assert zh in z and en in e
    assert fmt.pvalue(p) in z and fmt.pvalue(p) in e  # the joint test's own p-value
    for other in {"拒绝平行趋势", "把握度可能不足", "与平行趋势假设相符"} - {zh}:
        assert other not in z.replace("未拒绝平行趋势", "")
    if zh != "拒绝平行趋势":
        assert "未拒绝" in z and "does not reject" in e  # the test's verdict is stated with its p-value


def test_varying_base_minus_one_counts_as_a_pre_period_estimate():
    """Callaway–Sant'Anna with varying base periods estimates e = -1 too: a large one is seen."""
    tab = _table([2.0, -180.0], [300.0, 350.0], 0.5)
    assert "把握度可能不足" in pretrend_text(tab, "zh", unit="元")


def test_without_the_test_row_the_sentence_says_so():
    assert "没有前趋势检验结果" in pretrend_text(_table([1.0, -1.0], [300.0], None), "zh")


def test_bonferroni_joint_test_when_the_wald_pre_test_cannot_be_computed():
    """A singular covariance leaves the Wald p-value NaN: the sentence uses k · min p (capped at 1)."""
    tab = _table([5.0, -180.0, 3.0], [300.0, 350.0], float("nan"))
    tab["p_value"] = tab["p_value"].astype(float)
    pre = tab["time"] < 0
    tab.loc[pre, "p_value"] = [0.5, 0.02, 0.9]
    z, e = pretrend_text(tab, "zh", unit="元"), pretrend_text(tab, "en", unit="yuan")
    assert "Bonferroni" in z and fmt.pvalue(0.06) in z and "把握度" in z
    assert "the joint test of the pre-pairing estimates (Bonferroni-adjusted) does not reject" in e
    tab.loc[pre, "p_value"] = [0.5, 0.001, 0.9]  # 3 × 0.001 < 0.05: rejected
    assert "拒绝平行趋势" in pretrend_text(tab, "zh") and "未拒绝" not in pretrend_text(tab, "zh")


def test_no_test_at_all_never_says_the_test_lacks_power():
    tab = _table([-180.0, 100.0], [300.0], None)
    z, e = pretrend_text(tab, "zh"), pretrend_text(tab, "en")
    assert "没有前趋势检验结果" in z and "把握度" not in z and "存疑" in z
    assert "no pre-trend test is available" in e and "lack power" not in e
