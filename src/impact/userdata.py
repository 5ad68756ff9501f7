"""A user's own tables: read them as county offices write them, check them, add them to ``data/raw/user/``.

:func:`read_user_table` turns a CSV/XLSX/Parquet file into a validated table of one
of :data:`impact.schemas.USER_KINDS`:

1. headers: a ``--map`` mapping first (:func:`read_mapping`), then each column's
   name, its 字段 name and the variants of :func:`impact.schemas.match_header`
   (units in brackets, full-width brackets, spaces);
2. the kind: ``kind=`` or, when only one kind's required columns are all present,
   that kind (:func:`detect_kind`);
3. shapes and derivations, each recorded as a note: plot trials in wide form
   (对照亩产 / 试验亩产 on one row) become two plots of one pair; per-capita income
   (人均收入) times household size becomes household income; patient records
   without an id get ``<file>-r<row>``, without a before/after period get it from
   the county's first health program (own programs, then the article's registry);
   county panels get names and prefectures from the county code;
4. values: 是/否, 有/无, 男/女, ... (:func:`impact.schemas.normalise_values`),
   county names resolved by :func:`impact.geo.resolve_county`, units in a header's
   brackets (万元, 斤/亩, 公顷) converted to the column's unit;
5. :func:`impact.schemas.validate`, with problems naming the spreadsheet rows of
   the file as written.

:func:`add` (``impact data add``) copies a valid file byte for byte into
``data/raw/user/`` with a sidecar ``<file>.impact.json`` (kind, sheet, mapping,
sha256) and records both in ``data/raw/MANIFEST.sha256``; ``impact data build``
then reads every user table (:func:`user_inputs`).

Jobs by module: :mod:`impact.userdata_headers` (headers, mapping, kind),
:mod:`impact.userdata_prepare` (translating to the kind's columns), :mod:`impact.userdata_read`
(reading and validating a file); this module lists and adds user files.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from impact import config
from impact.errors import InputError, Problem
from impact.schemas import (
    SPECS,
)
from impact.userdata_cohort import design_cohorts
from impact.userdata_headers import DATA_SUFFIXES, detect_kind, read_headers, read_mapping
from impact.userdata_prepare import UserTable, health_starts, prepare
from impact.userdata_read import read_user_table, suggest_mapping

__all__ = [
    "USER_DIR",
    "SIDECAR_SUFFIX",
    "UserTable",
    "UserFile",
    "read_mapping",
    "read_headers",
    "detect_kind",
    "prepare",
    "read_user_table",
    "suggest_mapping",
    "health_starts",
    "user_inputs",
    "add",
]


#: The user-data folder, relative to the raw folder.
USER_DIR = "user"


#: Sidecar written by :func:`add` next to each user file: ``<file>.impact.json``.
SIDECAR_SUFFIX = ".impact.json"


#: Files of the user folder that are neither tables nor sidecars.
_USER_DOCS = ("README.md",)


@dataclass(frozen=True)
class UserFile:
    """One table of ``data/raw/user/``: its path, ``rel`` (relative to the raw folder), kind,
    sheet and mapping (from its sidecar, or detected from its headers)."""

    path: Path
    rel: str
    kind: str
    sheet: str | None = None
    mapping: Mapping[str, str] | None = None


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def user_inputs(raw: str | os.PathLike[str]) -> tuple[list[UserFile], list[Problem]]:
    """The user tables under ``raw/user/`` (own programs first) and the problems of the folder:
    files that are not tables, sidecars without their table, tables whose kind cannot be told.
    Nothing there is ever skipped without a problem naming it."""
    folder = Path(raw) / USER_DIR
    found: list[UserFile] = []
    probs: list[Problem] = []
    if not folder.is_dir():
        return found, probs
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(raw).as_posix()
        if p.is_dir() or p.name.startswith(".") or p.suffix == ".tmp":
            continue
        if p.parent != folder:
            probs.append(Problem(rel, None, None, rel, "a file directly in data/raw/user/ (no sub-folders)"))
            continue
        if p.name.endswith(SIDECAR_SUFFIX):
            if not p.with_name(p.name[: -len(SIDECAR_SUFFIX)]).is_file():
                probs.append(Problem(rel, None, None, "a sidecar without its table",
                                     f"the table {p.name[: -len(SIDECAR_SUFFIX)]} next to it (or delete the sidecar)"))
            continue
        if p.name in _USER_DOCS:
            continue
        if p.suffix.lower() not in DATA_SUFFIXES:
            probs.append(Problem(rel, None, None, p.name, f"a table file ({', '.join(DATA_SUFFIXES)}); "
                                 "move other files out of data/raw/user/"))
            continue
        meta: dict[str, Any] = {}
        side = _sidecar(p)
        if side.is_file():
            try:
                meta = json.loads(side.read_text(encoding="utf-8"))
            except ValueError as err:
                probs.append(Problem(side.relative_to(raw).as_posix(), None, None, str(err), "JSON written by impact data add"))
                continue
        kind = meta.get("kind")
        try:
            if kind is None:
                kind = detect_kind(read_headers(p, sheet=meta.get("sheet")), file=rel, mapping=meta.get("map"))
        except InputError as err:
            probs.extend(err.problems)
            continue
        found.append(UserFile(p, rel, kind, meta.get("sheet"), meta.get("map")))
    found.sort(key=lambda u: (u.kind != "own_programs", u.rel))
    return found, probs


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _registry_frames(raw: Path) -> dict[str, pd.DataFrame]:
    from impact.io import read_table  # noqa: PLC0415

    out = {}
    for name in ("programs", "program_sites", "pairings"):
        p = raw / "registry" / f"{name}.csv"
        if p.is_file():
            out[name] = read_table(p, dtype=str)
    return out


def _overlap(a: UserTable, b: pd.DataFrame, b_file: str) -> Problem | None:
    key = list(SPECS[a.kind].key)
    both = a.frame[key].merge(b[key].drop_duplicates(), on=key, how="inner")
    if both.empty:
        return None
    first = tuple(v.item() if isinstance(v, np.generic) else v for v in both.iloc[0].tolist())
    return Problem(a.file, None, ", ".join(key), first if len(first) > 1 else first[0],
                   f"rows not already given by {b_file} ({len(both)} {' + '.join(key)} in both files): "
                   f"two files may not hold the same rows / 两个文件不能包含相同的记录")


def add(
    files: Sequence[str | os.PathLike[str]],
    *,
    raw: str | os.PathLike[str] = config.DATA_RAW,
    kind: str | None = None,
    mapping: str | os.PathLike[str] | Mapping[str, str] | None = None,
    sheet: str | None = None,
) -> list[UserTable]:
    """Validate ``files`` and copy them into ``raw/user/`` (``impact data add``).

    Each file is read as :func:`read_user_table` reads it; all must be valid before any is
    copied. A file is copied byte for byte with a sidecar ``<name>.impact.json`` (kind,
    sheet, mapping, sha256), and both are added to ``raw/MANIFEST.sha256``. Adding the same
    bytes again changes nothing; a different file with the name of an added one, or a file
    holding rows (same key) that another user file of the kind already holds, is an error
    naming both files. Returns the validated tables.
    """
    from impact.io import atomic_path, write_text  # noqa: PLC0415

    raw = Path(raw)
    dest = raw / USER_DIR
    if mapping is not None and not isinstance(mapping, Mapping):
        mapping = read_mapping(mapping)
    paths = [Path(f) for f in files]
    existing, probs = user_inputs(raw)
    if probs:
        raise InputError(probs, title=f"{dest}: the user folder has files the build cannot read")
    reg = _registry_frames(raw)
    tables: list[UserTable] = []
    problems: list[Problem] = []
    # own programs first: they date the health programs that patient records may need
    kinds = {p: kind or detect_kind(read_headers(p, sheet=sheet), file=p.name, mapping=mapping) for p in paths}
    order = sorted(paths, key=lambda p: kinds[p] != "own_programs")
    own = [read_user_table(u.path, kind=u.kind, sheet=u.sheet, mapping=u.mapping, file=u.rel).frame
           for u in existing if u.kind == "own_programs"]
    for p in order:
        if p.resolve().parent == dest.resolve():
            problems.append(Problem(str(p), None, None, "a file already in data/raw/user/",
                                    "a file outside the raw folder to add"))
            continue
        health = health_starts(pd.concat(own, ignore_index=True) if own else None, reg)
        cohorts = design_cohorts(raw, reg, pd.concat(own, ignore_index=True) if own else None) \
            if kinds[p] == "county_panel" else None
        try:
            t = read_user_table(p, kind=kind, mapping=mapping, sheet=sheet, health=health, cohorts=cohorts)
        except InputError as err:
            problems.extend(err.problems)
            continue
        tables.append(t)
        if t.kind == "own_programs":
            own.append(t.frame)
    if problems:
        raise InputError(problems, title="nothing added: invalid file(s) / 未添加：文件有误")
    # same name, other bytes; same rows as another user file
    for p, t in zip(order, tables):
        target = dest / p.name
        if target.is_file() and _sha256(target) != _sha256(p):
            problems.append(Problem(p.name, None, None, f"a different data/raw/user/{p.name} exists",
                                    "a new file name (or delete the old file first) / 文件名已存在"))
    for i, t in enumerate(tables):
        for u in existing:
            if u.kind == t.kind and u.path.name != Path(order[i]).name:
                frame = read_user_table(u.path, kind=u.kind, sheet=u.sheet, mapping=u.mapping, file=u.rel,
                                        health=health_starts(pd.concat(own, ignore_index=True) if own else None,
                                                             reg)).frame
                pr = _overlap(t, frame, u.rel)
                if pr:
                    problems.append(pr)
        for j in range(i):
            if tables[j].kind == t.kind:
                pr = _overlap(t, tables[j].frame, tables[j].file)
                if pr:
                    problems.append(pr)
    if problems:
        raise InputError(problems, title="nothing added: files clash / 未添加：文件冲突")
    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for p, t in zip(order, tables):
        target = dest / p.name
        if target.is_file():
            t.notes.insert(0, "already in data/raw/user/ with the same content: unchanged / 已存在且内容相同，未改动")
        with atomic_path(target, allow_raw=True) as tmp:
            shutil.copyfile(p, tmp)
        meta = {"kind": t.kind, "sheet": sheet, "map": dict(mapping) if mapping else None,
                "original_name": p.name, "sha256": _sha256(target), "notes": t.notes}
        side = write_text(json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n", _sidecar(target),
                          allow_raw=True)
        written += [target, side]
    _update_manifest(raw, written)
    return tables


def _update_manifest(raw: Path, paths: Sequence[Path]) -> None:
    """Add or replace the lines of ``paths`` in ``raw/MANIFEST.sha256`` (other lines untouched)."""
    from impact.io import write_text  # noqa: PLC0415

    manifest = raw / config.RAW_MANIFEST.name
    lines: dict[str, str] = {}
    if manifest.is_file():
        for line in manifest.read_text(encoding="utf-8").splitlines():
            digest, _, rel = line.partition("  ")
            if rel.strip():
                lines[rel.strip()] = digest.strip()
    for p in paths:
        lines[p.relative_to(raw).as_posix()] = _sha256(p)
    write_text("".join(f"{h}  {rel}\n" for rel, h in sorted(lines.items())), manifest, allow_raw=True)
