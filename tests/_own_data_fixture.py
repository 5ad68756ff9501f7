"""A county office's files, as they write them, with known effects (used by the own-data tests and docs).

- ``住户调查.csv`` (GBK): households of 施甸县 and 景谷县 by county name (the shipped simulated data hold households and
  plot trials of 施甸县 and patients of 景谷县, so user rows replace simulated ones), 是/否 participation,
  income per person (人均收入) with household size; the per-capita income gain of
  participants (difference in differences) is ``INCOME_GAIN_PC`` yuan.
- ``患者记录.xlsx``: patients without an id or a before/after column, 本地/省级 settings;
  a provincial patient costs ``SAVING`` yuan more than a local one.
- ``田间试验.xlsx``: plot trials in wide form (对照亩产 / 试验亩产 on one row), yield gain
  ``YIELD_GAIN`` kg/mu.
- ``自有项目.csv``: the office's own programs (a health program starting in ``HEALTH_START``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd

COUNTIES = {"施甸县": "530521", "景谷县": "530824"}
INCOME_GAIN_PC = 600.0
SAVING = 60_000.0
YIELD_GAIN = 80.0
HEALTH_START = 2021


def households(rng: np.random.Generator, n: int = 240) -> pd.DataFrame:
    rows = []
    for name in COUNTIES:
        for i in range(n):
            hid = f"{name[:2]}-{i:04d}"
            size = int(rng.integers(2, 7))
            part = i % 2 == 0
            base = rng.normal(8000, 600)
            vil = f"{name[:2]}村{i % 12:02d}"
            for wave, year in ((0, 2019), (1, 2023)):
                pc = base + (1000 + (INCOME_GAIN_PC if part else 0.0)) * wave + rng.normal(0, 150)
                rows.append({"农户编号": hid, "县": name, "村编号": vil, "调查轮次": wave, "年份": year,
                             "家庭人口（人）": size, "是否参与项目": "是" if part else "否",
                             "人均收入（元）": round(pc, 1)})
    return pd.DataFrame(rows)


def patients(rng: np.random.Generator, n: int = 60) -> pd.DataFrame:
    rows = []
    for name in COUNTIES:
        for i in range(n):
            local = i % 2 == 0
            year = 2020 + i % 4
            cost = rng.normal(40_000 if local else 40_000 + SAVING, 3_000)
            rows.append({"县区": name, "年份": year, "手术名称": "髋关节置换术",
                         "就医地点": "本地" if local else "省级", "医疗费用（元）": round(cost, 2),
                         "交通费用 (元)": 0.0})
    return pd.DataFrame(rows)


def trials(rng: np.random.Generator, n: int = 40) -> pd.DataFrame:
    rows = []
    for name in COUNTIES:
        for i in range(n):
            check = rng.normal(450, 30)
            rows.append({"县": name, "年份": 2023, "村": f"{name[:2]}村{i % 5}", "品种": "云瑞88",
                         "面积（亩）": 1.0, "对照亩产（公斤/亩）": round(check, 1),
                         "试验亩产（公斤/亩）": round(check + YIELD_GAIN + rng.normal(0, 10), 1)})
    return pd.DataFrame(rows)


def own_programs() -> pd.DataFrame:
    return pd.DataFrame([
        {"项目名称": "县域医共体远程会诊", "实施组织": "县慈善总会", "组织类型": "基金会", "县": "景谷县",
         "领域": "医疗", "开始时间": str(HEALTH_START), "投入资金（万元）": 120, "受益人数": 300,
         "资料来源": "县卫健局 2024 年台账"},
        {"项目名称": "县域医共体远程会诊", "实施组织": "县慈善总会", "组织类型": "基金会", "县": "施甸县",
         "领域": "医疗", "开始时间": str(HEALTH_START), "投入资金（万元）": 80, "受益人数": 200,
         "资料来源": "县卫健局 2024 年台账"},
        {"项目名称": "高产玉米示范", "实施组织": "县农业技术推广协会", "组织类型": "专业协会", "县": "景谷县",
         "领域": "农业", "开始时间": "2023-03", "投入资金（万元）": 35.5, "受益人数": 480, "资料来源": ""},
    ])


def raw_copy(tmp: Path) -> Path:
    """A copy of the project's data/raw under ``tmp/raw`` without user files (the tests add theirs)."""
    from impact import config

    raw = tmp / "raw"
    shutil.copytree(config.DATA_RAW, raw, ignore=shutil.ignore_patterns("user", ".*"))
    return raw


def write_fixture(folder: Path, *, seed: int = 11) -> dict[str, Path]:
    """Write the four files into ``folder``; return their paths by kind."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    out = {
        "household_survey": folder / "住户调查.csv",
        "patient_records": folder / "患者记录.xlsx",
        "plot_trials": folder / "田间试验.xlsx",
        "own_programs": folder / "自有项目.csv",
    }
    households(rng).to_csv(out["household_survey"], index=False, encoding="gbk")
    patients(rng).to_excel(out["patient_records"], index=False)
    trials(rng).to_excel(out["plot_trials"], index=False)
    own_programs().to_csv(out["own_programs"], index=False, encoding="utf-8-sig")
    return out


if __name__ == "__main__":  # python tests/_own_data_fixture.py FOLDER (the worked example of docs/own-data.md)
    import sys

    for kind, path in write_fixture(Path(sys.argv[1] if len(sys.argv) > 1 else "office")).items():
        print(f"{kind:<18} {path}")
