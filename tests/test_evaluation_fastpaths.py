"""The 绩效评价's fast paths give what the plain pandas code they replace gives.

County rows by cached positions against a boolean filter, rows as dicts against
``iterrows``, group sums against pandas' grouped sums, and the county section's figure
from the figure store against ``build_outline(figures=True)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from impact.evaluation.dac import DAC_LABELS, dac_summary
from impact.evaluation.data import county_rows, rows_of
from impact.evaluation.scoring import subtotals
from impact.evaluation.system import DAC, LEVEL1


def _table(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 23
    scored = rng.random(n) < 0.6
    weight = np.round(rng.random(n) * 10, 2)
    return pd.DataFrame({
        "level1": pd.array(rng.choice(list(LEVEL1) + ["其他"], n), dtype="str"),
        "dac": pd.array(rng.choice(list(DAC), n), dtype="str"),
        "weight": weight,
        "score": np.where(scored, np.round(rng.random(n) * weight, 2), np.nan),
        "scored": scored,
    })


@pytest.mark.parametrize("seed", range(40))
def test_group_sums_are_pandas_grouped_sums(seed):
    t = _table(seed)
    x = t.assign(_s=np.where(t["scored"], t["score"], 0.0), _w=np.where(t["scored"], t["weight"], 0.0),
                 _u=~t["scored"])
    g = x.groupby("level1", sort=False).agg(weight=("weight", "sum"), score=("_s", "sum"),
                                            scored_weight=("_w", "sum"), n_unscored=("_u", "sum"))
    want = g.loc[[k for k in LEVEL1 if k in g.index]].reset_index()
    pd.testing.assert_frame_equal(subtotals(t), want, check_exact=True)
    d = x.groupby("dac").agg(weight=("weight", "sum"), score=("_s", "sum"), scored_weight=("_w", "sum"),
                             n_unscored=("_u", "sum"))
    want_dac = pd.DataFrame([{"dac": k, "criterion": DAC_LABELS[k][0], "question": DAC_LABELS[k][2],
                              **d.loc[k].to_dict()} for k in DAC if k in d.index])
    pd.testing.assert_frame_equal(dac_summary(t), want_dac, check_exact=True)


def test_county_rows_select_what_a_filter_selects():
    df = pd.DataFrame({"county_code": pd.array(["530824", None, "530102", "530824", "5308240"], dtype="string"),
                       "v": [1, 2, 3, 4, 5], "w": list("abcde")}, index=[10, 11, 12, 13, 14])
    for code in ("530824", "530102", "999999"):
        want = df[df["county_code"].astype("string") == code]
        pd.testing.assert_frame_equal(county_rows(df, code), want)
        pd.testing.assert_frame_equal(county_rows(df, code, ["v"]), want[["v"]])
    grown = pd.concat([df, df.iloc[[0]]])  # another table: positions are not reused from the first
    assert county_rows(grown, "530824")["v"].tolist() == [1, 4, 1]
    assert county_rows(df.drop(columns="county_code"), "530824").shape == (5, 2)  # no county column: all rows


def test_rows_of_gives_the_values_iterrows_gives():
    df = _table(3).assign(note=pd.array(["x", None] * 11 + ["y"], dtype="str"), k=np.arange(23))
    got = rows_of(df)
    for (_, want), row in zip(df.iterrows(), got, strict=True):
        assert list(row) == list(want.index)
        for c in want.index:
            a, b = want[c], row[c]
            assert type(a) is type(b) and (a == b or (a != a and b != b)), (c, a, b)


def test_county_section_figure_from_the_store_sits_where_the_outline_puts_it(tmp_path):
    from impact.evaluation import build_outline
    from impact.evaluation.data import load_data
    from impact.evaluation.document import Figure
    from impact.report.county_evaluation import county_evaluation

    part = county_evaluation("530824", 2024, "zh", processed_dir="")
    plain = build_outline(part.evaluation, load_data(), lang="zh", figures=True)
    assert [type(b).__name__ for b in part.document.blocks] == [type(b).__name__ for b in plain.blocks]
    figs = [(a, b) for a, b in zip(part.document.blocks, plain.blocks) if isinstance(a, Figure)]
    assert len(figs) == 1 and figs[0][0].png == figs[0][1].png and figs[0][0].caption == figs[0][1].caption
