"""``impact data``: validate input tables, build data/processed, guard data/raw."""

from __future__ import annotations

import warnings
from pathlib import Path

import click

from impact import config
from impact.errors import ImpactError, InputError


def _echo_problems(err: InputError) -> None:
    if err.title:
        click.echo(f"error: {err.title} ({len(err.problems)} problem{'s' if len(err.problems) != 1 else ''})", err=True)
    for p in err.ordered:
        click.echo(f"  {p}" if err.title else f"error: {p}", err=True)


@click.group("data", context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Validate input tables and build data/processed.

    校验输入数据表，并由 data/raw 构建 data/processed。
    """


@cli.command("validate")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--kind", "-k", default=None, metavar="KIND",
              help="Table kind (guessed from the file name if omitted), e.g. plot_trials, cost_ledger. "
                   "表类型（省略时按文件名推断）。")
@click.option("--sheet", default=None, help="XLSX sheet name (default: the first sheet). XLSX 工作表名（默认第一个）。")
@click.option("--encoding", default=None, metavar="CODEC",
              help="CSV encoding when it is not UTF-8 or GBK, e.g. big5. CSV 编码（非 UTF-8/GBK 时），如 big5。")
def validate_cmd(file: Path, kind: str | None, sheet: str | None, encoding: str | None) -> None:
    """Check FILE (CSV, XLSX or Parquet) and list every problem at once.

    检查文件（CSV、XLSX 或 Parquet），一次列出全部问题（文件、行、列、值、期望）。

    Exit status 0 when valid, 1 when not. 有效时退出码为 0，否则为 1。
    """
    from impact.io import read_table
    from impact.schemas import KINDS, USER_KINDS, kind_for_file, validate
    from impact.userdata import read_headers, read_user_table

    if kind is None:
        kind = kind_for_file(file)
        if kind is None:
            try:  # a user's table: the kind from its headers
                from impact.userdata import detect_kind

                kind = detect_kind(read_headers(file, sheet=sheet), file=file.name)
            except InputError:
                click.echo(f"error: cannot tell the table kind from the name {file.name!r} or its headers; "
                           f"give --kind, one of: {', '.join(KINDS)} / 请用 --kind 指定表类型", err=True)
                raise SystemExit(1) from None
    if kind not in KINDS:
        click.echo(f"error: unknown kind {kind!r}; expected one of: {', '.join(KINDS)} / 未知的表类型", err=True)
        raise SystemExit(1)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if kind in USER_KINDS:  # headers, values and county names as county offices write them
                out = read_user_table(file, kind=kind, sheet=sheet, encoding=encoding).frame
            else:
                df = read_table(file, sheet=sheet, dtype=str if file.suffix.lower() == ".csv" else None,
                                encoding=encoding)
                out = validate(df, kind, file=file.name)
    except InputError as err:
        for w in caught:
            click.echo(f"warning: {w.message}", err=True)
        _echo_problems(err)
        click.echo(f"INVALID / 无效: {file.name} ({kind}), {len(err.problems)} problem(s)", err=True)
        raise SystemExit(1) from None
    except ImpactError as err:
        click.echo(f"error: {err}", err=True)
        raise SystemExit(1) from None
    for w in caught:
        click.echo(f"warning: {w.message}", err=True)
    click.echo(f"OK / 有效: {file.name} is a valid {kind} table: {len(out):,} rows, {out.shape[1]} columns")


@cli.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--kind", "-k", default=None, metavar="KIND",
              help="Table kind when the headers do not tell (household_survey, patient_records, plot_trials, "
                   "county_panel, beneficiary_roster, cost_ledger, own_programs). 表类型（表头无法判断时指定）。")
@click.option("--map", "mapping", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Header mapping, YAML (header: column) or CSV (header,column). 表头映射文件（YAML 或 CSV）。")
@click.option("--sheet", default=None, help="XLSX sheet name (default: the first sheet). XLSX 工作表名（默认第一个）。")
@click.option("--suggest", is_flag=True,
              help="Only print a mapping draft for --map from each file's headers. 只打印表头映射草稿，不添加。")
@click.option("--raw", type=click.Path(file_okay=False, path_type=Path), default=config.DATA_RAW,
              show_default=True, help="Raw data folder. 原始数据目录。")
def add_cmd(files: tuple[Path, ...], kind: str | None, mapping: Path | None, sheet: str | None, suggest: bool,
            raw: Path) -> None:
    """Check your own FILES and copy them into data/raw/user/ for `impact data build`.

    校验自有数据文件（CSV、XLSX、Parquet），并复制到 data/raw/user/，供 `impact data build` 使用。
    Chinese 字段 headers, 是/否, 男/女 and county names are accepted; see docs/own-data.md.
    表头可用中文字段名，取值可用 是/否、男/女，县可写县名；详见 docs/own-data.md。
    """
    from impact.userdata import add, suggest_mapping

    try:
        if suggest:
            for f in files:
                click.echo(suggest_mapping(f, sheet=sheet, kind=kind), nl=False)
            return
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tables = add(list(files), raw=raw, kind=kind, mapping=mapping, sheet=sheet)
    except InputError as err:
        _echo_problems(err)
        raise SystemExit(1) from None
    except ImpactError as err:
        click.echo(f"error: {err}", err=True)
        raise SystemExit(1) from None
    for w in caught:
        click.echo(f"warning: {w.message}", err=True)
    for t in tables:
        click.echo(f"added / 已添加: {t.file} as {t.kind}: {len(t.frame):,} rows -> {raw / 'user' / t.file}")
        for n in t.notes:
            click.echo(f"  note / 说明: {n}")
    click.echo("next / 下一步: impact data build")


@cli.command("build")
@click.option("--force", is_flag=True, help="Rebuild even when the inputs are unchanged. 输入未变也重新构建。")
@click.option("--raw", type=click.Path(file_okay=False, path_type=Path), default=config.DATA_RAW,
              show_default=True, help="Raw data folder. 原始数据目录。")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=config.DATA_PROCESSED,
              show_default=True, help="Processed data folder. 处理后数据目录。")
def build_cmd(force: bool, raw: Path, out: Path) -> None:
    """Validate everything in data/raw and write data/processed (Parquet, DuckDB, manifest).

    校验 data/raw 中全部数据，写出 data/processed（Parquet、DuckDB 表、清单）；构建为原子操作。
    """
    from impact.build import build

    try:
        report = build(raw, out, force=force)
    except InputError as err:
        _echo_problems(err)
        click.echo("build failed; data/processed was left unchanged / 构建失败，原处理数据保持不变", err=True)
        raise SystemExit(1) from None
    for w in report.warnings:
        click.echo(f"warning: {w}", err=True)
    click.echo(str(report))
    if report.built:
        for name, n in sorted(report.tables.items()):
            click.echo(f"  {name:<32} {n:>10,} rows")


@cli.command("tables")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=config.DATA_PROCESSED,
              show_default=True, help="Processed data folder. 处理后数据目录。")
def tables_cmd(out: Path) -> None:
    """List the processed tables (building first if needed). 列出处理后的数据表（必要时先构建）。"""
    import json

    from impact.build import MANIFEST_NAME, tables

    names = tables(out)
    manifest = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    for name in names:
        sim = ("  (simulated / 模拟数据)" if name in manifest.get("simulated", []) else
               "  (partly simulated / 部分为模拟数据)" if name in manifest.get("partly_simulated", []) else "")
        click.echo(f"{name:<32} {manifest['tables'][name]:>10,} rows{sim}")


@cli.command("manifest")
@click.option("--check", is_flag=True, help="Only compare data/raw with its manifest. 仅核对，不重写清单。")
def manifest_cmd(check: bool) -> None:
    """Regenerate data/raw/MANIFEST.sha256 (content hashes of every raw file).

    重新生成 data/raw/MANIFEST.sha256（原始数据文件的内容哈希）；--check 只做核对。
    """
    from impact.build import check_raw_manifest, write_raw_manifest

    if check:
        try:
            hashes = check_raw_manifest()
        except InputError as err:
            _echo_problems(err)
            raise SystemExit(1) from None
        click.echo(f"OK / 一致: {len(hashes)} raw files match {config.RAW_MANIFEST.name}")
        return
    path = write_raw_manifest()
    n = sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    click.echo(f"wrote {path} ({n} files)")


@cli.command("templates")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=config.ROOT / "data" / "templates",
              show_default=True, help="Folder for the templates. 模板目录。")
@click.option("--readme", type=click.Path(dir_okay=False, path_type=Path), default=config.ROOT / "data" / "README.md",
              show_default=True, help="Where to write the column documentation. 字段说明文件。")
def templates_cmd(out: Path, readme: Path) -> None:
    """Write empty templates (CSV and XLSX) per table kind and data/README.md.

    为每类数据表生成空白模板（CSV 与 XLSX），并生成字段说明 data/README.md。
    """
    from impact.schemas import write_templates

    paths = write_templates(out, readme=readme)
    click.echo(f"wrote {len(paths)} files under {out} and {readme}")
