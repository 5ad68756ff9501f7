"""Report speed on the real county notebook: the engine vs naive papermill + nbconvert.

Both sides run ``notebooks/county_report.ipynb`` on the real processed data, with the same
parameters, in the same run of this script, with the same number of processes (``--jobs``,
default 2, the cores of the development machine):

- engine: ``impact report all --jobs N --force`` as a separate process (start-up, the shared
  tables' precompute, worker processes running the notebook in process through papermill and
  reset between reports, the report files, the index page);
- naive: per county, the ``papermill`` CLI and then the ``jupyter nbconvert --to html`` CLI,
  ``N`` counties at a time. It runs after the engine, so its notebooks read the shared
  tables the engine precomputed (the naive side is not charged for computing them).

Also timed, in the same run:

- ``make report``'s command after the data build, ``impact report all --province --docx
  --force`` (129 counties + the province report + its Word file + the index, one pool;
  ``--force``, so the shared tables and the stored locator maps are made again, as on a
  fresh clone);
- one county from the command line (``impact report county``, a cold process, in the CLI
  process itself): first with no shared tables (the report computes its own county), then
  with the shared tables current (the state after ``make report`` or any batch);
- the province report alone; with ``--kernel``, the county reports on warm Jupyter kernels
  (``--engine kernel``, the engine before the in-process one) and the ratio.

Every command runs with Python's bytecode cache written, as in a user's shell (this
machine's sandbox sets ``PYTHONDONTWRITEBYTECODE``, which would make every process compile
the package's modules again); the naive side the same.

    python benchmarks/bench_reports.py                    # engine on all 129, naive on 6 (extrapolated)
    python benchmarks/bench_reports.py --naive 129        # the full naive run (long)
    python benchmarks/bench_reports.py --engine 20        # a subset of the engine too (extrapolated)

Prints seconds and the ratio naive / engine for 129 reports, each measurement with the
1-minute load average before and after it (the machine may be shared) and the CPU seconds
it used: for a command, its whole process tree (sampled every 0.1 s with psutil, so worker
processes and kernels count, not only what the command waited for); for the naive side,
every papermill and nbconvert process and their kernels (``RUSAGE_CHILDREN``, exact).
"""

from __future__ import annotations

import argparse
import os
import resource
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
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # as in a user's shell
    return {**env, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}


class Measure:
    """Wall seconds, CPU seconds and the 1-minute load average before and after one measurement."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0
        self.load = (0.0, 0.0)

    def text(self) -> str:
        return f"{self.wall:.1f} s wall, {self.cpu:.1f} s CPU, load {self.load[0]:.1f} -> {self.load[1]:.1f}"


def naive(codes: list[str], work: Path, jobs: int, processed: Path) -> Measure:
    """papermill CLI then nbconvert CLI per county, ``jobs`` counties at a time."""
    bindir, env = Path(sys.executable).parent, _env()

    def one(code: str) -> None:
        out = work / f"{code}.ipynb"
        subprocess.run([str(bindir / "papermill"), str(NOTEBOOK), str(out), "-p", "county", code, "-p", "year",
                        "2024", "-p", "lang", "zh", "-p", "processed_dir", str(processed), "--no-progress-bar"],
                       check=True, env=env, capture_output=True)
        subprocess.run([str(bindir / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(out)],
                       check=True, env=env, capture_output=True)

    m = Measure()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(one, codes))
    m.wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    m.cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    m.load = (load0, os.getloadavg()[0])
    return m


def cli(args: list[str]) -> Measure:
    """Run ``impact ARGS`` and measure it with its whole process tree (workers, kernels)."""
    import psutil

    m = Measure()
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = psutil.Popen([sys.executable, "-m", "impact", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        env=_env())
    cpu: dict[tuple[int, float], float] = {}  # (pid, start time) -> CPU seconds seen last

    def sample() -> None:
        try:
            procs = [proc, *proc.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        for p in procs:
            try:
                t = p.cpu_times()
                cpu[(p.pid, p.create_time())] = t.user + t.system
            except psutil.NoSuchProcess:
                continue

    while proc.poll() is None:
        sample()
        time.sleep(0.1)
    out, err = proc.communicate()
    m.wall = time.perf_counter() - t0
    if proc.returncode:
        sys.exit(f"impact {' '.join(args)} failed ({proc.returncode}):\n{err.decode(errors='replace')[-2000:]}")
    m.cpu = sum(cpu.values())
    m.load = (load0, os.getloadavg()[0])
    return m


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--naive", type=int, default=6, help="counties for the naive pipeline (extrapolated to 129)")
    ap.add_argument("--engine", type=int, default=N_COUNTIES, help="counties for the engine (extrapolated to 129)")
    ap.add_argument("--jobs", type=int, default=2, help="processes on both sides")
    ap.add_argument("--kernel", action="store_true", help="also the county reports on warm kernels (--engine kernel)")
    args = ap.parse_args()
    from impact import config

    codes = county_codes()
    with tempfile.TemporaryDirectory(prefix="impact-bench-") as tmp:
        work = Path(tmp)
        processed = work / "processed"  # built here, so the benchmark's shared tables are its own
        subprocess.run([sys.executable, "-m", "impact", "data", "build", "--raw", str(config.DATA_RAW), "--out",
                        str(processed)], check=True, env=_env(), capture_output=True)
        common = ["--year", "2024", "--processed-dir", str(processed)]
        cold = cli(["report", "county", codes[0], *common, "--reports-dir", str(work / "one")])
        make = cli(["report", "all", *common, "--jobs", str(args.jobs), "--province", "--docx", "--force",
                    "--no-progress", "--reports-dir", str(work / "make")])
        made_all = len(list((work / "make" / "2024" / "counties").glob("*.html")))
        one = cli(["report", "county", codes[0], *common, "--reports-dir", str(work / "one")])
        engine = cli(["report", "all", *common, "--counties", ",".join(codes[: args.engine]), "--jobs",
                      str(args.jobs), "--force", "--no-progress", "--reports-dir", str(work / "reports")])
        province = cli(["report", "province", *common, "--force", "--reports-dir", str(work / "reports")])
        made = len(list((work / "reports" / "2024" / "counties").glob("*.html")))
        kernel = cli(["report", "all", *common, "--counties", ",".join(codes[: args.engine]), "--jobs",
                      str(args.jobs), "--force", "--no-progress", "--engine", "kernel",
                      "--reports-dir", str(work / "kernel")]) if args.kernel else None
        (work / "naive").mkdir()
        nv = naive(codes[: args.naive], work / "naive", args.jobs, processed)
    if made_all != N_COUNTIES:
        sys.exit(f"make report's command made {made_all} county reports, expected {N_COUNTIES}")
    if made != args.engine:
        sys.exit(f"engine made {made} reports, expected {args.engine}")
    scale_n = N_COUNTIES / args.naive
    scale_e = N_COUNTIES / args.engine
    naive_129, engine_129 = nv.wall * scale_n, engine.wall * scale_e
    naive_cpu, engine_cpu = nv.cpu * scale_n, engine.cpu * scale_e
    ext = " (extrapolated)"
    print(f"cores available: {len(os.sched_getaffinity(0))}, processes on both sides: {args.jobs}")
    print(f"make report's command (impact report all --province --docx --force: 129 counties + province + "
          f"Word file + index): {make.text()}")
    print(f"one county from the command line, shared tables current: {one.text()}")
    print(f"one county from the command line, no shared tables: {cold.text()}")
    print(f"engine (impact report all, real notebook): {args.engine} reports: {engine.text()} "
          f"-> 129 reports: {engine_129:.0f} s wall, {engine_cpu:.0f} s CPU" + ("" if args.engine == N_COUNTIES else ext))
    print(f"province report alone: {province.text()}")
    if kernel is not None:
        print(f"same county reports on warm kernels (--engine kernel): {kernel.text()}; kernel / in-process: "
              f"{kernel.wall / engine.wall:.2f}x wall, {kernel.cpu / engine.cpu:.2f}x CPU")
    print(f"naive  (papermill CLI + nbconvert CLI, {args.jobs} at a time): {args.naive} reports: {nv.text()} "
          f"-> 129 reports: {naive_129:.0f} s wall, {naive_cpu:.0f} s CPU" + ("" if args.naive == N_COUNTIES else ext))
    print(f"speed-up (naive / engine, 129 reports): {naive_129 / engine_129:.1f}x wall, "
          f"{naive_cpu / engine_cpu:.1f}x CPU")


if __name__ == "__main__":
    main()
