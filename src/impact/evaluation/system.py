"""The indicator system: load and validate the file that defines what is scored.

The default system is ``data/raw/evaluation/indicator_system.csv`` (documented in
``data/raw/evaluation/README.md`` and ``docs/evaluation.md``). One row per third-level
indicator; the columns are listed in :data:`COLUMNS`. A bad file raises
:class:`~impact.errors.InputError` listing every problem with its row (the header is
row 1), column, value and what was expected.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

import pandas as pd

from impact import config
from impact.digest import file_stamp
from impact.errors import InputError, Problem

#: Version of the default indicator system file (bump when its rows change).
SYSTEM_VERSION = "1.0"
#: The default indicator system.
DEFAULT_SYSTEM: Path = config.DATA_RAW / "evaluation" / "indicator_system.csv"

Scope = Literal["province", "county"]
SCOPES: tuple[str, ...] = ("province", "county")
#: First-level groups in report order (财预〔2020〕10号: 决策, 过程, 产出, 效益; 满意度 kept apart).
LEVEL1: tuple[str, ...] = ("决策", "过程", "产出", "效益", "满意度")
LEVEL1_EN: dict[str, str] = {"决策": "Decision", "过程": "Process", "产出": "Outputs", "效益": "Outcomes",
                             "满意度": "Satisfaction"}
#: Second-level groups (财预〔2020〕10号) in English, for English reports.
LEVEL2_EN: dict[str, str] = {
    "项目立项": "Project approval", "绩效目标": "Performance targets", "资金投入": "Funding",
    "资金管理": "Fund management", "组织实施": "Implementation", "产出数量": "Output quantity",
    "产出质量": "Output quality", "产出时效": "Output timeliness", "产出成本": "Output cost",
    "经济效益": "Economic benefits", "社会效益": "Social benefits", "生态效益": "Ecological benefits",
    "可持续影响": "Sustainable impact",
    "服务对象满意度": "Beneficiary satisfaction",
}
SCORING: tuple[str, ...] = ("ratio", "threshold", "grade")
DIRECTIONS: tuple[str, ...] = ("higher", "lower")
TARGET_SOURCES: tuple[str, ...] = ("article", "default", "evaluator")
MEASURE_KINDS: tuple[str, ...] = ("registry_fact", "registry", "user_table", "indicator", "estimate",
                                  "satisfaction", "evaluator")
DAC: tuple[str, ...] = ("relevance", "coherence", "effectiveness", "efficiency", "impact", "sustainability")
#: Qualitative grades an evaluator may enter (and their order, best first).
GRADES: tuple[str, ...] = ("优", "良", "中", "差")

#: Columns of the file, in order.
COLUMNS: tuple[str, ...] = (
    "indicator_id", "scope", "level1", "level2", "level3", "level3_en", "dac", "weight", "scoring",
    "direction", "target", "target_source", "unit", "measure_kind", "measure", "thresholds", "target_note",
)
_REQUIRED = ("indicator_id", "scope", "level1", "level2", "level3", "weight", "scoring", "target_source",
             "measure_kind")


def parse_thresholds(text: str) -> list[tuple[str, float]]:
    """Parse ``"key:fraction;key:fraction"`` into pairs (keys stay text; fractions in [0, 1]).

    Raises ``ValueError`` with the offending part.
    """
    pairs: list[tuple[str, float]] = []
    for part in str(text).split(";"):
        part = part.strip()
        if not part:
            continue
        key, sep, frac = part.partition(":")
        if not sep:
            raise ValueError(f"{part!r} has no ':'")
        f = float(frac)
        if not 0 <= f <= 1:
            raise ValueError(f"fraction {frac!r} outside 0..1")
        pairs.append((key.strip(), f))
    if not pairs:
        raise ValueError("no key:fraction pairs")
    return pairs


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(config.ROOT))
    except ValueError:
        return str(path)


def _row_problems(r: pd.Series, file: str, row: int) -> list[Problem]:
    out: list[Problem] = []

    def bad(col: str, expected: str) -> None:
        v = r.get(col)
        out.append(Problem(file, row, col, None if v == "" else v, expected))

    for col in _REQUIRED:
        if r[col] == "":
            bad(col, "a value (required)")
    for col, valid in (("scope", ("all", *SCOPES)), ("level1", LEVEL1), ("scoring", SCORING),
                       ("target_source", TARGET_SOURCES), ("measure_kind", MEASURE_KINDS)):
        if r[col] != "" and r[col] not in valid:
            bad(col, "one of " + ", ".join(valid))
    if r["dac"] != "" and r["dac"] not in DAC:
        bad("dac", "one of " + ", ".join(DAC))
    try:
        w = float(r["weight"])
        if not (w > 0 and math.isfinite(w)):
            bad("weight", "a positive number of points")
    except ValueError:
        if r["weight"] != "":
            bad("weight", "a positive number of points")
    if r["target"] != "":
        try:
            float(r["target"])
        except ValueError:
            bad("target", "a number in the indicator's unit, or empty")
    scoring = r["scoring"]
    if scoring in ("ratio", "threshold") and r["direction"] not in DIRECTIONS:
        bad("direction", "higher or lower (the rule needs to know which way is better)")
    if scoring == "ratio" and r["target"] == "" and r["target_source"] != "evaluator":
        bad("target", "a number when target_source is not 'evaluator'")
    if r["target"] != "" and r["target_source"] == "evaluator":
        bad("target_source", "article or default when the file gives a target")
    if scoring in ("threshold", "grade"):
        try:
            pairs = parse_thresholds(r["thresholds"])
            if scoring == "threshold":
                [float(k) for k, _ in pairs]
            elif any(k not in GRADES for k, _ in pairs):
                raise ValueError("grades must be among " + "/".join(GRADES))
        except ValueError as err:
            bad("thresholds", f"'bound:fraction;...' pairs ({err})")
    if scoring == "grade" and r["measure_kind"] != "evaluator":
        bad("measure_kind", "evaluator for a grade scored by the evaluator")
    if r["measure_kind"] not in ("evaluator", "") and r["measure"] == "":
        bad("measure", f"the measure a {r['measure_kind']} indicator reads")
    return out


def read_system(path: str | Path | None = None) -> pd.DataFrame:
    """Read and validate an indicator system file (CSV, UTF-8).

    Parameters
    ----------
    path
        The file; default :data:`DEFAULT_SYSTEM`.

    Returns
    -------
    DataFrame with :data:`COLUMNS`: ``weight`` and ``target`` as float (target NaN when the
    evaluator gives it), the other columns as text (empty string when blank).

    Raises
    ------
    InputError
        Every problem at once: missing columns, unknown vocabulary, non-numeric weights or
        targets, unparsable thresholds, duplicated ids, and weights of a scope that do not
        sum to 100 (rows with scope ``all`` count in both the province and the county system).

    A file read and validated once is not read again in the same process while it is unchanged
    (device, inode, size, modification and change times); each call returns its own copy.
    """
    path = Path(path) if path is not None else DEFAULT_SYSTEM
    stamp = file_stamp(path)
    key = None if stamp is None else (str(path.resolve()), *stamp)
    if key is not None and key in _READ:
        return _READ[key].copy()
    out = _read_system(path)
    if key is not None:
        _READ.clear()  # the reports of a process read one system; never grow without bound
        _READ[key] = out.copy()
    return out


#: The system file read in this process: (path, file stamp) -> validated table.
_READ: dict[tuple[object, ...], pd.DataFrame] = {}


def _read_system(path: Path) -> pd.DataFrame:
    file = _display(path)
    if not path.is_file():
        raise InputError(Problem(file, None, None, None, "an indicator system CSV file"))
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(Problem(file, None, None, None, f"UTF-8 text ({err.reason})")) from None
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise InputError([Problem(file, 1, c, None, f"a column named {c!r} in the header") for c in missing],
                         title=f"{file}: missing columns")
    df = raw[list(COLUMNS)].apply(lambda s: s.str.strip())
    problems: list[Problem] = []
    for i, r in df.iterrows():
        problems += _row_problems(r, file, int(i) + 2)
    dup = df["indicator_id"].duplicated(keep="first") & (df["indicator_id"] != "")
    for i in df.index[dup]:
        problems.append(Problem(file, int(i) + 2, "indicator_id", df.at[i, "indicator_id"], "a unique id"))
    if problems:
        raise InputError(problems, title=f"{file}: bad indicator system")
    out = df.copy()
    out["weight"] = out["weight"].astype(float)
    out["target"] = pd.to_numeric(out["target"].replace("", None), errors="coerce").astype(float)
    for scope in SCOPES:
        rows = out[out["scope"].isin(["all", scope])]
        total = float(rows["weight"].sum())
        if rows.empty or abs(total - 100) > 1e-6:
            problems.append(Problem(file, None, "weight", round(total, 6),
                                    f"weights of the {scope} system (scope 'all' or '{scope}') summing to 100"))
    if problems:
        raise InputError(problems, title=f"{file}: bad indicator system")
    return out.reset_index(drop=True)


def for_scope(system: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """The rows of one scope (``all`` plus the scope's own), in file order."""
    if scope not in SCOPES:
        from impact.results import check_option

        check_option("scope", scope, SCOPES)
    return system[system["scope"].isin(["all", scope])].reset_index(drop=True)
