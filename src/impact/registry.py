"""The program registry: sourced tables transcribed from the article.

Five CSV tables (UTF-8) live in ``data/raw/registry/`` (see ``docs/architecture.md``):

================= =============================================================
table             one row per
================= =============================================================
``organizations`` organization the article names (``org_id``)
``pairings``      organization–county pairing the article states (``pairing_id``)
``programs``      program or activity of an organization (``program_id``)
``program_sites`` place where a program runs: county, town, village
``facts``         figure the article states (``fact_id``), value in base units
================= =============================================================

Every row carries ``quote``: verbatim article text, joined across the article's
line breaks (the article with its newline characters removed contains the quote).
An empty cell means the article does not say. Dates are ISO strings. In the
transcribed tables a period the article gives as a month or a year is stored as
its first and last day (``2024年3月`` -> ``2024-03-01`` .. ``2024-03-31``;
``2022年至2024年`` -> ``2022-01-01`` .. ``2024-12-31``), an open-ended one
(``2024年以来``, ``2023年10月 ... 一年多来``) with an empty end; rows a user adds may
also give ``YYYY`` or ``YYYY-MM`` (the precision of their source).

Transcription notes (what the article does and does not say):

- ``level`` follows what the article states (爱佑: "民政部主管的全国性社会组织") or
  the registered name's prefix (云南省… provincial, 上海市… out of province, 中国…
  national, a county's name … county); empty otherwise (阿里巴巴, 爱德, 腾讯).
- Pairings are the article's explicit 结对帮扶 / 对口帮扶 / 定点帮扶 statements
  between a named organization and a named county. 云南省医院协会 is paired with "15
  个县市" of which the article names 8: the 8 are rows, the 15 is a fact. No named
  pairing is tied to a dated signing event, so ``year``, ``date``, ``event`` are
  empty; the 昭通 (2024-03) and 大理 (2024-05) signings are prefecture facts.
- The article counts 27 national key counties but does not list them: only the
  count is recorded.
- 德化镇荒田村 (a 茶叶流通协会 contact point) follows 勐海县 in the article's list,
  but 德化镇 is not a town of 勐海县; its county is left empty.
- The 阿里巴巴/澜沧 paragraph breaks across columns ("…电商渠" / "道、订单农业…"):
  quotes are contiguous text, so figures after the break quote the continuation.
- A range ("10至20个品种") is two facts: ``at_least`` 10 and ``up_to`` 20.
- 云南红河磷电有限责任公司 is an enterprise (``kind = enterprise``), the 执行会长企业 of
  云南省温州商会 (its quote runs from the chamber's paragraph); its 300万元 to
  屏边 is an enterprise's donation, so social-organisation totals leave it out
  (:func:`funds_total` with ``include="social_organizations"``).
- 4镇（乡） is stored with the unit ``镇(乡)`` (NFKC form; shown as 镇（乡）); 每个月至少一次 as
  ``一`` + ``次/月``.

Views for reports (pure functions of the tables): :func:`fact_coverage` labels each
fact as a county's own or shared (a whole project over N counties, an organisation,
a prefecture, the province); :func:`county_facts` splits a county's facts into its
own and shared ones; :func:`county_organizations` counts the organisations named as
working in each county (``<NA>`` when the article names none, which is not 0);
:func:`province_facts` lists the province and prefecture figures with quotes.

:func:`read` returns a table with typed columns (codes and text as ``string``,
``year`` as ``Int64``, ``value`` as ``float64`` in base units; dates stay ISO
strings). :func:`check` verifies the tables against the article and the county
list and raises :class:`~impact.errors.InputError` listing every problem with its
file, row, column and value.

Jobs by module: :mod:`impact.registry_tables` (columns, ``read``, checks against the article),
:mod:`impact.registry_views` (funds, coverage, county and province views for reports).
"""

from __future__ import annotations

from impact.registry_tables import (  # noqa: F401 - FOREIGN_KEYS re-exported
    COLUMNS,
    FOREIGN_KEYS,
    KEYS,
    check,
    fill_county_codes,
    joined_article,
    problems,
    read,
    tables,
)
from impact.registry_views import (  # noqa: F401 - funds_by_county, programs_by_county re-exported
    BENEFICIARY_PATTERN,
    COVERAGES,
    FUND_PATTERN,
    ORG_INCLUDE,
    SOCIAL_ORGANIZATION_KINDS,
    Coverage,
    FundsTotal,
    OrgInclude,
    beneficiary_facts,
    county_facts,
    county_organizations,
    coverage_label,
    fact_coverage,
    fact_org_kind,
    fund_facts,
    funds_by_county,
    funds_total,
    organization_count_text,
    programs_by_county,
    province_facts,
)

__all__ = [
    "FUND_PATTERN",
    "BENEFICIARY_PATTERN",
    "COVERAGES",
    "Coverage",
    "ORG_INCLUDE",
    "SOCIAL_ORGANIZATION_KINDS",
    "FundsTotal",
    "OrgInclude",
    "coverage_label",
    "county_facts",
    "county_organizations",
    "fact_coverage",
    "fact_org_kind",
    "fund_facts",
    "funds_total",
    "beneficiary_facts",
    "organization_count_text",
    "province_facts",
    "COLUMNS",
    "KEYS",
    "check",
    "fill_county_codes",
    "joined_article",
    "problems",
    "read",
    "tables",
]
