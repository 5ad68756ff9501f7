"""Run one notebook with papermill on a kernel the runner owns.

:func:`execute` calls :func:`papermill.execute_notebook` itself, so parameter
injection (the ``injected-parameters`` cell after the ``parameters`` cell), the
notebook and cell metadata (``metadata.papermill``, cell status and timings) and
the error handling are papermill's own: the executed notebook is the one a plain
``papermill.execute_notebook(input, output, parameters)`` writes. The only
differences are where the kernel comes from and that papermill does not save
the notebook after every cell:

- the ``impact`` papermill engine runs the cells on an already started kernel
  (:class:`impact.report.kernel.KernelHandle`, usually a warm one from
  :mod:`impact.report.warm`) and can run engine code silently first (the warm
  reset), which leaves no trace in the notebook;
- the notebook is returned, not written; the caller writes it atomically, and
  ``metadata.papermill.output_path`` is set to the path it will be written to.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from impact.report._fastimport import import_notebook_stack

import_notebook_stack()

import nbformat  # noqa: E402
from papermill.clientwrap import PapermillNotebookClient  # noqa: E402
from papermill.engines import NBClientEngine, papermill_engines  # noqa: E402

from impact.errors import ReportError  # noqa: E402
from impact.report.kernel import KernelError, KernelHandle  # noqa: E402

ENGINE_NAME = "impact"


class _Client(PapermillNotebookClient):
    """nbclient on an existing kernel; runs ``setup_code`` silently before the cells."""

    def __init__(self, nb_man, km=None, setup_code: str | None = None, **kw):
        super().__init__(nb_man, km=km, **kw)
        self.setup_code = setup_code

    def papermill_execute_cells(self):
        if self.setup_code:
            msg_id = self.kc.execute(self.setup_code, silent=True, store_history=False, allow_stdin=False)
            reply = self.wait_for_reply(msg_id)
            content = (reply or {}).get("content", {})
            if content.get("status") != "ok":
                raise KernelError(
                    f"kernel reset failed: {content.get('ename', 'error')}: {content.get('evalue', '')}"
                )
        super().papermill_execute_cells()

    def execute(self, **kwargs):
        try:
            return super().execute(**kwargs)
        finally:
            if self.kc is not None:
                self.kc.stop_channels()
                self.kc = None


class ImpactEngine(NBClientEngine):
    """Papermill engine running on the kernel manager passed as ``km``."""

    @classmethod
    def execute_managed_notebook(
        cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
        start_timeout=60, execution_timeout=None, km=None, setup_code=None, sink=None, **kwargs,
    ):
        if km is None:
            raise ReportError("the 'impact' papermill engine needs a started kernel (km=...)")
        if sink is not None:
            sink["nb"] = nb_man.nb
        kwargs.pop("input_path", None)
        kwargs.pop("timeout", None)
        kwargs.pop("startup_timeout", None)
        client = _Client(
            nb_man, km=km, setup_code=setup_code, timeout=execution_timeout,
            startup_timeout=start_timeout, kernel_name=kernel_name, log=_logger(),
            log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file, **kwargs,
        )
        return client.execute()


def _logger():
    from papermill.log import logger

    return logger


papermill_engines.register(ENGINE_NAME, ImpactEngine)


def execute(
    notebook: str | os.PathLike[str],
    parameters: Mapping[str, Any],
    kernel: KernelHandle,
    *,
    output_path: str | os.PathLike[str] | None = None,
    setup_code: str | None = None,
    execution_timeout: float | None = 600,
) -> nbformat.NotebookNode:
    """Execute ``notebook`` with ``parameters`` on ``kernel``; return the executed notebook.

    ``output_path`` is recorded in ``metadata.papermill.output_path`` (the file
    the caller will write), as a plain papermill run records its output path.
    Raises :class:`papermill.exceptions.PapermillExecutionError` when a cell
    fails (the partially executed notebook is attached as ``err.nb``).
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    if kernel.km is None:
        raise ReportError("kernel is not started")
    sink: dict[str, Any] = {}
    try:
        nb = papermill.execute_notebook(
            os.fspath(notebook),
            None,
            parameters=dict(parameters),
            engine_name=ENGINE_NAME,
            progress_bar=False,
            request_save_on_cell_execute=False,
            km=kernel.km,
            setup_code=setup_code,
            sink=sink,
            execution_timeout=execution_timeout,
            cwd=None,
        )
    except PapermillExecutionError as err:
        err.nb = sink.get("nb")  # type: ignore[attr-defined]
        raise
    nb.metadata.papermill["output_path"] = None if output_path is None else os.fspath(output_path)
    return nb
