"""Scoring rules: attainment, points, group subtotals, total and grade.

Rules (one per ``scoring`` value of the indicator system)

``ratio``
    attainment ``a = actual / target`` (``direction = higher``) or ``target / actual``
    (``lower``: cost-type indicators); ``score = weight * min(a, 1)``: full marks at or above
    the target, never more (the usual 完成值/目标值×分值, capped at the weight).
``threshold``
    ``thresholds = "b1:f1;b2:f2;..."``; the score is ``weight * f`` for the first bound ``b``
    met by the actual value (``actual >= b`` for ``higher``, ``actual <= b`` for ``lower``,
    bounds tried from the most demanding); no bound met scores 0. Attainment is reported as
    ``actual / target`` when a target is given.
``grade``
    the evaluator's qualitative grade (优/良/中/差) mapped to a fraction of the weight by the
    row's ``thresholds`` (default 优 1, 良 0.8, 中 0.6, 差 0).

A missing actual value, target or grade leaves the indicator **unscored** with the reason;
it is never scored 0 or full marks. The grade of the total follows 优 ≥ 90, 良 80–89,
中 60–79, 差 < 60 (:func:`grade_of`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from impact.evaluation.system import LEVEL1, parse_thresholds

#: Grade bands of the total score: (lower bound, grade), best first.
GRADE_BANDS: tuple[tuple[float, str], ...] = ((90.0, "优"), (80.0, "良"), (60.0, "中"), (0.0, "差"))
GRADE_EN: dict[str, str] = {"优": "excellent", "良": "good", "中": "fair", "差": "poor"}


@dataclass(frozen=True)
class Score:
    """The outcome of one rule: ``score`` and ``attainment`` NaN when unscored, with the reason."""

    score: float
    attainment: float
    reason: str = ""

    @property
    def scored(self) -> bool:
        return not math.isnan(self.score)


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA


def attainment(actual: float, target: float, direction: str = "higher") -> float:
    """``actual / target`` (higher is better) or ``target / actual`` (lower is better); NaN if undefined."""
    if _missing(actual) or _missing(target):
        return math.nan
    actual, target = float(actual), float(target)
    if direction == "lower":
        if actual <= 0:
            return math.inf if target > 0 else math.nan
        return target / actual
    if target == 0:
        return math.inf if actual > 0 else math.nan
    return actual / target


def score_ratio(actual: float, target: float, weight: float, direction: str = "higher") -> Score:
    """Points of a ratio rule: ``weight * min(attainment, 1)`` (never negative)."""
    if _missing(actual):
        return Score(math.nan, math.nan, "no actual value")
    if _missing(target):
        return Score(math.nan, math.nan, "no target (evaluator input)")
    a = attainment(actual, target, direction)
    if math.isnan(a):
        return Score(math.nan, math.nan, f"attainment undefined for actual {actual} and target {target}")
    return Score(weight * min(max(a, 0.0), 1.0), a)


def score_threshold(actual: float, thresholds: str, weight: float, direction: str = "higher",
                    target: float = math.nan) -> Score:
    """Points of a threshold rule: ``weight * f`` for the first bound met (see module docstring)."""
    if _missing(actual):
        return Score(math.nan, math.nan, "no actual value")
    pairs = sorted(((float(b), f) for b, f in parse_thresholds(thresholds)), reverse=direction == "higher")
    a = attainment(actual, target, direction)
    for bound, frac in pairs:
        if (actual >= bound) if direction == "higher" else (actual <= bound):
            return Score(weight * frac, a)
    return Score(0.0, a)


def score_grade(grade: Any, thresholds: str, weight: float) -> Score:
    """Points of an evaluator's grade (优/良/中/差) by the row's grade fractions."""
    if _missing(grade) or str(grade).strip() == "":
        return Score(math.nan, math.nan, "no grade entered by the evaluator")
    fracs = dict(parse_thresholds(thresholds))
    g = str(grade).strip()
    if g not in fracs:
        return Score(math.nan, math.nan, f"grade {g!r} is not one of {'/'.join(fracs)}")
    return Score(weight * fracs[g], fracs[g])


def grade_of(total: float) -> str:
    """The grade of a total out of 100: 优 (≥ 90), 良 (80–89), 中 (60–79), 差 (< 60)."""
    if _missing(total):
        raise ValueError("no total to grade")
    for bound, grade in GRADE_BANDS:
        if total >= bound:
            return grade
    return "差"


def score_row(row: Mapping[str, Any]) -> Score:
    """Apply the row's rule to its ``actual`` (or ``grade``), ``target`` and ``weight``."""
    rule, w = row["scoring"], float(row["weight"])
    if rule == "ratio":
        return score_ratio(row["actual"], row["target"], w, row["direction"] or "higher")
    if rule == "threshold":
        return score_threshold(row["actual"], row["thresholds"], w, row["direction"] or "higher", row["target"])
    return score_grade(row.get("grade"), row["thresholds"], w)


def group_sums(table: pd.DataFrame, key: str) -> dict[Any, tuple[float, float, float, int]]:
    """Per value of ``key`` (first appearance order; a missing key forms no group):
    ``(weight, score, scored_weight, n_unscored)``.

    ``score`` sums the points of scored indicators, ``scored_weight`` their weights. The sums
    are pandas' grouped sums (compensated, NaN skipped) over integer group codes: the same
    numbers as grouping by the string column, without its cost.
    """
    keys = table[key].tolist()
    scored = table["scored"].to_numpy(dtype=bool)
    codes: dict[Any, int] = {}
    rows = [i for i, k in enumerate(keys) if k == k]  # k != k: NaN
    for i in rows:
        codes.setdefault(keys[i], len(codes))
    if not rows:
        return {}
    weight = table["weight"].to_numpy(dtype=float)[rows]
    score = table["score"].to_numpy(dtype=float)[rows]
    ok = scored[rows]
    sums = pd.DataFrame({"w": weight, "s": np.where(ok, score, 0.0), "sw": np.where(ok, weight, 0.0)}).groupby(
        np.array([codes[keys[i]] for i in rows]), sort=True).sum().to_numpy()
    unscored = [0] * len(codes)
    for i, o in zip(rows, ok):
        unscored[codes[keys[i]]] += int(not o)
    return {k: (float(sums[c, 0]), float(sums[c, 1]), float(sums[c, 2]), unscored[c]) for k, c in codes.items()}


def subtotals(table: pd.DataFrame) -> pd.DataFrame:
    """Per first-level group: ``level1, weight, score, scored_weight, n_unscored`` (report order).

    ``score`` sums the points of scored indicators; ``scored_weight`` their weights.
    """
    g = group_sums(table, "level1")
    order = [x for x in LEVEL1 if x in g]
    return pd.DataFrame({"level1": pd.array(order, dtype=table["level1"].dtype),
                         "weight": np.array([g[x][0] for x in order], dtype=float),
                         "score": np.array([g[x][1] for x in order], dtype=float),
                         "scored_weight": np.array([g[x][2] for x in order], dtype=float),
                         "n_unscored": np.array([g[x][3] for x in order], dtype=np.int64)})


@dataclass(frozen=True)
class Total:
    """The total: points of scored indicators, their weight, and the grade when all are scored."""

    score: float
    scored_weight: float
    weight: float
    n_unscored: int

    @property
    def complete(self) -> bool:
        return self.n_unscored == 0

    @property
    def grade(self) -> str | None:
        """优/良/中/差 of the total; ``None`` while any indicator is unscored."""
        return grade_of(self.score) if self.complete else None

    @property
    def provisional(self) -> float:
        """Score rescaled to 100 over the scored weight (NaN if nothing is scored); a preview only."""
        return self.score / self.scored_weight * 100 if self.scored_weight > 0 else math.nan


def total(table: pd.DataFrame) -> Total:
    """Sum a scoring table (see :func:`subtotals`)."""
    s = table["scored"].astype(bool)
    return Total(score=float(table.loc[s, "score"].sum()), scored_weight=float(table.loc[s, "weight"].sum()),
                 weight=float(table["weight"].sum()), n_unscored=int((~s).sum()))
