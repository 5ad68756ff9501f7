"""The indicator system file: the shipped default and clear errors for bad files."""

from __future__ import annotations

import pandas as pd
import pytest

from impact.errors import InputError
from impact.evaluation.system import DEFAULT_SYSTEM, LEVEL1, for_scope, read_system


def test_default_system_sums_to_100_per_scope_and_uses_the_national_groups():
    s = read_system()
    for scope in ("province", "county"):
        rows = for_scope(s, scope)
        assert rows["weight"].sum() == pytest.approx(100)
        assert list(dict.fromkeys(rows["level1"])) == list(LEVEL1)
        assert rows["indicator_id"].is_unique
    # targets in the file are labelled by their source; evaluator rows carry none
    assert s.loc[s["target_source"] == "evaluator", "target"].isna().all()
    assert s.loc[s["target_source"] != "evaluator", "target"].notna().all()


def _bad_file(tmp_path, edit):
    df = pd.read_csv(DEFAULT_SYSTEM, dtype=str, keep_default_na=False)
    edit(df)
    p = tmp_path / "system.csv"
    df.to_csv(p, index=False)
    return p


def test_bad_values_name_row_and_column(tmp_path):
    def edit(df):
        df.loc[1, "weight"] = "five"
        df.loc[2, "scoring"] = "percent"
        df.loc[3, "thresholds"] = ""   # a ratio row: thresholds not needed
        df.loc[4, "thresholds"] = "优:1;极好:0.5"

    with pytest.raises(InputError) as err:
        read_system(_bad_file(tmp_path, edit))
    found = {(p.row, p.column) for p in err.value.problems}
    assert (3, "weight") in found and (4, "scoring") in found and (6, "thresholds") in found
    assert (5, "thresholds") not in found
    assert "row 3" in str(err.value) and "'five'" in str(err.value)


def test_weights_not_summing_to_100_are_refused(tmp_path):
    def edit(df):
        df.loc[0, "weight"] = "6"

    with pytest.raises(InputError, match="summing to 100"):
        read_system(_bad_file(tmp_path, edit))


def test_duplicate_id_and_missing_column(tmp_path):
    def edit(df):
        df.loc[2, "indicator_id"] = df.loc[1, "indicator_id"]

    with pytest.raises(InputError) as err:
        read_system(_bad_file(tmp_path, edit))
    assert any(p.row == 4 and p.column == "indicator_id" for p in err.value.problems)
    p = tmp_path / "short.csv"
    pd.read_csv(DEFAULT_SYSTEM, dtype=str).drop(columns=["scoring"]).to_csv(p, index=False)
    with pytest.raises(InputError, match="scoring"):
        read_system(p)
