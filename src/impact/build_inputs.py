"""What ``impact data build`` reads: the inputs under ``data/raw`` (registry, simulated, user and
evaluation tables) with their hashes, each validated against its schema and checked across
tables (county names, quotes, user rows shadowing simulated ones).
"""

from __future__ import annotations

import errno
import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from impact import config
from impact.design_definitions import KEY_COUNTIES_FILE
from impact.digest import code_digest, file_sha256
from impact.errors import ImpactError, InputError, Problem
from impact.io import (
    read_table,
)
from impact.schemas import ExtraColumnWarning, kind_for_file, validate

#: Registry tables, in the order they are validated (referenced tables first).
REGISTRY_TABLES: tuple[str, ...] = ("organizations", "pairings", "programs", "program_sites", "facts")


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
            ok = len(rel.parts) == 2 and (p.name in registry or p.name in ("README.md", KEY_COUNTIES_FILE))
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
    key = raw / "registry" / KEY_COUNTIES_FILE
    if key.is_file():  # the sourced key-county list (impact.design): pairing waves of user county panels
        found.append(_Input("key_counties", "key_counties", key, f"registry/{KEY_COUNTIES_FILE}", False, "article"))
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
        if inp.kind == "key_counties":
            from impact.design import key_counties  # noqa: PLC0415

            try:
                key_counties(inp.path)
            except InputError as err:
                problems.extend(err.problems)
                bad_files.append(inp.rel)
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

    own_df = pd.concat(own, ignore_index=True) if own else None
    health = health_starts(own_df, {k: frames[k] for k in ("programs", "program_sites") if k in frames})
    cohorts = None
    if inp.kind == "county_panel":  # pairing waves from the design (user/ sits in the raw folder)
        from impact.userdata_cohort import design_cohorts  # noqa: PLC0415

        cohorts = design_cohorts(inp.path.parents[1], {k: frames[k] for k in ("programs", "program_sites", "pairings")
                                                       if k in frames}, own_df)
    return read_user_table(inp.path, kind=inp.kind, mapping=inp.mapping, sheet=inp.sheet, health=health,
                           cohorts=cohorts, file=inp.rel).frame


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
