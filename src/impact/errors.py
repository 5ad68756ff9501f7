"""Named exceptions and warnings.

Every error the library raises for bad input or a bad design subclasses
:class:`ImpactError`; its message says what was found, where, and what was
expected. The CLI prints ``str(err)`` on one line (or one line per problem) and
exits non-zero, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence


class ImpactError(Exception):
    """Base class of all domain errors raised by :mod:`impact`."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input table.

    ``row`` is the 1-based data row as a user sees it in a spreadsheet (header is
    row 1, so the first data row is 2) or ``None`` for table-level problems; ``sheet``
    names the worksheet of a workbook when it matters.
    """

    file: str
    row: int | None
    column: str | None
    value: Any
    expected: str
    sheet: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.sheet is not None:
            where.append(f"sheet '{self.sheet}'")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        shown = "" if self.value is None else f": found {self.value!r}"
        return f"{', '.join(where)}{shown}; expected {self.expected}"


class InputError(ImpactError):
    """Bad input with a location: one or more :class:`Problem`."""

    def __init__(self, problems: Problem | Sequence[Problem], title: str | None = None):
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        self.title = title
        lines = [str(p) for p in self.ordered]
        head = f"{title} ({len(lines)} problem{'s' if len(lines) != 1 else ''})" if title else None
        super().__init__("\n".join(([head] if head else []) + lines))

    @property
    def ordered(self) -> list[Problem]:
        """The problems in the order a reader goes through the file (:func:`_reading_order`)."""
        return _reading_order(self.problems)


def _reading_order(problems: Sequence[Problem]) -> list[Problem]:
    """Problems as a reader goes through the file: by file (in order of first mention), then
    table-level problems, then by row; a line without row or column (e.g. "N more problems
    not shown") last. Stable, so problems of one row keep the order they were found in."""
    first = {f: i for i, f in reversed(list(enumerate(p.file for p in problems)))}

    def key(p: Problem) -> tuple[int, int, int]:
        bucket = 2 if p.row is None and p.column is None else (0 if p.row is None else 1)
        return (first[p.file], bucket, p.row or 0)

    return sorted(problems, key=key)


class UnknownCountyError(ImpactError):
    """A county name or code that matches no county of Yunnan."""

    def __init__(self, value: object, suggestions: Sequence[str] = ()):
        self.value = value
        self.suggestions = list(suggestions)
        hint = f"; closest valid names: {', '.join(self.suggestions)}" if self.suggestions else ""
        super().__init__(
            f"unknown county {value!r}: not a Yunnan county-level division{hint} "
            "(all 129 names and codes: data/raw/geo/counties.csv)"
        )


class AmbiguousCountyError(ImpactError):
    """A county name that matches more than one county."""

    def __init__(self, value: object, candidates: Sequence[str]):
        self.value = value
        self.candidates = list(candidates)
        super().__init__(
            f"ambiguous county {value!r}: matches {', '.join(self.candidates)}; "
            "give the administrative code or the name with its prefecture"
        )


class DesignError(ImpactError):
    """An estimation design that cannot identify the effect (no variation, ...)."""


class ReportError(ImpactError):
    """A report could not be produced."""


class OptionError(ImpactError, ValueError):
    """An option outside its valid values (the message lists them); also a ``ValueError``."""


class ImpactWarning(UserWarning):
    """Base class of warnings users can filter."""


class DesignWarning(ImpactWarning):
    """The design is usable but weak (few pre-periods, poor pre-fit, ...)."""


class MissingDataWarning(ImpactWarning):
    """Rows or groups were dropped or returned NA because data were missing."""


class SimulatedDataWarning(ImpactWarning):
    """Results rest on simulated data."""
