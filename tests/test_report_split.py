"""The report layer split by job shows what the single sections module showed.

``tests/fixtures/report_tables/*.json`` were written by ``dump.py`` (same folder) from
the code before the split: every table behind every section (``rep.tables``) and every
section's title, paragraphs, display tables and notes, for counties covering each
combination of sections and both languages, and for the province report. The current
code must give the same content. Differences allowed, and checked instead:

- the notes section is new, and the ``skipped`` mapping became the ``notes`` table:
  every reason the old appendix listed for this county is now a row of the notes section;
- the SHA-256 column of the appendix's data-hash table: the processed files' bytes
  depend on the build's code hash, which the split changed;
- a county's event-study table holds the sector of its own synthetic control only (the
  only rows its causal section shows; before, all sectors when read from the shared tables).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

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


def _own_sector_only(tables: dict) -> None:
    es, syn = tables["event_study"], tables["synth"]
    if not es["columns"]:
        return
    sectors = {r[syn["columns"].index("sector")] for r in syn["data"]} if syn["data"] else set()
    i = es["columns"].index("sector")
    keep = [k for k, r in enumerate(es["data"]) if r[i] in sectors]
    es["data"] = [es["data"][k] for k in keep]
    es["index"] = list(range(len(keep)))


def _compare(before: dict, rep, *, code: str | None) -> None:
    after = dump.snapshot(rep)
    old_skipped = before["tables"].pop("skipped", {})
    if code is not None:  # the county's table of event-time effects now holds its own sector only
        _own_sector_only(before["tables"])
    notes = after["tables"].pop("notes")
    if code is not None and not before["tables"]["event_study"]["data"]:  # no rows: columns do not matter
        before["tables"].pop("event_study")
        assert not after["tables"].pop("event_study")["data"]
    _same(before["tables"], after["tables"], "tables")
    old_app = before["sections"].pop("appendix")
    new_app = after["sections"].pop("appendix")
    _same(before["sections"], after["sections"], "sections")
    # the appendix: same apart from the hash column; its notes moved to the notes section
    for s in (old_app, new_app):
        _drop_hash_column(s)
    moved = old_app.pop("notes")
    new_app.pop("notes")
    _same(old_app, new_app, "appendix")
    rows = [dict(zip(notes["columns"], r)) for r in notes["data"]]
    lines = {f"{r['part']}: {r['message']}" for r in rows}
    for line in moved:
        part, _, why = line.partition(": ")
        assert any(r["message"] == why or why in r["message"] for r in rows if r["part"].startswith(part.split()[0])), \
            f"{line!r} is not in the notes section: {sorted(lines)}"
    if code is not None:
        assert all(r["county_code"] in (None, code) for r in rows)
    assert set(old_skipped) <= {r["part"] for r in rows} | {k for k in old_skipped if k.startswith("synth ")}


@pytest.mark.parametrize(("code", "lang"), dump.COUNTIES)
def test_county_report_content_unchanged_by_the_split(code, lang):
    from impact.report.county import county_report

    before = json.loads((HERE / f"county_{code}_{lang}.json").read_text(encoding="utf-8"))
    rep = county_report(code, dump.YEAR, lang, figures=False)
    _compare(before, rep, code=code)
    assert rep.section("notes") is not None


def test_province_report_content_unchanged_by_the_split():
    from impact.report.province import province_report

    before = json.loads((HERE / "province_zh.json").read_text(encoding="utf-8"))
    rep = province_report(dump.YEAR, "zh", figures=False)
    _compare(before, rep, code=None)
