"""Checks of the visible text of generated report pages (HTML).

A Chinese page must not show debug output, English prose, code identifiers or a
missing-value marker; an English page must not show debug output or missing-value
markers. :func:`text_problems` lists what it finds in one page;
:func:`check_pages` runs it over many files (for example every page of
``reports/``) so one test can cover all generated reports.

What counts as visible text: the text of the document outside ``<script>``,
``<style>``, ``<code>``, ``<pre>``, ``<svg>`` and ``<math>`` and outside any element
marked ``lang="en"`` (on a Chinese page) or ``translate="no"``; ``title`` and ``alt``
attributes are checked for missing-value markers (they show on hover).

Kinds of problem:

``missing``     ``<NA>``, ``NaN``, ``nan``, ``NaT``, ``None`` as a word
``debug``       tracebacks, warnings, ``figure(s)``-style plurals, ``dtype:``,
                ``object at 0x…``, ``key: N`` debug lines, a notebook cell's stderr
                output (warnings printed with local paths)
``identifier``  snake_case names (``amity_medical``, ``benefit_cost``) outside file
                names and paths
``english``     (Chinese pages) a run of three or more English words
``chinese``     (English pages) Chinese text that is neither inside parentheses beside
                an English name (``Jinggu Dai and Yi Autonomous County (景谷傣族彝族自治县)``)
                nor inside an element marked ``lang="zh"`` (a quoted source sentence)
``chinese_cell`` (English pages) a table cell with Chinese and no English beside it,
                outside a column whose header says it holds Chinese (``Source quote
                (Chinese)``): an English reader cannot follow a cell in Chinese only
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterable

from impact.errors import ImpactError

__all__ = ["TextProblem", "check_pages", "chinese_only_cells", "page_text", "text_problems"]

_SKIP_TAGS = {"script", "style", "code", "pre", "svg", "math", "head", "template"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

_MISSING = re.compile(r"<NA>|(?<![\w.])(?:NaN|nan|NaT|None)(?![\w.])")
_DEBUG = [
    re.compile(r"Traceback \(most recent call last\)"),
    re.compile(r"\b\w*(?:Warning|Error):"),
    re.compile(r"\b[a-z]+\(s\)"),  # figure(s), county(s)
    re.compile(r"\bdtype:"),
    re.compile(r"object at 0x[0-9a-f]+"),
    re.compile(r"\b[a-z][a-z0-9_]*_[a-z0-9_]+:\s"),  # amity_medical: 0 fund ...
]
_IDENTIFIER = re.compile(r"(?<![\w./\\-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/\\-]|\.[A-Za-z])")
_SCRIPT_OR_STYLE = re.compile(r"(?is)<(script|style)\b.*?</\1\s*>")
_RAW_MISSING = re.compile(r"<NA>")
_RAW_OBJECT = re.compile(r"<[\w.]+ object at 0x[0-9a-f]+>")
#: A notebook cell's stderr stream (warnings with the build's local paths) exported into the page.
_RAW_STDERR = re.compile(r"application/vnd\.jupyter\.stderr|class=\"[^\"]*\boutput_stderr\b")
_HAN_RUN = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]*[\u3400-\u9fff][\u3400-\u9fff\u3000-\u303f\uff00-\uffef]*")
_PAREN_HAN = re.compile(r"[(（][^()（）\n]*[\u3400-\u9fff][^()（）\n]*[)）]")
_ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]+(?:[ ,]+[A-Za-z][A-Za-z'’-]+){2,}")


@dataclass(frozen=True)
class TextProblem:
    """One finding: its kind, the offending text and up to 40 characters around it."""

    kind: str
    text: str
    context: str
    file: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file else ""
        return f"{where}{self.kind}: {self.text!r} in …{self.context}…"


class _Text(HTMLParser):
    def __init__(self, *, skip_lang_en: bool, skip_lang_zh: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.skip_lang_en = skip_lang_en
        self.skip_lang_zh = skip_lang_zh
        self.stack: list[tuple[str, bool]] = []  # (tag, skipping)
        self.parts: list[str] = []
        self.attrs: list[str] = []

    def _skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        for key in ("title", "alt"):
            if a.get(key):
                self.attrs.append(a[key])
        skip = (self._skipping() or tag in _SKIP_TAGS or a.get("translate") == "no"
                or (self.skip_lang_en and a.get("lang", "").lower().startswith("en"))
                or (self.skip_lang_zh and a.get("lang", "").lower().startswith("zh") and tag != "html"))
        if tag not in _VOID:
            self.stack.append((tag, skip))
        elif tag in ("br", "hr"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):  # tolerate unclosed inner tags
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break
        self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping():
            self.parts.append(data)


class _Cells(HTMLParser):
    """Table cells of a page as ``(header text, cell text)`` (header of the cell's column)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[tuple[str, str]] = []
        self.headers: list[list[str]] = []  # one list per open table
        self.cell: list[str] | None = None
        self.kind = ""
        self.col = 0
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        elif tag == "table":
            self.headers.append([])
        elif tag == "tr":
            self.col = 0
        elif tag in ("td", "th") and self.headers:
            self.cell, self.kind = [], tag

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag == "table" and self.headers:
            self.headers.pop()
        elif tag in ("td", "th") and self.cell is not None and self.headers:
            text = " ".join("".join(self.cell).split())
            heads = self.headers[-1]
            if self.kind == "th" and self.col >= len(heads):
                heads.append(text)
            elif self.kind == "td":
                self.cells.append((heads[self.col] if self.col < len(heads) else "", text))
            self.col += 1
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None and not self.skip:
            self.cell.append(data)


_LATIN = re.compile(r"[A-Za-z]")
_HAN = re.compile(r"[\u3400-\u9fff]")


def chinese_only_cells(html: str) -> list[tuple[str, str]]:
    """``(header, cell)`` of the table cells with Chinese and no Latin letter, outside columns
    whose header ends with ``(Chinese)`` (see ``chinese_cell`` in the module docstring)."""
    p = _Cells()
    p.feed(html)
    p.close()
    return [(h, c) for h, c in p.cells
            if _HAN.search(c) and not _LATIN.search(c) and not h.rstrip().endswith("(Chinese)")]


def page_text(html: str, *, lang: str = "zh", skip_other_lang: bool = True) -> tuple[str, list[str]]:
    """Visible text of ``html`` and its ``title``/``alt`` attribute texts (see module docstring).

    ``skip_other_lang`` leaves out elements marked with the other language
    (``lang="en"`` on a Chinese page; ``lang="zh"`` on an English page only when asked).
    """
    p = _Text(skip_lang_en=lang == "zh" and skip_other_lang, skip_lang_zh=lang == "en" and skip_other_lang)
    p.feed(html)
    p.close()
    text = re.sub(r"[ \t]*\n[\s]*", "\n", "".join(p.parts))
    return text.strip(), p.attrs


def _context(text: str, m: re.Match[str]) -> str:
    return text[max(0, m.start() - 20): m.end() + 20].replace("\n", " ")


def text_problems(html: str, *, lang: str, allow: Iterable[str] = (), file: str | None = None) -> list[TextProblem]:
    """Problems in the visible text of one page.

    Parameters
    ----------
    html
        The page.
    lang
        ``"zh"``: all kinds are checked; ``"en"``: ``missing``, ``debug`` and
        ``identifier`` (English prose is expected).
    allow
        Regular expressions of text that is acceptable (for example a proper name
        such as ``"Callaway–Sant'Anna"``); a finding fully matched by one is dropped.
    file
        Name carried into each :class:`TextProblem`.
    """
    if lang not in ("zh", "en"):
        raise ImpactError(f"lang={lang!r} is not valid; expected one of 'zh', 'en'")
    allowed = [re.compile(a) for a in allow]
    text, attrs = page_text(html, lang=lang, skip_other_lang=lang == "zh")
    found: list[TextProblem] = []

    def add(kind: str, source: str, m: re.Match[str]) -> None:
        hit = m.group(0).strip(" ,")
        if any(a.fullmatch(hit) for a in allowed):
            return
        found.append(TextProblem(kind, hit, _context(source, m), file))

    for source in [text, *attrs]:
        for m in _MISSING.finditer(source):
            add("missing", source, m)
    for pat in _DEBUG:
        for m in pat.finditer(text):
            add("debug", text, m)
    for m in _IDENTIFIER.finditer(text):
        add("identifier", text, m)
    if lang == "zh":
        for m in _ENGLISH_RUN.finditer(text):
            add("english", text, m)
    else:
        own, _ = page_text(html, lang="en", skip_other_lang=True)
        bare = _PAREN_HAN.sub("()", own)
        for m in _HAN_RUN.finditer(bare):
            add("chinese", bare, m)
        for head, cell in chinese_only_cells(html):
            if not any(a.fullmatch(cell) for a in allowed):
                found.append(TextProblem("chinese_cell", cell[:60], f"{head}: {cell[:40]}", file))
    # unescaped markers parse as unknown tags (a browser shows nothing): look in the source
    raw = _SCRIPT_OR_STYLE.sub("", html)
    for m in _RAW_MISSING.finditer(raw):
        add("missing", raw, m)
    for m in _RAW_OBJECT.finditer(raw):
        add("debug", raw, m)
    for m in _RAW_STDERR.finditer(raw):
        found.append(TextProblem("debug", "notebook stderr output", _context(raw, m), file))
    unique: dict[tuple[str, str], TextProblem] = {}
    for prob in found:
        unique.setdefault((prob.kind, prob.text), prob)
    return list(unique.values())


def check_pages(paths: Iterable[str | Path], *, lang: str | None = None,
                allow: Iterable[str] = ()) -> list[TextProblem]:
    """:func:`text_problems` over many pages; the language is ``lang`` or read from the
    page's ``<html lang=...>`` (``zh`` when absent)."""
    out: list[TextProblem] = []
    allow = list(allow)
    for path in paths:
        p = Path(path)
        html = p.read_text(encoding="utf-8")
        page_lang = lang
        if page_lang is None:
            m = re.search(r"<html[^>]*\blang=[\"']?([a-zA-Z]+)", html)
            page_lang = "en" if m and m.group(1).lower().startswith("en") else "zh"
        out += text_problems(html, lang=page_lang, allow=allow, file=str(p))
    return out
