"""Writing processed files atomically (a temporary sibling renamed into place), never under
``data/raw``; CSV and Excel cells neutralised so no value is read as a formula.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from impact import config
from impact.errors import ImpactError


def is_under(path: str | os.PathLike[str], folder: str | os.PathLike[str]) -> bool:
    """True when ``path`` is ``folder`` or inside it (after resolving links)."""
    p = Path(path).resolve()
    f = Path(folder).resolve()
    return p == f or f in p.parents


def _guard(target: Path, allow_raw: bool) -> None:
    if not allow_raw and is_under(target, config.DATA_RAW):
        raise ImpactError(
            f"refusing to write {target}: data/raw/ is immutable input "
            "(write to data/processed/ or elsewhere; regeneration scripts pass allow_raw=True)"
        )


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def make_temp_dir(near: str | os.PathLike[str], *, tag: str = "tmp") -> Path:
    """A new empty folder beside ``near`` (same file system), with the usual permissions."""
    near = Path(near)
    near.parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f".{near.name}.{tag}-", suffix=".tmp", dir=near.parent))
    os.chmod(path, 0o777 & ~_umask())
    return path


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], *, allow_raw: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; move it over ``target`` on success.

    The temporary file lives in the same folder (so :func:`os.replace` is an
    atomic rename on one file system) and is removed if the block raises.
    Refuses targets under ``data/raw/`` unless ``allow_raw=True``.
    """
    target = Path(target)
    _guard(target, allow_raw)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def write_parquet(
    df: pd.DataFrame,
    path: str | os.PathLike[str],
    metadata: Mapping[str, Any] | None = None,
    *,
    allow_raw: bool = False,
) -> Path:
    """Write ``df`` to Parquet atomically, adding string key-value ``metadata``.

    Metadata values are stored as strings (``str(v)``; dicts and lists as JSON).
    The index is not written.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    if metadata:
        extra = {
            str(k).encode(): (json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else str(v)).encode()
            for k, v in metadata.items()
        }
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **extra})
    path = Path(path)
    with atomic_path(path, allow_raw=allow_raw) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return path


def write_text(text: str, path: str | os.PathLike[str], *, encoding: str = "utf-8", allow_raw: bool = False) -> Path:
    """Write ``text`` atomically (UTF-8 by default, ``\\n`` line ends)."""
    path = Path(path)
    with atomic_path(path, allow_raw=allow_raw) as tmp:
        with open(tmp, "w", encoding=encoding, newline="\n") as fh:
            fh.write(text)
    return path


def write_json(obj: Any, path: str | os.PathLike[str], *, allow_raw: bool = False) -> Path:
    """Write ``obj`` as indented UTF-8 JSON (keys sorted, non-ASCII kept) atomically."""
    text = json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n"
    return write_text(text, path, allow_raw=allow_raw)


def check_output_dir(path: str | os.PathLike[str], *, what: str = "--out") -> Path:
    """Check that a folder can be written before a command starts; return it resolved.

    Writes (and removes) a temporary file in the folder or its nearest existing
    parent; creates nothing. Raises :class:`ImpactError` (one line naming the path) when ``path`` is under
    ``data/raw/`` (immutable input), is an existing file, has a file among its
    parents, or cannot be created or written (permissions, read-only file system).
    """
    p = Path(path).expanduser()
    try:
        target = p.resolve()
    except (OSError, RuntimeError) as err:  # a symlink loop on the way
        raise ImpactError(f"{what} {path}: not a usable path ({err})") from None
    if is_under(target, config.DATA_RAW):
        raise ImpactError(f"{what} {path}: refusing to write inside data/raw/ (raw data is immutable); "
                          "choose another folder, e.g. reports/")
    if target.exists() and not target.is_dir():
        raise ImpactError(f"{what} {path}: is a file, not a folder; choose a folder")
    existing = target
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ImpactError(f"{what} {path}: {existing} is a file, so no folder can be made below it")
    try:  # the only reliable test (read-only file systems, /proc, root): write a file where the folder goes
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as err:
        raise ImpactError(f"{what} {path}: cannot write there ({err.strerror or err}); "
                          "choose a folder you may write to") from None
    return target


#: First characters that make Excel, LibreOffice or WPS read a cell as a formula (OWASP
#: "CSV injection"), with their full-width forms, which some input methods convert.
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def neutralise_cell(value: Any) -> Any:
    """Return ``value`` safe to put in a spreadsheet cell or CSV field.

    A string whose first non-blank character is one of :data:`FORMULA_TRIGGERS`
    gets a leading apostrophe (``'=1+1``), which spreadsheets show as text and
    never evaluate (OWASP CSV-injection rule). Numbers, dates, missing values and
    other strings are returned unchanged, so a negative number stays a number;
    only text that *looks* like ``-5`` is prefixed.
    """
    if not isinstance(value, str) or not value:
        return value
    stripped = value.lstrip(" \u3000")
    if stripped and stripped[0] in FORMULA_TRIGGERS or value[0] in FORMULA_TRIGGERS:
        return "'" + value
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``df`` with :func:`neutralise_cell` applied to every text cell and column name."""
    safe = df.copy()
    for c in safe.columns:
        if safe[c].dtype == object or isinstance(safe[c].dtype, pd.StringDtype):
            safe[c] = safe[c].map(neutralise_cell, na_action="ignore")
    safe.columns = [neutralise_cell(c) for c in safe.columns]
    return safe


def write_csv(df: pd.DataFrame, path: str | os.PathLike[str], *, allow_raw: bool = False,
              encoding: str = "utf-8-sig") -> Path:
    """Write ``df`` as CSV atomically, text cells neutralised by :func:`neutralise_cell`.

    UTF-8 with BOM by default, so Excel opens Chinese text correctly; CRLF line ends.
    """
    safe = neutralise_frame(df)
    path = Path(path)
    with atomic_path(path, allow_raw=allow_raw) as tmp:
        # RFC 4180 line ends: a field holding CR or LF is then quoted, never split into rows
        safe.to_csv(tmp, index=False, encoding=encoding, lineterminator="\r\n")
    return path
