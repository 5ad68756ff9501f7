"""Shared loaders for the estimator tests (same preparation as tests/reference/make_reference.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

REFERENCE = Path(__file__).resolve().parent / "reference"
sys.path.insert(0, str(REFERENCE))

from make_reference import NSW_COVS, castle, castle_weighted, nsw_cps, staggered_panel, unbalanced_panel  # noqa: E402,F401


def reference(name: str) -> dict:
    return json.loads((REFERENCE / name).read_text(encoding="utf-8"))
