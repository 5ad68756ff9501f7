"""Pairing waves and program cohorts of a user's county panel, from the campaign's design.

A county office's panel (one row per county and year) rarely says when the county was first
paired or when each sector's first program started. :func:`panel_cohorts` derives them as
:mod:`impact.design` defines the waves, never by drawing:

- ``cohort`` (first pairing year): :data:`impact.design.FIRST_WAVE_YEAR` (2022) for the 27
  national key counties, read from a sourced list (``data/raw/registry/key_counties.csv``,
  :func:`impact.design.key_counties`); for the other counties, the year of a dated pairing in
  the registry, else the year the article gives for the county's prefecture
  (:data:`impact.design.DATED_SIGNINGS`: 昭通, 大理 in 2024). Anything else is unknown: the
  article does not say, and the user must give the column.
- ``cohort_<sector>`` (:data:`impact.design.SECTORS`): the later of the pairing year and the
  start year of the county's earliest program of that sector (the article's registry:
  :func:`impact.design.program_counties`, ``period_start``; the user's own programs:
  ``start_date``); an undated program counts from the pairing year; 0 = no program of that
  sector. The simulator uses the same rule (:func:`impact.simulate.panel.exposure`).
- ``treated``: 1 from the year of ``cohort`` on.

The user's own columns always win; only absent columns are derived, each with a note.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from impact.errors import Problem

__all__ = ["COHORT_COLUMNS", "panel_cohorts", "derive_panel_cohorts", "design_cohorts", "read_key_counties"]


def _year(v: object) -> int | None:
    text = str(v).strip() if v is not None and not (isinstance(v, float) and np.isnan(v)) else ""
    return int(text[:4]) if text[:4].isdigit() else None


#: The derived columns: the pairing year and one cohort per sector with a panel outcome
#: (``cohort_<s>`` for ``s`` in :data:`impact.design.SECTORS`).
COHORT_COLUMNS = ("cohort", "cohort_agriculture", "cohort_health", "cohort_child_protection")


def panel_cohorts(
    registry: Mapping[str, pd.DataFrame],
    counties: pd.DataFrame,
    *,
    own_programs: pd.DataFrame | None = None,
    key_counties: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Pairing year and sector cohorts of every county, as far as the design and the data tell.

    Parameters
    ----------
    registry
        The article's registry tables ``programs``, ``program_sites``, ``pairings``.
    counties
        The county table (``county_code``, ``prefecture``).
    own_programs
        The user's own programs (``county_code``, ``sector``, ``start_date``), or None.
    key_counties
        The sourced list of national key counties (:func:`impact.design.key_counties`), or
        None when none is given: then no county's pairing year is known unless the registry
        dates a pairing or the article dates its prefecture's signing.

    Returns
    -------
    DataFrame indexed by ``county_code`` with :data:`COHORT_COLUMNS` (float years; NaN =
    unknown; 0 = no program of that sector) and ``cohort_source`` (how the pairing year
    was found, in English).
    """
    from impact import design as dz  # noqa: PLC0415

    codes = counties["county_code"].astype(str).tolist()
    pref = dict(zip(codes, counties["prefecture"].astype(str)))
    key = set(key_counties["county_code"].astype(str)) if key_counties is not None else set()
    pairings = registry.get("pairings", pd.DataFrame(columns=["county_code", "year", "date"]))
    dated: dict[str, int] = {}
    for code, y, d in zip(pairings["county_code"].astype(str), pairings.get("year", pd.Series(dtype=object)),
                          pairings.get("date", pd.Series(dtype=object))):
        yr = _year(y) or _year(d)
        if yr is not None:
            dated[code] = min(dated.get(code, yr), yr)
    cohort: dict[str, float] = {}
    source: dict[str, str] = {}
    for c in codes:
        if c in key:
            cohort[c], source[c] = float(dz.FIRST_WAVE_YEAR), "first wave: a national key county (key_counties.csv)"
        elif key_counties is not None and c in dated:
            cohort[c], source[c] = float(dated[c]), "later wave: a dated pairing in the registry"
        elif key_counties is not None and pref[c] in dz.DATED_SIGNINGS:
            cohort[c], source[c] = float(dz.DATED_SIGNINGS[pref[c]]), f"later wave: the article dates {pref[c]}'s signing"
        else:
            cohort[c], source[c] = np.nan, ""
    out = pd.DataFrame({"cohort": [cohort[c] for c in codes], "cohort_source": [source[c] for c in codes]},
                       index=pd.Index(codes, name="county_code"))
    # program starts per county and sector: registry sites (dated by the program) and own programs
    starts: dict[tuple[str, str], list[int | None]] = {}
    if {"programs", "program_sites", "pairings"} <= set(registry):
        prog = registry["programs"]
        start_of = {str(p): _year(v) for p, v in zip(prog["program_id"], prog.get("period_start", [None] * len(prog)))}
        sector_of = dict(zip(prog["program_id"].astype(str), prog["sector"].astype(str)))
        sites = registry["program_sites"]
        sited = set(zip(sites["county_code"].astype(str), sites["program_id"].astype(str)))
        for s in dz.SECTORS:
            for c in dz.program_counties(dict(registry), s):
                ys = [start_of.get(p) for (cc, p) in sited if cc == c and sector_of.get(p) == s]
                starts.setdefault((c, s), []).extend(ys or [None])
    if own_programs is not None and len(own_programs):
        for c, s, d in zip(own_programs["county_code"].astype(str), own_programs["sector"].astype(str),
                           own_programs["start_date"]):
            if s in dz.SECTORS:
                starts.setdefault((c, s), []).append(_year(d))
    for s in dz.SECTORS:
        col = []
        for c in codes:
            base = cohort[c]
            ys = starts.get((c, s))
            if not ys:
                col.append(0.0)
            elif np.isnan(base):
                col.append(np.nan)
            else:
                col.append(float(min(max(base, y) if y is not None else base for y in ys)))
        out[f"cohort_{s}"] = col
    return out[[*COHORT_COLUMNS, "cohort_source"]]


def derive_panel_cohorts(
    out: pd.DataFrame,
    cohorts: pd.DataFrame | None,
    *,
    file: str,
    rows: np.ndarray,
) -> tuple[pd.DataFrame, list[str], list[Problem]]:
    """Fill the cohort columns a county panel lacks (and ``treated``) from ``cohorts``
    (:func:`panel_cohorts`). Returns the frame, notes and one problem per county whose
    pairing year cannot be derived (naming its first row)."""
    missing = [c for c in COHORT_COLUMNS if c not in out.columns]
    notes: list[str] = []
    probs: list[Problem] = []
    if not missing and "treated" in out.columns:
        return out, notes, probs
    code = out["county_code"].astype("string")
    if missing:
        why = ("the national key counties (data/raw/registry/key_counties.csv: county_code, name, source, quote; "
               "impact.design.key_counties) or a 首次结对年份 (cohort) column")
        if cohorts is None:
            cohorts = pd.DataFrame(columns=[*COHORT_COLUMNS, "cohort_source"])
        known = cohorts.reindex(pd.Index(code.fillna("").to_numpy(), name="county_code"))
        for col in missing:
            out[col] = known[col].to_numpy(dtype=float)
        unknown = out[missing].isna().any(axis=1).to_numpy() & code.notna().to_numpy()
        for c in pd.unique(code[unknown]):
            where = np.flatnonzero((code == c).fillna(False).to_numpy())
            probs.append(Problem(file, int(rows[where[0]]), "cohort", c,
                                 f"a year of first pairing that the design can tell ({len(where)} rows): {why}; "
                                 "the article dates the later wave only for 昭通市 and 大理白族自治州 (2024) / "
                                 "无法推定首次结对年份：请提供首次结对年份列或国家乡村振兴重点帮扶县名单"))
        used = sorted(set(known.loc[~unknown, "cohort_source"].dropna()) - {""}) if "cohort" in missing else []
        notes.append(f"{', '.join(missing)}: derived from the campaign's design (impact.design wave timing; "
                     "sector cohorts = the later of the pairing year and the county's first program of the sector, "
                     "registry and own programs)" + (f"; pairing year from: {'; '.join(used)}" if used else ""))
    if "treated" not in out.columns:
        year = pd.to_numeric(out["year"], errors="coerce")
        coh = pd.to_numeric(out["cohort"], errors="coerce")
        out["treated"] = ((coh > 0) & (year >= coh)).astype(float).where(coh.notna() & year.notna())
        notes.append("treated: 1 from the year of first pairing (cohort) on")
    return out, notes, probs


def read_key_counties(raw: str | Path) -> pd.DataFrame | None:
    """The sourced key-county list of ``raw/registry/`` when present (validated), else None."""
    from impact.design import KEY_COUNTIES_FILE, key_counties  # noqa: PLC0415

    p = Path(raw) / "registry" / KEY_COUNTIES_FILE
    return key_counties(p) if p.is_file() else None


def design_cohorts(raw: str | Path, registry: Mapping[str, pd.DataFrame],
                   own_programs: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`panel_cohorts` of every county of :func:`impact.geo.county_table`, with the
    key-county list of ``raw/registry/`` when there is one."""
    from impact.geo import county_table  # noqa: PLC0415

    return panel_cohorts(registry, county_table(), own_programs=own_programs, key_counties=read_key_counties(raw))
