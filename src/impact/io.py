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

Jobs by module: this module reads; :mod:`impact.io_encoding` decodes CSV bytes,
:mod:`impact.io_write` writes, :mod:`impact.io_signals` handles SIGTERM. Every name stays
importable from ``impact.io``.
"""

from __future__ import annotations

import csv
import io as _io
import os
import re
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from impact.errors import InputError, Problem
from impact.io_encoding import CSV_ENCODINGS, decode_csv_bytes  # noqa: F401
from impact.io_signals import Interrupted, terminate_raises  # noqa: F401
from impact.io_write import (  # noqa: F401 - the writers, re-exported
    FORMULA_TRIGGERS,
    _umask,
    atomic_path,
    check_output_dir,
    is_under,
    make_temp_dir,
    neutralise_cell,
    neutralise_frame,
    write_csv,
    write_json,
    write_parquet,
    write_text,
)

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
