"""The tables an evaluation reads: the registry, the evaluation tables and a survey.

Kept apart from the report wing so that the evaluation can run on its own (and in tests
on hand-made tables).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from impact import config
from impact.digest import file_stamp

#: Evaluation tables read by indicators and estimators (processed Parquet first, then raw).
TABLES: tuple[str, ...] = ("beneficiaries", "cost_ledger", "county_panel", "households", "patients", "plot_trials")


@dataclass
class EvaluationData:
    """Registry tables, evaluation tables (with whether each is simulated) and an optional survey."""

    registry: dict[str, pd.DataFrame]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    simulated: dict[str, bool] = field(default_factory=dict)
    satisfaction: pd.DataFrame | None = None
    files: dict[str, str] = field(default_factory=dict)


def rows_of(df: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``df`` as dicts of column -> value: the values ``df.iterrows()`` gives (one
    object array of the frame's values), without building a Series per row."""
    cols = list(df.columns)
    return [dict(zip(cols, row)) for row in df.to_numpy()]


def county_rows(df: pd.DataFrame, county: str, columns: list[str] | None = None) -> pd.DataFrame:
    """The rows of ``df`` whose ``county_code`` is ``county`` (all rows when the table has no
    ``county_code``), in the table's order and with its index: what
    ``df[df["county_code"].astype("string") == county]`` selects, found by
    :func:`county_positions` instead of comparing every row's code for every county.
    ``columns``: only these columns (cheaper than taking every column of a wide table)."""
    if "county_code" not in df.columns:
        return df if columns is None else df[columns]
    pos = county_positions(df).get(county, _NO_ROWS)
    return df.take(pos) if columns is None else df[columns].take(pos)


_NO_ROWS = np.empty(0, dtype=np.intp)
#: Row positions of each county per table seen in this process: ``id(table) -> (table, rows, positions)``.
#: The table is held, so its id is not reused while the entry lives; the row count guards the
#: (documented as read-only) shared tables against a caller that appended rows.
_POSITIONS: dict[int, tuple[pd.DataFrame, int, dict[str, np.ndarray]]] = {}


def county_positions(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """County code -> positions of its rows (ascending), one pass over ``df.county_code`` per
    table and process; rows without a code belong to no county."""
    known = _POSITIONS.get(id(df))
    if known is not None and known[0] is df and known[1] == len(df):
        return known[2]
    codes = df["county_code"].astype("string")
    positions = {str(k): np.asarray(v, dtype=np.intp) for k, v in codes.groupby(codes, sort=False).indices.items()}
    if len(_POSITIONS) >= 32:  # the tables of one data load, a survey or two: never grow without bound
        _POSITIONS.clear()
    _POSITIONS[id(df)] = (df, len(df), positions)
    return positions


def _str_codes(df: pd.DataFrame) -> pd.DataFrame:
    for col in ("county_code", "prefecture_code"):
        if col in df.columns:
            df[col] = df[col].astype("string")
    return df


def load_data(*, data_dir: str | Path | None = None, processed_dir: str | Path | None = None,
              satisfaction: pd.DataFrame | str | Path | None = None) -> EvaluationData:
    """Read the registry (``data/raw/registry``) and the evaluation tables.

    Each table is read from ``processed_dir/<name>.parquet`` (what ``impact data build``
    writes), else ``data_dir/simulated/<name>_simulated.parquet``. A table found nowhere is
    simply absent: the indicators reading it stay unscored with the reason. A table is
    labelled simulated by its Parquet metadata (``impact.simulated``) or its file name.

    The files are read once per process while none of them changes (device, inode, size,
    modification and change times of every candidate file, present or not, are the key), so
    a warm report kernel scoring county after county reads them once. The returned tables
    are shared between calls: treat them as read-only.
    """
    raw = Path(data_dir) if data_dir is not None else config.DATA_RAW
    proc = Path(processed_dir) if processed_dir is not None else config.DATA_PROCESSED
    key = (str(raw.resolve()), str(proc.resolve()), tuple(file_stamp(p) for p in _candidates(raw, proc)))
    known = _LOADED.get(key)
    if known is None:
        _LOADED.clear()  # one set of files per process is what reports use; never grow without bound
        known = _LOADED[key] = _read(raw, proc)
    survey = None
    if satisfaction is not None:
        from impact.evaluation.satisfaction import read_survey, validate_survey

        survey = (validate_survey(satisfaction) if isinstance(satisfaction, pd.DataFrame)
                  else read_survey(satisfaction))
    return EvaluationData(registry=dict(known.registry), tables=dict(known.tables), simulated=dict(known.simulated),
                          satisfaction=survey, files=dict(known.files))


#: The files read in this process, keyed by folders and the stamps of every candidate file.
_LOADED: dict[tuple[object, ...], EvaluationData] = {}


def _table_paths(name: str, raw: Path, proc: Path) -> tuple[Path, ...]:
    return (proc / f"{name}.parquet", proc / f"{name}_simulated.parquet",
            raw / "simulated" / f"{name}_simulated.parquet")


def _candidates(raw: Path, proc: Path) -> list[Path]:
    """Every file :func:`load_data` may read, in the order it looks for them."""
    from impact import registry as reg

    return [raw / "registry" / f"{name}.csv" for name in reg.tables()] + \
        [p for name in TABLES for p in _table_paths(name, raw, proc)]


def _read(raw: Path, proc: Path) -> EvaluationData:
    from impact import registry as reg
    from impact.io import read_parquet_metadata

    registry = {name: _str_codes(reg.read(name, raw / "registry")) for name in reg.tables()}
    tables: dict[str, pd.DataFrame] = {}
    simulated: dict[str, bool] = {}
    files: dict[str, str] = {}
    for name in TABLES:
        for p in _table_paths(name, raw, proc):
            if p.is_file():
                tables[name] = _str_codes(pd.read_parquet(p))
                simulated[name] = read_parquet_metadata(p).get("impact.simulated") == "true" or "simulated" in p.name
                files[name] = str(p)
                break
    return EvaluationData(registry=registry, tables=tables, simulated=simulated, files=files)
