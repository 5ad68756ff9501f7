"""Inspect a notebook's ``parameters`` cell and check parameters before a run.

Papermill only warns when a notebook has no cell tagged ``parameters`` and
silently turns unknown Python objects into strings; a batch of 129 reports
should fail before it starts instead. Only JSON types are accepted (``str``,
``int``, ``float``, ``bool``, ``None``, lists and dicts of those).
"""

from __future__ import annotations

import ast
import json
import math
import os
from dataclasses import dataclass
from typing import Any, Mapping

from impact.errors import ReportError

JSON_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class Parameter:
    """One parameter declared in a notebook's ``parameters`` cell."""

    name: str
    default: Any
    type_name: str
    help: str


def _read_nb(path: str | os.PathLike[str]) -> dict[str, Any]:
    # Plain JSON read: no nbformat validation (its import costs seconds).
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise ReportError(f"notebook {os.fspath(path)!r} not found") from None
    except json.JSONDecodeError as err:
        raise ReportError(f"notebook {os.fspath(path)!r} is not valid JSON: {err}") from None


def parameters_cell(nb: Mapping[str, Any], path: str = "<notebook>") -> tuple[int, str]:
    """Index and source of the cell tagged ``parameters``; :class:`ReportError` if absent."""
    for i, cell in enumerate(nb.get("cells", [])):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            src = cell.get("source", "")
            return i, "".join(src) if isinstance(src, list) else src
    raise ReportError(
        f"notebook {path!r} has no cell tagged 'parameters'; expected the first code cell to carry "
        "the tag 'parameters' with JSON-typed defaults"
    )


def inspect_parameters(path: str | os.PathLike[str]) -> dict[str, Parameter]:
    """Parameters declared in the notebook at ``path`` (name -> :class:`Parameter`).

    Each default must be a literal of a JSON type; a missing ``parameters`` tag
    or a non-literal default raises :class:`impact.errors.ReportError`.
    """
    p = os.fspath(path)
    nb = _read_nb(p)
    index, source = parameters_cell(nb, p)
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise ReportError(f"notebook {p!r}, parameters cell (cell {index}): syntax error: {err.msg}") from None
    out: dict[str, Parameter] = {}
    lines = source.splitlines()
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            targets, value = [node.target], node.value
        elif isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            targets, value = node.targets, node.value
        else:
            continue
        try:
            default = ast.literal_eval(value)
        except ValueError:
            raise ReportError(
                f"notebook {p!r}, parameters cell (cell {index}), line {node.lineno}: default of "
                f"{targets[0].id!r} is not a literal; expected a JSON-typed literal (str, int, float, "
                "bool, None, list, dict)"
            ) from None
        _check_json(default, f"notebook {p!r}, parameter {targets[0].id!r} default")
        line = lines[node.lineno - 1] if node.lineno - 1 < len(lines) else ""
        comment = line.split("#", 1)[1].strip() if "#" in line else ""
        for t in targets:
            out[t.id] = Parameter(t.id, default, type(default).__name__, comment)
    return out


def _check_json(value: Any, where: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ReportError(f"{where}: found {value!r}; expected a finite number (JSON has no NaN/inf)")
    if isinstance(value, JSON_SCALARS):
        return
    if isinstance(value, list):
        for i, v in enumerate(value):
            _check_json(v, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise ReportError(f"{where}: dict key {k!r} is {type(k).__name__}; expected str")
            _check_json(v, f"{where}[{k!r}]")
        return
    raise ReportError(
        f"{where}: found {value!r} of type {type(value).__name__}; expected a JSON type "
        "(str, int, float, bool, None, list, dict)"
    )


def check_parameters(
    declared: Mapping[str, Parameter], given: Mapping[str, Any], notebook: str = "<notebook>"
) -> dict[str, Any]:
    """Check ``given`` against ``declared``: known names, JSON-typed values.

    Returns a plain ``dict`` copy of ``given``. Raises :class:`ReportError`
    naming the parameter, the value and what was expected.
    """
    out: dict[str, Any] = {}
    for name, value in given.items():
        if name not in declared:
            raise ReportError(
                f"notebook {notebook!r}: unknown parameter {name!r}; the parameters cell declares "
                f"{', '.join(sorted(declared)) or 'nothing'}"
            )
        _check_json(value, f"notebook {notebook!r}, parameter {name!r}")
        out[name] = value
    return out


def notebook_imports(path: str | os.PathLike[str]) -> list[str]:
    """Modules imported by the code cells of notebook ``path``, in order, deduplicated.

    ``import a.b`` gives ``a.b``; ``from a import b`` gives ``a`` and the
    candidate submodule ``a.b`` (skipped at warm-up when it is not a module).
    Lines starting with ``%`` or ``!`` (IPython magics) are ignored; relative
    imports are skipped.
    """
    with open(path, encoding="utf-8") as fh:
        nb = json.load(fh)
    seen: dict[str, None] = {}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        lines = [ln for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    seen.setdefault(alias.name, None)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                seen.setdefault(node.module, None)
                for alias in node.names:
                    if alias.name != "*":
                        seen.setdefault(f"{node.module}.{alias.name}", None)
    return list(seen)
