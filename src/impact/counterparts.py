"""Article counterparts of the evaluation indicators: which registry fact a (simulated or
user) figure is shown beside.

One mapping, :data:`COUNTERPARTS`, read by the reports (the figure and the article's
figure side by side, :func:`counterpart`) and by the article-agreement tests (the
simulated data are held against the same facts). A counterpart is shown only where the
fact concerns the county (:func:`impact.registry.county_facts`), with its coverage label
(``本县``, ``全项目合计（涉及3县）``), so a project-wide figure never reads as the county's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import pandas as pd

__all__ = ["COUNTERPARTS", "Counterpart", "counterpart", "counterpart_facts"]


@dataclass(frozen=True)
class Counterpart:
    """An indicator ``term`` of ``sector`` (of ``program_id`` when the indicator is per program)
    and the registry fact ``measure`` it is comparable with; ``what`` says what both measure."""

    term: str
    sector: str
    measure: str
    program_id: str | None = None
    what: str = ""


#: Indicator terms with a comparable article fact (registry ``facts.measure``).
COUNTERPARTS: tuple[Counterpart, ...] = (
    Counterpart("local_cost", "health", "pancreatic_tumour_surgery_cost_local",
                what="cost of a surgery in the county hospital, yuan per patient"),
    Counterpart("saving_per_patient", "health", "saving_per_patient_vs_provincial_hospital",
                what="saving against a provincial hospital, yuan per patient"),
    Counterpart("yield_gain_pct", "agriculture", "yield_per_mu_increase",
                what="yield gain per mu of the demonstrated varieties, percent"),
    Counterpart("unique_persons", "child_protection", "children_in_difficulty_monthly_home_visits",
                program_id="ayou_ansheng", what="children in difficulty served (monthly home visits), persons"),
    Counterpart("unique_persons", "elderly_care", "elderly_receiving_medical_subsidy",
                program_id="amity_medical", what="elderly people receiving a medical subsidy, persons"),
)


def _text(v: Any) -> str:
    return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


def counterpart(row: Mapping[str, Any], facts: pd.DataFrame) -> pd.Series | None:
    """The article fact set beside indicator ``row`` (``term``, ``sector``, ``program_id``), from
    ``facts`` (a county's labelled facts, :func:`impact.registry.county_facts`); ``None`` when the
    indicator has no counterpart or the fact does not concern the county."""
    if facts is None or facts.empty or "measure" not in facts.columns:
        return None
    for cp in COUNTERPARTS:
        if cp.term != _text(row.get("term")) or cp.sector != _text(row.get("sector")):
            continue
        if cp.program_id is not None and cp.program_id != _text(row.get("program_id")):
            continue
        hit = facts[facts["measure"].astype(str) == cp.measure]
        if not hit.empty:
            return hit.iloc[0]
    return None


def counterpart_facts(facts: pd.DataFrame) -> pd.DataFrame:
    """:data:`COUNTERPARTS` joined with the registry ``facts`` (all of them, or one county's):
    ``term, sector, program_id, measure, what`` and the fact's ``fact_id, value, base_unit,
    qualifier, quote``. A measure missing from ``facts`` leaves its fact columns empty."""
    cp = pd.DataFrame([vars(c) for c in COUNTERPARTS])
    keep = [c for c in ("fact_id", "measure", "value", "base_unit", "qualifier", "quote") if c in facts.columns]
    return cp.merge(facts[keep].drop_duplicates("measure"), on="measure", how="left")
