"""The hostile-input catalogue: shared fixtures and the list of outcomes printed at the end.

Every test in this folder replays one case of the catalogue (issue 12): a bad or
hostile input, an odd path, an interruption. Each must end in a clear error naming
the file, row, column and value (or a correct acceptance), with no traceback,
nothing wrong accepted and nothing half-written. At the end of the run, pytest
prints one line per case with its outcome.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared table helpers

from _valid_tables import frame  # noqa: E402
from impact import config  # noqa: E402
from impact.io import write_parquet  # noqa: E402

SRC = Path(__file__).resolve().parents[2] / "src"

_OUTCOMES: list[tuple[str, str]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "tests/hostile/" not in report.nodeid.replace(os.sep, "/"):
        return
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        outcome = "xfail" if hasattr(report, "wasxfail") else report.outcome
        _OUTCOMES.append((report.nodeid.split("::", 1)[-1], outcome))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001 - pytest API
    if not _OUTCOMES:
        return
    tr = terminalreporter
    tr.section("hostile catalogue: outcome of every case")
    for name, outcome in _OUTCOMES:
        tr.write_line(f"{outcome:<8} {name}")
    counts: dict[str, int] = {}
    for _, outcome in _OUTCOMES:
        counts[outcome] = counts.get(outcome, 0) + 1
    tr.write_line(", ".join(f"{n} {k}" for k, n in sorted(counts.items())))


def make_raw(root: Path) -> Path:
    """A small raw tree: the real county table, registry and source, one small simulated table."""
    r = root / "raw"
    (r / "geo").mkdir(parents=True)
    shutil.copy(config.GEO_DIR / "counties.csv", r / "geo" / "counties.csv")
    shutil.copytree(config.REGISTRY_DIR, r / "registry")
    shutil.copytree(config.SOURCE_DIR, r / "source")
    (r / "simulated").mkdir()
    ledger = frame("cost_ledger")
    ledger["amount_yuan"] = ledger["amount_yuan"].astype(float)
    write_parquet(ledger, r / "simulated" / "cost_ledger_simulated.parquet",
                  {"impact.simulated": "true"}, allow_raw=True)
    return r


@pytest.fixture()
def raw_tree(tmp_path: Path) -> Path:
    return make_raw(tmp_path)


def run_impact(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m impact ARGS`` in a subprocess with this worktree's sources first."""
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    return subprocess.run([sys.executable, "-m", "impact", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=timeout)
