"""Every module of ``src/impact`` stays under 600 lines (issue 10: small modules, one job each).

A module that grows past the limit is split by job, as ``impact.schemas`` (a package),
``impact.build`` / ``build_inputs`` / ``build_assemble`` / ``raw_manifest`` and the others were.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from impact import config

LIMIT = 600

def _modules() -> list[Path]:
    return sorted(config.PACKAGE_DIR.rglob("*.py"))


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def _params() -> list[object]:
    return [pytest.param(p, id=p.relative_to(config.PACKAGE_DIR).as_posix()) for p in _modules()]


def test_the_package_has_modules() -> None:
    assert len(_modules()) > 50  # the walk finds the package, not an empty folder


@pytest.mark.parametrize("path", _params())
def test_module_is_under_the_limit(path: Path) -> None:
    n = _lines(path)
    assert n < LIMIT, f"{path.relative_to(config.PACKAGE_DIR)} has {n} lines (limit {LIMIT}): split it by job"
