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
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import fcntl
import json
import os
import re
import shutil
import signal
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from impact import config
from impact.digest import code_digest, file_sha256
from impact.errors import ImpactError, InputError, Problem
from impact.io import (
    Interrupted,
    is_under,
    make_temp_dir,
    read_parquet_metadata,
    read_table,
    terminate_raises,
    write_json,
    write_parquet,
    write_text,
)
from impact.schemas import ExtraColumnWarning, kind_for_file, validate

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

#: Registry tables, in the order they are validated (referenced tables first).
REGISTRY_TABLES: tuple[str, ...] = ("organizations", "pairings", "programs", "program_sites", "facts")

MANIFEST_NAME = "manifest.json"
DUCKDB_NAME = "impact.duckdb"
#: Files the build produces (anything else in data/processed/, e.g. README.md, is carried over).
_OUTPUT_SUFFIXES = (".parquet",)
_OUTPUT_NAMES = (MANIFEST_NAME, DUCKDB_NAME, DUCKDB_NAME + ".wal")



# --------------------------------------------------------------------------- hashing


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes (:func:`impact.digest.file_sha256`).

    Raises :class:`InputError` naming the file when it cannot be read (a symlink
    loop or a dangling link, no permission, a folder).
    """
    try:
        return file_sha256(path, chunk=chunk)
    except OSError as err:
        what = "a symlink loop" if err.errno == errno.ELOOP else (err.strerror or str(err))
        raise InputError(Problem(str(path), None, None, what, "a readable file (fix or remove it)")) from None


def _code_hash() -> str:
    """The code part of the one content hash (:func:`impact.digest.code_digest`)."""
    return code_digest()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("impact")
    except PackageNotFoundError:  # metadata missing in an uninstalled checkout
        import impact  # noqa: PLC0415

        return getattr(impact, "__version__", "unknown")


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class _Input:
    """One input of the build. ``origin``: ``source`` (article text), ``geo``, ``article``
    (registry), ``simulated`` or ``user``; ``sheet``/``mapping`` for user files."""

    table: str
    kind: str
    path: Path
    rel: str
    simulated: bool
    origin: str = "article"
    sheet: str | None = None
    mapping: Mapping[str, str] | None = None


#: Top-level files of a raw tree that are not inputs.
_RAW_DOCS = ("MANIFEST.sha256", "README.md")


def table_name(kind: str) -> str:
    """Processed table name of a kind's data (``household_survey`` -> ``households``): the
    name of its shipped simulated file without ``_simulated``, else the kind. Fully
    simulated tables are written as ``<name>_simulated``; tables with user rows as ``<name>``."""
    from impact.schemas import SPECS  # noqa: PLC0415

    files = SPECS[kind].files
    if files and files[0].startswith("simulated/"):
        return Path(files[0]).name.split(".")[0].removesuffix("_simulated")
    return kind


def _unread_files(raw: Path) -> list[Problem]:
    """Files of a raw tree the build would not read: each is a problem naming it (an input is
    never silently ignored). Own tables belong in ``user/`` (``impact data add``)."""
    probs: list[Problem] = []
    registry = {f"{t}.csv" for t in REGISTRY_TABLES}
    hint = "a file the build reads; put your own tables in data/raw/user/ with `impact data add FILE`"
    for p in sorted(raw.rglob("*")):
        rel = p.relative_to(raw)
        if p.is_dir() or any(part.startswith(".") or part == "__pycache__" for part in rel.parts) \
                or p.suffix == ".tmp":
            continue
        top = rel.parts[0]
        if len(rel.parts) == 1:
            ok = p.name in _RAW_DOCS
        elif top == "source":
            ok = len(rel.parts) == 2 and p.suffix in (".txt", ".md")
        elif top == "geo":
            ok = True  # reference geometry and its provenance
        elif top == "registry":
            ok = len(rel.parts) == 2 and (p.name in registry or p.name == "README.md")
        elif top == "simulated":
            ok = len(rel.parts) == 2  # the simulated loop names its own problems
        elif top == "user":
            ok = True  # impact.userdata.user_inputs names its own problems
        elif top == "evaluation":
            # indicator systems (impact.evaluation.system), checked by validate_raw
            ok = len(rel.parts) == 2 and (p.name == "README.md" or p.suffix == ".csv")
        else:
            ok = False
        if not ok:
            probs.append(Problem(rel.as_posix(), None, None, rel.as_posix(), hint))
    return probs


def _inputs(raw: Path) -> list[_Input]:
    """The inputs of a raw tree, in build order (sources, counties, registry, simulated,
    user tables with own programs first).

    Raises :class:`InputError` naming every file the build would not read and every pair of
    files that would give the same table (never silently ignored, never silently shadowed).
    """
    from impact.userdata import user_inputs  # noqa: PLC0415

    raw = Path(raw)
    found: list[_Input] = []
    problems: list[Problem] = _unread_files(raw)
    source = raw / "source"
    if source.is_dir():  # source texts: registry quotes must be verbatim sentences of them
        for p in sorted(source.glob("*.txt")):
            found.append(_Input(f"source:{p.name}", "source", p, f"source/{p.name}", False, "source"))
    counties = raw / "geo" / "counties.csv"
    if counties.is_file():
        found.append(_Input("counties", "counties", counties, "geo/counties.csv", False, "geo"))
    else:
        problems.append(Problem(str(counties), None, None, "no such file",
                                "the county table data/raw/geo/counties.csv (python scripts/build_geo.py)"))
    for name in REGISTRY_TABLES:
        p = raw / "registry" / f"{name}.csv"
        if p.is_file():
            found.append(_Input(name, name, p, f"registry/{name}.csv", False, "article"))
        else:
            problems.append(Problem(str(p), None, None, "no such file", f"the registry table registry/{name}.csv"))
    sim = raw / "simulated"
    by_kind: dict[str, str] = {}
    if sim.is_dir():
        for p in sorted(sim.iterdir()):
            if p.name.startswith(".") or p.is_dir() or p.suffix == ".tmp":
                continue
            if p.suffix.lower() not in (".parquet", ".csv", ".xlsx"):
                if p.name != "truth_simulated.json":
                    problems.append(Problem(f"simulated/{p.name}", None, None, p.name,
                                            "a simulated table (.parquet, .csv, .xlsx) or truth_simulated.json"))
                continue
            kind = kind_for_file(p)
            if kind is None:
                problems.append(Problem(f"simulated/{p.name}", None, None, p.name,
                                        "a simulated table named after a table kind (e.g. county_panel_simulated.parquet)"))
                continue
            table = p.name.split(".")[0]
            if not table.endswith("_simulated"):
                problems.append(Problem(f"simulated/{p.name}", None, None, p.name,
                                        "a file name ending in _simulated (simulated data is labelled in its name); "
                                        "your own data go to data/raw/user/ (`impact data add`)"))
                continue
            if kind in by_kind:
                problems.append(Problem(f"simulated/{p.name}", None, None, f"a second {kind} table beside "
                                        f"{by_kind[kind]}", "one simulated file per table (the two would give the "
                                        "same table); your own data go to data/raw/user/ (`impact data add`)"))
                continue
            by_kind[kind] = f"simulated/{p.name}"
            found.append(_Input(table, kind, p, f"simulated/{p.name}", True, "simulated"))
    users, uprobs = user_inputs(raw)
    problems += uprobs
    for u in users:
        found.append(_Input(f"user:{u.rel}", u.kind, u.path, u.rel, False, "user", u.sheet, u.mapping))
        side = u.path.with_name(u.path.name + ".impact.json")
        if side.is_file():  # its kind, sheet and mapping decide what the build reads
            found.append(_Input(f"sidecar:{u.rel}", "sidecar", side, f"{u.rel}.impact.json", False, "sidecar"))
    if problems:
        raise InputError(problems, title=f"{raw}: raw data incomplete or unreadable")
    return found


def _input_hashes(inputs: list[_Input]) -> dict[str, str]:
    """sha256 of every input; one :class:`InputError` naming every unreadable file."""
    hashes: dict[str, str] = {}
    problems: list[Problem] = []
    for inp in inputs:
        try:
            hashes[inp.rel] = sha256_file(inp.path)
        except InputError as err:
            problems.extend(Problem(inp.rel, None, None, p.value, p.expected) for p in err.problems)
    if problems:
        raise InputError(problems, title="build failed: unreadable input files")
    return hashes


def _stat(p: Path) -> dict[str, int]:
    try:
        st = p.stat()
    except OSError:  # gone or a loop since: the hash comparison that follows names it
        return {}
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


# --------------------------------------------------------------------------- report


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


# --------------------------------------------------------------------------- validation of one raw tree


def _read_input(inp: _Input) -> pd.DataFrame:
    return read_table(inp.path, dtype=str if inp.path.suffix.lower() == ".csv" else None)


def _check_county_names(df: pd.DataFrame, file: str) -> list[Problem]:
    """Registry ``county`` (as written) must resolve to the row's ``county_code``."""
    try:
        from impact.geo import resolve_county  # noqa: PLC0415
    except ImportError:  # pragma: no cover - geo is part of the package
        return []
    probs: list[Problem] = []
    for i, (name, code) in enumerate(zip(df["county"].tolist(), df["county_code"].tolist())):
        if name is None or name is pd.NA or (isinstance(name, float) and name != name):
            continue
        try:
            got = resolve_county(name).code
        except ImpactError as err:
            probs.append(Problem(file, i + 2, "county", name, f"a county name that resolves ({err})"))
            continue
        if pd.isna(code) or got != str(code):
            probs.append(Problem(file, i + 2, "county_code", None if pd.isna(code) else code,
                                 f"{got}, the code of {name}"))
    return probs


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _check_quotes(df: pd.DataFrame, file: str, sources: Mapping[str, str]) -> list[Problem]:
    """Every registry ``quote`` is verbatim source text (whitespace and line breaks ignored;
    parts joined by …… are looked up separately)."""
    if not sources:
        return []
    probs: list[Problem] = []
    texts = list(sources.values())
    names = ", ".join(f"data/raw/{k}" for k in sources)
    for i, q in enumerate(df["quote"].tolist()):
        if q is None or q is pd.NA:
            continue
        parts = [_compact(x) for x in re.split(r"…+|\.{3,}", str(q)) if _compact(x)]
        if not all(any(part in t for t in texts) for part in parts):
            shown = q if len(q) <= 60 else q[:57] + "..."
            probs.append(Problem(file, i + 2, "quote", shown, f"verbatim text of a source document ({names})"))
    return probs


def validate_raw(raw: str | os.PathLike[str] = config.DATA_RAW) -> tuple[dict[str, pd.DataFrame], list[_Input], list[str]]:
    """Read and validate every table of a raw tree.

    Returns ``(frames, inputs, warnings)``; raises one :class:`InputError` with the
    problems of every file.
    """
    raw = Path(raw)
    inputs = _inputs(raw)
    frames: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    msgs: list[str] = []
    codes: frozenset[str] | None = None
    bad_files: list[str] = []
    sources: dict[str, str] = {}
    for inp in inputs:
        if inp.kind == "sidecar":
            continue
        if inp.kind == "source":
            try:
                sources[inp.rel] = _compact(inp.path.read_text(encoding="utf-8"))
            except UnicodeDecodeError as err:
                problems.append(Problem(inp.rel, None, None, f"undecodable byte at offset {err.start}",
                                        "a UTF-8 text file"))
                bad_files.append(inp.rel)
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ExtraColumnWarning)
            try:
                if inp.origin == "user":
                    own = [frames[i.table] for i in inputs if i.kind == "own_programs" and i.table in frames]
                    out = _read_user(inp, frames, own)
                    frames[inp.table] = out
                    continue
                df = _read_input(inp)
                refs = {k: frames[k] for k in REGISTRY_TABLES if k in frames}
                out = validate(df, inp.kind, file=inp.rel, counties=codes, refs=refs)
                extra = _check_county_names(out, inp.rel) if inp.table in ("pairings", "program_sites") else []
                if inp.table in REGISTRY_TABLES:
                    extra += _check_quotes(out, inp.rel, sources)
                if extra:
                    raise InputError(extra)
            except InputError as err:
                problems.extend(err.problems)
                bad_files.append(inp.rel)
                continue
            finally:
                msgs.extend(str(w.message) for w in caught)
        frames[inp.table] = out
        if inp.table == "counties":
            codes = frozenset(out["county_code"].astype(str))
    problems += _check_indicator_systems(raw)
    if not problems:
        problems = _shadowed_rows(frames, inputs)
        bad_files = sorted({p.file for p in problems})
    if problems:
        raise InputError(problems, title=f"build failed: {len(bad_files)} invalid file(s) in {raw}")
    return frames, inputs, msgs


def _check_indicator_systems(raw: Path) -> list[Problem]:
    """Problems of the indicator system files in ``raw/evaluation/`` (read by
    :func:`impact.evaluation.system.read_system`; they are not processed tables)."""
    from impact.evaluation.system import read_system  # noqa: PLC0415

    problems: list[Problem] = []
    for p in sorted((raw / "evaluation").glob("*.csv")):
        try:
            read_system(p)
        except InputError as err:
            problems.extend(err.problems)
    return problems


def _read_user(inp: _Input, frames: Mapping[str, pd.DataFrame], own: list[pd.DataFrame]) -> pd.DataFrame:
    """A user table, read as :func:`impact.userdata.read_user_table` reads it; patient records
    without a period are dated by the own programs (``own``, read before them) and the registry."""
    from impact.userdata import health_starts, read_user_table  # noqa: PLC0415

    health = health_starts(pd.concat(own, ignore_index=True) if own else None,
                           {k: frames[k] for k in ("programs", "program_sites") if k in frames})
    return read_user_table(inp.path, kind=inp.kind, mapping=inp.mapping, sheet=inp.sheet, health=health,
                           file=inp.rel).frame


def _shadowed_rows(frames: Mapping[str, pd.DataFrame], inputs: list[_Input]) -> list[Problem]:
    """Two user files of one kind holding the same rows (same key): a problem naming both."""
    from impact.schemas import SPECS  # noqa: PLC0415

    probs: list[Problem] = []
    users = [i for i in inputs if i.origin == "user"]
    for a_i, a in enumerate(users):
        for b in users[:a_i]:
            if a.kind != b.kind:
                continue
            key = list(SPECS[a.kind].key)
            both = frames[a.table][key].merge(frames[b.table][key].drop_duplicates(), on=key)
            if len(both):
                first = tuple(v.item() if hasattr(v, "item") else v for v in both.iloc[0].tolist())
                probs.append(Problem(a.rel, None, ", ".join(key), first if len(first) > 1 else first[0],
                                     f"rows not already in {b.rel} ({len(both)} rows with the same "
                                     f"{' + '.join(key)} in both files; one file per set of rows)"))
    return probs


@dataclass(frozen=True)
class _Output:
    """One processed table: its name, kind, rows (with ``source`` and ``source_file``) and
    the inputs it comes from."""

    table: str
    kind: str
    frame: pd.DataFrame
    inputs: tuple[_Input, ...]

    @property
    def simulated(self) -> str:
        """``"true"`` (all rows simulated), ``"false"`` (none) or ``"partial"``."""
        src = set(self.frame["source"].unique()) if len(self.frame) else set()
        return "true" if src == {"simulated"} else "partial" if "simulated" in src else "false"


def _with_source(df: pd.DataFrame, origin: str, rel: str) -> pd.DataFrame:
    """``df`` with ``source`` and ``source_file``; a column of the input already named so is kept
    as ``<name>_as_written``."""
    clash = {c: f"{c}_as_written" for c in ("source", "source_file") if c in df.columns}
    if clash:
        df = df.rename(columns=clash)
    return df.assign(source=pd.Series(origin, index=df.index, dtype="string"),
                     source_file=pd.Series(rel, index=df.index, dtype="string"))


def assemble(frames: Mapping[str, pd.DataFrame], inputs: list[_Input]) -> list[_Output]:
    """The processed tables from the validated inputs.

    Every row gets ``source`` (``article``, ``geo``, ``simulated`` or ``user``) and
    ``source_file`` (path under the raw folder). The user files of a kind are stacked; where
    they hold a county, the simulated rows of that kind and county are dropped, and the table
    is named without ``_simulated`` (:func:`table_name`); a kind with no user rows keeps its
    simulated table ``<name>_simulated``. Own programs become ``own_programs`` with a stable
    ``program_id`` (``own-`` + 10 hex digits of the sha256 of program, organization, county)
    and ``declared_by = "user"``.
    """
    outs: list[_Output] = []
    users: dict[str, list[_Input]] = {}
    for inp in inputs:
        if inp.origin == "user":
            users.setdefault(inp.kind, []).append(inp)
    for inp in inputs:
        if inp.kind in ("source", "sidecar") or inp.origin == "user":
            continue
        df = _with_source(frames[inp.table], inp.origin, inp.rel)
        if inp.origin == "simulated" and inp.kind in users:
            continue  # merged with the user rows below
        outs.append(_Output(inp.table, inp.kind, df, (inp,)))
    sims = {i.kind: i for i in inputs if i.origin == "simulated"}
    for kind, ins in users.items():
        parts = [_with_source(frames[i.table], "user", i.rel) for i in ins]
        user = pd.concat(parts, ignore_index=True)
        used = list(ins)
        if kind in sims:
            sim = _with_source(frames[sims[kind].table], "simulated", sims[kind].rel)
            sim = sim[~sim["county_code"].astype(str).isin(set(user["county_code"].astype(str)))]
            user = pd.concat([user, sim], ignore_index=True)
            used.append(sims[kind])
        if kind == "own_programs":
            key = user["program"].astype(str) + "\x1f" + user["organization"].astype(str) + "\x1f" \
                + user["county_code"].astype(str)
            user.insert(0, "program_id", ["own-" + hashlib.sha256(k.encode()).hexdigest()[:10] for k in key])
            user["declared_by"] = pd.Series("user", index=user.index, dtype="string")
        outs.append(_Output(table_name(kind), kind, user, tuple(used)))
    return outs


def provenance_rows(outputs: list[_Output]) -> list[dict[str, Any]]:
    """Rows per table, county and source (``table, county_code, source, source_file, rows``;
    ``county_code`` empty for tables without one), recorded in ``manifest.json``."""
    rows: list[dict[str, Any]] = []
    for o in outputs:
        df = o.frame
        cols = ["source", "source_file"] + (["county_code"] if "county_code" in df.columns else [])
        g = df[cols].astype("string").fillna("").value_counts(sort=False).reset_index(name="rows")
        for r in g.sort_values(cols, kind="stable").itertuples(index=False):
            rows.append({"table": o.table, "county_code": getattr(r, "county_code", "") or "",
                         "source": r.source, "source_file": r.source_file, "rows": int(r.rows)})
    return rows


# --------------------------------------------------------------------------- build


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


# --------------------------------------------------------------------------- swap and signals

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


# --------------------------------------------------------------------------- load


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


# --------------------------------------------------------------------------- raw-data guard


def _raw_files(raw: Path) -> list[Path]:
    files = []
    for p in sorted(raw.rglob("*")):
        rel = p.relative_to(raw)
        if p.name == config.RAW_MANIFEST.name or (not p.is_file() and not p.is_symlink()):
            continue
        if p.is_symlink() and not p.exists():  # a loop or a dangling link: hashing names it
            files.append(p)
            continue
        if not p.is_file():
            continue
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts) or p.suffix == ".tmp":
            continue
        files.append(p)
    return files


def raw_hashes(raw: str | os.PathLike[str] = config.DATA_RAW) -> dict[str, str]:
    """sha256 of every file under ``raw`` (relative POSIX path -> hex digest), hidden files left out."""
    raw = Path(raw)
    hashes: dict[str, str] = {}
    problems: list[Problem] = []
    for p in _raw_files(raw):
        try:
            hashes[p.relative_to(raw).as_posix()] = sha256_file(p)
        except InputError as err:
            problems.extend(err.problems)
    if problems:
        raise InputError(problems, title=f"{raw}: unreadable raw files")
    return hashes


def _manifest_text(hashes: Mapping[str, str]) -> str:
    return "".join(f"{h}  {rel}\n" for rel, h in sorted(hashes.items()))


def write_raw_manifest(raw: str | os.PathLike[str] = config.DATA_RAW) -> Path:
    """Regenerate ``raw/MANIFEST.sha256`` (``sha256sum -c`` compatible)."""
    raw = Path(raw)
    return write_text(_manifest_text(raw_hashes(raw)), raw / config.RAW_MANIFEST.name, allow_raw=True)


def check_raw_manifest(raw: str | os.PathLike[str] = config.DATA_RAW) -> dict[str, str]:
    """Compare the files under ``raw`` with ``raw/MANIFEST.sha256``.

    Returns the hashes when they match; raises :class:`InputError` naming every
    changed, added or missing file otherwise.
    """
    raw = Path(raw)
    path = raw / config.RAW_MANIFEST.name
    name = f"data/raw/{path.name}" if raw.resolve() == config.DATA_RAW.resolve() else str(path)
    if not path.is_file():
        raise InputError(Problem(name, None, None, "no such file", "a manifest of raw files (run `impact data manifest`)"))
    recorded: dict[str, str] = {}
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        digest, _, rel = line.partition("  ")
        recorded[rel.strip()] = digest.strip()
    current = raw_hashes(raw)
    problems: list[Problem] = []
    for rel in sorted(set(recorded) | set(current)):
        if rel not in current:
            problems.append(Problem(name, None, None, rel, "a file listed in the manifest (missing from data/raw/)"))
        elif rel not in recorded:
            problems.append(Problem(name, None, None, rel, "every raw file listed (new file not in the manifest)"))
        elif recorded[rel] != current[rel]:
            problems.append(Problem(name, None, None, f"{rel} sha256 {current[rel][:12]}…",
                                    f"sha256 {recorded[rel][:12]}… as recorded (raw data changed)"))
    if problems:
        raise InputError(problems, title="data/raw/ differs from its manifest; if the change is intended, "
                                         "run `impact data manifest`")
    return current
