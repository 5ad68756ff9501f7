"""Warm kernels: start once, pre-import the notebook's stack, reset between reports.

Starting a kernel and importing pandas/geopandas/matplotlib/seaborn costs
seconds per report; a :class:`WarmKernel` pays it once. Before each report the
engine runs :func:`impact.report._kernelside.reset` silently (``%reset -f``
with a new session, figures closed, rcParams/pandas/numpy options, cwd,
``sys.path``, environment and warning filters restored to the post-warm-up
snapshot), so the report sees what a fresh kernel would see after the same
imports.

What is pre-imported: by default exactly the modules the notebook itself
imports (top-level ``import``/``from`` statements of its code cells, in order),
so a warm kernel differs from a fresh one only in *when* those imports ran, and
never by a module the notebook does not import (for example a font
registration that would change its figures). ``preload=`` overrides it.
"""

from __future__ import annotations

import os
import queue
import threading
from contextlib import contextmanager
from typing import Any, Iterator, Mapping, Sequence

from impact.report.kernel import KernelError, KernelHandle
from impact.report.params import notebook_imports  # noqa: F401 - its home before; read by the runners

#: The heavy stack pre-imported when the notebook's imports cannot be read.
DEFAULT_PRELOAD: tuple[str, ...] = (
    "numpy", "pandas", "geopandas", "matplotlib", "matplotlib.pyplot", "seaborn", "impact",
)


def preload_code(modules: Sequence[str]) -> str:
    """Kernel code importing ``modules`` (missing submodule candidates skipped), then snapshot
    (:func:`impact.report._kernelside.warm`)."""
    return f"__import__('impact.report._kernelside', fromlist=['warm']).warm({list(modules)!r})"


def reset_code(collect_dir: str | None) -> str:
    """Kernel code resetting the kernel to its snapshot (see :mod:`._kernelside`)."""
    return f"__import__('impact.report._kernelside', fromlist=['reset']).reset({collect_dir!r})"


class WarmKernel(KernelHandle):
    """A kernel that pre-imports ``preload`` once and is reset before every report."""

    def __init__(self, preload: Sequence[str] = DEFAULT_PRELOAD, cwd: str | os.PathLike[str] | None = None,
                 startup_timeout: float = 60):
        super().__init__(cwd=cwd, startup_timeout=startup_timeout)
        self.preload = list(preload)
        self.reports_run = 0

    def start(self) -> "WarmKernel":
        super().start()
        self.run_code(preload_code(self.preload))
        return self

    def restart(self) -> None:
        """Stop and start again (after a crash or a timeout)."""
        try:
            self.stop()
        finally:
            self.start()

    def run(self, notebook: str | os.PathLike[str], parameters: Mapping[str, Any], *,
            output_path: str | os.PathLike[str] | None = None, collect_dir: str | None = None,
            execution_timeout: float | None = 600):
        """Reset, then execute ``notebook`` with ``parameters``; returns the executed notebook.

        A failing cell raises papermill's ``PapermillExecutionError`` (the kernel
        stays usable); any other failure restarts the kernel before re-raising.
        """
        from papermill.exceptions import PapermillExecutionError

        from impact.report import engine

        if self.km is None or not self.alive:
            self.restart()
        try:
            nb = engine.execute(
                notebook, parameters, self, output_path=output_path,
                setup_code=reset_code(collect_dir), execution_timeout=execution_timeout,
            )
        except PapermillExecutionError:
            raise
        except BaseException:
            self.restart()
            raise
        finally:
            self.reports_run += 1
        return nb


class WarmPool:
    """A fixed set of warm kernels for one notebook, shared by threads.

    ``with pool.kernel() as k: k.run(...)`` borrows one; kernels are started in
    parallel on entering the pool and stopped on leaving it.
    """

    def __init__(self, size: int, preload: Sequence[str] = DEFAULT_PRELOAD,
                 cwd: str | os.PathLike[str] | None = None):
        if size < 1:
            from impact.errors import ReportError

            raise ReportError(f"warm pool size must be at least 1, got {size}")
        self.kernels = [WarmKernel(preload, cwd=cwd) for _ in range(size)]
        self._free: queue.Queue[WarmKernel] = queue.Queue()

    def __enter__(self) -> "WarmPool":
        errors: list[BaseException] = []

        def _start(k: WarmKernel) -> None:
            try:
                k.start()
            except BaseException as err:  # noqa: BLE001 - re-raised below
                errors.append(err)

        threads = [threading.Thread(target=_start, args=(k,)) for k in self.kernels]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            self.close()
            raise errors[0]
        for k in self.kernels:
            self._free.put(k)
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for k in self.kernels:
            try:
                k.stop()
            except (KernelError, OSError, RuntimeError):  # best effort at shutdown
                pass

    @contextmanager
    def kernel(self) -> Iterator[WarmKernel]:
        k = self._free.get()
        try:
            yield k
        finally:
            self._free.put(k)
