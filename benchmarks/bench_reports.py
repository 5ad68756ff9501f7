"""Batch report speed: the warm-kernel engine vs the naive papermill + nbconvert CLI pipeline.

The naive way (issue 7): per county, ``papermill`` on the command line, then
``jupyter nbconvert --to html`` on the command line, in sequence. The engine:
``impact report all`` (warm kernels reset between reports, in-process HTML
export, parallel workers). Both run the same notebook
(``tests/fixtures/report_fixture.ipynb``: imports pandas, geopandas and
seaborn, draws one plot) in the same run of this script, with the same
parameters, into a temporary folder.

    python benchmarks/bench_reports.py                 # naive on 6 counties, extrapolated; engine on all 129
    python benchmarks/bench_reports.py --naive 129     # the full naive run (about half an hour)
    python benchmarks/bench_reports.py --engine 20 --jobs 2

Prints the per-report and 129-report times of both and the ratio (naive / engine).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "tests" / "fixtures" / "report_fixture.ipynb"
N_COUNTIES = 129


def county_codes() -> list[str]:
    from impact.geo import county_table

    return list(county_table()["county_code"])


def naive(codes: list[str], work: Path) -> float:
    """papermill CLI then nbconvert CLI per county, in sequence; returns seconds."""
    bindir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}
    t0 = time.perf_counter()
    for code in codes:
        out = work / f"{code}.ipynb"
        subprocess.run([str(bindir / "papermill"), str(NOTEBOOK), str(out), "-p", "county", code, "-p", "year",
                        "2024", "-p", "lang", "zh", "--no-progress-bar"], check=True, env=env,
                       capture_output=True)
        subprocess.run([str(bindir / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(out)],
                       check=True, env=env, capture_output=True)
    return time.perf_counter() - t0


def engine(codes: list[str], work: Path, jobs: int) -> float:
    """``impact report all`` as a separate process (start-up included); returns seconds."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "impact", "report", "all", "--year", "2024", "--counties", ",".join(codes),
                    "--jobs", str(jobs), "--force", "--no-precompute", "--no-progress", "--notebook", str(NOTEBOOK),
                    "--reports-dir", str(work / "reports"), "--data-dir", str(work / "nodata"),
                    "--processed-dir", str(work / "nodata")], check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--naive", type=int, default=6, help="counties for the naive pipeline (extrapolated to 129)")
    ap.add_argument("--engine", type=int, default=N_COUNTIES, help="counties for the engine (extrapolated to 129)")
    ap.add_argument("--jobs", type=int, default=2, help="engine workers")
    args = ap.parse_args()
    codes = county_codes()
    with tempfile.TemporaryDirectory(prefix="impact-bench-") as tmp:
        work = Path(tmp)
        (work / "naive").mkdir()
        t_naive = naive(codes[: args.naive], work / "naive")
        t_engine = engine(codes[: args.engine], work, args.jobs)
        made = len(list((work / "reports" / "2024" / "counties").glob("*.html")))
    if made != args.engine:
        sys.exit(f"engine made {made} reports, expected {args.engine}")
    naive_129 = t_naive / args.naive * N_COUNTIES
    # the engine has a fixed start-up cost; extrapolate only its per-report part when run on a subset
    engine_129 = t_engine if args.engine == N_COUNTIES else t_engine / args.engine * N_COUNTIES
    print(f"cores available: {len(os.sched_getaffinity(0))}, engine workers: {args.jobs}")
    print(f"naive  (papermill CLI + nbconvert CLI, sequential): {args.naive} reports in {t_naive:.1f} s "
          f"= {t_naive / args.naive:.2f} s/report -> 129 reports: {naive_129:.0f} s"
          + ("" if args.naive == N_COUNTIES else " (extrapolated)"))
    print(f"engine (impact report all, warm kernels):            {args.engine} reports in {t_engine:.1f} s "
          f"= {t_engine / args.engine:.2f} s/report -> 129 reports: {engine_129:.0f} s"
          + ("" if args.engine == N_COUNTIES else " (extrapolated, start-up counted per report: pessimistic)"))
    print(f"speed-up (naive / engine, 129 reports): {naive_129 / engine_129:.1f}x")


if __name__ == "__main__":
    main()
