"""A batch on a real Dask cluster: a scheduler and two workers as separate processes on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from impact.report import batch  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
REPORT_NB = FIXTURES / "report_fixture.ipynb"
DASK = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")

pytestmark = [pytest.mark.dask, pytest.mark.skipif(DASK is None, reason="the 'dask' command is not installed")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def cluster(tmp_path):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ)
    procs = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)]
    try:
        for i in range(2):
            procs.append(subprocess.Popen(
                [DASK, "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-dashboard",
                 "--local-directory", str(tmp_path / f"w{i}"), "--name", f"w{i}"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env))
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_batch_runs_on_two_dask_workers(cluster, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "programs.csv").write_text(
        "county_code,program,funds\n530824,a,1000\n530102,b,oops\n530103,c,3000\n530111,d,4000\n", encoding="utf-8")
    summary = batch.run_all(2024, counties=["530824", "530102", "530103", "530111"], executor="dask",
                            scheduler=cluster, notebook=REPORT_NB, out_root=tmp_path / "r", data_dir=data,
                            processed_dir=tmp_path / "proc", progress=False, run_precompute=False)
    assert [r.status for r in summary.results] == ["ok", "failed", "ok", "ok"]
    assert summary.exit_code == 1 and "could not convert string to float" in summary.results[1].error
    workers = {r.worker for r in summary.results if r.status == "ok"}
    here = f"{socket.gethostname()}:{os.getpid()}"
    assert here not in workers
    pages = sorted(p.name for p in (tmp_path / "r" / "2024" / "counties").glob("*.html"))
    assert pages == ["530103_盘龙区.html", "530111_官渡区.html", "530824_景谷傣族彝族自治县.html"]
    for name in pages:
        text = (tmp_path / "r" / "2024" / "counties" / name).read_text(encoding="utf-8")
        assert "data:image/png;base64," in text and "Traceback" not in text
    # both workers took part (one warm kernel each)
    assert len(workers) == 2
