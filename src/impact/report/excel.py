"""A report's tables as an Excel workbook (one sheet per registered table).

Notebooks register tables with :func:`impact.report.collect.table`; the engine
writes them with :func:`write_workbook` beside the HTML report, after an
``about`` sheet naming the report and its parameters.
"""

from __future__ import annotations

import os
import re
from typing import Any, Mapping

_BAD = re.compile(r"[\[\]:*?/\\]")


def sheet_names(names: list[str]) -> list[str]:
    """Excel-valid, unique sheet names (at most 31 characters, no ``[]:*?/\\``)."""
    out: list[str] = []
    for name in names:
        base = _BAD.sub("_", name).strip("'") or "table"
        cand, i = base[:31], 2
        while cand.lower() in {o.lower() for o in out} or cand.lower() == "about":
            suffix = f"_{i}"
            cand, i = base[: 31 - len(suffix)] + suffix, i + 1
        out.append(cand)
    return out


def _excel_safe(df: Any) -> Any:
    """Copy of ``df`` with timezone-aware datetimes made naive and geometries as WKT."""
    import pandas as pd

    df = df.copy()
    if hasattr(df, "geometry") and "geometry" in df.columns:
        df = pd.DataFrame(df)
        df["geometry"] = df["geometry"].map(lambda g: None if g is None else g.wkt)
    for col in df.columns:
        s = df[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            df[col] = s.dt.tz_localize(None)
        elif s.dtype == object:
            df[col] = s.map(lambda v: v if v is None or isinstance(v, (str, int, float, bool)) else str(v))
    return df


def write_workbook(tables: Mapping[str, Any], path: str | os.PathLike[str], *, title: str = "",
                   parameters: Mapping[str, Any] | None = None) -> None:
    """Write ``tables`` (name -> DataFrame) to ``path`` (.xlsx) with an ``about`` sheet first.

    Writes ``path`` directly: callers wanting atomicity pass a temporary path
    (the batch runner does).
    """
    import pandas as pd

    about = pd.DataFrame(
        [("report / 报告", title)]
        + [(f"parameter: {k}", str(v)) for k, v in (parameters or {}).items()]
        + [("sheets / 工作表", ", ".join(tables))],
        columns=["item", "value"],
    )
    names = sheet_names(list(tables))
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        about.to_excel(xw, sheet_name="about", index=False)
        for sheet, df in zip(names, tables.values()):
            _excel_safe(df).to_excel(xw, sheet_name=sheet, index=False)
