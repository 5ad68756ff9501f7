"""impact: analytics and impact evaluation for rural-development programs.

The top-level namespace is lazy: ``import impact`` is cheap, and
``impact.load("programs")`` imports the data layer on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "load": ("impact.build", "load"),
    "tables": ("impact.build", "tables"),
    "resolve_county": ("impact.geo", "resolve_county"),
    "counties": ("impact.geo", "counties"),
    "simulate": ("impact.simulate", "simulate"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'impact' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
