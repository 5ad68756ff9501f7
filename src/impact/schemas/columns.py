"""The vocabulary of a table specification: ``Column``, ``RowRule``, ``TableSpec``, the closed value sets
(scopes, arms, periods, ...) and the year range every table shares.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from impact.errors import ImpactWarning, Problem
from impact.vocab import BASE_UNITS

ColumnType = Literal["string", "integer", "number", "flag", "year", "month", "period", "county_code"]


YEAR_MIN, YEAR_MAX = 2000, 2035


class ExtraColumnWarning(ImpactWarning):
    """A table has a column its schema does not document (kept as is)."""


# LEVELS, ORG_KINDS, SECTORS, BASE_UNITS and QUALIFIERS come from impact.vocab (imported above).
SCOPES = ("province", "prefecture", "county", "program")


COUNTY_KINDS = ("县", "自治县", "市", "区")


ARMS = ("treated", "check")


SETTINGS = ("local", "provincial")


PERIODS = ("before", "after")


FUNDERS = ("public", "external")


SEXES = ("female", "male")


#: Units as written in the article, used when :mod:`impact.units` is not importable.
def known_units() -> tuple[str, ...]:
    """Units a ``unit_as_written`` cell may hold: every unit of :data:`impact.units.UNITS`
    alone or after a multiplier of :data:`impact.units.MULTIPLIERS` (元, 万元, 亿元, 亩, ...)."""
    from impact.units import MULTIPLIERS, UNITS  # noqa: PLC0415

    out = list(UNITS)
    out += [m + u for m in MULTIPLIERS for u in UNITS]
    return tuple(dict.fromkeys(out))


def base_units() -> tuple[str, ...]:
    """Base units of ``facts.value`` (:data:`impact.vocab.BASE_UNITS`)."""
    return BASE_UNITS


@dataclass(frozen=True)
class Column:
    """One documented column.

    ``ge``/``le`` bound numbers (inclusive); ``allowed`` lists valid values
    (a callable is evaluated lazily, e.g. the unit list); ``references`` names
    ``(kind, column)`` whose values this column must take when that table is
    given to :func:`validate` via ``refs``.
    """

    name: str
    type: ColumnType
    meaning: str
    zh: str
    unit: str = ""
    required: bool = True  # the cell may not be empty
    allowed: Sequence[Any] | Callable[[], Sequence[Any]] | None = None
    ge: float | None = None
    le: float | None = None
    gt: float | None = None
    references: tuple[str, str] | None = None
    allowed_text: str | None = None  # short description of ``allowed`` for docs and messages

    def allowed_text_or_list(self) -> str | None:
        if self.allowed_text:
            return self.allowed_text
        vals = self.allowed_values()
        return None if vals is None else "one of " + ", ".join(str(v) for v in vals)

    def allowed_values(self) -> tuple[Any, ...] | None:
        if self.allowed is None:
            return None
        vals = self.allowed() if callable(self.allowed) else self.allowed
        return tuple(vals)

    def rule_text(self) -> str:
        """Human-readable allowed values or range (for docs and messages)."""
        parts: list[str] = []
        allowed = self.allowed_text_or_list()
        if allowed is not None:
            parts.append(allowed)
        if self.type == "year":
            parts.append(f"{YEAR_MIN}–{YEAR_MAX}")
        if self.type == "month":
            parts.append(f"YYYY-MM, {YEAR_MIN}–{YEAR_MAX}")
        if self.type == "period":
            parts.append(f"YYYY, YYYY-MM or YYYY-MM-DD, {YEAR_MIN}–{YEAR_MAX}")
        if self.type == "flag":
            parts.append("0 or 1")
        if self.type == "county_code":
            parts.append("6-digit code of a Yunnan county")
        if self.gt is not None:
            parts.append(f"> {_num(self.gt)}")
        if self.ge is not None and self.le is not None:
            parts.append(f"{_num(self.ge)}–{_num(self.le)}")
        elif self.ge is not None:
            parts.append(f">= {_num(self.ge)}")
        elif self.le is not None:
            parts.append(f"<= {_num(self.le)}")
        if self.references:
            parts.append(f"a value listed in {self.references[0]}.{self.references[1]}")
        return "; ".join(parts)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


#: A table-level rule: (columns it reports on, expected text, function returning a
#: boolean Series marking the *bad* rows).
@dataclass(frozen=True)
class RowRule:
    column: str
    expected: str
    bad: Callable[[pd.DataFrame], pd.Series]


@dataclass(frozen=True)
class TableSpec:
    kind: str
    title: str
    zh: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    files: tuple[str, ...] = ()
    rules: tuple[RowRule, ...] = ()
    group_rules: tuple[Callable[[pd.DataFrame, str], list[Problem]], ...] = field(default=())
    template: bool = True

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _C(name: str, type: ColumnType, meaning: str, zh: str, unit: str = "", **kw: Any) -> Column:
    return Column(name, type, meaning, zh, unit, **kw)


QUOTE = _C("quote", "string", "verbatim source sentence(s) from the article, joined across its line breaks",
           "原文引文")


def _na(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
