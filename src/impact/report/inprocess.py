"""Run report notebooks in this process: papermill with an in-process IPython shell.

The warm-kernel path (:mod:`impact.report.warm`, :mod:`impact.report.engine`)
runs each notebook in a second interpreter over ZMQ. Here the cells run on a
:class:`impact.report.shell.ReportShell` in the calling process, driven by a
papermill engine (``impact-inprocess``), so papermill still injects the
parameters, records ``metadata.papermill`` and each cell's status and timings,
and raises ``PapermillExecutionError`` for a failing cell: the executed notebook
is the one papermill writes with a kernel, and its outputs are built as
ipykernel builds them (see :mod:`impact.report.shell`).

ipykernel's own in-process kernel (``ipykernel.inprocess``) was tried first:
nbclient drives it only after an adapter (its client's ``wait_for_ready`` takes no
timeout, its manager's ``shutdown_kernel`` no ``now``), and even then ``print``
output is lost (its streams flush through an IOPub thread after the ``idle``
status that ends nbclient's wait) and each run registers one more frontend.

:class:`InProcessRunner` has the interface of :class:`impact.report.warm.WarmKernel`
(``start``, ``run``, ``stop``) with the same semantics: the notebook's imports
are done once (:func:`impact.report._kernelside.warm`), the state is reset before
each report (:func:`impact.report._kernelside.reset`), and

- a report longer than ``execution_timeout`` seconds is stopped by ``SIGALRM``
  (``setitimer``, main thread only) raising :class:`ReportTimeout` inside the
  running cell, which fails that report;
- the host's ``sys.stdout``/``stderr``, display and exception hooks, ``warnings.showwarning``,
  ``__main__``, working directory, environment, ``sys.path``, warning filters,
  matplotlib backend and ``rcParams`` are restored after each run, so the
  command line's own output is untouched.

A notebook that kills the process (``os._exit``, a segfault) takes this process
with it: the local executor runs reports in worker processes and reruns the
reports of a dead worker (:mod:`impact.report.executors`).
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import os
import signal
import sys
import threading
import warnings
from typing import Any, Iterator, Mapping, Sequence

from impact.report._fastimport import import_notebook_stack

import_notebook_stack()

from papermill.engines import Engine, papermill_engines  # noqa: E402

from impact.errors import ReportError  # noqa: E402

ENGINE_NAME = "impact-inprocess"

#: The matplotlib backend of a Jupyter kernel (ipykernel sets ``MPLBACKEND`` to it).
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


class ReportTimeout(BaseException):
    """Raised in the running cell when a report exceeds its time limit.

    A ``BaseException`` so that a notebook's ``except Exception`` cannot swallow it.
    """


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


class InProcessEngine(Engine):
    """Papermill engine running the cells on the :class:`~impact.report.shell.ReportShell` ``shell``."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, shell=None, sink=None, **kwargs):  # noqa: D102
        from impact.report.shell import language_info

        if shell is None:
            raise ReportError("the 'impact-inprocess' papermill engine needs shell=...")
        nb = nb_man.nb
        if sink is not None:
            sink["nb"] = nb
        nb.metadata["language_info"] = language_info()
        for index, cell in enumerate(nb.cells):
            try:
                nb_man.cell_start(cell, index)
                if not _runs(cell):
                    continue
                cell.outputs, cell.execution_count = [], None
                timing = cell.metadata.setdefault("execution", {})
                timing["iopub.status.busy"] = timing["iopub.execute_input"] = _now()
                count, outputs, ok = shell.run_cell_outputs(cell.source)
                timing["shell.execute_reply"] = timing["iopub.status.idle"] = _now()
                cell.execution_count, cell.outputs = count, outputs
                if not ok and "raises-exception" not in cell.metadata.get("tags", []):
                    nb_man.cell_exception(nb.cells[index], cell_index=index)
                    break
            finally:
                nb_man.cell_complete(nb.cells[index], cell_index=index)
        return nb


def _runs(cell: Any) -> bool:
    """nbclient's rule: code cells with source, not tagged ``skip-execution``."""
    return (cell.cell_type == "code" and bool(cell.source.strip())
            and "skip-execution" not in cell.metadata.get("tags", []))


papermill_engines.register(ENGINE_NAME, InProcessEngine)


# ------------------------------------------------------------------ host state


def _backend_or_none() -> str | None:
    if "matplotlib" not in sys.modules:
        return None
    import matplotlib

    return matplotlib.rcParams._get_backend_or_none()


@contextlib.contextmanager
def host_state() -> Iterator[None]:
    """Restore on exit what a notebook run changes in the process (see module docstring)."""
    saved = {
        "stdout": sys.stdout, "stderr": sys.stderr, "displayhook": sys.displayhook,
        "excepthook": sys.excepthook, "main": sys.modules.get("__main__"), "cwd": os.getcwd(),
        "showwarning": warnings.showwarning, "showwarnmsg": getattr(warnings, "_showwarnmsg_impl", None),
        "environ": dict(os.environ), "path": list(sys.path), "filters": list(warnings.filters),
        "backend": _backend_or_none(),
    }
    if "matplotlib" in sys.modules:
        import matplotlib

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            saved["rc"] = copy.deepcopy(dict(matplotlib.rcParams))
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved["stdout"], saved["stderr"]
        sys.displayhook, sys.excepthook = saved["displayhook"], saved["excepthook"]
        if saved["main"] is not None:
            sys.modules["__main__"] = saved["main"]
        with contextlib.suppress(OSError):
            os.chdir(saved["cwd"])
        from impact.report._kernelside import _restore_environ

        _restore_environ(saved["environ"])
        sys.path[:] = saved["path"]
        warnings.filters[:] = saved["filters"]
        warnings.showwarning = saved["showwarning"]
        if saved["showwarnmsg"] is not None:
            warnings._showwarnmsg_impl = saved["showwarnmsg"]  # type: ignore[attr-defined]
        if "matplotlib.pyplot" in sys.modules:
            import matplotlib

            plt = sys.modules["matplotlib.pyplot"]
            plt.close("all")
            now = _backend_or_none()
            if saved["backend"] is not None and now != saved["backend"]:
                plt.switch_backend(saved["backend"])
            if "rc" in saved:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    matplotlib.rcParams.update(saved["rc"])


@contextlib.contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Raise :class:`ReportTimeout` where the code is after ``seconds`` (SIGALRM; main thread only,
    elsewhere no limit)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _alarm(signum, frame):
        raise ReportTimeout(f"the report ran longer than its time limit of {seconds:g} s "
                            f"/ 报告运行超过时限 {seconds:g} 秒")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _print_warning(msg: Any) -> None:
    """The standard library's way of showing a warning: its formatted text on ``sys.stderr``."""
    file = msg.file if msg.file is not None else sys.stderr
    with contextlib.suppress(OSError):
        file.write(warnings._formatwarnmsg(msg))  # type: ignore[attr-defined]


def available() -> bool:
    """False when another IPython shell owns this process (e.g. called from Jupyter)."""
    from IPython.core.interactiveshell import InteractiveShell

    from impact.report.shell import ReportShell

    return not InteractiveShell.initialized() or isinstance(InteractiveShell.instance(), ReportShell)


# ------------------------------------------------------------------ runner


class InProcessRunner:
    """Report notebooks on this process's shell, pre-imported once, reset between reports.

    Same interface as :class:`impact.report.warm.WarmKernel`.
    """

    def __init__(self, preload: Sequence[str] = (), cwd: str | os.PathLike[str] | None = None):
        self.preload = list(preload)
        self.cwd = os.fspath(cwd) if cwd is not None else os.getcwd()
        self.shell: Any = None
        self.reports_run = 0

    def start(self) -> "InProcessRunner":
        """Create the shell, import ``preload`` and take the reset snapshot."""
        from impact.report import _kernelside
        from impact.report.shell import report_shell

        if not available():
            raise ReportError("the in-process report engine cannot run inside another IPython shell; "
                              "use the kernel engine / 请改用 kernel 引擎")
        with host_state():
            self.shell = report_shell()
            os.environ["MPLBACKEND"] = INLINE_BACKEND
            os.chdir(self.cwd)
            _kernelside.warm(self.preload)  # ends with _kernelside.snapshot()
            self._inline()
        return self

    def _inline(self) -> None:
        """Put matplotlib (if imported) on the inline backend, as in a kernel."""
        if "matplotlib.pyplot" in sys.modules and _backend_or_none() != INLINE_BACKEND:
            with contextlib.redirect_stdout(None):
                self.shell.enable_matplotlib("inline")

    def stop(self) -> None:
        """Free the notebook namespace (the shell stays: one per process)."""
        if self.shell is not None:
            self.shell.reset(new_session=False)

    def run(self, notebook: str | os.PathLike[str], parameters: Mapping[str, Any], *,
            output_path: str | os.PathLike[str] | None = None, collect_dir: str | None = None,
            execution_timeout: float | None = 600):
        """Reset, then execute ``notebook`` with ``parameters``; returns the executed notebook.

        A failing cell (the time limit included) raises papermill's
        ``PapermillExecutionError`` with the partly executed notebook as ``err.nb``.
        """
        import papermill
        from papermill.exceptions import PapermillExecutionError

        from impact.report import _kernelside
        from impact.report.shell import CellStream

        if self.shell is None:
            self.start()
        sink: dict[str, Any] = {}
        self.reports_run += 1
        with host_state():
            sys.stdout = CellStream(self.shell, "stdout", sys.stdout)
            sys.stderr = CellStream(self.shell, "stderr", sys.stderr)
            sys.modules["__main__"] = self.shell.user_module
            # warnings printed to the cell's stderr as in a kernel, even if the host captures them
            warnings.showwarning = getattr(warnings, "_showwarning_orig", warnings.showwarning)
            if hasattr(warnings, "_showwarnmsg_impl"):  # a host recording warnings (catch_warnings(record=True))
                warnings._showwarnmsg_impl = _print_warning  # type: ignore[attr-defined]
            _kernelside.reset(collect_dir)
            self._inline()
            try:
                with deadline(execution_timeout):
                    nb = papermill.execute_notebook(
                        os.fspath(notebook), None, parameters=dict(parameters), engine_name=ENGINE_NAME,
                        progress_bar=False, request_save_on_cell_execute=False, shell=self.shell,
                        sink=sink, cwd=None,
                    )
            except PapermillExecutionError as err:
                err.nb = sink.get("nb")  # type: ignore[attr-defined]
                raise
            except ReportTimeout as err:  # the limit hit between cells
                raise ReportError(str(err)) from None
        nb.metadata.papermill["output_path"] = None if output_path is None else os.fspath(output_path)
        return nb
