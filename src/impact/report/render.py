"""How a report is shown: sections as escaped HTML, figures as PNG, the notes section.

A :class:`Section` is data (a title, plain-text paragraphs, display-ready tables,
rendered figures, notes and a ``simulated`` flag); :meth:`Section.to_html` escapes
every data-derived string (``html.escape``), so a program named ``<script>`` shows as
text. :func:`show` displays a section or a report header in a notebook (nothing for
``None``: a section that does not apply leaves no empty heading); :func:`collect_report`
registers a report's tables and headline figures with the report engine.
"""

from __future__ import annotations

import base64
import functools
import html
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

import pandas as pd

from impact.digest import file_sha256
from impact.i18n import MESSAGES, column_name, t
from impact.report.inputs import Inputs

__all__ = ["REPORT_CSS", "Section", "quoted_english", "collect_report", "data_hashes", "display_frame", "fig_png", "notes_section",
           "mark_zh", "package_versions", "show", "simulated_banner", "sources_sentence"]


@dataclass
class Section:
    """One report section: plain text and data, rendered (escaped) by :meth:`to_html`."""

    key: str
    title: str
    lang: str = "zh"
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    figures: list[tuple[str, bytes]] = field(default_factory=list, repr=False)
    notes: list[str] = field(default_factory=list)
    simulated: bool = False
    seed: str | None = None
    level: int = 2
    box: bool = False
    #: Where this part's data came from: source codes of :data:`impact.provenance.SOURCE_LABELS`
    #: (``article``, ``user``, ``simulated``), in the order shown.
    sources: list[str] = field(default_factory=list)
    #: Simulated data in some items only, each marked 【模拟】 / [simulated] (the banner says so).
    partly: bool = False

    def to_html(self) -> str:
        e = html.escape
        style = (' style="border:1px solid #1f5f8b;border-radius:6px;padding:4px 16px;background:#f4f8fb"'
                 if self.box else "")
        parts = [f'<section class="impact-section{" summary-box" if self.box else ""}" id="sec-{e(self.key)}"{style}>',
                 f"<h{self.level}>{e(self.title)}</h{self.level}>"]
        if self.simulated:
            parts.append(simulated_banner(self.lang, self.seed, partly=self.partly))
        parts += [f"<p>{e(p)}</p>" for p in self.paragraphs]
        if self.sources:
            parts.append(f'<p class="sources">{e(sources_sentence(self.sources, self.lang))}</p>')
        for caption, fig in self.figures:
            data = base64.b64encode(fig).decode("ascii")
            parts.append(f'<figure><img src="data:image/png;base64,{data}" alt="{e(caption)}" '
                         f'style="max-width:100%"><figcaption>{e(caption)}</figcaption></figure>')
        for caption, df in self.tables:
            parts.append(f"<h{self.level + 1}>{e(caption)}</h{self.level + 1}>" if caption else "")
            parts.append(df.to_html(index=False, escape=True, border=0, na_rep="—", classes="impact-table")
                         .replace(_EN_OPEN, '<span lang="en">').replace(_EN_CLOSE, "</span>"))
        if self.notes:
            parts.append('<ul class="notes">' + "".join(
                f"<li>{e(n)}</li>".replace(_EN_OPEN, '<span lang="en">').replace(_EN_CLOSE, "</span>")
                for n in self.notes) + "</ul>")
        parts.append("</section>")
        out = "\n".join(p for p in parts if p)
        return mark_zh(out) if self.lang == "en" else out

    def _repr_html_(self) -> str:
        return self.to_html()


#: Small stylesheet shipped with the report header (tables left-aligned and wrapped, print-friendly).
REPORT_CSS = (
    "<style>.impact-table{border-collapse:collapse;margin:4px 0 12px;font-size:13px}"
    ".impact-table th,.impact-table td{text-align:left!important;vertical-align:top;padding:3px 8px;"
    "border-bottom:1px solid #e3e3e3;word-break:normal;overflow-wrap:normal}"
    ".impact-section figure{margin:8px 0}.impact-section figcaption{font-size:12px;color:#555}"
    ".impact-section ul.notes{font-size:12px;color:#444}"
    "nav.toc{font-size:13px;margin:8px 0 16px}nav.toc ol{margin:4px 0;padding-left:22px;columns:2}"
    ".impact-section p.sources{font-size:12px;color:#555}p.back{font-size:13px;margin:0}"
    ".impact-table td{white-space:normal}.impact-table td:not(:last-child){min-width:4em}"
    "@media print{@page{size:A4;margin:12mm 10mm}body{font-size:10pt}p.back{display:none}"
    ".impact-table{font-size:9pt}.impact-section figure img{max-height:120mm}"
    ".impact-section figure,.impact-table tr{break-inside:avoid}h2,h3{break-after:avoid}"
    ".simulated-banner{-webkit-print-color-adjust:exact;print-color-adjust:exact}}</style>"
)


_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
_ZH_RUN = re.compile(f"[{_CJK}](?:[{_CJK}0-9\\s.,%·—–-]*[{_CJK}])?")
_TEXT_NODE = re.compile(r">([^<]+)<")


def mark_zh(html_text: str) -> str:
    """Wrap every run of Chinese in the text of ``html_text`` in ``<span lang="zh">`` (English
    pages keep the Chinese names and quotes beside the English, marked as Chinese)."""
    def node(m: re.Match[str]) -> str:
        return ">" + _ZH_RUN.sub(lambda r: f'<span lang="zh">{r.group(0)}</span>', m.group(1)) + "<"

    return _TEXT_NODE.sub(node, html_text)


def sources_sentence(sources: Sequence[str], lang: str) -> str:
    """One sentence naming the sources of a part's data (:data:`impact.provenance.SOURCE_LABELS`)."""
    from impact.provenance import SOURCE_LABELS

    names = [SOURCE_LABELS[s][0 if lang == "zh" else 1] if s in SOURCE_LABELS else str(s)
             for s in dict.fromkeys(sources)]
    return t("section.sources", lang, sources=("、" if lang == "zh" else ", ").join(names))


def simulated_banner(lang: str = "zh", seed: str | None = None, top: bool = False, partly: bool = False) -> str:
    """The visible simulated-data banner (HTML, class ``simulated-banner``): of the report
    (``top``), of a section, or of a section whose simulated items are marked one by one (``partly``)."""
    key = "banner.simulated.top" if top else "banner.simulated.partly" if partly else "banner.simulated"
    text = t(key, lang, seed=seed if seed is not None else "?")
    return ('<div class="simulated-banner" role="note" style="border:2px solid #d1495b;'
            'background:#fde8ea;color:#7a1020;padding:8px 12px;margin:8px 0;font-weight:600">'
            f"{html.escape(text)}</div>")


def fig_png(fig: Any, *, simulated: bool = False, lang: str = "zh") -> bytes:
    """PNG bytes of ``fig``; a chart drawn from simulated data carries the simulated stamp."""
    from impact.plots import to_png

    return to_png(fig, simulated=simulated, lang=lang)


def display_frame(df: pd.DataFrame, columns: Sequence[str], lang: str) -> pd.DataFrame:
    """Select ``columns`` and rename them to display headers in ``lang``."""
    cols = [c for c in columns if c in df.columns]
    out = df[cols].astype(object)
    out = out.where(out.notna(), "—")
    return out.rename(columns={c: column_name(c, lang) for c in cols}).reset_index(drop=True)


def period_text(row: pd.Series, lang: str) -> str:
    a, b = row.get("period_start"), row.get("period_end")
    a = "" if a is None or pd.isna(a) else str(a)
    b = "" if b is None or pd.isna(b) else str(b)
    if not a and not b:
        return t("note.article_not_say", lang)
    return a if a == b or not b else (f"{a}–{b}" if a else f"–{b}")


def show(obj: Any) -> None:
    """Display a section (or the report header) in a notebook; nothing for ``None``."""
    from IPython.display import HTML, display

    if obj is None:
        return
    if hasattr(obj, "header_html"):  # a CountyReport or ProvinceReport: title and banner
        display(HTML(obj.header_html()))
    elif isinstance(obj, Section):
        display(HTML(obj.to_html()))
    else:
        display(obj)


def collect_report(rep: Any) -> None:
    """Register the report's tables, headline figures and 绩效评价 document (``rep.document``,
    for the Word file) with the report engine (:mod:`impact.report.collect`; a no-op outside
    the engine)."""
    from impact.report import collect

    for name, df in rep.export_tables().items():
        collect.table(name, df)
    for name, (value, label, unit) in rep.headlines().items():
        collect.headline(name, value, label=label, unit=unit)
    doc = getattr(rep, "document", None)
    if doc is not None:
        collect.document(doc)


def data_hashes(inputs: Inputs, lang: str = "zh", *, code: str | None = None) -> pd.DataFrame:
    """SHA-256 of every input file (:func:`impact.digest.file_sha256`), with whether it is simulated.

    A table holding user and simulated rows (``source``) is "partly" simulated; in a county's
    report (``code``) it is simulated or not by the rows of that county.
    """
    zh = lang == "zh"
    rows = []
    for name, path in sorted(inputs.files.items()):
        table = path.name.removesuffix(".parquet").removesuffix("_simulated")
        sim = inputs.is_simulated(table) if table in inputs.data else False
        df = inputs.data.get(table)
        mixed = sim and df is not None and "source" in df.columns and (df["source"].astype("string") != "simulated").any()
        if mixed and code is not None:
            sim = inputs.is_simulated(table, code)
            flag = ("是（本县）" if zh else "yes (this county)") if sim else ("否（本县）" if zh else "no (this county)")
        elif mixed:
            flag = "部分" if zh else "partly"
        else:
            flag = ("是" if sim else "否") if zh else ("yes" if sim else "no")
        rows.append({column_name("file", lang): name, column_name("sha256", lang): file_sha256(path),
                     column_name("simulated", lang): flag})
    return pd.DataFrame(rows)


def package_versions(lang: str = "zh") -> pd.DataFrame:
    """Versions of the packages that shaped the report (read once per process)."""
    return _package_versions(lang).copy()


@functools.cache
def _package_versions(lang: str) -> pd.DataFrame:
    from importlib.metadata import PackageNotFoundError, version

    rows = []
    for pkg in ("impact", "pandas", "numpy", "geopandas", "statsmodels", "pyfixest", "matplotlib", "seaborn",
                "papermill"):
        try:
            v = version(pkg)
        except PackageNotFoundError:
            v = "—"
        rows.append({column_name("package", lang): pkg, column_name("version", lang): v})
    return pd.DataFrame(rows)


#: Known note messages (English, from :mod:`impact.report.tables`) and their message keys.
_NOTE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("no county has both a monetized benefit", "notemsg.no_benefit_cost"),
    ("no county has benefits and costs in consecutive", "notemsg.no_consecutive"),
    ("income by source not available", "notemsg.income_total"),
    ("table", "notemsg.missing_table"),
)


#: Markers of English text quoted on a Chinese page (an estimator's own message), rendered as
#: ``<span lang="en">`` by :meth:`Section.to_html` after escaping.
_EN_OPEN, _EN_CLOSE = "\x02", "\x03"


def quoted_english(text: str, lang: str) -> str:
    """``text`` (an estimator's English message) as shown in ``lang``: plain on English pages,
    marked ``lang="en"`` on Chinese ones (rendered by :meth:`Section.to_html`)."""
    clean = text.replace(_EN_OPEN, "").replace(_EN_CLOSE, "")
    return clean if lang == "en" else _EN_OPEN + clean + _EN_CLOSE


def _note_part(part: str, lang: str) -> str:
    """A report part's name (``benefit_cost`` → 效益成本比; ``synth 530824`` → 合成控制 530824)."""
    head, _, rest = part.partition(" ")
    key = f"notepart.{head}"
    if key not in MESSAGES:
        return part
    return (t(key, lang) + (f" {rest}" if rest else "")).strip()


def _note_message(message: str, lang: str) -> str:
    """The note in ``lang``: English as recorded; Chinese for the known messages, else a pointer
    to the English report (estimator warnings are English text)."""
    if lang == "en":
        return message
    for pattern, key in _NOTE_PATTERNS:
        if pattern in message and (key != "notemsg.missing_table" or message.startswith("no ")):
            return t(key, lang)
    clean = message.replace(_EN_OPEN, "").replace(_EN_CLOSE, "")
    return t("notemsg.other", lang) + _EN_OPEN + clean + _EN_CLOSE


def notes_section(notes: pd.DataFrame, lang: str) -> "Section":
    """The notes section: every estimator warning and every part not computed, with its reason.

    ``notes`` is the table of :mod:`impact.report.notes` (``part, county_code, kind,
    category, message``). A report with no notes says so in one sentence.
    """
    sec = Section("notes", t("section.notes", lang), lang)
    if notes is None or notes.empty:
        sec.paragraphs.append(t("notes.none", lang))
        return sec
    sec.paragraphs.append(t("notes.intro", lang))
    kinds = {k: t(f"notes.{k}", lang) for k in ("warning", "skipped", "note")}
    shown = pd.DataFrame({
        column_name("part", lang): [_note_part(p, lang) for p in notes["part"].astype(str)],
        column_name("note_kind", lang): [kinds.get(str(k), str(k)) + (f" ({c})" if lang == "en" and isinstance(c, str)
                                                                      and c else "")
                                         for k, c in zip(notes["kind"], notes["category"])],
        column_name("message", lang): [zh if lang == "zh" and zh else _note_message(m, lang) for m, zh in zip(
            notes["message"].astype(str), notes.get("message_zh", pd.Series("", index=notes.index)).fillna("").astype(str))],
    }).drop_duplicates()
    sec.tables.append(("", shown.reset_index(drop=True)))
    return sec
