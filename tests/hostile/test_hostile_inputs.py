"""Hostile input files: encodings, headers, workbooks and values.

Each case writes the input, runs the reader (``impact.io.read_table``), the
validator (``impact.schemas.validate``) or the command line (``impact data
validate``), and asserts either a clear error naming file, row, column and value,
or a correct acceptance. Nothing wrong may reach the returned DataFrame.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from _valid_tables import frame
from impact.cli import cli
from impact.errors import ImpactError, InputError
from impact.io import decode_csv_bytes, read_table
from impact.schemas import validate

HIP = "髖關節置換術"  # hip replacement, in Traditional characters (Big5 has them; GBK has them too)


def _ledger_text(item: str = "物资") -> str:
    df = frame("cost_ledger")
    df["item"] = item
    return df.to_csv(index=False, lineterminator="\n")


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def _cli_validate(path: Path, *extra: str):
    result = CliRunner().invoke(cli, ["data", "validate", str(path), "--kind", "cost_ledger", *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def _read_validate(path: Path, **kw) -> pd.DataFrame:
    return validate(read_table(path, dtype=str, **kw), "cost_ledger", file=path.name)


# --------------------------------------------------------------------------- encodings


def test_big5_is_refused_not_read_as_gbk_mojibake(tmp_path):
    p = _write(tmp_path, "ledger.csv", _ledger_text(HIP).encode("big5"))
    with pytest.raises(InputError, match="Big5") as ei:
        read_table(p, dtype=str)
    assert "ledger.csv" in str(ei.value) and "--encoding big5" in str(ei.value)
    result = _cli_validate(p)
    assert result.exit_code == 1 and "Big5" in result.output


def test_big5_with_encoding_override_reads_correctly(tmp_path):
    p = _write(tmp_path, "ledger.csv", _ledger_text(HIP).encode("big5"))
    out = _read_validate(p, encoding="big5")
    assert out["item"].tolist() == [HIP, HIP]
    result = _cli_validate(p, "--encoding", "big5")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("codec", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_chinese_in_gbk_and_utf8_is_read_as_written(tmp_path, codec):
    text = "县医院白内障手术，玉米增产"
    p = _write(tmp_path, "ledger.csv", _ledger_text(text).encode(codec))
    assert _read_validate(p)["item"].tolist() == [text, text]


def test_traditional_text_saved_as_gbk_is_still_read_when_not_big5(tmp_path):
    # GBK also encodes Traditional characters; bytes that are not valid Big5 are clearly GBK
    text = "中华人民共和国云南省普洱市景谷傣族彝族自治县"
    p = _write(tmp_path, "ledger.csv", _ledger_text(text).encode("gbk"))
    assert _read_validate(p)["item"].iloc[0] == text


@pytest.mark.parametrize(("codec", "text"), [
    ("shift_jis", "日本語のテキストとカタカナ"),
    ("latin-1", "Müller, Françoise, Zoë, Ångström"),
])
def test_other_encodings_are_refused(tmp_path, codec, text):
    p = _write(tmp_path, "ledger.csv", _ledger_text(text.replace(",", " ")).encode(codec))
    with pytest.raises(InputError, match="neither UTF-8 nor clearly GBK|undecodable bytes") as ei:
        read_table(p, dtype=str)
    assert "CSV UTF-8" in str(ei.value)  # says how to re-save it


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le"])
def test_utf16_is_refused(tmp_path, codec):
    p = _write(tmp_path, "ledger.csv", _ledger_text("培训").encode(codec))
    with pytest.raises(InputError, match="UTF-16|NUL bytes"):
        read_table(p, dtype=str)


def test_damaged_utf8_names_the_byte(tmp_path):
    data = _ledger_text("培训材料").encode("utf-8")
    cut = data.index("材".encode()) + 1
    p = _write(tmp_path, "ledger.csv", data[:cut] + b"\xff" + data[cut + 2:])
    with pytest.raises(InputError, match=r"byte offset \d+ \(line 2\)"):
        read_table(p, dtype=str)


def test_truncated_in_a_character(tmp_path):
    data = _ledger_text("培训材料").encode("utf-8")
    p = _write(tmp_path, "ledger.csv", data[: data.index("材".encode()) + 1])
    with pytest.raises(InputError, match="undecodable bytes"):
        read_table(p, dtype=str)


def test_unknown_encoding_name(tmp_path):
    p = _write(tmp_path, "ledger.csv", _ledger_text().encode())
    with pytest.raises(InputError, match="encoding 'klingon'"):
        read_table(p, dtype=str, encoding="klingon")


def test_binary_garbage_fails_fast(tmp_path):
    rng = np.random.default_rng(12)
    p = _write(tmp_path, "ledger.csv", rng.integers(0, 256, 2_000_000, dtype=np.uint8).tobytes())
    t0 = time.perf_counter()
    with pytest.raises(InputError):
        read_table(p, dtype=str)
    assert time.perf_counter() - t0 < 5


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"\xef\xbb\xbf"])
def test_empty_files(tmp_path, data):
    with pytest.raises(InputError, match="empty"):
        read_table(_write(tmp_path, "ledger.csv", data), dtype=str)


def test_decode_detection_is_pure():
    assert decode_csv_bytes("a,b\n1,2\n".encode())[1] == "utf-8"
    assert decode_csv_bytes("县,乡\n".encode("gbk"))[1] == "gb18030"


# --------------------------------------------------------------------------- headers and workbooks


def test_duplicated_header_names_the_column_the_user_wrote(tmp_path):
    text = _ledger_text().replace("item,amount_yuan", "item,item", 1)
    p = _write(tmp_path, "ledger.csv", text.encode())
    with pytest.raises(InputError) as ei:
        read_table(p, dtype=str)
    msg = str(ei.value)
    assert "column 'item'" in msg and "E, F" in msg and "item.1" not in msg


def test_duplicated_header_with_spaces(tmp_path):
    text = _ledger_text().replace("item,amount_yuan", "item, item ", 1)
    with pytest.raises(InputError, match="column 'item'"):
        read_table(_write(tmp_path, "ledger.csv", text.encode()), dtype=str)


def test_duplicated_header_in_xlsx(tmp_path):
    df = frame("cost_ledger")
    df.columns = [*df.columns[:-1], "item"]
    p = tmp_path / "ledger.xlsx"
    df.to_excel(p, index=False)
    with pytest.raises(InputError, match=r"ledger.xlsx \[sheet Sheet1\], row 1, column 'item'"):
        read_table(p)


def test_xlsx_formulas_without_saved_values_are_refused(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    df = frame("cost_ledger")
    ws.append(list(df.columns))
    for r, row in enumerate(df.itertuples(index=False), start=2):
        values = list(row)
        values[5] = f"=100*{r}"  # amount_yuan as a formula, as scripts write them (no cached result)
        ws.append(values)
    p = tmp_path / "ledger.xlsx"
    wb.save(p)
    with pytest.raises(InputError) as ei:
        read_table(p)
    (first, second) = ei.value.problems
    assert (first.row, first.column, first.value) == (2, "F", "=100*2")
    assert "no saved result" in first.expected and second.row == 3


def test_xlsx_with_plain_values_still_reads(tmp_path):
    p = tmp_path / "ledger.xlsx"
    frame("cost_ledger").to_excel(p, index=False)
    assert len(validate(read_table(p), "cost_ledger", file=p.name)) == 2


@pytest.mark.parametrize(("name", "data", "match"), [
    ("ledger.xlsx", b"PK\x03\x04 truncated", "unreadable workbook"),
    ("ledger.xls", b"\xd0\xcf\x11\xe0", "old Excel format"),
    ("ledger.parquet", b"PAR1 truncated", "unreadable Parquet"),
    ("ledger", b"a,b\n", "file extension"),
])
def test_broken_or_unsupported_files(tmp_path, name, data, match):
    with pytest.raises(InputError, match=match):
        read_table(_write(tmp_path, name, data))


def test_a_folder_named_like_a_csv(tmp_path):
    (tmp_path / "ledger.csv").mkdir()
    with pytest.raises(InputError, match="folder"):
        read_table(tmp_path / "ledger.csv")


def test_symlink_loop_as_input(tmp_path):
    (tmp_path / "ledger.csv").symlink_to(tmp_path / "ledger.csv")
    with pytest.raises(InputError, match="ledger.csv"):
        read_table(tmp_path / "ledger.csv")


# --------------------------------------------------------------------------- values


def _bad(kind: str, column: str, value: str) -> InputError:
    with pytest.raises(InputError) as ei:
        validate(frame(kind, **{column: value}), kind, file=f"{kind}.csv")
    return ei.value


@pytest.mark.parametrize(("kind", "column", "value"), [
    ("plot_trials", "year", "1,5"),             # a years column: commas are never thousands there
    ("plot_trials", "year", "2,023"),
    ("cost_ledger", "amount_yuan", "1,00"),     # money, but invalid grouping
    ("cost_ledger", "amount_yuan", "1,5"),      # decimal comma
    ("cost_ledger", "amount_yuan", "1,0000"),
    ("county_panel", "referral_out_share", "0,2"),  # shares: no separators
    ("plot_trials", "yield_kg_per_mu", "1,234"),    # a decimal quantity, not money or a count
    ("household_survey", "hh_size", "1,2"),
])
def test_commas_that_are_not_thousands_separators(kind, column, value):
    err = _bad(kind, column, value)
    hits = [p for p in err.problems if (p.row, p.column) == (2, column)]
    assert hits and hits[0].value == value and "thousands separators" in hits[0].expected


@pytest.mark.parametrize(("value", "expected"), [("1,000", 1000.0), ("12,345.5", 12345.5), ("1,000,000", 1e6)])
def test_valid_thousands_in_money_are_read(value, expected):
    out = validate(frame("cost_ledger", amount_yuan=value), "cost_ledger")
    assert out["amount_yuan"].iloc[0] == expected


@pytest.mark.parametrize("value", ["Inf", "-inf", "infinity", "1e400", "-1e999"])
@pytest.mark.parametrize(("kind", "column"), [("cost_ledger", "amount_yuan"), ("plot_trials", "yield_kg_per_mu"),
                                              ("household_survey", "hh_size")])
def test_non_finite_numbers_are_refused(kind, column, value):
    err = _bad(kind, column, value)
    assert any((p.row, p.column, p.value) == (2, column, value) for p in err.problems), err


def test_non_finite_numbers_in_typed_input_are_refused():
    df = frame("cost_ledger")
    df["amount_yuan"] = [math.inf, 3.0]
    with pytest.raises(InputError, match="amount_yuan.*finite"):
        validate(df, "cost_ledger")


@pytest.mark.parametrize("word", ["NA", "N/A", "NaN", "null", "#N/A"])
def test_na_words_in_a_required_number_are_named(tmp_path, word):
    df = frame("cost_ledger", amount_yuan=word)
    p = _write(tmp_path, "ledger.csv", df.to_csv(index=False).encode())
    with pytest.raises(InputError) as ei:
        _read_validate(p)
    assert any((p.row, p.column, p.value) == (2, "amount_yuan", word) for p in ei.value.problems), ei.value


def test_na_words_in_an_optional_number_are_missing(tmp_path):
    df = frame("plot_trials", fertilizer_kg_per_mu="N/A")
    p = _write(tmp_path, "plot_trials.csv", df.to_csv(index=False).encode())
    out = validate(read_table(p, dtype=str), "plot_trials")
    assert pd.isna(out["fertilizer_kg_per_mu"].iloc[0]) and out["fertilizer_kg_per_mu"].iloc[1] == 35


@pytest.mark.parametrize("value", ["12万", "１２００", "1200元", "1.2.3", "--5", "0x10"])
def test_numbers_written_as_text_are_refused(value):
    err = _bad("cost_ledger", "amount_yuan", value)
    assert any((p.row, p.column, p.value) == (2, "amount_yuan", value) for p in err.problems)


def test_unknown_kind_is_a_library_error():
    with pytest.raises(ImpactError, match="unknown table kind 'nonsense'"):
        validate(frame("cost_ledger"), "nonsense")


def test_cli_validate_names_file_row_column_value(tmp_path):
    df = frame("cost_ledger", amount_yuan="Inf")
    p = _write(tmp_path, "ledger.csv", df.to_csv(index=False).encode("gbk"))
    result = _cli_validate(p)
    assert result.exit_code == 1
    assert "ledger.csv, row 2, column 'amount_yuan': found 'Inf'" in result.output


def _garbage(tmp_path: Path, n: int) -> Path:
    df = pd.DataFrame({"entry_id": [f"E{i}" for i in range(n)], "program_id": "P1", "county_code": "530824",
                       "month": "2024-01", "item": "物资", "amount_yuan": "abc", "funder": "public"})
    return _write(tmp_path, "ledger.csv", df.to_csv(index=False).encode("gbk"))


def test_garbage_numbers_give_a_bounded_error(tmp_path):
    p = _garbage(tmp_path, 3_000)
    with pytest.raises(InputError) as ei:
        validate(read_table(p, dtype=str), "cost_ledger", file=p.name, max_problems=50)
    assert len(ei.value.problems) == 51 and ei.value.problems[-1].value.startswith("2950 more problems not shown")


def test_garbage_header_fails_fast(tmp_path):
    df = pd.DataFrame({f"col{j}": np.arange(200_000) for j in range(5)})
    p = _write(tmp_path, "ledger.csv", df.to_csv(index=False).encode())
    t0 = time.perf_counter()
    with pytest.raises(InputError, match="a column named 'entry_id'"):
        validate(read_table(p, dtype=str), "cost_ledger", file=p.name)
    assert time.perf_counter() - t0 < 20


@pytest.mark.slow
def test_million_garbage_rows_within_the_large_file_target(tmp_path):
    """Issue 11 sets the target (≤ 15 s); issue 12: bounded, no hang."""
    p = _garbage(tmp_path, 1_000_000)
    t0 = time.perf_counter()
    with pytest.raises(InputError) as ei:
        _read_validate(p)
    assert time.perf_counter() - t0 < 15
    assert len(ei.value.problems) <= 1001


# --------------------------------------------------------------------------- CSV shapes


def test_first_row_longer_than_the_header_is_not_an_index(tmp_path):
    # pandas would take the extra leading fields as an index and shift every value left
    p = _write(tmp_path, "ledger.csv", _ledger_text().replace("E1,", "E0,E1,", 1).encode())
    with pytest.raises(InputError, match="ledger.csv, row 2: found 'more fields than header columns'"):
        read_table(p, dtype=str)


def test_later_row_longer_than_the_header(tmp_path):
    p = _write(tmp_path, "ledger.csv", _ledger_text().replace("E2,", "E2,extra,", 1).encode())
    with pytest.raises(InputError, match="Expected 7 fields in line 3, saw 8"):
        read_table(p, dtype=str)


def test_empty_header_cell_above_data(tmp_path):
    p = _write(tmp_path, "ledger.csv", _ledger_text().replace(",funder", ",", 1).encode())
    with pytest.raises(InputError, match="row 1, column 'G': found 'an empty header cell above data'"):
        read_table(p, dtype=str)


def test_old_mac_line_ends_are_read(tmp_path):
    p = _write(tmp_path, "ledger.csv", _ledger_text().replace("\n", "\r").encode("gbk"))
    assert len(_read_validate(p)) == 2


def test_booleans_are_not_money():
    df = frame("cost_ledger")
    df["amount_yuan"] = [True, False]
    with pytest.raises(InputError, match="amount_yuan': found True"):
        validate(df, "cost_ledger")


def test_ascii_utf16_without_bom_is_refused(tmp_path):
    # valid UTF-8 byte for byte (NUL is ASCII), but every other character would be a NUL
    p = _write(tmp_path, "ledger.csv", _ledger_text().encode("utf-16-le"))
    with pytest.raises(InputError, match="NUL bytes"):
        read_table(p, dtype=str)
