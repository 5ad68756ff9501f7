"""Coverage studies of the designs the reports use (impact.simulate.coverage).

200 replications per design with fixed seeds 1000-1199 (1000 for the paired plots; marked ``slow``); a 40-replication
subset of two representative designs runs by default. Each replication redraws the
simulated world (waves, covariates, effects, noise) and checks whether the design's 95%
interval covers that replication's truth. Calibrated designs must cover in 93-97%. Where
few treated counties (in few prefectures) make the analytic interval under-cover, the
study shows it, and the design's randomisation inference (made for few treated clusters)
is held to its own expectation; docs/design.md records the measured figures.
"""

from __future__ import annotations

import pytest

from impact.simulate import coverage as cv

#: Expected coverage band of each study over 200 replications (seeds 1000-1199).
EXPECTED: dict[str, tuple[float, float]] = {
    # conservative for the effect in the simulated counties (measured 97.5%): the analytic
    # variance also counts the spread of effects across counties
    "wave_timing": (0.93, 0.99),
    "program_agriculture_analytic": cv.TARGET,
    "program_agriculture_permutation": cv.TARGET,
    # 9 health counties in 4 prefectures: the analytic interval under-covers ...
    "program_health_analytic": (0.0, 0.93),
    # ... and the prefecture-preserving randomisation interval is conservative (not anti-conservative)
    "program_health_permutation": (0.93, 1.0),
    # 5 child-protection counties in 2 prefectures: the analytic interval fails badly ...
    "program_child_protection_analytic": (0.0, 0.90),
    # ... the randomisation interval, made for it, is calibrated
    "program_child_protection_permutation": cv.TARGET,
    "paired_plots": cv.TARGET,
    "patients": cv.TARGET,
}


def test_every_study_has_an_expectation() -> None:
    assert set(EXPECTED) == set(cv.STUDIES)


@pytest.mark.parametrize("name", ["wave_timing", "paired_plots"])
def test_coverage_subset(name: str) -> None:
    """40 replications (seeds 1000-1039) of the province's wave design and the plot design:
    coverage at least 85% (a calibrated 95% interval falls below that with probability
    about 1% at 40 replications) and intervals centred on the truth."""
    tab = cv.study(name, reps=40, seed0=1000)
    s = cv.summarize(tab)
    assert 0.85 <= s["coverage"] <= 1.0, s
    se = s["length"] / 3.92  # mean standard error implied by the mean 95% interval length
    assert abs(s["bias"]) < 0.5 * se, s


#: Replications where 200 are too few to judge. The paired-plot interval covered 91.5% over
#: seeds 1000-1199, but its error SD there (0.498 points) is 9% above the error SD over seeds
#: 1000-1999 (0.456) while its mean SE (0.477) matches the 1000-replication error SD within
#: 5%: a Monte Carlo low, not a narrow interval (the SE formula is checked against
#: statsmodels in tests/test_indicators_yield.py). 1000 replications (MC se 0.7 points) judge it.
REPS: dict[str, int] = {"paired_plots": 1000}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(EXPECTED))
def test_coverage_200_replications(name: str) -> None:
    tab = cv.study(name, reps=REPS.get(name, 200), seed0=1000)
    s = cv.summarize(tab)
    lo, hi = EXPECTED[name]
    print(f"{name}: coverage {s['coverage']:.3f} (MC se {s['mc_se']:.3f}) over {s['reps']} replications")
    assert lo <= s["coverage"] <= hi, s


def test_permutation_beats_analytic_where_few_counties_are_treated() -> None:
    """The reason for the design's choice, on 15 replications: with 5 child-protection
    counties the randomisation interval covers the truth more often than the analytic one."""
    a = cv.study("program_child_protection_analytic", reps=15, seed0=1000)["covered"].mean()
    p = cv.study("program_child_protection_permutation", reps=15, seed0=1000)["covered"].mean()
    assert p > a
