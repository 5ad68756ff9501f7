"""Reading input tables and writing outputs atomically.

Readers
    :func:`read_table` reads CSV (UTF-8, UTF-8 with BOM, GBK/GB18030 as county
    offices often save), XLSX (first sheet or a named one, single header row) and
    Parquet. The encoding of a CSV file is found by strict decoding: UTF-8 first,
    then GB18030 (a superset of GBK and GB2312). No character is ever replaced;
    bytes that decode in neither raise :class:`~impact.errors.InputError` naming
    the byte offset and line.

Writers
    :func:`atomic_path` yields a temporary path in the target's folder and moves
    it over the target with :func:`os.replace` only when the block succeeds, so a
    reader never sees a half-written file. :func:`write_parquet`,
    :func:`write_text` and :func:`write_json` use it. Every writer refuses a target
    under :data:`impact.config.DATA_RAW` (raw data is immutable) unless called with
    ``allow_raw=True`` by the scripts that regenerate raw files.
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
from impact.errors import ImpactError, InputError, Problem

__all__ = [
    "READABLE_SUFFIXES",
    "read_table",
    "decode_csv_bytes",
    "atomic_path",
    "write_parquet",
    "write_text",
    "write_json",
    "read_parquet_metadata",
    "is_under",
    "make_temp_dir",
]

#: File suffixes :func:`read_table` understands.
READABLE_SUFFIXES: tuple[str, ...] = (".csv", ".xlsx", ".parquet")

#: Encodings tried, in order, by strict decoding of a CSV file.
CSV_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "gb18030")


# --------------------------------------------------------------------------- reading


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode_csv_bytes(data: bytes, *, file: str = "<bytes>") -> tuple[str, str]:
    """Decode CSV bytes strictly; return ``(text, encoding)``.

    Tries UTF-8 (a BOM is dropped) and then GB18030 (which reads GBK and GB2312).
    Raises :class:`InputError` at the first byte neither can decode. A file whose
    bytes before the first invalid one already hold Chinese text in valid UTF-8 is
    taken as a damaged UTF-8 file (error at that byte), not re-read as GB18030.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            Problem(file, None, None, "UTF-16 byte-order mark",
                    "a CSV file encoded as UTF-8 or GBK (in Excel: Save As > 'CSV UTF-8')")
        )
    try:
        return data.decode("utf-8-sig", errors="strict"), "utf-8"
    except UnicodeDecodeError as err:
        utf8_error = err
    # Valid multi-byte UTF-8 before the bad byte means a UTF-8 file with a corrupt or
    # mixed-in byte, not a GBK file: decoding it as GB18030 would garble it silently.
    prefix = data[: utf8_error.start].decode("utf-8-sig")
    looks_utf8 = sum("\u4e00" <= ch <= "\u9fff" for ch in prefix) >= 2
    off = utf8_error.start
    if not looks_utf8:
        try:
            return data.decode("gb18030", errors="strict"), "gb18030"
        except UnicodeDecodeError as err:
            off = err.start
    bad = data[off : off + 4]
    raise InputError(
        Problem(
            file,
            None,
            None,
            f"undecodable bytes {bad.hex(' ')} at byte offset {off} (line {_line_of(data, off)})",
            "text encoded as UTF-8 or GBK/GB18030",
        )
    )


def _read_csv(path: Path, file: str, dtype: Any) -> pd.DataFrame:
    data = path.read_bytes()
    text, _enc = decode_csv_bytes(data, file=file)
    if not text.strip().lstrip("\ufeff").strip():
        raise InputError(Problem(file, None, None, "an empty file", "a header row followed by data rows"))
    import io as _io

    try:
        # blank lines are kept (as empty rows) so that row numbers match a spreadsheet's
        df = pd.read_csv(_io.StringIO(text), dtype=dtype, skip_blank_lines=False)
    except pd.errors.ParserError as err:
        raise InputError(Problem(file, None, None, str(err).strip(),
                                 "a well-formed CSV table (same number of fields on every line)")) from None
    empty = df.isna().all(axis=1).to_numpy()
    n = len(df)
    while n and empty[n - 1]:
        n -= 1
    return df.iloc[:n]


def _col_letter(idx: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(idx)


def _read_xlsx(path: Path, file: str, sheet: str | int | None, dtype: Any) -> pd.DataFrame:
    import zipfile

    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=False, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
        raise InputError(Problem(file, None, None, f"unreadable workbook ({err})", "an Excel .xlsx workbook")) from None
    try:
        if sheet is None:
            ws = wb.worksheets[0]
        elif isinstance(sheet, int):
            ws = wb.worksheets[sheet]
        else:
            if sheet not in wb.sheetnames:
                raise InputError(Problem(file, None, None, sheet, f"a sheet named one of {wb.sheetnames}"))
            ws = wb[sheet]
        where = f"{file} [sheet {ws.title}]"
        # Merged cells in the first rows mean a title row or a multi-row header.
        merged = [r for r in ws.merged_cells.ranges if r.min_row <= 2]
        if merged:
            rng = merged[0]
            raise InputError(
                Problem(
                    where,
                    rng.min_row,
                    None,
                    f"merged header cells {rng.coord}",
                    "a single header row in row 1 with one column name per cell and no merged cells "
                    "(unmerge the cells and put one name per column)",
                )
            )
        rows = list(ws.iter_rows(values_only=True))
    finally:
        wb.close()
    # Drop trailing completely empty rows and columns.
    rows = [list(r) for r in rows]
    while rows and all(v is None or (isinstance(v, str) and not v.strip()) for v in rows[-1]):
        rows.pop()
    if not rows:
        raise InputError(Problem(where, None, None, "an empty sheet", "a header row followed by data rows"))
    width = max((i + 1 for r in rows for i, v in enumerate(r) if v is not None), default=0)
    rows = [(r + [None] * width)[:width] for r in rows]
    header = rows[0]
    for j, name in enumerate(header):
        if name is None or (isinstance(name, str) and not name.strip()):
            has_data = any(r[j] is not None for r in rows[1:])
            if has_data:
                raise InputError(
                    Problem(
                        where,
                        1,
                        _col_letter(j + 1),
                        "an empty header cell above data",
                        "a single header row in row 1 with a column name in every used column "
                        "(a header spread over several rows is not supported)",
                    )
                )
    names = [str(h).strip() if h is not None else f"Unnamed: {j}" for j, h in enumerate(header)]
    df = pd.DataFrame(rows[1:], columns=names, dtype=object)
    if dtype is not None:
        df = df.astype(dtype) if dtype is not str else df.map(lambda v: v if v is None else str(v))
    return df


def read_table(path: str | os.PathLike[str], *, sheet: str | int | None = None, dtype: Any = None) -> pd.DataFrame:
    """Read a CSV, XLSX or Parquet table into a DataFrame.

    Parameters
    ----------
    path : file to read; its suffix (``.csv``, ``.xlsx``, ``.parquet``) picks the reader.
    sheet : XLSX only: sheet name or 0-based position (default: the first sheet).
    dtype : passed to the CSV reader (``str`` keeps every cell as written, which
        :func:`impact.schemas.validate` prefers); XLSX cells keep their Excel types
        unless ``dtype=str``; ignored for Parquet.

    Returns a DataFrame with a fresh ``RangeIndex``; data row ``i`` (0-based) is
    spreadsheet row ``i + 2`` (the header is row 1).

    Raises :class:`InputError` for a missing or empty file, an unknown suffix,
    undecodable bytes (with byte offset and line), merged or multi-row Excel
    headers, and unreadable Parquet.
    """
    p = Path(path)
    file = p.name
    suffix = p.suffix.lower()
    if suffix not in READABLE_SUFFIXES:
        hint = " (old Excel format: save it as .xlsx)" if suffix == ".xls" else ""
        raise InputError(Problem(file, None, None, f"file extension {suffix or '(none)'!r}{hint}",
                                 f"one of {', '.join(READABLE_SUFFIXES)}"))
    if not p.is_file():
        raise InputError(Problem(str(p), None, None, "no such file", "an existing file"))
    if p.stat().st_size == 0:
        raise InputError(Problem(file, None, None, "an empty file (0 bytes)", "a header row followed by data rows"))
    if suffix == ".csv":
        df = _read_csv(p, file, dtype)
    elif suffix == ".xlsx":
        df = _read_xlsx(p, file, sheet, dtype)
    else:
        import pyarrow as pa

        try:
            df = pd.read_parquet(p)
        except (pa.ArrowException, OSError, ValueError) as err:
            raise InputError(Problem(file, None, None, f"unreadable Parquet ({err})", "a Parquet file")) from None
    return df.reset_index(drop=True)


def read_parquet_metadata(path: str | os.PathLike[str]) -> dict[str, str]:
    """Key-value metadata of a Parquet file (decoded; pandas' own key left out)."""
    import pyarrow.parquet as pq

    meta = pq.read_schema(path).metadata or {}
    return {k.decode(): v.decode() for k, v in meta.items() if k != b"pandas"}


# --------------------------------------------------------------------------- writing


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
