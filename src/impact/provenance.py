"""Where each processed row comes from: the article's registry, a user's file, or the simulator.

``impact data build`` gives every processed row ``source`` (``article``, ``geo``,
``user`` or ``simulated``) and ``source_file`` (its file under ``data/raw/``), and
records the row counts per table, county and source in ``manifest.json``. The
functions here read that record (no table is scanned), so a report can

- put the 模拟数据 / simulated-data banner only where simulated rows were used
  (:func:`uses_simulated`),
- say which source each section used (:func:`county_sources`, :func:`sources`),
- list the user's own programs next to the article's (:func:`own_programs`), labelled
  as declared by the user, not quoted from the article.

Evaluation tables are named after their data: ``households_simulated`` when all
rows are simulated, ``households`` when a user's file supplied rows for some
counties (the simulated rows of those counties are dropped); :func:`table_for`
finds the one present.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from impact import config

__all__ = ["sources", "county_sources", "uses_simulated", "table_for", "own_programs", "SOURCE_LABELS"]

#: How a source is named to readers (Chinese, English).
SOURCE_LABELS: dict[str, tuple[str, str]] = {
    "article": ("文章原文", "the article"),
    "geo": ("行政区划数据", "administrative boundaries"),
    "user": ("用户提供的数据", "data supplied by the user"),
    "simulated": ("模拟数据", "simulated data"),
}


def _manifest(processed: str | os.PathLike[str], raw: str | os.PathLike[str] | None) -> dict:
    from impact.build import _ensure  # noqa: PLC0415

    return _ensure(Path(processed), raw)


def sources(processed: str | os.PathLike[str] = config.DATA_PROCESSED, *,
            raw: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Rows per processed table, county and source.

    Returns
    -------
    DataFrame with columns ``table, county_code, source, source_file, rows``
    (``county_code`` is ``""`` for tables without counties). Builds ``processed``
    first when it is missing or stale.
    """
    rows = _manifest(processed, raw).get("provenance", [])
    cols = ["table", "county_code", "source", "source_file", "rows"]
    return pd.DataFrame(rows, columns=cols).astype({"rows": "int64"})


def table_for(name: str, processed: str | os.PathLike[str] = config.DATA_PROCESSED, *,
              raw: str | os.PathLike[str] | None = None) -> str:
    """The processed table holding ``name``'s data: ``name`` itself (user rows present) or
    ``<name>_simulated`` (all simulated). ``name`` is a table name such as ``households``,
    ``patients``, ``plot_trials``, ``county_panel``, ``beneficiaries``, ``cost_ledger``.
    Raises :class:`~impact.errors.ImpactError` when neither exists."""
    from impact.errors import ImpactError  # noqa: PLC0415

    tables = _manifest(processed, raw).get("tables", {})
    for t in (name, f"{name}_simulated"):
        if t in tables:
            return t
    raise ImpactError(f"no processed table {name!r} or {name + '_simulated'!r}; available: {', '.join(sorted(tables))}")


def county_sources(county_code: str, processed: str | os.PathLike[str] = config.DATA_PROCESSED, *,
                   raw: str | os.PathLike[str] | None = None) -> dict[str, list[str]]:
    """For one county: processed table -> the sources of its rows for that county, sorted
    (e.g. ``{"households": ["user"], "patients_simulated": ["simulated"], ...}``).
    Tables without a ``county_code`` column are left out; a table with no row for the
    county is absent."""
    df = sources(processed, raw=raw)
    df = df[df["county_code"] == str(county_code)]
    return {t: sorted(g["source"].unique()) for t, g in df.groupby("table", sort=True)}


def uses_simulated(table: str, county_code: str | Sequence[str] | None = None,
                   processed: str | os.PathLike[str] = config.DATA_PROCESSED, *,
                   raw: str | os.PathLike[str] | None = None) -> bool:
    """True when the rows of ``table`` (a processed table name, or a base name as taken by
    :func:`table_for`) for ``county_code`` (one code, several, or None: all counties) include
    simulated rows. Use it to show the 模拟数据 banner and flags only where they apply."""
    df = sources(processed, raw=raw)
    name = table if table in set(df["table"]) else table_for(table, processed, raw=raw)
    df = df[df["table"] == name]
    if county_code is not None:
        codes = [county_code] if isinstance(county_code, str) else list(county_code)
        df = df[df["county_code"].isin([str(c) for c in codes])]
    return bool((df["source"] == "simulated").any())


def own_programs(processed: str | os.PathLike[str] = config.DATA_PROCESSED, *,
                 county_code: str | Sequence[str] | None = None,
                 raw: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The user's own programs in the shape of the registry's program list.

    Columns ``county_code, program_id, org_id, organization, program, sector, period_start,
    period_end, delivered, towns, quote`` (as ``exposure_tables(...)["programs"]`` in the
    report wing), then ``organization_kind, funds_yuan, beneficiaries, source_note,
    declared_by`` (always ``"user"``: declared by the user, not quoted from the article;
    ``quote`` is empty), ``source_file``. ``funds_yuan`` in yuan; ``beneficiaries`` in
    persons. Empty (same columns) when there is no own-programs table.
    """
    from impact.build import load  # noqa: PLC0415

    cols = ["county_code", "program_id", "org_id", "organization", "program", "sector", "period_start",
            "period_end", "delivered", "towns", "quote", "organization_kind", "funds_yuan", "beneficiaries",
            "source_note", "declared_by", "source_file"]
    if "own_programs" not in _manifest(processed, raw).get("tables", {}):
        return pd.DataFrame(columns=cols)
    df = load("own_programs", processed, raw=raw)
    if county_code is not None:
        codes = [county_code] if isinstance(county_code, str) else list(county_code)
        df = df[df["county_code"].astype(str).isin([str(c) for c in codes])]
    out = df.rename(columns={"start_date": "period_start"}).assign(
        org_id=pd.NA, period_end=pd.NA, delivered=pd.NA, towns="", quote=pd.NA)
    return out[cols].sort_values(["county_code", "program_id"], kind="stable").reset_index(drop=True)
