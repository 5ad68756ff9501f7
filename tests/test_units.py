"""Tests of impact.units: parsing Chinese quantities and unit conversions."""

from __future__ import annotations

import re
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from impact.errors import ImpactError, InputError
from impact.units import (
    BASE_UNITS,
    UNITS,
    Quantity,
    ha_to_mu,
    jin_to_kg,
    kg_to_jin,
    mu_to_ha,
    parse_quantity,
)


@pytest.mark.parametrize(
    ("text", "value", "base_unit", "written", "unit", "qualifier"),
    [
        ("2.31亿元", 231_000_000, "yuan", "2.31", "亿元", "exact"),
        ("3000余万元", 30_000_000, "yuan", "3000", "万元", "more_than"),
        ("4.78万份", 47_800, "unit", "4.78", "万份", "exact"),
        ("约6万元", 60_000, "yuan", "6", "万元", "about"),
        ("约为4万元", 40_000, "yuan", "4", "万元", "about"),
        ("20%", 20, "percent", "20", "%", "exact"),
        ("２０％", 20, "percent", "20", "%", "exact"),  # full-width
        ("1000万元", 10_000_000, "yuan", "1000", "万元", "exact"),
        ("40000人次", 40_000, "person_time", "40000", "人次", "exact"),
        ("40,000人次", 40_000, "person_time", "40000", "人次", "exact"),
        ("超40000人", 40_000, "person", "40000", "人", "more_than"),
        ("超过 650万元", 6_500_000, "yuan", "650", "万元", "more_than"),
        ("近 20年", 20, "year", "20", "年", "nearly"),
        ("近100名", 100, "person", "100", "名", "nearly"),
        ("200多名", 200, "person", "200", "名", "more_than"),
        ("50余次", 50, "unit", "50", "次", "more_than"),
        ("十余名", 10, "person", "十", "名", "more_than"),
        ("十几家", 10, "organization", "十", "家", "more_than"),
        ("两年", 2, "year", "两", "年", "exact"),
        ("60岁以上", 60, "year", "60", "岁", "at_least"),
        ("至少一次", 1, "unit", "一", "次", "at_least"),
        ("不超过20个", 20, "unit", "20", "个", "up_to"),
        ("97所", 97, "school", "97", "所", "exact"),
        ("57位", 57, "person", "57", "位", "exact"),
        ("379笔", 379, "unit", "379", "笔", "exact"),
        ("3亩", 3, "mu", "3", "亩", "exact"),
        ("2.5万亩", 25_000, "mu", "2.5", "万亩", "exact"),
        ("500公斤", 500, "kg", "500", "公斤", "exact"),
        ("3斤", 1.5, "kg", "3", "斤", "exact"),
        ("1.2吨", 1200, "kg", "1.2", "吨", "exact"),
        ("一百零五人", 105, "person", "一百零五", "人", "exact"),
        ("二十五个", 25, "unit", "二十五", "个", "exact"),
    ],
)
def test_parse_quantity(text, value, base_unit, written, unit, qualifier):
    q = parse_quantity(text)
    assert isinstance(q, Quantity)
    assert_allclose(q.value, value, rtol=0, atol=1e-9)
    assert (q.base_unit, q.value_as_written, q.unit_as_written, q.qualifier) == (
        base_unit,
        written,
        unit,
        qualifier,
    )


def test_money_is_exact_in_yuan():
    # 2.31 * 1e8 in floating point is 230999999.99999997; the parser must not drift.
    assert parse_quantity("2.31亿元").value == 231_000_000.0
    assert parse_quantity("4.78万份").value == 47_800.0


def test_count_of_relabels_counts_only():
    assert parse_quantity("337个", count_of="project").base_unit == "project"
    assert parse_quantity("超40000人", count_of="person_time").base_unit == "person_time"
    with pytest.raises(InputError, match="re-label"):
        parse_quantity("3万元", count_of="project")
    with pytest.raises(InputError, match="count_of"):
        parse_quantity("3个", count_of="kg")


@pytest.mark.parametrize("typo", ["3万圆", "10块", "5公顷", "20‰", "3万元整"])
def test_unknown_unit_names_value_and_lists_units(typo):
    with pytest.raises(InputError) as info:
        parse_quantity(typo, file="facts.csv", row=7, column="unit_as_written")
    err = info.value
    assert isinstance(err, ImpactError)
    (problem,) = err.problems
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "facts.csv",
        7,
        "unit_as_written",
        typo,
    )
    message = str(err)
    assert repr(typo) in message and "row 7" in message
    for unit in ("元", "亩", "公斤", "人次", "所", "%"):
        assert unit in message


@pytest.mark.parametrize("bad", ["", "   ", "万元", "abc", "3.万元", "约3000余万元", "一二三人"])
def test_malformed_quantities_raise_input_error(bad):
    with pytest.raises(InputError):
        parse_quantity(bad)


def test_non_string_raises_input_error():
    with pytest.raises(InputError):
        parse_quantity(None)  # type: ignore[arg-type]


def test_every_unit_maps_to_a_base_unit():
    assert {base for _, base in UNITS.values()} <= set(BASE_UNITS)


# ----------------------------------------------------------------- conversions


def test_conversions_known_values():
    assert mu_to_ha(15) == 1.0
    assert ha_to_mu(1) == 15.0
    assert jin_to_kg(2) == 1.0
    assert kg_to_jin(1) == 2.0
    # 1 mu = 666.67 m² = 0.0666.. ha
    assert_allclose(mu_to_ha(1) * 10_000, 10_000 / 15, rtol=1e-12, atol=0)


def test_conversions_vectorize():
    mu = np.array([0.0, 15.0, 30.0])
    assert_allclose(mu_to_ha(mu), [0.0, 1.0, 2.0], rtol=0, atol=1e-12)
    kg = pd.Series([1.0, 2.5], name="kg")
    out = kg_to_jin(kg)
    assert isinstance(out, pd.Series)
    assert_allclose(out.to_numpy(), [2.0, 5.0], rtol=0, atol=1e-12)


# ----------------------------------------------------------------- properties

_FACTORS = {"": 1, "万": 10_000, "亿": 100_000_000}


@given(
    n=st.integers(min_value=0, max_value=10**9),
    mult=st.sampled_from(sorted(_FACTORS)),
    unit=st.sampled_from(sorted(UNITS)),
)
def test_integer_round_trip(n, mult, unit):
    q = parse_quantity(f"{n}{mult}{unit}")
    factor, base = UNITS[unit]
    assert q.value_as_written == str(n)
    assert q.unit_as_written == f"{mult}{unit}"
    assert q.base_unit == base
    assert q.qualifier == "exact"
    assert_allclose(q.value, n * _FACTORS[mult] * factor, rtol=1e-15, atol=0)


@given(
    d=st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False),
    mult=st.sampled_from(["万", "亿"]),
    prefix=st.sampled_from(["", "约", "近", "超过"]),
)
def test_decimal_money_round_trip(d, mult, prefix):
    written = format(d, "f")
    q = parse_quantity(f"{prefix}{written}{mult}元")
    assert q.value == float(Decimal(written) * _FACTORS[mult])
    assert q.value_as_written == written
    assert q.qualifier == {"": "exact", "约": "about", "近": "nearly", "超过": "more_than"}[prefix]


@given(st.one_of(st.just(0.0), st.floats(min_value=1e-300, max_value=1e12)))  # no subnormals
def test_conversion_round_trips(x):
    assert_allclose(ha_to_mu(mu_to_ha(x)), x, rtol=1e-12, atol=1e-12)
    assert_allclose(mu_to_ha(ha_to_mu(x)), x, rtol=1e-12, atol=1e-12)
    assert kg_to_jin(jin_to_kg(x)) == x  # exact: factors are powers of two
    assert jin_to_kg(kg_to_jin(x)) == x


# ---------------------------------------------------------------- display vocabulary

from impact import i18n, registry  # noqa: E402
from impact.units import UNIT_WORDS, quantity_text  # noqa: E402


def test_every_written_unit_has_display_words():
    assert set(UNITS) <= set(UNIT_WORDS)


@pytest.mark.parametrize(
    ("value", "unit", "written", "qualifier", "base", "zh", "en"),
    [
        (60, "岁", "60", "at_least", "year", "至少60岁", "at least 60 years old"),
        (47_800, "万份", "4.78", "exact", "unit", "4.78万份", "47,800 items"),
        (50, "次", "50", "more_than", "unit", "超过50次", "more than 50 times"),
        (4, "镇(乡)", "4", "exact", "unit", "4镇（乡）", "4 towns (townships)"),
        (1, "次/月", "一", "at_least", "unit", "每个月至少一次", "at least once a month"),
        (40_000, "人", "40000", "more_than", "person_time", "超过40000人", "more than 40,000 person-times"),
        (97, "所", "97", "exact", "school", "97所", "97 schools"),
        (27, "个", "27", "exact", "county", "27个", "27 counties"),
        (200, "个", "200", "exact", "unit", "200个", "200"),
        (30_000_000, "万元", "3000", "more_than", "yuan", "超过3000万元", "more than CNY 30 million"),
        (20, "%", "20", "exact", "percent", "20%", "20%"),
        (2_000, "斤", None, "about", "kg", "约4,000斤", "about 4,000 jin"),
    ],
)
def test_quantity_text_carries_the_article_unit(value, unit, written, qualifier, base, zh, en):
    kw = dict(unit_as_written=unit, value_as_written=written, qualifier=qualifier, base_unit=base)
    assert quantity_text(value, lang="zh", **kw) == zh
    assert quantity_text(value, lang="en", **kw) == en
    # the i18n entry point gives the same text when the written unit is passed
    assert i18n.fmt_quantity(value, base, "zh", qualifier, unit_as_written=unit, value_as_written=written) == zh


def test_no_generic_unit_words_for_registry_facts():
    facts = registry.read("facts")
    for _, f in facts.iterrows():
        kw = dict(unit_as_written=f["unit_as_written"], value_as_written=f["value_as_written"],
                  qualifier=f["qualifier"], base_unit=f["base_unit"])
        zh, en = quantity_text(f["value"], lang="zh", **kw), quantity_text(f["value"], lang="en", **kw)
        assert "year" not in zh and "unit" not in en, (f["fact_id"], zh, en)
        assert not re.search(r"[\u4e00-\u9fff]", en), (f["fact_id"], en)
        if f["unit_as_written"] != "个":
            assert not zh.endswith("个") or "个" in f["unit_as_written"]


def test_base_unit_names_have_no_units_word():
    assert i18n.unit_name("unit", "en") == ""
    assert i18n.unit_name("year", "zh") == "年"
    assert i18n.fmt_quantity(50, "unit", "en", "more_than") == "more than 50"


def test_quantity_text_bad_input():
    with pytest.raises(InputError, match="unit_as_written"):
        quantity_text(1, unit_as_written="圆")
    with pytest.raises(InputError, match="qualifier"):
        quantity_text(1, unit_as_written="个", qualifier="roughly")
