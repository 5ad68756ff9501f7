"""The raw -> processed build: outputs, idempotence, atomicity, load(), and the raw-data guard."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

from _valid_tables import frame
from impact import build as B
from impact import config
from impact.cli import cli
from impact.errors import ImpactError, InputError
from impact.io import read_parquet_metadata, write_parquet


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.name: _sha(p) for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture()
def raw(tmp_path: Path) -> Path:
    """A small raw tree: the real county table and registry, plus one small simulated table."""
    r = tmp_path / "raw"
    (r / "geo").mkdir(parents=True)
    shutil.copy(config.GEO_DIR / "counties.csv", r / "geo" / "counties.csv")
    shutil.copytree(config.REGISTRY_DIR, r / "registry")
    shutil.copytree(config.SOURCE_DIR, r / "source")
    (r / "simulated").mkdir()
    ledger = frame("cost_ledger")
    ledger["amount_yuan"] = ledger["amount_yuan"].astype(float)
    write_parquet(ledger, r / "simulated" / "cost_ledger_simulated.parquet",
                  {"impact.simulated": "true", "impact.seed": "7", "impact.scale": "small"}, allow_raw=True)
    return r


def _add_org(raw: Path, org_id: str) -> None:
    """Append an organization row (quoting a real sentence of the article)."""
    path = raw / "registry" / "organizations.csv"
    orgs = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = orgs.iloc[[0]].assign(org_id=org_id)
    pd.concat([orgs, row]).to_csv(path, index=False)


@pytest.fixture()
def out(tmp_path: Path) -> Path:
    o = tmp_path / "processed"
    o.mkdir()
    (o / "README.md").write_text("kept across builds\n", encoding="utf-8")
    return o


def test_build_writes_tables_duckdb_and_manifest(raw, out, tmp_path, monkeypatch):
    report = B.build(raw, out)
    assert report.built
    expected = {"counties", "organizations", "pairings", "programs", "program_sites", "facts",
                "cost_ledger_simulated"}
    assert set(report.tables) == expected
    assert report.tables["counties"] == 129
    assert report.tables["facts"] == len(pd.read_csv(raw / "registry" / "facts.csv"))
    for name in expected:
        assert (out / f"{name}.parquet").is_file()
    assert (out / "README.md").read_text(encoding="utf-8") == "kept across builds\n"

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["package_version"] == B._version()
    for rel, rec in manifest["inputs"].items():
        assert rec["sha256"] == _sha(raw / rel)
    assert manifest["simulated"] == ["cost_ledger_simulated"]

    # types: codes stay text, money is numeric
    facts = pd.read_parquet(out / "facts.parquet")
    assert facts["value"].dtype.kind == "f"
    assert pd.read_parquet(out / "counties.parquet")["county_code"].str.fullmatch(r"53\d{4}").all()

    # simulated tables stay labelled in their metadata
    meta = read_parquet_metadata(out / "cost_ledger_simulated.parquet")
    assert meta["impact.simulated"] == "true" and meta["impact.seed"] == "7"
    assert read_parquet_metadata(out / "facts.parquet")["impact.simulated"] == "false"

    # the DuckDB tables work from another working directory (a notebook's folder)
    elsewhere = tmp_path / "notebooks"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    con = duckdb.connect(str(out / "impact.duckdb"), read_only=True)
    try:
        names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT internal").fetchall()}
        assert names == expected
        for name, n in report.tables.items():
            assert con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] == n
        total = con.execute("SELECT sum(amount_yuan) FROM cost_ledger_simulated").fetchone()[0]
        assert total == pytest.approx(1500.5, rel=0, abs=1e-9)
    finally:
        con.close()
    con = B.connect(out)
    assert con.execute("SELECT count(*) FROM programs").fetchone()[0] == report.tables["programs"]


def test_build_is_idempotent(raw, out):
    B.build(raw, out)
    before = _snapshot(out)
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    again = B.build(raw, out)
    assert not again.built
    assert _snapshot(out) == before
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == mtimes
    forced = B.build(raw, out, force=True)
    assert forced.built
    assert {k: v for k, v in _snapshot(out).items() if k.endswith(".parquet")} == {
        k: v for k, v in before.items() if k.endswith(".parquet")}  # same inputs, same bytes


def test_changed_input_rebuilds_and_load_sees_it(raw, out):
    B.build(raw, out)
    n0 = len(B.load("organizations", out))
    assert not B.is_stale(out)
    _add_org(raw, "new_org")
    assert B.is_stale(out)
    assert len(B.load("organizations", out)) == n0 + 1  # load rebuilt first
    assert not B.is_stale(out)


def test_load_builds_when_missing_and_names_tables(raw, tmp_path):
    out = tmp_path / "fresh"
    df = B.load("programs", out, raw=raw)
    assert len(df) == len(pd.read_csv(raw / "registry" / "programs.csv"))
    assert "programs" in B.tables(out)
    with pytest.raises(ImpactError, match="cost_ledger_simulated .simulated data"):
        B.load("cost_ledger", out)
    with pytest.raises(ImpactError, match="available tables: .*facts"):
        B.load("nope", out)


def test_invalid_raw_fails_with_every_problem_and_keeps_previous(raw, out):
    B.build(raw, out)
    before = _snapshot(out)
    facts = pd.read_csv(raw / "registry" / "facts.csv", dtype=str, keep_default_na=False)
    facts.loc[0, "unit_as_written"] = "万圆"
    facts.to_csv(raw / "registry" / "facts.csv", index=False)
    ledger = pd.read_parquet(raw / "simulated" / "cost_ledger_simulated.parquet")
    ledger.loc[1, "amount_yuan"] = -3.0
    ledger.to_parquet(raw / "simulated" / "cost_ledger_simulated.parquet")
    with pytest.raises(InputError) as ei:
        B.build(raw, out)
    got = {(p.file, p.row, p.column) for p in ei.value.problems}
    assert ("registry/facts.csv", 2, "unit_as_written") in got
    assert ("simulated/cost_ledger_simulated.parquet", 3, "amount_yuan") in got
    assert _snapshot(out) == before
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".") and p.is_dir()] == []  # no temp dirs left


@pytest.mark.parametrize("stage", ["write_parquet", "_write_duckdb", "write_json"])
def test_failure_while_writing_leaves_previous_intact(raw, out, monkeypatch, stage):
    B.build(raw, out)
    before = _snapshot(out)
    # change an input so the build really runs, then fail in the middle of writing
    _add_org(raw, "x_org")
    calls = {"n": 0}
    real = getattr(B, stage)

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] >= 2 or stage != "write_parquet":
            raise OSError("disk full (injected)")
        return real(*args, **kwargs)

    monkeypatch.setattr(B, stage, failing)
    with pytest.raises(OSError, match="injected"):
        B.build(raw, out)
    assert _snapshot(out) == before
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".") and p.is_dir()] == []
    monkeypatch.undo()
    assert B.build(raw, out).built  # the next build succeeds


def test_registry_county_must_match_its_code(raw, out):
    pairings = pd.read_csv(raw / "registry" / "pairings.csv", dtype=str, keep_default_na=False)
    pairings.loc[0, "county_code"] = "530824"  # a real county, but not the one named in `county`
    pairings.to_csv(raw / "registry" / "pairings.csv", index=False)
    with pytest.raises(InputError) as ei:
        B.build(raw, out)
    (p,) = ei.value.problems
    assert (p.file, p.row, p.column, p.value) == ("registry/pairings.csv", 2, "county_code", "530824")
    assert pairings.loc[0, "county"] in p.expected


def test_registry_quotes_must_be_verbatim_source_text(raw, out):
    facts = pd.read_csv(raw / "registry" / "facts.csv", dtype=str, keep_default_na=False)
    quote = facts.loc[3, "quote"]
    facts.loc[3, "quote"] = quote[:-2] + "（编者补充）"  # an edited quote is not the article's
    facts.to_csv(raw / "registry" / "facts.csv", index=False)
    with pytest.raises(InputError) as ei:
        B.build(raw, out)
    (p,) = ei.value.problems
    assert (p.file, p.row, p.column) == ("registry/facts.csv", 5, "quote")
    assert "verbatim text of a source document (data/raw/source/article_000_8d3988ee2bc6a3bb.txt)" in p.expected
    # a quote re-wrapped across lines is still the article's
    facts.loc[3, "quote"] = quote[: len(quote) // 2] + "\n" + quote[len(quote) // 2 :]
    facts.to_csv(raw / "registry" / "facts.csv", index=False)
    assert B.build(raw, out).built


def test_registry_references_checked(raw, out):
    programs = pd.read_csv(raw / "registry" / "programs.csv", dtype=str, keep_default_na=False)
    programs.loc[2, "org_id"] = "no_such_org"
    programs.to_csv(raw / "registry" / "programs.csv", index=False)
    with pytest.raises(InputError) as ei:
        B.build(raw, out)
    (p,) = ei.value.problems
    assert (p.file, p.row, p.column, p.value) == ("registry/programs.csv", 4, "org_id", "no_such_org")


def test_missing_registry_file_and_unlabelled_simulated_file(raw, out):
    (raw / "registry" / "facts.csv").unlink()
    shutil.copy(raw / "simulated" / "cost_ledger_simulated.parquet", raw / "simulated" / "cost_ledger.parquet")
    with pytest.raises(InputError) as ei:
        B.build(raw, out)
    text = str(ei.value)
    assert "registry/facts.csv" in text and "_simulated" in text


def test_refuses_to_build_into_raw(raw):
    with pytest.raises(ImpactError, match="inside the raw data folder"):
        B.build(raw, raw / "processed")


def test_cli_build_and_tables(raw, out):
    runner = CliRunner()
    res = runner.invoke(cli, ["data", "build", "--raw", str(raw), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "built" in res.output and "cost_ledger_simulated" in res.output
    res = runner.invoke(cli, ["data", "build", "--raw", str(raw), "--out", str(out)])
    assert res.exit_code == 0 and "up to date" in res.output
    res = runner.invoke(cli, ["data", "tables", "--out", str(out)])
    assert res.exit_code == 0 and "simulated" in res.output and "facts" in res.output
    (raw / "geo" / "counties.csv").write_text("county_code,name\n", encoding="utf-8")
    res = runner.invoke(cli, ["data", "build", "--raw", str(raw), "--out", str(out), "--force"])
    assert res.exit_code == 1 and "Traceback" not in res.output and "left unchanged" in res.output


# --------------------------------------------------------------------------- raw-data guard


def test_data_raw_matches_its_manifest():
    """Fails when a file under data/raw/ changes without `impact data manifest` being run."""
    hashes = B.check_raw_manifest()
    assert "source/article_000_8d3988ee2bc6a3bb.txt" in hashes
    assert "registry/facts.csv" in hashes and "geo/counties.csv" in hashes


def test_raw_manifest_detects_changes(raw):
    B.write_raw_manifest(raw)
    text = (raw / "MANIFEST.sha256").read_text(encoding="utf-8")
    assert f"{_sha(raw / 'geo' / 'counties.csv')}  geo/counties.csv" in text
    assert len(B.check_raw_manifest(raw)) == len(text.splitlines())
    with open(raw / "registry" / "programs.csv", "a", encoding="utf-8") as fh:
        fh.write("\n")
    (raw / "registry" / "extra.csv").write_text("a\n1\n", encoding="utf-8")
    (raw / "geo" / "counties.csv").unlink()
    with pytest.raises(InputError) as ei:
        B.check_raw_manifest(raw)
    msg = str(ei.value)
    assert "registry/programs.csv sha256" in msg and "raw data changed" in msg
    assert "registry/extra.csv" in msg and "new file" in msg
    assert "geo/counties.csv" in msg and "missing" in msg
    assert "impact data manifest" in msg


def test_cli_manifest_check_and_templates(tmp_path):
    runner = CliRunner()
    res = runner.invoke(cli, ["data", "manifest", "--check"])
    assert res.exit_code == 0 and "raw files match" in res.output, res.output
    res = runner.invoke(cli, ["data", "templates", "--out", str(tmp_path / "t"), "--readme", str(tmp_path / "R.md")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "t" / "plot_trials.xlsx").read_bytes() == (
        config.ROOT / "data" / "templates" / "plot_trials.xlsx").read_bytes()
    assert "## plot_trials" in (tmp_path / "R.md").read_text(encoding="utf-8")


def test_moved_project_rebuilds_with_new_paths(raw, out, tmp_path, monkeypatch):
    B.build(raw, out)
    moved = tmp_path / "moved" / "data"
    moved.mkdir(parents=True)
    shutil.move(str(raw), moved / "raw")
    shutil.move(str(out), moved / "processed")
    monkeypatch.setattr(config, "DATA_RAW", moved / "raw")
    monkeypatch.setattr(config, "DATA_PROCESSED", moved / "processed")
    assert B.is_stale(moved / "processed", moved / "raw")  # the manifest names the old folder
    assert len(B.load("programs", moved / "processed")) > 0  # raw defaults to the project's data/raw
    con = duckdb.connect(str(moved / "processed" / "impact.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM facts").fetchone()[0] > 0
    finally:
        con.close()
