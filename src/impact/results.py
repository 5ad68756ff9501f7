"""The one result type shared by indicators and estimators.

A :class:`Result` holds a tidy table, the method's name and its assumptions.
The tidy table is the single source of truth: :meth:`Result.coef`,
:meth:`Result.se`, :meth:`Result.pvalue` and :meth:`Result.conf_int` derive from it.
:meth:`Result.summary` returns a :class:`Summary` that renders as text, HTML and
LaTeX; nothing prints and nothing carries a timestamp, so reruns are identical.

Tidy columns (snake_case, in this order; extra columns follow):
``term, estimate, std_error, statistic, p_value, conf_low, conf_high, n, unit,
method``. Missing quantities are NaN, never 0.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from impact.errors import OptionError
from impact.vocab import LANGS, Lang, values

TIDY_COLUMNS: tuple[str, ...] = (
    "term",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "conf_low",
    "conf_high",
    "n",
    "unit",
    "method",
)

def check_option(name: str, value: Any, valid: Sequence[Any] | Any) -> Any:
    """Return ``value`` if it is one of ``valid``; otherwise raise :class:`~impact.errors.OptionError`.

    ``valid`` is a sequence of values or a ``Literal[...]`` type (its values are read with
    :func:`impact.vocab.values`, so an option's type and its check cannot disagree). The
    message names the option, the value and every valid value.
    """
    allowed = values(valid) or tuple(valid)
    if value not in allowed:
        listed = ", ".join(repr(v) for v in allowed)
        raise OptionError(f"{name}={value!r} is not valid; expected one of {listed}")
    return value


def tidy_frame(rows: pd.DataFrame | Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Normalize rows to the tidy layout: the standard columns first, in order, NaN where absent."""
    df = pd.DataFrame(rows).copy()
    for col in TIDY_COLUMNS:
        if col not in df.columns:
            df[col] = np.nan if col not in ("term", "unit", "method") else None
    extra = [c for c in df.columns if c not in TIDY_COLUMNS]
    df = df[list(TIDY_COLUMNS) + extra]
    for col in ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    df["n"] = pd.to_numeric(df["n"], errors="coerce").astype("Int64")
    return df.reset_index(drop=True)


def normal_ci(estimate: Any, std_error: Any, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided normal interval ``estimate ± z_{1-(1-level)/2} · std_error``."""
    from scipy.special import ndtri  # the normal quantile scipy.stats.norm.ppf evaluates, without scipy.stats

    z = ndtri(0.5 + level / 2)
    est = np.asarray(estimate, dtype=float)
    se = np.asarray(std_error, dtype=float)
    return est - z * se, est + z * se


@dataclass(frozen=True)
class Summary:
    """A rendered-on-demand summary: title, key facts, the tidy table and notes."""

    title: str
    facts: tuple[tuple[str, str], ...]
    table: pd.DataFrame
    notes: tuple[str, ...] = ()
    float_format: str = "{:,.4g}"

    def _fmt_table(self) -> pd.DataFrame:
        t = self.table.copy()
        for col in t.columns:
            if pd.api.types.is_float_dtype(t[col]):
                t[col] = t[col].map(lambda v: "" if pd.isna(v) else self.float_format.format(v))
        return t

    def as_text(self) -> str:
        lines = [self.title, "=" * max(len(self.title), 20)]
        width = max((len(k) for k, _ in self.facts), default=0)
        lines += [f"{k:<{width}}  {v}" for k, v in self.facts]
        lines += ["", self._fmt_table().to_string(index=False)]
        if self.notes:
            lines += [""] + [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)

    def as_html(self) -> str:
        facts = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in self.facts
        )
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        table = self._fmt_table().to_html(index=False, escape=True, border=0, classes="tidy")
        return (
            f'<div class="impact-summary"><h4>{html.escape(self.title)}</h4>'
            f'<table class="facts">{facts}</table>{table}'
            + (f"<ul class='notes'>{notes}</ul>" if notes else "")
            + "</div>"
        )

    def as_latex(self) -> str:
        body = self._fmt_table().to_latex(index=False, escape=True)
        caption = self.title.replace("&", r"\&").replace("%", r"\%").replace("_", r"\_")
        return f"% {caption}\n{body}"

    def __str__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        return self.as_html()


@dataclass
class Result:
    """Result of an indicator or an estimator.

    Parameters
    ----------
    table:
        Tidy table (see module docstring); normalized by :func:`tidy_frame`.
    method:
        The method's name, e.g. ``"Callaway-Sant'Anna (2021), doubly robust"``.
    assumptions:
        Plain statements of what must hold for the estimate to be read causally
        (or, for indicators, to be read as stated).
    info:
        Design facts shown in the summary (N, clusters, cluster level, ...).
    diagnostics:
        Named DataFrames (balance table, pre-trend test, weights, ...).
    text:
        Optional callable ``text(lang) -> str`` giving one plain sentence per
        headline for reports, in Chinese (``"zh"``) or English (``"en"``).
    plotter:
        Optional callable ``plotter(result, ax=None, **kw) -> Axes``.
    """

    table: pd.DataFrame
    method: str
    assumptions: tuple[str, ...] = ()
    info: dict[str, Any] = field(default_factory=dict)
    diagnostics: dict[str, pd.DataFrame] = field(default_factory=dict)
    text: Callable[[Lang], str] | None = None
    plotter: Callable[..., Any] | None = None
    level: float = 0.95

    def __post_init__(self) -> None:
        self.table = tidy_frame(self.table)
        self.assumptions = tuple(self.assumptions)

    # -- the single source of truth and what derives from it -----------------
    def tidy(self) -> pd.DataFrame:
        """The tidy table (a copy)."""
        return self.table.copy()

    def _by_term(self, col: str) -> pd.Series:
        s = self.table.set_index("term")[col]
        s.name = col
        return s

    def coef(self) -> pd.Series:
        return self._by_term("estimate")

    def se(self) -> pd.Series:
        return self._by_term("std_error")

    def pvalue(self) -> pd.Series:
        return self._by_term("p_value")

    def conf_int(self, level: float | None = None) -> pd.DataFrame:
        """Confidence intervals; at the stored level they are the stored bounds,
        at another level a normal interval from ``std_error``."""
        if level is None or np.isclose(level, self.level):
            return self.table.set_index("term")[["conf_low", "conf_high"]]
        low, high = normal_ci(self.table["estimate"], self.table["std_error"], level)
        return pd.DataFrame(
            {"conf_low": low, "conf_high": high}, index=pd.Index(self.table["term"], name="term")
        )

    # -- presentation ---------------------------------------------------------
    def summary(self) -> Summary:
        facts = [("Method", self.method)]
        facts += [(str(k), _fmt_info(v)) for k, v in self.info.items()]
        facts.append(("Confidence level", f"{self.level:.0%}"))
        return Summary(
            title=self.method,
            facts=tuple(facts),
            table=self.table,
            notes=tuple(f"Assumes: {a}" for a in self.assumptions),
        )

    def sentence(self, lang: Lang = "zh") -> str:
        """One plain sentence per headline, for reports."""
        check_option("lang", lang, LANGS)
        if self.text is None:
            raise NotImplementedError(f"{self.method}: no plain-language text defined")
        return self.text(lang)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        if self.plotter is None:
            raise NotImplementedError(f"{self.method}: no plot defined")
        return self.plotter(self, ax=ax, **kwargs)

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def __repr__(self) -> str:
        return f"<Result {self.method}: {len(self.table)} terms>"


def _fmt_info(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.4g}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)
