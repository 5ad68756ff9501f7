"""Report speed on the real county notebook: the engine vs naive papermill + nbconvert.

Both sides run ``notebooks/county_report.ipynb`` on the real processed data, with the same
parameters, in the same run of this script, with the same number of processes (``--jobs``,
default 2, the cores of the development machine):

- engine: ``impact report all --jobs N`` as a separate process (start-up, the shared tables'
  precompute, warm kernels reset between reports, in-process HTML, the index page);
- naive: per county, the ``papermill`` CLI and then the ``jupyter nbconvert --to html`` CLI,
  ``N`` counties at a time. It runs after the engine, so its notebooks read the shared
  tables the engine precomputed (the naive side is not charged for computing them).

Also timed: one county from the command line (``impact report county``, a cold process,
no shared tables: the report computes its own county), and the province report.

    python benchmarks/bench_reports.py                    # engine on all 129, naive on 6 (extrapolated)
    python benchmarks/bench_reports.py --naive 129        # the full naive run (long)
    python benchmarks/bench_reports.py --engine 20        # a subset of the engine too (extrapolated)

Prints seconds and the ratio naive / engine for 129 reports.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "county_report.ipynb"
N_COUNTIES = 129


def county_codes() -> list[str]:
    from impact.geo import county_table

    return list(county_table()["county_code"])


def _env() -> dict[str, str]:
    bindir = Path(sys.executable).parent
    return {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}


def naive(codes: list[str], work: Path, jobs: int, processed: Path) -> float:
    """papermill CLI then nbconvert CLI per county, ``jobs`` counties at a time; returns seconds."""
    bindir, env = Path(sys.executable).parent, _env()

    def one(code: str) -> None:
        out = work / f"{code}.ipynb"
        subprocess.run([str(bindir / "papermill"), str(NOTEBOOK), str(out), "-p", "county", code, "-p", "year",
                        "2024", "-p", "lang", "zh", "-p", "processed_dir", str(processed), "--no-progress-bar"],
                       check=True, env=env, capture_output=True)
        subprocess.run([str(bindir / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(out)],
                       check=True, env=env, capture_output=True)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(one, codes))
    return time.perf_counter() - t0


def cli(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "impact", *args], check=True, capture_output=True, env=_env())
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--naive", type=int, default=6, help="counties for the naive pipeline (extrapolated to 129)")
    ap.add_argument("--engine", type=int, default=N_COUNTIES, help="counties for the engine (extrapolated to 129)")
    ap.add_argument("--jobs", type=int, default=2, help="processes on both sides")
    args = ap.parse_args()
    from impact import config

    codes = county_codes()
    with tempfile.TemporaryDirectory(prefix="impact-bench-") as tmp:
        work = Path(tmp)
        processed = work / "processed"  # a copy, so the benchmark's shared tables are its own
        shutil.copytree(config.DATA_PROCESSED, processed, ignore=shutil.ignore_patterns("report_cache", "*.duckdb*"))
        common = ["--year", "2024", "--processed-dir", str(processed)]
        t_one = cli(["report", "county", codes[0], *common, "--reports-dir", str(work / "one")])
        t_engine = cli(["report", "all", *common, "--counties", ",".join(codes[: args.engine]), "--jobs",
                        str(args.jobs), "--force", "--no-progress", "--reports-dir", str(work / "reports")])
        t_province = cli(["report", "province", *common, "--force", "--reports-dir", str(work / "reports")])
        made = len(list((work / "reports" / "2024" / "counties").glob("*.html")))
        (work / "naive").mkdir()
        t_naive = naive(codes[: args.naive], work / "naive", args.jobs, processed)
    if made != args.engine:
        sys.exit(f"engine made {made} reports, expected {args.engine}")
    naive_129 = t_naive / args.naive * N_COUNTIES
    engine_129 = t_engine if args.engine == N_COUNTIES else t_engine / args.engine * N_COUNTIES
    print(f"cores available: {len(os.sched_getaffinity(0))}, processes on both sides: {args.jobs}, "
          f"load average before: {os.getloadavg()[0]:.1f}")
    print(f"one county from the command line (cold, no shared tables): {t_one:.1f} s")
    print(f"engine (impact report all, real notebook): {args.engine} reports in {t_engine:.1f} s "
          f"-> 129 reports: {engine_129:.0f} s" + ("" if args.engine == N_COUNTIES else " (extrapolated)"))
    print(f"province report: {t_province:.1f} s; county reports + province: {engine_129 + t_province:.0f} s")
    print(f"naive  (papermill CLI + nbconvert CLI, {args.jobs} at a time): {args.naive} reports in {t_naive:.1f} s "
          f"-> 129 reports: {naive_129:.0f} s" + ("" if args.naive == N_COUNTIES else " (extrapolated)"))
    print(f"speed-up (naive / engine, 129 reports): {naive_129 / engine_129:.1f}x")


if __name__ == "__main__":
    main()
