"""The tables a report reads: counties, the article's registry and the evaluation data.

:func:`load_inputs` finds each table (the built Parquet file of ``impact data build``
first, else the raw file), records where it came from and whether it is simulated,
and gives :meth:`Inputs.digest`, the content hash (:mod:`impact.digest`) that decides
whether the shared report tables in :mod:`impact.report.cache` are current.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from impact import config
from impact.digest import code_digest, combine, file_stamp, files_digest

__all__ = ["Inputs", "REGISTRY_TABLES", "SIMULATED_TABLES", "filter_codes", "load_inputs", "resolve_dirs"]

#: Version of the layout of the shared report tables (part of :meth:`Inputs.digest`).
#: 3: notes table (warnings and skipped parts) replaces the ``skipped`` mapping.
CACHE_VERSION = "3"

REGISTRY_TABLES: tuple[str, ...] = ("organizations", "pairings", "programs", "program_sites", "facts")
SIMULATED_TABLES: tuple[str, ...] = (
    "county_panel",
    "plot_trials",
    "households",
    "patients",
    "beneficiaries",
    "cost_ledger",
)


@dataclass
class Inputs:
    """The tables one report reads, where they came from and whether they are simulated."""

    counties: pd.DataFrame
    registry: dict[str, pd.DataFrame]
    data: dict[str, pd.DataFrame]
    simulated: dict[str, bool]
    files: dict[str, Path]
    seed: str | None = None
    missing: dict[str, str] = field(default_factory=dict)
    _sim_codes: dict[str, frozenset[str] | None] = field(default_factory=dict, repr=False, compare=False)

    def simulated_codes(self, table: str) -> frozenset[str] | None:
        """Counties whose rows of ``table`` include simulated ones (from the rows' ``source``
        column, set by ``impact data build``); ``None`` when the table has no ``source`` column
        and the whole-table flag :attr:`simulated` decides. Computed once per table."""
        if table in self._sim_codes:
            return self._sim_codes[table]
        df = self.data.get(table)
        if df is None or "source" not in df.columns or "county_code" not in df.columns:
            out = None
        else:
            sim = (df["source"].astype("string") == "simulated").fillna(False).astype(bool)
            out = frozenset(df.loc[sim, "county_code"].dropna().astype(str).unique())
        self._sim_codes[table] = out
        return out

    def is_simulated(self, table: str, code: str | None = None) -> bool:
        """True when ``table``'s rows used for county ``code`` (any county when ``None``)
        include simulated rows; a table that is absent used no rows."""
        if table not in self.data:
            return False
        codes = self.simulated_codes(table)
        if codes is None:
            return bool(self.simulated.get(table, False))
        return bool(codes) if code is None else str(code) in codes

    def sources(self, table: str, code: str) -> list[str]:
        """Sources (``article``, ``user``, ``simulated``) of ``table``'s rows for county ``code``,
        sorted; empty when the county has no row. Tables without a ``source`` column count as
        simulated or user data by their whole-table flag."""
        df = self.data.get(table)
        if df is None or "county_code" not in df.columns:
            return []
        rows = df[df["county_code"].astype("string") == str(code)]
        if rows.empty:
            return []
        if "source" in rows.columns:
            return sorted(set(rows["source"].dropna().astype(str)))
        return ["simulated" if self.simulated.get(table, False) else "user"]

    def digest(self) -> str:
        """Content hash of the report tables: every input file's bytes, the code and library
        versions (:func:`impact.digest.code_digest`) and :data:`CACHE_VERSION`; a cache made by
        other code, other libraries or from other data is never used."""
        return combine([CACHE_VERSION, code_digest(), files_digest(self.files)])


def resolve_dirs(data_dir: str | Path = "", processed_dir: str | Path = "") -> tuple[Path, Path]:
    """``(raw, processed)`` folders: the given ones, or :mod:`impact.config`'s when empty."""
    raw = Path(data_dir) if str(data_dir) else config.DATA_RAW
    proc = Path(processed_dir) if str(processed_dir) else config.DATA_PROCESSED
    return raw, proc


def _parquet_is_simulated(path: Path) -> tuple[bool, str | None]:
    from impact.io import read_parquet_metadata

    meta = read_parquet_metadata(path)
    return meta.get("impact.simulated") == "true" or "simulated" in path.name, meta.get("impact.seed")


def codes_as_str(df: pd.DataFrame) -> pd.DataFrame:
    """``county_code`` and ``prefecture_code`` as pandas strings (in place; returns ``df``)."""
    for col in ("county_code", "prefecture_code"):
        if col in df.columns:
            df[col] = df[col].astype("string")
    return df


def filter_codes(df: pd.DataFrame, codes: Sequence[str] | None) -> pd.DataFrame:
    """Rows of ``df`` whose ``county_code`` is in ``codes`` (all rows when ``codes`` is None)."""
    if codes is None or df.empty or "county_code" not in df.columns:
        return df
    return df[df["county_code"].isin(list(codes))]


def _candidates(raw: Path, proc: Path) -> list[Path]:
    """Every file :func:`load_inputs` may read, in the order it looks for them."""
    out = [raw / "geo" / "counties.csv"]
    for name in REGISTRY_TABLES:
        out += [proc / f"{name}.parquet", raw / "registry" / f"{name}.csv"]
    for name in SIMULATED_TABLES:
        out += [proc / f"{name}.parquet", proc / f"{name}_simulated.parquet",
                raw / "simulated" / f"{name}_simulated.parquet"]
    return out


#: The inputs read in this process, keyed by folders and the stamps of every candidate file.
_LOADED: dict[tuple[Any, ...], Inputs] = {}


def load_inputs(data_dir: str | Path = "", processed_dir: str | Path = "") -> Inputs:
    """Read the counties, the registry and the (simulated or user) evaluation tables.

    Read once per process while no candidate file changes (device, inode, size, modification
    and change times of each, present or not, are the key): a warm report kernel reads the
    tables once per batch. The returned tables are shared between calls; treat them as
    read-only.

    Order of preference per table: the built Parquet file in ``processed_dir``
    (``<name>.parquet``, what ``impact.load`` returns), then the raw file in
    ``data_dir`` (``registry/<name>.csv``; ``simulated/<name>_simulated.parquet``).
    A table found nowhere is recorded in ``Inputs.missing`` with the reason, and
    the sections that need it are left out. Simulated tables are recognized by
    their Parquet metadata (``impact.simulated = "true"``) or their file name.
    """
    raw, proc = resolve_dirs(data_dir, processed_dir)
    key = (str(raw.resolve()), str(proc.resolve()), tuple(file_stamp(p) for p in _candidates(raw, proc)))
    known = _LOADED.get(key)
    if known is None:
        _LOADED.clear()  # one set of inputs per process is what reports use; never grow without bound
        known = _LOADED[key] = _read_inputs(raw, proc)
    return replace(known, registry=dict(known.registry), data=dict(known.data), simulated=dict(known.simulated),
                   files=dict(known.files), missing=dict(known.missing))


def _read_inputs(raw: Path, proc: Path) -> Inputs:
    from impact import geo
    from impact.io import read_table

    files: dict[str, Path] = {}
    geo_csv = raw / "geo" / "counties.csv"
    counties = geo.county_table(geo_csv if geo_csv.is_file() else None)
    files["geo/counties.csv"] = geo_csv if geo_csv.is_file() else config.GEO_DIR / "counties.csv"
    registry: dict[str, pd.DataFrame] = {}
    missing: dict[str, str] = {}
    for name in REGISTRY_TABLES:
        built = proc / f"{name}.parquet"
        source = raw / "registry" / f"{name}.csv"
        if built.is_file():
            registry[name] = pd.read_parquet(built)
            files[f"processed/{name}.parquet"] = built
        elif source.is_file():
            registry[name] = read_table(source, dtype=str)
            files[f"registry/{name}.csv"] = source
        else:
            registry[name] = pd.DataFrame()
            missing[name] = f"no {built} or {source}"
        registry[name] = codes_as_str(registry[name])
    data: dict[str, pd.DataFrame] = {}
    simulated: dict[str, bool] = {}
    seed = None
    for name in SIMULATED_TABLES:
        candidates = [proc / f"{name}.parquet", proc / f"{name}_simulated.parquet",
                      raw / "simulated" / f"{name}_simulated.parquet"]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            missing[name] = "no file in " + ", ".join(str(p.parent) for p in candidates[1:])
            continue
        data[name] = codes_as_str(pd.read_parquet(path))
        simulated[name], s = _parquet_is_simulated(path)
        seed = seed or s
        files[f"data/{path.name}"] = path
    return Inputs(counties=counties, registry=registry, data=data, simulated=simulated,
                  files=files, seed=seed, missing=missing)
