"""The estimate namespace: lazy, flat, every public name resolves; tidy contract; option checks."""

from __future__ import annotations

import pytest

import impact.estimate as est
from impact.results import TIDY_COLUMNS


def test_every_lazy_name_resolves():
    for name in est.__all__:
        assert callable(getattr(est, name)), name
    with pytest.raises(AttributeError):
        est.nonexistent  # noqa: B018


def test_options_are_checked():
    import pandas as pd

    df = pd.DataFrame({"id": [1, 1, 2, 2], "t": [1, 2, 1, 2], "g": [2, 2, 0, 0], "y": [1.0, 2.0, 1.0, 1.5]})
    with pytest.raises(ValueError, match="control_group"):
        est.att_gt(df, "y", tname="t", idname="id", gname="g", control_group="everyone")
    with pytest.raises(ValueError, match="estimand"):
        est.ipw(df.assign(d=[0, 1, 0, 1], x=[1.0, 2.0, 3.0, 5.0]), "y", dname="d", covariates=["x"], estimand="ATC")


def test_tidy_contract_on_simulated_panel():
    from impact.simulate import county_panel

    df, _ = county_panel(3)
    results = [
        # every county is paired: program cohorts (0 = no agriculture program) give the comparison
        est.att_gt(df, "grain_yield", tname="year", idname="county_code", gname="cohort_agriculture", biters=99, seed=1),
        est.event_study(df, "grain_yield", idname="county_code", tname="year", gname="cohort_agriculture", cluster="prefecture_code"),
        est.twfe(df, "income_per_capita", dname="treated", idname="county_code", tname="year", cluster="county_code"),
        est.synth(df, "grain_yield", idname="county_code", tname="year", treated_unit="530824", gname="cohort_agriculture", placebo=False),
    ]
    for r in results:
        t = r.tidy()
        assert tuple(t.columns[: len(TIDY_COLUMNS)]) == TIDY_COLUMNS
        assert "cluster" in t.columns
        assert r.method and r.assumptions
        assert r.summary().as_text().startswith(r.method)
