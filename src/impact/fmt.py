"""Number formatting and inference wording for reports: one convention, pure functions.

Every report formats numbers through this module, so one page never shows ``1144``
beside ``1,144`` or money in yuan beside money in 万元. The conventions:

=============== ============================== ====================================
kind            Chinese (``zh``)                English (``en``)
=============== ============================== ====================================
money           ``< 1万``: whole yuan,          ``< 1 million``: whole yuan,
                ``3,210元``; ``≥ 1万``: 万元,    ``CNY 360,000``; ``≥ 1 million``:
                ``267万元``, ``4.78万元``;       ``CNY 2.67 million``; ``≥ 1
                ``≥ 1亿``: 亿元, ``2.31亿元``    billion``: ``CNY 1.2 billion``
precision       at most 2 decimals in 万元/亿元, trailing zeros dropped; never fen
count           integer with thousands separators (``1,815``), both languages
number          fixed decimals, thousands separators, never ``-0``
interval        ``[low, high]`` with decimals chosen so both ends are readable
                (``[low; high]`` when an end has a thousands separator)
p-value         3 decimals; ``< 0.001`` below
=============== ============================== ====================================

English money uses the ISO code and short-scale words ("CNY 231 million" for
2.31亿元, "CNY 30 million" for 3000万元), never "hundred million".

Money columns in a table use one unit for the whole column (:func:`money_unit`),
so the header says ``资金（万元）`` and cells hold plain numbers.

The inference helpers (:func:`significance`, :func:`pretrend_sentence`,
:func:`synth_assessment`) turn numbers into sentences that say what the numbers
support, in Chinese and English.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from impact.errors import ImpactError

__all__ = [
    "MoneyUnit",
    "SynthAssessment",
    "count",
    "interval",
    "interval_decimals",
    "money",
    "money_unit",
    "number",
    "percent",
    "precision_note",
    "pretrend_from_table",
    "pretrend_sentence",
    "pvalue",
    "significance",
    "synth_assessment",
]

_LANGS = ("zh", "en")
MISSING = "—"


def _lang(lang: str) -> str:
    if lang not in _LANGS:
        raise ImpactError(f"lang={lang!r} is not valid; expected one of 'zh', 'en'")
    return lang


def _value(x: Any) -> float | None:
    """``x`` as a float, ``None`` for missing (None, NaN, pandas NA)."""
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ImpactError(f"expected a number, got {x!r}") from None
    return None if math.isnan(v) else v


def _trim(s: str) -> str:
    return s.rstrip("0").rstrip(".") if "." in s else s


def _fixed(v: float, decimals: int, *, sep: bool = True, trim: bool = False) -> str:
    """``v`` with ``decimals`` decimals and thousands separators; ``-0`` becomes ``0``."""
    s = f"{v:,.{decimals}f}" if sep else f"{v:.{decimals}f}"
    if trim:
        s = _trim(s)
    if s.startswith("-") and not any(ch in s for ch in "123456789"):
        s = s[1:]
    return s


def number(x: Any, *, decimals: int = 2, lang: str = "zh", missing: str = MISSING) -> str:
    """A number with ``decimals`` decimals and thousands separators: ``-1234.5 → "-1,234.50"``.

    A value that rounds to zero is written without sign (``-0.001 → "0.00"``).
    """
    _lang(lang)
    v = _value(x)
    if v is None:
        return missing
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    return _fixed(v, decimals)


def count(x: Any, *, lang: str = "zh", missing: str = MISSING) -> str:
    """A count as an integer with thousands separators: ``1815 → "1,815"``, ``3.0 → "3"``.

    Raises :class:`~impact.errors.ImpactError` for a non-integral value (a count of
    2.5 is a bug upstream, not something to round).
    """
    _lang(lang)
    v = _value(x)
    if v is None:
        return missing
    if math.isinf(v) or abs(v - round(v)) > 1e-9:
        raise ImpactError(f"a count must be a whole number, got {x!r}")
    return f"{int(round(v)):,}"


def percent(x: Any, *, decimals: int = 1, share: bool = False, lang: str = "zh", missing: str = MISSING) -> str:
    """Percent: ``20 → "20.0%"``; ``share=True`` reads ``x`` as a share in 0–1 (``0.2 → "20.0%"``)."""
    _lang(lang)
    v = _value(x)
    if v is None:
        return missing
    return _fixed(v * (100.0 if share else 1.0), decimals) + "%"


@dataclass(frozen=True)
class MoneyUnit:
    """One money unit for a table column: ``factor`` yuan per unit and its names."""

    factor: float
    zh: str
    en: str

    def header(self, label: str, *, lang: str = "zh") -> str:
        """Column header with the unit: ``"资金（万元）"`` / ``"Funds (CNY million)"``."""
        return f"{label}（{self.zh}）" if _lang(lang) == "zh" else f"{label} ({self.en})"


_ZH_UNITS = (MoneyUnit(1e8, "亿元", "CNY 100 million"), MoneyUnit(1e4, "万元", "CNY 10,000"),
             MoneyUnit(1.0, "元", "CNY"))
_EN_UNITS = (MoneyUnit(1e9, "十亿元", "CNY billion"), MoneyUnit(1e6, "百万元", "CNY million"),
             MoneyUnit(1.0, "元", "CNY"))


def money_unit(values: Any, *, lang: str = "zh") -> MoneyUnit:
    """The unit for a column of yuan amounts, chosen from its largest absolute value.

    zh: 亿元 when the largest is at least 1亿, 万元 when at least 1万, else 元;
    en: CNY billion / CNY million / CNY at 1e9 / 1e6. Missing values are ignored.
    """
    _lang(lang)
    vals = [abs(v) for v in (_value(x) for x in values) if v is not None and not math.isinf(v)]
    top = max(vals, default=0.0)
    for unit in _ZH_UNITS if lang == "zh" else _EN_UNITS:
        if top >= unit.factor:
            return unit
    return _ZH_UNITS[-1] if lang == "zh" else _EN_UNITS[-1]


def money(x: Any, *, lang: str = "zh", decimals: int = 2, missing: str = MISSING) -> str:
    """Money in yuan, in the report convention (see the module docstring).

    ``231_000_000 → "2.31亿元"`` / ``"CNY 231 million"``; ``2_670_000 → "267万元"`` /
    ``"CNY 2.67 million"``; ``32_097.46 → "3.21万元"`` / ``"CNY 32,097"``; ``4 → "4元"`` /
    ``"CNY 4"``. At most ``decimals`` decimals in 万元/亿元/million/billion (trailing
    zeros dropped); amounts in plain yuan are whole (no fen).
    """
    _lang(lang)
    v = _value(x)
    if v is None:
        return missing
    units = _ZH_UNITS if lang == "zh" else _EN_UNITS
    unit = money_unit([v], lang=lang)
    i = units.index(unit)
    shown = round(abs(v) / unit.factor, 0 if unit.factor == 1.0 else decimals) * unit.factor
    if i > 0 and shown >= units[i - 1].factor:  # 99,999,999 rounds to 1亿元, not 10000万元
        unit = units[i - 1]
    if unit.factor == 1.0:
        body = _fixed(v, 0)
        return f"{body}元" if lang == "zh" else f"CNY {body}"
    body = _fixed(v / unit.factor, decimals, sep=False, trim=True)  # below the next unit: ≤ 4 digits
    if lang == "zh":
        return f"{body}{unit.zh}"
    return f"CNY {body} {'billion' if unit.factor == 1e9 else 'million'}"


def precision_note(*, lang: str = "zh") -> str:
    """The sentence a report prints once to state its number conventions."""
    if _lang(lang) == "zh":
        return "金额以万元、亿元表示，最多保留两位小数，不足1万元的金额取整到元；计数为整数。"
    return ("Money is in CNY, amounts of a million or more in millions (billions) with at most two "
            "decimals, smaller amounts in whole yuan; counts are whole numbers.")


def interval_decimals(low: Any, high: Any, *, significant: int = 2, max_decimals: int = 6) -> int:
    """Decimals that make both ends of ``[low, high]`` readable.

    The end with the larger magnitude gets ``significant`` significant digits; if the
    other end is non-zero but would round to zero, decimals grow (up to ``max_decimals``)
    until it shows a non-zero digit. Never fewer than 0.
    """
    ends = [v for v in (_value(low), _value(high)) if v is not None and not math.isinf(v)]
    nonzero = [abs(v) for v in ends if v != 0]
    if not nonzero:
        return 0
    top = max(nonzero)
    d = max(0, significant - 1 - math.floor(math.log10(top)))
    small = min(nonzero)
    while d < max_decimals and round(small, d) == 0:
        d += 1
    return d


def interval(low: Any, high: Any, *, lang: str = "zh", decimals: int | None = None,
             missing: str = MISSING) -> str:
    """``"[low, high]"`` with decimals from :func:`interval_decimals` unless given.

    Both ends use the same decimals; a value rounding to zero is ``0`` without sign, so
    ``[-0.05, -0.0001]`` reads ``[-0.0500, -0.0001]`` and never ``[-0.05, -0]``. When an
    end carries a thousands separator the ends are separated by ``;`` (``[-170; 1,234]``).
    """
    _lang(lang)
    lo, hi = _value(low), _value(high)
    if lo is None or hi is None:
        return missing
    d = interval_decimals(lo, hi) if decimals is None else decimals
    a, b = number(lo, decimals=d), number(hi, decimals=d)
    sep = "; " if "," in a + b else ", "  # [1,234; 5,678] stays unambiguous
    return f"[{a}{sep}{b}]"


def pvalue(p: Any, *, missing: str = MISSING) -> str:
    """A p-value: three decimals, ``< 0.001`` below 0.001; a value outside [0, 1] is an error."""
    v = _value(p)
    if v is None:
        return missing
    if not 0.0 <= v <= 1.0:
        raise ImpactError(f"a p-value lies in [0, 1], got {p!r}")
    return "< 0.001" if v < 0.001 else f"{v:.3f}"


def _p_clause(p: float) -> str:
    s = pvalue(p)
    return f"p {s}" if s.startswith("<") else f"p = {s}"


def _level_text(level: float) -> str:
    return _trim(f"{level * 100:.1f}") + "%"


def significance(p: Any, *, level: float = 0.05, lang: str = "zh") -> str:
    """Whether an estimate is statistically significant at ``level``, with its p-value.

    ``p < level`` → significant; otherwise not significant and "a zero effect cannot be
    ruled out". Missing ``p`` → a sentence saying no p-value is available.
    """
    _lang(lang)
    if not 0.0 < level < 1.0:
        raise ImpactError(f"level must lie in (0, 1), got {level!r}")
    v = _value(p)
    lvl = _level_text(level)
    if v is None:
        return "没有可用的p值，无法判断显著性。" if lang == "zh" else "No p-value is available, so significance is not assessed."
    pv = _p_clause(v)
    if v < level:
        if lang == "zh":
            return f"在{lvl}显著性水平下统计显著（{pv}）。"
        return f"Statistically significant at the {lvl} level ({pv})."
    if lang == "zh":
        return f"在{lvl}显著性水平下不显著（{pv}），不能排除效应为零。"
    return f"Not statistically significant at the {lvl} level ({pv}); an effect of zero cannot be ruled out."


def pretrend_sentence(
    p: Any,
    pre_estimates: Any,
    *,
    scale: float,
    level: float = 0.05,
    tolerance: float = 0.25,
    unit: str = "",
    lang: str = "zh",
    test: tuple[str, str] | None = None,
) -> str:
    """What the pre-period estimates of an event study say about parallel trends.

    ``size = max |pre-period estimate|`` is compared with ``tolerance × scale`` where
    ``scale`` is a reference magnitude (the absolute post-period effect or the
    outcome's standard deviation, > 0). Cases: no pre-period estimates; the joint
    pre-trend test rejects (``p < level``); it does not reject and the estimates are
    small (consistent with parallel trends, which no test proves); it does not reject
    but the estimates are large (uncertain: the test may lack power). Missing ``p``
    with estimates is judged on size alone and says the test is unavailable. ``test`` names
    the test (Chinese, English) when it is not the usual joint Wald pre-test.
    """
    _lang(lang)
    if not scale > 0:
        raise ImpactError(f"scale must be a positive magnitude, got {scale!r}")
    pre = [v for v in (_value(x) for x in (pre_estimates or [])) if v is not None]
    if not pre:
        return ("没有结对前的估计值，无法检验平行趋势。" if lang == "zh"
                else "There are no pre-pairing estimates, so parallel trends cannot be checked.")
    size = max(abs(v) for v in pre)
    lo, hi = min(pre), max(pre)
    d = interval_decimals(lo, hi)
    rng = f"{number(lo, decimals=d)}{'至' if lang == 'zh' else ' to '}{number(hi, decimals=d)}"
    u = unit if lang == "zh" or not unit else f" {unit}"
    small = size <= tolerance * scale
    v = _value(p)
    name_zh, name_en = test or ("前趋势检验", "the pre-trend test")
    if v is not None and v < level:
        if lang == "zh":
            return (f"结对前各期估计在{rng}{u}之间，{name_zh}拒绝平行趋势（{_p_clause(v)}），"
                    "结对后的差异可能部分来自结对前已有的趋势，效应估计需谨慎解读。")
        return (f"Pre-pairing estimates range from {rng}{u} and {name_en} rejects parallel trends "
                f"({_p_clause(v)}); post-pairing differences may partly reflect earlier trends, so read the "
                "effect with caution.")
    if v is None:
        if small:
            return (f"结对前各期估计在{rng}{u}之间，接近零；没有前趋势检验结果，仅从估计值大小看与平行趋势假设相符。"
                    if lang == "zh" else
                    f"Pre-pairing estimates range from {rng}{u}, close to zero; no pre-trend test is available, "
                    "so only their size speaks for parallel trends.")
        return (f"结对前各期估计在{rng}{u}之间，与效应本身相比并不小，且没有前趋势检验结果，平行趋势假设存疑。"
                if lang == "zh" else
                f"Pre-pairing estimates range from {rng}{u}, not small next to the effect itself, and no "
                "pre-trend test is available, so parallel trends are in doubt.")
    test_zh = f"{name_zh}未拒绝平行趋势（{_p_clause(v)}）"
    test_en = f"{name_en} does not reject parallel trends ({_p_clause(v)})"
    if small:
        if lang == "zh":
            return f"结对前各期估计在{rng}{u}之间，接近零，且{test_zh}，与平行趋势假设相符（检验不能证明该假设）。"
        return (f"Pre-pairing estimates range from {rng}{u}, close to zero, and {test_en}: consistent with "
                "parallel trends (no test proves them).")
    if lang == "zh":
        return (f"结对前各期估计在{rng}{u}之间，与效应本身相比并不小；虽然{test_zh}，"
                "但检验的把握度可能不足，平行趋势假设存疑。")
    return (f"Pre-pairing estimates range from {rng}{u}, not small next to the effect itself; although "
            f"{test_en}, the test may lack power, so parallel trends are in doubt.")


def pretrend_from_table(
    table: Any,
    p: Any,
    *,
    level: float = 0.05,
    tolerance: float = 0.25,
    unit: str = "",
    lang: str = "zh",
    test: tuple[str, str] | None = None,
) -> str:
    """:func:`pretrend_sentence` for an event-study table (``event_time``, ``estimate``).

    Pre-period estimates are those with ``event_time <= -1``, leaving out ``-1`` when it is
    exactly 0 (the reference period of a universal base; with varying base periods, as in
    Callaway–Sant'Anna, ``-1`` is an estimate of its own); ``scale`` is the mean absolute post-period estimate (``event_time >=
    0``). ``p`` is the joint pre-trend test's p-value (``result.diagnostics["pretrend"]
    ["p_value"]`` of :func:`impact.estimate.event_study`). Row order does not matter.
    """
    rows = [(float(e), _value(b)) for e, b in zip(table["event_time"], table["estimate"])]
    pre = [b for e, b in rows if b is not None and (e <= -2 or (e == -1 and b != 0))]
    post = [abs(b) for e, b in rows if e >= 0 and b is not None]
    if not post:
        raise ImpactError("the event-study table has no post-period estimate (event_time >= 0)")
    scale = sum(post) / len(post)
    scale = scale if scale > 0 else 1e-12  # no effect at all: any pre-period movement is large
    return pretrend_sentence(p, pre, scale=scale, level=level, tolerance=tolerance, unit=unit, lang=lang, test=test)


@dataclass(frozen=True)
class SynthAssessment:
    """Whether a synthetic-control gap may be narrated as an effect, and the caveats.

    ``narrate_effect`` is False when the pre-period fit is poor or there is a single
    post period; reports then show the gap as descriptive, with ``caveats``.
    """

    narrate_effect: bool
    fit_ratio: float | None
    caveats: tuple[str, ...] = field(default_factory=tuple)


def synth_assessment(
    *,
    pre_rmspe: float,
    post_gap: float,
    n_post: int,
    n_pre: int | None = None,
    n_donors: int | None = None,
    max_fit_ratio: float = 0.5,
    min_pre: int = 5,
    lang: str = "zh",
) -> SynthAssessment:
    """Judge a synthetic control: fit before pairing against the gap after it.

    ``fit_ratio = pre_rmspe / |post_gap|`` (pre-period root mean squared prediction
    error over the mean absolute post-period gap). The fit is poor when ``fit_ratio >
    max_fit_ratio``: gaps of the pre-period's size are then not distinguishable from an
    effect. A single post period (``n_post == 1``) gives one observation of the effect.
    Either makes ``narrate_effect`` False. Few pre-periods (``n_pre < min_pre``) and a
    small donor pool (smallest attainable placebo p-value ``1 / (n_donors + 1)``) add
    caveats without blocking.
    """
    _lang(lang)
    if n_post < 1:
        raise ImpactError(f"n_post must be at least 1, got {n_post!r}")
    rm, gap = _value(pre_rmspe), _value(post_gap)
    if rm is None or rm < 0:
        raise ImpactError(f"pre_rmspe must be a non-negative number, got {pre_rmspe!r}")
    ratio = None if gap is None or gap == 0 else rm / abs(gap)
    zh = lang == "zh"
    caveats: list[str] = []
    poor = ratio is None or ratio > max_fit_ratio
    if poor:
        r = "—" if ratio is None else number(ratio, decimals=1)
        caveats.append(
            f"结对前拟合误差（均方根误差{number(rm, decimals=0)}）相当于结对后平均差距的{r}倍，"
            "无法把差距与拟合误差区分开，不能视为帮扶效应。" if zh else
            f"The pre-pairing fit error (RMSPE {number(rm, decimals=0)}) is {r} times the mean post-pairing gap, "
            "so the gap cannot be told apart from fit error and is not an estimate of the effect.")
    if n_post == 1:
        caveats.append("结对后只有1期数据，差距只是一次观测，不能视为稳定的效应。" if zh else
                       "There is only one post-pairing period: the gap is a single observation, not a stable effect.")
    if n_pre is not None and n_pre < min_pre:
        caveats.append(f"结对前只有{n_pre}期数据，拟合依据较少。" if zh else
                       f"Only {n_pre} pre-pairing periods, so the fit rests on little data.")
    if n_donors is not None and n_donors >= 1:
        pmin = 1.0 / (n_donors + 1)
        if pmin > 0.05:
            caveats.append(f"对照县只有{n_donors}个，置换检验p值最小只能到{pvalue(pmin)}。" if zh else
                           f"Only {n_donors} donor counties: the smallest attainable placebo p-value is {pvalue(pmin)}.")
    return SynthAssessment(narrate_effect=not poor and n_post > 1, fit_ratio=ratio, caveats=tuple(caveats))

