"""Benchmark: county-level income indicators on 10 million household rows.

Compares, in the same run and on the same Parquet file,

* ``impact``      -- :func:`impact.indicators.income_increase` given the Parquet path
                     (DuckDB large path: every source, per household and per capita, with
                     cluster-robust SEs by village, nominal and real);
* ``impact_df``   -- the same function given a pandas DataFrame (the notebook interface);
* ``pandas``      -- a straightforward pandas implementation: read the file, merge each
                     follow-up row with its baseline row, ``groupby([county, year,
                     participant]).mean()`` and difference (point estimates only, no SEs).

Each implementation runs in its own subprocess so its peak memory (``ru_maxrss``) is its own.
The file is generated in chunks (synthetic, seeded; labeled simulated) or read with ``--path``.

    .venv/bin/python benchmarks/bench_indicators.py               # 10,000,000 rows
    .venv/bin/python benchmarks/bench_indicators.py --rows 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SOURCES = ("total", "farming", "wages", "ecommerce", "transfers")


def generate(path: Path, rows: int, seed: int = 1, chunk_households: int = 500_000) -> None:
    """Two waves (2022 baseline, 2023 follow-up) of rows/2 households in 129 counties x 40 villages."""
    n_hh = rows // 2
    rng = np.random.default_rng(seed)
    counties = np.array([f"53{i:04d}" for i in range(129)])
    writer = None
    meta = {b"impact.simulated": b"true", b"impact.seed": str(seed).encode(), b"impact.note": b"synthetic benchmark data"}
    try:
        for start in range(0, n_hh, chunk_households):
            m = min(chunk_households, n_hh - start)
            hid = np.arange(start, start + m)
            c = rng.integers(0, counties.size, m)
            vil = c * 40 + rng.integers(0, 40, m)
            part = (rng.random(m) < 0.4).astype(np.int64)
            size = rng.integers(1, 8, m)
            base = {s: rng.gamma(4.0, 2500.0, m) for s in SOURCES[1:]}
            for wave, year in ((0, 2022), (1, 2023)):
                inc = {s: base[s] * (1.0 + 0.05 * wave) + wave * part * 800.0 + (rng.normal(0, 500, m) if wave else 0) for s in SOURCES[1:]}
                tot = sum(inc.values())
                tbl = pa.table({
                    "household_id": hid, "county_code": counties[c], "town": counties[c], "village_id": vil,
                    "wave": np.full(m, wave), "year": np.full(m, year), "hh_size": size, "participant": part,
                    "baseline_income": sum(base.values()),
                    **{f"income_{s}": inc[s] for s in SOURCES[1:]}, "income_total": tot,
                })
                if writer is None:
                    writer = pq.ParquetWriter(path, tbl.schema.with_metadata(meta))
                writer.write_table(tbl)
    finally:
        if writer is not None:
            writer.close()


def run_impact(path: str, as_frame: bool) -> dict:
    import pandas as pd

    from impact.indicators import income_increase

    t0, c0 = time.perf_counter(), time.process_time()
    src = pd.read_parquet(path) if as_frame else path
    t_read = time.perf_counter() - t0
    r = income_increase(src, by=["county_code", "year"], cpi={2022: 100.0, 2023: 102.0})
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    tab = r.table[(r.table.term == "total_per_household")].set_index("county_code")["estimate"]
    return {"seconds": dt, "cpu_seconds": cpu, "read_seconds": t_read, "rows_out": len(r.table), "check": tab.sort_index().round(6).tolist()}


def run_pandas(path: str) -> dict:
    import pandas as pd

    t0, c0 = time.perf_counter(), time.process_time()
    df = pd.read_parquet(path)
    base = df[df.wave == 0]
    fol = df[df.wave > 0]
    m = fol.merge(base[["household_id"] + [f"income_{s}" for s in SOURCES]], on="household_id", suffixes=("", "_0"))
    for s in SOURCES:
        m[f"d_{s}"] = m[f"income_{s}"] - m[f"income_{s}_0"]
        m[f"pc_{s}"] = m[f"d_{s}"] / m["hh_size"]
    cols = [f"d_{s}" for s in SOURCES] + [f"pc_{s}" for s in SOURCES]
    g = m.groupby(["county_code", "year", "participant"])[cols].mean().unstack("participant")
    diff = g.xs(1, axis=1, level="participant") - g.xs(0, axis=1, level="participant")
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    tab = diff.reset_index().set_index("county_code")["d_total"]
    return {"seconds": dt, "cpu_seconds": cpu, "rows_out": int(diff.size), "check": tab.sort_index().round(6).tolist()}


def child(kind: str, path: str) -> None:
    out = run_pandas(path) if kind == "pandas" else run_impact(path, as_frame=(kind == "impact_df"))
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--path", type=Path, default=None, help="read this household Parquet file instead of generating one")
    ap.add_argument("--child", choices=["impact", "impact_df", "pandas"], help=argparse.SUPPRESS)
    ap.add_argument("--skip", nargs="*", default=[], help="implementations to skip")
    ap.add_argument("--repeat", type=int, default=3, help="runs per implementation (best wall time is kept; the machine is shared)")
    a = ap.parse_args()
    if a.child:
        child(a.child, str(a.path))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = a.path
        if path is None:
            path = Path(tmp) / "households_bench_simulated.parquet"
            t0 = time.perf_counter()
            generate(path, a.rows)
            print(f"generated {a.rows:,} rows in {time.perf_counter() - t0:.1f} s -> {path.name} (synthetic, simulated)")
        rows = pq.ParquetFile(path).metadata.num_rows
        print(f"input: {rows:,} household rows, {os.path.getsize(path) / 2**20:.0f} MiB Parquet; cores: {os.cpu_count()}")
        res = {}
        print(f"load average before the runs: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        for kind in ("impact", "impact_df", "pandas"):
            if kind in a.skip:
                continue
            runs = []
            for _ in range(a.repeat):
                p = subprocess.run([sys.executable, __file__, "--child", kind, "--path", str(path)], capture_output=True, text=True)
                if p.returncode != 0:
                    print(f"{kind}: failed\n{p.stderr[-2000:]}")
                    break
                runs.append(json.loads(p.stdout.strip().splitlines()[-1]))
            if not runs:
                continue
            best = min(runs, key=lambda r: r["seconds"])
            best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
            res[kind] = r = best
            print(f"{kind:10s} {r['seconds']:7.2f} s wall (best of {len(runs)}), {r['cpu_seconds']:6.2f} s CPU, "
                  f"peak RSS {r['peak_rss_mb']:7.0f} MiB  ({r['rows_out']} output rows/cells)")
        if "impact" in res and "pandas" in res:
            same = np.allclose(res["impact"]["check"], res["pandas"]["check"], rtol=1e-9)
            print(f"speed ratio pandas / impact (parquet path): {res['pandas']['seconds'] / res['impact']['seconds']:.2f}x wall, "
                  f"{res['pandas']['cpu_seconds'] / res['impact']['cpu_seconds']:.2f}x CPU; "
                  f"memory ratio: {res['pandas']['peak_rss_mb'] / res['impact']['peak_rss_mb']:.2f}x; "
                  f"point estimates agree: {same}")
        if "impact_df" in res and "pandas" in res:
            print(f"speed ratio pandas / impact (DataFrame input, incl. read): {res['pandas']['seconds'] / res['impact_df']['seconds']:.2f}x")
        ok = "impact" in res and res["impact"]["seconds"] < 10 and res["impact"]["peak_rss_mb"] < 4096
        print(f"target (< 10 s, < 4 GiB on the large path): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
