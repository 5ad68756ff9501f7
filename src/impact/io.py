"""Reading input tables and writing outputs atomically.

Readers
    :func:`read_table` reads CSV (UTF-8, UTF-8 with BOM, GBK/GB18030 as county
    offices often save), XLSX (first sheet or a named one, single header row) and
    Parquet. The encoding of a CSV file is found by strict decoding: UTF-8 first,
    then GB18030 (a superset of GBK and GB2312), accepted only when the text is
    clearly Simplified Chinese (see :func:`decode_csv_bytes`); anything else (Big5,
    Shift-JIS, Latin-1, UTF-16) is refused with how to re-save the file, and
    ``encoding=`` overrides the detection. No character is ever replaced; bytes
    that do not decode raise :class:`~impact.errors.InputError` naming the byte
    offset and line. Cells are kept as written (``NA`` stays the text ``NA``),
    duplicated header names and XLSX formulas without a saved result are errors.

Writers
    :func:`atomic_path` yields a temporary path in the target's folder and moves
    it over the target with :func:`os.replace` only when the block succeeds, so a
    reader never sees a half-written file. :func:`write_parquet`,
    :func:`write_text` and :func:`write_json` use it. Every writer refuses a target
    under :data:`impact.config.DATA_RAW` (raw data is immutable) unless called with
    ``allow_raw=True`` by the scripts that regenerate raw files;
    :func:`check_output_dir` gives the same refusal (and clear errors for odd
    paths) to commands before they start. :func:`neutralise_cell` is the OWASP
    rule against formula injection, applied by :func:`write_csv` and by the
    workbook writers.

Interruptions
    :func:`terminate_raises` turns SIGTERM into :class:`Interrupted` (a
    ``KeyboardInterrupt``, like SIGINT) so that clean-up code runs and the command
    exits non-zero.
"""

from __future__ import annotations

import contextlib
import csv
import io as _io
import json
import os
import re
import signal
import tempfile
import threading
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from impact import config
from impact.errors import ImpactError, InputError, Problem

__all__ = [
    "READABLE_SUFFIXES",
    "Interrupted",
    "terminate_raises",
    "check_output_dir",
    "neutralise_cell",
    "neutralise_frame",
    "write_csv",
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


_ASCII_RUNS = re.compile("[\x00-\x7f]+")


def _gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _encoding_error(data: bytes, off: int, file: str, expected: str) -> InputError:
    bad = data[off : off + 4]
    return InputError(Problem(file, None, None,
                              f"undecodable bytes {bad.hex(' ')} at byte offset {off} (line {_line_of(data, off)})",
                              expected))


_RESAVE = "re-save it as 'CSV UTF-8' (Excel: Save As > CSV UTF-8; WPS/LibreOffice: choose UTF-8)"


def _decode_as(data: bytes, encoding: str, file: str) -> str:
    import codecs

    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise InputError(Problem(file, None, None, f"encoding {encoding!r}",
                                 "a Python codec name such as utf-8, gbk, gb18030, big5")) from None
    try:
        text = data.decode("utf-8-sig" if codec == "utf-8" else codec, errors="strict")
    except UnicodeDecodeError as err:
        raise _encoding_error(data, err.start, file, f"text encoded as {encoding} (as given with --encoding)") from None
    return text.lstrip("\ufeff")


def decode_csv_bytes(data: bytes, *, file: str = "<bytes>", encoding: str | None = None) -> tuple[str, str]:
    """Decode CSV bytes strictly; return ``(text, encoding)``.

    Parameters
    ----------
    data : the file's bytes.
    file : name used in error messages.
    encoding : a codec name (``"big5"``, ``"gbk"``, ...) to use instead of detecting.

    Notes
    -----
    Detection tries UTF-8 (a BOM is dropped) and then GB18030 (which reads GBK and
    GB2312). GB18030 accepts almost any byte pairs, so a Big5, Shift-JIS or Latin-1
    file "decodes" into wrong characters; the decoded text is therefore accepted as
    GBK only when it is clearly Simplified Chinese: among its distinct non-ASCII
    characters, those outside GB2312 (the 7,445 common characters and symbols) are
    none when the bytes are also valid Big5, and fewer than 3 or under 25 %
    otherwise. Otherwise :class:`InputError` says what the file looks like and how
    to re-save it (or to pass ``encoding``). A file whose bytes before the first
    invalid UTF-8 byte hold Chinese text in valid UTF-8 is a damaged UTF-8 file
    (error at that byte), never re-read as GB18030.
    """
    if encoding:
        return _decode_as(data, encoding, file), encoding
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            Problem(file, None, None, "UTF-16 byte-order mark",
                    "a CSV file encoded as UTF-8 or GBK (in Excel: Save As > 'CSV UTF-8')")
        )
    if b"\x00" in data[:4096]:
        raise InputError(Problem(file, None, None, "NUL bytes (a binary file or UTF-16 text without a byte-order mark)",
                                 f"a text CSV file: {_RESAVE}"))
    try:
        return data.decode("utf-8-sig", errors="strict"), "utf-8"
    except UnicodeDecodeError as err:
        utf8_error = err
    # Valid multi-byte UTF-8 before the bad byte means a UTF-8 file with a corrupt or
    # mixed-in byte, not a GBK file: decoding it as GB18030 would garble it silently.
    prefix = data[: utf8_error.start].decode("utf-8-sig")
    looks_utf8 = sum("\u4e00" <= ch <= "\u9fff" for ch in prefix) >= 2
    if looks_utf8:
        raise _encoding_error(data, utf8_error.start, file, "text encoded as UTF-8 (the file is damaged here)")
    try:
        text = data.decode("gb18030", errors="strict")
    except UnicodeDecodeError as err:
        raise _encoding_error(data, err.start, file, f"text encoded as UTF-8 or GBK/GB18030; {_RESAVE}") from None
    distinct = set(_ASCII_RUNS.sub("", text))  # the distinct non-ASCII characters
    outside = sorted(ch for ch in distinct if not _gb2312(ch))
    if outside:
        try:
            data.decode("big5", errors="strict")
            big5 = True
        except UnicodeDecodeError:
            big5 = False
        if big5 or (len(outside) >= 3 and len(outside) > 0.25 * len(distinct)):
            looks = "Big5 (Traditional Chinese)" if big5 else "not GBK (Big5, Shift-JIS, Latin-1 or damaged text)"
            shown = "".join(outside[:8])
            raise InputError(Problem(
                file, None, None,
                f"text that is neither UTF-8 nor clearly GBK: read as GBK it gives rare characters such as "
                f"{shown!r}; it looks {looks}",
                f"UTF-8 or GBK text; {_RESAVE}, or name the encoding (--encoding big5 / --encoding gbk)",
            ))
    return text, "gb18030"


def _header_problems(names: list[Any], where: str) -> list[Problem]:
    """Duplicated (after trimming spaces) header names, each with the columns it occupies."""
    seen: dict[str, list[int]] = {}
    for j, n in enumerate(names):
        if n is None:
            continue
        key = str(n).strip().lstrip("\ufeff")
        if key:
            seen.setdefault(key, []).append(j)
    return [
        Problem(where, 1, name, name,
                f"each column name once in the header (it heads columns "
                f"{', '.join(_col_letter(j + 1) for j in cols)}; rename or delete the repeated column)")
        for name, cols in seen.items() if len(cols) > 1
    ]


#: Cells that mean "missing" to pandas by default; kept as the text written so that an
#: error names them (``found 'N/A'``) instead of an empty cell.
_NA_KEPT = {"keep_default_na": False, "na_values": [""]}


#: CSV files larger than this (bytes) are parsed by pyarrow into Arrow-backed text
#: columns: several times faster and a fraction of the memory of Python strings.
LARGE_CSV_BYTES = 8 << 20


def _read_csv_arrow(text: str, raw_utf8: bytes | None, names: list[str]) -> pd.DataFrame | None:
    """All columns as Arrow-backed text, empty cells missing; None when pyarrow cannot
    parse the file exactly as pandas would (blank lines, ragged rows): pandas then reads it."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    buf = raw_utf8 if raw_utf8 is not None else text.encode("utf-8")
    if buf.startswith(b"\xef\xbb\xbf"):
        buf = buf[3:]
    try:
        table = pacsv.read_csv(
            pa.py_buffer(buf),
            read_options=pacsv.ReadOptions(use_threads=True, block_size=16 << 20),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 null_values=[""], strings_can_be_null=True,
                                                 quoted_strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    if table.column_names != names:
        return None
    return table.to_pandas(types_mapper=lambda t: pd.StringDtype("pyarrow") if t == pa.string() else None)


def _read_csv(path: Path, file: str, dtype: Any, encoding: str | None = None) -> pd.DataFrame:
    data = path.read_bytes()
    text, enc = decode_csv_bytes(data, file=file, encoding=encoding)
    raw_utf8 = data if enc == "utf-8" else None
    del data
    if not text.strip().lstrip("\ufeff").strip():
        raise InputError(Problem(file, None, None, "an empty file", "a header row followed by data rows"))
    try:
        header = next(csv.reader(_io.StringIO(text[:1 << 20].lstrip("\ufeff"), newline=None)))
    except (csv.Error, StopIteration) as err:
        raise InputError(Problem(file, 1, None, f"an unreadable header row ({err})", "a CSV header row")) from None
    dups = _header_problems(header, file)
    if dups:
        raise InputError(dups, title=f"{file}: repeated column names")
    df = None
    if dtype is str and len(text) > LARGE_CSV_BYTES // 2:
        df = _read_csv_arrow(text, raw_utf8, header)
    del raw_utf8
    if df is None:
        try:
            # blank lines are kept (as empty rows) so that row numbers match a spreadsheet's;
            # a first row longer than the header must not turn into an index (shifted columns)
            with warnings.catch_warnings():
                warnings.simplefilter("error", pd.errors.ParserWarning)
                df = pd.read_csv(_io.StringIO(text), dtype=dtype, skip_blank_lines=False, index_col=False,
                                 **(_NA_KEPT if dtype is str else {}))
        except pd.errors.ParserWarning:
            raise InputError(Problem(file, 2, None, "more fields than header columns",
                                     f"{len(header)} fields per line, one per header column "
                                     "(a comma inside a value needs quotes)")) from None
        except pd.errors.ParserError as err:
            raise InputError(Problem(file, None, None, str(err).strip(),
                                     "a well-formed CSV table (same number of fields on every line)")) from None
        except (pd.errors.EmptyDataError, UnicodeError, ValueError) as err:
            raise InputError(Problem(file, None, None, f"unreadable CSV ({err})", "a CSV table")) from None
    del text
    unnamed = [j for j, h in enumerate(header) if not h.strip()]
    for j in unnamed:
        if df.iloc[:, j].notna().any():
            raise InputError(Problem(file, 1, _col_letter(j + 1), "an empty header cell above data",
                                     "a column name in every used column of the header row"))
    if unnamed:
        df = df.drop(columns=df.columns[unnamed])
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
        title = ws.title
    finally:
        wb.close()
    _check_formulas(path, where, title, rows)
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
    dups = _header_problems(header, where)
    if dups:
        raise InputError(dups, title=f"{where}: repeated column names")
    names = [str(h).strip() if h is not None else f"Unnamed: {j}" for j, h in enumerate(header)]
    df = pd.DataFrame(rows[1:], columns=names, dtype=object)
    if dtype is not None:
        df = df.astype(dtype) if dtype is not str else df.map(lambda v: v if v is None else str(v))
    return df


_FORMULA_RE = re.compile(rb"<f[ >/]")


def _check_formulas(path: Path, where: str, title: str, values: list[tuple[Any, ...]]) -> None:
    """Formula cells without a saved result (workbooks written by scripts) are errors,
    not empty cells: Excel computes them on opening, but a reader sees nothing."""
    import zipfile

    import openpyxl

    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        if not any(_FORMULA_RE.search(z.read(n)) for n in sheets):
            return
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        problems: list[Problem] = []
        for i, row in enumerate(wb[title].iter_rows(values_only=True)):
            for j, v in enumerate(row):
                if isinstance(v, str) and v.startswith("=") and (
                        i >= len(values) or j >= len(values[i]) or values[i][j] is None):
                    problems.append(Problem(where, i + 1, _col_letter(j + 1), v,
                                            "a value: this formula has no saved result (open the workbook in "
                                            "Excel, WPS or LibreOffice and save it, or paste values)"))
    finally:
        wb.close()
    if problems:
        n = len(problems)
        if n > 20:
            problems = problems[:20] + [Problem(where, None, None, f"{n - 20} more formula cells", "values")]
        raise InputError(problems, title=f"{where}: formulas without saved results ({n})")


def read_table(path: str | os.PathLike[str], *, sheet: str | int | None = None, dtype: Any = None,
               encoding: str | None = None) -> pd.DataFrame:
    """Read a CSV, XLSX or Parquet table into a DataFrame.

    Parameters
    ----------
    path : file to read; its suffix (``.csv``, ``.xlsx``, ``.parquet``) picks the reader.
    sheet : XLSX only: sheet name or 0-based position (default: the first sheet).
    dtype : passed to the CSV reader (``str`` keeps every cell as written, ``NA``
        and ``N/A`` included, which :func:`impact.schemas.validate` prefers); XLSX
        cells keep their Excel types unless ``dtype=str``; ignored for Parquet.
    encoding : CSV only: the file's encoding (``"big5"``, ``"gbk"``, ...) instead of
        the detection of :func:`decode_csv_bytes`.

    Returns a DataFrame with a fresh ``RangeIndex``; data row ``i`` (0-based) is
    spreadsheet row ``i + 2`` (the header is row 1).

    Raises :class:`InputError` for a missing or empty file, an unknown suffix,
    undecodable bytes (with byte offset and line) or an encoding that is not
    clearly UTF-8 or GBK, repeated header names, merged or multi-row Excel
    headers, formulas without saved results, and unreadable Parquet.
    """
    p = Path(path)
    file = p.name
    suffix = p.suffix.lower()
    if suffix not in READABLE_SUFFIXES:
        hint = " (old Excel format: save it as .xlsx)" if suffix == ".xls" else ""
        raise InputError(Problem(file, None, None, f"file extension {suffix or '(none)'!r}{hint}",
                                 f"one of {', '.join(READABLE_SUFFIXES)}"))
    try:
        st = p.stat()
    except FileNotFoundError:
        raise InputError(Problem(str(p), None, None, "no such file", "an existing file")) from None
    except OSError as err:  # a symlink loop, a path through a file, ...
        raise InputError(Problem(str(p), None, None, err.strerror or str(err), "an existing, readable file")) from None
    if not p.is_file():
        raise InputError(Problem(str(p), None, None, "a folder or special file", "an existing file"))
    if not os.access(p, os.R_OK):
        raise InputError(Problem(str(p), None, None, "a file without read permission", "a readable file"))
    if st.st_size == 0:
        raise InputError(Problem(file, None, None, "an empty file (0 bytes)", "a header row followed by data rows"))
    if suffix == ".csv":
        df = _read_csv(p, file, dtype, encoding)
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


# --------------------------------------------------------------------------- formula injection

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


# --------------------------------------------------------------------------- interruptions


class Interrupted(KeyboardInterrupt):
    """The process received SIGINT or SIGTERM (``signum``); clean-up ran on the way out.

    A ``KeyboardInterrupt``, so ``except Exception`` never swallows it. The command
    line exits with ``128 + signum`` (130 for Ctrl-C, 143 for SIGTERM).
    """

    def __init__(self, signum: int) -> None:
        self.signum = int(signum)
        super().__init__(f"interrupted by {signal.Signals(self.signum).name}")


def _raise_interrupted(signum: int, frame: Any) -> None:
    raise Interrupted(signum)


@contextlib.contextmanager
def terminate_raises() -> Iterator[None]:
    """While the block runs, SIGTERM raises :class:`Interrupted` (where SIGTERM would
    otherwise kill the process without clean-up); restored afterwards.

    Does nothing outside the main thread or when a program installed its own handler.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous not in (signal.SIG_DFL, None):
        yield
        return
    signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
