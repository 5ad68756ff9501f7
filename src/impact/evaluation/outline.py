"""The 绩效评价 report as a document model, for the province or one county.

Outline (after the reference outline of 财预〔2020〕10号 reports): 一、基本情况; 二、绩效目标;
三、评价工作开展情况; 四、综合评价结论; 五、绩效指标分析 (by first-level group, with the
scoring table); 六、主要成效; 七、存在问题及原因; 八、意见建议; 九、典型案例. The English
version frames the same content by the OECD DAC criteria (section 5 by criterion).
Every number names its source; simulated values are labelled as such.
"""

from __future__ import annotations

import math
from dataclasses import replace
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from impact.evaluation.dac import dac_summary
from impact.evaluation.data import EvaluationData, county_rows, rows_of
from impact.evaluation.document import Block, Document, Figure, Heading, Paragraph, Table
from impact.evaluation.evaluate import Evaluation
from impact.evaluation.findings import _v, findings, reason_zh, recommendations, source_zh
from impact.evaluation.scoring import GRADE_EN
from impact.evaluation.system import LEVEL1, LEVEL1_EN, LEVEL2_EN, SYSTEM_VERSION

_NUM = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")
_SUB = ("（一）", "（二）", "（三）", "（四）", "（五）", "（六）", "（七）", "（八）", "（九）", "（十）")
#: How many typical cases (典型案例) the province report shows.
N_CASES = 4
EVIDENCE_ZH = {"article": "原文", "simulated": "模拟数据", "survey": "满意度调查", "evaluator": "评价人录入",
               "user table": "用户数据", "estimate": "因果估计", "": "—"}


#: Printed widths (mm, A4 portrait text width 156 mm) of the scoring table's columns: 一级指标,
#: 二级指标, 三级指标, 分值, 年度目标值, 实际完成值, 得分, 数据来源, 偏差原因/说明. The indicator name
#: gets 7 Chinese characters a line, numbers never break, the note column takes the rest. The
#: English table is sized from its cells (:func:`impact.report.docx.column_widths`: English words
#: and numbers never break).
SCORING_WIDTHS_MM: dict[str, tuple[float, ...]] = {
    "zh": (10.5, 17.5, 30.0, 10.0, 15.5, 15.5, 13.5, 13.5, 30.0),
}


def _fmt(x: Any, unit: str = "", lang: str = "zh") -> str:
    from impact.i18n import fmt_number

    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if unit == "share":
        return f"{x:.1%}"
    return fmt_number(x, lang)


def level2_en(name: Any) -> str:
    """A second-level group in English with the Chinese beside (``Output cost (产出成本)``); a
    group of the user's own system without an English name keeps its Chinese, marked so."""
    text = "" if name is None or (isinstance(name, float) and math.isnan(name)) else str(name)
    if not text:
        return "—"
    return f"{LEVEL2_EN[text]} ({text})" if text in LEVEL2_EN else f"{text} (no English name given)"


def scoring_frame(ev: Evaluation, lang: str = "zh") -> pd.DataFrame:
    """The printed scoring table: one row per indicator and a total row (合计).

    The 得分 column holds the points (one decimal) or 未评分; the total row holds the sum of
    the points printed above it, so the total and grade can be recomputed from the table.
    """
    t = ev.table
    zh = lang == "zh"
    rows = []
    for r in rows_of(t):
        rows.append({
            ("一级指标" if zh else "Group"): r["level1"] if zh else LEVEL1_EN[r["level1"]],
            ("二级指标" if zh else "Sub-group"): r["level2"] if zh else level2_en(r["level2"]),
            ("三级指标" if zh else "Indicator"): r["level3"] if zh else r["level3_en"],
            ("分值" if zh else "Weight"): f"{r['weight']:g}",
            ("年度目标值" if zh else "Target"): _fmt(r["target"], r["unit"], lang),
            ("实际完成值" if zh else "Actual"): (r["grade"] if r["scoring"] == "grade" and r["grade"]
                                               else _fmt(r["actual"], r["unit"], lang)),
            ("得分" if zh else "Score"): f"{r['score']:.2f}" if r["scored"] else ("未评分" if zh else "unscored"),
            ("数据来源" if zh else "Source"): EVIDENCE_ZH.get(r["evidence"], r["evidence"]) if zh else (r["evidence"] or "—"),
            ("偏差原因/说明" if zh else "Deviation / note"): r["deviation_reason"] or (
                reason_zh(r["reason"] or r["weak"]) if zh else r["reason"] or r["weak"]),
        })
    tot = ev.total
    score_total = tot.score
    rows.append({("一级指标" if zh else "Group"): "合计" if zh else "Total", ("分值" if zh else "Weight"): f"{tot.weight:g}",
                 ("得分" if zh else "Score"): f"{score_total:.2f}",
                 ("偏差原因/说明" if zh else "Deviation / note"):
                     (f"等级：{tot.grade}" if zh else f"grade: {tot.grade}") if tot.complete else
                     (f"{tot.n_unscored} 项未评分，等级待定" if zh else f"{tot.n_unscored} unscored; grade pending")})
    return pd.DataFrame(rows).fillna("")


def _conclusion(ev: Evaluation, lang: str) -> str:
    tot = ev.total
    score = tot.score
    if lang == "zh":
        if tot.complete:
            return f"经评价，{ev.year}年度综合得分 {score:.2f} 分，评价等级为“{tot.grade}”（优≥90分，良80–89分，中60–79分，差<60分）。"
        return (f"经评价，{ev.year}年度已评分指标得分 {score:.2f} 分（已评分指标分值合计 {tot.scored_weight:g} 分），"
                f"尚有 {tot.n_unscored} 项指标（{tot.weight - tot.scored_weight:g} 分）因缺少目标值、数据或评价等级未评分，"
                "评价等级待评价人补充后确定；不以零分或满分代替。")
    if tot.complete:
        return (f"The {ev.year} evaluation scores {score:.2f} of 100: rated '{tot.grade}' ({GRADE_EN[tot.grade]}; "
                "excellent ≥ 90, good 80–89, fair 60–79, poor < 60).")
    return (f"Scored indicators earn {score:.2f} of the {tot.scored_weight:g} points they carry; {tot.n_unscored} "
            f"indicators ({tot.weight - tot.scored_weight:g} points) lack a target, data or a grade and are not "
            "scored, so the rating is pending (never replaced by zero or full marks).")


def group_figure(ev: Evaluation, lang: str, *,
                 render: Callable[[tuple[Any, ...], Callable[[], bytes]], bytes] | None = None) -> Figure:
    """图1, the weight and score bars by first-level group (what ``build_outline(figures=True)`` shows).

    ``render(args, draw)`` returns the PNG, e.g. from a store of figures made before; ``args``
    are the figure's inputs (labels, weights, scored weights, scores, language), ``draw()``
    draws it. Default: draw (once per process for the same ``args``).
    """
    s = ev.subtotals
    labels = tuple(s["level1"]) if lang == "zh" else tuple(LEVEL1_EN[x] for x in s["level1"])
    args = (labels, tuple(s["weight"].astype(float)), tuple(s["scored_weight"].astype(float)),
            tuple(s["score"].astype(float)), lang)
    png = _group_png(*args) if render is None else render(args, lambda: _group_png(*args))
    cap = ("图1 各一级指标分值与得分" if lang == "zh" else "Figure 1. Weight and score by indicator group")
    return Figure(png, cap, width_cm=14.0)


@lru_cache(maxsize=32)
def _group_png(labels: tuple[str, ...], weight: tuple[float, ...], scored_weight: tuple[float, ...],
               score: tuple[float, ...], lang: str) -> bytes:
    """PNG of the weight and score bars by group; the image depends only on its arguments, so
    counties with the same subtotals share one rendering per process."""
    from impact.plots import new_figure, to_png

    fig, ax = new_figure(6.5, 3.0)
    y = np.arange(len(labels))[::-1]
    ax.barh(y, weight, color="#dbe4ee", label="分值" if lang == "zh" else "weight")
    ax.barh(y, scored_weight, color="#a9c6de", label="已评分分值" if lang == "zh" else "scored weight")
    ax.barh(y, score, color="#1f5f8b", height=0.5, label="得分" if lang == "zh" else "score")
    ax.set_yticks(y, list(labels))
    ax.set_xlabel("分" if lang == "zh" else "points")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
    return to_png(fig, dpi=150)


def _background(ev: Evaluation, data: EvaluationData, lang: str) -> list:
    zh = lang == "zh"
    out: list = []
    if ev.county is None:
        return _province_background(data, lang)
    from impact.geo import resolve_county

    c = resolve_county(ev.county)
    reg = data.registry
    pr = county_rows(reg["pairings"], ev.county, ["org_id"])
    orgs = reg["organizations"]
    org_rows = orgs[[c for c in orgs.columns if c in ("org_id", "name", "kind")]].set_index("org_id").reindex(
        pr["org_id"].unique()).dropna(subset=["name"])
    names = sorted(set(org_rows["name"]))
    sites = county_rows(reg["program_sites"], ev.county, ["program_id"])
    if not zh:  # romanised county and prefecture, translated kinds with the Chinese names beside
        from impact.romanize import county_name_en, organization_en, prefecture_name_en

        kinds = dict(zip(org_rows["name"], org_rows.get("kind", pd.Series(index=org_rows.index, dtype=object))))
        names = [organization_en(n, kinds.get(n)) for n in names]
        c = replace(c, name=county_name_en(c.code), prefecture=prefecture_name_en(c.prefecture))
    out.append(Paragraph(
        (f"{c.name}（{c.prefecture}）参与社会组织助力乡村振兴三年行动。原文记载与本县结对的社会组织 {len(names)} 家"
         f"{'：' + '、'.join(names) if names else ''}；在本县实施的帮扶项目 {sites['program_id'].nunique()} 个。")
        if zh else
        (f"{c.name} ({c.prefecture}) takes part in the three-year action. The article names {_n(len(names), 'organisation')} "
         f"paired with the county{': ' + ', '.join(names) if names else ''} and "
         f"{_n(sites['program_id'].nunique(), 'program')} run there.")))
    for r in rows_of(county_rows(reg["facts"], ev.county, ["value_as_written", "unit_as_written", "fact_id", "quote"])):
        out.append(Paragraph(f"{r['value_as_written']}{r['unit_as_written']}（{r['fact_id']}）：“{r['quote']}”", "quote"))
    return out


def _n(k: int, noun: str) -> str:
    """``1 program``, ``3 programs``, ``no program``."""
    return f"no {noun}" if k == 0 else f"{k} {noun}{'' if k == 1 else 's'}"


def _place_en(place: str) -> str:
    """An English place label with the Chinese name beside it (``Zhaotong (昭通市)``)."""
    from impact.romanize import prefecture_name_en

    if place == "云南省":
        return "Yunnan (云南省)"
    return f"{prefecture_name_en(place)} ({place})"


def _province_background(data: EvaluationData, lang: str) -> list:
    """基本情况 of the province: the action and brand, then every province- and prefecture-scope
    fact of the article (:func:`impact.registry.province_facts`) with its quote, then the
    funding sources and the social-organisation funds total (enterprise money left out, said so)."""
    from impact.fmt import money
    from impact.registry import fund_facts, funds_total, province_facts
    from impact.units import quantity_text

    zh = lang == "zh"
    reg = data.registry
    out: list = [Paragraph(
        "2023年10月，省民政厅、省农业农村厅部署实施社会组织助力乡村振兴三年行动，确定统一品牌标识“云社同心·益滇有你”。"
        "2022年，52家全国性和东部地区社会组织与云南省27个国家乡村振兴重点帮扶县结对；三年行动推动省级社会组织结对"
        "全省129个县（市、区）。原文所载全省和州（市）数据如下，每项附原文出处：" if zh else
        "In October 2023 Yunnan's civil-affairs and agriculture departments launched a three-year action of social "
        "organisations for rural revitalisation under one brand, Yunshe Tongxin · Yidian Youni. In 2022, 52 national "
        "and eastern organisations had been paired with Yunnan's 27 national key counties for rural revitalisation; "
        "the action pairs provincial organisations with all 129 county-level divisions. Province and prefecture "
        "figures stated in the source article, each with its quote:")]
    pf = province_facts(reg)
    for (cov_zh, cov_en, place, quote), g in pf.groupby(["coverage_zh", "coverage_en", "place", "quote"], sort=False):
        items = [quantity_text(float(r["value"]), unit_as_written=r["unit_as_written"],
                               value_as_written=r["value_as_written"], qualifier=r["qualifier"],
                               base_unit=r["base_unit"], lang=lang) + f"（{r['fact_id']}）" if zh else
                 quantity_text(float(r["value"]), unit_as_written=r["unit_as_written"],
                               value_as_written=r["value_as_written"], qualifier=r["qualifier"],
                               base_unit=r["base_unit"], lang="en") + f" ({r['fact_id']})"
                 for _, r in g.iterrows()]
        head = (f"{cov_zh}：" + "、".join(items)) if zh else f"{_place_en(place)}, {cov_en}: " + ", ".join(items)
        out.append(Paragraph(head))
        out.append(Paragraph(f"“{quote}”", "quote"))
    facts = reg["facts"].assign(value=pd.to_numeric(reg["facts"]["value"], errors="coerce"))
    local = facts[facts["scope"].isin(["program", "county"])]
    tot = funds_total(local, include="social_organizations", programs=reg["programs"],
                      organizations=reg["organizations"])
    central = pf[pf["measure"] == "province_program_central_and_lottery_funds"]
    c_txt = ("" if central.empty else quantity_text(
        float(central["value"].iloc[0]), unit_as_written=central["unit_as_written"].iloc[0],
        value_as_written=central["value_as_written"].iloc[0], qualifier=central["qualifier"].iloc[0],
        base_unit=central["base_unit"].iloc[0], lang=lang))
    n_all = len(fund_facts(local))
    if zh:
        out.append(Paragraph(
            "资金来源：中央财政支持社会组织参与社会服务项目资金和省级福彩公益金"
            + (f"（原文：{c_txt}，F001）" if c_txt else "")
            + f"；社会组织自筹和链接的社会资金。原文逐项记载的项目资金中，{tot.label('zh')}合计 "
            f"{money(tot.value, lang='zh')}（{len(tot.fact_ids)} 项：{'、'.join(tot.fact_ids)}；原文共 {n_all} 项资金数据）。"
            + (f"企业资金（{'、'.join(tot.excluded_fact_ids)}，{money(tot.excluded_value, lang='zh')}）来自执行会长企业，"
               "不属于社会组织资金，单独列示。" if tot.excluded_fact_ids else "")))
    else:
        out.append(Paragraph(
            "Funding: central-government funds for social organisations' social services and the provincial "
            "welfare-lottery fund" + (f" ({c_txt}, F001)" if c_txt else "")
            + f"; money the organisations raise. Of the program funds the article itemises, {tot.label('en')} "
            f"total {money(tot.value, lang='en')} ({len(tot.fact_ids)} figures: {', '.join(tot.fact_ids)}; "
            f"{n_all} fund figures in all)."
            + (f" Enterprise money ({', '.join(tot.excluded_fact_ids)}, {money(tot.excluded_value, lang='en')}) "
               "comes from the executive president's company, not a social organisation, and is shown apart."
               if tot.excluded_fact_ids else "")))
    return out


def _targets_table(ev: Evaluation, lang: str) -> Table:
    zh = lang == "zh"
    src = {"article": "原文", "default": "默认值（可修改）", "evaluator": "评价人录入"}
    t = ev.table
    frame = pd.DataFrame({
        ("三级指标" if zh else "Indicator"): t["level3"] if zh else t["level3_en"],
        ("年度目标值" if zh else "Target"): [_fmt(v, u, lang) if not math.isnan(v) else ("待录入" if zh else "to enter")
                                        for v, u in zip(t["target"], t["unit"])],
        ("目标来源" if zh else "Target source"): t["target_source"].map(src) if zh else t["target_source"],
    })
    return Table(frame, "表1 年度绩效指标及目标值" if zh else "Table 1. Indicators and targets")


#: Chinese names of the evaluation tables (the code name follows in parentheses, so a reader can find it).
TABLES_ZH: dict[str, str] = {"county_panel": "县级面板数据", "plot_trials": "示范种植田块试验", "households": "农户调查",
                             "patients": "患者就医记录", "beneficiaries": "受益人名册", "cost_ledger": "项目成本台账"}


def _tables_zh(names: Any) -> str:
    """``农户调查（households）、患者就医记录（patients）``: each table by its Chinese name and code name."""
    return "、".join(f"{TABLES_ZH.get(n, n)}（{n}）" for n in sorted(names))


def _method_blocks(ev: Evaluation, data: EvaluationData, lang: str) -> list:
    zh = lang == "zh"
    sim = sorted(t for t, s in data.simulated.items() if s)
    used_sim = sorted(set(ev.table.loc[ev.table["evidence"] == "simulated", "source"]))
    sub = ev.subtotals
    default = ev.system_file.replace("\\", "/").endswith("data/raw/evaluation/indicator_system.csv")
    weights_zh = "、".join(f"{g}{w:g}分" for g, w in zip(sub["level1"], sub["weight"]))
    weights_en = ", ".join(f"{LEVEL1_EN[g]} {w:g}" for g, w in zip(sub["level1"], sub["weight"]))
    blocks = [
        Paragraph(("评价依据：财政部《项目支出绩效评价管理办法》（财预〔2020〕10号）。指标体系："
                   f"{ev.system_file}（版本 {SYSTEM_VERSION}），一级指标为决策、过程、产出、效益和满意度，分值合计100分。"
                   "计分规则：定量指标按“完成值/目标值×分值”计分且不超过该项分值（成本类指标取“目标值/完成值”）；"
                   "分档指标按阈值计分；定性指标由评价人评定优、良、中、差等级后折算。缺少目标值、数据或等级的指标不评分，"
                   f"并在评分表中说明原因。一级指标分值：{weights_zh}"
                   + ("（本工具的默认权重，评价人可在指标体系文件中按适用的规定修改）。" if default else "。"))
                  if zh else
                  ("Basis: the Ministry of Finance's Measures for the performance evaluation of project spending (财预〔2020〕10号). "
                   f"Indicator system: {ev.system_file} (version {SYSTEM_VERSION}), groups Decision, Process, Outputs, "
                   "Outcomes and Satisfaction, 100 points. Quantitative indicators score actual/target × weight, capped at "
                   "the weight (target/actual for costs); banded indicators score by thresholds; qualitative ones by the "
                   "evaluator's grade. Indicators without a target, data or grade stay unscored, with the reason. "
                   f"Group weights: {weights_en}"
                   + (" (the toolkit's default; the evaluator changes them in the indicator file to follow the "
                      "rules that apply)." if default else "."))),
        Paragraph(("数据来源：原文事实登记表（data/raw/registry，每项附原文）；评价数据表：" + _tables_zh(data.tables)
                   + "；评价人录入表；满意度调查" + ("（已提供）" if data.satisfaction is not None else "（未提供）") + "。")
                  if zh else
                  ("Data: the article's registry (data/raw/registry, each figure with its quote); evaluation tables ("
                   + ", ".join(sorted(data.tables)) + "); the evaluator's sheet; a satisfaction survey"
                   + (" (given)." if data.satisfaction is not None else " (not given)."))),
    ]
    if sim:
        blocks.append(Paragraph(
            ("重要说明：以下表格为模拟数据，仅用于演示评价方法，不代表真实情况：" + _tables_zh(sim)
             + "。评分表中数据来源为“模拟数据”的指标，其实际值依据："
             + "；".join(source_zh(u) for u in used_sim) + "。") if zh else
            ("Important: these tables are SIMULATED, to demonstrate the method, and describe no real outcome: "
             + ", ".join(sim) + ". Indicators whose source reads 'simulated' rest on: " + "; ".join(used_sim) + "."),
            "note"))
    return blocks


def _effects(ev: Evaluation, estimates: pd.DataFrame | None, lang: str) -> list:
    from impact.fmt import interval, pvalue

    zh = lang == "zh"
    if estimates is None:
        t = ev.table[ev.table["conf_low"].notna() | ev.table["p_value"].notna()]
        estimates = pd.DataFrame({"term": t["level3"] if zh else t["level3_en"], "estimate": t["actual"],
                                  "conf_low": t["conf_low"], "conf_high": t["conf_high"], "p_value": t["p_value"],
                                  "method": t["source"]})
    if estimates.empty:
        return [Paragraph("暂无可信设计下的因果估计或带置信区间的指标。" if zh else
                          "No causal estimate or indicator with an interval is available.")]
    frame = pd.DataFrame({
        ("指标" if zh else "Indicator"): estimates["term"].astype(str),
        ("估计值" if zh else "Estimate"): [_fmt(x, "", lang) for x in estimates["estimate"]],
        ("95%置信区间" if zh else "95% interval"): [interval(a, b, lang=lang, missing="—")
                                              for a, b in zip(estimates["conf_low"], estimates["conf_high"])],
        ("p值" if zh else "p-value"): [pvalue(p, missing="—") for p in estimates["p_value"]],
        ("方法与数据" if zh else "Method and data"): estimates["method"].astype(str),
    })
    return [Paragraph("下表列出带不确定性度量的成效指标与因果估计；依据模拟数据的结果仅演示方法。" if zh else
                      "Results with a measure of uncertainty; those on simulated data only demonstrate the method."),
            Table(frame, "表4 主要成效（估计值与置信区间）" if zh else "Table 4. Results with intervals")]


def _cases(ev: Evaluation, data: EvaluationData, lang: str) -> list:
    zh = lang == "zh"
    reg = data.registry
    progs, facts = reg["programs"], reg["facts"]
    if ev.county is not None:
        ids = set(county_rows(reg["program_sites"], ev.county, ["program_id"])["program_id"])
        ids |= set(county_rows(facts, ev.county, ["program_id"])["program_id"].dropna())
        chosen = progs[progs["program_id"].isin(ids)]
    else:
        n = facts["program_id"].value_counts()
        chosen = progs.assign(_n=progs["program_id"].map(n).fillna(0)).sort_values(
            ["_n", "program_id"], ascending=[False, True]).head(N_CASES)
    if chosen.empty:
        return [Paragraph("原文未记载在本县实施的具体项目。" if zh else "The article names no program run in this county.")]
    orgs = reg["organizations"].set_index("org_id")["name"]
    out: list = []
    for k, p in enumerate(rows_of(chosen)):
        org = orgs.get(p["org_id"], p["org_id"])
        out.append(Heading(f"{_SUB[k]}{p['name']}（{org}）" if zh else f"9.{k + 1} {p['name']} ({org})", 2))
        if isinstance(p["delivered"], str) and p["delivered"]:
            out.append(Paragraph(p["delivered"] if zh else f"What was delivered (from the article): {p['delivered']}"))
        out.append(Paragraph(("原文：“" if zh else "Source: “") + str(p["quote"]) + "”", "quote"))
    return out


def build_outline(ev: Evaluation, data: EvaluationData, *, lang: str = "zh",
                  estimates: pd.DataFrame | None = None, figures: bool = True,
                  extra: Mapping[int, Sequence[Block]] | None = None) -> Document:
    """Assemble the 绩效评价 report of an evaluation as a :class:`Document`.

    Parameters
    ----------
    ev
        The scored evaluation (:func:`impact.evaluation.evaluate`).
    data
        The tables it was computed from (registry for 基本情况 and 典型案例).
    lang
        ``"zh"`` (the 绩效评价 outline) or ``"en"`` (the same content framed by the DAC criteria).
    estimates
        Causal estimates for 主要成效, a tidy table with ``term, estimate, conf_low, conf_high,
        p_value, method``; default the evaluation's own rows that carry an interval.
    figures
        Include the figure of scores by group.
    extra
        Blocks appended at the end of a chapter, by chapter index (0 基本情况 … 8 典型案例),
        e.g. maps in 基本情况 or the design sentences in 主要成效.
    """
    zh = lang == "zh"
    if ev.county is None:
        where = "云南省" if zh else "Yunnan Province"
    else:
        from impact.geo import resolve_county

        where = resolve_county(ev.county).name if zh else f"{resolve_county(ev.county).name} ({ev.county}), Yunnan"
    title = (f"{where}社会组织助力乡村振兴三年行动{ev.year}年度绩效评价报告" if zh else
             f"{where}: performance evaluation of the social-organisation rural-revitalisation action, {ev.year}")
    doc = Document(title=title, lang=lang,
                   subtitle=("依据财预〔2020〕10号 · 评价工具 impact 自动起草，供评价人修改" if zh else
                             "Drafted by the impact toolkit for the evaluator to edit"),
                   footer=title)
    H = (lambda i, zh_t, en_t: Heading(f"{_NUM[i]}、{zh_t}" if zh else f"{i + 1}. {en_t}", 1))
    doc.add(H(0, "基本情况", "Background"), *_background(ev, data, lang))
    doc.add(H(1, "绩效目标", "Objectives and targets"),
            Paragraph("总体目标：聚焦农村地区产业发展、乡村建设、乡村治理薄弱环节，引导社会组织开展专业化、差异化、"
                      "个性化帮扶（据原文省民政厅负责人表述）。年度指标及目标值见表1；原文未给出的目标值由评价人录入。"
                      if zh else "Overall objective (as the provincial official states it in the article): professional, "
                                 "differentiated, tailored support where industry, village construction and governance are "
                                 "weakest. Table 1 lists the indicators; targets the article does not give are entered "
                                 "by the evaluator."),
            _targets_table(ev, lang))
    doc.add(H(2, "评价工作开展情况", "Evaluation approach"), *_method_blocks(ev, data, lang))
    doc.add(H(3, "综合评价结论", "Overall rating"), Paragraph(_conclusion(ev, lang)))
    sub = ev.subtotals
    doc.add(Table(pd.DataFrame({("一级指标" if zh else "Group"): sub["level1"] if zh else sub["level1"].map(LEVEL1_EN),
                                ("分值" if zh else "Weight"): sub["weight"].map("{:g}".format),
                                ("得分" if zh else "Score"): sub["score"].map("{:.2f}".format),
                                ("未评分指标数" if zh else "Unscored"): sub["n_unscored"].astype(int).astype(str)}),
                  "表2 一级指标得分汇总" if zh else "Table 2. Scores by group"))
    if figures:
        doc.add(group_figure(ev, lang))
    doc.add(H(4, "绩效指标分析", "Findings by DAC criterion"))
    t = ev.table
    recs = rows_of(t)
    if zh:
        for k, g in enumerate(x for x in LEVEL1 if x in {r["level1"] for r in recs}):
            doc.add(Heading(f"{_SUB[k]}{g}指标", 2))
            for r in recs:
                if r["level1"] == g:
                    doc.add(Paragraph(_indicator_sentence(r, lang)))
    else:
        for k, d in enumerate(rows_of(dac_summary(t))):
            doc.add(Heading(f"5.{k + 1} {d['criterion']}: {d['question']}", 2))
            for r in recs:
                if r["dac"] == d["dac"]:
                    doc.add(Paragraph(_indicator_sentence(r, lang)))
    doc.add(Table(scoring_frame(ev, lang), "表3 绩效评价指标评分表" if zh else "Table 3. Scoring table",
                  note=("各项得分保留两位小数；合计为上列得分之和。" if zh else "Scores to two decimals; the total sums the rows above."),
                  widths=SCORING_WIDTHS_MM.get(lang)))
    doc.add(H(5, "主要成效", "Results"), *_effects(ev, estimates, lang))
    fnd = findings(t)
    doc.add(H(6, "存在问题及原因", "Issues and their causes"))
    for i, f in enumerate(rows_of(fnd), start=1):
        doc.add(Paragraph(f"{i}. " + (f["problem_zh"] if zh else f["problem_en"])))
    doc.add(H(7, "意见建议", "Recommendations"))
    for i, f in enumerate(rows_of(recommendations(fnd, lang)), start=1):
        doc.add(Paragraph(f"{i}. " + f["text"]))
    doc.add(H(8, "典型案例", "Case studies"), *_cases(ev, data, lang))
    return _with_extra(doc, extra or {})


def _with_extra(doc: Document, extra: Mapping[int, Sequence[Block]]) -> Document:
    """Append ``extra[k]`` at the end of the k-th level-1 chapter (0-based)."""
    if not extra:
        return doc
    out: list[Block] = []
    k = -1
    for b in doc.blocks:
        if isinstance(b, Heading) and b.level == 1:
            if k >= 0:
                out.extend(extra.get(k, ()))
            k += 1
        out.append(b)
    out.extend(extra.get(k, ()))
    doc.blocks = out
    return doc


def _indicator_sentence(r: Mapping[str, Any], lang: str) -> str:
    zh = lang == "zh"
    name = r["level3"] if zh else r["level3_en"]
    if not r["scored"]:
        return (f"{name}（{r['weight']:g}分）：未评分，{reason_zh(r['reason'])}。" if zh else
                f"{name} ({r['weight']:g} points): not scored, {r['reason']}.")
    if r["scoring"] == "grade":
        return (f"{name}（{r['weight']:g}分）：评价等级“{r['grade']}”，得 {r['score']:.2f} 分。" if zh else
                f"{name} ({r['weight']:g} points): graded '{r['grade']}' ({GRADE_EN.get(r['grade'], '?')}), "
                f"{r['score']:.2f} points.")
    ci = (f"（95%区间 {_fmt(r['conf_low'], r['unit'])}–{_fmt(r['conf_high'], r['unit'])}）"
          if not math.isnan(r["conf_low"]) else "")
    ci_en = (f" (95% interval {_fmt(r['conf_low'], r['unit'], 'en')}–{_fmt(r['conf_high'], r['unit'], 'en')})"
             if not math.isnan(r["conf_low"]) else "")
    att = f"，完成率 {r['attainment']:.0%}" if not math.isnan(r["attainment"]) else ""
    return (f"{name}（{r['weight']:g}分）：目标 {_v(r['target'], r['unit'], 'zh')}，实际 {_v(r['actual'], r['unit'], 'zh')}"
            f"{ci}{att}，得 {r['score']:.2f} 分。来源：{source_zh(r['source'])}。" if zh else
            f"{name} ({r['weight']:g} points): target {_v(r['target'], r['unit'], 'en')}, actual "
            f"{_v(r['actual'], r['unit'], 'en')}{ci_en}, {r['score']:.2f} points. Source: {r['source']}.")
