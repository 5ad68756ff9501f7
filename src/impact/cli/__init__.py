"""The ``impact`` command line.

Sub-command groups live in sibling modules (``impact.cli.data``,
``impact.cli.simulate``, ``impact.cli.report``); each exposes ``cli`` (a click
command or group). They are imported lazily so ``impact --help`` stays fast.
Domain errors (:class:`impact.errors.ImpactError`) and file-system errors
(permissions, paths through files, symlink loops) print as plain lines and exit
with status 2; an interruption (Ctrl-C, SIGTERM) exits with 128 + the signal
number (130, 143). No traceback reaches the user.
"""

from __future__ import annotations

import importlib
import signal
import sys

import click

from impact.errors import ImpactError

#: command name -> (module, one-line help in English / Chinese)
COMMANDS: dict[str, tuple[str, str]] = {
    "data": ("impact.cli.data", "Validate input tables and build data/processed. 校验数据并构建处理后数据。"),
    "simulate": ("impact.cli.simulate", "Generate simulated data with known true effects. 生成已知真实效应的模拟数据。"),
    "report": ("impact.cli.report", "Make county and province reports. 生成县级与省级报告。"),
    "evaluation": ("impact.cli.evaluation", "The evaluator's sheet of the 绩效评价 report. 绩效评价评价人录入表。"),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module = importlib.import_module(COMMANDS[name][0])
        cmd = module.cli
        cmd.short_help = COMMANDS[name][1]
        return cmd

    def invoke(self, ctx: click.Context):  # noqa: D401 - click API
        try:
            return super().invoke(ctx)
        except ImpactError as err:
            for line in str(err).splitlines():
                click.echo(f"error: {line}", err=True)
            ctx.exit(2)
        except OSError as err:  # permissions, a path through a file, a symlink loop, a full disk
            where = " -> ".join(str(f) for f in (err.filename, err.filename2) if f)
            click.echo(f"error: {err.strerror or err}{': ' + where if where else ''} "
                       "/ 文件系统错误（权限、路径或磁盘空间）", err=True)
            ctx.exit(2)
        except KeyboardInterrupt as err:  # Ctrl-C, or SIGTERM as impact.io.Interrupted
            signum = getattr(err, "signum", signal.SIGINT)
            click.echo(f"interrupted ({signal.Signals(signum).name}); nothing half-written was kept "
                       "/ 已中断，未保留写了一半的文件", err=True)
            ctx.exit(128 + int(signum))


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="impact")
def cli() -> None:
    """impact: evaluate rural-development programs and make their reports.

    impact：乡村振兴帮扶项目的分析、影响评估与报告工具。

    Run `impact COMMAND --help` for each command's options.
    """


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="impact")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
