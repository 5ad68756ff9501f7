"""Titles of the county report's sector sections, from the county's own programs and data.

A sector section is titled by the program domains present in the county (vegetables,
improved seeds, tea, hospital pairing: found in each program's name and its organisation's
name, registry or user-declared) and by the indicators its data support (household
income, yield gain, cost per patient, reach and cost). 永善 (vegetable association only)
gets "农业：蔬菜产业与农户增收", never a 良种 title; a sector with no recognised domain and
no indicator keeps the sector's plain title.
"""

from __future__ import annotations

import pandas as pd

from impact.i18n import t

__all__ = ["DOMAINS", "DOMAIN_OUTCOMES", "MEASURES", "outcome_mismatch", "program_domains", "sector_title"]

#: Program domains: key, sector and the words that name it in a program's or organisation's name.
DOMAINS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("vegetables", "agriculture", ("蔬菜",)),
    ("seeds", "agriculture", ("种子", "良种", "好种")),
    ("tea", "agriculture", ("茶",)),
    ("hospital", "health", ("医院", "医疗", "手术")),
    ("birth_defects", "health", ("出生缺陷",)),
)

#: County-panel outcomes each domain's programs aim at (a domain absent here aims at none of them).
DOMAIN_OUTCOMES: dict[str, tuple[str, ...]] = {
    "seeds": ("grain_yield",),
    "hospital": ("referral_out_share",),
}

#: What an indicator function measures, for the title (``section.measure.<key>`` messages).
MEASURES: tuple[str, ...] = ("yield_gain", "income_increase", "cost_savings", "reach", "cost_effectiveness")


def program_domains(programs: pd.DataFrame, sector: str) -> list[str]:
    """Domains of the programs of ``sector`` in ``programs`` (columns ``sector``, ``program``
    and, when present, ``organization``), in :data:`DOMAINS` order."""
    if programs is None or programs.empty or "sector" not in programs.columns:
        return []
    sp = programs[programs["sector"].astype("string") == sector]
    names = [" ".join(str(v) for v in (r.get("program"), r.get("organization")) if isinstance(v, str))
             for _, r in sp.iterrows()]
    return [key for key, sec, words in DOMAINS
            if sec == sector and any(w in n for n in names for w in words)]


def sector_title(sector: str, programs: pd.DataFrame, indicators: pd.DataFrame, lang: str) -> str:
    """``农业：蔬菜产业与农户增收`` / ``Agriculture: vegetable industry; household income``: the
    sector, its program domains and what its indicators measure; the plain sector title
    (``section.sector.<sector>``) when neither is known."""
    domains = [t(f"section.domain.{d}", lang) for d in program_domains(programs, sector)]
    ind = indicators[(indicators["sector"] == sector) & indicators["estimate"].notna()] \
        if indicators is not None and not indicators.empty else pd.DataFrame(columns=["indicator"])
    present = set(ind["indicator"].astype(str))
    measures = list(dict.fromkeys(t(f"section.measure.{m}", lang) for m in MEASURES if m in present))
    if not domains and not measures:
        return t(f"section.sector.{sector}", lang)
    zh = lang == "zh"
    what = ("、" if zh else ", ").join(domains)
    if measures:
        what = (what + ("与" if zh else "; ") if what else "") + ("、" if zh else ", ").join(measures)
    return t("section.domain_title", lang, sector=t(f"section.head.{sector}", lang), what=what)


def outcome_mismatch(programs: pd.DataFrame, sector: str, outcome: str) -> list[str]:
    """The county's program domains of ``sector`` when none of them aims at ``outcome``
    (:data:`DOMAIN_OUTCOMES`), else ``[]``: e.g. ``["vegetables"]`` for a vegetable county whose
    agriculture estimate measures grain yield. Empty also when no domain is recognised."""
    domains = program_domains(programs, sector)
    if not domains or any(outcome in DOMAIN_OUTCOMES.get(d, ()) for d in domains):
        return []
    return domains
