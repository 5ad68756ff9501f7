"""One report as a job: what it runs, its content hash, and running it with atomic outputs.

A :class:`Job` is one report (notebook + JSON-typed parameters + where it goes).
:func:`execute_job` runs it on a warm kernel and never raises: a failing report
(a cell raising, a traceback in an output, a kernel crash) becomes a failed
:class:`JobResult` with a one-line error and a log file, its stale outputs are
removed, and the other reports go on. Outputs are first written to hidden
temporary files in the target folder and then renamed over the targets
(:func:`staged`), so a half-written report is never visible. :func:`job_digest` is
the job's content hash (:mod:`impact.digest`); :func:`is_up_to_date` compares it with
the state file of the last run.

The batch (:mod:`impact.report.batch`) builds jobs and hands them to an executor
(:mod:`impact.report.executors`); both import this module, never each other's callers.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from impact import config
from impact.digest import combine, file_sha256, tree_digest
from impact.errors import ReportError
from impact.vocab import FORMATS, LANGS, Format, Lang  # noqa: F401 - re-exported for the batch

ENGINE_VERSION = "1"
PROVINCE_CODE = "530000"
PROVINCE_NAME = "云南省"

COUNTY_NOTEBOOK = config.NOTEBOOKS / "county_report.ipynb"
PROVINCE_NOTEBOOK = config.NOTEBOOKS / "province_report.ipynb"


# ----------------------------------------------------------------- jobs


@dataclass(frozen=True)
class Job:
    """One report to make. Paths are absolute strings (jobs travel to other processes)."""

    key: str
    kind: str  # "county" or "province"
    notebook: str
    parameters: dict[str, Any]
    out_dir: str
    stem: str
    title: str
    lang: str
    formats: tuple[str, ...]
    state_dir: str
    log_dir: str
    digest: str
    meta: dict[str, Any] = field(default_factory=dict)
    fonts: str = "windows"  # the Word file's font set (``docx``): "windows" or "official"

    def outputs(self) -> dict[str, Path]:
        """Output file of each kind (``ipynb``, ``html``, ``xlsx``; ``pdf`` and ``docx`` if asked)."""
        out = Path(self.out_dir)
        paths = {"ipynb": out / f"{self.stem}.ipynb", "html": out / f"{self.stem}.html",
                 "xlsx": out / f"{self.stem}.xlsx"}
        for kind in ("pdf", "docx"):
            if kind in self.formats:
                paths[kind] = out / f"{self.stem}.{kind}"
        return paths

    @property
    def state_file(self) -> Path:
        return Path(self.state_dir) / f"{self.stem}.json"

    @property
    def log_file(self) -> Path:
        return Path(self.log_dir) / f"{self.stem}.log"


@dataclass
class JobResult:
    """What happened to one :class:`Job`."""

    key: str
    stem: str
    status: str  # "ok", "skipped", "failed"
    seconds: float = 0.0
    error: str | None = None
    log: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")


@dataclass
class BatchSummary:
    """Results of a batch, in job order, and its wall time."""

    results: list[JobResult]
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[JobResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> list[JobResult]:
        return [r for r in self.results if r.status == "ok"]

    @property
    def skipped(self) -> list[JobResult]:
        return [r for r in self.results if r.status == "skipped"]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def as_text(self) -> str:
        """Plain summary: counts, wall time, then one line per failure with its log."""
        lines = [
            f"reports: {len(self.ok)} made, {len(self.skipped)} unchanged (skipped), {len(self.failed)} failed "
            f"in {self.seconds:.1f} s / 报告：生成 {len(self.ok)}，未变化跳过 {len(self.skipped)}，失败 {len(self.failed)}"
        ]
        lines += [f"note: {n}" for n in self.notes]
        if self.failed:
            lines.append("failed / 失败:")
            for r in self.failed:
                lines.append(f"  {r.stem}: {r.error} (log: {r.log})")
        return "\n".join(lines)


# ----------------------------------------------------------------- hashing


def inputs_digest(data_dir: str | os.PathLike[str], processed_dir: str | os.PathLike[str]) -> str:
    """Hash of every file under ``data_dir`` and ``processed_dir`` (:func:`impact.digest.tree_digest`;
    the derived ``report_cache`` left out)."""
    return combine([tree_digest(data_dir), tree_digest(processed_dir)])


def job_digest(notebook: str | os.PathLike[str], parameters: dict[str, Any], lang: str,
               formats: Sequence[str], inputs_digest: str, code: str, *, fonts: str = "windows") -> str:
    """Content hash of one report: notebook bytes + parameters + inputs + code
    (:func:`impact.digest.code_digest`) + :data:`ENGINE_VERSION` (+ the Word font set with ``docx``)."""
    key = {"parameters": parameters, "lang": lang, "formats": sorted(formats)}
    if "docx" in formats:
        key["fonts"] = fonts
    return combine([file_sha256(notebook), json.dumps(key, sort_keys=True, ensure_ascii=False),
                    inputs_digest, code, ENGINE_VERSION])


def is_up_to_date(job: Job) -> bool:
    """True when ``job``'s state file records its hash and every output exists."""
    try:
        state = json.loads(job.state_file.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return False
    return (state.get("status") == "ok" and state.get("digest") == job.digest
            and all(p.exists() for p in job.outputs().values() if p.suffix != ".xlsx" or state.get("has_xlsx")))


# ----------------------------------------------------------------- writing


@contextlib.contextmanager
def staged(targets: Sequence[Path]):
    """Yield hidden temp paths beside ``targets``; rename them over the targets on success.

    All contents are written before the first rename, and nothing is renamed if
    the block raises (the temporaries are removed).
    """
    temps: list[Path] = []
    try:
        for t in targets:
            t.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{t.name}.", suffix=".tmp", dir=t.parent)
            os.close(fd)
            os.chmod(name, 0o644)
            temps.append(Path(name))
        yield temps
        for tmp, t in zip(temps, targets):
            os.replace(tmp, t)
    finally:
        for tmp in temps:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


def _remove(paths: Iterable[Path]) -> None:
    for p in paths:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _one_line(err: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(err, PapermillExecutionError):
        text = f"cell [{err.exec_count}] raised {err.ename}: {err.evalue}"
    elif isinstance(err, ReportError):
        text = str(err)
    else:
        text = f"{type(err).__name__}: {err}"
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)
    return " ".join(text.split())[:500]


def _write_log(job: Job, err: BaseException, seconds: float) -> Path:
    from papermill.exceptions import PapermillExecutionError

    log = job.log_file
    log.parent.mkdir(parents=True, exist_ok=True)
    parts = [
        f"report: {job.stem} ({job.kind} {job.key})",
        f"notebook: {job.notebook}",
        f"parameters: {json.dumps(job.parameters, ensure_ascii=False, sort_keys=True)}",
        f"time: {time.strftime('%Y-%m-%dT%H:%M:%S%z')}  after {seconds:.1f} s",
        f"error: {_one_line(err)}",
        "",
    ]
    if isinstance(err, PapermillExecutionError):
        parts += ["failing cell source:", err.source, "", "traceback in the kernel:",
                  re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", "\n".join(err.traceback))]
    else:
        parts += ["traceback in the runner:", "".join(traceback.format_exception(err))]
    with staged([log]) as (tmp,):
        tmp.write_text("\n".join(parts) + "\n", encoding="utf-8")
    nb = getattr(err, "nb", None)
    if nb is not None:
        import nbformat

        with contextlib.suppress(Exception), staged([log.with_suffix(".failed.ipynb")]) as (tmp,):
            tmp.write_text(nbformat.writes(nb), encoding="utf-8")
    return log


def warm_exports() -> None:
    """Load what :func:`execute_job` writes reports with (the page template and its stylesheets,
    xlsxwriter) before the first report. Run while a kernel starts; an error here is met again,
    and reported, by the report that needs it. One template serves every language."""
    from impact.report import html

    try:
        html.warm()
        import xlsxwriter  # noqa: F401
    except (ImportError, ReportError):
        return


def execute_job(job: Job, kernel: Any) -> JobResult:
    """Run ``job`` on warm kernel ``kernel``; never raises (failures become a result)."""
    from impact.report import collect, excel
    from impact.report._fastimport import import_notebook_stack
    from impact.report.html import to_html

    import_notebook_stack()  # before papermill (kernel.run) or nbformat load jsonschema: see _fastimport

    t0 = time.perf_counter()
    out_dir = Path(job.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = job.outputs()
    side = Path(tempfile.mkdtemp(prefix=f".{job.stem}.collect-", dir=out_dir))
    try:
        nb = kernel.run(job.notebook, job.parameters, output_path=str(outputs["ipynb"]), collect_dir=str(side))
        page = to_html(nb, title=job.title, lang=job.lang, name=job.stem)
        tables = collect.read_tables(side)
        headlines = collect.read_headlines(side)
        # papermill read and validated the notebook and nbclient built its outputs: written without
        # validating it again (nbformat.v4's own writer, as nbformat.writes after its check)
        from nbformat.v4.nbjson import writes as ipynb_json

        ipynb_text = ipynb_json(nb)
        document = collect.read_document(side) if "docx" in job.formats else None
        if "docx" in job.formats and document is None:
            raise ReportError(f"{job.notebook}: the notebook registered no 绩效评价 document "
                              "(impact.report.collect.document), so no Word file can be written")
        kinds = ((["xlsx"] if tables else []) + ["ipynb"] + [k for k in ("pdf", "docx") if k in job.formats]
                 + ["html"])
        with staged([outputs[k] for k in kinds]) as temps:
            tmp = dict(zip(kinds, temps))
            if tables:
                excel.write_workbook(tables, tmp["xlsx"], title=job.title, parameters=job.parameters)
            tmp["ipynb"].write_text(ipynb_text, encoding="utf-8")
            tmp["html"].write_text(page, encoding="utf-8")
            if "pdf" in job.formats:
                from impact.report import pdf

                pdf.html_to_pdf(page, tmp["pdf"])
            if document is not None:
                from impact.report.docx import font_set, render_docx

                render_docx(document, tmp["docx"], fonts=font_set(job.fonts))
        if not tables:
            _remove([outputs["xlsx"]])
        seconds = time.perf_counter() - t0
        state = {"status": "ok", "digest": job.digest, "key": job.key, "kind": job.kind, "stem": job.stem,
                 "lang": job.lang, "title": job.title, "meta": job.meta, "headlines": headlines,
                 "has_xlsx": bool(tables), "outputs": {k: p.name for k, p in outputs.items()
                                                       if k != "xlsx" or tables},
                 "seconds": round(seconds, 3)}
        with staged([job.state_file]) as (tmp,):
            tmp.write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")
        _remove([job.log_file, job.log_file.with_suffix(".failed.ipynb")])
        return JobResult(job.key, job.stem, "ok", seconds, outputs={k: str(p) for k, p in outputs.items()
                                                                     if k != "xlsx" or tables})
    except Exception as err:  # noqa: BLE001 - the batch's one isolation point: any failure of this report
        # becomes a failed result with its log and state (counted in the summary, exit status 1)
        seconds = time.perf_counter() - t0
        try:
            log = str(_write_log(job, err, seconds))
        except OSError as log_err:
            log = f"(log not written: {log_err})"
        # Stale outputs of an earlier run no longer match the inputs: remove them.
        _remove(list(outputs.values()) + [job.state_file])
        failed_state = {"status": "failed", "digest": job.digest, "key": job.key, "kind": job.kind,
                        "stem": job.stem, "lang": job.lang, "title": job.title, "meta": job.meta,
                        "error": _one_line(err), "log": log}
        with contextlib.suppress(Exception), staged([job.state_file]) as (tmp,):
            tmp.write_text(json.dumps(failed_state, ensure_ascii=False, indent=1), encoding="utf-8")
        return JobResult(job.key, job.stem, "failed", seconds, error=_one_line(err), log=log)
    finally:
        shutil.rmtree(side, ignore_errors=True)


def year_dir(year: int, root: str | os.PathLike[str] | None = None) -> Path:
    """``reports/<year>`` (under ``root`` when given)."""
    return Path(root or config.REPORTS) / str(int(year))


def county_stem(code: str, name: str, lang: str) -> str:
    """``<code>_<official name>`` plus ``.en`` for English."""
    return f"{code}_{name}" + ("" if lang == "zh" else f".{lang}")
