"""The documentation generated from the specifications: ``data/README.md`` (``render_readme``) and
the blank Excel templates users fill in (``write_templates``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from impact.schemas.columns import YEAR_MAX, YEAR_MIN
from impact.schemas.specs import _SPECS


def _md_escape(text: str) -> str:
    return str(text).replace("|", "\\|")


def render_readme() -> str:
    """``data/README.md``: every table, column by column, generated from :data:`SPECS`."""
    lines = [
        "# Data: tables and columns / 数据表与字段",
        "",
        "<!-- Generated from src/impact/schemas/ by `impact data templates`; do not edit by hand. -->",
        "",
        "Every table the suite reads is listed here with its columns: name, type, unit, whether a cell",
        "may be empty, allowed values or range, and meaning. `impact data validate FILE --kind KIND`",
        "checks a file against these rules and lists every problem (file, row, column, value, expected);",
        "rows are spreadsheet rows (the header is row 1). Empty templates for each kind (CSV in UTF-8",
        "with BOM, and XLSX with a column sheet) are in `data/templates/`.",
        "",
        "本页列出本工具读取的每张表及其字段（名称、类型、单位、是否必填、取值范围、含义）。",
        "`impact data validate 文件 --kind 类型` 按这些规则校验文件，并一次列出全部问题（文件、行、列、值、期望）。",
        "`data/templates/` 中有每类表的空白模板（CSV 为带 BOM 的 UTF-8，XLSX 附字段说明表）。",
        "",
        "## Conventions",
        "",
        "- Types: `string`; `integer`; `number`; `flag` (0 or 1); `year` (integer "
        f"{YEAR_MIN}–{YEAR_MAX}); `month` (`YYYY-MM`); `period` (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`, "
        "the precision the source gives); `county_code` (6-digit code of a Yunnan county listed in "
        "`data/raw/geo/counties.csv`, written as text).",
        "- Money is in yuan (元) unless the unit says otherwise; areas in mu (亩).",
        "- CSV files may be UTF-8 (with or without BOM) or GBK/GB18030; XLSX files need a single header row",
        "  in row 1 (no merged cells, no title rows). Parquet files are read as they are.",
        "- Required (`yes`): the cell may not be empty. In registry tables an empty cell means",
        "  \"the article does not say\".",
        "- Registry tables: every `quote` must be verbatim text of a file in `data/raw/source/` (whitespace",
        "  and line breaks ignored), and every `county` as written must resolve (`impact.geo.resolve_county`)",
        "  to the row's `county_code`; `impact data build` checks both. Add the source text of your own",
        "  records to `data/raw/source/` when you extend the registry.",
        "- Keys must be unique. Columns not listed here are kept and reported as a warning",
        "  (`ExtraColumnWarning`); a missing required column is an error, a missing optional column is",
        "  taken as empty.",
        "- Your own files: `impact data add FILE` (see `docs/own-data.md`) accepts the 字段 names below and",
        "  common variants (units in brackets, full-width brackets, spaces), 是/否, 有/无, 男/女, and county",
        "  names in place of codes, and copies the file into `data/raw/user/`. 自有数据见 `docs/own-data.md`。",
        "- Processed copies: `impact data build` writes `data/processed/<table>.parquet` and",
        "  `data/processed/impact.duckdb` (one SQL view per table); `impact.load(\"<table>\")` reads one.",
        "  Simulated tables keep `_simulated` in their names. The build is skipped when the inputs'",
        "  sha256 (recorded in `data/processed/manifest.json`) are unchanged; `--force` rebuilds.",
        "- `data/raw/` is immutable input: `data/raw/MANIFEST.sha256` lists the sha256 of every file in it,",
        "  a test fails when a file changes without the manifest; after an intended change run",
        "  `impact data manifest` (`impact data manifest --check` only compares). The library's writers",
        "  refuse paths under `data/raw/`.",
        "",
        "## Tables",
        "",
        "| kind | table | key | files |",
        "|---|---|---|---|",
    ]
    for s in _SPECS:
        files = ", ".join(f"`data/raw/{f}`" for f in s.files)
        lines.append(f"| [`{s.kind}`](#{s.kind}) | {s.title} / {s.zh} | {', '.join(s.key)} | {files} |")
    lines.append("")
    for s in _SPECS:
        lines += [
            f"## {s.kind}",
            "",
            f"**{s.title} / {s.zh}.** {s.description}",
            "",
            f"Key: {', '.join(f'`{k}`' for k in s.key)}."
            + (f" Template: `data/templates/{s.kind}.csv`, `data/templates/{s.kind}.xlsx`." if s.template else ""),
            "",
            "| column | 字段 | type | unit | required | allowed / range | meaning |",
            "|---|---|---|---|---|---|---|",
        ]
        for c in s.columns:
            lines.append(
                f"| `{c.name}` | {c.zh} | {c.type} | {_md_escape(c.unit)} | {'yes' if c.required else 'no'} "
                f"| {_md_escape(c.rule_text())} | {_md_escape(c.meaning)} |"
            )
        if s.rules or s.group_rules:
            lines += ["", "Row rules:"]
            for r in s.rules:
                lines.append(f"- `{r.column}`: {r.expected}.")
            for g in s.group_rules:
                lines.append(f"- {(g.__doc__ or '').strip()}")
        lines.append("")
    return "\n".join(lines)


def _stable_xlsx(wb: Any) -> bytes:
    """The workbook's bytes with fixed zip timestamps, so regenerating a template is byte-identical."""
    import io as _io
    import zipfile

    buf = _io.BytesIO()
    wb.save(buf)
    out = _io.BytesIO()
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-01-01T00:00:00Z", data)
            zout.writestr(fixed, data)
    return out.getvalue()


def write_templates(folder: str | Path, *, readme: str | Path | None = None) -> list[Path]:
    """Write ``<kind>.csv`` (header only, UTF-8 with BOM for Excel) and ``<kind>.xlsx``
    (sheet ``data`` with the header, sheet ``columns`` documenting each column) for
    every kind that has a template, and ``readme`` (``data/README.md``) if given.
    Returns the paths written (atomically)."""
    import datetime as _dt

    import openpyxl  # noqa: PLC0415
    from openpyxl.styles import Font  # noqa: PLC0415

    from impact.io import atomic_path, write_text  # noqa: PLC0415

    folder = Path(folder)
    written: list[Path] = []
    for s in _SPECS:
        if not s.template:
            continue
        csv_path = folder / f"{s.kind}.csv"
        with atomic_path(csv_path) as tmp:
            tmp.write_bytes(("\ufeff" + ",".join(s.names) + "\n").encode("utf-8"))
        written.append(csv_path)

        wb = openpyxl.Workbook()
        fixed = _dt.datetime(2026, 1, 1)
        wb.properties.created = fixed
        wb.properties.modified = fixed
        ws = wb.active
        ws.title = "data"
        ws.append(s.names)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        doc = wb.create_sheet("columns")
        doc.append(["column", "字段", "type", "unit", "required", "allowed / range", "meaning"])
        for cell in doc[1]:
            cell.font = Font(bold=True)
        for c in s.columns:
            doc.append([c.name, c.zh, c.type, c.unit, "yes" if c.required else "no", c.rule_text(), c.meaning])
        xlsx_path = folder / f"{s.kind}.xlsx"
        with atomic_path(xlsx_path) as tmp:
            tmp.write_bytes(_stable_xlsx(wb))
        written.append(xlsx_path)
    if readme is not None:
        written.append(write_text(render_readme() + "\n", readme))
    return written
