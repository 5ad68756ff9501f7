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

import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from impact import config
from impact.digest import code_digest, combine, file_sha256
from impact.errors import ReportError
from impact.report.jobs import (  # noqa: F401 - JobResult, staged: part of the batch's public surface
    COUNTY_NOTEBOOK,
    FORMATS,
    LANGS,
    PROVINCE_CODE,
    PROVINCE_NAME,
    PROVINCE_NOTEBOOK,
    BatchSummary,
    Job,
    JobResult,
    county_stem,
    execute_job,
    inputs_digest,
    is_up_to_date,
    job_digest,
    staged,
    year_dir,
)
from impact.results import check_option



# ----------------------------------------------------------------- building jobs




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


def evaluator_parameters(sheet: str | os.PathLike[str] | None,
                         survey: str | os.PathLike[str] | None) -> tuple[dict[str, str], str]:
    """Notebook parameters for the evaluator's sheet and a satisfaction survey (absolute paths;
    only those given, so notebooks without them still run) and the hash of their bytes
    (:func:`impact.digest.file_sha256`), part of each job's content hash: a changed sheet
    makes the report again, an unchanged one lets it be skipped."""
    params: dict[str, str] = {}
    parts: list[str] = []
    for name, path in (("sheet", sheet), ("survey", survey)):
        if path:
            full = Path(path).resolve()
            if not full.is_file():
                raise ReportError(f"--{name} {path}: no such file")
            params[name] = str(full)
            parts += [name, file_sha256(full)]
    return params, combine(parts) if parts else ""


def _default_dirs(data_dir: str | os.PathLike[str] | None,
                  processed_dir: str | os.PathLike[str] | None) -> tuple[str, str]:
    return (str(Path(data_dir or config.DATA_RAW).resolve()),
            str(Path(processed_dir or config.DATA_PROCESSED).resolve()))


def _outputs(formats: Sequence[str], fonts: str) -> tuple[str, ...]:
    """The output kinds of a job asked for ``formats`` (html, notebook and workbook always;
    ``pdf``, ``docx`` on request), after checking ``formats`` and the Word ``fonts`` set."""
    for f in formats:
        check_option("format", f, FORMATS)
    if "docx" in formats:
        from impact.report.docx import font_set

        font_set(fonts)
    return tuple(["html", "ipynb", "xlsx"] + [k for k in ("pdf", "docx") if k in formats])


def county_jobs(counties: Sequence[Any], year: int, lang: str = "zh", *, notebook: str | os.PathLike[str] | None = None,
                out_root: str | os.PathLike[str] | None = None, out_dir: str | os.PathLike[str] | None = None,
                data_dir: str | os.PathLike[str] | None = None, processed_dir: str | os.PathLike[str] | None = None,
                formats: Sequence[str] = ("html",), extra_parameters: dict[str, Any] | None = None,
                sheet: str | os.PathLike[str] | None = None, survey: str | os.PathLike[str] | None = None,
                fonts: str = "windows") -> list[Job]:
    """Jobs for county reports (``counties`` in any form :func:`impact.geo.resolve_county` accepts).

    Unknown counties raise :class:`impact.errors.UnknownCountyError` before any
    job exists; the notebook's parameters are checked once for all jobs. ``sheet`` and
    ``survey`` (:func:`evaluator_parameters`) feed the 绩效评价 section; ``formats`` may
    add ``pdf`` and ``docx`` (the 绩效评价 section as Word, in the font set ``fonts``).
    """
    from impact.geo import resolve_county

    check_option("lang", lang, LANGS)
    kinds = _outputs(formats, fonts)
    resolved = [resolve_county(c) for c in counties]
    nb = Path(notebook or COUNTY_NOTEBOOK).resolve()
    ddir, pdir = _default_dirs(data_dir, processed_dir)
    ydir = year_dir(year, out_root)
    folder = Path(out_dir).resolve() if out_dir else ydir / "counties"
    ev_params, ev_digest = evaluator_parameters(sheet, survey)
    inputs = combine([inputs_digest(ddir, pdir), ev_digest]) if ev_digest else inputs_digest(ddir, pdir)
    code = code_digest()
    jobs = []
    for i, c in enumerate(resolved):
        params = {"county": c.code, "year": int(year), "lang": lang, "data_dir": ddir, "processed_dir": pdir,
                  **ev_params, **(extra_parameters or {})}
        if i == 0:
            _check_notebook(nb, params)
        jobs.append(Job(
            key=c.code, kind="county", notebook=str(nb), parameters=params, out_dir=str(folder),
            stem=county_stem(c.code, c.name, lang), title=_title("county", c.name, year, lang), lang=lang,
            formats=kinds,
            state_dir=str(folder / ".state" if out_dir else ydir / ".state"),
            log_dir=str(folder / "logs" if out_dir else ydir / "logs"),
            digest=job_digest(nb, params, lang, formats, inputs, code, fonts=fonts),
            meta={"code": c.code, "name": c.name, "short_name": c.short_name,
                  "prefecture": c.prefecture, "prefecture_code": c.prefecture_code},
            fonts=fonts,
        ))
    return jobs


def province_job(year: int, lang: str = "zh", *, notebook: str | os.PathLike[str] | None = None,
                 out_root: str | os.PathLike[str] | None = None,
                 data_dir: str | os.PathLike[str] | None = None, processed_dir: str | os.PathLike[str] | None = None,
                 formats: Sequence[str] = ("html",), sheet: str | os.PathLike[str] | None = None,
                 survey: str | os.PathLike[str] | None = None, fonts: str = "windows") -> Job:
    """The job of the province annual report (``sheet``, ``survey``: :func:`evaluator_parameters`;
    ``formats``, ``fonts``: :func:`county_jobs`)."""
    check_option("lang", lang, LANGS)
    kinds = _outputs(formats, fonts)
    nb = Path(notebook or PROVINCE_NOTEBOOK).resolve()
    ddir, pdir = _default_dirs(data_dir, processed_dir)
    ev_params, ev_digest = evaluator_parameters(sheet, survey)
    params = {"year": int(year), "lang": lang, "data_dir": ddir, "processed_dir": pdir, **ev_params}
    _check_notebook(nb, params)
    ydir = year_dir(year, out_root)
    inputs = combine([inputs_digest(ddir, pdir), ev_digest]) if ev_digest else inputs_digest(ddir, pdir)
    return Job(
        key="province", kind="province", notebook=str(nb), parameters=params, out_dir=str(ydir / "province"),
        stem=county_stem(PROVINCE_CODE, PROVINCE_NAME, lang), title=_title("province", PROVINCE_NAME, year, lang),
        lang=lang, formats=kinds, state_dir=str(ydir / ".state"), log_dir=str(ydir / "logs"),
        digest=job_digest(nb, params, lang, formats, inputs, code_digest(), fonts=fonts),
        meta={"code": PROVINCE_CODE, "name": PROVINCE_NAME}, fonts=fonts,
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
             precompute: Callable[[], None] | None = None, desc: str = "reports",
             engine: str | None = None) -> BatchSummary:
    """Run ``jobs`` (skipping up-to-date ones unless ``force``) on ``executor``.

    Jobs are sent in the order given (put the longest first). ``engine``:
    ``inprocess`` or ``kernel`` (:data:`impact.report.executors.ENGINES`; ``None``
    is the executor's default). Shows a progress bar (counts, elapsed time,
    failures), calls ``precompute`` once before the first report when any report
    must be made, and returns the :class:`BatchSummary` (results in job order).
    """
    from tqdm.auto import tqdm

    from impact.report.executors import get_executor
    from impact.report.params import notebook_imports

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
        runner = get_executor(executor, n_jobs=n_jobs, scheduler=scheduler, engine=engine)
        # the executor runs ``precompute`` before the first report (a local pool while its workers
        # start their kernels); a failure there is the batch's failure: every report would meet it
        before = precompute
        counts = {"ok": 0, "failed": 0}
        # one group per notebook: a warm kernel pre-imports exactly its notebook's modules; an
        # in-process worker serves every notebook, so all jobs go in one call (one pool)
        groups: dict[str, list[Job]] = {}
        for job in todo:
            groups.setdefault(job.notebook, []).append(job)
        if getattr(runner, "mixed_notebooks", False) and len(groups) > 1:
            groups = {"": list(todo)}
        preloads = {nb: list(dict.fromkeys(m for path in dict.fromkeys(j.notebook for j in group)
                                           for m in notebook_imports(path)))
                    for nb, group in groups.items()}
        # in a log file (no terminal) a line every 10 s is enough; in a terminal the bar redraws in place
        interval = 0.1 if sys.stderr.isatty() else 10.0
        with tqdm(total=len(todo), desc=desc, unit="report", disable=not progress, file=sys.stderr,
                  dynamic_ncols=True, mininterval=interval, maxinterval=max(interval, 10.0)) as bar:
            bar.set_postfix(ok=0, failed=0, skipped=len(jobs) - len(todo))
            for nb_path, group in groups.items():
                first, before = before, None
                for res in runner.run(group, preloads[nb_path], before=first):
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
            progress: bool = True, write_index: bool = True, run_precompute: bool = True,
            province: bool = False, province_formats: Sequence[str] = ("html",), fonts: str = "windows",
            engine: str | None = None) -> BatchSummary:
    """Make the county reports of ``year`` (all 129, or ``counties``) and the index page.

    ``province=True`` makes the province report in the same batch, sent first (it
    is the longest job, so it overlaps the county reports), in ``province_formats``
    (``docx``: its Word file, in the font set ``fonts``); the index is written once at
    the end. ``engine``: see :func:`run_jobs`.
    """
    from impact.report.cache import cache_dir, precompute

    if counties is None:
        from impact.geo import county_table

        counties = list(county_table()["county_code"])
    jobs = county_jobs(counties, year, lang, notebook=notebook, out_root=out_root, data_dir=data_dir,
                       processed_dir=processed_dir)
    if province:
        jobs = [province_job(year, lang, out_root=out_root, data_dir=data_dir, processed_dir=processed_dir,
                             formats=province_formats, fonts=fonts), *jobs]
    pdir = jobs[0].parameters["processed_dir"] if jobs else ""
    ddir = jobs[0].parameters["data_dir"] if jobs else ""
    pre = (lambda: precompute(year, cache_dir(year, pdir), data_dir=ddir, processed_dir=pdir, force=force)) \
        if run_precompute else None
    summary = run_jobs(jobs, executor=executor, n_jobs=n_jobs, scheduler=scheduler, force=force,
                       progress=progress, precompute=pre, engine=engine,
                       desc=f"reports {year}" if province else f"county reports {year}")
    if write_index:
        from impact.report.index import write_index as _write_index

        _write_index(year, root=out_root)
    return summary


def run_county(county: Any, year: int, lang: str = "zh", *, out_dir: str | os.PathLike[str] | None = None,
               formats: Sequence[str] = ("html",), notebook: str | os.PathLike[str] | None = None,
               out_root: str | os.PathLike[str] | None = None, data_dir: str | os.PathLike[str] | None = None,
               processed_dir: str | os.PathLike[str] | None = None, force: bool = True,
               sheet: str | os.PathLike[str] | None = None, survey: str | os.PathLike[str] | None = None,
               fonts: str = "windows", engine: str | None = None) -> BatchSummary:
    """Make one county's report (always re-made unless ``force=False``), in this process with
    the default ``inprocess`` engine (no worker, no kernel)."""
    jobs = county_jobs([county], year, lang, notebook=notebook, out_root=out_root, out_dir=out_dir,
                       data_dir=data_dir, processed_dir=processed_dir, formats=formats, sheet=sheet, survey=survey,
                       fonts=fonts)
    return run_jobs(jobs, executor="local", n_jobs=1, force=force, progress=False, engine=engine)


def run_province(year: int, lang: str = "zh", *, formats: Sequence[str] = ("html",),
                 notebook: str | os.PathLike[str] | None = None, out_root: str | os.PathLike[str] | None = None,
                 data_dir: str | os.PathLike[str] | None = None, processed_dir: str | os.PathLike[str] | None = None,
                 force: bool = False, write_index: bool = True, sheet: str | os.PathLike[str] | None = None,
                 survey: str | os.PathLike[str] | None = None, fonts: str = "windows",
                 engine: str | None = None) -> BatchSummary:
    """Make the province annual report (skipped when unchanged unless ``force``; a changed
    ``sheet`` or ``survey`` changes its content hash)."""
    job = province_job(year, lang, notebook=notebook, out_root=out_root, data_dir=data_dir,
                       processed_dir=processed_dir, formats=formats, sheet=sheet, survey=survey, fonts=fonts)
    summary = run_jobs([job], executor="local", n_jobs=1, force=force, progress=False, engine=engine)
    if write_index:
        from impact.report.index import write_index as _write_index

        _write_index(year, root=out_root)
    return summary
