"""The conda environment and pyproject.toml list the same dependencies with the same bounds."""

from __future__ import annotations

import re
import tomllib

import yaml

from impact import config

#: conda-forge name -> PyPI name, where they differ
CONDA_TO_PYPI = {"matplotlib-base": "matplotlib", "python-duckdb": "duckdb"}
#: entries that exist only on the conda side
CONDA_ONLY = {"python", "pip"}


def _split(req: str) -> tuple[str, str]:
    m = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)(\[[^\]]+\])?\s*(.*)", req)
    assert m, req
    return m.group(1).lower(), m.group(3).replace(" ", "")


def _pyproject() -> dict[str, str]:
    meta = tomllib.loads((config.ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"])
    for extra in ("dev", "dask"):
        reqs += meta["optional-dependencies"][extra]
    out = dict(_split(r) for r in reqs)
    if "dask" in out:  # dask[distributed] is two packages on conda-forge
        out["distributed"] = out["dask"]
    return out


def _conda() -> dict[str, str]:
    env = yaml.safe_load((config.ROOT / "environment.yml").read_text())
    out: dict[str, str] = {}
    for dep in env["dependencies"]:
        items = dep["pip"] if isinstance(dep, dict) else [dep]
        for item in items:
            name, bound = _split(item)
            name = CONDA_TO_PYPI.get(name, name)
            if name not in CONDA_ONLY:
                out[name] = bound
    return out


def test_environment_yml_matches_pyproject():
    py, conda = _pyproject(), _conda()
    assert sorted(set(py) - set(conda)) == [], "in pyproject.toml but not environment.yml"
    assert sorted(set(conda) - set(py)) == [], "in environment.yml but not pyproject.toml"
    differ = {k: (py[k], conda[k]) for k in py if py[k] != conda[k]}
    assert differ == {}, f"bounds differ (pyproject, conda): {differ}"


def test_python_bound():
    meta = tomllib.loads((config.ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((config.ROOT / "environment.yml").read_text())
    assert meta["requires-python"] == ">=3.11"
    assert "python>=3.11" in env["dependencies"]
