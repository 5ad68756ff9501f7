"""Readers (CSV in UTF-8/BOM/GBK, XLSX, Parquet) and atomic writers that refuse data/raw/."""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from impact import config
from impact.errors import ImpactError, InputError
from impact.io import (
    atomic_path,
    decode_csv_bytes,
    read_parquet_metadata,
    read_table,
    write_json,
    write_parquet,
    write_text,
)

TEXT = "county_code,name,amount\n530824,景谷傣族彝族自治县,1.5\n530622,巧家县,2\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_read_to_the_same_table(tmp_path, encoding):
    path = tmp_path / "t.csv"
    path.write_bytes(TEXT.encode(encoding))
    df = read_table(path)
    assert list(df.columns) == ["county_code", "name", "amount"]  # no BOM left in the first name
    assert df["name"].tolist() == ["景谷傣族彝族自治县", "巧家县"]
    assert_allclose(df["amount"].to_numpy(dtype=float), [1.5, 2.0], rtol=0, atol=0)


def test_decode_reports_encoding_and_never_replaces():
    text, enc = decode_csv_bytes("巧家县".encode("gbk"))
    assert (text, enc) == ("巧家县", "gb18030")
    text, enc = decode_csv_bytes("\ufeff巧家县".encode("utf-8"))
    assert (text, enc) == ("巧家县", "utf-8")
    with pytest.raises(InputError) as ei:
        decode_csv_bytes(b"a,b\n1,2\n3,\x80\n", file="x.csv")
    p = ei.value.problems[0]
    assert p.file == "x.csv" and "byte offset 10" in p.value and "(line 3)" in p.value
    assert "\ufffd" not in str(ei.value)


def test_dtype_str_keeps_cells_as_written(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,code\n007,530824\n", encoding="utf-8")
    df = read_table(path, dtype=str)
    assert df.loc[0, "id"] == "007" and df.loc[0, "code"] == "530824"


def test_xlsx_first_and_named_sheet(tmp_path):
    path = tmp_path / "t.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "data"
    ws.append(["county_code", "amount"])
    ws.append([530824, 10.5])
    ws.append([None, None])  # trailing empty row is dropped
    other = wb.create_sheet("other")
    other.append(["x"])
    other.append([1])
    wb.save(path)
    df = read_table(path)
    assert df.shape == (1, 2) and df.loc[0, "amount"] == 10.5
    assert read_table(path, sheet="other")["x"].tolist() == [1]
    with pytest.raises(InputError, match="a sheet named one of"):
        read_table(path, sheet="nope")


def test_xlsx_merged_header_rejected(tmp_path):
    path = tmp_path / "t.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["收入", None, "支出"])
    ws.append(["a", "b", "c"])
    ws.append([1, 2, 3])
    ws.merge_cells("A1:B1")
    wb.save(path)
    with pytest.raises(InputError) as ei:
        read_table(path)
    p = ei.value.problems[0]
    assert p.row == 1 and "A1:B1" in p.value and "single header row" in p.expected


def test_parquet_roundtrip_with_metadata(tmp_path):
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    path = write_parquet(df, tmp_path / "t.parquet", {"impact.simulated": "true", "impact.extra": {"k": 1}})
    back = read_table(path)
    pd.testing.assert_frame_equal(back, df, check_dtype=False)
    meta = read_parquet_metadata(path)
    assert meta["impact.simulated"] == "true" and json.loads(meta["impact.extra"]) == {"k": 1}


@pytest.mark.parametrize("name,content,needle", [
    ("t.csv", b"", "empty file"),
    ("t.json", b"{}", "file extension '.json'"),
    ("t", b"a\n1\n", "file extension '(none)'"),
    ("t.xlsx", b"not a zip", "unreadable workbook"),
])
def test_read_errors(tmp_path, name, content, needle):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        read_table(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_table(tmp_path / "missing.csv")


def test_atomic_path_replaces_only_on_success(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half written")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # temp file cleaned up
    with atomic_path(target) as tmp:
        assert tmp.parent == target.parent and tmp != target
        tmp.write_text("new")
    assert target.read_text() == "new"
    from impact.io import _umask

    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()  # not mkstemp's 0600


def test_writers(tmp_path):
    write_text("甲\n", tmp_path / "a" / "t.txt")
    assert (tmp_path / "a" / "t.txt").read_text(encoding="utf-8") == "甲\n"
    write_json({"b": 1, "a": "乙"}, tmp_path / "t.json")
    assert json.loads((tmp_path / "t.json").read_text(encoding="utf-8")) == {"a": "乙", "b": 1}
    assert "乙" in (tmp_path / "t.json").read_text(encoding="utf-8")  # non-ASCII kept


@pytest.mark.parametrize("writer", [
    lambda p, **kw: write_text("x", p, **kw),
    lambda p, **kw: write_json({}, p, **kw),
    lambda p, **kw: write_parquet(pd.DataFrame({"a": [1]}), p, **kw),
])
def test_writers_refuse_data_raw(writer, tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    monkeypatch.setattr(config, "DATA_RAW", raw)
    with pytest.raises(ImpactError, match="data/raw/ is immutable"):
        writer(raw / "sub" / "f.out")
    assert not (raw / "sub").exists()
    writer(raw / "f.out", allow_raw=True)
    assert (raw / "f.out").is_file()


def test_real_data_raw_is_refused():
    with pytest.raises(ImpactError, match="immutable"):
        write_text("x", config.DATA_RAW / "registry" / "should_not_exist.csv")
    assert not (config.DATA_RAW / "registry" / "should_not_exist.csv").exists()


def test_blank_lines_keep_spreadsheet_row_numbers(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,x\n\n3,z\n\n\n", encoding="utf-8")
    df = read_table(path)
    assert len(df) == 3  # the middle blank line is row 3; trailing blank lines are dropped
    assert df["a"].isna().tolist() == [False, True, False]


def test_damaged_utf8_is_not_reread_as_gbk(tmp_path):
    """A UTF-8 file with one stray byte must fail at that byte, not turn into GB18030 mojibake."""
    good = "county,name\n景谷,景谷傣族彝族自治县\n".encode("utf-8")
    data = good + b"x,\xb0\n"
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    with pytest.raises(InputError) as ei:
        read_table(path)
    assert f"byte offset {len(good) + 2}" in ei.value.problems[0].value and "(line 3)" in str(ei.value)


def test_mixed_gbk_rows_read_as_gbk():
    """A GBK file whose first characters happen to look like UTF-8 still reads as GBK."""
    text = "县名,乡镇\n巧家县,白鹤滩镇\n彝良县,角奎镇\n"
    decoded, enc = decode_csv_bytes(text.encode("gbk"))
    assert (decoded, enc) == (text, "gb18030")


def test_large_csv_path_reads_what_pandas_reads(tmp_path, monkeypatch):
    """Files above io.LARGE_CSV_BYTES are parsed by pyarrow: same cells, same missing values."""
    import impact.io as io_mod

    text = ('id,name,note,amount\n1,景谷县,"两行\n说明",1200\n2,,N/A,\n3,"含,逗号","""引号""",NA\n'
            '4,  空格  ,-,0\n')
    p = tmp_path / "t.csv"
    p.write_bytes(text.encode("gbk"))
    small = io_mod.read_table(p, dtype=str)
    monkeypatch.setattr(io_mod, "LARGE_CSV_BYTES", 0)
    large = io_mod.read_table(p, dtype=str)
    assert isinstance(large["name"].dtype, pd.StringDtype)
    assert large.astype(object).where(large.notna(), None).values.tolist() == \
        small.astype(object).where(small.notna(), None).values.tolist()
    assert small.loc[1, "note"] == "N/A" and small.loc[2, "amount"] == "NA"  # kept as written


def test_large_csv_path_falls_back_on_blank_lines(tmp_path, monkeypatch):
    import impact.io as io_mod

    p = tmp_path / "t.csv"
    p.write_text("a,b\n1,2\n\n3,4\n", encoding="utf-8")
    monkeypatch.setattr(io_mod, "LARGE_CSV_BYTES", 0)
    df = io_mod.read_table(p, dtype=str)
    assert len(df) == 3 and df.iloc[1].isna().all()  # the blank line keeps its row number
