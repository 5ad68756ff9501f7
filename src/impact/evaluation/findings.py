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

import pandas as pd

from impact.i18n import fmt_number

#: Columns of :func:`findings`.
COLUMNS = ("kind", "indicator_id", "level1", "level3", "lost_points", "problem_zh", "recommendation_zh",
           "problem_en", "recommendation_en")


def _v(x: float, unit: str, lang: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if unit == "share":
        return f"{x:.1%}"
    return fmt_number(x, lang) + ("" if unit in ("", "share") else f" {unit}")


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
    t = table.reset_index(drop=True).assign(_order=lambda d: range(len(d)))
    scored = t[t["scored"].astype(bool)].assign(lost=lambda d: d["weight"] - d["score"])
    short = scored[scored["lost"] > 1e-9].sort_values(["lost", "_order"], ascending=[False, True]).head(max_shortfalls)
    for _, r in short.iterrows():
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
            "kind": "shortfall", "indicator_id": r["indicator_id"], "level1": r["level1"], "level3": r["level3"],
            "lost_points": float(r["lost"]),
            "problem_zh": f"“{r['level3']}”（{r['indicator_id']}）得分 {r['score']:.1f}/{r['weight']:g}，{what_zh}。原因：{cause_zh}",
            "recommendation_zh": f"针对“{r['level3']}”制定整改措施，明确责任单位和完成时限，在下一年度绩效目标中细化该指标。",
            "problem_en": f"'{r['level3_en']}' ({r['indicator_id']}) scored {r['score']:.1f} of {r['weight']:g}: "
                          f"{what_en}. Cause: {cause_en}",
            "recommendation_en": f"Set corrective actions for '{r['level3_en']}' with a responsible unit and deadline, "
                                 "and make its target more specific next year.",
        })
    for _, r in t[~t["scored"].astype(bool)].iterrows():
        rows.append({
            "kind": "missing", "indicator_id": r["indicator_id"], "level1": r["level1"], "level3": r["level3"],
            "lost_points": float(r["weight"]),
            "problem_zh": f"“{r['level3']}”（{r['indicator_id']}，{r['weight']:g} 分）未评分：{r['reason']}。",
            "recommendation_zh": (f"补充“{r['level3']}”的" + ("评价等级" if r["scoring"] == "grade" else
                                  "年度目标值" if "target" in r["reason"] else "实际数据")
                                  + "，建立相应的数据台账，使该指标可以计分。"),
            "problem_en": f"'{r['level3_en']}' ({r['indicator_id']}, {r['weight']:g} points) is not scored: {r['reason']}.",
            "recommendation_en": f"Provide the missing {'grade' if r['scoring'] == 'grade' else 'target' if 'target' in r['reason'] else 'data'} "
                                 f"for '{r['level3_en']}' and keep a register so it can be scored.",
        })
    for _, r in t[t["weak"].astype(str) != ""].iterrows():
        rows.append({
            "kind": "weak", "indicator_id": r["indicator_id"], "level1": r["level1"], "level3": r["level3"],
            "lost_points": 0.0,
            "problem_zh": f"“{r['level3']}”（{r['indicator_id']}）的实际值证据较弱：{r['weak']}（来源：{r['source']}）。",
            "recommendation_zh": ("以真实的项目台账、抽样调查或统计数据替代模拟数据" if "simulated" in r["weak"]
                                  else "扩大样本或延长观察期") + f"，复核“{r['level3']}”。",
            "problem_en": f"The value of '{r['level3_en']}' ({r['indicator_id']}) rests on weak evidence: {r['weak']} "
                          f"(source: {r['source']}).",
            "recommendation_en": ("Replace simulated data by program registers, surveys or statistics"
                                  if "simulated" in r["weak"] else "Enlarge the sample or the observation period")
                                 + f" and re-check '{r['level3_en']}'.",
        })
    return pd.DataFrame(rows, columns=list(COLUMNS))
