"""``impact evaluation``: the evaluator's sheet of the 绩效评价 (write the template, check a filled one).

The report writer's round: ``impact evaluation sheet`` writes the template prefilled with the
indicators and the values the tool computes; the evaluator fills the shaded columns;
``impact evaluation check`` reads it back and prints the score (or every bad cell);
``impact report province|county --sheet FILE`` makes the report from it.
"""

from __future__ import annotations

from pathlib import Path

import click

from impact.cli.report import DATA_DIR, PROCESSED_DIR, YEAR

COUNTY = click.option("--county", default=None,
                      help="A county (code or any name form, e.g. 景谷县 or 530824); omit for the province. "
                           "县（代码或名称）；省级评价省略此项。")
SURVEY = click.option("--survey", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
                      help="A beneficiary satisfaction survey (table kind satisfaction_survey), for 满意度. "
                           "受益群众满意度调查表（满意度指标）。")


def _data(data_dir: Path | None, processed_dir: Path | None, survey: Path | None):
    from impact.evaluation.data import load_data

    return load_data(data_dir=data_dir, processed_dir=processed_dir, satisfaction=survey)


@click.group(name="evaluation", context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """The evaluator's sheet of the 绩效评价 report: write the template, check a filled one.

    绩效评价评价人录入表：生成模板、检查填好的表。

    Steps / 步骤: impact evaluation sheet → fill the shaded columns 填写黄色列 →
    impact evaluation check → impact report province --sheet FILE --format docx.
    """


@cli.command("sheet")
@YEAR
@COUNTY
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The .xlsx file to write. 输出的 .xlsx 文件。")
@SURVEY
@DATA_DIR
@PROCESSED_DIR
def sheet_cmd(year, county, out, survey, data_dir, processed_dir) -> None:
    """Write the evaluator's sheet (Excel, Chinese headers) prefilled with the computed values.

    生成评价人录入表（Excel，中文表头），预填指标、目标值与工具计算的实际完成值。
    """
    from impact.errors import ImpactError
    from impact.evaluation.evaluate import write_template
    from impact.io import check_output_dir

    if out.suffix.lower() != ".xlsx":
        raise ImpactError(f"--out {out}: expected a file name ending in .xlsx / 输出文件须以 .xlsx 结尾")
    check_output_dir(out.parent if str(out.parent) else Path("."), what="--out")
    scope = "county" if county else "province"
    path = write_template(out, scope, year, county=county, data=_data(data_dir, processed_dir, survey))
    click.echo(f"sheet: {path}")


@cli.command("check")
@click.argument("sheet", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@YEAR
@COUNTY
@SURVEY
@DATA_DIR
@PROCESSED_DIR
def check_cmd(sheet, year, county, survey, data_dir, processed_dir) -> None:
    """Read a filled sheet and print the total, the grade and what is still unscored.

    检查填好的录入表，输出总分、等级及尚未评分的指标；表中错误逐项列出（文件、工作表、行、列、值、应为）。
    """
    from impact.evaluation.evaluate import evaluate

    scope = "county" if county else "province"
    ev = evaluate(scope, year, county=county, sheet=sheet, data=_data(data_dir, processed_dir, survey))
    tot = ev.total
    t = ev.table
    click.echo(f"scored / 已评分: {int(t['scored'].sum())} of {len(t)}; total / 总分: {tot.score:.2f} "
               f"of {tot.scored_weight:g} scored points; grade / 等级: {tot.grade or 'pending / 待定'}")
    for _, r in t[~t["scored"]].iterrows():
        click.echo(f"  unscored / 未评分: {r['indicator_id']} {r['level3']}: {r['reason']}")
