"""The `impact` command: help text in plain words, module entry point, errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from impact.cli import COMMANDS, cli


def test_top_level_help_lists_commands_in_both_languages():
    res = CliRunner().invoke(cli, ["--help"])
    assert res.exit_code == 0
    for name in COMMANDS:
        assert name in res.output
    assert "乡村振兴" in res.output and "reports" in res.output


def test_each_command_has_help():
    runner = CliRunner()
    for name in COMMANDS:
        res = runner.invoke(cli, [name, "--help"])
        assert res.exit_code == 0, (name, res.output)
        assert len(res.output.strip().splitlines()) > 2


def test_python_dash_m_impact():
    out = subprocess.run([sys.executable, "-m", "impact", "--help"], capture_output=True, text=True, check=True)
    assert "Usage" in out.stdout
