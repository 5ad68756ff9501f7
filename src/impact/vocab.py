"""The project's vocabularies, defined once: languages, sectors, organization levels and
kinds, base units and qualifiers, report formats.

Each vocabulary is a ``Literal`` type (for signatures and type checkers) and the tuple
of its values read from that type with :func:`values` (for validation), so the two
cannot disagree. :mod:`impact.schemas`, :mod:`impact.i18n`, :mod:`impact.units`, the
reports and option checks (:func:`impact.results.check_option`) read them from here;
the display names of each value live in :mod:`impact.i18n`.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

__all__ = [
    "BASE_UNITS", "BaseUnit", "FORMATS", "Format", "INDICATOR_SECTORS", "LANGS", "LEVELS", "Lang", "Level",
    "ORG_KINDS", "OrgKind", "QUALIFIERS", "Qualifier", "SECTORS", "Sector", "values",
]


def values(literal: Any) -> tuple[Any, ...]:
    """The values of a ``Literal[...]`` type, in order: ``values(Lang) == ("zh", "en")``."""
    return tuple(get_args(literal))


#: Report and display languages.
Lang = Literal["zh", "en"]
LANGS: tuple[str, ...] = values(Lang)

#: Sectors of programs (``programs.sector``).
Sector = Literal[
    "agriculture", "health", "education", "child_protection", "elderly_care", "disability",
    "culture", "tourism", "ecommerce", "employment", "governance", "other",
]
SECTORS: tuple[str, ...] = values(Sector)
#: Sectors with an indicator section of their own in the county report, in report order.
INDICATOR_SECTORS: tuple[str, ...] = ("agriculture", "health", "child_protection", "elderly_care")

#: Where an organization comes from (``organizations.level``).
Level = Literal["national", "out_of_province", "provincial", "prefecture", "county"]
LEVELS: tuple[str, ...] = values(Level)

#: What an organization is (``organizations.kind``).
OrgKind = Literal[
    "foundation", "trade_association", "chamber_of_commerce", "social_work_agency",
    "professional_association", "ngo", "enterprise", "other",
]
ORG_KINDS: tuple[str, ...] = values(OrgKind)

#: Base units of registry facts (``facts.base_unit``).
BaseUnit = Literal[
    "yuan", "mu", "kg", "person", "person_time", "school", "unit", "percent", "organization", "county", "project",
    "year",
]
BASE_UNITS: tuple[str, ...] = values(BaseUnit)

#: How exact a stated figure is (``facts.qualifier``): 超过, 约, 近, 最多, 至少.
Qualifier = Literal["exact", "more_than", "about", "nearly", "up_to", "at_least"]
QUALIFIERS: tuple[str, ...] = values(Qualifier)

#: Report output formats besides the notebook and workbook.
Format = Literal["html", "pdf", "docx"]
FORMATS: tuple[str, ...] = values(Format)
