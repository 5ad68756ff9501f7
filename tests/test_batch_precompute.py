"""The batch runs the shared tables' precompute before the first report, through the executor
(which may overlap it with starting its kernels); a failing precompute stops the batch."""

from __future__ import annotations

import pytest

from impact.report import batch, executors
from impact.report.jobs import Job, JobResult


def _job(tmp_path, key: str) -> Job:
    (tmp_path / "nb.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    return Job(key=key, kind="county", notebook=str(tmp_path / "nb.ipynb"), parameters={}, out_dir=str(tmp_path),
               stem=key, title=key, lang="zh", formats=("html",), state_dir=str(tmp_path / ".state"),
               log_dir=str(tmp_path / "logs"), digest="d")


class _Recording:
    events: list[str] = []

    def __init__(self, n_jobs=None, scheduler=None):
        pass

    def run(self, jobs, preload, before=None):
        if before is not None:
            self.events.append("kernels starting")
            before()
        for job in jobs:
            self.events.append(f"report {job.key}")
            yield JobResult(job.key, job.stem, "ok")


@pytest.fixture
def recording(monkeypatch):
    _Recording.events = []
    monkeypatch.setitem(executors.EXECUTORS, "recording", _Recording)
    return _Recording.events


def test_precompute_runs_once_before_the_first_report(tmp_path, recording):
    jobs = [_job(tmp_path, "a"), _job(tmp_path, "b")]
    summary = batch.run_jobs(jobs, executor="recording", progress=False,
                             precompute=lambda: recording.append("precompute"))
    assert recording == ["kernels starting", "precompute", "report a", "report b"]
    assert [r.status for r in summary.results] == ["ok", "ok"]


def test_a_failing_precompute_stops_the_batch_before_any_report(tmp_path, recording):
    def broken() -> None:
        raise RuntimeError("shared tables failed")

    with pytest.raises(RuntimeError, match="shared tables failed"):
        batch.run_jobs([_job(tmp_path, "a")], executor="recording", progress=False, precompute=broken)
    assert not any(e.startswith("report") for e in recording)


def test_nothing_to_make_means_no_precompute(tmp_path, recording, monkeypatch):
    monkeypatch.setattr(batch, "is_up_to_date", lambda job: True)
    batch.run_jobs([_job(tmp_path, "a")], executor="recording", progress=False,
                   precompute=lambda: recording.append("precompute"))
    assert recording == []


def test_precompute_rebuilds_stale_built_data_before_hashing(tmp_path, monkeypatch):
    """Built data made by other code is rebuilt before the shared tables are hashed, so the
    reports (which rebuild it on first use) find the shared tables current."""
    import json

    from impact import config
    from impact.build import build, is_stale
    from impact.report import cache
    from impact.report.inputs import load_inputs

    proc = tmp_path / "processed"
    build(config.DATA_RAW, proc)
    manifest = json.loads((proc / "manifest.json").read_text(encoding="utf-8"))
    manifest["code_sha256"] = "0" * 64  # as if built by other code
    (proc / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert is_stale(proc)
    monkeypatch.setattr(cache, "compute_tables", lambda inputs, year: {})  # the hash is what is checked
    out = cache.precompute(2024, processed_dir=proc)
    assert not is_stale(proc)
    meta = json.loads((out / "meta.json").read_text(encoding="utf-8"))
    assert meta["inputs_sha256"] == load_inputs(processed_dir=proc).digest()
