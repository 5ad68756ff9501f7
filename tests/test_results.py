"""The shared Result type: tidy layout, derived accessors, renderers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from impact.results import TIDY_COLUMNS, Result, check_option, normal_ci, tidy_frame


def _result() -> Result:
    table = pd.DataFrame(
        {
            "term": ["att", "pre"],
            "estimate": [2.0, -0.1],
            "std_error": [0.5, 0.2],
            "conf_low": [1.02, -0.49],
            "conf_high": [2.98, 0.29],
            "n": [100, 100],
            "county_code": ["530824", "530824"],
        }
    )
    return Result(table, method="Test <method>", assumptions=("parallel trends",), info={"Clusters": 16})


def test_tidy_layout_and_types():
    t = _result().tidy()
    assert tuple(t.columns[: len(TIDY_COLUMNS)]) == TIDY_COLUMNS
    assert t.columns[-1] == "county_code"
    assert t["p_value"].isna().all()  # absent quantities are NaN, never 0
    assert str(t["n"].dtype) == "Int64"


def test_accessors_derive_from_tidy():
    r = _result()
    assert r.coef()["att"] == 2.0
    assert r.se()["pre"] == 0.2
    ci = r.conf_int()
    assert ci.loc["att", "conf_low"] == 1.02  # stored bounds at the stored level
    ci90 = r.conf_int(0.90)
    assert_allclose(ci90.loc["att"].to_numpy(), [2 - 1.6448536 * 0.5, 2 + 1.6448536 * 0.5], rtol=0, atol=1e-6)


def test_normal_ci():
    lo, hi = normal_ci([0.0], [1.0], 0.95)
    assert_allclose([lo[0], hi[0]], [-1.959964, 1.959964], rtol=0, atol=1e-6)


def test_summary_renders_and_escapes():
    s = _result().summary()
    text = s.as_text()
    assert "Test <method>" in text and "parallel trends" in text and "Clusters" in text
    html = s.as_html()
    assert "<method>" not in html and "Test &lt;method&gt;" in html
    assert "tabular" in s.as_latex()
    assert _result()._repr_html_() == html


def test_sentence_and_plot_need_definitions():
    r = _result()
    with pytest.raises(NotImplementedError):
        r.sentence("en")
    r.text = lambda lang: "效果" if lang == "zh" else "effect"
    assert r.sentence("zh") == "效果"
    with pytest.raises(ValueError, match="expected one of 'zh', 'en'"):
        r.sentence("fr")


def test_check_option_lists_valid_values():
    assert check_option("how", "a", ("a", "b")) == "a"
    with pytest.raises(ValueError, match=r"how='c' is not valid; expected one of 'a', 'b'"):
        check_option("how", "c", ("a", "b"))


def test_tidy_frame_fills_missing_columns():
    t = tidy_frame([{"term": "x", "estimate": 1}])
    assert list(t.columns) == list(TIDY_COLUMNS)
    assert np.isnan(t.loc[0, "std_error"])
