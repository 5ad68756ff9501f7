"""Draft 存在问题及原因 and 意见建议 from a scoring table, each tied to its indicator.

Three kinds of finding, in this order:

``shortfall``   a scored indicator below full marks, largest lost points first (``weight - score``)
``missing``     an unscored indicator (no target, value or grade), with the reason
``weak``        a value resting on weak evidence (simulated data, p ≥ 0.10, few survey answers,
                approximate figures)

The drafts are for the writer to edit: the cause of a shortfall is the evaluator's deviation
reason when the sheet gives one, otherwise a placeholder asking for it.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from impact.evaluation.data import rows_of
from impact.i18n import fmt_number

#: Columns of :func:`findings`.
COLUMNS = ("kind", "need", "indicator_id", "level1", "level3", "lost_points", "problem_zh", "recommendation_zh",
           "problem_en", "recommendation_en")

#: English reason fragments (from :mod:`~impact.evaluation.scoring` and :mod:`~impact.evaluation.measures`)
#: and their Chinese wording.
_REASONS_ZH: tuple[tuple[str, str], ...] = (
    (r"no grade entered by the evaluator", "评价人尚未录入等级"),
    (r"no target \(evaluator input\)", "缺少年度目标值（待评价人录入）"),
    (r"no actual value", "缺少实际值"),
    (r"no satisfaction survey \(table kind satisfaction_survey\) was given", "未提供满意度调查数据（satisfaction_survey）"),
    (r"no (.+?) rows up to (\d+) for this scope", r"本范围\2年及以前没有 \1 数据"),
    (r"the survey has no answers to item '(.+?)' in (\d+) for this scope", r"满意度调查\2年没有“\1”题的回答"),
    (r"the article states no '(.+?)' figure for .+", r"原文未给出该项数据（\1）"),
    (r"grade '(.+?)' is not one of (.+)", r"等级“\1”不在\2之中"),
    (r"latest year with data: (\d+)", r"最近有数据的年份为\1年"),
    (r"approximate figure", "原文为约数"),
    (r"simulated data", "模拟数据"),
    (r"only (\d+) answers", r"仅\1份回答"),
    (r"(\S+) could not be (?:estimated|computed): (.+)", r"无法计算（\2）"),
    (r"no (\S+(?:, \S+)*) table", r"缺少 \1 数据表"),
    (r"; ", "；"),
)


def reason_zh(text: str) -> str:
    """The Chinese wording of a reason or weakness string (unknown fragments stay as they are)."""
    for pat, rep in _REASONS_ZH:
        text = re.sub(pat, rep, text)
    return text


#: Display words of the indicator units (``unit`` column of the indicator system), zh and en.
UNIT_WORDS: dict[str, tuple[str, str]] = {
    "percent": ("%", "%"), "county": ("个", " counties"), "organization": ("家", " organisations"),
    "project": ("个", " programs"), "person": ("人", " persons"), "yuan": ("元", " yuan"),
}

#: English fragments of the ``source`` strings (:mod:`~impact.evaluation.measures`) and their Chinese wording.
_SOURCES_ZH: tuple[tuple[str, str], ...] = (
    (r"^evaluator's sheet \(tool computed (\S+) from (.+)\)$", r"评价人录入表（工具计算值 \1，来自 \2）"),
    (r"evaluator's sheet", "评价人录入表"),
    (r"^article ", "原文 "),
    (r"registry (\S+): distinct (\S+) \((\d+) rows\)", r"登记表 \1（\2 去重，\3 行）"),
    (r" on (\S+(?:, \S+)*)", r"，数据表 \1"),
    (r" \(simulated\)", "（模拟数据）"),
    (r"satisfaction survey, item (\S+): (\d+) of (\d+) answers ≥ 4", r"满意度调查“\1”题：\3 份回答中 \2 份 ≥ 4 分"),
    (r" \(Wilson 95% interval\)", "（Wilson 95% 区间）"),
)


def source_zh(text: str) -> str:
    """The Chinese wording of an actual value's ``source`` (code names such as
    ``impact.indicators.reach`` stay, so a reader can find the function)."""
    for pat, rep in _SOURCES_ZH:
        text = re.sub(pat, rep, text)
    return text


def _v(x: float, unit: str, lang: str) -> str:
    """A value with its unit word (``2家``, ``95%``, ``2,671 yuan``); shares as percentages."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if unit == "share":
        return f"{x:.1%}"
    zh_word, en_word = UNIT_WORDS.get(unit, ("", ""))
    return fmt_number(x, lang) + (zh_word if lang == "zh" else en_word)


def findings(table: pd.DataFrame, *, max_shortfalls: int = 5) -> pd.DataFrame:
    """Problems and recommendations drafted from a scoring table (see module docstring).

    Parameters
    ----------
    table
        ``Evaluation.table``.
    max_shortfalls
        How many shortfalls to list (largest lost points first; ties by indicator order).

    Returns
    -------
    DataFrame with :data:`COLUMNS`, one row per finding; ``lost_points`` is ``weight - score``
    for shortfalls and the weight for missing indicators (the points at stake).
    """
    rows = []
    recs = rows_of(table)  # in the table's order, which breaks ties between equal lost points
    for r in recs:
        r["lost"] = r["weight"] - r["score"] if bool(r["scored"]) else math.nan
    short = sorted((r for r in recs if r["lost"] > 1e-9), key=lambda r: -r["lost"])[:max_shortfalls]
    for r in short:
        cause_zh = r["deviation_reason"] or "（原因待评价人补充）"
        cause_en = r["deviation_reason"] or "(cause to be given by the evaluator)"
        if r["scoring"] == "grade":
            what_zh = f"评价等级为“{r['grade']}”"
            what_en = f"graded '{r['grade']}'"
        else:
            what_zh = (f"实际完成值 {_v(r['actual'], r['unit'], 'zh')}，目标值 {_v(r['target'], r['unit'], 'zh')}"
                       + (f"，完成率 {r['attainment']:.0%}" if not math.isnan(r["attainment"]) else ""))
            what_en = (f"actual {_v(r['actual'], r['unit'], 'en')} against a target of {_v(r['target'], r['unit'], 'en')}"
                       + (f" ({r['attainment']:.0%} attained)" if not math.isnan(r["attainment"]) else ""))
        rows.append({
            "kind": "shortfall", "need": "", "indicator_id": r["indicator_id"], "level1": r["level1"], "level3": r["level3"],
            "lost_points": float(r["lost"]),
            "problem_zh": f"“{r['level3']}”（{r['indicator_id']}）得分 {r['score']:.2f}/{r['weight']:g}，{what_zh}。原因：{cause_zh}",
            "recommendation_zh": f"针对“{r['level3']}”制定整改措施，明确责任单位和完成时限，在下一年度绩效目标中细化该指标。",
            "problem_en": f"'{r['level3_en']}' ({r['indicator_id']}) scored {r['score']:.2f} of {r['weight']:g}: "
                          f"{what_en}. Cause: {cause_en}",
            "recommendation_en": f"Set corrective actions for '{r['level3_en']}' with a responsible unit and deadline, "
                                 "and make its target more specific next year.",
        })
    for r in (r for r in recs if not bool(r["scored"])):
        need = "grade" if r["scoring"] == "grade" else "target" if "target" in r["reason"] else "data"
        rows.append({
            "kind": "missing", "need": need, "indicator_id": r["indicator_id"], "level1": r["level1"], "level3": r["level3"],
            "lost_points": float(r["weight"]),
            "problem_zh": f"“{r['level3']}”（{r['indicator_id']}，{r['weight']:g} 分）未评分：{reason_zh(r['reason'])}。",
            "recommendation_zh": (f"补充“{r['level3']}”的" + ("评价等级" if r["scoring"] == "grade" else
                                  "年度目标值" if "target" in r["reason"] else "实际数据")
                                  + "，建立相应的数据台账，使该指标可以计分。"),
            "problem_en": f"'{r['level3_en']}' ({r['indicator_id']}, {r['weight']:g} points) is not scored: {r['reason']}.",
            "recommendation_en": f"Provide the missing {'grade' if r['scoring'] == 'grade' else 'target' if 'target' in r['reason'] else 'data'} "
                                 f"for '{r['level3_en']}' and keep a register so it can be scored.",
        })
    for r in (r for r in recs if str(r["weak"]) != ""):
        rows.append({
            "kind": "weak", "need": "simulated" if "simulated" in r["weak"] else "evidence", "indicator_id": r["indicator_id"], "level1": r["level1"], "level3": r["level3"],
            "lost_points": 0.0,
            "problem_zh": f"“{r['level3']}”（{r['indicator_id']}）的实际值证据较弱：{reason_zh(r['weak'])}（来源：{source_zh(r['source'])}）。",
            "recommendation_zh": ("以真实的项目台账、抽样调查或统计数据替代模拟数据" if "simulated" in r["weak"]
                                  else "扩大样本或延长观察期") + f"，复核“{r['level3']}”。",
            "problem_en": f"The value of '{r['level3_en']}' ({r['indicator_id']}) rests on weak evidence: {r['weak']} "
                          f"(source: {r['source']}).",
            "recommendation_en": ("Replace simulated data by program registers, surveys or statistics"
                                  if "simulated" in r["weak"] else "Enlarge the sample or the observation period")
                                 + f" and re-check '{r['level3_en']}'.",
        })
    return pd.DataFrame(rows, columns=list(COLUMNS))


_NEED_ZH = {"grade": "由评价人依据佐证材料评定等级", "target": "在年度绩效目标中设定目标值",
            "data": "建立数据台账、补充实际数据", "simulated": "以真实的项目台账、抽样调查或统计数据替代模拟数据",
            "evidence": "扩大样本或延长观察期以增强证据"}
_NEED_EN = {"grade": "have the evaluator grade, on documentary evidence", "target": "set annual targets for",
            "data": "keep registers and collect the data of", "simulated": "replace simulated data by registers, "
            "surveys or statistics for", "evidence": "strengthen the evidence (larger samples, longer periods) for"}


def recommendations(found: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """意见建议: one per shortfall, one per kind of missing input or weak evidence naming its indicators.

    Returns ``indicator_ids`` (comma-separated) and ``text``.
    """
    zh = lang == "zh"
    recs = rows_of(found)
    rows = [{"indicator_ids": r["indicator_id"], "text": r["recommendation_zh"] if zh else r["recommendation_en"]}
            for r in recs if r["kind"] == "shortfall"]
    for need in ("target", "data", "grade", "simulated", "evidence"):
        g = [r for r in recs if r["kind"] != "shortfall" and r["need"] == need]
        if not g:
            continue
        ids = ", ".join(r["indicator_id"] for r in g)
        if zh:
            names = "、".join(f"“{r['level3']}”（{r['indicator_id']}）" for r in g)
            rows.append({"indicator_ids": ids, "text": f"{_NEED_ZH[need]}：{names}。"})
        else:
            rows.append({"indicator_ids": ids, "text": f"{_NEED_EN[need].capitalize()} {ids}."})
    return pd.DataFrame(rows, columns=["indicator_ids", "text"])
