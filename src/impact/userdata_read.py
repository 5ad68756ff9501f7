"""Reading a user's file into a validated table of its kind (``read_user_table``): a fast typed
CSV path, dates as written in Chinese, row numbers as in the user's file; ``suggest_mapping``
writes a mapping file to fill in.
"""

from __future__ import annotations

import csv
import io as _io
import json
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from impact.errors import InputError, Problem
from impact.schemas import (
    SPECS,
    USER_KINDS,
    validate,
)
from impact.userdata_cohort import COHORT_COLUMNS
from impact.userdata_headers import _missing_required, _rename, detect_kind, read_headers, read_mapping
from impact.userdata_prepare import UserTable, prepare


def _read_csv_fast(path: Path, file: str, encoding: str | None = None) -> pd.DataFrame | None:
    """A CSV read as text by pyarrow (multi-threaded; every cell a string, empty cells
    missing): a GBK/GB18030 file by :func:`_read_gbk_fast`, any other after
    :func:`impact.io.decode_csv_bytes` decoded it strictly. None when the
    file has blank lines or ragged rows: :func:`impact.io.read_table` then reads it and
    reports them as it does."""
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.csv as pcsv  # noqa: PLC0415

    from impact.io import decode_csv_bytes  # noqa: PLC0415

    data = path.read_bytes()
    if encoding is None and _looks_gbk(data):
        return _read_gbk_fast(data, path, file)
    text, _ = decode_csv_bytes(data, file=file, encoding=encoding)
    del data
    body = text.lstrip("\ufeff").encode("utf-8")
    del text
    if not body[:4096].strip() or b"\n\n" in body or b"\n\r\n" in body:
        return None  # the regular reader decodes (and checks) again
    try:
        end = body.find(b"\n")
        first = body[: end if end >= 0 else len(body)].decode("utf-8").rstrip("\r")
        names = next(csv.reader([first]))
        types = {n: pa.string() for n in names}
        table = pcsv.read_csv(
            _io.BytesIO(body),
            read_options=pcsv.ReadOptions(block_size=1 << 24),
            parse_options=pcsv.ParseOptions(newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(column_types=types, strings_can_be_null=True,
                                                null_values=[""], quoted_strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError, StopIteration):
        return None
    del body  # the table holds its own copy
    if len(set(names)) != len(names):
        return None  # a duplicated header: the regular reader reports it
    n = table.num_rows  # trailing rows with every cell empty (Excel's leftovers) are not rows
    while n and all(table.column(i).slice(n - 1, 1).null_count == 1 for i in range(table.num_columns)):
        n -= 1
    df = table.slice(0, n).to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
    del table
    return df


def _looks_gbk(data: bytes) -> bool:
    """True when :func:`impact.io.decode_csv_bytes` would try GB18030: no UTF-16 mark or NUL
    bytes, not UTF-8, and no valid Chinese UTF-8 text before the first invalid byte."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        return False
    try:
        data.decode("utf-8-sig")
        return False
    except UnicodeDecodeError as err:
        prefix = data[: err.start].decode("utf-8-sig", errors="replace")
        return sum("\u4e00" <= ch <= "\u9fff" for ch in prefix) < 2


def _read_gbk_fast(data: bytes, path: Path, file: str) -> pd.DataFrame | None:
    """A GBK/GB18030 CSV parsed as bytes by pyarrow (multi-threaded), then decoded value by
    distinct value: the file's bytes are never decoded as one text. Safe because every byte of
    a GBK/GB18030 character is >= 0x30 and outside the CSV's delimiters, quotes and line ends
    (``, " \r \n``). Columns of ASCII bytes are taken as they are; the others are decoded one
    distinct value at a time (strict), and their characters judged as
    :func:`impact.io.decode_csv_bytes` judges a whole text (:func:`check_gbk_chars`). None when
    anything is irregular (blank lines, ragged rows, undecodable bytes, duplicated headers):
    :func:`impact.io.read_table` then reads the file and names the problem."""
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.compute as pc  # noqa: PLC0415
    import pyarrow.csv as pcsv  # noqa: PLC0415

    from impact.io_encoding import check_gbk_chars  # noqa: PLC0415

    if not data[:4096].strip() or b"\n\n" in data or b"\n\r\n" in data:
        return None
    end = data.find(b"\n")
    try:
        first = data[: end if end >= 0 else len(data)].decode("gb18030").rstrip("\r")
        names = next(csv.reader([first]))
    except (UnicodeDecodeError, StopIteration):
        return None
    if len(set(names)) != len(names):
        return None
    try:
        table = pcsv.read_csv(
            _io.BytesIO(data),
            read_options=pcsv.ReadOptions(block_size=1 << 24, column_names=names, skip_rows=1),
            parse_options=pcsv.ParseOptions(newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(column_types={n: pa.binary() for n in names},
                                                strings_can_be_null=True, null_values=[""],
                                                quoted_strings_can_be_null=True),
        )
    except pa.ArrowInvalid:
        return None
    chars: set[str] = set("".join(names))
    cols = []
    for col in table.columns:
        col = col.combine_chunks()
        offsets = np.frombuffer(col.buffers()[1], dtype=np.int32)[col.offset: col.offset + len(col) + 1]
        raw = col.buffers()[2]
        body = np.frombuffer(raw, dtype=np.uint8)[offsets[0]: offsets[-1]] if raw is not None and len(col) else \
            np.empty(0, np.uint8)
        if not len(body) or int(body.max()) < 0x80:  # ASCII only: the bytes are the text
            cols.append(col.cast(pa.string()))
            continue
        codes = pc.dictionary_encode(col)
        try:
            values = [v.decode("gb18030") for v in codes.dictionary.to_pylist()]
        except UnicodeDecodeError:
            return None
        chars.update("".join(values))
        cols.append(pc.take(pa.array(values, type=pa.string()), codes.indices))
    check_gbk_chars(chars, data, file=file)
    del table
    out = pa.table(cols, names=names)
    n = out.num_rows  # trailing rows with every cell empty (Excel's leftovers) are not rows
    while n and all(out.column(i).slice(n - 1, 1).null_count == 1 for i in range(out.num_columns)):
        n -= 1
    return out.slice(0, n).to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)


def _typed_numbers(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Number columns whose every non-empty cell is a plain finite decimal (``-12``, ``3.5``,
    ``1e3``) converted to floats in one vectorised pass; other columns are left as text for
    :func:`impact.schemas.validate`, which parses and reports them cell by cell."""
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.compute as pc  # noqa: PLC0415

    out = {}
    for c in SPECS[kind].columns:
        if c.type not in ("integer", "flag", "year", "number") or c.name not in df.columns:
            continue
        col = df[c.name]
        if not isinstance(col.dtype, pd.ArrowDtype) and not isinstance(col.dtype, pd.StringDtype) \
                and not (col.dtype == object and pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty")):
            continue
        arr = pa.array(col, type=pa.string(), from_pandas=True)
        try:
            num = pc.cast(arr, pa.float64())  # strict: any cell that is not a plain number fails
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        if not pc.all(pc.or_kleene(pc.is_finite(num), pc.is_null(num))).as_py():
            continue
        num = pa.chunked_array([num]) if isinstance(num, pa.Array) else num
        values = pc.fill_null(num, 0.0).to_numpy()
        mask = pc.is_null(num).to_numpy()
        out[c.name] = pd.Series(pd.arrays.FloatingArray(values, mask), index=df.index)
    return df.assign(**out) if out else df


def _remap(err: InputError, rows: np.ndarray, headers: Mapping[str, str]) -> InputError:
    """Problems at the user's rows (``rows``) and headers as written (``headers``: column -> header)."""
    fixed = []
    for p in err.problems:
        r = p.row
        if isinstance(r, int) and 2 <= r < len(rows) + 2:
            r = int(rows[r - 2])
        fixed.append(Problem(p.file, r, headers.get(p.column, p.column) if p.column else p.column, p.value, p.expected))
    return InputError(fixed, title=err.title)


def read_user_table(
    path: str | os.PathLike[str],
    *,
    kind: str | None = None,
    mapping: Mapping[str, str] | str | os.PathLike[str] | None = None,
    sheet: str | None = None,
    health: Mapping[str, int] | None = None,
    cohorts: pd.DataFrame | None = None,
    file: str | None = None,
    max_problems: int | None = 1000,
    encoding: str | None = None,
) -> UserTable:
    """Read, translate (see the module notes) and validate one user file.

    Raises :class:`InputError` with every problem (up to ``max_problems``, then the count
    of the rest), rows numbered as in the file (header = row 1). ``encoding`` overrides the
    detection of a CSV file's encoding (:func:`impact.io.decode_csv_bytes`). ``health`` dates
    patient records (:func:`impact.userdata_prepare.health_starts`); ``cohorts`` gives a county
    panel its pairing waves (:func:`impact.userdata_cohort.design_cohorts`)."""
    from impact.io import read_table  # noqa: PLC0415

    p = Path(path)
    name = file or p.name
    if mapping is not None and not isinstance(mapping, Mapping):
        mapping = read_mapping(mapping)
    df = _read_csv_fast(p, name, encoding) if p.suffix.lower() == ".csv" and p.is_file() else None
    if df is None:
        df = read_table(p, sheet=sheet, dtype=str if p.suffix.lower() == ".csv" else None, encoding=encoding)
    kind, out, rows, notes, factors, probs = prepare(df, kind, file=name, mapping=mapping, health=health, cohorts=cohorts)
    headers = dict(out.attrs.pop("headers_as_written", {}))  # attrs are deep-copied by every pandas step
    out = _typed_numbers(out, kind)
    from impact.schemas import _default_county_codes  # noqa: PLC0415

    # an unknown county is reported once, by name (in ``probs``), not again as a bad code
    counties = _default_county_codes()
    if counties is not None:
        counties = counties | {str(p.value) for p in probs}
    try:
        valid = validate(out, kind, file=name, max_problems=max_problems, counties=counties)
    except InputError as err:
        err = _remap(err, rows, headers)
        if probs:
            # a column that could not be derived is reported once per county (in ``probs``), not
            # again as an empty cell in every row
            underived = {c for pr in probs if pr.column == "cohort" for c in (*COHORT_COLUMNS, "treated")}
            rest = [p for p in err.problems if not (p.column in underived and p.value in (None, ""))]
            err = InputError(probs + rest, title=err.title)
        raise err from None
    if probs:
        raise InputError(probs, title=f"{name}: not a valid {kind} table")
    for c, f in factors.items():
        valid[c] = valid[c] * f
    for c in valid.columns[len(SPECS[kind].names):]:  # undocumented columns, kept as text (one type per column)
        if valid[c].dtype == object:
            valid[c] = valid[c].map(lambda v: None if v is None or (isinstance(v, float) and v != v) else str(v)) \
                .astype("string")
    return UserTable(kind, valid, name, notes)


def suggest_mapping(path: str | os.PathLike[str], *, sheet: str | None = None, kind: str | None = None) -> str:
    """A YAML mapping draft for ``--map``: every header of the file with the column it is
    taken as (or an empty value and the candidate columns as a comment)."""
    headers = read_headers(path, sheet=sheet)
    if kind is None:
        try:
            kind = detect_kind(headers, file=Path(path).name)
        except InputError:
            kind = min(USER_KINDS, key=lambda k: len(_missing_required(k, headers, None)))
    ren = _rename(headers, kind, None)
    lines = [f"# mapping draft for {Path(path).name} (kind {kind}); header as written: column",
             f"# 表头映射草稿（表类型 {kind}）：原表头: 字段列名；留空的行请填写或删除",
             "# impact data add FILE --map this.yaml"]
    for h in headers:
        q = json.dumps(h, ensure_ascii=False)
        if h in ren:
            lines.append(f"{q}: {ren[h]}")
        else:
            lines.append(f"{q}:   # one of: {', '.join(c for c in SPECS[kind].names if c not in ren.values())}")
    missing = _missing_required(kind, headers, None)
    if missing:
        lines.append(f"# required columns not found: {', '.join(missing)} / 缺少必填字段")
    return "\n".join(lines) + "\n"
