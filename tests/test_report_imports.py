"""A county report rendered from the cached shared tables imports no heavy library it does not use.

The first report of a fresh process pays for every import on its path: scipy.stats and
scipy.optimize (about 1.4 s), seaborn with pyplot (1.2 s), statsmodels. None of them is used
to show a county from the shared tables (they compute estimates and intervals, which the
cache already holds), so a fresh process rendering a county must not import them.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import textwrap

import pytest

from impact import config

pytestmark = pytest.mark.skipif(not (config.DATA_PROCESSED / "county_panel_simulated.parquet").is_file(),
                                reason="run `impact data build` first")

#: Imported only to compute (estimators, intervals, seaborn's statistics): never to show a cached county.
HEAVY = ("scipy.stats", "scipy.optimize", "statsmodels", "seaborn", "matplotlib.pyplot", "pyfixest", "sklearn")

#: A county with programs, indicators and a synthetic control: every chart kind of the page
#: (programs by sector, forest plots, the gap and event-study plots, the locator map).
CODE = "530824"


def _tables(tmp_path) -> str:
    """This county's tables as the shared-table cache gives them, pickled for the child process."""
    from impact.report.inputs import load_inputs
    from impact.report.tables import compute_tables

    tables = compute_tables(load_inputs(), 2024, [CODE])
    path = tmp_path / "tables.pkl"
    path.write_bytes(pickle.dumps(tables))
    return str(path)


def test_a_cached_county_render_imports_no_heavy_library(tmp_path):
    tables = _tables(tmp_path)
    child = textwrap.dedent(f"""
        import json, pickle, sys
        import impact.report.county as county
        tables = pickle.loads(open({tables!r}, "rb").read())
        county.read_cache = lambda *a, **k: tables  # the cache is current: no computation
        rep = county.county_report({CODE!r}, 2024, "zh")
        page = rep.header_html() + "".join(s.to_html() for s in rep.sections.values() if s is not None)
        figures = sum(len(getattr(s, "figures", []) or []) for s in rep.sections.values() if s is not None)
        print(json.dumps({{"modules": sorted(m for m in {HEAVY!r} if m in sys.modules),
                          "figures": figures, "chars": len(page)}}))
    """)
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True, cwd=str(config.ROOT))
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["figures"] >= 4 and got["chars"] > 10_000  # the page was really drawn
    assert got["modules"] == [], f"a cached county render imported {got['modules']}"
