"""The simulator: evaluation data sets with known true effects.

``simulate(seed, scale, out, households)`` writes six tables (``county_panel``,
``plot_trials``, ``households``, ``patients``, ``beneficiaries``, ``cost_ledger``) as
``<table>_simulated.parquet`` and the truth as ``truth_simulated.json``. The per-table
functions below return one table (as a DataFrame) and its truth, in memory.
The data-generating process is documented in ``docs/simulation.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from impact import config
from impact.simulate.run import (
    KINDS,
    SCALES,
    TABLES,
    TRUTH_FILE,
    SimulationResult,
    file_name,
    read_truth,
    simulate,
)

__all__ = [
    "simulate",
    "is_simulated",
    "SimulationResult",
    "read_truth",
    "county_panel",
    "plot_trials",
    "household_survey",
    "patient_records",
    "rosters",
    "TABLES",
    "KINDS",
    "SCALES",
    "TRUTH_FILE",
    "file_name",
]


def county_panel(seed: int = config.DEFAULT_SEED) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The county-year panel (129 counties x 2016-2025) and its truth."""
    from impact.simulate import panel
    from impact.simulate._inputs import county_frame, registry_tables

    return panel.county_panel(seed, county_frame(), registry_tables())


def plot_trials(seed: int = config.DEFAULT_SEED, scale: str = "small") -> tuple[pd.DataFrame, dict[str, Any]]:
    """The paired plot trials and their truth."""
    from impact.results import check_option
    from impact.simulate import trials
    from impact.simulate._inputs import county_frame, registry_tables

    check_option("scale", scale, SCALES)
    return trials.plot_trials(seed, scale, county_frame(), registry_tables())


def household_survey(
    seed: int = config.DEFAULT_SEED, scale: str = "small", households: int | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The household panel in memory (use :func:`simulate` for large sizes) and its truth."""
    from impact.results import check_option
    from impact.simulate import households as hh
    from impact.simulate.run import n_households_for, survey_order

    check_option("scale", scale, SCALES)
    frame, _ = county_panel(seed)
    expo = frame.drop_duplicates("county_code")
    d = hh.design(n_households_for(scale, households), survey_order(expo))
    parts, sums = [], []
    for tbl, s in hh.chunks(seed, d):
        parts.append(tbl)
        sums.append(s)
    return pa.concat_tables(parts).to_pandas(), hh.truth_from_sums(sums, d)


def patient_records(seed: int = config.DEFAULT_SEED, scale: str = "small") -> tuple[pd.DataFrame, dict[str, Any]]:
    """Patient records of hospitals paired with the hospital association and their truth."""
    from impact.results import check_option
    from impact.simulate import patients
    from impact.simulate._inputs import registry_tables

    check_option("scale", scale, SCALES)
    frame, _ = county_panel(seed)
    expo = frame.drop_duplicates("county_code")
    return patients.patients(seed, scale, expo, registry_tables())


def rosters(seed: int = config.DEFAULT_SEED) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Beneficiary roster, cost ledger and their truth."""
    from impact.simulate import programs
    from impact.simulate._inputs import county_frame, registry_tables

    return programs.rosters(seed, county_frame(), registry_tables())


def is_simulated(path: str | Path) -> bool:
    """True when the Parquet file at ``path`` carries ``impact.simulated = "true"``
    (or its name says ``_simulated``), so reports can show the simulated-data banner."""
    import pyarrow.parquet as pq

    path = Path(path)
    if "_simulated" in path.name:
        return True
    if path.suffix.lower() != ".parquet" or not path.is_file():
        return False
    meta = pq.read_schema(path).metadata or {}
    return meta.get(b"impact.simulated") == b"true"
