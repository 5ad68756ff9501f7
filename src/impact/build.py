"""The raw -> processed build, the one-line loader and the raw-data guard.

:func:`build` validates every table in ``data/raw/`` against :mod:`impact.schemas`
and writes ``data/processed/``:

- ``<table>.parquet`` per table (simulated tables keep ``_simulated`` in their
  names and carry ``impact.simulated = "true"`` metadata);
- ``impact.duckdb`` with one SQL table per table (a self-contained copy, so it
  works from any working directory and from SQL tools outside Python);
- ``manifest.json``: the package version, a hash of the build code, and the
  sha256, size and mtime of every input file read (it marks a complete build).

The build is idempotent (nothing is written when the manifest's input hashes,
code hash and location match) and atomic: the new version is staged completely
in a hidden sibling folder (Parquet, DuckDB, carried-over files, manifest last)
and swapped in by one rename (``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere
two renames with SIGINT/SIGTERM held). A failure or an interruption at any
moment leaves the previous complete version or the new complete one, never a
mix; SIGTERM raises :class:`impact.io.Interrupted` during the build so clean-up
runs and the command exits non-zero. Staging folders of a killed build
(``kill -9``) are removed by the next build. Concurrent builds (several
notebooks calling :func:`load`) are serialised by a file lock.

Registry checks beyond the schemas: every ``quote`` is verbatim text of a file in
``data/raw/source/`` and every ``county`` resolves to its ``county_code``.

The raw-data guard: ``data/raw/MANIFEST.sha256`` lists the sha256 of every file
under ``data/raw/`` (``sha256sum`` format); :func:`check_raw_manifest` compares
it with the files, :func:`write_raw_manifest` regenerates it
(``impact data manifest``).

Jobs by module: :mod:`impact.build_inputs` reads and checks the inputs,
:mod:`impact.build_assemble` assembles the processed tables, :mod:`impact.raw_manifest` is the
raw-data guard; this module stages, swaps in and loads the processed folder.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import signal
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from impact import config
from impact.build_assemble import assemble, provenance_rows
from impact.build_inputs import (  # noqa: F401 - table_name re-exported
    REGISTRY_TABLES,
    _code_hash,
    _input_hashes,
    _inputs,
    _stat,
    _version,
    sha256_file,
    table_name,
    validate_raw,
)
from impact.errors import ImpactError, InputError
from impact.io import (
    Interrupted,
    is_under,
    make_temp_dir,
    read_parquet_metadata,
    terminate_raises,
    write_json,
    write_parquet,
)
from impact.raw_manifest import check_raw_manifest, raw_hashes, write_raw_manifest  # noqa: F401

__all__ = [
    "BuildReport",
    "REGISTRY_TABLES",
    "build",
    "load",
    "tables",
    "connect",
    "is_stale",
    "raw_hashes",
    "write_raw_manifest",
    "check_raw_manifest",
]


MANIFEST_NAME = "manifest.json"


DUCKDB_NAME = "impact.duckdb"


#: Files the build produces (anything else in data/processed/, e.g. README.md, is carried over).
_OUTPUT_SUFFIXES = (".parquet",)


_OUTPUT_NAMES = (MANIFEST_NAME, DUCKDB_NAME, DUCKDB_NAME + ".wal")


@dataclass
class BuildReport:
    """What :func:`build` did.

    ``built`` is False when the processed data were already up to date (nothing
    written). ``tables`` maps table name -> number of rows; ``inputs`` maps each
    input (relative to the raw folder) -> sha256.
    """

    out: Path
    built: bool
    tables: dict[str, int] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        state = "built" if self.built else "up to date (nothing rebuilt)"
        rows = sum(self.tables.values())
        return f"{self.out}: {state}; {len(self.tables)} tables, {rows:,} rows, {len(self.inputs)} inputs"


@contextlib.contextmanager
def _lock(out: Path) -> Iterator[None]:
    path = out.parent / f".{out.name}.lock.tmp"  # beside the folder it guards; *.tmp is git-ignored
    try:
        fh = open(path, "a+")  # noqa: SIM115 - closed below
    except OSError as err:
        raise ImpactError(f"cannot write beside {out}: {err.strerror} ({path}); "
                          "choose an output folder you may write to (--out)") from None
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _read_manifest(out: Path) -> dict[str, Any] | None:
    try:
        return json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _up_to_date(out: Path, inputs: Mapping[str, str], manifest: Mapping[str, Any] | None) -> bool:
    if not manifest:
        return False
    if manifest.get("code_sha256") != _code_hash() or manifest.get("processed_dir") != str(out.resolve()):
        return False
    if {k: v["sha256"] for k, v in manifest.get("inputs", {}).items()} != dict(inputs):
        return False
    return all((out / f"{t}.parquet").is_file() for t in manifest.get("tables", {})) and (out / DUCKDB_NAME).is_file()


def _write_duckdb(path: Path, table_files: Mapping[str, Path]) -> None:
    """One DuckDB table per Parquet file (a self-contained copy: no path outside the file)."""
    import duckdb  # noqa: PLC0415

    tmp = path.with_name(f".{path.name}.tmp")
    for p in (tmp, tmp.with_name(tmp.name + ".wal")):
        p.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(tmp))
        try:
            for name, file in table_files.items():
                lit = str(file.resolve()).replace("'", "''")
                con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM read_parquet(\'{lit}\')')
            con.execute("CHECKPOINT")
        except duckdb.InterruptException:  # DuckDB turns Ctrl-C inside a query into its own error
            raise Interrupted(signal.SIGINT) from None
        finally:
            con.close()
        os.replace(tmp, path)
    finally:
        for p in (tmp, tmp.with_name(tmp.name + ".wal")):
            p.unlink(missing_ok=True)


_RENAME_EXCHANGE = 2  # linux/fs.h


_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux ``renameat2(RENAME_EXCHANGE)``.

    Returns False when the system or file system does not offer it (the caller then
    falls back to two renames with the termination signals blocked).
    """
    import ctypes  # noqa: PLC0415

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


@contextlib.contextmanager
def _signals_blocked() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends (delivered right after it)."""
    sigs = {signal.SIGINT, signal.SIGTERM}
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _swap_in(staged: Path, out: Path) -> None:
    """Make the complete folder ``staged`` the new ``out`` in one step.

    ``out`` absent: one :func:`os.rename`. ``out`` present: one
    ``renameat2(RENAME_EXCHANGE)``, after which ``staged`` holds the previous version
    (the caller removes it). Where exchange is not available, two renames run with
    SIGINT/SIGTERM held, so that a signal cannot fall between them.
    """
    with _signals_blocked():
        if not out.exists():
            os.rename(staged, out)
            return
        if _exchange(staged, out):
            return
        aside = make_temp_dir(out, tag="old")
        os.rmdir(aside)
        os.rename(out, aside)
        try:
            os.rename(staged, out)
        except BaseException:
            os.rename(aside, out)
            raise
        os.rename(aside, staged)


def _remove_leftovers(out: Path) -> None:
    """Remove staging folders of interrupted builds (caller holds the build lock)."""
    for p in out.parent.glob(f".{out.name}.*-*.tmp"):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)


def _write_tables(staged: Path, outputs: Sequence[Any], hashes: Mapping[str, str]) -> dict[str, int]:
    """Write each assembled table (:func:`assemble`) as Parquet into ``staged``, with its provenance metadata."""
    table_rows: dict[str, int] = {}
    for o in outputs:
        meta = {
            "impact.table": o.table,
            "impact.kind": o.kind,
            "impact.source": ",".join(i.rel for i in o.inputs),
            "impact.source_sha256": ",".join(hashes[i.rel] for i in o.inputs),
            "impact.version": _version(),
        }
        for inp in o.inputs:
            if inp.path.suffix.lower() == ".parquet" and inp.origin != "user":
                src = read_parquet_metadata(inp.path)
                meta.update({k: v for k, v in src.items() if k.startswith("impact.")
                             and k not in ("impact.table", "impact.source", "impact.source_sha256")})
        meta["impact.simulated"] = o.simulated
        write_parquet(o.frame, staged / f"{o.table}.parquet", meta)
        table_rows[o.table] = len(o.frame)
    return table_rows


def build(
    raw: str | os.PathLike[str] = config.DATA_RAW,
    out: str | os.PathLike[str] = config.DATA_PROCESSED,
    force: bool = False,
) -> BuildReport:
    """Validate ``raw`` and write ``out`` (Parquet per table, DuckDB tables, manifest).

    Skips (``BuildReport.built is False``) when ``out/manifest.json`` records the same
    input hashes, build code and location, unless ``force``. Raises
    :class:`InputError` listing every problem of every invalid file.

    Notes
    -----
    The new version is staged completely in a hidden sibling folder (Parquet files,
    ``impact.duckdb``, carried-over files, ``manifest.json`` last) and swapped in by
    one rename (:func:`_swap_in`). Any failure or interruption (SIGINT, or SIGTERM,
    which raises :class:`impact.io.Interrupted` while the build runs) therefore leaves
    ``out`` as either the previous complete version or the new complete one; the
    exception propagates, so an interrupted command exits non-zero.
    """
    raw = Path(raw).resolve()
    out = Path(out).resolve()
    if is_under(out, raw) or is_under(out, config.DATA_RAW):
        raise ImpactError(f"refusing to build into {out}: it is inside the raw data folder")
    if out.exists() and not out.is_dir():
        raise ImpactError(f"refusing to build into {out}: it is a file, not a folder")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ImpactError(f"cannot create {out.parent}: {err.strerror}; choose another output folder") from None
    with terminate_raises(), _lock(out):
        _remove_leftovers(out)
        inputs = _inputs(raw)
        hashes = _input_hashes(inputs)
        manifest = _read_manifest(out)
        if not force and _up_to_date(out, hashes, manifest):
            return BuildReport(out, False, dict(manifest.get("tables", {})), hashes, [])  # type: ignore[union-attr]

        frames, inputs, msgs = validate_raw(raw)
        staged = make_temp_dir(out, tag="new")
        try:
            outputs = assemble(frames, inputs)
            table_rows = _write_tables(staged, outputs, hashes)
            _write_duckdb(staged / DUCKDB_NAME, {t: staged / f"{t}.parquet" for t in table_rows})
            # carry over files that are not build outputs (README.md, .gitkeep, ...)
            if out.is_dir():
                for p in out.iterdir():
                    if p.is_file() and p.suffix not in _OUTPUT_SUFFIXES and p.name not in _OUTPUT_NAMES:
                        shutil.copy2(p, staged / p.name)
            manifest = {
                "package_version": _version(),
                "code_sha256": _code_hash(),
                "raw_dir": str(raw),
                "processed_dir": str(out),
                "inputs": {inp.rel: {"sha256": hashes[inp.rel], **_stat(inp.path)} for inp in inputs},
                "tables": table_rows,
                "kinds": {o.table: o.kind for o in outputs},
                "simulated": sorted(o.table for o in outputs if o.simulated == "true"),
                "partly_simulated": sorted(o.table for o in outputs if o.simulated == "partial"),
                "provenance": provenance_rows(outputs),
            }
            write_json(manifest, staged / MANIFEST_NAME)  # last: it marks a complete version
            _swap_in(staged, out)
        finally:
            # before the swap: the unfinished new version; after it: the previous one
            shutil.rmtree(staged, ignore_errors=True)
        return BuildReport(out, True, table_rows, hashes, msgs)


def is_stale(processed: str | os.PathLike[str] = config.DATA_PROCESSED, raw: str | os.PathLike[str] | None = None) -> bool:
    """True when ``processed`` is missing, incomplete or older than its raw inputs.

    Inputs whose size and mtime match the manifest are taken as unchanged; the
    others are hashed. ``raw`` defaults to the folder the manifest records.
    """
    out = Path(processed).resolve()
    manifest = _read_manifest(out)
    if not manifest:
        return True
    raw_dir = _raw_for(out, raw, manifest)
    try:
        current = _inputs(raw_dir)
    except InputError:
        return True
    recorded = manifest.get("inputs", {})
    if {i.rel for i in current} != set(recorded):
        return True
    if manifest.get("code_sha256") != _code_hash() or manifest.get("processed_dir") != str(out):
        return True
    for inp in current:
        rec = recorded[inp.rel]
        if _stat(inp.path) == {"size": rec.get("size"), "mtime_ns": rec.get("mtime_ns")}:
            continue
        if sha256_file(inp.path) != rec.get("sha256"):
            return True
    return not all((out / f"{t}.parquet").is_file() for t in manifest.get("tables", {}))


def _raw_for(out: Path, raw: str | os.PathLike[str] | None, manifest: Mapping[str, Any] | None) -> Path:
    """The raw folder of a processed folder: ``raw`` if given; ``config.DATA_RAW`` for the
    project's own ``data/processed`` (even after the project moved); else the one recorded."""
    if raw is not None:
        return Path(raw).resolve()
    if out.resolve() == config.DATA_PROCESSED.resolve() or not manifest or "raw_dir" not in manifest:
        return config.DATA_RAW.resolve()
    return Path(manifest["raw_dir"])


def _ensure(processed: Path, raw: str | os.PathLike[str] | None) -> dict[str, Any]:
    if is_stale(processed, raw):
        manifest = _read_manifest(processed.resolve())
        build(_raw_for(processed, raw, manifest), processed)
    manifest = _read_manifest(processed.resolve())
    if manifest is None:  # pragma: no cover - build writes it
        raise ImpactError(f"{processed}: no manifest.json after building")
    return manifest


def tables(processed: str | os.PathLike[str] = config.DATA_PROCESSED, *, raw: str | os.PathLike[str] | None = None) -> list[str]:
    """Names of the processed tables (building ``processed`` first if missing or stale)."""
    return sorted(_ensure(Path(processed), raw).get("tables", {}))


def load(name: str, processed: str | os.PathLike[str] = config.DATA_PROCESSED, *,
         raw: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """One processed table as a DataFrame: ``impact.load("programs")``.

    Builds ``data/processed`` first when it is missing or older than ``data/raw``.
    Simulated tables keep their label: ``load("county_panel_simulated")``.
    """
    processed = Path(processed)
    manifest = _ensure(processed, raw)
    names = sorted(manifest.get("tables", {}))
    if name not in names:
        hint = f"; did you mean {name}_simulated (simulated data)?" if f"{name}_simulated" in names else ""
        if name.endswith("_simulated") and name.removesuffix("_simulated") in names:
            hint = (f"; {name.removesuffix('_simulated')} holds this data: user rows for some counties, "
                    "simulated rows for the others (column source)")
        raise ImpactError(f"no processed table {name!r}{hint}; available tables: {', '.join(names)}")
    return pd.read_parquet(processed.resolve() / f"{name}.parquet")


def connect(processed: str | os.PathLike[str] = config.DATA_PROCESSED, *, raw: str | os.PathLike[str] | None = None) -> Any:
    """An in-memory DuckDB connection with one view per processed table.

    Works from any working directory (views use absolute paths); builds first if
    needed. ``impact.duckdb`` in the processed folder holds the same views for
    SQL tools outside Python.
    """
    import duckdb  # noqa: PLC0415

    processed = Path(processed).resolve()
    manifest = _ensure(processed, raw)
    con = duckdb.connect()
    for name in sorted(manifest.get("tables", {})):
        lit = str(processed / f"{name}.parquet").replace("'", "''")
        con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM read_parquet(\'{lit}\')')
    return con
