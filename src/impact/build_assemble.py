"""The processed tables assembled from the validated inputs: user rows replacing the simulated
rows of their counties, each row tagged with its origin and source file, and the provenance rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from impact.build_inputs import _Input, table_name


@dataclass(frozen=True)
class _Output:
    """One processed table: its name, kind, rows (with ``source`` and ``source_file``) and
    the inputs it comes from."""

    table: str
    kind: str
    frame: pd.DataFrame
    inputs: tuple[_Input, ...]

    @property
    def simulated(self) -> str:
        """``"true"`` (all rows simulated), ``"false"`` (none) or ``"partial"``."""
        src = set(self.frame["source"].unique()) if len(self.frame) else set()
        return "true" if src == {"simulated"} else "partial" if "simulated" in src else "false"


def _with_source(df: pd.DataFrame, origin: str, rel: str) -> pd.DataFrame:
    """``df`` with ``source`` and ``source_file``; a column of the input already named so is kept
    as ``<name>_as_written``."""
    clash = {c: f"{c}_as_written" for c in ("source", "source_file") if c in df.columns}
    if clash:
        df = df.rename(columns=clash)
    return df.assign(source=pd.Series(origin, index=df.index, dtype="string"),
                     source_file=pd.Series(rel, index=df.index, dtype="string"))


def assemble(frames: Mapping[str, pd.DataFrame], inputs: list[_Input]) -> list[_Output]:
    """The processed tables from the validated inputs.

    Every row gets ``source`` (``article``, ``geo``, ``simulated`` or ``user``) and
    ``source_file`` (path under the raw folder). The user files of a kind are stacked; where
    they hold a county, the simulated rows of that kind and county are dropped, and the table
    is named without ``_simulated`` (:func:`table_name`); a kind with no user rows keeps its
    simulated table ``<name>_simulated``. Own programs become ``own_programs`` with a stable
    ``program_id`` (``own-`` + 10 hex digits of the sha256 of program, organization, county)
    and ``declared_by = "user"``.
    """
    outs: list[_Output] = []
    users: dict[str, list[_Input]] = {}
    for inp in inputs:
        if inp.origin == "user":
            users.setdefault(inp.kind, []).append(inp)
    for inp in inputs:
        if inp.kind in ("source", "sidecar", "key_counties") or inp.origin == "user":
            continue
        df = _with_source(frames[inp.table], inp.origin, inp.rel)
        if inp.origin == "simulated" and inp.kind in users:
            continue  # merged with the user rows below
        outs.append(_Output(inp.table, inp.kind, df, (inp,)))
    sims = {i.kind: i for i in inputs if i.origin == "simulated"}
    for kind, ins in users.items():
        parts = [_with_source(frames[i.table], "user", i.rel) for i in ins]
        user = pd.concat(parts, ignore_index=True)
        used = list(ins)
        if kind in sims:
            sim = _with_source(frames[sims[kind].table], "simulated", sims[kind].rel)
            sim = sim[~sim["county_code"].astype(str).isin(set(user["county_code"].astype(str)))]
            user = pd.concat([user, sim], ignore_index=True)
            used.append(sims[kind])
        if kind == "own_programs":
            key = user["program"].astype(str) + "\x1f" + user["organization"].astype(str) + "\x1f" \
                + user["county_code"].astype(str)
            user.insert(0, "program_id", ["own-" + hashlib.sha256(k.encode()).hexdigest()[:10] for k in key])
            user["declared_by"] = pd.Series("user", index=user.index, dtype="string")
        outs.append(_Output(table_name(kind), kind, user, tuple(used)))
    return outs


def provenance_rows(outputs: list[_Output]) -> list[dict[str, Any]]:
    """Rows per table, county and source (``table, county_code, source, source_file, rows``;
    ``county_code`` empty for tables without one), recorded in ``manifest.json``."""
    rows: list[dict[str, Any]] = []
    for o in outputs:
        df = o.frame
        cols = ["source", "source_file"] + (["county_code"] if "county_code" in df.columns else [])
        g = df[cols].astype("string").fillna("").value_counts(sort=False).reset_index(name="rows")
        for r in g.sort_values(cols, kind="stable").itertuples(index=False):
            rows.append({"table": o.table, "county_code": getattr(r, "county_code", "") or "",
                         "source": r.source, "source_file": r.source_file, "rows": int(r.rows)})
    return rows
