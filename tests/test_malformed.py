"""A catalogue of malformed inputs: each gives one clear error naming file, row, column,
value and what was expected, through the library and through `impact data validate`
(exit status 1, no traceback)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from _valid_tables import frame
from impact.cli import cli
from impact.errors import InputError
from impact.io import read_table
from impact.schemas import validate


def _csv(df: pd.DataFrame, encoding: str = "utf-8") -> Callable[[Path], bytes]:
    return lambda _p: df.to_csv(index=False).encode(encoding)


def _bytes(data: bytes) -> Callable[[Path], bytes]:
    return lambda _p: data


def _xlsx(rows: list[list], merge: str | None = None) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        wb = openpyxl.Workbook()
        ws = wb.active
        for r in rows:
            ws.append(r)
        if merge:
            ws.merge_cells(merge)
        wb.save(path)

    return write


LEDGER_COLS = list(frame("cost_ledger").columns)
LEDGER_ROW = list(frame("cost_ledger").iloc[0])


@dataclass
class Case:
    id: str
    name: str  # file name
    kind: str
    make: Callable[[Path], bytes | None]
    row: int | None
    column: str | None
    value: str | None  # substring of the value shown
    expected: str  # substring of what was expected


CASES = [
    Case("undecodable-bytes", "ledger.csv", "cost_ledger",
         _bytes(b"entry_id,item\nE1,\xff\xfe\xfa bad\n"), None, None, "byte offset 17 (line 2)", "UTF-8 or GBK"),
    Case("utf16-file", "ledger.csv", "cost_ledger",
         _csv(frame("cost_ledger"), "utf-16"), None, None, "UTF-16", "UTF-8 or GBK"),
    Case("unknown-county", "ledger.csv", "cost_ledger",
         _csv(frame("cost_ledger", county_code="539999")), 2, "county_code", "539999", "Yunnan county"),
    Case("county-code-not-yunnan", "ledger.csv", "cost_ledger",
         _csv(frame("cost_ledger", county_code="110101")), 2, "county_code", "110101", "Yunnan county"),
    Case("negative-money", "ledger.csv", "cost_ledger",
         _csv(frame("cost_ledger", amount_yuan="-50")), 2, "amount_yuan", "-50", "money cannot be negative"),
    Case("unit-typo-wanyuan", "facts.csv", "facts",
         _csv(frame("facts", unit_as_written="万圆")), 2, "unit_as_written", "万圆", "a unit known to impact.units"),
    Case("duplicate-key", "ledger.csv", "cost_ledger",
         _csv(frame("cost_ledger").assign(entry_id="E1")), 3, "entry_id", "E1", "same as row 2"),
    Case("duplicate-composite-key", "trials.csv", "plot_trials",
         _csv(frame("plot_trials").assign(plot_id="A1")), 3, "plot_id, year", "A1", "unique plot_id + year"),
    Case("missing-column", "ledger.csv", "cost_ledger",
         _csv(frame("cost_ledger").drop(columns="funder")), 1, "funder", None, "a column named 'funder'"),
    Case("year-out-of-range", "trials.csv", "plot_trials",
         _csv(frame("plot_trials").assign(year="1999")), 2, "year", "1999", "a year 2000–2035"),
    Case("month-not-yyyy-mm", "ledger.csv", "cost_ledger",
         _csv(frame("cost_ledger", month="2024/03")), 2, "month", "2024/03", "YYYY-MM"),
    Case("month-13", "ledger.csv", "cost_ledger",
         _csv(frame("cost_ledger", month="2024-13")), 2, "month", "2024-13", "YYYY-MM"),
    Case("month-year-out-of-range", "roster.csv", "beneficiary_roster",
         _csv(frame("beneficiary_roster", month="1998-05")), 2, "month", "1998-05", "a year 2000–2035"),
    Case("share-above-one", "panel.csv", "county_panel",
         _csv(frame("county_panel", referral_out_share="1.2")), 2, "referral_out_share", "1.2", "0–1"),
    Case("excel-merged-header", "ledger.xlsx", "cost_ledger",
         _xlsx([["某县项目成本台账", None, None], LEDGER_COLS, LEDGER_ROW], merge="A1:C1"),
         1, None, "merged header cells A1:C1", "single header row"),
    Case("excel-two-row-header", "ledger.xlsx", "cost_ledger",
         _xlsx([["entry_id", "program_id", None], ["", "", "county_code"], ["E1", "P1", "530824"]]),
         1, "C", "empty header cell", "single header row"),
    Case("empty-file", "ledger.csv", "cost_ledger", _bytes(b""), None, None, "empty file", "header row"),
    Case("blank-lines-only", "ledger.csv", "cost_ledger", _bytes(b"\xef\xbb\xbf\n\n"), None, None, "empty file",
         "header row"),
    Case("header-only", "ledger.csv", "cost_ledger", _bytes((",".join(LEDGER_COLS) + "\n").encode()),
         2, None, "no data rows", "at least one data row"),
    Case("non-numeric", "ledger.csv", "cost_ledger",
         _csv(frame("cost_ledger", amount_yuan="12a")), 2, "amount_yuan", "12a", "a number"),
    Case("not-a-whole-number", "households.csv", "household_survey",
         _csv(frame("household_survey", hh_size="3.5")), 2, "hh_size", "3.5", "a whole number"),
    Case("wrong-extension", "ledger.txt", "cost_ledger",
         _csv(frame("cost_ledger")), None, None, ".txt", ".csv, .xlsx, .parquet"),
    Case("old-excel-xls", "ledger.xls", "cost_ledger",
         _bytes(b"\xd0\xcf\x11\xe0 not really"), None, None, "save it as .xlsx", ".xlsx"),
    Case("arm-not-allowed", "trials.csv", "plot_trials",
         _csv(frame("plot_trials", arm="control")), 2, "arm", "control", "one of treated, check"),
    Case("pair-with-two-treated", "trials.csv", "plot_trials",
         _csv(frame("plot_trials").assign(arm="treated")), 2, "arm", "K1", "one 'treated' and one 'check'"),
    Case("empty-required-cell", "ledger.csv", "cost_ledger",
         _csv(frame("cost_ledger", county_code="")), 2, "county_code", "", "a value"),
    Case("treated-inconsistent-with-cohort", "panel.csv", "county_panel",
         _csv(frame("county_panel", treated="1")), 2, "treated", "1", "cohort > 0 and year >= cohort"),
    Case("flag-not-0-1", "households.csv", "household_survey",
         _csv(frame("household_survey", participant="2")), 2, "participant", "2", "0 or 1"),
    Case("income-total-mismatch", "households.csv", "household_survey",
         _csv(frame("household_survey", income_total="31000")), 2, "income_total", "31000", "income_farming +"),
    Case("date-impossible-month", "pairings.csv", "pairings",
         _csv(frame("pairings", date="2023-13-01")), 2, "date", "2023-13-01", "YYYY-MM-DD"),
    Case("figure-not-in-quote", "facts.csv", "facts",
         _csv(frame("facts", value_as_written="4000")), 2, "value_as_written", "4000", "appear in quote"),
    Case("funder-typo", "ledger.csv", "cost_ledger",
         _csv(frame("cost_ledger", funder="externl")), 2, "funder", "externl", "one of public, external"),
    Case("ragged-csv", "ledger.csv", "cost_ledger",
         _bytes(b"entry_id,item\nE1,a\nE2,b,c,d\n"), None, None, "Expected 2 fields", "well-formed CSV"),
    Case("not-parquet", "ledger.parquet", "cost_ledger", _bytes(b"entry_id,item\nE1,a\n"), None, None,
         "unreadable Parquet", "a Parquet file"),
    Case("gbk-with-bad-county", "ledger.csv", "cost_ledger",
         _csv(frame("cost_ledger", county_code="530999"), "gbk"), 2, "county_code", "530999", "Yunnan county"),
]


def _write(case: Case, tmp_path: Path) -> Path:
    path = tmp_path / case.name
    data = case.make(path)
    if data is not None:
        path.write_bytes(data)
    return path


def _read_and_validate(path: Path, kind: str):
    df = read_table(path, dtype=str if path.suffix == ".csv" else None)
    return validate(df, kind, file=path.name)


def test_catalogue_is_large_enough():
    assert len(CASES) >= 20
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_input_names_file_row_column_value_expected(case: Case, tmp_path: Path):
    path = _write(case, tmp_path)
    with pytest.raises(InputError) as ei:
        _read_and_validate(path, case.kind)
    probs = ei.value.problems
    assert probs, "an InputError carries at least one problem"
    match = [
        p for p in probs
        if p.file.startswith(path.name)
        and p.row == case.row
        and p.column == case.column
        and (case.value is None or case.value in str(p.value))
        and case.expected in p.expected
    ]
    assert match, f"no problem matches {case}; got:\n{ei.value}"
    # the message a user reads names the same things
    text = str(ei.value)
    assert path.name in text and case.expected in text
    if case.row is not None:
        assert f"row {case.row}" in text
    if case.column is not None:
        assert f"column '{case.column}'" in text


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_input_cli_exits_1_without_traceback(case: Case, tmp_path: Path):
    path = _write(case, tmp_path)
    res = CliRunner().invoke(cli, ["data", "validate", str(path), "--kind", case.kind])
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    assert not isinstance(res.exception, Exception) or isinstance(res.exception, SystemExit)
    assert path.name in res.output and case.expected in res.output
    assert "INVALID" in res.output or "error:" in res.output


def test_gbk_file_reads_correctly(tmp_path: Path):
    df = frame("cost_ledger")
    path = tmp_path / "ledger_gbk.csv"
    path.write_bytes(df.to_csv(index=False).encode("gbk"))
    out = _read_and_validate(path, "cost_ledger")
    assert out["item"].tolist() == ["培训", "物资"]
    res = CliRunner().invoke(cli, ["data", "validate", str(path), "--kind", "cost_ledger"])
    assert res.exit_code == 0, res.output
    assert "OK" in res.output and "2 rows" in res.output


def test_extra_column_warns_and_is_kept(tmp_path: Path):
    """Decision: an unknown extra column is a warning, not an error (contracts allow more columns)."""
    from impact.schemas import ExtraColumnWarning

    path = tmp_path / "ledger.csv"
    path.write_bytes(frame("cost_ledger").assign(备注="x").to_csv(index=False).encode())
    with pytest.warns(ExtraColumnWarning, match="备注"):
        out = _read_and_validate(path, "cost_ledger")
    assert out.columns[-1] == "备注"
    res = CliRunner().invoke(cli, ["data", "validate", str(path), "--kind", "cost_ledger"])
    assert res.exit_code == 0
    assert "warning:" in res.output and "备注" in res.output


def test_every_problem_reported_at_once(tmp_path: Path):
    df = frame("cost_ledger", amount_yuan="-1", funder="x", month="2024-1")
    df.loc[1, "county_code"] = "123"
    path = tmp_path / "ledger.csv"
    path.write_bytes(df.to_csv(index=False).encode())
    with pytest.raises(InputError) as ei:
        _read_and_validate(path, "cost_ledger")
    where = {(p.row, p.column) for p in ei.value.problems}
    assert {(2, "amount_yuan"), (2, "funder"), (2, "month"), (3, "county_code")} <= where
    res = CliRunner().invoke(cli, ["data", "validate", str(path), "--kind", "cost_ledger"])
    assert res.exit_code == 1 and "4 problem" in res.output


def test_cli_unknown_kind_and_missing_file(tmp_path: Path):
    path = tmp_path / "x.csv"
    path.write_text("a\n1\n")
    res = CliRunner().invoke(cli, ["data", "validate", str(path), "--kind", "ledger"])
    assert res.exit_code == 1 and "unknown kind 'ledger'" in res.output and "cost_ledger" in res.output
    res = CliRunner().invoke(cli, ["data", "validate", str(path)])
    assert res.exit_code == 1 and "--kind" in res.output
    res = CliRunner().invoke(cli, ["data", "validate", str(tmp_path / "nope.csv"), "--kind", "cost_ledger"])
    assert res.exit_code == 1 and "no such file" in res.output and "Traceback" not in res.output


def test_empty_row_inside_table_reported_once(tmp_path: Path):
    path = tmp_path / "ledger.csv"
    df = frame("cost_ledger")
    text = df.iloc[:1].to_csv(index=False) + "\n" + df.iloc[1:].to_csv(index=False, header=False)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as ei:
        _read_and_validate(path, "cost_ledger")
    assert [(p.row, p.column, p.value) for p in ei.value.problems] == [(3, None, "an empty row")]
