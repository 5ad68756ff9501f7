"""Interruptions of ``impact data build``: the processed folder is always a complete version.

A version is complete when ``manifest.json`` exists, every table it lists is a
readable Parquet file whose recorded source hash is the manifest's, the DuckDB
file holds the same tables with the same row counts, and no other build output
lies beside them. Each check says which version (old or new) the folder holds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from conftest import SRC, make_raw
from impact import build as B
from impact.io import Interrupted, read_parquet_metadata


def _add_org(raw: Path, org_id: str) -> None:
    path = raw / "registry" / "organizations.csv"
    orgs = pd.read_csv(path, dtype=str, keep_default_na=False)
    pd.concat([orgs, orgs.iloc[[0]].assign(org_id=org_id)]).to_csv(path, index=False)


def version_of(out: Path) -> str:
    """The organizations count of the complete version in ``out``; fails on anything partial."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    tables = manifest["tables"]
    outputs = {p.name for p in out.iterdir() if p.suffix in (".parquet", ".duckdb", ".wal")}
    assert outputs == {f"{t}.parquet" for t in tables} | {"impact.duckdb"}, outputs
    for t, n in tables.items():
        meta = read_parquet_metadata(out / f"{t}.parquet")
        source = meta["impact.source"]
        assert meta["impact.source_sha256"] == manifest["inputs"][source]["sha256"], (t, "mixed versions")
        assert len(pd.read_parquet(out / f"{t}.parquet")) == n
    con = duckdb.connect(str(out / "impact.duckdb"), read_only=True)
    try:
        for t, n in tables.items():
            assert con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] == n
    finally:
        con.close()
    assert (out / "README.md").read_text(encoding="utf-8") == "kept\n"
    return str(tables["organizations"])


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.is_dir() and p.name.startswith(f".{out.name}."))


@pytest.fixture()
def two_versions(tmp_path: Path) -> tuple[Path, Path, str, str]:
    """A complete old build in ``out``; raw changed so that the next build differs."""
    raw = make_raw(tmp_path)
    out = tmp_path / "processed"
    out.mkdir()
    (out / "README.md").write_text("kept\n", encoding="utf-8")
    B.build(raw, out)
    old = version_of(out)
    _add_org(raw, "new_org_for_interrupt_test")
    return raw, out, old, str(int(old) + 1)


@pytest.mark.parametrize(("moment", "signum"), [
    ("before_swap", signal.SIGTERM), ("before_swap", signal.SIGINT), ("after_swap", signal.SIGTERM),
    ("after_swap", signal.SIGINT), ("while_writing_parquet", signal.SIGTERM), ("while_writing_duckdb", signal.SIGINT),
], ids=lambda v: v.name if isinstance(v, signal.Signals) else v)
def test_signal_at_a_named_moment_leaves_a_complete_version(two_versions, monkeypatch, moment, signum):
    raw, out, old, new = two_versions
    target = {"before_swap": "_swap_in", "after_swap": "_swap_in", "while_writing_parquet": "write_parquet",
              "while_writing_duckdb": "_write_duckdb"}[moment]
    real = getattr(B, target)

    def hooked(*args, **kwargs):
        if moment == "after_swap":
            real(*args, **kwargs)
            os.kill(os.getpid(), signum)
            return None
        os.kill(os.getpid(), signum)
        return real(*args, **kwargs)

    monkeypatch.setattr(B, target, hooked)
    with pytest.raises(KeyboardInterrupt) as ei:
        B.build(raw, out, force=True)
    if signum == signal.SIGTERM:
        assert isinstance(ei.value, Interrupted) and ei.value.signum == signal.SIGTERM
    assert version_of(out) == (new if moment == "after_swap" else old)
    assert _leftovers(out) == []
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # handler restored


def test_leftover_staging_folder_of_a_killed_build_is_removed(two_versions):
    raw, out, old, new = two_versions
    stale = out.parent / f".{out.name}.new-killed.tmp"
    stale.mkdir()
    (stale / "households.parquet").write_bytes(b"half")
    B.build(raw, out)
    assert version_of(out) == new and _leftovers(out) == []


def _interrupt_real_build(raw: Path, out: Path, signum: int, delay: float) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.Popen([sys.executable, "-m", "impact", "data", "build", "--force", "--raw", str(raw),
                             "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(delay)
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def _timed_build(raw: Path, out: Path) -> float:
    t0 = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    subprocess.run([sys.executable, "-m", "impact", "data", "build", "--force", "--raw", str(raw), "--out", str(out)],
                   check=True, capture_output=True, env=env, timeout=120)
    return time.perf_counter() - t0


def _replay(raw: Path, out: Path, new: str, moments: int) -> list[tuple[str, float, int, str]]:
    duration = _timed_build(raw, out)  # the new version, complete
    assert version_of(out) == new
    seen = []
    for k in range(moments):
        # alternate the two versions in the folder, so either outcome is visible
        current = version_of(out)
        if current == new:
            _add_org(raw, f"extra_{k}")
        target = str(len(pd.read_csv(raw / "registry" / "organizations.csv", dtype=str)))
        signum = (signal.SIGTERM, signal.SIGINT)[k % 2]
        delay = duration * (0.15 + 0.95 * k / max(moments - 1, 1))
        done = _interrupt_real_build(raw, out, signum, delay)
        state = version_of(out)
        finished = "built;" in done.stdout
        assert "Traceback" not in done.stderr or signum == signal.SIGINT, done.stderr
        if finished:  # the signal came after the build (exit code then depends on when)
            assert state == target
        else:  # interrupted: non-zero, and the folder holds one complete version
            assert done.returncode != 0, (delay, done.stderr)
            assert state in (current, target), (delay, state)
        assert _leftovers(out) == []
        seen.append((signal.Signals(signum).name, round(delay, 2), done.returncode, state))
    return seen


def test_signals_at_many_moments_of_a_real_build(two_versions):
    raw, out, old, new = two_versions
    seen = _replay(raw, out, new, moments=4)
    assert any(rc != 0 for _, _, rc, _ in seen), seen  # some signals did interrupt


@pytest.mark.slow
def test_signals_at_many_moments_of_the_shipped_data_build(tmp_path):
    import shutil

    from impact import config

    raw = tmp_path / "raw"
    shutil.copytree(config.DATA_RAW, raw)
    out = tmp_path / "processed"
    out.mkdir()
    (out / "README.md").write_text("kept\n", encoding="utf-8")
    B.build(raw, out)
    old = version_of(out)
    _add_org(raw, "new_org_for_interrupt_test")
    seen = _replay(raw, out, str(int(old) + 1), moments=24)
    assert any(rc != 0 for _, _, rc, _ in seen), seen
