"""Romanised place names and organisation labels for English reports.

Place names follow the standard romanisation of Chinese place names: Hanyu Pinyin
(through the maintained ``pypinyin`` library) written as one word with a capital,
an apostrophe before a syllable starting with a, o or e (``宁洱`` → ``Ning'er``,
``姚安`` → ``Yao'an``), ``ü`` kept (``绿春`` → ``Lüchun``), and the administrative
suffix translated:

============ ===================================== =====================================
suffix       example                               English
============ ===================================== =====================================
县           永善县                                Yongshan County
市 (county)  安宁市                                Anning City
区           五华区                                Wuhua District
自治县       景谷傣族彝族自治县                    Jinggu Dai and Yi Autonomous County
市 (pref.)   昭通市                                Zhaotong
自治州       大理白族自治州                        Dali Bai Autonomous Prefecture
============ ===================================== =====================================

The ethnic groups of an autonomous name use their official English names
(:data:`ETHNIC_GROUPS`: 佤 Va, 布朗 Blang, 独龙 Derung, 藏 Tibetan, ...), listed
in the Chinese order and joined with commas and "and". Names with an established
English form are kept (:data:`ESTABLISHED`: 香格里拉 → Shangri-La, 芒市 → Mangshi). English reports
show the Chinese beside (:func:`bilingual`), so a reader can match the source.
"""

from __future__ import annotations

import re
from functools import lru_cache

from impact.errors import ImpactError

__all__ = [
    "ESTABLISHED",
    "ETHNIC_GROUPS",
    "bilingual",
    "county_name_en",
    "local_place_en",
    "organization_en",
    "pinyin",
    "place_name_en",
    "program_en",
    "prefecture_name_en",
]

#: Official English names of the ethnic groups in Yunnan's autonomous county and
#: prefecture names (State Ethnic Affairs Commission usage).
ETHNIC_GROUPS: dict[str, str] = {
    "彝": "Yi", "苗": "Miao", "回": "Hui", "傣": "Dai", "哈尼": "Hani", "纳西": "Naxi",
    "拉祜": "Lahu", "佤": "Va", "布朗": "Blang", "瑶": "Yao", "独龙": "Derung", "怒": "Nu",
    "白": "Bai", "普米": "Pumi", "傈僳": "Lisu", "壮": "Zhuang", "景颇": "Jingpo", "藏": "Tibetan",
    "阿昌": "Achang", "德昂": "De'ang", "基诺": "Jino", "布依": "Bouyei", "蒙古": "Mongol",
    "水": "Sui", "满": "Manchu",
}  # fmt: skip

#: Place names whose English form is established and not plain pinyin.
ESTABLISHED: dict[str, str] = {"香格里拉": "Shangri-La", "芒市": "Mangshi"}

_HAN = re.compile(r"[\u3400-\u9fff]")


@lru_cache(maxsize=4096)
def pinyin(text: str) -> str:
    """Hanyu Pinyin of a place name as one capitalised word: ``"景谷"`` → ``"Jinggu"``.

    Syllables after the first that start with a, o or e take an apostrophe
    (``"普洱"`` → ``"Pu'er"``); ü is written ü (``"绿春"`` → ``"Lüchun"``). Raises
    :class:`~impact.errors.ImpactError` when a character has no reading.
    """
    from pypinyin import Style, lazy_pinyin

    if not text:
        raise ImpactError("pinyin needs a non-empty name")
    syllables = lazy_pinyin(text, style=Style.NORMAL, v_to_u=True, errors=lambda s: [s])
    bad = [s for s in syllables if _HAN.search(s)]
    if bad:
        raise ImpactError(f"no pinyin reading for {''.join(bad)!r} in {text!r}")
    word = syllables[0]
    for s in syllables[1:]:
        word += ("'" if s[:1] in ("a", "o", "e") else "") + s
    return word[:1].upper() + word[1:]


def _ethnic_split(text: str) -> list[str] | None:
    """Split ``"傣族彝族"`` into known groups (``["傣", "彝"]``); None when it does not split."""
    if not text:
        return []
    for group in sorted(ETHNIC_GROUPS, key=len, reverse=True):
        token = group + "族"
        if text.startswith(token):
            rest = _ethnic_split(text[len(token):])
            if rest is not None:
                return [group, *rest]
    return None


def _and_list(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _autonomous(stem: str) -> tuple[str, list[str]]:
    """(base, ethnic groups) of an autonomous name's stem: ``"景谷傣族彝族"`` → (``"景谷"``, [傣, 彝])."""
    for i in range(1, len(stem)):
        groups = _ethnic_split(stem[i:])
        if groups:
            return stem[:i], groups
    raise ImpactError(f"cannot find the ethnic groups in the autonomous name {stem!r}; "
                      f"known groups: {', '.join(ETHNIC_GROUPS)}")


def _base(base: str) -> str:
    return ESTABLISHED.get(base, pinyin(base))


def place_name_en(name: str, *, level: str = "county") -> str:
    """English name of a Yunnan county (``level="county"``) or prefecture (``"prefecture"``).

    See the module docstring for the rules. A bare name without suffix is romanised
    as is (``"景谷"`` → ``"Jinggu"``).
    """
    if level not in ("county", "prefecture"):
        raise ImpactError(f"level={level!r} is not valid; expected 'county' or 'prefecture'")
    name = name.strip()
    for suffix, english in (("自治县", "Autonomous County"), ("自治州", "Autonomous Prefecture")):
        if name.endswith(suffix):
            base, groups = _autonomous(name[: -len(suffix)])
            return f"{_base(base)} {_and_list([ETHNIC_GROUPS[g] for g in groups])} {english}"
    if name in ESTABLISHED:
        return ESTABLISHED[name]
    if level == "county":
        for suffix, english in (("县", "County"), ("区", "District"), ("市", "City")):
            if name.endswith(suffix) and len(name) > 1:
                stem = name[: -len(suffix)]
                return f"{_base(stem)}" if stem in ESTABLISHED else f"{_base(stem)} {english}"
    elif name.endswith(("市", "州")) and len(name) > 2:
        return _base(name[:-1])
    return _base(name)


#: Suffixes of township-level and village-level names and their English forms.
_LOCAL_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("街道", "Subdistrict"), ("居民小组", "Residents' Group"), ("社区", "Community"), ("镇", "Town"),
    ("乡", "Township"), ("村", "Village"),
)


def local_place_en(name: str) -> str:
    """English form of a town, township or village name with the Chinese beside:
    ``"勐混镇"`` → ``"Menghun Town (勐混镇)"``; several names joined with ``、`` are
    romanised one by one and joined with ``"; "``."""
    parts = [p.strip() for p in str(name).split("、") if p.strip()]
    out = []
    for part in parts:
        english = None
        for suffix, en in _LOCAL_SUFFIXES:
            if part.endswith(suffix) and len(part) > len(suffix):
                english = f"{_base(part[: -len(suffix)])} {en}"
                break
        out.append(bilingual(part, english or _base(part)))
    return "; ".join(out)


def county_name_en(county: object) -> str:
    """English name of a county given anything :func:`impact.geo.resolve_county` accepts."""
    from impact.geo import resolve_county

    return place_name_en(resolve_county(county).name, level="county")  # type: ignore[arg-type]


def prefecture_name_en(name: str) -> str:
    """English name of a prefecture: ``"昭通市"`` → ``"Zhaotong"``, ``"大理白族自治州"`` → ``"Dali Bai Autonomous Prefecture"``."""
    return place_name_en(name, level="prefecture")


def bilingual(name_zh: str, name_en: str) -> str:
    """``"Jinggu Dai and Yi Autonomous County (景谷傣族彝族自治县)"``: English first, Chinese beside."""
    return f"{name_en} ({name_zh})" if name_zh and name_zh != name_en else name_en


def organization_en(name: str, kind: object = None) -> str:
    """An organisation for an English page: its translated kind with the Chinese name beside.

    ``("云南省医院协会", "trade_association")`` → ``"Trade association (云南省医院协会)"``;
    an unknown or empty kind gives ``"Organisation, kind not given (…)"``. The article gives
    no English names, so none is invented.
    """
    from impact.i18n import KINDS

    entry = KINDS.get(str(kind)) if kind is not None and not _missing(kind) else None
    label = entry["en"] if entry else "Organisation, kind not given"
    return f"{label} ({name})"


def program_en(name: str, sector: object = None) -> str:
    """A program for an English page: its sector in English with the Chinese name beside.

    ``("好种兴万村", "agriculture")`` → ``"Agriculture program (好种兴万村)"``; the article
    gives no English program names, so none is invented.
    """
    from impact.i18n import SECTORS

    entry = SECTORS.get(str(sector)) if sector is not None else None
    label = f"{entry['en']} program" if entry else "Program"
    return f"{label} ({name})"


def _missing(v: object) -> bool:
    """True for ``None``, NaN, ``pd.NA`` and empty text."""
    try:
        return v is None or v != v or str(v) in ("", "<NA>")
    except TypeError:  # pd.NA compares to NA
        return True
