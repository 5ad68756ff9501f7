"""The report page writer (:func:`impact.report.html.to_html`) against nbconvert's exporter.

The reference is what the engine used before: nbconvert's ``HTMLExporter`` (lab template,
``--no-input``, no prompts, tag removal, images embedded) through the same page
template. Both pages are parsed with the standard library's HTML parser and compared:
the visible text, every element with its attributes (class lists normalised), and the
stylesheets. Real executed notebooks (two counties, one with article data and charts,
and the province) and a notebook with every output kind a report can show.
"""

from __future__ import annotations

import base64
import json
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from impact import config
from impact.report import html as page_html

REFERENCE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{% block extra_css %}{{ resources.impact_css }}{% endblock extra_css %}
"""


def _reference(nb, title: str, lang: str, tmp_path: Path) -> str:
    """nbconvert's page of ``nb``: the exporter and configuration the engine used before."""
    import re

    from nbconvert import HTMLExporter
    from traitlets.config import Config

    ours = (page_html.TEMPLATE_DIR / page_html.TEMPLATE_FILE).read_text(encoding="utf-8")
    first_style = re.search(r"<style.*?</style>", ours, re.S).group(0)
    (tmp_path / "ref.html.j2").write_text(REFERENCE_TEMPLATE, encoding="utf-8")
    cfg = Config()
    cfg.TagRemovePreprocessor.enabled = True
    cfg.TagRemovePreprocessor.remove_cell_tags = {"remove-cell", "remove_cell"}
    cfg.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output", "remove_output"}
    exporter = HTMLExporter(config=cfg, template_name="lab", template_file="ref.html.j2",
                            extra_template_paths=[str(tmp_path)], exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, embed_images=True, language_code=lang)
    body, _ = exporter.from_notebook_node(nbformat.from_dict(json.loads(json.dumps(nb))),
                                          resources={"metadata": {"name": title}, "impact_css": first_style})
    return body


class _Doc(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, tuple]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {k: (" ".join((v or "").split()) if k == "class" else v) for k, v in attrs}
        if a.get("name") != "generator":
            self.elements.append((tag, tuple(sorted(a.items()))))
        if tag not in {"meta", "img", "br", "hr", "link", "input", "col"}:
            self._open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_endtag(self, tag):
        if tag in self._open:
            while self._open.pop() != tag:
                pass

    def handle_data(self, data):
        if self._open and self._open[-1] == "style":
            self.styles.append(" ".join(data.split()))
        else:
            self.text.append(data)


def _parsed(page: str) -> _Doc:
    doc = _Doc()
    doc.feed(page)
    doc.close()
    return doc


def assert_same_page(ours: str, reference: str) -> None:
    a, b = _parsed(ours), _parsed(reference)
    assert " ".join(" ".join(a.text).split()) == " ".join(" ".join(b.text).split())
    assert a.elements == b.elements
    assert a.styles == b.styles


def _every_kind() -> nbformat.NotebookNode:
    v4 = nbformat.v4
    nb = v4.new_notebook(metadata={"language_info": {"name": "python"}})
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 40).decode("ascii")
    nb.cells = [
        v4.new_markdown_cell("# Title 标题\n\nSome *text* with `code`, a [link](https://example.org) and $x^2$.\n\n"
                             "## Part two\n\n- one\n- two\n\n<img src=\"data:image/png;base64,AAAA\">"),
        v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        v4.new_code_cell("print", outputs=[
            v4.new_output("stream", name="stdout", text="a < b & c\n"),
            v4.new_output("stream", name="stdout", text="second flush\n"),
            v4.new_output("stream", name="stderr", text="\x1b[31mwarned\x1b[0m\n")]),
        v4.new_code_cell("display", outputs=[
            v4.new_output("display_data", data={"text/html": "<p id=\"p1\" lang=\"en\">Hi</p><img src=\"x.png\">",
                                                "text/plain": "<HTML>"}),
            v4.new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"},
                          metadata={"image/png": {"width": 120, "height": 80}}),
            v4.new_output("display_data", data={"image/jpeg": png}, metadata={"needs_background": "light"}),
            v4.new_output("display_data", data={"image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg'/>"}),
            v4.new_output("display_data", data={"text/latex": "$a<b$", "text/plain": "a<b"}),
            v4.new_output("display_data", data={"text/markdown": "**bold** 粗体", "text/plain": "bold"}),
            v4.new_output("execute_result", data={"text/plain": "42 <int>"}, execution_count=3)]),
        v4.new_code_cell("hidden", metadata={"tags": ["remove-cell"]},
                         outputs=[v4.new_output("stream", name="stdout", text="never shown\n")]),
        v4.new_code_cell("no output", metadata={"tags": ["remove_output", "x&y"]},
                         outputs=[v4.new_output("stream", name="stdout", text="output removed\n")]),
        v4.new_raw_cell("<p>raw html</p>"),
    ]
    return nb


def test_every_output_kind_as_nbconvert(tmp_path):
    nb = _every_kind()
    ours = page_html.to_html(nb, title="标题 <a> & b", lang="en")
    assert_same_page(ours, _reference(nb, "标题 <a> & b", "en", tmp_path))
    assert "never shown" not in ours and "output removed" not in ours
    assert '<html lang="en">' in ours and "<title>标题 &lt;a&gt; &amp; b</title>" in ours
    assert ours.count(f'alt="{page_html.NO_ALT}"') == 5  # markdown img, html img, png, jpeg, svg


def test_output_only_a_script_can_show_fails_the_report():
    v4 = nbformat.v4
    nb = v4.new_notebook()
    nb.cells = [v4.new_code_cell("w", outputs=[v4.new_output("display_data", data={"application/javascript": "x()"})])]
    with pytest.raises(page_html.ReportContentError, match="cell 0: an output of type application/javascript"):
        page_html.to_html(nb, title="t")


@pytest.mark.skipif(not (config.DATA_PROCESSED / "manifest.json").is_file(),
                    reason="processed data not built (impact data build)")
def test_real_reports_as_nbconvert(tmp_path):
    """Two counties (景谷 with article data and charts, in Chinese and English; 五华 without) and the
    province, executed once."""
    from impact.pagecheck import text_problems
    from impact.report import batch, jobs

    todo = batch.county_jobs(["530824", "530102"], 2024, "zh", out_root=tmp_path / "r")
    todo += batch.county_jobs(["530824"], 2024, "en", out_root=tmp_path / "r")
    todo.append(batch.province_job(2024, "zh", out_root=tmp_path / "r"))
    from impact.report.warm import WarmKernel

    with WarmKernel() as kernel:
        results = [jobs.execute_job(job, kernel) for job in todo]
    assert [r.status for r in results] == ["ok"] * 4, [r.error for r in results]
    for job in todo:
        out = job.outputs()
        text = out["ipynb"].read_text(encoding="utf-8")
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)  # written without a second validation, still a valid nbformat 4 notebook
        assert nb.nbformat == 4 and text == nbformat.writes(nb)  # byte for byte what nbformat writes
        written = out["html"].read_text(encoding="utf-8")
        assert written == page_html.to_html(nb, title=job.title, lang=job.lang)
        assert_same_page(written, _reference(nb, job.title, job.lang, tmp_path))
        assert 'id="sec-' in written and 'src="data:image/png;base64,' in written
        # stderr (a font warning of the locator map) is the notebook's content, not the writer's: shown as before
        problems = [p for p in text_problems(written, lang=job.lang) if p.text != "notebook stderr output"]
        assert not problems, problems
