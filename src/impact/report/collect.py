"""Register a report's tables and headline figures from inside a notebook.

A report notebook calls::

    from impact.report import collect
    collect.table("indicators", df)           # becomes a sheet of the .xlsx workbook
    collect.headline("funds_yuan", 1.2e6, label="帮扶资金（元）")  # shown on the index page
    collect.document(doc)                     # the 绩效评价 document, written as .docx on request

When the notebook runs under the report engine, the engine points the kernel at
a private side folder (environment variable ``IMPACT_REPORT_COLLECT``); the
calls write there and the engine turns the folder into the workbook and the
index entry. Run by hand (JupyterLab, plain papermill), the calls do nothing
and return their input, so a notebook behaves the same everywhere.

Tables travel as pickles (``pickle`` protocol 5): the side folder is private to one
report (created by the engine with ``tempfile.mkdtemp``, readable by its owner only),
written by that report's kernel and read back by the same engine with the same
packages, then removed; a pickle costs a fraction of a millisecond each way where a
Parquet file took 2–4 ms to write and 3 ms to read.

Stdlib only at import; pandas is used only when a table is written.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import re
from pathlib import Path
from typing import Any

COLLECT_ENV = "IMPACT_REPORT_COLLECT"
_SUFFIX = ".pickle"
_NAME = re.compile(r"^[A-Za-z0-9_\-\u4e00-\u9fff]{1,64}$")


def target() -> Path | None:
    """The side folder of the running report, or ``None`` outside the engine."""
    value = os.environ.get(COLLECT_ENV)
    return Path(value) if value else None


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        from impact.errors import ReportError

        raise ReportError(
            f"collect: table/headline name {name!r} is not valid; expected 1-64 letters, digits, "
            "'_', '-' or Chinese characters"
        )
    return name


def table(name: str, df: Any) -> Any:
    """Register DataFrame ``df`` as table ``name`` of the report; returns ``df``.

    Written as a pickle to ``<side folder>/tables/<order>_<name>.pickle`` (the
    order of registration is kept as the sheet order).
    """
    _check_name(name)
    folder = target()
    if folder is None:
        return df
    tables = folder / "tables"
    tables.mkdir(parents=True, exist_ok=True)
    existing = sorted(p for p in tables.glob(f"*{_SUFFIX}") if p.stem.split("_", 1)[1] != name)
    for p in tables.glob(f"*_{name}{_SUFFIX}"):
        p.unlink()
    order = len(existing)
    frame = df.copy()
    frame.columns = [str(c) for c in frame.columns]
    if not _is_default_index(frame):
        frame = frame.reset_index()
    with open(tables / f"{order:03d}_{name}{_SUFFIX}", "wb") as fh:
        pickle.dump(frame, fh, protocol=5)
    return df


def _is_default_index(frame: Any) -> bool:
    import pandas as pd

    idx = frame.index
    return isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1 and idx.name is None


def headline(name: str, value: Any, *, label: str | None = None, unit: str | None = None) -> Any:
    """Register a headline figure (number or short text) shown on the index page.

    ``label`` is the column heading (defaults to ``name``), ``unit`` is appended
    to it. Returns ``value``.
    """
    _check_name(name)
    folder = target()
    if folder is None:
        return value
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "headlines.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data[name] = {"value": _jsonable(value), "label": label or name, "unit": unit}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return value


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def document(doc: Any) -> Any:
    """Register the report's 绩效评价 document (:class:`impact.evaluation.document.Document`),
    from which the engine writes the Word file when the job asks for ``docx``; returns ``doc``."""
    folder = target()
    if folder is None:
        return doc
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"document{_SUFFIX}", "wb") as fh:
        pickle.dump(doc, fh, protocol=5)
    return doc


def read_document(folder: str | os.PathLike[str]) -> Any | None:
    """The document registered in side folder ``folder`` (:func:`document`), or ``None``."""
    path = Path(folder) / f"document{_SUFFIX}"
    if not path.is_file():
        return None
    with open(path, "rb") as fh:
        return pickle.load(fh)  # noqa: S301 - the engine's own private folder


def read_tables(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """Tables registered in side folder ``folder``, in registration order."""
    tables = Path(folder) / "tables"
    out: dict[str, Any] = {}
    if tables.is_dir():
        for p in sorted(tables.glob(f"*{_SUFFIX}")):
            with open(p, "rb") as fh:
                out[p.stem.split("_", 1)[1]] = pickle.load(fh)  # noqa: S301 - the engine's own private folder
    return out


def read_headlines(folder: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """Headline figures registered in side folder ``folder``."""
    path = Path(folder) / "headlines.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
