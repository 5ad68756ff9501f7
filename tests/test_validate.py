"""One set of input checks (impact.validate), reporting the user's own row numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impact import validate
from impact.errors import InputError


def _rows(err: InputError) -> list:
    return [p.row for p in err.value.problems]


def test_row_numbers_survive_dropped_and_reordered_rows():
    df = pd.DataFrame({"y": [1.0, np.nan, 3.0, 4.0, 5.0], "d": [0, 1, 2, 1, 0]})
    kept = df.dropna(subset=["y"])  # file row 3 (index 1) dropped
    with pytest.raises(InputError) as err:
        validate.require_binary(kept, "d", "trial.csv")
    assert _rows(err) == [4]  # index 2 is the 4th line of the file (header = line 1)
    assert err.value.problems[0].value == 2 and err.value.problems[0].file == "trial.csv"
    with pytest.raises(InputError) as err:
        validate.require_binary(kept.iloc[::-1], "d", "trial.csv")
    assert _rows(err) == [4]


def test_other_indexes_fall_back_to_positions():
    df = pd.DataFrame({"x": ["1", "a", "3"]}, index=["p", "q", "r"])
    with pytest.raises(InputError) as err:
        validate.require_numeric(df, ["x"], "t")
    assert _rows(err) == [3]


def test_missing_columns_are_listed_at_once_with_what_is_present():
    with pytest.raises(InputError) as err:
        validate.require_columns(pd.DataFrame({"a": [1]}), ["a", "b", None, "c"], "plots.csv")
    assert [p.column for p in err.value.problems] == ["b", "c"]
    assert "columns present: a" in err.value.problems[0].expected


def test_long_lists_stop_and_count_the_rest():
    df = pd.DataFrame({"x": [-1.0] * 12})
    with pytest.raises(InputError) as err:
        validate.require_nonnegative(df, ["x"], "t")
    probs = err.value.problems
    assert len(probs) == validate.MAX_LISTED + 1 and probs[-1].value == f"{12 - validate.MAX_LISTED} more rows"


def test_estimators_and_indicators_share_the_checks():
    from impact.estimate import _common as est
    from impact.indicators import _common as ind

    assert ind.require_columns is validate.require_columns
    df = pd.DataFrame({"y": [1.0, np.nan, 2.0], "d": [0, 1, 5]})
    with pytest.raises(InputError) as err:
        est.require_binary(df.dropna(), "d")
    assert _rows(err) == [4]
