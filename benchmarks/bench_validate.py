"""Validating a large household CSV as a county office writes it, against pandas + pandera (the peer).

The file: ROWS household rows (default 1,000,000) in GBK with Chinese 字段 headers, county
names in place of codes, 是/否 flags, and BAD rows (default 3,000) with wrong values (text
in a money column, negative income, an unknown county, a flag 2, a duplicated key).

- ours: :func:`impact.userdata.read_user_table` (what ``impact data add`` runs: read,
  headers, county names, value conventions, coercion, every check), which raises an
  :class:`~impact.errors.InputError` listing the first 1,000 problems and the count of
  the rest;
- peer: ``pandas.read_csv(encoding="gbk")`` + the same pandera schema (lazy) on a frame
  renamed to the schema's columns; it coerces nothing and resolves no county names, so it
  does less than ours.

Each side runs in a fresh process (peak memory = its max RSS). Targets (issue #11): ours
<= 15 s and <= 1.5 GB on the 2-core machine. Prints the times, memory and the ratio.

Run: python benchmarks/bench_validate.py [--rows 1000000] [--bad 3000] [--file /tmp/hh.csv]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd


def make_file(path: Path, rows: int, bad: int, seed: int = 5) -> None:
    from impact import config
    from impact.geo import county_table
    from impact.schemas import SPECS

    base = pd.read_parquet(config.SIMULATED_DIR / "households_simulated.parquet")
    reps = int(np.ceil(rows / len(base)))
    df = pd.concat([base] * reps, ignore_index=True).iloc[:rows].copy()
    df["household_id"] = [f"H{i:09d}" for i in range(len(df))]
    names = county_table().set_index("county_code")["short_name"]
    df["county_code"] = df["county_code"].astype(str).map(names)
    df["participant"] = np.where(df["participant"] == 1, "是", "否")
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(df), size=bad, replace=False)
    kinds = np.arange(bad) % 5
    df = df.astype({c: object for c in ("income_farming", "income_total", "hh_size")})
    df.loc[idx[kinds == 0], "income_farming"] = "不详"
    df.loc[idx[kinds == 1], "income_total"] = -5
    df.loc[idx[kinds == 2], "county_code"] = "火星县"
    df.loc[idx[kinds == 3], "participant"] = "2"
    dup = idx[kinds == 4]
    df.loc[dup, "household_id"] = df.loc[(dup + 1) % len(df), "household_id"].to_numpy()
    df.loc[dup, "wave"] = df.loc[(dup + 1) % len(df), "wave"].to_numpy()
    zh = {c.name: c.zh for c in SPECS["household_survey"].columns}
    zh["county_code"] = "县"
    zh["income_total"] = "总收入（元）"
    df.rename(columns=zh).to_csv(path, index=False, encoding="gbk")


def run_ours(path: str) -> dict:
    from impact.errors import InputError
    from impact.userdata import read_user_table

    t0 = time.perf_counter()
    try:
        read_user_table(path, kind="household_survey")
        n, last = 0, ""
    except InputError as err:
        n, last = len(err.problems), str(err.problems[-1])
    return {"seconds": time.perf_counter() - t0, "problems_listed": n, "last": last}


def run_peer(path: str) -> dict:
    import pandera.pandas as pa

    from impact.schemas import SPECS, pandera_schema

    t0 = time.perf_counter()
    df = pd.read_csv(path, encoding="gbk", dtype={"农户编号": str, "村编号": str})
    zh = {c.zh: c.name for c in SPECS["household_survey"].columns}
    zh.update({"县": "county_code", "总收入（元）": "income_total"})
    df = df.rename(columns=zh)
    try:
        pandera_schema("household_survey").validate(df, lazy=True)
        n = 0
    except pa.errors.SchemaErrors as err:
        n = len(err.failure_cases)
    return {"seconds": time.perf_counter() - t0, "failure_cases": n}


def _child(side: str, path: str) -> dict:
    import resource

    r0 = resource.getrusage(resource.RUSAGE_SELF)
    out = run_ours(path) if side == "ours" else run_peer(path)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    out["peak_mb"] = r1.ru_maxrss / 1024
    out["cpu"] = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--bad", type=int, default=3_000)
    ap.add_argument("--file", type=Path, default=None)
    ap.add_argument("--child", nargs=2, metavar=("SIDE", "FILE"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(_child(*a.child), ensure_ascii=False))
        return
    path = a.file or Path(f"/tmp/impact_bench_households_{a.rows}_{a.bad}.csv")
    if not path.is_file():
        t0 = time.perf_counter()
        make_file(path, a.rows, a.bad)
        print(f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")
    res = {}
    for side in ("ours", "peer"):
        p = subprocess.run([sys.executable, __file__, "--child", side, str(path)], capture_output=True, text=True,
                           check=True)
        res[side] = json.loads(p.stdout.strip().splitlines()[-1])
    o, q = res["ours"], res["peer"]
    print(f"rows: {a.rows:,}, bad rows: {a.bad:,}, GBK CSV with Chinese headers and county names")
    import os

    print(f"load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(wall times grow with the load; CPU times less so)")
    print(f"ours (read_user_table):     {o['seconds']:6.2f} s wall, {o['cpu']:6.2f} s CPU, peak {o['peak_mb']:6.0f} MB, "
          f"{o['problems_listed']} problems listed; last: {o['last']}")
    print(f"peer (read_csv + pandera):  {q['seconds']:6.2f} s wall, {q['cpu']:6.2f} s CPU, peak {q['peak_mb']:6.0f} MB, "
          f"{q['failure_cases']} failure cases")
    print(f"ratio ours/peer: wall {o['seconds'] / q['seconds']:.2f}, CPU {o['cpu'] / q['cpu']:.2f}, "
          f"memory {o['peak_mb'] / q['peak_mb']:.2f}")
    print(f"targets: <= 15 s ({'met' if o['seconds'] <= 15 else 'MISSED'}), "
          f"<= 1,500 MB ({'met' if o['peak_mb'] <= 1500 else 'MISSED'})")


if __name__ == "__main__":
    main()
