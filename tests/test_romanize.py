"""Tests of impact.romanize: English place names for all 129 counties and 16 prefectures."""

from __future__ import annotations

import re

import pytest

from impact import geo, romanize
from impact.errors import ImpactError

HAN = re.compile(r"[\u3400-\u9fff]")
COUNTIES = geo.county_table()


@pytest.mark.parametrize(
    ("zh", "en"),
    [
        ("景谷傣族彝族自治县", "Jinggu Dai and Yi Autonomous County"),
        ("双江拉祜族佤族布朗族傣族自治县", "Shuangjiang Lahu, Va, Blang and Dai Autonomous County"),
        ("澜沧拉祜族自治县", "Lancang Lahu Autonomous County"),
        ("屏边苗族自治县", "Pingbian Miao Autonomous County"),
        ("贡山独龙族怒族自治县", "Gongshan Derung and Nu Autonomous County"),
        ("宁洱哈尼族彝族自治县", "Ning'er Hani and Yi Autonomous County"),
        ("镇雄县", "Zhenxiong County"),
        ("永善县", "Yongshan County"),
        ("广南县", "Guangnan County"),
        ("马关县", "Maguan County"),
        ("西畴县", "Xichou County"),
        ("五华区", "Wuhua District"),
        ("安宁市", "Anning City"),
        ("姚安县", "Yao'an County"),
        ("绿春县", "Lüchun County"),
        ("云县", "Yun County"),
        ("牟定县", "Mouding County"),
        ("香格里拉市", "Shangri-La"),
        ("芒市", "Mangshi"),
    ],
)
def test_known_county_names(zh, en):
    assert romanize.place_name_en(zh) == en


@pytest.mark.parametrize(
    ("zh", "en"),
    [
        ("昭通市", "Zhaotong"),
        ("普洱市", "Pu'er"),
        ("大理白族自治州", "Dali Bai Autonomous Prefecture"),
        ("文山壮族苗族自治州", "Wenshan Zhuang and Miao Autonomous Prefecture"),
        ("西双版纳傣族自治州", "Xishuangbanna Dai Autonomous Prefecture"),
        ("迪庆藏族自治州", "Diqing Tibetan Autonomous Prefecture"),
    ],
)
def test_known_prefecture_names(zh, en):
    assert romanize.prefecture_name_en(zh) == en


def test_all_129_counties_have_english_names_without_chinese():
    assert len(COUNTIES) == 129
    names = [romanize.place_name_en(n) for n in COUNTIES["name"]]
    for zh, en in zip(COUNTIES["name"], names):
        assert not HAN.search(en), (zh, en)
        assert re.fullmatch(r"[A-ZÜ][A-Za-zü' ,-]+", en), (zh, en)
        if zh.endswith("自治县"):
            assert en.endswith("Autonomous County"), (zh, en)
        elif zh.endswith("县"):
            assert en.endswith(" County"), (zh, en)
        elif zh.endswith("区"):
            assert en.endswith(" District"), (zh, en)
    # with the Chinese beside, every county's label is unique (宜良 and 彝良 are both Yiliang)
    labels = [romanize.bilingual(zh, en) for zh, en in zip(COUNTIES["name"], names)]
    assert len(set(labels)) == 129


def test_all_prefectures_have_english_names():
    prefs = COUNTIES["prefecture"].unique()
    assert len(prefs) == 16
    names = {romanize.prefecture_name_en(p) for p in prefs}
    assert len(names) == 16 and not any(HAN.search(n) for n in names)


def test_county_name_en_resolves_any_form():
    assert romanize.county_name_en("景谷") == "Jinggu Dai and Yi Autonomous County"
    assert romanize.county_name_en("530824") == "Jinggu Dai and Yi Autonomous County"


def test_pinyin_rules():
    assert romanize.pinyin("景谷") == "Jinggu"
    assert romanize.pinyin("西安") == "Xi'an"
    with pytest.raises(ImpactError):
        romanize.pinyin("")


def test_unknown_ethnic_group_is_an_error():
    with pytest.raises(ImpactError, match="ethnic groups"):
        romanize.place_name_en("某某火星族自治县")
    with pytest.raises(ImpactError, match="level"):
        romanize.place_name_en("景谷县", level="town")


def test_bilingual_and_organisations():
    assert romanize.bilingual("景谷傣族彝族自治县", "Jinggu Dai and Yi Autonomous County") == (
        "Jinggu Dai and Yi Autonomous County (景谷傣族彝族自治县)")
    assert romanize.organization_en("云南省医院协会", "trade_association") == "Trade association (云南省医院协会)"
    assert romanize.organization_en("云南红河磷电有限责任公司", "enterprise") == "Enterprise (云南红河磷电有限责任公司)"
    assert romanize.organization_en("阿里巴巴公益基金会", None) == "Organisation, kind not given (阿里巴巴公益基金会)"
    assert romanize.local_place_en("勐混镇、砚池街道") == "Menghun Town (勐混镇); Yanchi Subdistrict (砚池街道)"


def test_program_labels_keep_the_chinese_name():
    from impact import registry

    progs = registry.read("programs")
    for name, sector in zip(progs["name"], progs["sector"]):
        label = romanize.program_en(name, sector)
        assert label.endswith(f"({name})")
        assert not HAN.search(label[: -len(name) - 2])  # everything before the Chinese is English
    assert romanize.program_en("好种兴万村", "agriculture") == "Agriculture program (好种兴万村)"
    assert romanize.program_en("某项目", None) == "Program (某项目)"
