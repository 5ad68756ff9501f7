"""Reports: papermill runs on warm kernels, batch runner, executors, HTML/PDF/Excel, index.

Public entry points (imported lazily, so ``from impact.report import collect``
inside a notebook stays cheap):

- :func:`impact.report.batch.run_county`, :func:`~impact.report.batch.run_all`,
  :func:`~impact.report.batch.run_province`: the ``impact report`` commands;
- :func:`precompute`: hook the batch calls once before the county reports;
- :mod:`impact.report.collect`: notebooks register tables and headline figures.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

__all__ = ["precompute", "precompute_dir", "run_county", "run_all", "run_province", "write_index"]


def precompute_dir(year: int, processed_dir: str | Path) -> Path:
    """Where :func:`precompute` writes the tables of ``year`` shared by all counties.

    ``<processed_dir>/report_cache/<year>/``. The folder is derived data: it is
    left out of the content hash that decides whether a report is up to date.
    """
    return Path(processed_dir) / "report_cache" / str(int(year))


def precompute(year: int, out_dir: str | Path, *, data_dir: str | Path | None = None,
               processed_dir: str | Path | None = None) -> None:
    """Compute every county's report tables once, before the county reports run.

    Called by :func:`impact.report.batch.run_all` (and ``run_county``) once per
    batch with ``out_dir = precompute_dir(year, processed_dir)`` and the batch's
    ``data_dir``/``processed_dir``, and only when at least one report must be made. Each county notebook then reads its own slice
    of ``out_dir`` instead of recomputing province-wide tables. Delegates to
    ``impact.report.sections.precompute(year, out_dir, data_dir=..., processed_dir=...)`` when the report-content
    module defines it; otherwise does nothing.
    """
    try:
        sections = importlib.import_module("impact.report.sections")
    except ModuleNotFoundError as err:
        if err.name != "impact.report.sections":
            raise
        return
    hook = getattr(sections, "precompute", None)
    if hook is not None:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        kwargs = {k: str(v) for k, v in (("data_dir", data_dir), ("processed_dir", processed_dir)) if v is not None}
        hook(int(year), Path(out_dir), **kwargs)


def __getattr__(name: str) -> Any:
    if name in ("run_county", "run_all", "run_province"):
        return getattr(importlib.import_module("impact.report.batch"), name)
    if name == "write_index":
        return importlib.import_module("impact.report.index").write_index
    raise AttributeError(f"module 'impact.report' has no attribute {name!r}")
