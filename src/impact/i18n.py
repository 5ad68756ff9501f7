"""User-facing strings in Chinese and English, and number formatting for reports.

``t(key, lang, **fmt)`` looks a message up in :data:`MESSAGES` and fills its
``str.format`` fields. Number formatting follows each language's reading habit:

* Chinese (``zh``): amounts of at least 1 亿 (1e8) are written in 亿, amounts of
  at least 1 万 (1e4) in 万, smaller ones in full, e.g. ``231000000 → "2.31亿"``,
  ``60000 → "6万"``, ``1815 → "1815"``.
* English (``en``): thousands separators, e.g. ``231000000 → "231,000,000"``.

Labels for sectors, organization levels and kinds, base units and table columns
live here too, so every report, figure and CLI message uses one vocabulary.

New report text should format numbers with :mod:`impact.fmt` (money in 万元/亿元 and
"CNY … million", counts with separators, readable intervals, significance and
pre-trend wording) and figures from the registry with
``fmt_quantity(..., unit_as_written=...)`` so the article's unit (次, 份, 岁, 镇（乡）)
is kept; ``fmt_number``/``fmt_money`` stay for the current report sections.
Only user-facing text is translated; code, comments and docs stay in English.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from impact.messages import MESSAGES  # noqa: F401 - the message catalogue lives in its own module
from impact.vocab import LANGS, Lang  # noqa: F401 - the vocabularies live in impact.vocab


def _check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang={lang!r} is not valid; expected one of 'zh', 'en'")
    return lang


# -- vocabularies -----------------------------------------------------------------

SECTORS: dict[str, dict[str, str]] = {
    "agriculture": {"zh": "农业产业", "en": "Agriculture"},
    "health": {"zh": "医疗卫生", "en": "Health"},
    "education": {"zh": "教育", "en": "Education"},
    "child_protection": {"zh": "儿童保护", "en": "Child protection"},
    "elderly_care": {"zh": "养老服务", "en": "Elderly care"},
    "disability": {"zh": "助残服务", "en": "Disability services"},
    "culture": {"zh": "文化传承", "en": "Culture"},
    "tourism": {"zh": "乡村旅游", "en": "Tourism"},
    "ecommerce": {"zh": "电子商务", "en": "E-commerce"},
    "employment": {"zh": "就业", "en": "Employment"},
    "governance": {"zh": "基层治理", "en": "Governance"},
    "other": {"zh": "其他", "en": "Other"},
}

LEVELS: dict[str, dict[str, str]] = {
    "national": {"zh": "全国性", "en": "National"},
    "out_of_province": {"zh": "省外", "en": "Out of province"},
    "provincial": {"zh": "省级", "en": "Provincial"},
    "prefecture": {"zh": "州（市）级", "en": "Prefecture"},
    "county": {"zh": "县（市、区）级", "en": "County"},
}

KINDS: dict[str, dict[str, str]] = {
    "foundation": {"zh": "基金会", "en": "Foundation"},
    "trade_association": {"zh": "行业协会", "en": "Trade association"},
    "chamber_of_commerce": {"zh": "商会", "en": "Chamber of commerce"},
    "social_work_agency": {"zh": "社会工作服务机构", "en": "Social-work agency"},
    "professional_association": {"zh": "专业协会", "en": "Professional association"},
    "ngo": {"zh": "公益组织", "en": "NGO"},
    "enterprise": {"zh": "企业", "en": "Enterprise"},
    "other": {"zh": "其他", "en": "Other"},
}

#: Base units of ``facts.base_unit`` and indicator ``unit`` columns.
UNITS: dict[str, dict[str, str]] = {
    "yuan": {"zh": "元", "en": "yuan"},
    "mu": {"zh": "亩", "en": "mu"},
    "kg": {"zh": "公斤", "en": "kg"},
    "kg/mu": {"zh": "公斤/亩", "en": "kg/mu"},
    "person": {"zh": "人", "en": "persons"},
    "person_time": {"zh": "人次", "en": "person-times"},
    "school": {"zh": "所", "en": "schools"},
    # a generic count: the figure's label says what is counted (never "units"); use
    # fmt_quantity(..., unit_as_written=...) to carry the article's 次/份/岁/镇（乡） through
    "unit": {"zh": "个", "en": ""},
    "year": {"zh": "年", "en": "years"},
    "percent": {"zh": "%", "en": "%"},
    "organization": {"zh": "家", "en": "organizations"},
    "county": {"zh": "个县", "en": "counties"},
    "project": {"zh": "个", "en": "projects"},
    "ratio": {"zh": "", "en": ""},
    "yuan/person": {"zh": "元/人", "en": "yuan per person"},
    "yuan/household": {"zh": "元/户", "en": "yuan per household"},
    "yuan/patient": {"zh": "元/人", "en": "yuan per patient"},
    "yuan/beneficiary": {"zh": "元/人", "en": "yuan per beneficiary"},
    "yuan/household/year": {"zh": "元/户/年", "en": "yuan per household per year"},
    "yuan/person/year": {"zh": "元/人/年", "en": "yuan per person per year"},
    "yuan/year": {"zh": "元/年", "en": "yuan per year"},
    "yuan/person_time": {"zh": "元/人次", "en": "yuan per person-time"},
    "yuan/yuan": {"zh": "元/元", "en": "yuan per yuan"},
}

QUALIFIERS: dict[str, dict[str, str]] = {
    "exact": {"zh": "", "en": ""},
    "more_than": {"zh": "超过", "en": "more than"},
    "about": {"zh": "约", "en": "about"},
    "nearly": {"zh": "近", "en": "nearly"},
    "up_to": {"zh": "至多", "en": "up to"},
    "at_least": {"zh": "至少", "en": "at least"},
}

#: Display headers for table columns (reports show these instead of snake_case).
COLUMNS: dict[str, dict[str, str]] = {
    "county_code": {"zh": "县级代码", "en": "County code"},
    "county": {"zh": "县（市、区）", "en": "County"},
    "county_name": {"zh": "县（市、区）", "en": "County"},
    "prefecture": {"zh": "州（市）", "en": "Prefecture"},
    "org_id": {"zh": "组织编号", "en": "Org. ID"},
    "organization": {"zh": "社会组织", "en": "Organization"},
    "level": {"zh": "层级", "en": "Level"},
    "kind": {"zh": "类型", "en": "Kind"},
    "program_id": {"zh": "项目编号", "en": "Program ID"},
    "program": {"zh": "帮扶项目", "en": "Program"},
    "sector": {"zh": "领域", "en": "Sector"},
    "period": {"zh": "时期", "en": "Period"},
    "year": {"zh": "年份", "en": "Year"},
    "date": {"zh": "日期", "en": "Date"},
    "event": {"zh": "签约活动", "en": "Signing event"},
    "town": {"zh": "乡镇", "en": "Town"},
    "village": {"zh": "村", "en": "Village"},
    "delivered": {"zh": "帮扶内容", "en": "What was delivered"},
    "funds": {"zh": "资金", "en": "Funds"},
    "measure": {"zh": "指标", "en": "Measure"},
    "value": {"zh": "数值", "en": "Value"},
    "quote": {"zh": "原文", "en": "Source quote (Chinese)"},
    "indicator": {"zh": "指标", "en": "Indicator"},
    "estimate": {"zh": "估计值", "en": "Estimate"},
    "ci": {"zh": "95%置信区间", "en": "95% CI"},
    "article_figure": {"zh": "原文数字", "en": "The article's figure"},
    "conf_low": {"zh": "下限", "en": "CI low"},
    "conf_high": {"zh": "上限", "en": "CI high"},
    "std_error": {"zh": "标准误", "en": "Std. error"},
    "p_value": {"zh": "p值", "en": "p-value"},
    "n": {"zh": "样本量", "en": "N"},
    "unit": {"zh": "单位", "en": "Unit"},
    "method": {"zh": "方法", "en": "Method"},
    "term": {"zh": "项", "en": "Term"},
    "group": {"zh": "组别", "en": "Group"},
    "rank": {"zh": "排名", "en": "Rank"},
    "cost_per_beneficiary": {"zh": "人均成本（元）", "en": "Cost per beneficiary (yuan)"},
    "beneficiaries": {"zh": "受益人数", "en": "Beneficiaries"},
    "cost": {"zh": "成本（元）", "en": "Cost (yuan)"},
    "registry_sum": {"zh": "登记表合计", "en": "Registry sum"},
    "stated_total": {"zh": "文章所述总数", "en": "Stated total"},
    "difference": {"zh": "差额", "en": "Difference"},
    "covered": {"zh": "登记表覆盖比例", "en": "Share covered"},
    "file": {"zh": "文件", "en": "File"},
    "sha256": {"zh": "SHA-256 校验值", "en": "SHA-256"},
    "package": {"zh": "软件包", "en": "Package"},
    "part": {"zh": "部分", "en": "Part"},
    "note_kind": {"zh": "类别", "en": "Type"},
    "message": {"zh": "说明", "en": "Message"},
    "version": {"zh": "版本", "en": "Version"},
    "source": {"zh": "来源", "en": "Source"},
    "simulated": {"zh": "模拟数据", "en": "Simulated"},
    "declared_by": {"zh": "信息来源", "en": "Stated by"},
    "coverage": {"zh": "数字范围", "en": "What it covers"},
    "discount_rate": {"zh": "折现率", "en": "Discount rate"},
    "horizon": {"zh": "年限（年）", "en": "Horizon (years)"},
    "bcr": {"zh": "效益成本比", "en": "Benefit–cost ratio"},
    "n_programs": {"zh": "项目数", "en": "Programs"},
    "n_organizations": {"zh": "组织数", "en": "Organizations"},
    "n_counties": {"zh": "县数", "en": "Counties"},
    "population": {"zh": "人口", "en": "Population"},
    "funds_per_capita": {"zh": "人均资金（元）", "en": "Funds per capita (yuan)"},
}


def t(key: str, lang: Lang = "zh", /, **fmt: Any) -> str:
    """Return message ``key`` in ``lang`` with ``fmt`` fields filled.

    Raises ``KeyError`` naming the key for an unknown message, ``ValueError`` for
    an unknown language.
    """
    _check_lang(lang)
    try:
        entry = MESSAGES[key]
    except KeyError:
        raise KeyError(f"no message {key!r} in impact.i18n.MESSAGES") from None
    text = entry[lang]
    return text.format(**fmt) if fmt else text


def _label(table: Mapping[str, Mapping[str, str]], value: Any, lang: str) -> str:
    _check_lang(lang)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    entry = table.get(str(value))
    return entry[lang] if entry else str(value)


def sector_name(sector: str, lang: Lang = "zh") -> str:
    """Display name of a registry ``sector`` code (unknown codes are returned as given)."""
    return _label(SECTORS, sector, lang)


def level_name(level: str, lang: Lang = "zh") -> str:
    """Display name of an organization ``level`` code."""
    return _label(LEVELS, level, lang)


def kind_name(kind: str, lang: Lang = "zh") -> str:
    """Display name of an organization ``kind`` code."""
    return _label(KINDS, kind, lang)


def unit_name(unit: str, lang: Lang = "zh") -> str:
    """Display name of a base unit (``yuan`` → 元 / yuan)."""
    return _label(UNITS, unit, lang)


def qualifier_name(qualifier: str, lang: Lang = "zh") -> str:
    """Display word of a fact ``qualifier`` (``more_than`` → 超过 / more than)."""
    return _label(QUALIFIERS, qualifier, lang)


def column_name(column: str, lang: Lang = "zh") -> str:
    """Display header for a table column."""
    return _label(COLUMNS, column, lang)


def headers(columns: list[str] | tuple[str, ...], lang: Lang = "zh") -> dict[str, str]:
    """Mapping ``column → display header`` for ``DataFrame.rename``."""
    return {c: column_name(c, lang) for c in columns}


# -- numbers ------------------------------------------------------------------------


def _trim(s: str) -> str:
    return s.rstrip("0").rstrip(".") if "." in s else s


def fmt_number(x: Any, lang: Lang = "zh", digits: int = 3, missing: str = "—") -> str:
    """Format a number for a report.

    ``zh``: ``|x| ≥ 1e8`` in 亿 and ``|x| ≥ 1e4`` in 万, with ``digits`` significant
    digits kept where a fraction remains (``231000000 → "2.31亿"``, ``30000000 →
    "3000万"``, ``12345 → "1.23万"``); smaller numbers in full with up to two
    decimals (``1815 → "1815"``, ``0.153 → "0.15"``).
    ``en``: thousands separators, two decimals at most (``1815 → "1,815"``,
    ``60000.5 → "60,000.5"``); numbers of a million or more are rounded to whole units.
    NaN and None give ``missing``.
    """
    _check_lang(lang)
    if x is None:
        return missing
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(v):
        return missing
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    a = abs(v)
    sign = "-" if v < 0 and round(a, 2) > 0 else ""  # never "-0"
    if lang == "zh":
        for base, word in ((1e8, "亿"), (1e4, "万")):
            if a >= base:
                q = a / base
                decimals = max(0, digits - len(str(int(q))))
                return f"{sign}{_trim(f'{q:.{decimals}f}')}{word}"
        return sign + _trim(f"{a:.2f}")
    if a >= 1e6:
        return f"{sign}{a:,.0f}"
    return sign + _trim(f"{a:,.2f}")


def fmt_money(x: Any, lang: Lang = "zh", missing: str = "—") -> str:
    """Money in yuan: ``"2.31亿元"`` / ``"231,000,000 yuan"``."""
    s = fmt_number(x, lang, missing=missing)
    if s == missing:
        return s
    return f"{s}元" if lang == "zh" else f"{s} yuan"


def fmt_quantity(x: Any, unit: str, lang: Lang = "zh", qualifier: str = "exact", *,
                 unit_as_written: str | None = None, value_as_written: str | None = None) -> str:
    """A number with its unit and qualifier: ``("超过", 650万, "元")`` → ``"超过650万元"``.

    With ``unit_as_written`` (a registry fact's column) the article's unit is kept:
    ``至少60岁`` / ``at least 60 years old``, ``4.78万份`` / ``47,800 items``, ``超过50次`` /
    ``more than 50 times`` (see :func:`impact.units.quantity_text`).
    """
    missing = x is None or (isinstance(x, float) and math.isnan(x))
    if unit_as_written is not None and not missing and str(unit_as_written) not in ("", "<NA>", "nan"):
        from impact.units import quantity_text

        return quantity_text(float(x), unit_as_written=str(unit_as_written), value_as_written=value_as_written,
                             qualifier=qualifier or "exact", base_unit=unit or None, lang=lang)
    num = fmt_number(x, lang)
    q = qualifier_name(qualifier or "exact", lang)
    u = unit_name(unit, lang) if unit else ""
    if lang == "zh":
        return f"{q}{num}{u}"
    parts = [p for p in (q, num, u) if p]
    if u == "%":
        parts = [p for p in (q, num + u) if p]
    return " ".join(parts)


def fmt_percent(x: Any, lang: Lang = "zh", digits: int = 1, scale: float = 1.0) -> str:
    """Percent with ``digits`` decimals; ``scale=100`` when ``x`` is a share in 0–1."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{float(x) * scale:.{digits}f}%"


def fmt_pvalue(p: Any) -> str:
    """p-values: three decimals, ``< 0.001`` below that, ``—`` when missing."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "—"
    p = float(p)
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def fmt_ci(low: Any, high: Any, lang: Lang = "zh") -> str:
    """A confidence interval as ``"[low, high]"``, both ends readable and never ``-0``.

    Ends of at least 1万 keep the report number format (``[1.2万, 3.4万]``); smaller
    intervals use :func:`impact.fmt.interval` (decimals chosen so both ends show
    significant digits: ``[-0.050, -0.001]``, not ``[-0.05, -0]``).
    """
    from impact import fmt

    vals = [v for v in (low, high) if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if len(vals) == 2 and max(abs(float(v)) for v in vals) >= 1e4:
        return f"[{fmt_number(low, lang)}, {fmt_number(high, lang)}]"
    return fmt.interval(low, high, lang=lang)


def join_list(items: list[str], lang: Lang = "zh") -> str:
    """Join names: ``"甲、乙和丙"`` / ``"A, B and C"``."""
    _check_lang(lang)
    items = [str(i) for i in items if str(i)]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    if lang == "zh":
        return "、".join(items[:-1]) + "和" + items[-1]
    return ", ".join(items[:-1]) + " and " + items[-1]
