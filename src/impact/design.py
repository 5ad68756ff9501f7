"""Evaluation designs that the campaign makes possible, as data and functions.

The article (data/raw/source/) describes a campaign in which **every** county is paired:
in 2022 52 national and eastern organisations were paired with Yunnan's 27 national key
rural-revitalisation counties (国家乡村振兴重点帮扶县); from October 2023 the three-year
action paired 230 provincial organisations with all 129 counties, with signing ceremonies
from the end of 2023 (昭通 2024-03, 大理 2024-05). There is no group of counties left
without a partner, so every causal comparison here uses a group the campaign creates:

==========================  ==========================================================
design (``key``)            comparison group
==========================  ==========================================================
``wave_timing``             later-wave counties while they are not yet paired
``program_exposure``        paired counties without a program of the same sector
``intensity``               descriptive: organisations, programs and funds per county
``paired_plots``            the check plot of the same pair (same village and soil)
``patients_before_after``   patients of the same hospital treated before the support
``household_participation`` non-participating households of the same counties
``synthetic_control``       a weighted mix of counties without a program of that sector
==========================  ==========================================================

Each :class:`Design` carries its name, identifying assumption and comparison group in
Chinese and English (one plain sentence each) so reports print them verbatim.

Jobs by module: :mod:`impact.design_definitions` (the designs and the groups they compare),
:mod:`impact.design_estimates` (estimates and randomisation inference under them). Every name
stays importable from ``impact.design``.
"""

from __future__ import annotations

from impact.design_definitions import (  # noqa: F401 - re-exported
    DATED_SIGNINGS,
    DESIGNS,
    FEW_TREATED,
    FIRST_WAVE_YEAR,
    KEY_COUNTIES_COLUMNS,
    KEY_COUNTIES_FILE,
    LATER_WAVE_YEARS,
    N_KEY_COUNTIES,
    SECTOR_OUTCOME,
    SECTORS,
    Design,
    Lang,
    county_design,
    county_plan,
    design,
    donor_pool,
    draw_first_wave,
    intensity,
    intensity_statement,
    key_counties,
    program_counties,
)
from impact.design_estimates import (  # noqa: F401 - _did_parts, _did_stat for the tests
    _did_parts,
    _did_stat,
    program_att,
    program_permutation,
    program_table,
    wave_att,
)
