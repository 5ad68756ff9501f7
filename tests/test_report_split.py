"""The reports show what the stored snapshot of their content shows.

``tests/fixtures/report_tables/*.json`` are written by ``dump.py`` (same folder): every
table behind every section (``rep.tables``) and every section's title, paragraphs,
display tables and notes, for counties covering each combination of sections and both
languages, and for the province report. The snapshot first proved that splitting the
report layer by job changed no content (taken from the code before the split; the notes
section was new). It now guards against unintended changes of content: rerun ``dump.py``
when a deliberate change (the simulated data, an estimator, an indicator, a sentence)
changes the reports, and say so in the commit. Differences allowed: the notes section
(compared by ``test_report_notes.py``) and the SHA-256 column of the appendix's data-hash
table (the processed files' bytes depend on the build's code hash).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pandas as pd
import pytest

from impact import config

HERE = Path(__file__).resolve().parent / "fixtures" / "report_tables"
sys.path.insert(0, str(HERE))
import dump  # noqa: E402

pytestmark = pytest.mark.skipif(not (config.DATA_PROCESSED / "county_panel_simulated.parquet").is_file(),
                                reason="run `impact data build` first")


def _same(a, b, where: str) -> None:
    """Equal JSON values; floats equal to 1e-9 relative (the snapshot keeps 12 digits)."""
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            assert a == b, where
            return
        assert math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9), f"{where}: {a} != {b}"
    elif isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), f"{where}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            _same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{where}: length {len(a)} != {len(b) if isinstance(b, list) else b}"
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _drop_hash_column(sec: dict) -> None:
    for cap, frame in sec["tables"]:
        cols = frame["columns"]
        for name in ("SHA-256", "SHA-256 校验值"):
            if name in cols:
                i = cols.index(name)
                frame["data"] = [row[:i] + row[i + 1:] for row in frame["data"]]
                frame["columns"] = cols[:i] + cols[i + 1:]


def _no_row_columns(snap: dict) -> None:
    """A table with no rows compares as empty whatever its columns (the shared-table cache keeps
    the columns of an empty selection, a direct computation may not)."""
    for name, tab in snap["tables"].items():
        if isinstance(tab, dict) and tab.get("data") == []:
            snap["tables"][name] = {"columns": [], "index": [], "data": []}


def _compare(before: dict, rep, *, code: str | None) -> None:
    after = dump.snapshot(rep)
    for snap in (before, after):
        _no_row_columns(snap)
    for snap in (before, after):
        app = snap["sections"].get("appendix")
        if app:
            _drop_hash_column(app)
    _same(before, after, "report")
    notes = rep.tables.get("notes", pd.DataFrame())
    if code is not None and len(notes):
        assert set(notes["county_code"].dropna()) <= {code}


@pytest.mark.parametrize(("code", "lang"), dump.COUNTIES)
def test_county_report_content_matches_the_snapshot(code, lang):
    from impact.report.county import county_report

    before = json.loads((HERE / f"county_{code}_{lang}.json").read_text(encoding="utf-8"))
    rep = county_report(code, dump.YEAR, lang, figures=False)
    _compare(before, rep, code=code)
    assert rep.section("notes") is not None


def test_province_report_content_matches_the_snapshot():
    from impact.report.province import province_report

    before = json.loads((HERE / "province_zh.json").read_text(encoding="utf-8"))
    rep = province_report(dump.YEAR, "zh", figures=False)
    _compare(before, rep, code=None)
