"""The in-process engine: same notebook as papermill on a kernel, reset between reports, a time
limit, the host process untouched, and a worker killed by a notebook not failing the batch."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import nbformat
import pytest
from papermill.exceptions import PapermillExecutionError

from _notebooks import normalize

from impact.report import batch
from impact.report.inprocess import InProcessRunner
from impact.report.warm import WarmKernel, notebook_imports

FIXTURES = Path(__file__).parent / "fixtures"
REPORT_NB = FIXTURES / "report_fixture.ipynb"
LEAK_NB = FIXTURES / "leak_probe.ipynb"




def _notebook(tmp_path: Path, name: str, *sources: str, params: str = "x = 0") -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def runner():
    return InProcessRunner(notebook_imports(REPORT_NB) + notebook_imports(LEAK_NB)).start()


def test_same_notebook_as_papermill_on_a_kernel(runner, tmp_path):
    """Parameters cell, papermill metadata, cell status, counts and every output equal the kernel's."""
    parameters = {"county": "530102", "year": 2023, "lang": "en"}
    kernel = WarmKernel(notebook_imports(REPORT_NB)).start()
    try:
        theirs = kernel.run(REPORT_NB, parameters, output_path=str(tmp_path / "a.ipynb"))
    finally:
        kernel.stop()
    runner.run(REPORT_NB, {"county": "530824", "year": 2024})  # one before: this one runs after a reset
    ours = runner.run(REPORT_NB, parameters, output_path=str(tmp_path / "a.ipynb"))
    a, b = normalize(theirs), normalize(ours)
    assert a["metadata"] == b["metadata"]
    assert len(a["cells"]) == len(b["cells"])
    for ca, cb in zip(a["cells"], b["cells"]):
        assert ca == cb
    assert any("injected-parameters" in c["metadata"].get("tags", []) for c in b["cells"])
    kinds = {o["output_type"] for c in b["cells"] for o in c["outputs"] or []}
    assert {"stream", "display_data"} <= kinds
    assert any("image/png" in o.get("data", {}) for c in b["cells"] for o in c["outputs"] or [])


def test_a_report_after_another_sees_a_fresh_state(runner):
    fresh = runner.run(LEAK_NB, {"pollute": False})
    runner.run(LEAK_NB, {"pollute": True})
    after = runner.run(LEAK_NB, {"pollute": False})

    def seen(nb):
        outs = [o for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stdout"]
        return json.loads(outs[0]["text"])

    assert seen(fresh) == seen(after)
    assert seen(after)["leaked_var"] is False and seen(after)["open_figs"] == 0 and seen(after)["env"] is None
    assert [c.execution_count for c in after.cells if c.cell_type == "code"][:3] == [1, 2, 3]
    warn = [o for o in after.cells[-2].outputs if o.get("name") == "stderr"]
    assert warn and "probe warning shown every run" in warn[0]["text"]
    assert normalize(fresh)["cells"] == normalize(after)["cells"]


def test_the_host_process_is_left_as_it_was(runner, tmp_path, capsys):
    import os
    import warnings

    import matplotlib

    hooks = (sys.stdout, sys.stderr, sys.displayhook, sys.excepthook, sys.modules["__main__"])
    cwd, env, filters = os.getcwd(), dict(os.environ), list(warnings.filters)
    backend = matplotlib.rcParams._get_backend_or_none()
    nb = _notebook(tmp_path, "noisy.ipynb", "import os, sys, warnings\nprint('to the cell')\n"
                   "print('err', file=sys.stderr)\nos.chdir('/')\nos.environ['IMPACT_X'] = '1'\n"
                   "warnings.simplefilter('error')\n1 + 1")
    out = runner.run(nb, {})
    assert [o["output_type"] for o in out.cells[-1].outputs] == ["stream", "stream", "execute_result"]
    assert out.cells[-1].outputs[-1]["data"]["text/plain"] == "2"
    assert (sys.stdout, sys.stderr, sys.displayhook, sys.excepthook, sys.modules["__main__"]) == hooks
    assert (os.getcwd(), dict(os.environ), list(warnings.filters)) == (cwd, env, filters)
    assert matplotlib.rcParams._get_backend_or_none() == backend
    assert "to the cell" not in capsys.readouterr().out


def test_a_report_over_its_time_limit_fails_and_the_next_runs(runner, tmp_path):
    nb = _notebook(tmp_path, "sleepy.ipynb", "import time\ntry:\n    time.sleep(30)\nexcept Exception:\n"
                   "    pass  # the limit is not an Exception: this cannot swallow it", params="x = 1")
    t0 = time.perf_counter()
    with pytest.raises(PapermillExecutionError) as info:
        runner.run(nb, {}, execution_timeout=1)
    assert time.perf_counter() - t0 < 10
    assert info.value.ename == "ReportTimeout" and "time limit" in info.value.evalue
    assert info.value.nb is not None
    import signal

    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    ok = runner.run(_notebook(tmp_path, "quick.ipynb", "print(x + 1)"), {"x": 2}, execution_timeout=1)
    assert ok.cells[-1].outputs[0]["text"] == "3\n"


def test_a_worker_killed_by_a_notebook_fails_that_report_only(tmp_path):
    """os._exit in one county's notebook: the pool restarts, the others are made, that one fails
    with a clear error after being run again once."""
    nb = _notebook(tmp_path, "exit.ipynb", "import os\nif county == '530102':\n    os._exit(3)\n"
                   "print('made', county)", params='county = "530824"\nyear = 2024\nlang = "zh"\n'
                   'data_dir = ""\nprocessed_dir = ""')
    counties = ["530824", "530102", "530103", "530111"]
    summary = batch.run_all(2024, counties=counties, n_jobs=2, notebook=nb, out_root=tmp_path / "r",
                            data_dir=tmp_path / "d", processed_dir=tmp_path / "p", progress=False,
                            run_precompute=False, write_index=False)
    status = {r.key: r.status for r in summary.results}
    assert status == {"530824": "ok", "530102": "failed", "530103": "ok", "530111": "ok"}
    (bad,) = summary.failed
    assert "died twice" in bad.error


# ------------------------------------------------------------------ the real county notebook


@pytest.mark.skipif(not (__import__("impact.config", fromlist=["x"]).DATA_PROCESSED
                         / "county_panel_simulated.parquet").is_file(), reason="run `impact data build` first")
def test_real_county_report_same_outputs_as_on_a_kernel(tmp_path):
    """景谷 2024 on the real notebook: the same outputs (types, HTML, PNG bytes, text) from a warm
    kernel and in this process after another county, and the same page."""
    from impact.report.html import to_html

    job = batch.county_jobs(["530824"], 2024, out_root=tmp_path)[0]
    kernel = WarmKernel(notebook_imports(job.notebook)).start()
    try:
        theirs = kernel.run(job.notebook, job.parameters, collect_dir=str(tmp_path / "k"))
    finally:
        kernel.stop()
    runner = InProcessRunner(notebook_imports(job.notebook)).start()
    other = batch.county_jobs(["530102"], 2024, out_root=tmp_path)[0]
    runner.run(other.notebook, other.parameters, collect_dir=str(tmp_path / "o"))
    ours = runner.run(job.notebook, job.parameters, collect_dir=str(tmp_path / "i"))
    a, b = normalize(theirs), normalize(ours)
    assert a["metadata"] == b["metadata"]
    # text exactly; figures pixel by pixel: a chart's values can differ in the last bit between
    # processes (numpy's float sums depend on memory alignment), which may move an antialiased edge
    ta, ia = _split_images(json.dumps([c["outputs"] for c in a["cells"]], sort_keys=True))
    tb, ib = _split_images(json.dumps([c["outputs"] for c in b["cells"]], sort_keys=True))
    assert ta == tb
    _same_pictures(ia, ib)
    assert [c["count"] for c in a["cells"]] == [c["count"] for c in b["cells"]]
    htmls = ["".join(o["data"]["text/html"]) for c in b["cells"] for o in c["outputs"] or []
             if "text/html" in o.get("data", {})]
    assert htmls and sum(h.count("data:image/png;base64,") for h in htmls) >= 3  # the figures, embedded
    for nb in (theirs, ours):  # papermill gives its injected cell a new random id on every run
        for cell in nb.cells:
            if "injected-parameters" in cell.metadata.get("tags", []):
                cell.id = "injected-parameters"
    page = dict(title="景谷", lang="zh", name=job.stem)
    pa, ja = _split_images(to_html(theirs, **page))
    pb, jb = _split_images(to_html(ours, **page))
    assert pa == pb
    _same_pictures(ja, jb)


def _split_images(text: str) -> tuple[str, list[str]]:
    """``text`` with every base64 PNG replaced by a placeholder, and the PNGs in order."""
    import re

    images: list[str] = []

    def keep(m):
        images.append(m.group(0))
        return "PNG"

    return re.sub(r"iVBORw0KGgo[A-Za-z0-9+/=]+", keep, text), images


def _same_pictures(a: list[str], b: list[str]) -> None:
    """Same number of PNGs, each the same size, differing on at most 0.1% of pixels (an edge moved
    by one pixel by a last-bit difference in the plotted values; seen: 20 pixels of 600,000)."""
    import base64
    import io

    import numpy as np
    from PIL import Image

    assert len(a) == len(b) > 0
    for x, y in zip(a, b):
        if x == y:
            continue
        px = np.asarray(Image.open(io.BytesIO(base64.b64decode(x))).convert("RGBA"), dtype=int)
        py = np.asarray(Image.open(io.BytesIO(base64.b64decode(y))).convert("RGBA"), dtype=int)
        assert px.shape == py.shape
        diff = np.abs(px - py).max(axis=-1)
        assert (diff > 0).mean() < 0.001, ((diff > 0).mean(), diff.max())


# ------------------------------------------------------------------ province in the same batch


def test_report_all_with_province_sends_it_first_in_one_batch(tmp_path, monkeypatch):
    from impact.report import executors, index
    from impact.report.jobs import JobResult

    calls: list[list[str]] = []

    class Recording:
        mixed_notebooks = True

        def __init__(self, n_jobs=None, scheduler=None, engine=None):
            pass

        def run(self, jobs, preload, before=None):
            calls.append([j.key for j in jobs])
            assert "impact.report.county" in preload and "impact.report.province" in preload
            for job in jobs:
                yield JobResult(job.key, job.stem, "ok")

    written: list[int] = []
    monkeypatch.setitem(executors.EXECUTORS, "recording", Recording)
    monkeypatch.setattr(index, "write_index", lambda year, root=None: written.append(year))
    summary = batch.run_all(2024, counties=["530824", "530102"], executor="recording", province=True,
                            out_root=tmp_path, progress=False, run_precompute=False)
    assert calls == [["province", "530824", "530102"]]
    assert [r.key for r in summary.results] == ["province", "530824", "530102"]
    assert written == [2024]


def test_threads_and_dask_run_on_kernels_only():
    from impact.errors import ReportError
    from impact.report.executors import get_executor

    assert get_executor("local", n_jobs=2).engine == "inprocess"
    assert get_executor("local", n_jobs=2, engine="kernel").engine == "kernel"
    with pytest.raises(ReportError, match="--engine inprocess cannot be used with --executor threads"):
        get_executor("threads", n_jobs=2, engine="inprocess")


def test_reset_gives_reports_the_rc_file_values_whatever_the_host_set():
    """A report sees matplotlib's rc file values, as in a fresh kernel: what an earlier report,
    or the host process running reports in process, set (before or after the snapshot) is undone."""
    import matplotlib

    from impact.report import _kernelside as ks

    saved, host = dict(ks._STATE), matplotlib.rcParams["lines.linewidth"]
    try:
        matplotlib.rcParams["lines.linewidth"] = 6.5  # the host's setting, before the snapshot
        ks.snapshot()
        ks.reset(None)
        assert matplotlib.rcParams["lines.linewidth"] == matplotlib.rcParamsOrig["lines.linewidth"] != 6.5
        matplotlib.rcParams["lines.linewidth"] = 7.5  # a report's setting
        ks.reset(None)
        assert matplotlib.rcParams["lines.linewidth"] == matplotlib.rcParamsOrig["lines.linewidth"]
    finally:
        matplotlib.rcParams["lines.linewidth"] = host
        ks._STATE.clear()
        ks._STATE.update(saved)
