"""Parsing of Chinese quantities and unit conversions.

:func:`parse_quantity` turns a figure as an article writes it into a
:class:`Quantity`: a numeric value in a **base unit** plus the figure as written
and a qualifier::

    "2.31亿元"   -> 231_000_000 yuan     ("2.31", "亿元", exact)
    "3000余万元" -> 30_000_000 yuan      ("3000", "万元", more_than)
    "约6万元"    -> 60_000 yuan          ("6",    "万元", about)
    "4.78万份"   -> 47_800 unit          ("4.78", "万份", exact)
    "20%"        -> 20 percent           ("20",   "%",    exact)
    "40000人次"  -> 40_000 person_time   ("40000", "人次", exact)
    "十余名"     -> 10 person            ("十",   "名",   more_than)

Base units (the ``base_unit`` column of the registry's ``facts`` table):

=============== ==========================================================
base unit       written units (multiplier)
=============== ==========================================================
``yuan``        元 (1), 万元 (10⁴), 亿元 (10⁸); also 千元, 百万元, 千万元
``mu``          亩 (1), 万亩 (10⁴)
``kg``          公斤, 千克 (1), 斤 (0.5), 吨 (1000)
``person``      人, 名, 位
``person_time`` 人次
``school``      所
``organization`` 家
``county``      县
``unit``        个, 份, 笔, 次, 批, 镇, 乡, 镇（乡）, 次/月 (a generic count)
``percent``     %, ％ (20% -> 20, not 0.2)
``year``        年, 岁 (durations and ages)
=============== ==========================================================

A 万/亿 multiplier may precede any unit (``4.78万份`` = 47,800 unit). Classifiers
such as 个 and 家 count whatever follows them (``337个项目``, ``28个国家级社会组织``),
so callers may re-label a count with ``count_of=`` (``parse_quantity("337个",
count_of="project")``); only count units can be re-labelled.

Qualifiers: 余/多/几/超过/超/逾 -> ``more_than``; 约/约为/大约/左右 -> ``about``;
近/将近/接近 -> ``nearly``; 至少/不少于/以上 -> ``at_least``; 最多/至多/不超过
-> ``up_to``; otherwise ``exact``.

Display: :data:`UNIT_WORDS` is the vocabulary that carries the article's unit into a
report (次, 份, 岁, 镇（乡）, 人次, 所, ...), and :func:`quantity_text` writes a figure
with it: ``至少60岁`` / ``at least 60 years old``, ``4.78万份`` / ``47,800 items``,
``超过50次`` / ``more than 50 times``, ``每个月至少一次`` / ``at least once a month``,
never the generic base unit (``60year``, ``4.78万个``, ``50 units``).

Conversions: :func:`mu_to_ha`, :func:`ha_to_mu` (15 亩 = 1 ha),
:func:`jin_to_kg`, :func:`kg_to_jin` (1 斤 = 0.5 kg).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from dataclasses import dataclass
from typing import TypeVar

from impact.errors import InputError, Problem
from impact.vocab import BASE_UNITS, QUALIFIERS, BaseUnit, Qualifier  # noqa: F401 - part of impact.units' API

__all__ = [
    "BASE_UNITS",
    "COUNT_UNITS",
    "QUALIFIERS",
    "UNITS",
    "BaseUnit",
    "Qualifier",
    "Quantity",
    "ha_to_mu",
    "jin_to_kg",
    "kg_to_jin",
    "mu_to_ha",
    "UNIT_WORDS",
    "parse_quantity",
    "quantity_text",
]


#: Base units that count things; a count written with one classifier (个, 家, 人, ...)
#: may be re-labelled as another count with ``count_of=``.
COUNT_UNITS: tuple[str, ...] = (
    "person",
    "person_time",
    "school",
    "unit",
    "organization",
    "county",
    "project",
)

#: Written unit (without a 万/亿 multiplier) -> (factor to the base unit, base unit).
UNITS: dict[str, tuple[float, str]] = {
    "元": (1.0, "yuan"),
    "亩": (1.0, "mu"),
    "公斤": (1.0, "kg"),
    "千克": (1.0, "kg"),
    "斤": (0.5, "kg"),
    "吨": (1000.0, "kg"),
    "人次": (1.0, "person_time"),
    "人": (1.0, "person"),
    "名": (1.0, "person"),
    "位": (1.0, "person"),
    "所": (1.0, "school"),
    "家": (1.0, "organization"),
    "县": (1.0, "county"),
    "个": (1.0, "unit"),
    "份": (1.0, "unit"),
    "笔": (1.0, "unit"),
    "次": (1.0, "unit"),
    "批": (1.0, "unit"),
    "镇": (1.0, "unit"),
    "乡": (1.0, "unit"),
    "镇(乡)": (1.0, "unit"),  # 4镇（乡）: stored NFKC-normalised, shown as 镇（乡）
    "次/月": (1.0, "unit"),  # a frequency: 每个月至少一次 is 一 + 次/月

    "%": (1.0, "percent"),
    "年": (1.0, "year"),
    "岁": (1.0, "year"),
}

#: Multipliers that may precede a written unit (longest first when matching).
MULTIPLIERS: dict[str, float] = {
    "千万": 1e7,
    "百万": 1e6,
    "万": 1e4,
    "亿": 1e8,
    "千": 1e3,
}

_PREFIX_QUALIFIERS: dict[str, str] = {
    "不超过": "up_to",
    "不少于": "at_least",
    "超过": "more_than",
    "约为": "about",
    "大约": "about",
    "将近": "nearly",
    "接近": "nearly",
    "至少": "at_least",
    "最多": "up_to",
    "至多": "up_to",
    "超": "more_than",
    "逾": "more_than",
    "约": "about",
    "近": "nearly",
}
_INFIX_QUALIFIERS: dict[str, str] = {"余": "more_than", "多": "more_than", "几": "more_than"}
_SUFFIX_QUALIFIERS: dict[str, str] = {"以上": "at_least", "左右": "about", "上下": "about"}

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_CN_POWERS = {"十": 10, "百": 100, "千": 1000}


def _alternation(keys: object) -> str:
    return "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))  # type: ignore[arg-type]


_PATTERN = re.compile(
    rf"^(?P<pre>{_alternation(_PREFIX_QUALIFIERS)})?"
    r"(?P<num>[0-9]+(?:\.[0-9]+)?|[零〇一二两三四五六七八九十百千]+)"
    rf"(?P<infix>{_alternation(_INFIX_QUALIFIERS)})?"
    r"(?P<unit>.*?)"
    rf"(?P<post>{_alternation(_SUFFIX_QUALIFIERS)})?$"
)


@dataclass(frozen=True)
class Quantity:
    """A parsed quantity.

    Attributes
    ----------
    value
        The number in ``base_unit`` (yuan for money, mu for area, kg for mass,
        persons, person-times, counts, percent points 0-100, years).
    base_unit
        One of :data:`BASE_UNITS`.
    value_as_written
        The number as the text writes it, without multiplier or qualifier
        (``"2.31"`` for 2.31亿元, ``"十"`` for 十余名).
    unit_as_written
        The unit as written including any 万/亿 multiplier (``"亿元"``, ``"万份"``, ``"%"``).
    qualifier
        One of :data:`QUALIFIERS`; ``exact`` when the text gives none.
    """

    value: float
    base_unit: str
    value_as_written: str
    unit_as_written: str
    qualifier: str = "exact"


def _cn_number(text: str) -> float | None:
    """Value of a small Chinese numeral (零 to 九千九百九十九): 十 -> 10, 二十五 -> 25, 两 -> 2."""
    total = 0
    digit: int | None = None
    for ch in text:
        if ch in _CN_DIGITS:
            if digit is not None and digit != 0:  # two digits in a row: not a numeral we read
                return None
            digit = _CN_DIGITS[ch]
        elif ch in _CN_POWERS:
            total += (1 if digit is None else digit) * _CN_POWERS[ch]
            digit = None
        else:
            return None
    if digit is not None:
        total += digit
    return float(total)


def _valid_units_text() -> str:
    units = ", ".join(UNITS)
    return (
        "a number (Arabic or Chinese numerals) with an optional qualifier (约, 近, 超过, 余, 多, 以上, ...), "
        f"an optional multiplier (万, 亿, 千, 百万, 千万) and one of the units: {units}"
    )


def parse_quantity(
    text: str,
    *,
    count_of: str | None = None,
    file: str = "<quantity>",
    row: int | None = None,
    column: str | None = None,
) -> Quantity:
    """Parse a Chinese quantity such as ``"2.31亿元"`` or ``"3000余万元"``.

    Whitespace is ignored and full-width characters are normalized (NFKC), so
    ``"近 20年"`` and ``"２０％"`` parse. ``value = number × multiplier × factor``,
    where the multiplier is 万 = 10⁴, 亿 = 10⁸ (and 千, 百万, 千万) and the factor
    converts the written unit to its base unit (斤 = 0.5 kg, 吨 = 1000 kg).

    Parameters
    ----------
    text
        The quantity as written.
    count_of
        Re-label a count (个, 家, 人, ...) as another count base unit, e.g.
        ``"project"`` for 337个(项目); must be one of :data:`COUNT_UNITS`.
    file, row, column
        Where the text came from, for the error message.

    Raises
    ------
    InputError
        The text is not a number with a known unit (for example the typo ``"3万圆"``),
        or ``count_of`` re-labels a non-count unit. The message names the value and
        lists the valid units.
    """

    def fail(expected: str) -> InputError:
        return InputError(Problem(file=file, row=row, column=column, value=text, expected=expected))

    if not isinstance(text, str):
        raise fail(_valid_units_text())
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    s = re.sub(r"(?<=[0-9]),(?=[0-9]{3})", "", s)  # thousands separators: 40,000
    m = _PATTERN.match(s)
    if m is None:
        raise fail(_valid_units_text())
    num_text = m.group("num")
    number = float(num_text) if num_text[0].isdigit() else _cn_number(num_text)
    if number is None:
        raise fail(_valid_units_text())
    unit_text = m.group("unit")
    multiplier = 1.0
    base_text = unit_text
    for mult in sorted(MULTIPLIERS, key=len, reverse=True):
        if unit_text.startswith(mult) and unit_text[len(mult) :] in UNITS:
            multiplier = MULTIPLIERS[mult]
            base_text = unit_text[len(mult) :]
            break
    if base_text not in UNITS:
        raise fail(_valid_units_text())
    factor, base_unit = UNITS[base_text]
    if count_of is not None:
        if count_of not in COUNT_UNITS:
            raise fail(f"count_of to be one of {', '.join(COUNT_UNITS)}, not {count_of!r}")
        if base_unit not in COUNT_UNITS:
            raise fail(
                f"a count unit ({', '.join(k for k, v in UNITS.items() if v[1] in COUNT_UNITS)}) "
                f"to re-label as {count_of!r}; {base_text!r} measures {base_unit}"
            )
        base_unit = count_of
    qualifiers = [
        q
        for q in (
            _PREFIX_QUALIFIERS.get(m.group("pre") or ""),
            _INFIX_QUALIFIERS.get(m.group("infix") or ""),
            _SUFFIX_QUALIFIERS.get(m.group("post") or ""),
        )
        if q is not None
    ]
    if len(set(qualifiers)) > 1:
        raise fail(f"at most one qualifier; found {', '.join(qualifiers)}")
    qualifier = qualifiers[0] if qualifiers else "exact"
    # Decimal arithmetic, so 2.31亿 is exactly 231000000 (not 230999999.99999997).
    value = Decimal(num_text if num_text[0].isdigit() else repr(number))
    value = value * Decimal(repr(multiplier)) * Decimal(repr(factor))
    return Quantity(
        value=float(value),
        base_unit=base_unit,
        value_as_written=num_text,
        unit_as_written=unit_text,
        qualifier=qualifier,
    )


# ---------------------------------------------------------------- conversions

#: Hectares per mu: 1 ha = 15 mu exactly (1 mu = 666.67 m²).
HA_PER_MU: float = 1.0 / 15.0
#: Kilograms per jin (市斤): 1 斤 = 0.5 kg exactly.
KG_PER_JIN: float = 0.5

_T = TypeVar("_T")


def mu_to_ha(mu: _T) -> _T:
    """Area in hectares from mu (亩): ``ha = mu / 15``. Works on scalars, arrays and Series."""
    return mu / 15.0  # type: ignore[operator,no-any-return]


def ha_to_mu(ha: _T) -> _T:
    """Area in mu (亩) from hectares: ``mu = ha × 15``."""
    return ha * 15.0  # type: ignore[operator,no-any-return]


def jin_to_kg(jin: _T) -> _T:
    """Mass in kg from jin (斤): ``kg = jin × 0.5``."""
    return jin * KG_PER_JIN  # type: ignore[operator,no-any-return]


def kg_to_jin(kg: _T) -> _T:
    """Mass in jin (斤) from kg: ``jin = kg / 0.5 = kg × 2``."""
    return kg / KG_PER_JIN  # type: ignore[operator,no-any-return]


# ---------------------------------------------------------------- display vocabulary

#: How a written unit (without 万/亿 multiplier, NFKC-normalised) reads in a report:
#: (Chinese as the article writes it, English singular, English plural). An empty
#: English noun is a bare classifier (个): the figure's label says what is counted.
#: A ``{n}`` template in the Chinese form places the number and ``{q}`` the qualifier
#: (次/月: 每个月{q}{n}次 -> 每个月至少一次).
UNIT_WORDS: dict[str, tuple[str, str, str]] = {
    "元": ("元", "yuan", "yuan"),
    "亩": ("亩", "mu", "mu"),
    "公斤": ("公斤", "kg", "kg"),
    "千克": ("千克", "kg", "kg"),
    "斤": ("斤", "jin", "jin"),
    "吨": ("吨", "tonne", "tonnes"),
    "人次": ("人次", "person-time", "person-times"),
    "人": ("人", "person", "people"),
    "名": ("名", "person", "people"),
    "位": ("位", "person", "people"),
    "所": ("所", "school", "schools"),
    "家": ("家", "organisation", "organisations"),
    "县": ("县", "county", "counties"),
    "个": ("个", "", ""),
    "份": ("份", "item", "items"),
    "笔": ("笔", "transaction", "transactions"),
    "次": ("次", "time", "times"),
    "批": ("批", "batch", "batches"),
    "镇": ("镇", "town", "towns"),
    "乡": ("乡", "township", "townships"),
    "镇(乡)": ("镇（乡）", "town (township)", "towns (townships)"),
    "次/月": ("每个月{q}{n}次", "time a month", "times a month"),
    "%": ("%", "%", "%"),
    "年": ("年", "year", "years"),
    "岁": ("岁", "year old", "years old"),
}

#: English nouns of the count base units, for a classifier re-labelled with ``count_of``.
_BASE_NOUNS: dict[str, tuple[str, str]] = {
    "person": ("person", "people"), "person_time": ("person-time", "person-times"),
    "school": ("school", "schools"), "organization": ("organisation", "organisations"),
    "county": ("county", "counties"), "project": ("project", "projects"),
}  # fmt: skip

_ZH_QUALIFIER = {"exact": "", "more_than": "超过", "about": "约", "nearly": "近", "up_to": "至多",
                 "at_least": "至少"}  # fmt: skip
_EN_QUALIFIER = {"exact": "", "more_than": "more than", "about": "about", "nearly": "nearly",
                 "up_to": "up to", "at_least": "at least"}  # fmt: skip


def _split_unit(unit_as_written: str) -> tuple[float, str]:
    """(multiplier, unit) of a written unit: ``"万份"`` -> (1e4, ``"份"``)."""
    u = re.sub(r"\s+", "", unicodedata.normalize("NFKC", unit_as_written))
    if u in UNITS:
        return 1.0, u
    for mult in sorted(MULTIPLIERS, key=len, reverse=True):
        if u.startswith(mult) and u[len(mult):] in UNITS:
            return MULTIPLIERS[mult], u[len(mult):]
    raise InputError(Problem("<unit>", None, "unit_as_written", unit_as_written,
                             f"one of the units {', '.join(UNITS)} with an optional multiplier"))


def quantity_text(
    value: float,
    *,
    unit_as_written: str,
    value_as_written: str | None = None,
    qualifier: str = "exact",
    base_unit: str | None = None,
    lang: str = "zh",
) -> str:
    """A figure in the article's own unit, for a report sentence or table cell.

    Chinese keeps the figure as the article writes it (``value_as_written`` + the
    written unit, e.g. ``4.78万份``, ``每个月至少一次``) behind the qualifier word
    (``超过``, ``约``, ``至少``, ...); without ``value_as_written`` the number is ``value``
    in the written unit. English gives ``value`` in the written unit (multiplier
    applied) with thousands separators and the English noun of :data:`UNIT_WORDS`
    (``47,800 items``, ``at least 60 years old``, ``more than 50 times``); money is
    written by :func:`impact.fmt.money` (``CNY 231 million``).

    Parameters
    ----------
    value
        The value in base units (``facts.value``).
    unit_as_written, value_as_written, qualifier, base_unit
        The fact's columns of the same names. A ``base_unit`` that re-labels the
        written classifier (``27个`` counted as ``county``, ``40000人`` as
        ``person_time``) gives the English noun (``27 counties``, ``40,000 person-times``).
    lang
        ``"zh"`` or ``"en"``.
    """
    from impact import fmt

    if qualifier not in _ZH_QUALIFIER:
        raise InputError(Problem("<quantity>", None, "qualifier", qualifier, f"one of {', '.join(QUALIFIERS)}"))
    if lang not in ("zh", "en"):
        raise InputError(Problem("<quantity>", None, "lang", lang, "'zh' or 'en'"))
    mult, unit = _split_unit(unit_as_written)
    factor, base = UNITS[unit]
    in_unit = float(value) / factor  # value in the written unit, multiplier included
    zh, en_one, en_many = UNIT_WORDS[unit]
    if base_unit is not None and base_unit != base and base_unit in _BASE_NOUNS:
        en_one, en_many = _BASE_NOUNS[base_unit]
    if lang == "zh":
        q = _ZH_QUALIFIER[qualifier]
        if value_as_written is not None and str(value_as_written) != "":
            n = str(value_as_written)
            shown_mult = unit_as_written[: len(unit_as_written) - len(unit)] if mult != 1.0 else ""
            n = f"{n}{unicodedata.normalize('NFKC', shown_mult)}"
        elif base == "yuan":
            return q + fmt.money(value, lang="zh")
        else:
            n = fmt.number(in_unit, decimals=0 if float(in_unit).is_integer() else 2)
        return zh.format(q=q, n=n) if "{n}" in zh else f"{q}{n}{zh}"
    q = _EN_QUALIFIER[qualifier]
    if base == "yuan":
        body = fmt.money(value, lang="en")
    elif unit == "%":
        body = fmt.number(in_unit, decimals=0 if float(in_unit).is_integer() else 2) + "%"
    else:
        whole = float(in_unit).is_integer()
        num = fmt.count(in_unit) if whole else fmt.number(in_unit, decimals=2)
        if unit in ("次", "次/月") and in_unit == 1:
            body = "once" + (" a month" if unit == "次/月" else "")
        else:
            noun = en_one if in_unit == 1 else en_many
            body = f"{num} {noun}".strip()
    return f"{q} {body}".strip()
