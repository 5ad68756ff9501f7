"""Performance evaluation (绩效评价) after 财政部《项目支出绩效评价管理办法》(财预〔2020〕10号).

>>> from impact import evaluation as ev
>>> res = ev.evaluate("province", 2024, sheet="评价人录入表.xlsx")
>>> res.table           # one row per indicator: target, actual, source, attainment, score
>>> res.total.grade     # 优/良/中/差 once every indicator is scored
>>> ev.write_sheet(ev.read_system(), "评价人录入表.xlsx")

Modules (one job each): ``system`` (the indicator file), ``data`` (tables read),
``measures`` (actual values with sources), ``scoring`` (rules, subtotals, total, grade),
``sheet`` (the evaluator's Excel), ``satisfaction`` (survey kind, Wilson interval),
``evaluate`` (one scored evaluation), ``findings`` (problems and recommendations),
``dac`` (the OECD DAC framing), ``document`` (the report's block model), ``outline``
(the 绩效评价 report outline).
"""

from __future__ import annotations

import importlib
from typing import Any

# Functions named like their module are bound eagerly: importing a submodule sets the package
# attribute to the module, which would shadow a lazy function of the same name.
from impact.evaluation.evaluate import evaluate  # noqa: E402, F401
from impact.evaluation.findings import findings  # noqa: E402, F401
from impact.evaluation.satisfaction import satisfaction  # noqa: E402, F401

_LAZY: dict[str, tuple[str, str]] = {
    "read_system": ("impact.evaluation.system", "read_system"),
    "for_scope": ("impact.evaluation.system", "for_scope"),
    "load_data": ("impact.evaluation.data", "load_data"),
    "EvaluationData": ("impact.evaluation.data", "EvaluationData"),
    "actual_values": ("impact.evaluation.measures", "actual_values"),
    "grade_of": ("impact.evaluation.scoring", "grade_of"),
    "write_sheet": ("impact.evaluation.sheet", "write_sheet"),
    "write_template": ("impact.evaluation.evaluate", "write_template"),
    "read_sheet": ("impact.evaluation.sheet", "read_sheet"),
    "validate_survey": ("impact.evaluation.satisfaction", "validate_survey"),
    "wilson_interval": ("impact.evaluation.satisfaction", "wilson_interval"),
    "Evaluation": ("impact.evaluation.evaluate", "Evaluation"),
    "build_outline": ("impact.evaluation.outline", "build_outline"),
}

__all__ = sorted([*_LAZY, "evaluate", "findings", "satisfaction"])


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        obj = getattr(importlib.import_module(module), attr)
        globals()[name] = obj
        return obj
    raise AttributeError(f"module 'impact.evaluation' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
