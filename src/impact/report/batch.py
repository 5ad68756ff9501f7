"""Make many reports: parallel, isolated failures, atomic outputs, skip unchanged.

Layout of one year's reports (``reports/<year>/``)::

    counties/<code>_<official name>.{html,ipynb,xlsx}   # zh (default language)
    counties/<code>_<official name>.en.{html,ipynb,xlsx} # en
    province/530000_云南省.{html,ipynb,xlsx}
    index.html                                           # see impact.report.index
    logs/<stem>.log, logs/<stem>.failed.ipynb            # failures only
    .state/<stem>.json                                   # content hash, headlines, outputs

A :class:`Job` is one report (notebook + JSON-typed parameters + where it goes).
:func:`execute_job` runs it on a warm kernel and never raises: a failing report
(a cell raising, a traceback in an output, a kernel crash) becomes a failed
:class:`JobResult` with a one-line error and a log file, its stale outputs are
removed, and the other reports go on. Outputs are first written to hidden
temporary files in the target folder and then renamed over the targets
(``os.replace``), so a half-written report is never visible.

Skipping: a report is up to date when its state file records the same content
hash, which covers the notebook file, the parameters, the language and formats,
every input file under ``data_dir`` and ``processed_dir`` (except the derived
``report_cache``), the code of the ``impact`` package, the notebooks and the versions
of the libraries that shape the output (:mod:`impact.digest`, the one content hash
also used by the build and the shared report tables). ``force=True`` remakes
everything, the shared tables of :mod:`impact.report.cache` included.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, Sequence

from impact import config
from impact.digest import code_digest, combine, file_sha256, tree_digest
from impact.errors import ReportError
from impact.results import check_option

Lang = Literal["zh", "en"]
Format = Literal["html", "pdf"]
LANGS: tuple[str, ...] = ("zh", "en")
FORMATS: tuple[str, ...] = ("html", "pdf")
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

    def outputs(self) -> dict[str, Path]:
        """Output file of each kind (``ipynb``, ``html``, ``xlsx`` and ``pdf`` if asked)."""
        out = Path(self.out_dir)
        paths = {"ipynb": out / f"{self.stem}.ipynb", "html": out / f"{self.stem}.html",
                 "xlsx": out / f"{self.stem}.xlsx"}
        if "pdf" in self.formats:
            paths["pdf"] = out / f"{self.stem}.pdf"
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
               formats: Sequence[str], inputs_digest: str, code: str) -> str:
    """Content hash of one report: notebook bytes + parameters + inputs + code
    (:func:`impact.digest.code_digest`) + :data:`ENGINE_VERSION`."""
    return combine([file_sha256(notebook),
                    json.dumps({"parameters": parameters, "lang": lang, "formats": sorted(formats)},
                               sort_keys=True, ensure_ascii=False),
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


def execute_job(job: Job, kernel: Any) -> JobResult:
    """Run ``job`` on warm kernel ``kernel``; never raises (failures become a result)."""
    from impact.report import collect, excel
    from impact.report.html import to_html

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
        import nbformat

        ipynb_text = nbformat.writes(nb)
        kinds = (["xlsx"] if tables else []) + ["ipynb"] + (["pdf"] if "pdf" in job.formats else []) + ["html"]
        with staged([outputs[k] for k in kinds]) as temps:
            tmp = dict(zip(kinds, temps))
            if tables:
                excel.write_workbook(tables, tmp["xlsx"], title=job.title, parameters=job.parameters)
            tmp["ipynb"].write_text(ipynb_text, encoding="utf-8")
            tmp["html"].write_text(page, encoding="utf-8")
            if "pdf" in job.formats:
                from impact.report import pdf

                pdf.html_to_pdf(page, tmp["pdf"])
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
    except Exception as err:  # noqa: BLE001 - isolate every failure
        seconds = time.perf_counter() - t0
        try:
            log = str(_write_log(job, err, seconds))
        except Exception as log_err:  # noqa: BLE001
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


# ----------------------------------------------------------------- building jobs


def year_dir(year: int, root: str | os.PathLike[str] | None = None) -> Path:
    """``reports/<year>`` (under ``root`` when given)."""
    return Path(root or config.REPORTS) / str(int(year))


def county_stem(code: str, name: str, lang: str) -> str:
    """``<code>_<official name>`` plus ``.en`` for English."""
    return f"{code}_{name}" + ("" if lang == "zh" else f".{lang}")


def _title(kind: str, name: str, year: int, lang: str) -> str:
    if kind == "county":
        return f"{name} {year} 年帮扶项目影响评估报告" if lang == "zh" else f"{name}: impact report {year}"
    return f"云南省 {year} 年社会组织帮扶年度评估报告" if lang == "zh" else f"Yunnan Province: annual evaluation {year}"


def _check_notebook(notebook: Path, parameters: dict[str, Any]) -> dict[str, Any]:
    from impact.report.params import check_parameters, inspect_parameters

    if not notebook.is_file():
        raise ReportError(f"report notebook {str(notebook)!r} not found; expected a notebook with a cell "
                          "tagged 'parameters'")
    declared = inspect_parameters(notebook)
    return check_parameters(declared, parameters, str(notebook))


def _default_dirs(data_dir: str | os.PathLike[str] | None,
                  processed_dir: str | os.PathLike[str] | None) -> tuple[str, str]:
    return (str(Path(data_dir or config.DATA_RAW).resolve()),
            str(Path(processed_dir or config.DATA_PROCESSED).resolve()))


def county_jobs(counties: Sequence[Any], year: int, lang: str = "zh", *, notebook: str | os.PathLike[str] | None = None,
                out_root: str | os.PathLike[str] | None = None, out_dir: str | os.PathLike[str] | None = None,
                data_dir: str | os.PathLike[str] | None = None, processed_dir: str | os.PathLike[str] | None = None,
                formats: Sequence[str] = ("html",), extra_parameters: dict[str, Any] | None = None) -> list[Job]:
    """Jobs for county reports (``counties`` in any form :func:`impact.geo.resolve_county` accepts).

    Unknown counties raise :class:`impact.errors.UnknownCountyError` before any
    job exists; the notebook's parameters are checked once for all jobs.
    """
    from impact.geo import resolve_county

    check_option("lang", lang, LANGS)
    for f in formats:
        check_option("format", f, FORMATS)
    resolved = [resolve_county(c) for c in counties]
    nb = Path(notebook or COUNTY_NOTEBOOK).resolve()
    ddir, pdir = _default_dirs(data_dir, processed_dir)
    ydir = year_dir(year, out_root)
    folder = Path(out_dir).resolve() if out_dir else ydir / "counties"
    inputs = inputs_digest(ddir, pdir)
    code = code_digest()
    jobs = []
    for i, c in enumerate(resolved):
        params = {"county": c.code, "year": int(year), "lang": lang, "data_dir": ddir, "processed_dir": pdir,
                  **(extra_parameters or {})}
        if i == 0:
            _check_notebook(nb, params)
        jobs.append(Job(
            key=c.code, kind="county", notebook=str(nb), parameters=params, out_dir=str(folder),
            stem=county_stem(c.code, c.name, lang), title=_title("county", c.name, year, lang), lang=lang,
            formats=tuple(["html", "ipynb", "xlsx"] + (["pdf"] if "pdf" in formats else [])),
            state_dir=str(folder / ".state" if out_dir else ydir / ".state"),
            log_dir=str(folder / "logs" if out_dir else ydir / "logs"),
            digest=job_digest(nb, params, lang, formats, inputs, code),
            meta={"code": c.code, "name": c.name, "short_name": c.short_name,
                  "prefecture": c.prefecture, "prefecture_code": c.prefecture_code},
        ))
    return jobs


def province_job(year: int, lang: str = "zh", *, notebook: str | os.PathLike[str] | None = None,
                 out_root: str | os.PathLike[str] | None = None,
                 data_dir: str | os.PathLike[str] | None = None, processed_dir: str | os.PathLike[str] | None = None,
                 formats: Sequence[str] = ("html",)) -> Job:
    """The job of the province annual report."""
    check_option("lang", lang, LANGS)
    nb = Path(notebook or PROVINCE_NOTEBOOK).resolve()
    ddir, pdir = _default_dirs(data_dir, processed_dir)
    params = {"year": int(year), "lang": lang, "data_dir": ddir, "processed_dir": pdir}
    _check_notebook(nb, params)
    ydir = year_dir(year, out_root)
    inputs = inputs_digest(ddir, pdir)
    return Job(
        key="province", kind="province", notebook=str(nb), parameters=params, out_dir=str(ydir / "province"),
        stem=county_stem(PROVINCE_CODE, PROVINCE_NAME, lang), title=_title("province", PROVINCE_NAME, year, lang),
        lang=lang, formats=tuple(["html", "ipynb", "xlsx"] + (["pdf"] if "pdf" in formats else [])),
        state_dir=str(ydir / ".state"), log_dir=str(ydir / "logs"),
        digest=job_digest(nb, params, lang, formats, inputs, code_digest()),
        meta={"code": PROVINCE_CODE, "name": PROVINCE_NAME},
    )


# ----------------------------------------------------------------- running


def _exit_on_sigterm() -> None:
    """Turn SIGTERM into ``SystemExit`` so kernels, workers and temp files are cleaned up."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread() and \
            signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def run_jobs(jobs: Sequence[Job], *, executor: str = "local", n_jobs: int | None = None,
             scheduler: str | None = None, force: bool = False, progress: bool = True,
             precompute: Callable[[], None] | None = None, desc: str = "reports") -> BatchSummary:
    """Run ``jobs`` (skipping up-to-date ones unless ``force``) on ``executor``.

    Shows a progress bar (counts, elapsed time, failures), calls ``precompute``
    once before the first report when any report must be made, and returns the
    :class:`BatchSummary` (results in job order).
    """
    from tqdm.auto import tqdm

    from impact.report.executors import get_executor
    from impact.report.warm import notebook_imports

    t0 = time.perf_counter()
    _exit_on_sigterm()
    results: dict[str, JobResult] = {}
    todo = []
    for job in jobs:
        if not force and is_up_to_date(job):
            results[job.stem] = JobResult(job.key, job.stem, "skipped")
        else:
            todo.append(job)
    notes: list[str] = []
    if todo:
        if precompute is not None:
            precompute()  # a failure here is the batch's failure: every report would meet it
        runner = get_executor(executor, n_jobs=n_jobs, scheduler=scheduler)
        counts = {"ok": 0, "failed": 0}
        # one group per notebook: a warm kernel pre-imports exactly its notebook's modules
        groups: dict[str, list[Job]] = {}
        for job in todo:
            groups.setdefault(job.notebook, []).append(job)
        # in a log file (no terminal) a line every 10 s is enough; in a terminal the bar redraws in place
        interval = 0.1 if sys.stderr.isatty() else 10.0
        with tqdm(total=len(todo), desc=desc, unit="report", disable=not progress, file=sys.stderr,
                  dynamic_ncols=True, mininterval=interval, maxinterval=max(interval, 10.0)) as bar:
            bar.set_postfix(ok=0, failed=0, skipped=len(jobs) - len(todo))
            for nb_path, group in groups.items():
                for res in runner.run(group, notebook_imports(nb_path)):
                    results[res.stem] = res
                    counts[res.status if res.status in counts else "failed"] += 1
                    bar.set_postfix(ok=counts["ok"], failed=counts["failed"], skipped=len(jobs) - len(todo), refresh=False)
                    bar.update(1)
                    if res.status == "failed":
                        bar.write(f"failed / 失败: {res.stem}: {res.error}", file=sys.stderr)
    ordered = [results.get(j.stem, JobResult(j.key, j.stem, "failed", error="no result from executor"))
               for j in jobs]
    return BatchSummary(ordered, time.perf_counter() - t0, notes)


def run_all(year: int, lang: str = "zh", *, counties: Sequence[Any] | None = None, n_jobs: int | None = None,
            force: bool = False, executor: str = "local", scheduler: str | None = None,
            notebook: str | os.PathLike[str] | None = None, out_root: str | os.PathLike[str] | None = None,
            data_dir: str | os.PathLike[str] | None = None, processed_dir: str | os.PathLike[str] | None = None,
            progress: bool = True, write_index: bool = True, run_precompute: bool = True) -> BatchSummary:
    """Make the county reports of ``year`` (all 129, or ``counties``) and the index page."""
    from impact.report.cache import cache_dir, precompute

    if counties is None:
        from impact.geo import county_table

        counties = list(county_table()["county_code"])
    jobs = county_jobs(counties, year, lang, notebook=notebook, out_root=out_root, data_dir=data_dir,
                       processed_dir=processed_dir)
    pdir = jobs[0].parameters["processed_dir"] if jobs else ""
    ddir = jobs[0].parameters["data_dir"] if jobs else ""
    pre = (lambda: precompute(year, cache_dir(year, pdir), data_dir=ddir, processed_dir=pdir, force=force)) \
        if run_precompute else None
    summary = run_jobs(jobs, executor=executor, n_jobs=n_jobs, scheduler=scheduler, force=force,
                       progress=progress, precompute=pre, desc=f"county reports {year}")
    if write_index:
        from impact.report.index import write_index as _write_index

        _write_index(year, root=out_root)
    return summary


def run_county(county: Any, year: int, lang: str = "zh", *, out_dir: str | os.PathLike[str] | None = None,
               formats: Sequence[str] = ("html",), notebook: str | os.PathLike[str] | None = None,
               out_root: str | os.PathLike[str] | None = None, data_dir: str | os.PathLike[str] | None = None,
               processed_dir: str | os.PathLike[str] | None = None, force: bool = True) -> BatchSummary:
    """Make one county's report (always re-made unless ``force=False``)."""
    jobs = county_jobs([county], year, lang, notebook=notebook, out_root=out_root, out_dir=out_dir,
                       data_dir=data_dir, processed_dir=processed_dir, formats=formats)
    return run_jobs(jobs, executor="local", n_jobs=1, force=force, progress=False)


def run_province(year: int, lang: str = "zh", *, formats: Sequence[str] = ("html",),
                 notebook: str | os.PathLike[str] | None = None, out_root: str | os.PathLike[str] | None = None,
                 data_dir: str | os.PathLike[str] | None = None, processed_dir: str | os.PathLike[str] | None = None,
                 force: bool = False, write_index: bool = True) -> BatchSummary:
    """Make the province annual report (skipped when unchanged unless ``force``)."""
    job = province_job(year, lang, notebook=notebook, out_root=out_root, data_dir=data_dir,
                       processed_dir=processed_dir, formats=formats)
    summary = run_jobs([job], executor="local", n_jobs=1, force=force, progress=False)
    if write_index:
        from impact.report.index import write_index as _write_index

        _write_index(year, root=out_root)
    return summary
