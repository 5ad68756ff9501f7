"""What the evaluation reads once per process is read again as soon as a file changes.

A warm report kernel scores county after county: :func:`impact.evaluation.data.load_data` and
:func:`impact.evaluation.system.read_system` keep what they read, keyed by the files' stamps.
These tests show a changed file is never answered from memory, and that callers get their own
copies where they may edit them.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from impact import config
from impact.errors import InputError
from impact.evaluation import evaluate
from impact.evaluation.data import TABLES, load_data
from impact.evaluation.system import DEFAULT_SYSTEM, read_system


@pytest.fixture()
def folders(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(config.DATA_RAW / "registry", raw / "registry")
    (raw / "simulated").mkdir()
    proc = tmp_path / "processed"
    proc.mkdir()
    name = "cost_ledger"
    shutil.copy(config.DATA_RAW / "simulated" / f"{name}_simulated.parquet", raw / "simulated")
    return raw, proc, name


def test_load_data_reads_once_and_again_after_a_change(folders):
    raw, proc, name = folders
    first = load_data(data_dir=raw, processed_dir=proc)
    again = load_data(data_dir=raw, processed_dir=proc)
    assert again.tables[name] is first.tables[name]  # read once
    assert again.tables is not first.tables and again.registry is not first.registry  # own mappings
    n = len(first.tables[name])
    # a user table appears in the processed folder: it is preferred, and read at once
    pd.read_parquet(raw / "simulated" / f"{name}_simulated.parquet").head(3).to_parquet(proc / f"{name}.parquet")
    changed = load_data(data_dir=raw, processed_dir=proc)
    assert len(changed.tables[name]) == 3 != n
    assert changed.files[name].endswith(f"processed/{name}.parquet")
    assert set(changed.tables) <= set(TABLES)
    # a registry file edited in place is read again too
    orgs = raw / "registry" / "organizations.csv"
    lines = orgs.read_text(encoding="utf-8").splitlines(keepends=True)
    orgs.write_text("".join(lines[:2]), encoding="utf-8")
    assert len(load_data(data_dir=raw, processed_dir=proc).registry["organizations"]) == 1


def test_read_system_copies_and_rereads_an_edited_file(tmp_path):
    p = tmp_path / "system.csv"
    shutil.copy(DEFAULT_SYSTEM, p)
    a = read_system(p)
    weight = float(a["weight"].sum())
    assert weight > 0
    a.loc[:, "weight"] = 0.0  # a caller editing its table does not change the next caller's
    assert read_system(p)["weight"].sum() == pytest.approx(weight)
    df = pd.read_csv(p, dtype=str, keep_default_na=False)
    df.loc[df["indicator_id"] == df["indicator_id"].iloc[0], "indicator_id"] = df["indicator_id"].iloc[1]
    df.to_csv(p, index=False)
    with pytest.raises(InputError, match="unique id"):
        read_system(p)


def test_subtotals_are_computed_once_per_evaluation():
    ev = evaluate("county", 2024, county="530824")
    assert ev.subtotals is ev.subtotals and ev.total is ev.total
    assert ev.total.weight == pytest.approx(ev.subtotals["weight"].sum())
