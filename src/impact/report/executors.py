"""Executors: where report jobs run. A registry, like papermill's engines.

- ``local`` (default): ``n_jobs`` worker processes on this machine (forkserver;
  the fork server imports the notebook's stack once, so workers start with it).
  Each worker runs its reports with the ``inprocess`` engine
  (:mod:`impact.report.inprocess`: papermill on an IPython shell in the worker,
  pre-imported once, reset between reports) or, with ``engine="kernel"``, on one
  warm kernel (:mod:`impact.report.warm`). With one job, or ``n_jobs=1``, the
  jobs run in this process (no worker, no kernel with ``inprocess``). A worker
  that dies is replaced and its reports are run again once (see :class:`LocalExecutor`).
- ``threads``: ``n_jobs`` threads in this process sharing a pool of warm kernels
  (the kernels are processes anyway; the runner's own work - message handling,
  HTML export - then shares one interpreter). Kernel engine only.
- ``dask``: an existing Dask distributed cluster (``scheduler="tcp://host:8786"``,
  or a ``distributed.Client``-compatible address). Each worker thread keeps its
  own warm kernel between tasks. Report files are written by the workers, so the
  output folder must be on a file system the workers share (as on an HPC
  cluster with dask-jobqueue). Kernel engine only.

Running on an HPC cluster (SLURM, PBS, ... through dask-jobqueue), with the
project checkout and its ``.venv`` on a file system shared with the compute
nodes::

    from dask_jobqueue import SLURMCluster          # or PBSCluster, ...
    from impact.report.batch import run_all

    with SLURMCluster(cores=4, processes=4, memory="16GB", walltime="01:00:00",
                      python="/shared/impact/.venv/bin/python") as cluster:
        cluster.scale(jobs=4)                       # 4 batch jobs x 4 one-thread workers
        print(run_all(2024, executor="dask", scheduler=cluster.scheduler_address).as_text())

or start ``dask scheduler`` and ``dask worker tcp://HOST:8786 --nthreads 1``
yourself (e.g. with ``srun``) and run ``impact report all --year 2024
--executor dask --scheduler tcp://HOST:8786``. One thread per worker process
gives one warm kernel per core.

Every executor's ``run(jobs, preload, before=None)`` calls ``before()`` (the batch's
precompute of the shared tables) before the first report - the local pool while its
workers start, so the two overlap - and yields
:class:`~impact.report.jobs.JobResult` objects as reports complete; a failure of the
infrastructure itself (a worker process dying) becomes a failed result for the
affected job, never an exception that stops the batch. An exception from ``before``
stops the batch (every report would meet it).
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
from collections import deque
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, CancelledError, ProcessPoolExecutor, ThreadPoolExecutor, wait
from typing import Any, Callable, Iterator, Sequence

from impact.errors import ReportError

#: executor name -> class; extend with :func:`register`.
EXECUTORS: dict[str, type] = {}


def register(name: str) -> Callable[[type], type]:
    """Class decorator adding an executor to :data:`EXECUTORS`."""

    def deco(cls: type) -> type:
        EXECUTORS[name] = cls
        return cls

    return deco


def get_executor(name: str, *, n_jobs: int | None = None, scheduler: str | None = None,
                 engine: str | None = None) -> Any:
    """An executor instance by name (``local``, ``threads``, ``dask``); ``engine``: :data:`ENGINES`
    (``None``: the executor's default, ``inprocess`` for ``local``, ``kernel`` for the others)."""
    if name not in EXECUTORS:
        raise ReportError(f"unknown executor {name!r}; expected one of {', '.join(sorted(EXECUTORS))}")
    options = {"engine": engine} if engine is not None else {}
    return EXECUTORS[name](n_jobs=n_jobs, scheduler=scheduler, **options)


def default_jobs() -> int:
    """Worker count when not given: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _failed(job: Any, err: BaseException) -> Any:
    from impact.report.jobs import JobResult

    return JobResult(job.key, job.stem, "failed", error=f"executor: {type(err).__name__}: {err}")


# ------------------------------------------------------------------ local processes

#: How notebooks run: ``inprocess`` (:mod:`impact.report.inprocess`, the default of the
#: local executor) or ``kernel`` (a warm IPython kernel per worker, :mod:`impact.report.warm`).
ENGINES = ("inprocess", "kernel")

_WORKER_RUNNER: Any = None


def _start_kernel(preload: Sequence[str], cwd: str) -> Any:
    """Start a warm kernel; while it starts and pre-imports (a separate process), this process
    readies its own export stack (:func:`impact.report.jobs.warm_exports`) in a thread, so the
    two start-ups overlap instead of adding up."""
    from impact.report.jobs import warm_exports
    from impact.report.warm import WarmKernel

    side = threading.Thread(target=warm_exports, name="impact-warm-exports", daemon=True)
    side.start()
    try:
        return WarmKernel(preload, cwd=cwd).start()
    finally:
        side.join()


def _start_runner(engine: str, preload: Sequence[str], cwd: str) -> Any:
    """A started runner (``run``/``stop``): this process's shell, or a warm kernel."""
    if engine == "kernel":
        return _start_kernel(preload, cwd)
    from impact.report.inprocess import InProcessRunner
    from impact.report.jobs import warm_exports

    runner = InProcessRunner(preload, cwd=cwd).start()
    warm_exports()
    return runner


def _worker_init(preload: Sequence[str], cwd: str, engine: str = "kernel") -> None:
    """Process-pool initializer: start this worker's runner."""
    global _WORKER_RUNNER
    from multiprocessing.util import Finalize

    _WORKER_RUNNER = _start_runner(engine, preload, cwd)
    Finalize(None, _WORKER_RUNNER.stop, exitpriority=10)


def _worker_ready() -> None:
    """A task that only makes the pool start a worker (whose initializer starts its runner)."""


def _worker_run(job: Any) -> Any:
    from impact.report.jobs import execute_job

    return execute_job(job, _WORKER_RUNNER)


def _in_process(jobs: Sequence[Any], preload: Sequence[str], engine: str) -> Iterator[Any]:
    from impact.report.jobs import execute_job

    if engine == "inprocess":
        from impact.report.inprocess import available

        engine = engine if available() else "kernel"  # called from Jupyter: its shell is the user's
    try:
        runner = _start_runner(engine, preload, os.getcwd())
    except (ReportError, OSError, RuntimeError, TimeoutError) as err:  # no runner (a KernelError is a RuntimeError): every job fails
        for job in jobs:
            yield _failed(job, err)
        return
    try:
        for job in jobs:
            yield execute_job(job, runner)
    finally:
        runner.stop()


def _local_jobs(n_jobs: int | None, scheduler: str | None) -> int:
    """Number of local workers; a scheduler address belongs to the dask executor only."""
    if scheduler:
        raise ReportError("--scheduler is only used with --executor dask")
    n = n_jobs or default_jobs()
    if n < 1:
        raise ReportError(f"--jobs must be at least 1, got {n}")
    return n


def _check_engine(engine: str | None, allowed: Sequence[str], executor: str) -> str:
    engine = engine or allowed[0]
    if engine not in allowed:
        raise ReportError(f"--engine {engine} cannot be used with --executor {executor}; "
                          f"expected {' or '.join(allowed)}")
    return engine


def _died(job: Any, err: BaseException) -> Any:
    from impact.report.jobs import JobResult

    return JobResult(job.key, job.stem, "failed",
                     error=("the worker process running this report died twice (os._exit, a crash or out of "
                            f"memory in the notebook); last: {type(err).__name__}: {err} "
                            "/ 运行该报告的工作进程两次异常退出"))


@register("local")
class LocalExecutor:
    """Worker processes, each with one runner (see module docstring and :data:`ENGINES`).

    A worker that dies (``os._exit``, a segfault) breaks the pool: the pool is
    started again and the reports that were running are run again, one at a
    time; a report whose worker dies a second time fails with its own error.
    """

    def __init__(self, n_jobs: int | None = None, scheduler: str | None = None, engine: str | None = None):
        self.n_jobs = _local_jobs(n_jobs, scheduler)
        self.engine = _check_engine(engine, ENGINES, "local")
        # one in-process worker serves any notebook: the batch sends all jobs in one call
        self.mixed_notebooks = self.engine == "inprocess"

    def run(self, jobs: Sequence[Any], preload: Sequence[str],
            before: Callable[[], Any] | None = None) -> Iterator[Any]:
        """Run ``jobs`` in order of submission; ``before()`` (the shared tables' precompute) runs in
        this process while the workers start, and the first report is sent after it returns."""
        n = min(self.n_jobs, len(jobs))
        if n <= 1:
            if before is not None:
                before()
            yield from _in_process(jobs, preload, self.engine)
            return
        yield from self._pool(jobs, preload, before, n)

    def _new_pool(self, n: int, preload: Sequence[str]) -> ProcessPoolExecutor:
        ctx = multiprocessing.get_context("forkserver")
        stack = ["impact.report.jobs", "impact.report.html"]
        stack += ["impact.report.engine"] if self.engine == "kernel" else ["impact.report.inprocess", *preload]
        ctx.set_forkserver_preload(stack)  # used when the fork server starts (the first pool)
        return ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_worker_init,
                                   initargs=(list(preload), os.getcwd(), self.engine))

    def _pool(self, jobs: Sequence[Any], preload: Sequence[str], before: Callable[[], Any] | None,
              n: int) -> Iterator[Any]:
        queue, suspects = deque(jobs), deque()
        crashed: set[str] = set()
        pool = self._new_pool(n, preload)
        pending: dict[Any, Any] = {}
        try:
            if before is not None:
                for _ in range(n):  # each submission to a pool without an idle worker starts one
                    pool.submit(_worker_ready)
                before()
            while queue or suspects or pending:
                # after a crash the suspects run alone, so a second death names its report
                todo = (suspects if not pending else deque()) if suspects else queue
                width = 1 if suspects else n
                while todo and len(pending) < width:
                    job = todo.popleft()
                    try:
                        pending[pool.submit(_worker_run, job)] = job
                    except BrokenExecutor as err:
                        todo.appendleft(job)
                        if not pending:  # broken with none of our reports in it: the workers cannot start
                            for job in [*suspects, *queue]:
                                yield _failed(job, err)
                            return
                        break  # a running report killed its worker: handled below
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                broken: list[tuple[Any, BaseException]] = []
                if any(not f.cancelled() and isinstance(f.exception(), BrokenExecutor) for f in done):
                    wait(pending)  # a broken pool fails every future it holds
                    done = set(pending)
                for fut in done:
                    job = pending.pop(fut)
                    try:
                        yield fut.result()
                    except BrokenExecutor as err:  # its worker died
                        broken.append((job, err))
                    except (CancelledError, OSError) as err:
                        yield _failed(job, err)
                if broken:
                    pool.shutdown(wait=True, cancel_futures=True)
                    pool = self._new_pool(n, preload)
                    for job, err in broken:
                        if job.stem in crashed:
                            yield _died(job, err)
                        else:
                            crashed.add(job.stem)
                            suspects.append(job)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


# ------------------------------------------------------------------ local threads


@register("threads")
class ThreadExecutor:
    """Threads of this process sharing ``n_jobs`` warm kernels."""

    def __init__(self, n_jobs: int | None = None, scheduler: str | None = None, engine: str | None = None):
        self.n_jobs = _local_jobs(n_jobs, scheduler)
        _check_engine(engine, ("kernel",), "threads")

    def run(self, jobs: Sequence[Any], preload: Sequence[str],
            before: Callable[[], Any] | None = None) -> Iterator[Any]:
        from impact.report.jobs import execute_job
        from impact.report.warm import WarmPool

        if before is not None:
            before()
        n = max(1, min(self.n_jobs, len(jobs)))
        with WarmPool(n, preload, cwd=os.getcwd()) as kernels, ThreadPoolExecutor(n) as pool:

            def one(job: Any) -> Any:
                with kernels.kernel() as k:
                    return execute_job(job, k)

            pending = {pool.submit(one, job): job for job in jobs}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    job = pending.pop(fut)
                    try:
                        yield fut.result()
                    except (BrokenExecutor, CancelledError, OSError) as err:
                        yield _failed(job, err)


# ------------------------------------------------------------------ dask

_DASK_KERNELS: dict[tuple[int, tuple[str, ...]], Any] = {}
_DASK_LOCK = threading.Lock()


def _stop_dask_kernels() -> None:
    for k in list(_DASK_KERNELS.values()):
        try:
            k.stop()
        except (OSError, RuntimeError):  # best effort at exit (KernelError is a RuntimeError)
            pass
    _DASK_KERNELS.clear()


def dask_run(job: Any, preload: Sequence[str]) -> Any:
    """Dask task: run ``job`` on this worker thread's warm kernel (started on first use)."""
    from impact.report.jobs import execute_job
    from impact.report.warm import WarmKernel

    key = (threading.get_ident(), tuple(preload))
    with _DASK_LOCK:
        kernel = _DASK_KERNELS.get(key)
        first = not _DASK_KERNELS
    if first:
        atexit.register(_stop_dask_kernels)
    if kernel is None:
        kernel = WarmKernel(preload, cwd=os.getcwd()).start()
        with _DASK_LOCK:
            _DASK_KERNELS[key] = kernel
    return execute_job(job, kernel)


@register("dask")
class DaskExecutor:
    """Reports on an existing Dask distributed cluster at ``scheduler``."""

    def __init__(self, n_jobs: int | None = None, scheduler: str | None = None, engine: str | None = None):
        _check_engine(engine, ("kernel",), "dask")
        if not scheduler:
            raise ReportError("--executor dask needs --scheduler ADDRESS (for example tcp://127.0.0.1:8786)")
        self.scheduler = scheduler

    def run(self, jobs: Sequence[Any], preload: Sequence[str],
            before: Callable[[], Any] | None = None) -> Iterator[Any]:
        if before is not None:
            before()
        try:
            from distributed import Client, as_completed
        except ImportError as err:  # pragma: no cover - depends on the extra
            raise ReportError("--executor dask needs the 'dask' extra: pip install 'impact[dask]'") from err
        try:
            client = Client(self.scheduler, timeout="30s")
        except OSError as err:
            raise ReportError(f"cannot reach the Dask scheduler at {self.scheduler!r}: {err}") from None
        try:
            futures = [client.submit(dask_run, job, list(preload), pure=False, key=f"impact-report-{job.key}-{job.lang}-{i}")
                       for i, job in enumerate(jobs)]
            by_key = {f.key: job for f, job in zip(futures, jobs)}
            for fut in as_completed(futures):
                job = by_key[fut.key]
                try:
                    yield fut.result()
                except Exception as err:  # noqa: BLE001 - worker lost, task error
                    yield _failed(job, err)
        finally:
            client.close()
