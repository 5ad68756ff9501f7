"""CPU of writing one report's outputs, this engine vs the previous writers, in the same run.

Executes a few real reports once (``notebooks/county_report.ipynb`` for ``--counties``, and
the province notebook) on a warm kernel, keeping each executed notebook and the tables it
registered, then times each writer on them in a loop (``time.process_time``, median of
``--repeat`` rounds of ``--loops`` calls), side by side with its peer:

- page: :func:`impact.report.html.to_html` vs nbconvert's ``HTMLExporter`` (lab template,
  ``--no-input``, no prompts, tag removal; its BeautifulSoup pass included), the exporter
  the engine used before, through the same page template;
- workbook: :func:`impact.report.excel.write_workbook` (xlsxwriter) vs the same workbook
  written with openpyxl (same cells, formats, widths, frozen header, filter);
- notebook: ``nbformat.v4.nbjson.writes`` vs ``nbformat.writes`` (validates first);
- tables: reading the side folder's pickles vs Parquet files of the same tables, and
  writing them in the kernel (``pickle.dump`` vs ``DataFrame.to_parquet``).

    python benchmarks/bench_report_writing.py                 # 景谷, 五华, 禄丰 and the province
    python benchmarks/bench_report_writing.py --counties 530824,530828 --loops 20

Prints milliseconds per report for each writer and its peer and their ratio, with the
1-minute load average before and after (the machine may be shared).
"""

from __future__ import annotations

import argparse
import io
import os
import pickle
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Callable


def _cpu_ms(fn: Callable[[], Any], loops: int, repeat: int) -> float:
    fn()
    rounds = []
    for _ in range(repeat):
        t = time.process_time()
        for _ in range(loops):
            fn()
        rounds.append((time.process_time() - t) / loops * 1000)
    return statistics.median(rounds)


class _Keep:
    """A kernel stand-in that runs the real kernel and keeps the notebook and the side folder."""

    def __init__(self, kernel: Any, into: Path) -> None:
        self.kernel, self.into = kernel, into
        self.kept: dict[str, Path] = {}

    def run(self, notebook, parameters, *, output_path=None, collect_dir=None):
        nb = self.kernel.run(notebook, parameters, output_path=output_path, collect_dir=collect_dir)
        dest = self.into / Path(output_path).stem
        shutil.copytree(collect_dir, dest, dirs_exist_ok=True)
        self.kept[str(output_path)] = dest
        return nb


def _nbconvert_exporter(lang: str, template_dir: Path) -> Any:
    import re

    from nbconvert import HTMLExporter
    from traitlets.config import Config

    from impact.report import html

    ours = (html.TEMPLATE_DIR / html.TEMPLATE_FILE).read_text(encoding="utf-8")
    (template_dir / "previous.html.j2").write_text(
        "{%- extends 'lab/index.html.j2' -%}\n"
        "{%- block html_head_js -%}{%- endblock html_head_js -%}\n"
        "{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}\n"
        "{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}\n"
        "{% block jupyter_widgets %}{% endblock jupyter_widgets %}\n"
        "{% block extra_css %}" + re.search(r"<style.*?</style>", ours, re.S).group(0) + "{% endblock extra_css %}\n",
        encoding="utf-8")
    cfg = Config()
    cfg.TagRemovePreprocessor.enabled = True
    cfg.TagRemovePreprocessor.remove_cell_tags = {"remove-cell", "remove_cell"}
    cfg.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output", "remove_output"}
    return HTMLExporter(config=cfg, template_name="lab", template_file="previous.html.j2",
                        extra_template_paths=[str(template_dir)], exclude_input=True, exclude_input_prompt=True,
                        exclude_output_prompt=True, embed_images=True, language_code=lang)


def openpyxl_workbook(tables: dict[str, Any], path: Any, *, title: str, parameters: dict[str, Any]) -> None:
    """The report's workbook written with openpyxl (the previous writer, cell for cell)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from impact.report import excel

    lang = str(parameters.get("lang") or "zh")

    def sheet(ws: Any, header: list[str], rows: list[list[Any]], columns: list[str]) -> None:
        for j, h in enumerate(header, start=1):
            c = ws.cell(row=1, column=j, value=h)
            c.font, c.alignment = Font(bold=True), Alignment(wrap_text=True, vertical="top")
            c.quotePrefix = excel.is_dangerous_text(h)
        formats = [excel.number_format(col, [r[j] for r in rows]) for j, col in enumerate(columns)]
        for i, r in enumerate(rows, start=2):
            for j, v in enumerate(r, start=1):
                if v is None or v == "":
                    continue
                c = ws.cell(row=i, column=j, value=v)
                if isinstance(v, str):
                    c.data_type, c.quotePrefix = "s", excel.is_dangerous_text(v)
                elif formats[j - 1] is not None and isinstance(v, (int, float)) and not isinstance(v, bool):
                    c.number_format = formats[j - 1]
                elif hasattr(v, "year"):
                    c.number_format = "yyyy-mm-dd"
        for j, h in enumerate(header, start=1):
            shown = [excel.display_width(h)] + [excel.display_width(f"{r[j - 1]:,.2f}" if isinstance(r[j - 1], float)
                                                                   else r[j - 1]) for r in rows[:1000]]
            ws.column_dimensions[get_column_letter(j)].width = min(excel.MAX_WIDTH, max(8, max(shown) + 2))
        ws.freeze_panes = "A2"
        if rows and header:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(rows) + 1}"

    names = excel.sheet_names(list(tables), lang=lang)
    wb = Workbook()
    ws = wb.active
    ws.title = excel.SHEETS["about"][lang]
    a = excel._ABOUT[lang]
    sheet(ws, [a["item"], a["value"]], [list(r) for r in excel.about_rows(title=title, lang=lang, parameters=parameters,
                                                                          sheets=names)], ["item", "value"])
    for name, df in zip(names, tables.values()):
        columns, rows = excel._frame(df, lang)
        header: list[str] = []
        for c in columns:
            h = excel._header(c, lang)
            header.append(h if h not in header else f"{h} ({c})")
        sheet(wb.create_sheet(name), header, rows, columns)
    wb.save(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--counties", default="530824,530102,532331")
    ap.add_argument("--loops", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from impact.report._fastimport import import_notebook_stack

    import_notebook_stack()
    import nbformat
    from nbformat.v4.nbjson import writes as nbjson_writes

    from impact.report import batch, collect, excel, html, jobs
    from impact.report.warm import WarmKernel

    work = Path(tempfile.mkdtemp(prefix="impact-bench-writing-"))
    try:
        todo = batch.county_jobs(args.counties.split(","), 2024, "zh", out_root=work / "r")
        todo.append(batch.province_job(2024, "zh", out_root=work / "r"))
        with WarmKernel() as kernel:
            keep = _Keep(kernel, work / "side")
            for job in todo:
                result = jobs.execute_job(job, keep)
                if result.status != "ok":
                    raise SystemExit(f"{job.stem}: {result.error}")
        load0 = os.getloadavg()[0]
        html.warm()
        totals = {"ours": 0.0, "peer": 0.0}
        print(f"{'report':<28} {'writer':<9} {'this engine':>12} {'previous':>10} {'ratio':>7}")
        for job in todo:
            out = job.outputs()
            nb = nbformat.read(out["ipynb"], as_version=4)
            side = keep.kept[str(out["ipynb"])]
            tables = collect.read_tables(side)
            pq = work / "pq" / job.stem
            pq.mkdir(parents=True)
            for i, (name, df) in enumerate(tables.items()):
                df.to_parquet(pq / f"{i:03d}_{name}.parquet", index=False)
            import pandas as pd

            exporter = _nbconvert_exporter(job.lang, work)
            pairs = {
                "page": (lambda: html.to_html(nb, title=job.title, lang=job.lang),
                         lambda: exporter.from_notebook_node(nb, resources={"metadata": {"name": job.title}})),
                "workbook": (lambda: excel.write_workbook(tables, work / "a.xlsx", title=job.title,
                                                          parameters=job.parameters),
                             lambda: openpyxl_workbook(tables, work / "b.xlsx", title=job.title,
                                                       parameters=job.parameters)),
                "notebook": (lambda: nbjson_writes(nb), lambda: nbformat.writes(nb)),
                "tables": (lambda: (collect.read_tables(side),
                                    [pickle.dump(df, io.BytesIO(), protocol=5) for df in tables.values()]),
                           lambda: ([pd.read_parquet(p) for p in sorted(pq.glob("*.parquet"))],
                                    [df.to_parquet(io.BytesIO(), index=False) for df in tables.values()])),
            }
            for what, (ours, peer) in pairs.items():
                a, b = _cpu_ms(ours, args.loops, args.repeat), _cpu_ms(peer, args.loops, args.repeat)
                totals["ours"] += a
                totals["peer"] += b
                print(f"{job.stem:<28} {what:<9} {a:>9.1f} ms {b:>7.1f} ms {b / a:>6.1f}x")
        n = len(todo)
        print(f"per report (mean of {n}): this engine {totals['ours'] / n:.1f} ms CPU, previous writers "
              f"{totals['peer'] / n:.1f} ms CPU: {totals['peer'] / totals['ours']:.1f}x; "
              f"load {load0:.1f} -> {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
