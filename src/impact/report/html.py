"""Self-contained HTML page of an executed report notebook, written directly from its outputs.

:func:`to_html` writes the page of a notebook run without its code (what
``jupyter nbconvert --to html --no-input`` shows, JupyterLab look): each cell's
outputs in JupyterLab's markup (``jp-Cell`` … ``jp-OutputArea-output``, focusable
with ``tabindex="0"``), inside ``impact/templates/impact_report.html.j2`` (the
page chrome: ``<html lang=...>``, the escaped title, JupyterLab's stylesheets read
from nbconvert's installed ``lab`` template, our print stylesheet, no script).
Outputs are shown by nbconvert's display priority: HTML as it is (the report's
sections escape their own data, :mod:`impact.report.render`), Markdown rendered,
SVG/PNG/JPEG embedded as ``data:`` URIs with an ``alt`` text, LaTeX and plain text
escaped. An output only a browser script could show (JavaScript,
widgets, Mermaid) with no fallback fails the report (:class:`ReportContentError`):
a report page runs no script. No HTML is parsed again: a page costs a few
milliseconds where nbconvert's exporter (its template machinery and a BeautifulSoup
parse of the whole page, for ``alt`` and ``tabindex``) took about 0.12 s.

A report never contains a Python traceback: :func:`check_no_errors` rejects a
notebook with any ``error`` output or any output text showing a traceback, and
:func:`to_html` calls it first. Cells tagged ``remove-cell``/``remove_cell`` are
dropped and ``remove-output``/``remove_output`` lose their outputs.
"""

from __future__ import annotations

import html as _html
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from impact.config import PACKAGE_DIR
from impact.errors import ReportError
from impact.results import check_option
from impact.vocab import LANGS

TEMPLATE_DIR = PACKAGE_DIR / "templates"
TEMPLATE_FILE = "impact_report.html.j2"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_TB_STRICT = re.compile(r"Traceback \(most recent call last\)")
_IMG_NO_ALT = re.compile(r"<img\b(?![^>]*\balt\s*=)", re.IGNORECASE)
REMOVE_CELL_TAGS = frozenset({"remove-cell", "remove_cell"})
REMOVE_OUTPUT_TAGS = frozenset({"remove-output", "remove_output"})
#: ``alt`` of an image that has none (nbconvert's wording).
NO_ALT = "No description has been provided for this image"
#: Output kinds shown, in nbconvert's display priority (scripts, widgets and Mermaid left out).
PRIORITY = ("text/html", "text/markdown", "image/svg+xml", "text/latex", "image/png", "image/jpeg", "text/plain")


class ReportContentError(ReportError):
    """An executed report notebook shows an error or a traceback, or an output a page cannot show."""


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else (value or "")


def _text_of(output: dict[str, Any]) -> str:
    if output.get("output_type") == "stream":
        return _text(output.get("text", ""))
    data = output.get("data", {})
    return "\n".join(_text(data[m]) for m in ("text/plain", "text/html", "text/markdown") if data.get(m))


def find_errors(nb: Any) -> list[str]:
    """Descriptions of error outputs / tracebacks in ``nb`` (empty when clean)."""
    found = []
    for i, cell in enumerate(nb.get("cells", [])):
        for out in cell.get("outputs", []) or []:
            if out.get("output_type") == "error":
                found.append(f"cell {i}: {out.get('ename', 'Error')}: {out.get('evalue', '')}")
                continue
            text = _ANSI.sub("", _text_of(out))
            if _TB_STRICT.search(text):
                last = [ln for ln in text.strip().splitlines() if ln.strip()][-1:]
                found.append(f"cell {i}: traceback in output: {last[0] if last else ''}".strip())
    return found


def check_no_errors(nb: Any, name: str = "report") -> None:
    """Raise :class:`ReportContentError` when ``nb`` shows an error or a traceback."""
    found = find_errors(nb)
    if found:
        raise ReportContentError(f"{name}: the executed notebook shows an error, so no report is written: "
                                 + "; ".join(found))


# ----------------------------------------------------------------- page chrome


def lab_static_dir() -> Path:
    """Folder of nbconvert's installed ``lab`` template stylesheets (``index.css``, ``theme-light.css``)."""
    from jupyter_core.paths import jupyter_path

    for base in jupyter_path("nbconvert", "templates"):
        static = Path(base) / "lab" / "static"
        if (static / "index.css").is_file():
            return static
    raise ReportError("nbconvert's 'lab' template stylesheets were not found in any Jupyter data folder "
                      f"({', '.join(jupyter_path('nbconvert', 'templates'))}); reinstall nbconvert")


@lru_cache(maxsize=1)
def _template() -> Any:
    """Our page template with the stylesheets it inlines (read once per process)."""
    from jinja2 import Environment, FileSystemLoader
    from jupyterlab_pygments import JupyterStyle
    from pygments.formatters import HtmlFormatter

    env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True, keep_trailing_newline=True)
    static = lab_static_dir()
    css = {"pygments": HtmlFormatter(style=JupyterStyle).get_style_defs(".highlight"),
           "lab": (static / "index.css").read_text(encoding="utf-8"),
           "theme": (static / "theme-light.css").read_text(encoding="utf-8")}
    return env.get_template(TEMPLATE_FILE), css


def warm() -> None:
    """Read the template and stylesheets now (a worker does it while its kernel starts)."""
    _template()


# ----------------------------------------------------------------- cells


def _attr(value: Any) -> str:
    return _html.escape(str(value), quote=True)


def _pre(text: str) -> str:
    """``text`` escaped in a ``<pre>``; ANSI colours as nbconvert's coloured spans (rare: loaded then)."""
    if "\x1b[" in text:
        from nbconvert.filters.ansi import ansi2html

        return "<pre>" + ansi2html(text) + "</pre>"
    return "<pre>" + _html.escape(text, quote=False) + "</pre>"


def _markdown(source: str, cell: dict[str, Any] | None = None) -> str:
    """Markdown rendered as nbconvert renders it (headings with anchor links, math kept, images embedded)."""
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    renderer = IPythonRenderer(escape=False, attachments=(cell or {}).get("attachments", {}), embed_images=True,
                               path="", anchor_link_text="¶", exclude_anchor_links=False)
    return _IMG_NO_ALT.sub(f'<img alt="{NO_ALT}"', MarkdownWithMath(renderer=renderer).render(source))


def _image(mime: str, output: dict[str, Any], cls: str) -> str:
    data = _text(output["data"][mime])
    if mime == "image/svg+xml":
        import base64

        data = base64.b64encode(data.encode("utf-8")).decode("ascii")
        return (f'<div class="jp-RenderedSVG jp-OutputArea-output{cls}" data-mime-type="image/svg+xml" tabindex="0">\n'
                f'<img alt="{NO_ALT}" src="data:image/svg+xml;base64,{data}"/>\n</div>')
    meta = {**output.get("metadata", {}), **output.get("metadata", {}).get(mime, {})}
    attrs = "".join(f' {k}="{_attr(meta[k])}"' for k in ("width", "height") if meta.get(k) is not None)
    img_cls = " ".join(c for c in ("unconfined" if meta.get("unconfined") else "",
                                   {"light": "jp-needs-light-background", "dark": "jp-needs-dark-background"}
                                   .get(meta.get("needs_background"), "")) if c)
    return (f'<div class="jp-RenderedImage jp-OutputArea-output{cls}" tabindex="0">\n'
            f'<img alt="{NO_ALT}" class="{img_cls}"{attrs} src="data:{mime};base64,{_attr(data.strip())}"/>\n</div>')


def _data(output: dict[str, Any], where: str) -> str:
    data = output.get("data", {})
    mime = next((m for m in PRIORITY if m in data), None)
    cls = " jp-OutputArea-executeResult" if output.get("output_type") == "execute_result" else ""
    if mime is None:
        raise ReportContentError(f"{where}: an output of type {', '.join(sorted(data)) or '(none)'} needs a "
                                 f"browser script; a report page shows {', '.join(PRIORITY)}")
    if mime not in _TEXT_MIMES:
        return _image(mime, output, cls)
    kind, render = _TEXT_MIMES[mime]
    return (f'<div class="{kind} jp-OutputArea-output{cls}" data-mime-type="{mime}" tabindex="0">\n'
            f"{render(_text(data[mime]))}\n</div>")


#: Text outputs: mime type -> (JupyterLab's classes for it, how its text becomes HTML).
_TEXT_MIMES: dict[str, tuple[str, Any]] = {
    "text/html": ("jp-RenderedHTMLCommon jp-RenderedHTML",
                  lambda v: _IMG_NO_ALT.sub(f'<img alt="{NO_ALT}"', v)),
    "text/markdown": ("jp-RenderedHTMLCommon jp-RenderedMarkdown", lambda v: _markdown(v)),
    "text/latex": ("jp-RenderedLatex", lambda v: _html.escape(v)),
    "text/plain": ("jp-RenderedText", lambda v: _pre(v)),
}


_STREAM_MIME = {"stdout": "text/plain", "stderr": "application/vnd.jupyter.stderr"}


def _output(out: dict[str, Any], where: str) -> str:
    kind = out.get("output_type")
    cls = " jp-OutputArea-executeResult" if kind == "execute_result" else ""
    if kind == "stream":
        mime = _STREAM_MIME.get(out.get("name", ""))
        if mime is None:  # stdin: not shown (nbconvert's exclude_output_stdin)
            return ""
        inner = (f'<div class="jp-RenderedText jp-OutputArea-output" data-mime-type="{mime}" tabindex="0">\n'
                 f"{_pre(_text(out.get('text')))}\n</div>")
    else:
        inner = _data(out, where)
    return f'<div class="jp-OutputArea-child{cls}">\n{inner}\n</div>'


def _cell(cell: dict[str, Any], index: int) -> str:
    tags = cell.get("metadata", {}).get("tags", []) or []
    ident = f' id="{_attr("cell-id=" + cell["id"])}"' if cell.get("id") else ""
    tag_cls = "".join(" " + _attr("celltag_" + t) for t in tags)
    kind = cell.get("cell_type")
    if kind == "markdown":
        return (f'<div class="jp-Cell jp-MarkdownCell jp-Notebook-cell"{ident}>\n<div class="jp-Cell-inputWrapper" '
                f'tabindex="0">\n<div class="jp-Collapser jp-InputCollapser jp-Cell-inputCollapser">\n</div>\n'
                f'<div class="jp-InputArea jp-Cell-inputArea"><div class="jp-RenderedHTMLCommon jp-RenderedMarkdown '
                f'jp-MarkdownOutput{tag_cls}" data-mime-type="text/markdown">\n{_markdown(_text(cell.get("source")), cell)}'
                f"\n</div>\n</div>\n</div>\n</div>")
    if kind == "raw":
        fmt = cell.get("metadata", {}).get("raw_mimetype", "").lower()
        # shown as text, escaped (what nbconvert's sanitiser leaves of it)
        return _html.escape(_text(cell.get("source")), quote=False) if fmt in ("", "text/html") else ""
    if kind != "code":
        return ""
    outputs = [] if REMOVE_OUTPUT_TAGS.intersection(tags) else list(cell.get("outputs") or [])
    where = f"cell {index}"
    shown = "".join(_output(o, where) for o in outputs)
    head = (f'<div class="jp-Cell jp-CodeCell jp-Notebook-cell{"" if outputs else " jp-mod-noOutputs"} '
            f'jp-mod-noInput{tag_cls}"{ident}>\n')
    if not outputs:
        return head + "</div>"
    return (head + '<div class="jp-Cell-outputWrapper">\n<div class="jp-Collapser jp-OutputCollapser '
            'jp-Cell-outputCollapser">\n</div>\n<div class="jp-OutputArea jp-Cell-outputArea">\n'
            f"{shown}\n</div>\n</div>\n</div>")


def page_body(nb: Any) -> str:
    """The ``<main>`` content of ``nb``'s page: its cells without code or prompts."""
    return "".join(_cell(c, i) for i, c in enumerate(nb.get("cells", []))
                   if not REMOVE_CELL_TAGS.intersection(c.get("metadata", {}).get("tags", []) or []))


def to_html(nb: Any, *, title: str, lang: Literal["zh", "en"] = "zh", name: str = "report") -> str:
    """The self-contained HTML page of executed notebook ``nb``.

    ``title`` (escaped by the template) becomes ``<title>``; ``lang`` the
    ``<html lang>`` attribute. Raises :class:`ReportContentError` if ``nb``
    shows an error or a traceback, or an output a page cannot show.
    """
    from markupsafe import Markup

    check_option("lang", lang, LANGS)
    check_no_errors(nb, name)
    template, css = _template()
    return template.render(lang=lang, title=title, body=Markup(page_body(nb)),
                           css={k: Markup(v) for k, v in css.items()})
