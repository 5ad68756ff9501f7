"""``data/raw/MANIFEST.sha256``: the content hash of every raw file, written by
``write_raw_manifest`` and checked by ``check_raw_manifest`` (raw data is immutable).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from impact import config
from impact.build_inputs import sha256_file
from impact.errors import InputError, Problem
from impact.io import (
    write_text,
)


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
