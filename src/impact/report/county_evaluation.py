"""The county's 绩效评价 report: one part of the county HTML report, and its Word file.

:func:`county_evaluation` scores the county's indicator system (:func:`impact.evaluation.evaluate`,
with the evaluator's sheet and a satisfaction survey when given) and lays it out in the
standard outline (:func:`impact.evaluation.build_outline`): 一、基本情况 … 九、典型案例, drafted
from the county's scores and programs. :class:`EvaluationPart` shows it as a section of the
county report (headings one level below the report's sections, chapter anchors ``ev-1`` …)
and holds the :class:`~impact.evaluation.document.Document` the Word writer
(:func:`impact.report.docx.render_docx`) draws, so the page and the .docx say the same.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from impact.evaluation.document import Document
from impact.evaluation.evaluate import Evaluation
from impact.report.outline_html import document_html
from impact.report.render import mark_zh, simulated_banner

__all__ = ["EvaluationPart", "county_evaluation"]

#: Section key and title of the part in the county report.
KEY = "evaluation"
TITLE = {"zh": "绩效评价报告（自动起草，供评价人修改）", "en": "Performance evaluation (draft for the evaluator to edit)"}


@dataclass
class EvaluationPart:
    """The county's 绩效评价 document as one section of the county report."""

    key: str
    title: str
    lang: str
    document: Document
    evaluation: Evaluation
    simulated: bool = False
    seed: str | None = None

    def to_html(self) -> str:
        e = html.escape
        parts = [f'<section class="impact-section" id="sec-{e(self.key)}">', f"<h2>{e(self.title)}</h2>"]
        if self.simulated:
            parts.append(simulated_banner(self.lang, self.seed))
        parts.append(f"<p><strong>{e(self.document.title)}</strong></p>")
        parts.append(document_html(self.document, title=False, toc=True, offset=1, prefix="ev"))
        parts.append("</section>")
        text = "\n".join(parts)
        return mark_zh(text) if self.lang == "en" else text

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        # the notebook's plain-text form of the section (its HTML form is what a report shows):
        # short, not a dump of the document's figures and the scoring table
        return f"EvaluationPart(key={self.key!r}, title={self.title!r}, lang={self.lang!r}, simulated={self.simulated})"


def _stored_png(processed_dir: str | Path) -> Callable[[tuple[Any, ...], Callable[[], bytes]], bytes]:
    """A ``render`` for :func:`impact.evaluation.outline.group_figure`: the PNG from the report's
    figure store (:func:`impact.report.cache.cached_png`: same code, libraries, font and figure
    inputs), drawn and stored when absent. One file per distinct figure (counties with the same
    group subtotals share it)."""
    from impact.digest import combine, file_sha256
    from impact.fonts import font_path
    from impact.report.cache import cached_png, figure_dir

    def render(args: tuple[Any, ...], draw: Callable[[], bytes]) -> bytes:
        folder = figure_dir(processed_dir)
        key = (str(folder), args)
        if key not in _PNG:  # once per process: the store's key hashes the package's files
            parts = [file_sha256(font_path()), repr(args)]
            if len(_PNG) >= 32:
                _PNG.clear()
            _PNG[key] = cached_png(folder, f"evaluation_groups_{combine(parts)[:16]}", parts, draw)
        return _PNG[key]

    return render


#: Figures read or drawn in this process: ``(figure folder, figure inputs) -> PNG``.
_PNG: dict[tuple[str, tuple[Any, ...]], bytes] = {}


def county_evaluation(county: str | int, year: int = 2024, lang: str = "zh", data_dir: str | Path = "",
                      processed_dir: str | Path = "", *, sheet: pd.DataFrame | str | Path | None = None,
                      satisfaction: pd.DataFrame | str | Path | None = None, figures: bool = True,
                      seed: str | None = None) -> EvaluationPart:
    """Score the county and draft its 绩效评价 report.

    Parameters
    ----------
    county
        Code or any name form :func:`impact.geo.resolve_county` accepts.
    year, lang
        Report year; ``"zh"`` (the 绩效评价 outline) or ``"en"`` (framed by the DAC criteria).
    data_dir, processed_dir
        Raw and processed data folders ('' for the defaults).
    sheet, satisfaction
        The evaluator's filled sheet and a beneficiary satisfaction survey (file or table).
    figures
        Include the figure of scores by group.

    Returns
    -------
    EvaluationPart
        ``document`` (the outline), ``evaluation`` (the scoring table, subtotals, total, grade)
        and ``simulated`` (True when a scored value comes from simulated data).
    """
    from impact.evaluation import build_outline, evaluate
    from impact.evaluation.outline import group_figure
    from impact.evaluation.data import load_data
    from impact.results import check_option

    check_option("lang", lang, ("zh", "en"))
    data = load_data(data_dir=data_dir or None, processed_dir=processed_dir or None, satisfaction=satisfaction)
    ev = evaluate("county", int(year), county=county, data=data, sheet=sheet)
    # 图1 closes chapter 四 (after 表2), where build_outline(figures=True) puts it; drawn once per
    # county shape and reused across processes from the report's figure store
    extra = {3: [group_figure(ev, lang, render=_stored_png(processed_dir))]} if figures else None
    doc = build_outline(ev, data, lang=lang, figures=False, extra=extra)
    simulated = bool((ev.table["evidence"] == "simulated").any())
    return EvaluationPart(key=KEY, title=TITLE[lang], lang=lang, document=doc, evaluation=ev, simulated=simulated,
                          seed=seed)
