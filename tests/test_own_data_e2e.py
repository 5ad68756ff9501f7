"""Issue 11, as judged: a county office's own files, through the documented commands, to reports.

A fixture made here (not the docs' worked example): two counties with shipped simulated rows
(景谷县 530824: households and patients; 广南县 532627: households and plot trials), written as
offices write them — a GBK CSV household survey with Chinese headers, 是/否 flags, total income
per household and county names in several forms; XLSX patient records without an id or a
before/after column; wide XLSX plot trials in 斤/亩; an own-programs table. Known effects are
planted. The commands run as a user runs them (``python -m impact ...`` in a subprocess):
``data add`` -> ``data build`` -> ``report county`` for both counties -> ``report province``
(the province report with the slow tests).

Asserted: exit codes; the indicators in the report workbooks recover the planted effects
within their intervals and count the fixture's rows (not the shipped simulated ones); the
processed rows of those tables and counties all come from the user files; no section built on
user data carries a simulated label, while sections on simulated data still do; a broken file
fails with file, row, column and value named, and nothing is copied.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import impact
from _own_data_fixture import raw_copy
from impact.build import load
from impact.i18n import t
from impact.provenance import SOURCE_LABELS
from impact.report.text import SIM_MARK

YEAR = 2023
CODES = {"jinggu": "530824", "guangnan": "532627"}
#: Planted effects (what the reports must recover).
GAIN_PER_HOUSEHOLD = 3_000.0  # yuan per household per year, participants vs non-participants (DiD)
SAVING = 55_000.0  # yuan per patient, provincial hospital minus local treatment
YIELD_GAIN = 65.0  # kg/mu, improved seed minus check plot (written in 斤/亩: 130)
HEALTH_START = 2021  # the own health program: patients before it are "before"
N_HOUSEHOLDS, N_PATIENTS_PER_YEAR, N_PAIRS = 150, 20, 30
PATIENT_YEARS = range(2019, YEAR + 1)
#: County names as the offices write them, per file.
NAMES = {
    "households": {"jinggu": "普洱市景谷县", "guangnan": "广南县"},
    "patients": {"jinggu": "景谷傣族彝族自治县", "guangnan": "文山州广南县"},
    "trials": {"jinggu": "景谷县", "guangnan": "广南"},
    "programs": {"jinggu": "景谷县", "guangnan": "广南县"},
}


def _households(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for key, name in NAMES["households"].items():
        for i in range(N_HOUSEHOLDS):
            part = rng.random() < 0.5
            size = int(rng.integers(2, 7))
            base = rng.normal(30_000, 4_000)
            for wave, year in ((0, 2020), (1, YEAR)):
                total = base + 2_500 * wave + (GAIN_PER_HOUSEHOLD if part and wave else 0.0) + rng.normal(0, 800)
                rows.append({"户编码": f"{key}-{i:04d}", "所在县": name, "行政村": f"{key}-村{i % 15:02d}",
                             "年份": year, "家庭人口数": size, "是否参与帮扶项目": "是" if part else "否",
                             "家庭总收入（元）": round(total, 0)})
    return pd.DataFrame(rows)


def _patients(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for name in NAMES["patients"].values():
        for year in PATIENT_YEARS:
            for i in range(N_PATIENTS_PER_YEAR):
                local = i % 2 == 0
                rows.append({"县区": name, "年份": year, "手术名称": "胰腺肿瘤手术",
                             "就医地点": "本地" if local else "省级",
                             "医疗费用（元）": round(rng.normal(40_000 + (0 if local else SAVING), 4_000), 2)})
    return pd.DataFrame(rows)


def _trials(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for key, name in NAMES["trials"].items():
        for i in range(N_PAIRS):
            check = rng.normal(420, 35)  # kg/mu
            rows.append({"县": name, "年份": YEAR, "村": f"{key}-村{i % 6}", "品种": "云瑞88",
                         "面积（亩）": 1.0, "对照亩产（斤/亩）": round(2 * check, 1),
                         "试验亩产（斤/亩）": round(2 * (check + YIELD_GAIN + rng.normal(0, 12)), 1)})
    return pd.DataFrame(rows)


def _programs() -> pd.DataFrame:
    rows = [{"项目名称": "县医院胰腺肿瘤手术能力建设", "实施组织": "县红十字会", "组织类型": "社会团体",
             "县": name, "领域": "医疗", "开始时间": f"{HEALTH_START}年3月", "投入资金（万元）": 60,
             "受益人数": 200, "资料来源": "县卫健局台账"} for name in NAMES["programs"].values()]
    rows.append({"项目名称": "良种示范", "实施组织": "县种子协会", "组织类型": "专业协会",
                 "县": NAMES["programs"]["guangnan"], "领域": "农业", "开始时间": "2022年", "投入资金（万元）": 12.5,
                 "受益人数": 300, "资料来源": ""})
    return pd.DataFrame(rows)


def _write_office(folder: Path, seed: int = 2026) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    files = {"own_programs": folder / "本县帮扶项目.csv", "household_survey": folder / "农户收入调查.csv",
             "patient_records": folder / "县医院患者费用.xlsx", "plot_trials": folder / "良种对比试验.xlsx"}
    _programs().to_csv(files["own_programs"], index=False, encoding="gbk")
    _households(rng).to_csv(files["household_survey"], index=False, encoding="gbk")
    _patients(rng).to_excel(files["patient_records"], index=False)
    _trials(rng).to_excel(files["plot_trials"], index=False)
    return files


def _impact(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    """``python -m impact ARGS`` as a user runs it, with this checkout's sources first."""
    src = str(Path(impact.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    return subprocess.run([sys.executable, "-m", "impact", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=600)


def _ok(res: subprocess.CompletedProcess) -> str:
    assert res.returncode == 0, f"exit {res.returncode}\n{res.stdout}\n{res.stderr}"
    return res.stdout + res.stderr


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """The office's files added and built, both county reports made (as a user would)."""
    tmp = tmp_path_factory.mktemp("office_e2e")
    raw = raw_copy(tmp)
    files = _write_office(tmp / "office")
    proc, reports = tmp / "processed", tmp / "reports"
    where = ["--data-dir", raw, "--processed-dir", proc, "--reports-dir", reports]
    logs = {"add": _ok(_impact("data", "add", *files.values(), "--raw", raw, cwd=tmp)),
            "build": _ok(_impact("data", "build", "--raw", raw, "--out", proc, cwd=tmp))}
    for key in CODES:
        name = NAMES["households"][key]  # a county as the office writes it
        logs[key] = _ok(_impact("report", "county", name, "--year", YEAR, *where, cwd=tmp))
    return {"tmp": tmp, "raw": raw, "files": files, "proc": proc, "reports": reports, "where": where, "logs": logs}


def _report(office: dict, code: str, suffix: str) -> Path:
    (path,) = sorted((office["reports"] / str(YEAR) / "counties").glob(f"{code}_*{suffix}"))
    return path


def _sections(html: str) -> dict[str, str]:
    """Section id -> its HTML (``<section ... id="sec-KEY">`` up to the next section)."""
    parts = re.split(r'(?=<section[^>]*\bid="sec-)', html)
    out = {}
    for p in parts[1:]:
        m = re.match(r'<section[^>]*\bid="sec-([\w-]+)"', p)
        out[m.group(1)] = p
    return out


SIM_LABELS = ("【模拟】", "模拟数据", "[simulated]", 'class="simulated-banner"')


def _indicators(office: dict, code: str) -> pd.DataFrame:
    book = pd.read_excel(_report(office, code, ".xlsx"), sheet_name=None)
    (sheet,) = [df for df in book.values() if {"项", "估计值", "下限", "上限", "样本量"} <= set(df.columns)]
    return sheet.assign(县级代码=sheet["县级代码"].astype(str))


def _row(ind: pd.DataFrame, code: str, term: str) -> pd.Series:
    rows = ind[(ind["县级代码"] == code) & (ind["项"] == t(f"ind.{term}", "zh"))]
    assert len(rows) == 1, (code, term, ind[["县级代码", "项"]])
    return rows.iloc[0]


def test_add_and_build_take_the_files_as_written(office):
    add = office["logs"]["add"]
    for f in office["files"].values():
        assert f.name in add
    assert "斤/亩" in add and "patient_id" in add and "period" in add  # conversions and derivations said
    for f in office["files"].values():
        assert (office["raw"] / "user" / f.name).read_bytes() == f.read_bytes()


@pytest.mark.parametrize("key", sorted(CODES))
def test_reports_recover_the_planted_effects_on_the_fixture_rows(office, key):
    code = CODES[key]
    ind = _indicators(office, code)
    want = {"total_per_household": (GAIN_PER_HOUSEHOLD, N_HOUSEHOLDS), "saving_per_patient": (SAVING, None),
            "yield_gain": (YIELD_GAIN, N_PAIRS)}
    for term, (truth, n) in want.items():
        r = _row(ind, code, term)
        assert r["下限"] <= truth <= r["上限"], (code, term, r.to_dict())
        assert r["下限"] < r["上限"] and r["年份"] == YEAR
        if n is not None:
            assert r["样本量"] == n, (code, term, r.to_dict())  # the fixture's rows, not the shipped ones
    # both settings of the report year: the saving compares them
    pat = _patients(np.random.default_rng(0))
    n_year = int((pat["年份"] == YEAR).sum() / len(NAMES["patients"]))
    assert _row(ind, code, "local_cost")["样本量"] + _row(ind, code, "provincial_cost")["样本量"] == n_year
    assert not ind.loc[ind["县级代码"] == code, "模拟数据"].astype(bool).any()


def test_processed_rows_of_those_counties_come_from_the_user_files(office):
    proc, files = office["proc"], office["files"]
    fixture = {"households": (_households(np.random.default_rng(0)), "household_survey", 1),
               "patients": (_patients(np.random.default_rng(0)), "patient_records", 1),
               "plot_trials": (_trials(np.random.default_rng(0)), "plot_trials", 2)}
    for table, (frame, kind, per_row) in fixture.items():
        df = load(table, proc)
        mine = df[df["county_code"].astype(str).isin(CODES.values())]
        assert set(mine["source"]) == {"user"}, table
        assert set(mine["source_file"]) == {f"user/{files[kind].name}"}, table
        assert len(mine) == per_row * len(frame), table  # every fixture row, no simulated row of those counties
        shipped = pd.read_parquet(office["raw"] / "simulated" / f"{table}_simulated.parquet")
        assert shipped["county_code"].astype(str).isin(CODES.values()).any(), table  # there was something to replace
        others = df[~df["county_code"].astype(str).isin(CODES.values())]
        assert len(others) and set(others["source"]) == {"simulated"}, table
    plots = load("plot_trials", proc)
    plots = plots[plots["source"] == "user"]
    gain = plots.pivot_table(index="pair_id", columns="arm", values="yield_kg_per_mu")
    assert float((gain["treated"] - gain["check"]).mean()) == pytest.approx(YIELD_GAIN, abs=6)  # 斤 -> kg


def _paragraphs(section: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", p) for p in re.findall(r"<p>(.*?)</p>", section, re.S)]


@pytest.mark.parametrize("key", sorted(CODES))
def test_no_section_on_user_data_carries_a_simulated_label(office, key):
    html = _report(office, CODES[key], ".html").read_text(encoding="utf-8")
    sections = _sections(html)
    user_label, sim_label = SOURCE_LABELS["user"][0], SOURCE_LABELS["simulated"][0]
    for sec in ("agriculture", "health"):  # sections on the user's tables: no simulated label at all
        body = sections[sec]
        assert not [lab for lab in SIM_LABELS if lab in body], (key, sec)
        assert user_label in body, (key, sec)  # and they say they used the user's data
    # the summary mixes sources: each sentence from the user's data is unmarked, each from simulated data marked
    summary = _paragraphs(sections["summary"])
    for term in ("yield_gain_pct", "total_per_household"):
        (line,) = [p for p in summary if p.startswith(t(f"ind.{term}", "zh")) or p.endswith(t(f"ind.{term}", "zh"))
                   or t(f"ind.{term}", "zh") in p]
        assert SIM_MARK["zh"] not in line, (key, line)
    # sections still on simulated data carry the label, and the report says so at the top
    said = {k: re.search(r'<p class="sources">([^<]*)</p>', body) for k, body in sections.items()}
    simulated = [k for k, m in said.items() if m and sim_label in m.group(1)]
    for k in simulated:
        assert 'class="simulated-banner"' in sections[k], (key, k)
        if k == "summary":
            assert any(SIM_MARK["zh"] in p for p in summary) and t("banner.simulated.partly", "zh", seed="")[:12] \
                in sections[k]
    top = html.split("<section", 1)[0]
    assert ('class="simulated-banner"' in top) == bool(simulated), (key, simulated)
    # the checksum table does not flag the user's tables as simulated for this county
    appendix = sections["appendix"]
    for table in ("households", "patients", "plot_trials"):
        row = re.search(rf"data/{table}\.parquet</td>\s*<td>[0-9a-f]{{64}}</td>\s*<td>([^<]*)</td>", appendix)
        assert row and row.group(1) == "否（本县）", (key, table, row and row.group(1))
    assert re.search(r"county_panel_simulated\.parquet</td>\s*<td>[0-9a-f]{64}</td>\s*<td>是</td>", appendix)


def test_a_broken_file_fails_naming_file_row_column_value(office, tmp_path):
    bad = _households(np.random.default_rng(1)).head(40)
    bad["家庭总收入（元）"] = bad["家庭总收入（元）"].astype(object)
    bad.loc[6, "家庭总收入（元）"] = "三万二"
    bad.loc[11, "是否参与帮扶项目"] = "不清楚"
    path = tmp_path / "有错的调查.csv"
    bad.to_csv(path, index=False, encoding="gbk")
    raw = raw_copy(tmp_path)
    res = _impact("data", "add", path, "--raw", raw, cwd=tmp_path)
    out = res.stdout + res.stderr
    assert res.returncode != 0, out
    for needle in ("有错的调查.csv", "8", "家庭总收入（元）", "三万二", "13", "是否参与帮扶项目", "不清楚"):
        assert needle in out, (needle, out)
    assert re.search(r"\b8\b.*家庭总收入（元）.*三万二|三万二.*\b8\b", out.replace("\n", " ")), out
    assert not (raw / "user").exists() or not any((raw / "user").iterdir())  # nothing copied
    # the same file placed by hand: the build fails, naming it
    (raw / "user").mkdir(exist_ok=True)
    (raw / "user" / path.name).write_bytes(path.read_bytes())
    res = _impact("data", "build", "--raw", raw, "--out", tmp_path / "processed", cwd=tmp_path)
    out = res.stdout + res.stderr
    assert res.returncode != 0 and "有错的调查.csv" in out and "三万二" in out, out
    assert not (tmp_path / "processed" / "households.parquet").exists()


@pytest.mark.slow
def test_province_report_labels_only_what_rests_on_simulated_data(office):
    _ok(_impact("report", "province", "--year", YEAR, *office["where"], cwd=office["tmp"]))
    (path,) = sorted((office["reports"] / str(YEAR) / "province").glob("*.html"))
    html = path.read_text(encoding="utf-8")
    # the county panel, beneficiaries and cost ledger are still simulated: labelled
    assert "simulated-banner" in html and "模拟数据" in html
    text = re.sub(r"<[^>]+>", " ", html)
    # the income indicator is computed from the user's total income (no income by source)
    assert "income_farming" not in text
    # a province-wide indicator on user and simulated rows together is not called user data
    score = re.search(r"示范种植亩产增幅(.{0,200})", text, re.S)
    assert score and "用户数据" not in score.group(1), score and score.group(1)
