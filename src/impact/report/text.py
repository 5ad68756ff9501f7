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

from impact.i18n import MESSAGES, fmt_number, fmt_pvalue, fmt_quantity, join_list, sector_name, t, unit_name
from impact.registry import beneficiary_facts, fund_facts
from impact.report.render import display_frame

__all__ = ["HEADLINE_TERMS", "OUTCOME_LABEL", "causal_sentence", "facts_frame", "indicator_label",
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
    if not wide.empty:
        out.append(t("summary.funds.wide", lang, amount=_sum_text(wide, lang)))
    ben = beneficiary_facts(facts)
    ben = ben[is_local(ben, c.code)] if not ben.empty else ben
    for _, r in ben.iterrows():
        what = (quote_clause(str(r.get("quote") or ""), str(r.get("value_as_written") or "")) if lang == "zh"
                else str(r["measure"]).replace("_", " "))
        out.append(t("summary.beneficiaries", lang, amount=fmt_quantity(r["value"], r["base_unit"], lang,
                                                                         r.get("qualifier") or "exact"),
                     measure=what))
    ind = tables["indicators"] if indicators is None else indicators
    names = dict(zip(progs.get("program_id", []), progs.get("program", [])))
    for _, r in ind.iterrows():
        if (r["term"] not in HEADLINE_TERMS or r["sector"] not in sectors or r.get("note")
                or pd.isna(r["estimate"])):
            continue
        out.append(indicator_sentence(r, lang, names))
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
    return fmt_quantity(total, "yuan", lang, q)


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


def indicator_sentence(r: pd.Series, lang: str, program_names: dict[str, str] | None = None) -> str:
    """``label: estimate unit (95% CI low to high).``; counts without an interval drop the CI."""
    label = indicator_label(r, lang, program_names)
    unit = unit_label(r.get("unit"), lang)
    if pd.isna(r["conf_low"]) or pd.isna(r["conf_high"]):
        return t("summary.indicator.noci", lang, label=label, estimate=fmt_number(r["estimate"], lang),
                 unit=unit if lang == "zh" or unit == "%" else " " + unit)
    if unit == "%":
        return t("summary.indicator.pct", lang, label=label, estimate=fmt_number(r["estimate"], lang),
                 low=fmt_number(r["conf_low"], lang), high=fmt_number(r["conf_high"], lang))
    return t("summary.indicator", lang, label=label, estimate=fmt_number(r["estimate"], lang), unit=unit,
             low=fmt_number(r["conf_low"], lang), high=fmt_number(r["conf_high"], lang))


def causal_sentence(r: pd.Series, lang: str) -> str:
    """The synthetic-control estimate in one sentence, with its placebo p-value."""
    lab = OUTCOME_LABEL.get(r["outcome"], {"zh": r["outcome"], "en": r["outcome"], "unit_zh": "", "unit_en": ""})
    est = float(r["estimate"])
    return t("summary.causal", lang, outcome=lab[lang], gap=fmt_number(abs(est), lang), unit=lab[f"unit_{lang}"],
             direction=t("dir.higher" if est >= 0 else "dir.lower", lang), p=fmt_pvalue(r["p_value"]))


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
    d = f.assign(value=[fmt_quantity(v, u, lang, q if isinstance(q, str) and q else "exact")
                        for v, u, q in zip(f["value"], f["base_unit"], f.get("qualifier", [""] * len(f)))],
                 measure=f["measure"].astype(str).str.replace("_", " "))
    cols = ["value", "quote"] if lang == "zh" else ["measure", "value", "quote"]
    return display_frame(d, cols, lang)
