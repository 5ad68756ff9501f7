"""Own data, end to end: a county office's files in (`impact data add`), processed tables out
(`impact data build`), with provenance, no shadowed simulated rows, and the fixture's known
effects recovered by the indicators."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from click.testing import CliRunner

from _own_data_fixture import COUNTIES, HEALTH_START, INCOME_GAIN_PC, SAVING, YIELD_GAIN, raw_copy, write_fixture
from impact import config, provenance
from impact.build import build, load, sha256_file
from impact.cli import cli
from impact.errors import InputError

CODES = sorted(COUNTIES.values())


_raw_copy = raw_copy


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("own")
    raw = _raw_copy(tmp)
    files = write_fixture(tmp / "office")
    runner = CliRunner()
    res = runner.invoke(cli, ["data", "add", *map(str, files.values()), "--raw", str(raw)])
    assert res.exit_code == 0, res.output
    out = tmp / "processed"
    res = runner.invoke(cli, ["data", "build", "--raw", str(raw), "--out", str(out)])
    assert res.exit_code == 0, res.output
    return raw, out, files, res.output


def test_add_copies_files_with_sidecars_and_manifest_lines(built):
    raw, _, files, _ = built
    lines = (raw / "MANIFEST.sha256").read_text(encoding="utf-8")
    for kind, f in files.items():
        copy = raw / "user" / f.name
        assert sha256_file(copy) == sha256_file(f)  # byte for byte
        meta = json.loads((raw / "user" / (f.name + ".impact.json")).read_text(encoding="utf-8"))
        assert meta["kind"] == kind and meta["sha256"] == sha256_file(f)
        assert f"{sha256_file(f)}  user/{f.name}\n" in lines


def test_user_rows_replace_simulated_rows_of_their_counties(built):
    _, out, files, output = built
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    replaced = []
    for name in ("households", "patients", "plot_trials"):
        shipped = pd.read_parquet(config.SIMULATED_DIR / f"{name}_simulated.parquet")
        replaced.append(shipped["county_code"].astype(str).isin(CODES).any())  # simulated rows to replace
        assert name in manifest["tables"] and f"{name}_simulated" not in manifest["tables"], name
        df = load(name, out)
        mine = df[df["county_code"].isin(CODES)]
        assert set(mine["source"]) == {"user"}, name
        assert not provenance.uses_simulated(name, CODES, out)
        assert provenance.uses_simulated(name, None, out)  # other counties keep the demonstration rows
        others = df[~df["county_code"].isin(CODES)]
        assert len(others) and set(others["source"]) == {"simulated"}
    assert sum(replaced) >= 2  # the fixture's counties had simulated rows in at least two of the tables
    hh = load("households", out)
    assert set(hh.loc[hh["source"] == "user", "source_file"]) == {f"user/{files['household_survey'].name}"}
    assert "households" in manifest["partly_simulated"]
    # tables without user rows stay labelled simulated, registry rows say they come from the article
    assert "county_panel_simulated" in manifest["simulated"]
    assert set(load("programs", out)["source"]) == {"article"}
    src = provenance.county_sources(CODES[0], out)
    assert src["households"] == ["user"] and src["county_panel_simulated"] == ["simulated"]


def test_own_programs_are_declared_by_the_user(built):
    _, out, _, _ = built
    own = provenance.own_programs(out)
    assert len(own) == 3 and set(own["declared_by"]) == {"user"} and own["quote"].isna().all()
    health = own[own["sector"] == "health"]
    assert set(health["county_code"]) == set(CODES)
    assert health.set_index("county_code").loc["530824", "funds_yuan"] == pytest.approx(1_200_000)  # 120 万元
    assert health.set_index("county_code").loc["530521", "funds_yuan"] == pytest.approx(800_000)
    assert set(own["organization_kind"].dropna()) == {"foundation", "professional_association"}
    assert own["program_id"].str.fullmatch(r"own-[0-9a-f]{10}").all()


def test_derived_columns(built):
    _, out, _, _ = built
    pat = load("patients", out)
    pat = pat[pat["source"] == "user"]
    assert pat["patient_id"].is_unique
    assert ((pat["year"] >= HEALTH_START) == (pat["period"] == "after")).all()
    assert set(pat["setting"]) == {"local", "provincial"}
    hh = load("households", out)
    hh = hh[hh["source"] == "user"]
    assert set(hh["participant"]) == {0, 1}
    plots = load("plot_trials", out)
    plots = plots[plots["source"] == "user"]
    counts = plots.groupby(["pair_id", "arm"]).size().unstack("arm")
    assert len(counts) == 80 and list(counts.columns) == ["check", "treated"] and (counts == 1).all().all()


def test_indicators_recover_the_fixture_effects(built):
    from impact.indicators import cost_savings, income_increase, yield_gain

    _, out, _, _ = built
    hh = load("households", out)
    res = income_increase(hh[hh["source"] == "user"], by="county_code", sources=("total",)).tidy()
    pc = res[res["term"] == "total_per_capita"]
    assert len(pc) == 2
    assert ((pc["conf_low"] <= INCOME_GAIN_PC) & (INCOME_GAIN_PC <= pc["conf_high"])).all(), pc
    pat = load("patients", out)
    res = cost_savings(pat[pat["source"] == "user"], by="county_code").tidy()
    s = res[res["term"] == "saving_per_patient"]
    assert len(s) == 2 and ((s["conf_low"] <= SAVING) & (SAVING <= s["conf_high"])).all(), s
    plots = load("plot_trials", out)
    res = yield_gain(plots[plots["source"] == "user"], by="county_code").tidy()
    g = res[res["term"] == "yield_gain"]
    assert len(g) == 2 and ((g["conf_low"] <= YIELD_GAIN) & (YIELD_GAIN <= g["conf_high"])).all(), g


# --------------------------------------------------------------------------- nothing ignored, nothing shadowed


@pytest.fixture()
def raw(tmp_path):
    return _raw_copy(tmp_path)


def _problems(err: pytest.ExceptionInfo) -> str:
    return "\n".join(str(p) for p in err.value.problems)


def test_file_in_an_unknown_folder_is_an_error_naming_it(raw, tmp_path):
    (raw / "my_survey").mkdir()
    pd.DataFrame({"a": [1]}).to_csv(raw / "my_survey" / "households.csv", index=False)
    with pytest.raises(InputError) as err:
        build(raw, tmp_path / "out")
    assert "my_survey/households.csv" in _problems(err) and "impact data add" in _problems(err)


def test_unknown_registry_file_is_an_error(raw, tmp_path):
    shutil.copy(raw / "registry" / "programs.csv", raw / "registry" / "programs_2024.csv")
    with pytest.raises(InputError) as err:
        build(raw, tmp_path / "out")
    assert "registry/programs_2024.csv" in _problems(err)


def test_user_csv_beside_the_simulated_parquet_is_an_error_naming_both(raw, tmp_path):
    sim = pd.read_parquet(raw / "simulated" / "households_simulated.parquet").head(50)
    sim.to_csv(raw / "simulated" / "households_simulated.csv", index=False)
    with pytest.raises(InputError) as err:
        build(raw, tmp_path / "out")
    text = _problems(err)
    assert "simulated/households_simulated.parquet" in text and "households_simulated.csv" in text


def test_two_user_files_with_the_same_rows_are_an_error_naming_both(raw, tmp_path):
    files = write_fixture(tmp_path / "office")
    user = raw / "user"
    user.mkdir()
    shutil.copy(files["household_survey"], user / "a.csv")
    shutil.copy(files["household_survey"], user / "b.csv")
    with pytest.raises(InputError) as err:
        build(raw, tmp_path / "out")
    text = _problems(err)
    assert "user/a.csv" in text and "user/b.csv" in text and "household_id" in text
    # and `impact data add` refuses the second copy before it reaches data/raw
    shutil.rmtree(user)
    runner = CliRunner()
    assert runner.invoke(cli, ["data", "add", str(files["household_survey"]), "--raw", str(raw)]).exit_code == 0
    shutil.copy(files["household_survey"], tmp_path / "again.csv")
    res = runner.invoke(cli, ["data", "add", str(tmp_path / "again.csv"), "--raw", str(raw)])
    assert res.exit_code == 1 and "user/住户调查.csv" in res.output and "again.csv" in res.output
    assert not (raw / "user" / "again.csv").exists()


def test_unrecognised_user_file_and_orphan_sidecar_are_errors(raw, tmp_path):
    user = raw / "user"
    user.mkdir()
    pd.DataFrame({"名称": ["x"], "数量": [1]}).to_csv(user / "杂项.csv", index=False)
    (user / "notes.docx").write_bytes(b"PK")
    (user / "gone.csv.impact.json").write_text("{}", encoding="utf-8")
    with pytest.raises(InputError) as err:
        build(raw, tmp_path / "out")
    text = _problems(err)
    assert "user/杂项.csv" in text and "user/notes.docx" in text and "gone.csv.impact.json" in text


def test_ambiguous_kind_asks_for_kind(tmp_path):
    from impact.userdata import detect_kind

    with pytest.raises(InputError, match="--kind"):
        detect_kind(["编号"], file="x.csv")


def test_suggest_prints_a_mapping_draft(tmp_path):
    files = write_fixture(tmp_path / "office")
    res = CliRunner().invoke(cli, ["data", "add", "--suggest", str(files["patient_records"])])
    assert res.exit_code == 0
    assert '"医疗费用（元）": medical_cost' in res.output and '"县区": county_code' in res.output


def test_map_file_renames_unusual_headers(tmp_path):
    from impact.userdata import read_user_table

    files = write_fixture(tmp_path / "office")
    df = pd.read_csv(files["household_survey"], encoding="gbk").rename(columns={"是否参与项目": "甲类户"})
    path = tmp_path / "hh.csv"
    df.to_csv(path, index=False, encoding="gbk")
    with pytest.raises(InputError):
        read_user_table(path)
    m = tmp_path / "map.yaml"
    m.write_text("甲类户: participant\n", encoding="utf-8")
    t = read_user_table(path, mapping=m)
    assert t.kind == "household_survey" and set(t.frame["participant"]) == {0, 1}
    c = tmp_path / "map.csv"
    c.write_text("header,column\n甲类户,participant\n", encoding="utf-8")
    assert read_user_table(path, mapping=c).frame["participant"].sum() == t.frame["participant"].sum()


def test_problems_name_rows_as_written(tmp_path):
    from impact.userdata import read_user_table

    files = write_fixture(tmp_path / "office")
    df = pd.read_excel(files["plot_trials"]).astype(object)
    df.loc[4, "试验亩产（公斤/亩）"] = "很多"
    df.loc[7, "县"] = "不存在县"
    path = tmp_path / "t.xlsx"
    df.to_excel(path, index=False)
    with pytest.raises(InputError) as err:
        read_user_table(path)
    got = {(p.row, p.column) for p in err.value.problems}
    assert (6, "yield_kg_per_mu") in got and (9, "县") in got


def test_docs_worked_example_runs(tmp_path, monkeypatch):
    """docs/own-data.md's worked example, command by command (raw and processed folders in tmp)."""
    import shlex

    text = (config.ROOT / "docs" / "own-data.md").read_text(encoding="utf-8")
    block = text.split("<!-- worked-example -->", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    raw = _raw_copy(tmp_path)
    out = tmp_path / "processed"
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    outputs = []
    for line in filter(None, (x.strip() for x in block.splitlines())):
        argv = shlex.split(line)
        if argv[0] == "python":
            assert argv[1] == "tests/_own_data_fixture.py"
            write_fixture(tmp_path / argv[2])
            continue
        assert argv[0] == "impact", line
        extra = {"add": ["--raw", str(raw)], "build": ["--raw", str(raw), "--out", str(out)],
                 "tables": ["--out", str(out)]}[argv[2]]
        res = runner.invoke(cli, argv[1:] + extra)
        assert res.exit_code == 0, (line, res.output)
        outputs.append(res.output)
    listed = outputs[-1]
    for name in ("households", "patients", "plot_trials"):
        assert any(ln.split()[0] == name and "partly simulated" in ln for ln in listed.splitlines()), listed
    assert any(ln.split()[0] == "own_programs" and "simulated" not in ln for ln in listed.splitlines())


def test_validate_command_accepts_headers_as_written(tmp_path):
    files = write_fixture(tmp_path / "office")
    res = CliRunner().invoke(cli, ["data", "validate", str(files["household_survey"])])
    assert res.exit_code == 0 and "household_survey" in res.output, res.output
    bad = pd.read_csv(files["household_survey"], encoding="gbk")
    bad.loc[3, "是否参与项目"] = "也许"
    bad.to_csv(tmp_path / "bad.csv", index=False, encoding="gbk")
    res = CliRunner().invoke(cli, ["data", "validate", str(tmp_path / "bad.csv")])
    assert res.exit_code == 1 and "row 5" in res.output and "也许" in res.output, res.output


def test_other_files_in_simulated_are_errors(raw, tmp_path):
    (raw / "simulated" / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(InputError) as err:
        build(raw, tmp_path / "out")
    assert "simulated/notes.txt" in _problems(err)


def test_changed_sidecar_makes_the_build_stale(built):
    from impact.build import is_stale

    raw, out, files, _ = built
    assert not is_stale(out, raw)
    side = raw / "user" / (files["own_programs"].name + ".impact.json")
    text = side.read_text(encoding="utf-8")
    try:
        side.write_text(text.replace('"sheet": null', '"sheet": "data"'), encoding="utf-8")
        assert is_stale(out, raw)
    finally:
        side.write_text(text, encoding="utf-8")


def test_bounded_problems_report_the_count_of_the_rest(tmp_path):
    from impact.userdata import read_user_table

    files = write_fixture(tmp_path / "office")
    df = pd.read_csv(files["household_survey"], encoding="gbk", dtype=str)
    df["年份"] = "1999"
    df.to_csv(tmp_path / "old.csv", index=False, encoding="gbk")
    with pytest.raises(InputError) as err:
        read_user_table(tmp_path / "old.csv", max_problems=10)
    probs = err.value.problems
    assert len(probs) == 11 and f"{len(df) - 10} more problems not shown" in str(probs[-1].value)


def test_per_capita_sources_and_units_are_converted(tmp_path):
    from impact.userdata import read_user_table

    df = pd.DataFrame({"农户编号": ["a", "a", "b", "b"], "县": ["景谷县"] * 4, "调查轮次": [0, 1, 0, 1],
                       "年份": [2019, 2023, 2019, 2023], "家庭人口": [4, 4, 2, 2], "是否参与项目": ["有", "有", "无", "无"],
                       "人均工资性收入（万元）": [0.1, 0.2, 0.1, 0.1]})
    path = tmp_path / "hh.xlsx"
    df.to_excel(path, index=False)
    t = read_user_table(path)
    assert t.frame["income_wages"].tolist() == pytest.approx([4000, 8000, 2000, 2000])
    assert t.frame["participant"].tolist() == [1, 1, 0, 0]
    df = df.astype(object)
    df.loc[2, "人均工资性收入（万元）"] = "一千"
    df.to_excel(path, index=False)
    with pytest.raises(InputError) as err:
        read_user_table(path)
    assert any(p.row == 4 and p.column == "人均工资性收入（万元）" for p in err.value.problems)


def test_other_wide_headers_dates_and_values(tmp_path):
    from impact.userdata import read_user_table

    df = pd.DataFrame({"县（市、区）": ["普洱市景谷县", "530828"], "年度": ["2023年", "2023年"],
                       "品种": ["a", "b"], "对照田面积(亩)": [1.0, 2.0], "示范田面积(亩)": [1.5, 2.5],
                       "对照组产量（斤/亩）": [900, 800], "示范田亩产（斤/亩）": [1000, 1000]})
    path = tmp_path / "trials.xlsx"
    df.to_excel(path, index=False)
    t = read_user_table(path).frame
    assert t["arm"].tolist() == ["treated", "check"] * 2 and t["year"].tolist() == [2023] * 4
    assert t["yield_kg_per_mu"].tolist() == pytest.approx([500, 450, 500, 400])  # 斤/亩 -> kg/mu
    assert t["area_mu"].tolist() == pytest.approx([1.5, 1.0, 2.5, 2.0])
    assert t["county_code"].tolist() == ["530824", "530824", "530828", "530828"]
    own = pd.DataFrame({"项目": ["x"], "组织名称": ["y"], "县": ["景谷"], "领域": ["健康帮扶"],
                        "开始日期": ["2021年3月"], "组织类型": ["社会团体"]})
    own.to_csv(tmp_path / "own.csv", index=False)
    o = read_user_table(tmp_path / "own.csv").frame
    assert o.loc[0, "start_date"] == "2021-03" and o.loc[0, "sector"] == "health"
    assert o.loc[0, "organization_kind"] == "ngo" and pd.isna(o.loc[0, "funds_yuan"])


def test_waves_from_survey_years(tmp_path):
    from impact.userdata import read_user_table

    files = write_fixture(tmp_path / "office")
    df = pd.read_csv(files["household_survey"], encoding="gbk").drop(columns=["调查轮次"])
    df.to_csv(tmp_path / "hh.csv", index=False, encoding="gbk")
    t = read_user_table(tmp_path / "hh.csv")
    assert t.kind == "household_survey" and any("wave" in n for n in t.notes)
    assert (t.frame["wave"] == (t.frame["year"] == 2023).astype(int)).all()


def test_sheet_is_recorded_and_used_by_the_build(raw, tmp_path):
    files = write_fixture(tmp_path / "office")
    book = tmp_path / "医院.xlsx"
    with pd.ExcelWriter(book) as xw:
        pd.DataFrame({"说明": ["封面"]}).to_excel(xw, sheet_name="封面", index=False)
        pd.read_excel(files["patient_records"]).to_excel(xw, sheet_name="患者", index=False)
    runner = CliRunner()
    assert runner.invoke(cli, ["data", "add", str(files["own_programs"]), "--raw", str(raw)]).exit_code == 0
    res = runner.invoke(cli, ["data", "add", str(book), "--raw", str(raw)])
    assert res.exit_code == 1  # the first sheet is not a table of patients
    res = runner.invoke(cli, ["data", "add", str(book), "--sheet", "患者", "--raw", str(raw)])
    assert res.exit_code == 0, res.output
    assert json.loads((raw / "user" / "医院.xlsx.impact.json").read_text(encoding="utf-8"))["sheet"] == "患者"
    build(raw, tmp_path / "out")
    pat = load("patients", tmp_path / "out")
    assert (pat["source_file"] == "user/医院.xlsx").sum() == 120


def test_problems_name_the_header_as_written(tmp_path):
    from impact.userdata import read_user_table

    p = tmp_path / "hh.csv"
    p.write_bytes("县,户编号,调查年份,是否参与,家庭人口,人均可支配收入（元）\n景谷县,H1,2024,也许,4,12000\n"
                  .encode("gbk"))
    with pytest.raises(InputError) as ei:
        read_user_table(p)
    (prob,) = [q for q in ei.value.problems if q.value == "也许"]
    assert (prob.row, prob.column) == (2, "是否参与") and "是/否" in prob.expected


def test_big5_file_is_refused_by_the_fast_reader_too(tmp_path):
    """The GBK check of a user CSV runs on the parsed table's distinct characters: a Big5 file
    (traditional characters read as GBK give rare characters) is still refused, naming it."""
    from impact.userdata import read_user_table

    rows = "".join(f"H{i:04d},景谷縣,村{i % 3},0,2023,4,是,{8000 + i}\n" for i in range(50))
    path = tmp_path / "台帳.csv"
    path.write_bytes(("農戶編號,縣,村編號,調查輪次,年份,家庭人口,是否參與項目,總收入\n" + rows).encode("big5"))
    with pytest.raises(InputError) as err:
        read_user_table(path, kind="household_survey")
    assert "Big5" in _problems(err) and "台帳.csv" in _problems(err)


@pytest.mark.parametrize(("header", "kind", "column"), [
    ("户编码", "household_survey", "household_id"), ("是否参与帮扶项目", "household_survey", "participant"),
    ("所属县", "household_survey", "county_code"), ("家庭总收入（元）", "household_survey", "income_total"),
    ("就诊年份", "patient_records", "year"), ("住院总费用（元）", "patient_records", "medical_cost"),
    ("就诊地点", "patient_records", "setting"), ("帮扶领域", "own_programs", "sector"),
    ("启动年份", "own_programs", "start_date"), ("投入资金（万元）", "own_programs", "funds_yuan"),
    # look-alikes that mean something else stay unmatched (kept as extra columns, or a --map)
    ("是否享受低保", "household_survey", None), ("是否纳入监测", "household_survey", None),
    ("人均收入（元）", "household_survey", None), ("甲类户", "household_survey", None),
])
def test_header_patterns_of_unseen_offices(header, kind, column):
    from impact.schemas import match_header

    assert match_header(header, kind) == column


def test_gbk_csv_parsed_as_bytes_equals_the_decoded_text(tmp_path):
    """The GBK fast path (parsed as bytes, decoded per distinct value) reads what decoding the
    whole file reads: quoted commas and line breaks, a GB18030 four-byte character, empty cells,
    trailing empty rows; undecodable bytes fall back to the reader that names the line."""
    from impact.userdata_read import _read_csv_fast

    text = ('农户编号,县,备注\r\n'
            'H1,景谷县,"一,二"\r\n'
            'H2,广南县,"第一行\n第二行"\r\n'
            'H3,景谷县,\U00020000\r\n'
            'H4,,无\r\n'
            ',,\r\n')
    path = tmp_path / "gbk.csv"
    path.write_bytes(text.encode("gb18030"))
    fast = _read_csv_fast(path, path.name)
    slow = _read_csv_fast(path, path.name, encoding="gb18030")  # the whole text decoded first
    assert fast is not None and slow is not None
    pd.testing.assert_frame_equal(fast, slow)
    assert fast["备注"].tolist()[:3] == ["一,二", "第一行\n第二行", "\U00020000"] and len(fast) == 4
    broken = tmp_path / "broken.csv"
    broken.write_bytes(text.encode("gb18030").replace("广南县".encode("gb18030"), b"\x81\x20\x81\x20"))
    assert _read_csv_fast(broken, broken.name) is None  # the regular reader reports it
    from impact.userdata import read_user_table

    with pytest.raises(InputError) as err:
        read_user_table(broken)
    assert "line 3" in _problems(err)
