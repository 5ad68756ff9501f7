"""HTML rendering of a report document model (:class:`impact.evaluation.document.Document`).

The Word writer (:mod:`impact.report.docx`) and this module draw the same blocks, so the
HTML page and the .docx of a 绩效评价 report hold the same text, tables and figures.

Markup: level-1 headings are ``<h2>`` with an ``id`` (``ch-1`` …) for the table of contents,
level-2 and 3 are ``<h3>``/``<h4>``; ``quote`` paragraphs are ``<blockquote lang="zh">`` (verbatim
source text, Chinese on every page); ``note`` paragraphs are small print; tables carry their
caption as ``<caption>``; code names (table kinds, functions) are ``<code>``; number cells are kept on one line (``white-space:nowrap``). On an
English page, a text run containing Chinese characters (an organisation's or program's name, a
quote) is marked ``lang="zh"`` so readers and checkers know it is Chinese on purpose.
"""

from __future__ import annotations

import base64
import html
import re

import pandas as pd

from impact.evaluation.document import Document, Figure, Heading, PageBreak, Paragraph, Table

__all__ = ["OUTLINE_CSS", "block_html", "document_html", "toc_html"]

#: Stylesheet for the outline blocks (screen and A4 print).
OUTLINE_CSS = (
    "<style>"
    ".outline{font-size:15px;line-height:1.7;max-width:60em}"
    ".outline h2{border-bottom:2px solid #1f5f8b;padding-bottom:2px;margin-top:1.6em}"
    ".outline blockquote{margin:4px 0 8px 1.5em;padding:2px 10px;border-left:3px solid #a9c6de;color:#333;"
    "font-size:14px}"
    ".outline p.note{font-size:13px;color:#7a1020;background:#fde8ea;padding:6px 10px;border-radius:4px}"
    ".outline table{border-collapse:collapse;margin:4px 0 14px;font-size:13px}"
    ".outline caption{caption-side:top;text-align:left;font-weight:600;padding:4px 0}"
    ".outline th,.outline td{text-align:left;vertical-align:top;padding:3px 8px;border-bottom:1px solid #e3e3e3}"
    ".outline th{background:#f4f8fb;white-space:nowrap}"
    ".outline td.num{white-space:nowrap;text-align:right}"
    ".outline tr.total td{font-weight:600;border-top:2px solid #1f5f8b}"
    ".outline figure{margin:8px 0}.outline figcaption{font-size:13px;color:#444;text-align:center}"
    ".outline p.tnote{font-size:12px;color:#555;margin-top:-8px}"
    ".outline nav.toc ol{columns:2;font-size:14px}"
    "@media print{@page{size:A4;margin:18mm 16mm}.outline{font-size:12px;max-width:none}"
    ".outline figure,.outline tr{break-inside:avoid}.outline thead{display:table-header-group}"
    ".outline h2,.outline h3{break-after:avoid}"
    ".outline p.note{-webkit-print-color-adjust:exact;print-color-adjust:exact}}"
    "</style>"
)

_HAN = re.compile(r"[\u3400-\u9fff]")
_NUMBER_CELL = re.compile(r"^[\s+\-−–—]*[\d.,]+(?:\s*[%分万亿元])*$|^—$")


_CODE = re.compile(r"(?<![\w/])[a-z][a-z0-9]*(?:[._][a-z0-9]+)*_[a-z0-9]+(?:[._][a-z0-9]+)*(?![\w/])"
                   r"|(?<![\w/])impact(?:\.[a-z_0-9]+)+(?![\w/])")


def _code(escaped: str) -> str:
    """Mark code names (table kinds, measures, functions: ``cost_ledger``, ``impact.design.wave_att``)."""
    return _CODE.sub(lambda m: f"<code>{m.group(0)}</code>", escaped)


def _text(s: object, lang: str) -> str:
    """Escaped text with code names in ``<code>``; on an English page a run with Chinese
    characters is marked ``lang="zh"``."""
    s = "" if s is None else str(s)
    if lang == "en" and _HAN.search(s):
        return f'<span lang="zh">{_code(html.escape(s))}</span>'
    return _code(html.escape(s))


def _table_html(b: Table, lang: str) -> str:
    cols = [str(c) for c in b.frame.columns]
    out = ['<table class="impact-table">', f"<caption>{_text(b.caption, lang)}</caption>" if b.caption else "",
           "<thead><tr>" + "".join(f"<th>{_text(c, lang)}</th>" for c in cols) + "</tr></thead><tbody>"]
    for row in b.frame.to_numpy():  # the values iterrows would give, without a Series per row
        first = str(row[0]) if len(row) else ""
        total = first in ("合计", "Total")
        cells = []
        for v in row:
            s = "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
            cls = ' class="num"' if s and _NUMBER_CELL.match(s) else ""
            cells.append(f"<td{cls}>{_text(s, lang)}</td>")
        out.append(("<tr class=\"total\">" if total else "<tr>") + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    if b.note:
        out.append(f'<p class="tnote">{_text(b.note, lang)}</p>')
    return "".join(out)


def block_html(b: object, lang: str = "zh", *, anchor: str | None = None, offset: int = 0) -> str:
    """One block as HTML (``anchor`` sets the ``id`` of a heading; ``offset`` lowers headings by
    that many levels, for a document shown inside a section)."""
    if isinstance(b, Heading):
        tag = f"h{min(b.level + 1 + offset, 6)}"
        ident = f' id="{html.escape(anchor)}"' if anchor else ""
        return f"<{tag}{ident}>{_text(b.text, lang)}</{tag}>"
    if isinstance(b, Paragraph):
        if b.style == "quote":
            return f'<blockquote lang="zh">{html.escape(b.text)}</blockquote>'
        cls = ' class="note"' if b.style == "note" else ""
        return f"<p{cls}>{_text(b.text, lang)}</p>"
    if isinstance(b, Table):
        return _table_html(b, lang)
    if isinstance(b, Figure):
        data = base64.b64encode(b.png).decode("ascii")
        cap = _text(b.caption, lang)
        return (f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(b.caption)}" '
                f'style="max-width:100%;width:{b.width_cm * 38:.0f}px"><figcaption>{cap}</figcaption></figure>')
    if isinstance(b, PageBreak):
        return '<div style="break-after:page"></div>'
    raise TypeError(f"not a document block: {type(b).__name__}")


def toc_html(doc: Document, *, prefix: str = "ch") -> str:
    """A table of contents linking the level-1 headings (``#ch-1`` …)."""
    items = [f'<li><a href="#{prefix}-{i}">{_text(h, doc.lang)}</a></li>' for i, h in enumerate(doc.headings(1), start=1)]
    label = "目录" if doc.lang == "zh" else "Contents"
    return f'<nav class="toc"><strong>{label}</strong><ol style="list-style:none">{"".join(items)}</ol></nav>'


def document_html(doc: Document, *, title: bool = True, toc: bool = True, offset: int = 0,
                  prefix: str = "ch") -> str:
    """The whole document as an HTML fragment (stylesheet, title, contents, blocks).

    ``offset`` lowers every heading by that many levels (a document inside a report section);
    ``prefix`` names the chapter anchors (``ch-1`` …), so two documents on a page do not clash.
    """
    parts = [OUTLINE_CSS, '<div class="outline">']
    if title:
        parts.append(f"<h1>{_text(doc.title, doc.lang)}</h1>")
        if doc.subtitle:
            parts.append(f'<p style="color:#555">{_text(doc.subtitle, doc.lang)}</p>')
    if toc:
        parts.append(toc_html(doc, prefix=prefix))
    k = 0
    for b in doc.blocks:
        anchor = None
        if isinstance(b, Heading) and b.level == 1:
            k += 1
            anchor = f"{prefix}-{k}"
        parts.append(block_html(b, doc.lang, anchor=anchor, offset=offset))
    parts.append("</div>")
    return "\n".join(parts)
