"""What a report could not do, and what the estimators warned about: its notes section.

Estimators and indicators raise typed warnings (:class:`impact.errors.DesignWarning`:
few clusters, poor pre-period fit, donors dropped, ...) and typed errors
(:class:`impact.errors.DesignError`: too few pre-periods, no comparison units, ...).
A report neither silences nor hides them: :func:`call` runs one computation,
records each :class:`impact.errors.ImpactWarning` it raised, and records an
:class:`impact.errors.ImpactError` as a skipped part with its reason. Every other
exception propagates, so the report fails (a bug is never a footnote).

The notes are a tidy table (:data:`NOTE_COLUMNS`): ``part`` (what was computed, e.g.
``synth`` or ``income_increase``), ``county_code`` (empty for province-wide parts),
``kind`` (``warning``, ``skipped`` or ``note``: a fallback the report made, e.g. the total
income where income by source is empty), ``category`` (the warning or error class),
``message`` (English) and ``message_zh`` (the Chinese text when the code that recorded the
note computed one, e.g. why a county has no synthetic control; else empty).
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

import pandas as pd

from impact.errors import ImpactError, ImpactWarning

__all__ = ["NOTE_COLUMNS", "Notes", "call"]

NOTE_COLUMNS: tuple[str, ...] = ("part", "county_code", "kind", "category", "message", "message_zh")


class Notes:
    """Rows of the notes table, collected while the report's tables are computed."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, part: str, kind: str, message: str, *, category: str = "", county_code: str | None = None,
            message_zh: str = "") -> None:
        """Record one note (``kind``: ``warning``, ``skipped`` or ``note``; ``message`` in English,
        ``message_zh`` its Chinese text when there is one)."""
        self.rows.append({"part": part, "county_code": county_code, "kind": kind, "category": category,
                          "message": " ".join(str(message).split()), "message_zh": str(message_zh).strip()})

    def skipped(self, part: str, reason: str, *, county_code: str | None = None, reason_zh: str = "") -> None:
        """Record a part left out, with the reason (no data, estimator refused the design)."""
        self.add(part, "skipped", reason, county_code=county_code, message_zh=reason_zh)

    def frame(self) -> pd.DataFrame:
        """The notes as a table (:data:`NOTE_COLUMNS`), duplicates removed, in recording order."""
        df = pd.DataFrame(self.rows, columns=list(NOTE_COLUMNS))
        df = df.drop_duplicates(ignore_index=True)
        return df.astype({"part": "string", "county_code": "string", "kind": "string", "category": "string",
                          "message": "string", "message_zh": "string"})


def call(notes: Notes, part: str, fn: Callable[..., Any], *args: Any, county_code: str | None = None,
         **kwargs: Any) -> Any | None:
    """``fn(*args, **kwargs)``, recording its :class:`~impact.errors.ImpactWarning` s in ``notes``.

    An :class:`~impact.errors.ImpactError` (the design or the data do not allow the
    computation) is recorded as ``skipped`` with its message and ``None`` is returned.
    Other warnings are re-issued unchanged; other exceptions propagate.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn(*args, **kwargs)
        except ImpactError as err:
            notes.add(part, "skipped", str(err), category=type(err).__name__, county_code=county_code)
            result = None
    for w in caught:
        if issubclass(w.category, ImpactWarning):
            notes.add(part, "warning", str(w.message), category=w.category.__name__, county_code=county_code)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return result
