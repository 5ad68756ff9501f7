"""``impact report``: county reports, the province report, the batch and the index page."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from impact import config
from impact.errors import ImpactError
from impact.schemas import YEAR_MAX, YEAR_MIN

YEAR = click.option("--year", "-y", type=click.IntRange(YEAR_MIN, YEAR_MAX), required=True,
                    help=f"Report year, one the data cover ({YEAR_MIN}–{YEAR_MAX}), e.g. 2024. "
                         "报告年份（须为数据覆盖的年份），例如 2024。")
LANG = click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
                    help="Report language: zh (Chinese) or en (English). 报告语言：zh 中文，en 英文。")
REPORTS_DIR = click.option("--reports-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                           help="Root folder of the reports (default: reports/). 报告根目录（默认 reports/）。")
DATA_DIR = click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="Raw data folder passed to the notebook (default: data/raw). 原始数据目录。")
PROCESSED_DIR = click.option("--processed-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                             help="Processed data folder (default: data/processed). 处理后数据目录。")
SHEET = click.option("--sheet", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
                     help="The evaluator's filled sheet (from `impact evaluation sheet`): targets, values, grades, "
                          "deviation reasons for the 绩效评价. 评价人填好的录入表（目标值、实际值、定性等级、偏差原因）。")
SURVEY = click.option("--survey", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
                      help="A beneficiary satisfaction survey (table kind satisfaction_survey) for 满意度. "
                           "受益群众满意度调查表。")
FONTS = click.option("--fonts", "font_set", type=click.Choice(["windows", "official"]), default="windows",
                     show_default=True,
                     help="Word fonts: windows (宋体/黑体/楷体/仿宋, shipped with Chinese Windows) or official "
                          "(方正小标宋简体/仿宋_GB2312/楷体_GB2312 named by GB/T 9704; they must be installed). "
                          "Word 字体：windows 为系统自带字体；official 为公文字体（需已安装）。")
ENGINE = click.option("--engine", type=click.Choice(["inprocess", "kernel"]), default=None,
                      help="How notebooks run: inprocess (default with local workers: in the worker or this process) "
                           "or kernel (a warm Jupyter kernel per worker; the only one for --executor threads/dask). "
                           "笔记本运行方式：inprocess（默认，在本进程或工作进程内）或 kernel（每个工作进程一个 Jupyter 内核）。")
NOTEBOOK = click.option("--notebook", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
                        help="Use another report notebook (advanced). 使用其他报告笔记本（高级）。")


def data_years(processed_dir: Path | None = None, data_dir: Path | None = None) -> dict[int, list[str]]:
    """Years present in the processed data (``year`` columns and ``YYYY-MM`` months) -> tables.

    Builds ``processed_dir`` first when it is missing or stale, as the reports would.
    """
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from impact.build import tables

    proc = Path(processed_dir or config.DATA_PROCESSED).resolve()
    years: dict[int, list[str]] = {}
    for name in tables(proc, raw=data_dir):
        file = proc / f"{name}.parquet"
        cols = pq.read_schema(file).names
        for col in ("year", "month"):
            if col not in cols:
                continue
            values = pc.unique(pq.read_table(file, columns=[col]).column(0)).drop_null().to_pylist()
            for v in values:
                text = str(v)[:4]
                if text.isdigit():
                    years.setdefault(int(text), []).append(name)
    return years


def _spans(years: list[int]) -> str:
    out: list[str] = []
    for y in sorted(years):
        if out and out[-1].split("–")[-1] == str(y - 1):
            out[-1] = f"{out[-1].split('–')[0]}–{y}"
        else:
            out.append(str(y))
    return ", ".join(out)


def _check_run(year: int | None, *, data_dir: Path | None, processed_dir: Path | None,
               **outputs: Path | None) -> None:
    """Refuse, before anything runs, a year the data do not cover and unusable output folders."""
    from impact.io import check_output_dir, is_under

    for option, path in outputs.items():
        if path is None:
            continue
        where = check_output_dir(path, what=f"--{option.replace('_', '-')}")
        if data_dir is not None and is_under(where, data_dir):
            raise ImpactError(f"--{option.replace('_', '-')} {path}: refusing to write inside the raw data "
                              f"folder {data_dir}; choose another folder")
    if year is None:
        return
    try:
        years = data_years(processed_dir, data_dir)
    except ImpactError:  # data the build cannot read: the reports name the problem; the range applies
        return
    if year not in years:
        covered = _spans(list(years)) if years else "no year at all"
        raise ImpactError(f"--year {year}: the data hold no figures for {year} (they cover {covered}); "
                          f"choose one of those years / 数据中没有 {year} 年的数据（覆盖：{covered}）")


def check_evaluator_files(scope: str, *, sheet: Path | None, survey: Path | None) -> None:
    """Read the evaluator's sheet and the survey before any report runs, so a bad cell is one
    error naming file, sheet, row, column, value and what was expected (exit 2), not 129
    failed reports."""
    if sheet is not None:
        from impact.evaluation.sheet import read_sheet
        from impact.evaluation.system import for_scope, read_system

        read_sheet(sheet, for_scope(read_system(), "province" if scope == "province" else "county"))
    if survey is not None:
        from impact.evaluation.satisfaction import read_survey

        read_survey(survey)


def _finish(summary, show_paths: bool = False) -> None:
    if show_paths:
        for r in summary.ok:
            for kind, path in sorted(r.outputs.items()):
                click.echo(f"{kind}: {path}")
    click.echo(summary.as_text(), err=bool(summary.failed))
    if summary.failed:
        sys.exit(1)


@click.group(name="report", context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Make county and province reports (HTML, notebook, Excel; PDF on request).

    生成县级与省级报告（HTML、笔记本、Excel；可选 PDF）。

    Reports go to reports/<year>/counties/<code>_<official name>.html,
    reports/<year>/province/ and reports/<year>/index.html.
    报告写入 reports/<年份>/counties/<代码>_<正式名称>.html 等。
    """


@cli.command("county")
@click.argument("county")
@YEAR
@LANG
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the files (default: reports/<year>/counties; its state and logs go there too). 输出目录。")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf", "docx"]), default="html", show_default=True,
              help="html; pdf too (needs Chromium); or docx too (the 绩效评价 report in Word). "
                   "输出格式：html；pdf（需 Chromium）；docx（Word 版绩效评价报告）。")
@SHEET
@SURVEY
@FONTS
@REPORTS_DIR
@DATA_DIR
@PROCESSED_DIR
@NOTEBOOK
@ENGINE
def county_cmd(county, year, lang, out_dir, fmt, sheet, survey, font_set, reports_dir, data_dir, processed_dir,
               notebook, engine) -> None:
    """Make the impact report of one COUNTY (code or any name form, e.g. 景谷县 or 530824).

    生成一个县的影响评估报告（COUNTY 可为代码或名称，如 景谷县、530824）。
    """
    from impact.report.batch import run_county

    _check_run(year, data_dir=data_dir, processed_dir=processed_dir, out=out_dir, reports_dir=reports_dir)
    check_evaluator_files("county", sheet=sheet, survey=survey)
    if fmt == "pdf":
        from impact.report.pdf import require_chromium

        require_chromium()
    summary = run_county(county, year, lang, out_dir=out_dir, formats=("html", fmt), notebook=notebook,
                         out_root=reports_dir, data_dir=data_dir, processed_dir=processed_dir, sheet=sheet,
                         survey=survey, fonts=font_set, engine=engine)
    _finish(summary, show_paths=True)


def _split(text: str | None) -> list[str] | None:
    if not text:
        return None
    return [p for p in re.split(r"[,，、;；\s]+", text.strip()) if p]


@cli.command("all")
@YEAR
@LANG
@click.option("--jobs", "-j", "n_jobs", type=click.IntRange(min=1), default=None,
              help="Parallel workers (default: CPUs available). 并行进程数（默认：可用 CPU 数）。")
@click.option("--counties", default=None,
              help="Only these counties, comma-separated (codes or names). 仅这些县，逗号分隔。")
@click.option("--force", is_flag=True, help="Re-make reports even when nothing changed. 即使未变化也重新生成。")
@click.option("--executor", type=click.Choice(["local", "threads", "dask"]), default="local", show_default=True,
              help="Where reports run: local processes, threads, or a Dask cluster. 运行方式：本机进程、线程或 Dask 集群。")
@click.option("--scheduler", default=None,
              help="Dask scheduler address for --executor dask, e.g. tcp://10.0.0.5:8786. Dask 调度器地址。")
@click.option("--no-progress", is_flag=True, help="Hide the progress bar. 不显示进度条。")
@click.option("--no-precompute", is_flag=True,
              help="Do not precompute the shared tables first (advanced). 不预先计算共享表（高级）。")
@REPORTS_DIR
@DATA_DIR
@PROCESSED_DIR
@NOTEBOOK
@ENGINE
@click.option("--province", is_flag=True,
              help="Make the province report too, in the same batch (started first; --docx adds its Word file). "
                   "同时生成全省报告（同一批次，最先开始）。")
@click.option("--docx", is_flag=True,
              help="With --province: also write the province report's Word file (.docx). 同时输出全省报告 Word 版。")
@FONTS
def all_cmd(year, lang, n_jobs, counties, force, executor, scheduler, no_progress, no_precompute, reports_dir,
            data_dir, processed_dir, notebook, engine, province, docx, font_set) -> None:
    """Make every county's report in parallel (and the province report with --province), then the index page.

    并行生成所有县的报告（加 --province 时同时生成全省报告）及索引页。Unchanged reports are skipped (content hash);
    failures are listed at the end and the exit code is 1. 未变化的报告跳过；失败的报告在最后列出，退出码为 1。
    """
    from impact.report.batch import run_all

    if docx and not province:
        raise click.UsageError("--docx needs --province / --docx 需与 --province 同用")
    _check_run(year, data_dir=data_dir, processed_dir=processed_dir, reports_dir=reports_dir)
    summary = run_all(year, lang, counties=_split(counties), n_jobs=n_jobs, force=force, executor=executor,
                      scheduler=scheduler, notebook=notebook, out_root=reports_dir, data_dir=data_dir,
                      processed_dir=processed_dir, progress=not no_progress, run_precompute=not no_precompute,
                      province=province, province_formats=("html", "docx") if docx else ("html",),
                      fonts=font_set, engine=engine)
    _finish(summary)


@cli.command("province")
@YEAR
@LANG
@click.option("--force", is_flag=True, help="Re-make even when nothing changed. 即使未变化也重新生成。")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf", "docx"]), default="html", show_default=True,
              help="html; pdf too (needs Chromium); or docx too (Word, beside the HTML). "
                   "输出格式：html；pdf；docx（Word，与 HTML 同目录）。")
@SHEET
@SURVEY
@FONTS
@REPORTS_DIR
@DATA_DIR
@PROCESSED_DIR
@NOTEBOOK
@ENGINE
def province_cmd(year, lang, force, fmt, sheet, survey, font_set, reports_dir, data_dir, processed_dir,
                 notebook, engine) -> None:
    """Make the province annual evaluation report (绩效评价). 生成全省年度绩效评价报告。

    With --sheet, the evaluator's grades, values and reasons are scored; a changed sheet
    makes the report again. 使用 --sheet 时按评价人录入表评分；录入表变化后报告重新生成。
    """
    from impact.report.batch import run_province

    _check_run(year, data_dir=data_dir, processed_dir=processed_dir, reports_dir=reports_dir)
    check_evaluator_files("province", sheet=sheet, survey=survey)
    if fmt == "pdf":
        from impact.report.pdf import require_chromium

        require_chromium()
    summary = run_province(year, lang, formats=("html", fmt), notebook=notebook, out_root=reports_dir,
                           data_dir=data_dir, processed_dir=processed_dir, force=force, sheet=sheet, survey=survey,
                           fonts=font_set, engine=engine)
    _finish(summary, show_paths=True)


@cli.command("index")
@YEAR
@REPORTS_DIR
def index_cmd(year, reports_dir) -> None:
    """Write reports/<year>/index.html from the reports made so far. 根据已生成的报告写索引页。"""
    from impact.report.index import write_index

    _check_run(None, data_dir=None, processed_dir=None, reports_dir=reports_dir)
    click.echo(write_index(year, root=reports_dir))
