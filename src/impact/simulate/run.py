"""``simulate()``: generate every simulated table and its truth file."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from impact import config
from impact.errors import ImpactError
from impact.results import check_option
from impact.simulate import _write
from impact.simulate import households as hh_mod
from impact.simulate import panel as panel_mod
from impact.simulate import patients as pat_mod
from impact.simulate import programs as prog_mod
from impact.simulate import trials as trials_mod
from impact.simulate import truth as truth_mod
from impact.simulate._inputs import county_frame, registry_tables

Scale = Literal["small", "medium", "large"]
SCALES: tuple[str, ...] = ("small", "medium", "large")
TABLES: tuple[str, ...] = ("county_panel", "plot_trials", "households", "patients", "beneficiaries", "cost_ledger")
#: table -> schema kind in :mod:`impact.schemas`
KINDS: dict[str, str] = {
    "county_panel": "county_panel",
    "plot_trials": "plot_trials",
    "households": "household_survey",
    "patients": "patient_records",
    "beneficiaries": "beneficiary_roster",
    "cost_ledger": "cost_ledger",
}
TRUTH_FILE = "truth_simulated.json"

S, I, F = pa.string(), pa.int64(), pa.float64()
SCHEMAS: dict[str, pa.Schema] = {
    "county_panel": pa.schema(
        [
            ("county_code", S),
            ("county_name", S),
            ("prefecture_code", S),
            ("prefecture", S),
            ("year", I),
            ("altitude_band", S),
            ("baseline_income", F),
            ("cohort", I),
            ("treated", I),
            ("cohort_agriculture", I),
            ("cohort_health", I),
            ("cohort_child_protection", I),
            ("income_per_capita", I),
            ("grain_yield", F),
            ("vegetable_output", F),
            ("tourist_visits", F),
            ("referral_out_share", F),
            ("children_reached", I),
        ]
    ),
    "plot_trials": pa.schema(
        [
            ("trial_id", S),
            ("county_code", S),
            ("town", S),
            ("village", S),
            ("plot_id", S),
            ("pair_id", S),
            ("year", I),
            ("variety", S),
            ("arm", S),
            ("area_mu", F),
            ("yield_kg_per_mu", F),
            ("fertilizer_kg_per_mu", F),
            ("seed_cost_yuan_per_mu", F),
        ]
    ),
    "households": hh_mod.SCHEMA,
    "patients": pa.schema(
        [
            ("patient_id", S),
            ("county_code", S),
            ("year", I),
            ("procedure", S),
            ("setting", S),
            ("period", S),
            ("medical_cost", F),
            ("travel_cost", F),
            ("lodging_cost", F),
            ("lost_work_days", I),
            ("daily_wage", F),
        ]
    ),
    "beneficiaries": pa.schema(
        [
            ("person_id", S),
            ("program_id", S),
            ("county_code", S),
            ("month", S),
            ("service", S),
            ("age", I),
            ("sex", S),
            ("group", S),
        ]
    ),
    "cost_ledger": pa.schema(
        [
            ("entry_id", S),
            ("program_id", S),
            ("county_code", S),
            ("month", S),
            ("item", S),
            ("amount_yuan", F),
            ("funder", S),
        ]
    ),
}


def file_name(table: str) -> str:
    """``<table>_simulated.parquet``."""
    return f"{table}_simulated.parquet"


@dataclass(frozen=True)
class SimulationResult:
    """Where the simulated tables were written and what the truth is."""

    seed: int
    scale: str
    out: Path
    paths: dict[str, Path]
    truth_path: Path
    truth: dict[str, Any] = field(repr=False)

    def read(self, table: str) -> pd.DataFrame:
        """Read one table back as a DataFrame (the households table may be large)."""
        check_option("table", table, TABLES)
        return pq.read_table(self.paths[table]).to_pandas()

    def summary(self) -> list[str]:
        """Lines summarizing the main true effects."""
        return truth_mod.summary_lines(self.truth)


def _arrow(frame: pd.DataFrame, table: str) -> pa.Table:
    schema = SCHEMAS[table]
    arrays = [
        pa.array(frame[f.name].to_numpy(), type=f.type)
        if f.type != S
        else pa.array(frame[f.name].astype(str).tolist(), type=S)
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def default_out(scale: str) -> Path:
    """``data/raw/simulated`` for the committed small scale, ``data/processed/simulated`` otherwise."""
    return config.SIMULATED_DIR if scale == "small" else config.DATA_PROCESSED / "simulated"


def n_households_for(scale: str, households: int | None) -> int:
    """Number of households: the scale's preset unless ``households`` overrides it."""
    if households is None:
        return hh_mod.SCALES[scale]
    if isinstance(households, bool) or not isinstance(households, int) or households < 1:
        raise ImpactError(f"households={households!r} is not valid; expected a whole number of households >= 1")
    return households


def survey_order(expo: pd.DataFrame) -> list[str]:
    """Household-survey counties in order of selection: counties with an agriculture
    program first (the participation programs), then the others, each by code."""
    agri = expo["cohort_agriculture"] > 0
    return sorted(expo.loc[agri, "county_code"]) + sorted(expo.loc[~agri, "county_code"])


def simulate(
    seed: int = config.DEFAULT_SEED,
    scale: Scale = "small",
    out: str | Path | None = None,
    households: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> SimulationResult:
    """Generate every simulated table and ``truth_simulated.json`` into ``out``.

    ``scale`` sets the size of the household survey (small 7,000 households = 21,000
    rows; medium 350,000 = 1.05 M rows; large 3.4 M = 10.2 M rows), the patient volume
    and the trial pairs per village; ``households`` overrides the household count.
    The county panel, rosters and ledgers have fixed sizes. Each table has its own
    random stream, so the same seed always gives the same table whatever else changes.
    Files are written atomically; Parquet files carry ``impact.simulated = "true"``.
    """
    check_option("scale", scale, SCALES)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ImpactError(f"seed={seed!r} is not valid; expected a whole number >= 0")
    n_hh = n_households_for(scale, households)
    out_dir = Path(out) if out is not None else default_out(scale)
    say = progress or (lambda _msg: None)

    counties = county_frame()
    registry = registry_tables()
    tables: dict[str, Any] = {}
    paths: dict[str, Path] = {}

    def put(table: str, frame: pd.DataFrame, truth: dict[str, Any]) -> None:
        path = out_dir / file_name(table)
        _write.write_table(_arrow(frame, table), path, _write.file_metadata(table, seed, scale))
        paths[table] = path
        tables[table] = {"file": path.name, "kind": KINDS[table], "rows": int(len(frame)), "truth": truth}
        say(f"wrote {path} ({len(frame):,} rows)")

    say("county_panel: 129 counties x 2016-2025")
    frame, truth = panel_mod.county_panel(seed, counties, registry)
    put("county_panel", frame, truth)
    expo = frame.drop_duplicates("county_code")[
        ["county_code", "cohort", "cohort_agriculture", "cohort_health", "cohort_child_protection"]
    ]

    say("plot_trials")
    frame, truth = trials_mod.plot_trials(seed, scale, counties, registry)
    put("plot_trials", frame, truth)

    say(f"households: {n_hh:,} households x {len(hh_mod.WAVES)} waves")
    d = hh_mod.design(n_hh, survey_order(expo))
    path = out_dir / file_name("households")
    sums = []
    with _write.chunked_writer(path, hh_mod.SCHEMA, _write.file_metadata("households", seed, scale)) as writer:
        done = 0
        for tbl, s in hh_mod.chunks(seed, d):
            writer.write_table(tbl, row_group_size=_write.ROW_GROUP_ROWS)
            sums.append(s)
            done += s["n"]
            if d.n_households > hh_mod.CHUNK_HOUSEHOLDS:
                say(f"  households {done:,}/{d.n_households:,}")
            del tbl
    paths["households"] = path
    htruth = hh_mod.truth_from_sums(sums, d)
    tables["households"] = {"file": path.name, "kind": KINDS["households"], "rows": htruth["n_rows"], "truth": htruth}
    say(f"wrote {path} ({htruth['n_rows']:,} rows)")

    say("patients")
    frame, truth = pat_mod.patients(seed, scale, expo, registry)
    put("patients", frame, truth)

    say("beneficiaries and cost_ledger")
    ben, led, truth = prog_mod.rosters(seed, counties, registry)
    put("beneficiaries", ben, truth)
    put("cost_ledger", led, {"see": "beneficiaries"})

    doc = truth_mod.clean(
        {
            "simulated": True,
            "simulator_version": truth_mod.SIMULATOR_VERSION,
            "seed": int(seed),
            "scale": scale,
            "households": n_hh,
            "description": "Simulated data with known true effects; see docs/simulation.md. "
            "Not real observations. 模拟数据，非真实观测。",
            "parameters": truth_mod.parameters(),
            "tables": tables,
            "designs": truth_mod.designs(tables),
        }
    )
    truth_path = _write.write_json(doc, out_dir / TRUTH_FILE)
    say(f"wrote {truth_path}")
    return SimulationResult(int(seed), scale, out_dir, paths, truth_path, doc)


def read_truth(folder: str | Path | None = None) -> dict[str, Any]:
    """Read ``truth_simulated.json`` from ``folder`` (default ``data/raw/simulated``)."""
    path = Path(folder or config.SIMULATED_DIR) / TRUTH_FILE
    if not path.is_file():
        raise ImpactError(f"{path}: no truth file; run `impact simulate` first")
    return json.loads(path.read_text(encoding="utf-8"))
