"""The report's sentences: every number said once, in Chinese or English, readable aloud.

Pure functions from table rows to text: the summary sentences, an indicator's label
and sentence, the synthetic-control sentence and its caveats, registry facts with
their verbatim quotes. Numbers are formatted by :mod:`impact.i18n`.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np
import pandas as pd

from impact import fmt
from impact.i18n import MESSAGES, join_list, sector_name, t, unit_name
from impact.counterparts import counterpart
from impact.registry import beneficiary_facts, fund_facts
from impact.units import quantity_text
from impact.report.render import display_frame

__all__ = ["HEADLINE_TERMS", "SIM_MARK", "counterpart_sentence", "counterpart_value", "fact_value_text", "value_text", "interval_text", "causal_paragraphs",
           "pretrend_text", "OUTCOME_LABEL", "causal_sentence", "facts_frame", "indicator_label",
           "indicator_sentence", "is_local", "quote_clause", "summary_sentences", "synth_caveats", "unit_label"]


OUTCOME_LABEL: dict[str, dict[str, str]] = {
    "income_per_capita": {"zh": "农村居民人均可支配收入", "en": "rural income per capita", "unit_zh": "元", "unit_en": "yuan"},
    "grain_yield": {"zh": "粮食单产", "en": "grain yield", "unit_zh": "公斤/亩", "unit_en": "kg/mu"},
    "referral_out_share": {"zh": "重症外转比例", "en": "share of serious cases referred out", "unit_zh": "", "unit_en": ""},
    "children_reached": {"zh": "儿童保护服务覆盖人数", "en": "children reached", "unit_zh": "人", "unit_en": "children"},
}


#: Indicator terms read out in the summary box.
HEADLINE_TERMS: tuple[str, ...] = ("yield_gain_pct", "total_per_household", "saving_per_patient", "unique_persons",
                                   "cost_per_beneficiary")


#: The inline mark of a simulated value, so a number copied alone keeps its label.
SIM_MARK: dict[str, str] = {"zh": "【模拟】", "en": "[simulated] "}


def value_text(x: Any, unit: Any, lang: str) -> str:
    """A value with its unit through :mod:`impact.fmt`: money in 元/万元/亿元 (never fen),
    percentages with one decimal, persons as counts, other values with two decimals."""
    u = "" if unit is None or pd.isna(unit) else str(unit)
    if x is None or pd.isna(x):
        return "—"
    if u == "yuan":
        return fmt.money(x, lang=lang)
    if u.startswith("yuan"):  # yuan per something: whole yuan, never fen
        name = unit_label(u, lang)
        n = fmt.number(x, decimals=0, lang=lang)
        return f"{n}{name}" if lang == "zh" else f"{n} {name}"
    if u == "percent":
        return f"{fmt.number(x, decimals=1, lang=lang)}%"
    if u in ("person", "person_time", "household", "count") and float(x) == round(float(x)):
        n = fmt.count(x, lang=lang)
    else:
        n = fmt.number(x, decimals=2, lang=lang)
    name = unit_label(u, lang)
    return f"{n}{name}" if lang == "zh" or not name else f"{n} {name}"


def interval_text(low: Any, high: Any, unit: Any, lang: str) -> str:
    """A 95% interval with decimals chosen so both ends read (:func:`impact.fmt.interval`), in
    the value's unit (money intervals in yuan)."""
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return "—"
    u = "" if unit is None or pd.isna(unit) else str(unit)
    name = "%" if u == "percent" else unit_label(u, lang)
    iv = fmt.interval(low, high, lang=lang, decimals=0 if u == "yuan" else None)
    return f"{iv}{name}" if lang == "zh" or name in ("", "%") else f"{iv} {name}"


def fact_value_text(r: pd.Series, lang: str) -> str:
    """A registry fact in the article's own unit (:func:`impact.units.quantity_text`)."""
    q = r.get("qualifier")
    q = q if isinstance(q, str) and q else "exact"
    vw = r.get("value_as_written")
    uw = r.get("unit_as_written")
    return quantity_text(float(r["value"]), unit_as_written="" if uw is None or pd.isna(uw) else str(uw),
                         value_as_written=None if vw is None or pd.isna(vw) else str(vw), qualifier=q,
                         base_unit=None if pd.isna(r.get("base_unit")) else str(r.get("base_unit")), lang=lang)


def is_local(facts: pd.DataFrame, code: str) -> pd.Series:
    return facts["fact_county_code"].astype("string").fillna("") == code


def summary_sentences(c: Any, tables: dict[str, Any], sectors: Sequence[str], lang: str,
                      indicators: pd.DataFrame | None = None) -> list[str]:
    """One sentence each, readable aloud: organizations, programs, funds, beneficiaries, headline indicators."""
    orgs, progs, facts = tables["orgs"], tables["programs"], tables["facts"]
    out = []
    n_orgs = orgs["org_id"].nunique() if not orgs.empty else 0
    out.append(t("summary.orgs", lang, n=n_orgs, name=c.short_name) if n_orgs
               else t("summary.orgs.none", lang, name=c.short_name))
    n_prog = progs["program_id"].nunique() if not progs.empty else 0
    if n_prog:
        secs = join_list([sector_name(s, lang) for s in dict.fromkeys(progs["sector"].dropna())], lang)
        out.append(t("summary.programs", lang, n=n_prog, sectors=secs))
    else:
        out.append(t("summary.programs.none", lang))
    funds = fund_facts(facts)
    local = funds[is_local(funds, c.code)] if not funds.empty else funds
    wide = funds[~is_local(funds, c.code)] if not funds.empty else funds
    if not local.empty:
        out.append(t("summary.funds", lang, amount=_sum_text(local, lang)))
    else:
        out.append(t("summary.funds.none", lang))
    for _, r in wide.iterrows():  # shared figures, each with what it covers; never summed as the county's
        label = r.get("label_zh" if lang == "zh" else "label_en")
        out.append(t("summary.funds.shared", lang, amount=fact_value_text(r, lang),
                     label=str(label) if isinstance(label, str) and label else t("summary.shared", lang)))
    ben = beneficiary_facts(facts)
    ben = ben[is_local(ben, c.code)] if not ben.empty else ben
    for _, r in ben.iterrows():
        what = (quote_clause(str(r.get("quote") or ""), str(r.get("value_as_written") or "")) if lang == "zh"
                else str(r["measure"]).replace("_", " "))
        out.append(t("summary.beneficiaries", lang, amount=fact_value_text(r, lang), measure=what))
    ind = tables["indicators"] if indicators is None else indicators
    names = dict(zip(progs.get("program_id", []), progs.get("program", [])))
    for _, r in ind.iterrows():
        if (r["term"] not in HEADLINE_TERMS or r["sector"] not in sectors or r.get("note")
                or pd.isna(r["estimate"])):
            continue
        out.append(indicator_sentence(r, lang, names, facts=facts))
    return out


def quote_clause(quote: str, value_as_written: str) -> str:
    """The clause of ``quote`` (split at Chinese punctuation) that holds ``value_as_written``;
    the whole quote when none does. ``"…，受益师生 8955人"`` → ``"受益师生 8955人"``."""
    for part in re.split(r"[，。；！？：,;]", quote):
        if value_as_written and value_as_written in part:
            return part.strip()
    return quote.strip()


def _sum_text(facts: pd.DataFrame, lang: str) -> str:
    """Sum of fact values; prefixed with the qualifier when all rows share a non-exact one
    (``超过`` + ``超过`` stays ``超过``); mixed qualifiers are prefixed with ``about``."""
    total = float(facts["value"].sum())
    quals = set(facts["qualifier"].fillna("exact")) if "qualifier" in facts.columns else {"exact"}
    q = quals.pop() if len(quals) == 1 else "about"
    from impact.i18n import qualifier_name

    word = qualifier_name(q, lang) if q != "exact" else ""
    return f"{word}{fmt.money(total, lang=lang)}" if lang == "zh" else f"{word} {fmt.money(total, lang=lang)}".strip()


def indicator_label(r: pd.Series, lang: str, program_names: dict[str, str] | None = None) -> str:
    """Display label of an indicator row (with the program's name for per-program rows)."""
    key = f"ind.{r['term']}"
    label = t(key, lang) if key in MESSAGES else str(r["term"])
    pid = r.get("program_id")
    if pid is not None and not pd.isna(pid) and str(pid):
        label = f"{label}（{(program_names or {}).get(pid, pid)}）" if lang == "zh" else \
            f"{label} ({(program_names or {}).get(pid, pid)})"
    return label


def unit_label(unit: Any, lang: str) -> str:
    u = "" if unit is None or pd.isna(unit) else str(unit)
    return "%" if u == "percent" else unit_name(u, lang)


def indicator_sentence(r: pd.Series, lang: str, program_names: dict[str, str] | None = None, *,
                       facts: pd.DataFrame | None = None) -> str:
    """``label: estimate unit (95% CI low to high).``; counts without an interval drop the CI.
    With the county's labelled ``facts``, the article's figure for the same quantity
    (:func:`impact.counterparts.counterpart`) follows with its coverage and quote."""
    label = indicator_label(r, lang, program_names)
    mark = SIM_MARK[lang] if bool(r.get("simulated", False)) else ""
    est = value_text(r["estimate"], r.get("unit"), lang)
    beside = counterpart_sentence(r, facts, lang)
    if pd.isna(r["conf_low"]) or pd.isna(r["conf_high"]):
        return mark + t("summary.indicator.noci", lang, label=label, estimate=est, unit="") + beside
    return mark + t("summary.indicator.iv", lang, label=label, estimate=est,
                    interval=interval_text(r["conf_low"], r["conf_high"], r.get("unit"), lang)) + beside


def counterpart_value(r: pd.Series, facts: pd.DataFrame | None, lang: str) -> str:
    """The article's figure beside an indicator row, with its coverage (``约6万元（本县）``);
    ``—`` when the indicator has no counterpart among ``facts``."""
    f = counterpart(r, facts) if facts is not None else None
    if f is None:
        return "—"
    cover = f.get("label_zh" if lang == "zh" else "label_en")
    cover = cover if isinstance(cover, str) and cover else ""
    v = fact_value_text(f, lang)
    return (f"{v}（{cover}）" if lang == "zh" else f"{v} ({cover})") if cover else v


def counterpart_sentence(r: pd.Series, facts: pd.DataFrame | None, lang: str) -> str:
    """`` 原文：约6万元（本县），“每人平均可节省约6万元”。`` (with a leading space in English);
    empty when the indicator has no counterpart among ``facts``."""
    f = counterpart(r, facts) if facts is not None else None
    if f is None:
        return ""
    quote, vw, uw = (str(f.get(k) or "") for k in ("quote", "value_as_written", "unit_as_written"))
    with_unit = quote_clause(quote, vw + uw)  # "20%" before "20" (so not "10至20个品种")
    clause = with_unit if vw + uw and (vw + uw) in with_unit else quote_clause(quote, vw)
    return t("counterpart.sentence", lang, value=counterpart_value(r, facts, lang), quote=clause)


def causal_sentence(r: pd.Series, lang: str, *, n_post: int | None = None, level: float = 0.05) -> str:
    """The synthetic-control estimate in one sentence: as an effect with its significance at
    ``level`` when :func:`impact.fmt.synth_assessment` allows it, else as a descriptive gap
    that is not read as an effect (poor pre-period fit or a single post period)."""
    lab = OUTCOME_LABEL.get(r["outcome"], {"zh": r["outcome"], "en": r["outcome"], "unit_zh": "", "unit_en": ""})
    est = float(r["estimate"])
    mark = SIM_MARK[lang] if bool(r.get("simulated", False)) else ""
    gap = fmt.number(abs(est), decimals=0 if abs(est) >= 100 else 1, lang=lang)
    a = synth_assess(r, n_post=n_post, lang=lang)
    if a is not None and not a.narrate_effect:
        return mark + t("summary.causal.descriptive", lang, outcome=lab[lang], gap=gap, unit=lab[f"unit_{lang}"],
                        direction=t("dir.higher" if est >= 0 else "dir.lower", lang)) + \
            ("" if lang == "zh" else " ") + ("" if lang == "zh" else " ").join(a.caveats)
    return mark + t("summary.causal", lang, outcome=lab[lang], gap=gap, unit=lab[f"unit_{lang}"],
                    direction=t("dir.higher" if est >= 0 else "dir.lower", lang), p=fmt.pvalue(r["p_value"])) + \
        ("" if lang == "zh" else " ") + fmt.significance(r["p_value"], level=level, lang=lang)


def synth_assess(r: pd.Series, *, n_post: int | None, lang: str) -> "fmt.SynthAssessment | None":
    """:func:`impact.fmt.synth_assessment` of a ``synth`` row (``None`` without ``n_post``)."""
    if n_post is None:
        return None
    return fmt.synth_assessment(pre_rmspe=float(r["pre_rmspe"]), post_gap=float(r["estimate"]), n_post=int(n_post),
                                n_pre=int(r["n_pre"]), n_donors=int(r["n_donors"]), lang=lang)


def causal_paragraphs(r: pd.Series, lang: str, *, n_post: int | None) -> list[str]:
    """The causal section's sentences (the estimate; the caveats are in :func:`synth_caveats`)."""
    return [causal_sentence(r, lang, n_post=n_post)]


#: The fallback joint test, named in the sentence (Chinese, English).
BONFERRONI_TEST: tuple[str, str] = ("结对前各期估计的联合检验（Bonferroni校正）",
                                    "the joint test of the pre-pairing estimates (Bonferroni-adjusted)")


def pretrend_text(es: pd.DataFrame, lang: str, *, unit: str = "") -> str:
    """The pre-trend sentence from the event study's pre-period estimates and a joint test, via
    :func:`impact.fmt.pretrend_from_table`.

    The test is the Callaway–Sant'Anna Wald pre-test (row ``term == "pretrend"``). When it
    cannot be computed (a singular covariance of the pre-period ATT(g,t), as R's ``did``
    also reports), the joint null that every pre-period estimate is zero is tested with the
    Bonferroni bound ``p = min(1, k · min_i p_i)`` over the ``k`` pre-period estimates'
    p-values (valid whatever their correlation), and the sentence names that test.
    """
    p, test = None, None
    if "term" in es.columns and (es["term"] == "pretrend").any():
        p = float(es.loc[es["term"] == "pretrend", "p_value"].iloc[0])
    rows = es[es["time"].notna()]
    if (p is None or not np.isfinite(p)) and "p_value" in rows.columns:
        pre = pd.to_numeric(rows.loc[rows["time"] < 0, "p_value"], errors="coerce").dropna()
        pre = pre[pd.to_numeric(rows.loc[pre.index, "estimate"]) != 0]  # not the fixed reference period
        if len(pre):
            p, test = min(1.0, len(pre) * float(pre.min())), BONFERRONI_TEST
    tab = rows.rename(columns={"time": "event_time"})[["event_time", "estimate"]]
    return fmt.pretrend_from_table(tab, p, unit=unit, lang=lang, test=test)


def synth_caveats(r: pd.Series, lang: str) -> list[str]:
    """Caveats that apply: fewer than 5 pre-periods, pre-RMSPE above half the outcome's
    pre-period SD, fewer than 20 donors (smallest p-value 1/(donors+1) > 0.05)."""
    out = []
    if int(r["n_pre"]) < 5:
        out.append(t("caveat.few_pre", lang, n=int(r["n_pre"])))
    sd = float(r["outcome_sd"])
    if np.isfinite(sd) and sd > 0 and float(r["pre_rmspe"]) > 0.5 * sd:
        out.append(t("caveat.poor_fit", lang, ratio=f"{float(r['pre_rmspe']) / sd:.2f}"))
    if int(r["n_donors"]) < 20:
        out.append(t("caveat.small_pool", lang, n=int(r["n_donors"]), pmin=f"{1 / (int(r['n_donors']) + 1):.3f}"))
    return out


def facts_frame(f: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Registry facts for display: the value with unit and qualifier, and the verbatim quote;
    the measure as plain words in English (the Chinese quote says what it is)."""
    cover = f.get("label_zh" if lang == "zh" else "label_en")
    d = f.assign(value=[fact_value_text(r, lang) for _, r in f.iterrows()],
                 measure=f["measure"].astype(str).str.replace("_", " "),
                 coverage=cover if cover is not None else "")
    cols = ["value", "coverage", "quote"] if lang == "zh" else ["measure", "value", "coverage", "quote"]
    return display_frame(d, cols, lang)
