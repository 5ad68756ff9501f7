"""A user's county panel: the pairing wave and program cohorts come from the campaign's design
(impact.design: the first wave is the 27 national key counties, given as a sourced list; the
article dates the later wave's signing in 昭通 and 大理), are said in the notes, and are an
error naming the county where the design cannot tell them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from _own_data_fixture import raw_copy
from impact import design
from impact.build import load
from impact.cli import cli
from impact.errors import InputError
from impact.geo import county_table
from impact.userdata import read_user_table
from impact.userdata_cohort import COHORT_COLUMNS, panel_cohorts

KEY = "530824"  # 景谷县, a key county in the test's list
ZHAOTONG = "530621"  # 鲁甸县 (昭通市), later wave, not in the list
OTHER = "532627"  # 广南县: neither in the list nor in a prefecture the article dates


def _key_list(raw, *, include=(KEY,), exclude=(ZHAOTONG, OTHER)):
    ct = county_table()
    codes = [c for c in ct["county_code"].astype(str) if c not in exclude and c not in include]
    codes = sorted(list(include) + codes[: design.N_KEY_COUNTIES - len(include)])
    names = ct.set_index(ct["county_code"].astype(str))["name"]
    df = pd.DataFrame({"county_code": codes, "name": [names[c] for c in codes],
                       "source": "test list (not the real one)", "quote": "test"})
    df.to_csv(raw / "registry" / design.KEY_COUNTIES_FILE, index=False, encoding="utf-8")


def _panel(path, counties=("景谷县", "鲁甸县"), years=range(2019, 2025), **extra):
    rng = np.random.default_rng(3)
    rows = [{"县名": c, "年份": y, "农村居民人均可支配收入（元）": round(12_000 + 500 * (y - 2019) + rng.normal(0, 100)),
             **{k: v(c, y) for k, v in extra.items()}} for c in counties for y in years]
    pd.DataFrame(rows).to_csv(path, index=False, encoding="gbk")
    return path


def _own(path):
    pd.DataFrame([{"项目名称": "乡村医生培训", "实施组织": "县医学会", "组织类型": "专业协会", "县": "鲁甸县",
                   "领域": "医疗", "开始时间": "2025年", "投入资金（万元）": 5, "受益人数": 40}]) \
        .to_csv(path, index=False, encoding="utf-8")
    return path


def test_cohorts_come_from_the_design_and_are_said(tmp_path):
    raw = raw_copy(tmp_path)
    _key_list(raw)
    own, panel = _own(tmp_path / "own.csv"), _panel(tmp_path / "县级面板.csv")
    runner = CliRunner()
    res = runner.invoke(cli, ["data", "add", str(own), str(panel), "--raw", str(raw)])
    assert res.exit_code == 0, res.output
    assert "impact.design" in res.output and "cohort" in res.output
    meta = json.loads((raw / "user" / "县级面板.csv.impact.json").read_text(encoding="utf-8"))
    assert any("key_counties.csv" in n and "昭通市" in n for n in meta["notes"])
    res = runner.invoke(cli, ["data", "build", "--raw", str(raw), "--out", str(tmp_path / "p")])
    assert res.exit_code == 0, res.output
    df = load("county_panel", tmp_path / "p")
    mine = df[df["source"] == "user"].set_index(["county_code", "year"])
    assert set(mine.index.get_level_values(0)) == {KEY, ZHAOTONG}
    assert (mine.loc[KEY, "cohort"] == design.FIRST_WAVE_YEAR).all()
    assert (mine.loc[ZHAOTONG, "cohort"] == design.DATED_SIGNINGS["昭通市"]).all()
    for code in (KEY, ZHAOTONG):
        rows = mine.loc[code]
        assert ((rows.index >= rows["cohort"]).astype(int) == rows["treated"]).all()
    # sector cohorts: the registry's programs and the user's own (a health program from 2025 in 鲁甸县)
    ref = panel_cohorts(load("programs", tmp_path / "p").pipe(lambda p: {
        "programs": p, "program_sites": load("program_sites", tmp_path / "p"),
        "pairings": load("pairings", tmp_path / "p")}), county_table(),
        own_programs=load("own_programs", tmp_path / "p").assign(start_date="2025"),
        key_counties=design.key_counties(raw / "registry" / design.KEY_COUNTIES_FILE))
    for code in (KEY, ZHAOTONG):
        for col in COHORT_COLUMNS:
            assert (mine.loc[code, col] == ref.loc[code, col]).all(), (code, col)
    assert (mine.loc[ZHAOTONG, "cohort_health"] == 2025).all()  # max(pairing 2024, program 2025)
    # a changed key-county list makes the build stale (it is an input)
    manifest = json.loads((tmp_path / "p" / "manifest.json").read_text(encoding="utf-8"))
    assert f"registry/{design.KEY_COUNTIES_FILE}" in manifest["inputs"]


def test_cohorts_without_a_key_county_list_are_an_error_naming_the_county(tmp_path):
    raw = raw_copy(tmp_path)
    panel = _panel(tmp_path / "panel.csv")
    res = CliRunner().invoke(cli, ["data", "add", str(panel), "--raw", str(raw)])
    assert res.exit_code != 0
    assert "panel.csv" in res.output and "cohort" in res.output and KEY in res.output
    assert "key_counties.csv" in res.output
    assert not (raw / "user").exists() or not any((raw / "user").iterdir())


def test_a_county_the_design_cannot_date_is_an_error_with_its_row(tmp_path):
    raw = raw_copy(tmp_path)
    _key_list(raw)
    from impact.userdata_cohort import design_cohorts

    cohorts = design_cohorts(raw, {k: pd.read_csv(raw / "registry" / f"{k}.csv", dtype=str)
                                   for k in ("programs", "program_sites", "pairings")})
    panel = _panel(tmp_path / "p.csv", counties=("景谷县", "广南县"))
    with pytest.raises(InputError) as err:
        read_user_table(panel, cohorts=cohorts)
    (p,) = err.value.problems  # once per county, not again as empty cells in each of its rows
    assert p.column == "cohort" and p.value == OTHER
    assert p.row == 8 and p.file == "p.csv"  # 广南县's first row (6 years of 景谷县 first)
    assert "昭通市" in p.expected and "key_counties.csv" in p.expected


def test_the_users_own_cohort_columns_win(tmp_path):
    panel = _panel(tmp_path / "p.csv", counties=("广南县",), 首次结对年份=lambda c, y: 2023, 是否已结对=lambda c, y: int(y >= 2023),
                   农业项目首年=lambda c, y: 0, 医疗项目首年=lambda c, y: 2024, 儿童保护项目首年=lambda c, y: 0)
    t = read_user_table(panel)  # no design needed: every column given
    assert (t.frame["cohort"] == 2023).all() and (t.frame["cohort_health"] == 2024).all()
    assert not any("impact.design" in n for n in t.notes)
    partial = _panel(tmp_path / "q.csv", counties=("广南县",), 首次结对年份=lambda c, y: 2023)
    with pytest.raises(InputError) as err:  # the sector cohorts still need the design: say which county
        read_user_table(partial)
    assert any(p.column == "cohort" and p.value == OTHER for p in err.value.problems)


def test_cohort_columns_follow_the_design_sectors():
    assert COHORT_COLUMNS == ("cohort", *(f"cohort_{s}" for s in design.SECTORS))
