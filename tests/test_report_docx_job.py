"""The Word file is one output of a report job, written from the document the notebook registered."""

from __future__ import annotations

import nbformat
import pytest

from impact.errors import ImpactError
from impact.report import batch

PARAMS = 'county = ""\nyear = 2024\nlang = "zh"\ndata_dir = ""\nprocessed_dir = ""'
REGISTER = ("from impact.evaluation.document import Document, Heading, Paragraph\n"
            "from impact.report import collect\n"
            "collect.document(Document(title='测试县绩效评价报告', blocks=[Heading('一、基本情况'), Paragraph('正文 ' + county)]))")


def _notebook(path, *cells: str):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(PARAMS, metadata={"tags": ["parameters"]}),
                *(nbformat.v4.new_code_cell(c) for c in cells)]
    nbformat.write(nb, path)
    return path


def test_docx_is_a_job_output_in_its_font_set(tmp_path):
    import docx

    nb = _notebook(tmp_path / "doc.ipynb", REGISTER)
    jobs = batch.county_jobs(["景谷县"], 2024, notebook=nb, out_dir=tmp_path / "out", formats=("html", "docx"),
                             fonts="official")
    assert set(jobs[0].outputs()) == {"html", "ipynb", "xlsx", "docx"}
    summary = batch.run_jobs(jobs, n_jobs=1, progress=False)
    assert summary.exit_code == 0, summary.as_text()
    path = jobs[0].outputs()["docx"]
    d = docx.Document(str(path))
    assert [p.text for p in d.paragraphs][:3] == ["测试县绩效评价报告", "一、基本情况", "正文 530824"]
    assert "方正小标宋简体" in d.paragraphs[0]._p.xml
    # up to date only with the same font set: the fonts are part of the content hash
    windows = batch.county_jobs(["景谷县"], 2024, notebook=nb, out_dir=tmp_path / "out", formats=("html", "docx"))
    assert windows[0].digest != jobs[0].digest
    assert batch.run_jobs(jobs, n_jobs=1, progress=False).skipped
    path.unlink()  # a missing Word file makes the report out of date
    assert batch.run_jobs(jobs, n_jobs=1, progress=False).ok


def test_docx_without_a_registered_document_fails_the_report(tmp_path):
    nb = _notebook(tmp_path / "nodoc.ipynb", "x = 1")
    jobs = batch.county_jobs(["景谷县"], 2024, notebook=nb, out_dir=tmp_path / "out", formats=("html", "docx"))
    summary = batch.run_jobs(jobs, n_jobs=1, progress=False)
    assert summary.exit_code == 1
    assert "registered no 绩效评价 document" in summary.failed[0].error
    assert not list((tmp_path / "out").glob("*.html"))  # nothing half-written


def test_unknown_font_set_is_refused_before_any_job(tmp_path):
    with pytest.raises(ImpactError, match="fonts"):
        batch.county_jobs(["景谷县"], 2024, out_dir=tmp_path, formats=("html", "docx"), fonts="comic")
