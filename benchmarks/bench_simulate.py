"""Benchmark of the simulator: small-scale time and large-scale (10 M household rows) memory.

Run on demand:  .venv/bin/python benchmarks/bench_simulate.py [--skip-large] [--repeat 3]

Targets (issue 4): the committed small scale in under 10 s; 10 million household rows
written in chunks with peak memory under 2 GB, measured with ``/usr/bin/time -v``
(maximum resident set size of the whole ``impact simulate`` process). Prints the
measured figures and their ratio to each target. Output goes to a temporary folder.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SMALL_TARGET_S = 10.0
LARGE_RSS_TARGET_MB = 2048.0


def bench_small(repeat: int) -> float:
    """Best wall time of ``simulate(scale="small")`` in this process (imports excluded)."""
    from impact.simulate import simulate

    best = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        simulate(scale="small", out=Path(tmp) / "warm")  # warm imports and the county list
        for i in range(repeat):
            t0 = time.perf_counter()
            simulate(scale="small", out=Path(tmp) / f"r{i}")
            best = min(best, time.perf_counter() - t0)
    return best


def bench_small_cli() -> float:
    """Wall time of a cold ``impact simulate`` process (imports included)."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "impact", "simulate", "--quiet", "--out", tmp], check=True, stdout=subprocess.DEVNULL
        )
        return time.perf_counter() - t0


def bench_large() -> dict[str, float]:
    """Run the large scale under ``/usr/bin/time -v``; return elapsed seconds, peak RSS and rows."""
    time_bin = shutil.which("time") or "/usr/bin/time"
    if not Path(time_bin).is_file():
        raise SystemExit("/usr/bin/time not found (apt-get install time)")
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [time_bin, "-v", sys.executable, "-m", "impact", "simulate", "--scale", "large", "--quiet", "--out", tmp],
            check=True,
            capture_output=True,
            text=True,
        )
        import pyarrow.parquet as pq

        hh = Path(tmp) / "households_simulated.parquet"
        rows = pq.read_metadata(hh).num_rows
        size_mb = hh.stat().st_size / 2**20
    err = proc.stderr
    rss_kb = float(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1))
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", err).group(1)
    parts = [float(p) for p in wall.split(":")]
    secs = sum(p * 60**i for i, p in enumerate(reversed(parts)))
    return {"elapsed_s": secs, "peak_rss_mb": rss_kb / 1024, "rows": rows, "file_mb": size_mb}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-large", action="store_true")
    args = ap.parse_args()
    small = bench_small(args.repeat)
    cold = bench_small_cli()
    print(
        f"small scale, in process (best of {args.repeat}): {small:.2f} s  "
        f"(ratio to the 10 s target: {small / SMALL_TARGET_S:.2f})"
    )
    print(
        f"small scale, cold `impact simulate` process:    {cold:.2f} s  "
        f"(ratio to the 10 s target: {cold / SMALL_TARGET_S:.2f})"
    )
    if not args.skip_large:
        r = bench_large()
        print(
            f"large scale: {r['rows']:,} household rows in {r['elapsed_s']:.1f} s, "
            f"peak RSS {r['peak_rss_mb']:.0f} MB (ratio to the 2 GB target: {r['peak_rss_mb'] / LARGE_RSS_TARGET_MB:.2f}), "
            f"households file {r['file_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
