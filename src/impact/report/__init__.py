"""Reports: the county and province reports, their rendering, and the batch that makes them.

Modules, by job (the notebooks call the first four):

- :mod:`impact.report.county`, :mod:`impact.report.province`: what each report shows;
- :mod:`impact.report.render`: sections as HTML, :func:`~impact.report.render.show`,
  the notes section;
- :mod:`impact.report.inputs`: the tables a report reads; :mod:`impact.report.tables`
  and :mod:`impact.report.causal`: the numbers; :mod:`impact.report.cache`: those numbers
  for every county, computed once per batch; :mod:`impact.report.notes`: warnings and
  skipped parts; :mod:`impact.report.text`: sentences;
- :mod:`impact.report.batch`: the ``impact report`` commands (papermill runs on warm
  kernels, :mod:`~impact.report.executors`, :mod:`~impact.report.index`, HTML, PDF, Excel);
- :mod:`impact.report.collect`: notebooks register tables and headline figures.

Submodules are imported on demand, so ``from impact.report import collect`` inside a
notebook stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["run_county", "run_all", "run_province", "write_index"]


def __getattr__(name: str) -> Any:
    if name in ("run_county", "run_all", "run_province"):
        return getattr(importlib.import_module("impact.report.batch"), name)
    if name == "write_index":
        return importlib.import_module("impact.report.index").write_index
    raise AttributeError(f"module 'impact.report' has no attribute {name!r}")
