"""The report engine: parameters, warm kernels vs plain papermill, HTML, batch, index, CLI."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from _notebooks import normalize

from impact.errors import ReportError
from impact.report import batch, collect, html, params
from impact.report.warm import WarmKernel, notebook_imports

FIXTURES = Path(__file__).parent / "fixtures"
REPORT_NB = FIXTURES / "report_fixture.ipynb"
LEAK_NB = FIXTURES / "leak_probe.ipynb"
COUNTIES = ["530824", "530102", "530103"]  # 景谷, 五华, 盘龙



@pytest.fixture(scope="module")
def warm():
    kernel = WarmKernel(notebook_imports(REPORT_NB)).start()
    yield kernel
    kernel.stop()




# ------------------------------------------------------------------ parameters


def test_inspect_parameters_reads_names_defaults_and_help():
    declared = params.inspect_parameters(REPORT_NB)
    assert list(declared) == ["county", "year", "lang", "data_dir", "processed_dir"]
    assert declared["year"].default == 2024 and declared["year"].type_name == "int"
    assert declared["county"].help == "county code"


def _nb_with(source: str, tags=("parameters",)) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source, metadata={"tags": list(tags)})]
    return nb


def test_missing_parameters_tag_fails(tmp_path):
    p = tmp_path / "untagged.ipynb"
    nbformat.write(_nb_with("year = 2024", tags=()), p)
    with pytest.raises(ReportError, match="no cell tagged 'parameters'"):
        params.inspect_parameters(p)


def test_non_literal_default_fails(tmp_path):
    p = tmp_path / "call.ipynb"
    nbformat.write(_nb_with("import datetime\nwhen = datetime.date.today()"), p)
    with pytest.raises(ReportError, match="'when' is not a literal"):
        params.inspect_parameters(p)


def test_only_json_typed_known_parameters_pass():
    declared = params.inspect_parameters(REPORT_NB)
    assert params.check_parameters(declared, {"county": "530824", "year": 2024}) == {"county": "530824", "year": 2024}
    with pytest.raises(ReportError, match="type PosixPath; expected a JSON type"):
        params.check_parameters(declared, {"data_dir": Path("/tmp")})
    with pytest.raises(ReportError, match="unknown parameter 'region'"):
        params.check_parameters(declared, {"region": "x"})
    with pytest.raises(ReportError, match="finite number"):
        params.check_parameters(declared, {"year": float("nan")})


# ------------------------------------------------------------------ kernel


def test_kernel_uses_this_interpreter_over_ipc(warm):
    info = warm.km.get_connection_info()
    assert info["transport"] == "ipc"
    args = warm.km.provisioner.process.args
    assert args[:3] == [sys.executable, "-m", "ipykernel_launcher"]
    folder = Path(info["ip"]).parent
    assert oct(folder.stat().st_mode & 0o777) == "0o700"


# ------------------------------------------------------------------ identical to papermill


def test_warm_kernel_output_identical_to_plain_papermill(warm, tmp_path):
    import papermill

    out = tmp_path / "plain.ipynb"
    parameters = {"county": "530102", "year": 2023, "lang": "en"}
    papermill.execute_notebook(str(REPORT_NB), str(out), parameters=parameters, progress_bar=False)
    plain = nbformat.read(out, as_version=4)
    # a report before, so this one runs on a used (reset) kernel
    warm.run(REPORT_NB, {"county": "530824", "year": 2024})
    ours = warm.run(REPORT_NB, parameters, output_path=str(out))
    a, b = normalize(plain), normalize(ours)
    assert a["metadata"] == b["metadata"]
    assert [c["source"] for c in a["cells"]] == [c["source"] for c in b["cells"]]
    assert any("injected-parameters" in c["metadata"].get("tags", []) for c in b["cells"])
    for ca, cb in zip(a["cells"], b["cells"]):
        assert ca == cb
    # the numbers themselves: the printed total and the DataFrame
    text = "".join("".join(o.get("text", "")) for c in b["cells"] for o in (c["outputs"] or []))
    assert "county 530102 year 2023 lang en total" in text


def test_no_state_leaks_between_reports(warm):
    leak = WarmKernel(notebook_imports(LEAK_NB)).start()
    try:
        fresh = leak.run(LEAK_NB, {"pollute": False})
        leak.run(LEAK_NB, {"pollute": True})
        after = leak.run(LEAK_NB, {"pollute": False})
    finally:
        leak.stop()

    def seen(nb):
        outs = [o for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stdout"]
        return json.loads(outs[0]["text"])

    first, second = seen(fresh), seen(after)
    assert first == second
    assert first == {"axes_grid": False, "cwd_tmp": False, "env": None, "exec_count": first["exec_count"],
                     "leaked_var": False, "lines_lw": first["lines_lw"], "max_rows": 60, "open_figs": 0,
                     "path": False}
    assert first["lines_lw"] != 9.0
    # execution counters restart at 1, so numbering matches a fresh kernel
    assert [c.execution_count for c in after.cells if c.cell_type == "code"][:3] == [1, 2, 3]
    # a warning shown in the first report is shown again in the next one
    warn = [o for o in after.cells[-2].outputs if o.get("name") == "stderr"]
    assert warn and "probe warning shown every run" in warn[0]["text"]


# ------------------------------------------------------------------ HTML


def _programs_csv(folder: Path, rows: list[tuple[str, str, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["county_code,program,funds"] + [",".join(r) for r in rows]
    (folder / "programs.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_html_hides_code_embeds_figures_and_escapes_data(warm, tmp_path):
    data = _programs_csv(tmp_path / "data", [("530824", "<script>alert(1)</script>", "1000"),
                                             ("530824", "茶叶 tea", "2500")])
    nb = warm.run(REPORT_NB, {"county": "530824", "data_dir": str(data)})
    page = html.to_html(nb, title="景谷 <报告>", lang="en")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    assert not re.search(r"<script\b", page), "report pages carry no script at all"
    assert "import seaborn" not in page and "sns.barplot" not in page
    for cls in ("jp-InputArea-editor", "jp-InputPrompt", "jp-OutputPrompt", "jp-CodeMirrorEditor"):
        assert not re.search(rf'class="[^"]*\b{cls}\b', page), cls
    assert len(re.findall(r'<img[^>]*src="data:image/png;base64,', page)) == 1
    assert not re.search(r'(src|href)="https?://', page)
    assert '<html lang="en">' in page and "<title>景谷 &lt;报告&gt;</title>" in page
    assert "@media print" in page
    assert "3,500" in page or "3500" in page  # the total of the two programs


def test_traceback_in_output_fails_the_report(warm, tmp_path):
    nb = warm.run(REPORT_NB, {"county": "530824"})
    assert html.find_errors(nb) == []
    nb.cells[-1].outputs.append(nbformat.v4.new_output(
        "stream", name="stderr",
        text="Traceback (most recent call last):\n  File \"x.py\", line 1\nZeroDivisionError: division by zero\n"))
    with pytest.raises(html.ReportContentError, match="ZeroDivisionError"):
        html.to_html(nb, title="t")
    nb.cells[-1].outputs = [nbformat.v4.new_output("error", ename="KeyError", evalue="'x'", traceback=[])]
    with pytest.raises(html.ReportContentError, match="KeyError"):
        html.to_html(nb, title="t")


# ------------------------------------------------------------------ atomic writes


def test_staged_writes_all_or_nothing(tmp_path):
    a, b = tmp_path / "a.html", tmp_path / "b.ipynb"
    a.write_text("old a")
    with pytest.raises(RuntimeError):
        with batch.staged([a, b]) as (ta, tb):
            ta.write_text("new a")
            raise RuntimeError("crash while writing b")
    assert a.read_text() == "old a" and not b.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html"]
    with batch.staged([a, b]) as (ta, tb):
        ta.write_text("new a")
        tb.write_text("new b")
        assert a.read_text() == "old a"  # nothing visible before the block ends
    assert a.read_text() == "new a" and b.read_text() == "new b"


# ------------------------------------------------------------------ batch


def _hidden(root: Path) -> list[Path]:
    return [p for p in root.rglob(".*") if p.name != ".state" and ".state" not in p.parts[:-1]]


def test_batch_isolates_a_failing_county(tmp_path):
    """One county's data is broken: the others complete, the summary names it, exit code 1."""
    data = _programs_csv(tmp_path / "data", [("530824", "ok", "1000"), ("530102", "broken", "12 万"),
                                             ("530103", "ok", "3000")])
    out = tmp_path / "reports"
    # a stale report of the failing county from an earlier run must not survive
    stale = out / "2024" / "counties" / "530102_五华区.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    res = CliRunner().invoke(
        __import__("impact.cli.report", fromlist=["cli"]).cli,
        ["all", "--year", "2024", "--counties", ",".join(COUNTIES), "--jobs", "2", "--notebook", str(REPORT_NB),
         "--reports-dir", str(out), "--data-dir", str(data), "--processed-dir", str(tmp_path / "proc"),
         "--no-progress"],
    )
    assert res.exit_code == 1, res.output
    assert "2 made" in res.output and "1 failed" in res.output
    assert re.search(r"530102_五华区: cell \[\d+\] raised ValueError: could not convert string to float", res.output)
    counties = out / "2024" / "counties"
    names = sorted(p.name for p in counties.iterdir())
    assert names == sorted(f"{s}.{ext}" for s in ("530824_景谷傣族彝族自治县", "530103_盘龙区")
                           for ext in ("html", "ipynb", "xlsx"))
    log = out / "2024" / "logs" / "530102_五华区.log"
    assert "ValueError" in log.read_text(encoding="utf-8") and "12 万" in log.read_text(encoding="utf-8")
    assert (out / "2024" / "logs" / "530102_五华区.failed.ipynb").exists()
    assert _hidden(out / "2024" / "counties") == []
    index = (out / "2024" / "index.html").read_text(encoding="utf-8")
    assert "失败 failed" in index and 'href="counties/530824_' in index


def test_skip_unchanged_and_force(tmp_path):
    data = _programs_csv(tmp_path / "data", [("530824", "a", "1000"), ("530103", "b", "2000")])
    kw = dict(counties=["景谷县", "盘龙区"], n_jobs=1, notebook=REPORT_NB, out_root=tmp_path / "r", data_dir=data,
              processed_dir=tmp_path / "proc", progress=False, run_precompute=False)
    first = batch.run_all(2024, **kw)
    assert [r.status for r in first.results] == ["ok", "ok"]
    page = tmp_path / "r" / "2024" / "counties" / "530824_景谷傣族彝族自治县.html"
    mtime = page.stat().st_mtime_ns
    second = batch.run_all(2024, **kw)
    assert [r.status for r in second.results] == ["skipped", "skipped"]
    assert page.stat().st_mtime_ns == mtime
    # changed input data: both re-made
    _programs_csv(data, [("530824", "a", "1500"), ("530103", "b", "2000")])
    third = batch.run_all(2024, **kw)
    assert [r.status for r in third.results] == ["ok", "ok"]
    assert "1,500" in page.read_text(encoding="utf-8") or "1500.0" in page.read_text(encoding="utf-8")
    fourth = batch.run_all(2024, force=True, executor="threads", **kw)  # the threads executor too
    assert [r.status for r in fourth.results] == ["ok", "ok"]
    assert page.stat().st_mtime_ns != mtime
    # the workbook holds the registered table, the index the headline figure
    import pandas as pd

    sheets = pd.read_excel(page.with_suffix(".xlsx"), sheet_name=None)
    assert list(sheets) == ["说明", "帮扶项目"]  # a zh report: Chinese sheet names and headers
    assert sheets["帮扶项目"]["资金"].tolist() == [1500.0]
    index = (tmp_path / "r" / "2024" / "index.html").read_text(encoding="utf-8")
    assert "资金 funds (元)" in index and "1,500" in index


def test_index_escapes_text_and_links_reports(tmp_path):
    from impact.report.index import render_index

    ydir = tmp_path / "2024"
    (ydir / ".state").mkdir(parents=True)
    (ydir / "counties").mkdir()
    (ydir / "counties" / "530824_景谷傣族彝族自治县.html").write_text("x")
    state = {"status": "ok", "kind": "county", "key": "530824", "lang": "zh",
             "meta": {"name": "景谷傣族彝族自治县", "prefecture": "普洱市"},
             "headlines": {"top": {"value": "<b>bold</b>", "label": "最大项目 <i>", "unit": None},
                           "funds": {"value": 1234567.0, "label": "资金", "unit": "元"}},
             "outputs": {"html": "530824_景谷傣族彝族自治县.html"}}
    (ydir / ".state" / "a.json").write_text(json.dumps(state, ensure_ascii=False))
    (ydir / ".state" / "p.json").write_text(json.dumps({"status": "failed", "kind": "province", "key": "province",
                                                        "lang": "zh", "error": "boom"}))
    page = render_index(2024, root=tmp_path)
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "最大项目 &lt;i&gt;" in page and "<b>bold" not in page
    assert 'href="counties/530824_%E6%99%AF' in page
    assert 'data-sort="1234567.0">1,234,567' in page
    assert "省级年度评估报告: 失败" in page  # each language's own word (the English half is marked lang=en)
    assert page.count("<script>") == 1 and "aria-sort" in page


# ------------------------------------------------------------------ CLI


def test_cli_unknown_county_one_clear_line_nothing_written(tmp_path):
    from impact.cli import cli

    res = CliRunner().invoke(cli, ["report", "county", "不存在县", "--year", "2024", "--reports-dir", str(tmp_path)])
    assert res.exit_code != 0
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "不存在县" in lines[0] and "closest" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_cli_help_in_english_and_chinese():
    from impact.cli.report import cli

    for cmd in ([], ["county"], ["all"], ["province"], ["index"]):
        res = CliRunner().invoke(cli, [*cmd, "--help"])
        assert res.exit_code == 0
        assert re.search(r"[\u4e00-\u9fff]", res.output) and re.search(r"\b(report|Make|Write)", res.output)


def test_collect_is_a_no_op_outside_the_engine(monkeypatch, tmp_path):
    import pandas as pd

    monkeypatch.delenv(collect.COLLECT_ENV, raising=False)
    df = pd.DataFrame({"a": [1]})
    assert collect.table("t", df) is df and collect.headline("h", 1.0) == 1.0
    monkeypatch.setenv(collect.COLLECT_ENV, str(tmp_path))
    collect.table("t", df)
    collect.headline("h", 2.5, label="L", unit="元")
    assert list(collect.read_tables(tmp_path)) == ["t"]
    assert collect.read_headlines(tmp_path) == {"h": {"value": 2.5, "label": "L", "unit": "元"}}
    with pytest.raises(ReportError, match="not valid"):
        collect.table("bad name!", df)


def test_pdf_without_chromium_is_a_clear_error(monkeypatch, tmp_path):
    from impact.cli import cli
    from impact.report import pdf

    monkeypatch.setenv("IMPACT_CHROMIUM", str(tmp_path / "no-such-chromium"))
    assert pdf.chromium_path() is None
    res = CliRunner().invoke(cli, ["report", "county", "景谷县", "--year", "2024", "--format", "pdf",
                                   "--reports-dir", str(tmp_path / "r"), "--notebook", str(REPORT_NB)])
    assert res.exit_code != 0
    assert "needs headless Chromium" in res.output and "apt-get install chromium" in res.output
    assert not (tmp_path / "r").exists()


def test_kernel_crash_fails_one_report_and_the_kernel_restarts(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("crash = False", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("import os\nif crash:\n    os._exit(1)"),
                nbformat.v4.new_code_cell("print('alive', os.getpid())")]
    path = tmp_path / "crash.ipynb"
    nbformat.write(nb, path)
    kernel = WarmKernel(notebook_imports(path)).start()
    try:
        pid = kernel.km.provisioner.process.pid
        with pytest.raises(Exception) as info:
            kernel.run(path, {"crash": True})
        assert "dead" in f"{type(info.value).__name__} {info.value}".lower()
        out = kernel.run(path, {"crash": False})
        assert out.cells[-1].outputs[0]["text"].startswith("alive")
        assert kernel.km.provisioner.process.pid != pid
    finally:
        kernel.stop()


def test_county_with_out_dir_keeps_everything_there(tmp_path):
    out = tmp_path / "mine"
    summary = batch.run_county("普洱市景谷县", 2024, out_dir=out, notebook=REPORT_NB, out_root=tmp_path / "reports",
                               data_dir=tmp_path / "none", processed_dir=tmp_path / "none")
    assert summary.exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        ".state", "530824_景谷傣族彝族自治县.html", "530824_景谷傣族彝族自治县.ipynb", "530824_景谷傣族彝族自治县.xlsx"]
    assert not (tmp_path / "reports").exists()
    nb = nbformat.read(out / "530824_景谷傣族彝族自治县.ipynb", as_version=4)
    assert nb.metadata.papermill.parameters["county"] == "530824"
    assert nb.metadata.papermill.output_path == str(out / "530824_景谷傣族彝族自治县.ipynb")
