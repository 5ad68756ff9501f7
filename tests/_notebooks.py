"""Comparing executed notebooks in the engine tests."""

from __future__ import annotations

import json

import nbformat

TIMING_KEYS = {"start_time", "end_time", "duration"}


def normalize(nb) -> dict:
    """An executed notebook's content with timings removed (which timing keys a cell has is kept)."""
    nb = json.loads(nbformat.writes(nb))
    meta = dict(nb["metadata"])
    meta["papermill"] = {k: v for k, v in meta["papermill"].items() if k not in TIMING_KEYS}
    cells = []
    for c in nb["cells"]:
        cm = {k: v for k, v in c["metadata"].items() if k != "execution"}
        if "papermill" in cm:
            cm["papermill"] = {k: v for k, v in cm["papermill"].items() if k not in TIMING_KEYS}
        cells.append({"type": c["cell_type"], "source": c["source"], "metadata": cm,
                      "count": c.get("execution_count"), "outputs": c.get("outputs"),
                      "timed": sorted(c["metadata"].get("execution", {}))})
    return {"metadata": meta, "cells": cells}
