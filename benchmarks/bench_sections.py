"""Cost of the report content: precompute once vs per-county work, with and without the cache.

Run: ``.venv/bin/python benchmarks/bench_sections.py [--counties N] [--no-synth]``

Prints the time of :func:`impact.report.cache.precompute` (all counties) and the
mean time of :func:`impact.report.county.county_report` per county reading its slice
of the cache, versus computing its own tables (the ratio is what the cache saves per
report). Works on a temporary copy of the processed folder, so ``data/processed`` is
not touched. ``--no-synth`` leaves the county panel out (no synthetic control), to time
the rest when the estimator is slow.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from impact import config


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--counties", type=int, default=8, help="counties timed per mode")
    ap.add_argument("--year", type=int, default=2024)
    ap.add_argument("--no-synth", action="store_true", help="leave the county panel out")
    args = ap.parse_args()

    from impact.report.cache import precompute
    from impact.report.county import county_report
    from impact.report.inputs import load_inputs
    from impact.report.tables import exposure_tables

    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw"
        shutil.copytree(config.GEO_DIR, raw / "geo")
        shutil.copytree(config.REGISTRY_DIR, raw / "registry")
        (raw / "simulated").mkdir()
        for f in config.SIMULATED_DIR.glob("*_simulated.parquet"):
            if not (args.no_synth and f.name.startswith("county_panel")):
                shutil.copy(f, raw / "simulated" / f.name)
        proc = Path(tmp) / "processed"
        proc.mkdir()
        panel_codes = load_inputs(raw, proc).counties["county_code"].tolist()
        # paired counties first: they carry the most sections
        inputs = load_inputs(raw, proc)
        progs = exposure_tables(inputs.registry)["programs"]
        codes = list(dict.fromkeys(progs["county_code"].tolist() + panel_codes))[: args.counties]

        t0 = time.perf_counter()
        county_report(codes[0], args.year, "zh", raw, proc)  # warm imports (fonts, geopandas, seaborn)
        warm = time.perf_counter() - t0

        t0 = time.perf_counter()
        for c in codes:
            county_report(c, args.year, "zh", raw, proc)
        direct = (time.perf_counter() - t0) / len(codes)

        t0 = time.perf_counter()
        precompute(args.year, data_dir=raw, processed_dir=proc, force=True)
        pre = time.perf_counter() - t0

        t0 = time.perf_counter()
        for c in codes:
            county_report(c, args.year, "zh", raw, proc)
        cached = (time.perf_counter() - t0) / len(codes)

    print(f"first report (imports warm-up): {warm:.2f} s")
    print(f"precompute, all counties:       {pre:.2f} s")
    print(f"per county, own computation:    {direct:.2f} s")
    print(f"per county, reading the cache:  {cached:.2f} s")
    print(f"ratio own / cached:             {direct / cached:.1f}x")
    print(f"129 reports, content only:      {pre + 129 * cached:.0f} s with the cache vs {129 * direct:.0f} s without")


if __name__ == "__main__":
    main()
