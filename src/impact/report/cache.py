"""The shared report tables: computed once for every county, stored, read back per county.

:func:`precompute` computes :func:`impact.report.tables.compute_tables` for all
counties and writes one Parquet file per table to :func:`cache_dir` with
``meta.json`` recording the content hash (:meth:`impact.report.inputs.Inputs.digest`:
inputs, code, library versions). :func:`read_cache` returns one county's slice only
when the recorded hash equals the current one, so a stale cache is never served; a
report whose cache is stale or absent computes its own county instead.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd

from impact.digest import code_digest, combine
from impact.io import atomic_path, write_json, write_parquet
from impact.report.inputs import Inputs, codes_as_str, load_inputs, resolve_dirs
from impact.report.tables import compute_tables

__all__ = ["cache_dir", "cached_png", "figure_dir", "precompute", "precomputed_synth", "read_cache"]

#: Tables stored per county (read with a ``county_code`` filter).
COUNTY_TABLES: tuple[str, ...] = ("orgs", "programs", "facts", "indicators", "synth", "gaps", "bcr", "bcr_grid")


def cache_dir(year: int, processed_dir: str | Path = "") -> Path:
    """Folder of the precomputed tables for ``year``: ``<processed_dir>/report_cache/<year>``.

    Derived data: left out of the input hash of :mod:`impact.report.batch`.
    """
    return resolve_dirs("", processed_dir)[1] / "report_cache" / str(int(year))


def _meta(out: Path) -> dict[str, Any] | None:
    try:
        return json.loads((out / "meta.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _current(meta: dict[str, Any] | None, year: int, digest: str) -> bool:
    return meta is not None and meta.get("inputs_sha256") == digest and int(meta.get("year", -1)) == int(year)


def precompute(year: int, out_dir: str | Path | None = None, *, data_dir: str | Path = "",
               processed_dir: str | Path = "", force: bool = False) -> Path:
    """Compute all counties' report tables once and write them to ``out_dir``.

    ``out_dir`` defaults to :func:`cache_dir`. Writes one Parquet file per table
    and ``meta.json`` (``year``, ``inputs_sha256``), each atomically (``meta.json``
    last, so a reader never sees a half-made cache as valid). Returns ``out_dir``.
    Does nothing when ``meta.json`` already records the same content hash and year,
    unless ``force``. The batch runner calls this before running the county
    notebooks (with its own ``force``); each notebook then reads its slice.
    """
    out = Path(out_dir) if out_dir is not None else cache_dir(year, processed_dir)
    _processed_current(processed_dir)
    inputs = load_inputs(data_dir, processed_dir)
    digest = inputs.digest()
    if not force and _current(_meta(out), year, digest):
        return out
    (out / "meta.json").unlink(missing_ok=True)  # invalid while the tables are rewritten
    if force:  # "remake everything": the figures rendered under this hash too
        shutil.rmtree(figure_dir(processed_dir), ignore_errors=True)
    tables = compute_tables(inputs, int(year))
    for name, df in tables.items():
        write_parquet(df, out / f"{name}.parquet")
    write_json({"year": int(year), "inputs_sha256": digest}, out / "meta.json")
    return out


def _processed_current(processed_dir: str | Path) -> None:
    """Rebuild a stale built-data folder now (``impact data build``), as every county report
    would on its first look at the user's own programs
    (:func:`impact.report.county.with_own_programs`): same folder, same condition (a
    ``manifest.json`` there), same rule (:func:`impact.build.is_stale`). Done here, once,
    before the content hash is taken, the shared tables describe the data the reports read;
    otherwise the first report's rebuild would leave them stale and every county would
    compute its own tables."""
    proc = resolve_dirs("", processed_dir)[1]
    if (proc / "manifest.json").is_file():
        from impact.build import _ensure  # noqa: PLC0415 - the rule provenance applies

        _ensure(proc, None)


def read_cache(out: Path, year: int, digest: str, code: str) -> dict[str, Any] | None:
    """County ``code``'s slice of the tables in ``out``; ``None`` unless ``out/meta.json``
    records ``digest`` and ``year`` (a stale or half-written cache is never read)."""
    if not _current(_meta(out), year, digest):
        return None
    full = _read_all(out, digest)
    tables: dict[str, Any] = {}
    for name in COUNTY_TABLES:
        df = full[name]
        tables[name] = df[(df["county_code"] == code).fillna(False).to_numpy(dtype=bool)].reset_index(drop=True)
    tables["event_study"] = full["event_study"].copy()
    notes = full["notes"]
    tables["notes"] = notes[(notes["county_code"].isna() | (notes["county_code"] == code)).fillna(False)
                            .to_numpy(dtype=bool)].reset_index(drop=True)
    return tables


#: The shared tables read in this process: ``(folder, content hash) -> tables`` (one entry).
_READ: dict[tuple[str, str], dict[str, pd.DataFrame]] = {}


def _read_all(out: Path, digest: str) -> dict[str, pd.DataFrame]:
    """Every shared table in ``out``, read once per process for one content hash (tables made
    under the same hash are the same tables, so a warm kernel reads them once per batch)."""
    key = (str(out.resolve()), digest)
    if key not in _READ:
        _READ.clear()
        _READ[key] = {name: codes_as_str(pd.read_parquet(out / f"{name}.parquet"))
                      for name in (*COUNTY_TABLES, "event_study", "notes")}
    return _READ[key]


def precomputed_synth(year: int, inputs: Inputs, processed_dir: str | Path = "") -> pd.DataFrame | None:
    """All counties' synthetic-control estimates from the cache (when it is current)."""
    out = cache_dir(year, processed_dir)
    if not _current(_meta(out), year, inputs.digest()):
        return None
    return codes_as_str(pd.read_parquet(out / "synth.parquet"))


def figure_dir(processed_dir: str | Path = "") -> Path:
    """Folder of the figures rendered once and reused (:func:`cached_png`):
    ``<processed_dir>/report_cache/figures``. Derived data, like the shared tables."""
    return resolve_dirs("", processed_dir)[1] / "report_cache" / "figures"


def cached_png(folder: str | Path, name: str, parts: Sequence[str], render: Callable[[], bytes]) -> bytes:
    """PNG bytes of a figure that depends only on ``parts`` and the code: read from ``folder``
    when it was rendered under the same content hash, else rendered by ``render()`` and stored.

    The file is ``<name>.<hash>.png`` where the hash (:func:`impact.digest.combine`) covers
    :func:`impact.digest.code_digest` (package files, notebooks, library versions) and
    ``parts`` (the figure's own inputs: file hashes, county, language); so a figure made by
    other code, other libraries or from other inputs is never served. Older files of the same
    ``name`` are removed when a new one is stored. ``name`` must not contain ``.``.
    """
    if "." in name or "/" in name:
        raise ValueError(f"figure name {name!r}: expected no '.' or '/'")
    folder = Path(folder)
    key = combine([code_digest(), *parts])
    path = folder / f"{name}.{key}.png"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    png = render()
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(png)
    for old in folder.glob(f"{name}.*.png"):
        if old != path:
            old.unlink(missing_ok=True)
    return png
