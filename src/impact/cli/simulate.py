"""``impact simulate``: write the simulated tables and their truth file."""

from __future__ import annotations

from pathlib import Path

import click

from impact import config


@click.command(name="simulate")
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=config.DEFAULT_SEED,
    show_default=True,
    help="Random seed; the same seed gives byte-identical files. 随机种子，相同种子生成相同文件。",
)
@click.option(
    "--scale",
    type=click.Choice(["small", "medium", "large"]),
    default="small",
    show_default=True,
    help="Size: small (7,000 households, committed), medium (350,000), large (3.4 million households, "
    "10.2 million rows). 规模：小（7千户，随仓库提交）、中（35万户）、大（340万户，1020万行）。",
)
@click.option(
    "--households",
    type=click.IntRange(min=1),
    default=None,
    help="Number of households (overrides the scale's preset). 农户数（覆盖规模预设）。",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: data/raw/simulated for small, data/processed/simulated otherwise). "
    "输出目录（默认：小规模写入 data/raw/simulated，其余写入 data/processed/simulated）。",
)
@click.option("--quiet", is_flag=True, help="Print only where the files went. 仅输出文件位置。")
def cli(seed: int, scale: str, households: int | None, out: Path | None, quiet: bool) -> None:
    """Generate SIMULATED evaluation data with known true effects.

    生成已知真实效应的【模拟】评估数据。

    Writes county_panel, plot_trials, households, patients, beneficiaries and
    cost_ledger as <table>_simulated.parquet and the true effects as
    truth_simulated.json. The data are simulated, not observations; see
    docs/simulation.md for the data-generating process.

    写出六张表（<表名>_simulated.parquet）与真实效应文件 truth_simulated.json。
    数据为模拟数据，并非真实观测；数据生成过程见 docs/simulation.md。
    """
    from impact.simulate import simulate  # noqa: PLC0415 - keep `impact --help` fast

    echo = (lambda msg: None) if quiet else (lambda msg: click.echo(msg, err=True))
    echo(f"simulating (seed {seed}, scale {scale}) / 正在生成模拟数据（种子 {seed}，规模 {scale}）")
    result = simulate(seed=seed, scale=scale, out=out, households=households, progress=echo)
    click.echo(f"wrote simulated data to {result.out} / 模拟数据已写入 {result.out}")
    for path in result.paths.values():
        click.echo(f"  {path.name}")
    click.echo(f"  {result.truth_path.name}")
    click.echo("true effects (simulated) / 真实效应（模拟）:")
    for line in result.summary():
        click.echo(f"  {line}")
