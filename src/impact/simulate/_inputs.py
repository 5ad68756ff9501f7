"""Inputs of the simulator: the 129 real counties and the registry's pairings.

The county list comes from :mod:`impact.geo`; program exposure from :mod:`impact.registry`
(``pairings``, ``programs``, ``program_sites``). Both are read once per run; nothing here
draws random numbers.
"""

from __future__ import annotations

import importlib

import pandas as pd

from impact import config
from impact.errors import ImpactError

COUNTY_COLUMNS = ["county_code", "name", "short_name", "alias", "prefecture_code", "prefecture"]


def county_frame() -> pd.DataFrame:
    """The 129 counties as a plain DataFrame (no geometry), sorted by ``county_code``."""
    try:
        geo = importlib.import_module("impact.geo")
    except ImportError as err:  # pragma: no cover - only while geo is being written
        raise ImpactError(f"the simulator needs impact.geo (the county list): {err}") from err
    if hasattr(geo, "county_table"):
        df = geo.county_table()
    else:
        df = geo.counties()
    df = pd.DataFrame(df)
    missing = [c for c in ("county_code", "name", "prefecture_code", "prefecture") if c not in df.columns]
    if missing:
        raise ImpactError(f"impact.geo county table lacks columns {missing}; expected {COUNTY_COLUMNS}")
    keep = [c for c in COUNTY_COLUMNS if c in df.columns]
    df = df[keep].copy()
    for col in keep:
        df[col] = df[col].astype(str)
    if "alias" not in df.columns:
        df["alias"] = df["name"]
    return df.sort_values("county_code", kind="stable").reset_index(drop=True)


def registry_tables() -> dict[str, pd.DataFrame]:
    """``pairings``, ``programs`` and ``program_sites`` from the registry.

    Uses :func:`impact.registry.read` when that module is present; otherwise reads the
    CSV files in ``config.REGISTRY_DIR`` as text (same columns).
    """
    names = ("pairings", "programs", "program_sites")
    try:
        registry = importlib.import_module("impact.registry")
    except ImportError:
        registry = None
    out: dict[str, pd.DataFrame] = {}
    for name in names:
        if registry is not None and hasattr(registry, "read"):
            df = pd.DataFrame(registry.read(name))
        else:
            file = config.REGISTRY_DIR / f"{name}.csv"
            if not file.is_file():
                raise ImpactError(f"{file}: registry table missing; the simulator needs {', '.join(names)}")
            df = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8")
        out[name] = df
    return out
