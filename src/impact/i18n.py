"""User-facing strings in Chinese and English, and number formatting for reports.

``t(key, lang, **fmt)`` looks a message up in :data:`MESSAGES` and fills its
``str.format`` fields. Number formatting follows each language's reading habit:

* Chinese (``zh``): amounts of at least 1 亿 (1e8) are written in 亿, amounts of
  at least 1 万 (1e4) in 万, smaller ones in full, e.g. ``231000000 → "2.31亿"``,
  ``60000 → "6万"``, ``1815 → "1815"``.
* English (``en``): thousands separators, e.g. ``231000000 → "231,000,000"``.

Labels for sectors, organization levels and kinds, base units and table columns
live here too, so every report, figure and CLI message uses one vocabulary.

New report text should format numbers with :mod:`impact.fmt` (money in 万元/亿元 and
"CNY … million", counts with separators, readable intervals, significance and
pre-trend wording) and figures from the registry with
``fmt_quantity(..., unit_as_written=...)`` so the article's unit (次, 份, 岁, 镇（乡）)
is kept; ``fmt_number``/``fmt_money`` stay for the current report sections.
Only user-facing text is translated; code, comments and docs stay in English.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

from impact.vocab import LANGS, Lang  # noqa: F401 - the vocabularies live in impact.vocab


def _check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang={lang!r} is not valid; expected one of 'zh', 'en'")
    return lang


# -- vocabularies -----------------------------------------------------------------

SECTORS: dict[str, dict[str, str]] = {
    "agriculture": {"zh": "农业产业", "en": "Agriculture"},
    "health": {"zh": "医疗卫生", "en": "Health"},
    "education": {"zh": "教育", "en": "Education"},
    "child_protection": {"zh": "儿童保护", "en": "Child protection"},
    "elderly_care": {"zh": "养老服务", "en": "Elderly care"},
    "disability": {"zh": "助残服务", "en": "Disability services"},
    "culture": {"zh": "文化传承", "en": "Culture"},
    "tourism": {"zh": "乡村旅游", "en": "Tourism"},
    "ecommerce": {"zh": "电子商务", "en": "E-commerce"},
    "employment": {"zh": "就业", "en": "Employment"},
    "governance": {"zh": "基层治理", "en": "Governance"},
    "other": {"zh": "其他", "en": "Other"},
}

LEVELS: dict[str, dict[str, str]] = {
    "national": {"zh": "全国性", "en": "National"},
    "out_of_province": {"zh": "省外", "en": "Out of province"},
    "provincial": {"zh": "省级", "en": "Provincial"},
    "prefecture": {"zh": "州（市）级", "en": "Prefecture"},
    "county": {"zh": "县（市、区）级", "en": "County"},
}

KINDS: dict[str, dict[str, str]] = {
    "foundation": {"zh": "基金会", "en": "Foundation"},
    "trade_association": {"zh": "行业协会", "en": "Trade association"},
    "chamber_of_commerce": {"zh": "商会", "en": "Chamber of commerce"},
    "social_work_agency": {"zh": "社会工作服务机构", "en": "Social-work agency"},
    "professional_association": {"zh": "专业协会", "en": "Professional association"},
    "ngo": {"zh": "公益组织", "en": "NGO"},
    "enterprise": {"zh": "企业", "en": "Enterprise"},
    "other": {"zh": "其他", "en": "Other"},
}

#: Base units of ``facts.base_unit`` and indicator ``unit`` columns.
UNITS: dict[str, dict[str, str]] = {
    "yuan": {"zh": "元", "en": "yuan"},
    "mu": {"zh": "亩", "en": "mu"},
    "kg": {"zh": "公斤", "en": "kg"},
    "kg/mu": {"zh": "公斤/亩", "en": "kg/mu"},
    "person": {"zh": "人", "en": "persons"},
    "person_time": {"zh": "人次", "en": "person-times"},
    "school": {"zh": "所", "en": "schools"},
    # a generic count: the figure's label says what is counted (never "units"); use
    # fmt_quantity(..., unit_as_written=...) to carry the article's 次/份/岁/镇（乡） through
    "unit": {"zh": "个", "en": ""},
    "year": {"zh": "年", "en": "years"},
    "percent": {"zh": "%", "en": "%"},
    "organization": {"zh": "家", "en": "organizations"},
    "county": {"zh": "个县", "en": "counties"},
    "project": {"zh": "个", "en": "projects"},
    "ratio": {"zh": "", "en": ""},
    "yuan/person": {"zh": "元/人", "en": "yuan per person"},
    "yuan/household": {"zh": "元/户", "en": "yuan per household"},
    "yuan/patient": {"zh": "元/人", "en": "yuan per patient"},
    "yuan/beneficiary": {"zh": "元/人", "en": "yuan per beneficiary"},
    "yuan/household/year": {"zh": "元/户/年", "en": "yuan per household per year"},
    "yuan/person/year": {"zh": "元/人/年", "en": "yuan per person per year"},
    "yuan/year": {"zh": "元/年", "en": "yuan per year"},
    "yuan/person_time": {"zh": "元/人次", "en": "yuan per person-time"},
    "yuan/yuan": {"zh": "元/元", "en": "yuan per yuan"},
}

QUALIFIERS: dict[str, dict[str, str]] = {
    "exact": {"zh": "", "en": ""},
    "more_than": {"zh": "超过", "en": "more than"},
    "about": {"zh": "约", "en": "about"},
    "nearly": {"zh": "近", "en": "nearly"},
    "up_to": {"zh": "至多", "en": "up to"},
    "at_least": {"zh": "至少", "en": "at least"},
}

#: Display headers for table columns (reports show these instead of snake_case).
COLUMNS: dict[str, dict[str, str]] = {
    "county_code": {"zh": "县级代码", "en": "County code"},
    "county": {"zh": "县（市、区）", "en": "County"},
    "county_name": {"zh": "县（市、区）", "en": "County"},
    "prefecture": {"zh": "州（市）", "en": "Prefecture"},
    "org_id": {"zh": "组织编号", "en": "Org. ID"},
    "organization": {"zh": "社会组织", "en": "Organization"},
    "level": {"zh": "层级", "en": "Level"},
    "kind": {"zh": "类型", "en": "Kind"},
    "program_id": {"zh": "项目编号", "en": "Program ID"},
    "program": {"zh": "帮扶项目", "en": "Program"},
    "sector": {"zh": "领域", "en": "Sector"},
    "period": {"zh": "时期", "en": "Period"},
    "year": {"zh": "年份", "en": "Year"},
    "date": {"zh": "日期", "en": "Date"},
    "event": {"zh": "签约活动", "en": "Signing event"},
    "town": {"zh": "乡镇", "en": "Town"},
    "village": {"zh": "村", "en": "Village"},
    "delivered": {"zh": "帮扶内容", "en": "What was delivered"},
    "funds": {"zh": "资金", "en": "Funds"},
    "measure": {"zh": "指标", "en": "Measure"},
    "value": {"zh": "数值", "en": "Value"},
    "quote": {"zh": "原文", "en": "Source quote (Chinese)"},
    "indicator": {"zh": "指标", "en": "Indicator"},
    "estimate": {"zh": "估计值", "en": "Estimate"},
    "ci": {"zh": "95%置信区间", "en": "95% CI"},
    "conf_low": {"zh": "下限", "en": "CI low"},
    "conf_high": {"zh": "上限", "en": "CI high"},
    "std_error": {"zh": "标准误", "en": "Std. error"},
    "p_value": {"zh": "p值", "en": "p-value"},
    "n": {"zh": "样本量", "en": "N"},
    "unit": {"zh": "单位", "en": "Unit"},
    "method": {"zh": "方法", "en": "Method"},
    "term": {"zh": "项", "en": "Term"},
    "group": {"zh": "组别", "en": "Group"},
    "rank": {"zh": "排名", "en": "Rank"},
    "cost_per_beneficiary": {"zh": "人均成本（元）", "en": "Cost per beneficiary (yuan)"},
    "beneficiaries": {"zh": "受益人数", "en": "Beneficiaries"},
    "cost": {"zh": "成本（元）", "en": "Cost (yuan)"},
    "registry_sum": {"zh": "登记表合计", "en": "Registry sum"},
    "stated_total": {"zh": "文章所述总数", "en": "Stated total"},
    "difference": {"zh": "差额", "en": "Difference"},
    "covered": {"zh": "登记表覆盖比例", "en": "Share covered"},
    "file": {"zh": "文件", "en": "File"},
    "sha256": {"zh": "SHA-256 校验值", "en": "SHA-256"},
    "package": {"zh": "软件包", "en": "Package"},
    "part": {"zh": "部分", "en": "Part"},
    "note_kind": {"zh": "类别", "en": "Type"},
    "message": {"zh": "说明", "en": "Message"},
    "version": {"zh": "版本", "en": "Version"},
    "source": {"zh": "来源", "en": "Source"},
    "simulated": {"zh": "模拟数据", "en": "Simulated"},
    "declared_by": {"zh": "信息来源", "en": "Stated by"},
    "coverage": {"zh": "数字范围", "en": "What it covers"},
    "discount_rate": {"zh": "折现率", "en": "Discount rate"},
    "horizon": {"zh": "年限（年）", "en": "Horizon (years)"},
    "bcr": {"zh": "效益成本比", "en": "Benefit–cost ratio"},
    "n_programs": {"zh": "项目数", "en": "Programs"},
    "n_organizations": {"zh": "组织数", "en": "Organizations"},
    "n_counties": {"zh": "县数", "en": "Counties"},
    "population": {"zh": "人口", "en": "Population"},
    "funds_per_capita": {"zh": "人均资金（元）", "en": "Funds per capita (yuan)"},
}

#: Messages. Keys are dotted; values hold ``str.format`` fields.
MESSAGES: dict[str, dict[str, str]] = {
    # report furniture
    "report.county.title": {"zh": "{name}帮扶成效报告（{year}年）", "en": "{name}: impact report {year}"},
    "report.province.title": {
        "zh": "云南省社会组织助力乡村振兴年度评估报告（{year}年）",
        "en": "Social organizations in Yunnan's rural revitalization: annual evaluation {year}",
    },
    "report.explore.title": {"zh": "数据探索", "en": "Exploring the data"},
    "report.identity": {
        "zh": "行政区划代码 {code}，隶属{prefecture}。",
        "en": "Administrative code {code}, in {prefecture}.",
    },
    "section.summary": {"zh": "概览", "en": "Summary"},
    "section.maps": {"zh": "地图", "en": "Maps"},
    "section.exposure": {"zh": "结对组织与帮扶项目", "en": "Paired organizations and programs"},
    "section.indicators": {"zh": "分领域成效指标", "en": "Indicators by sector"},
    "section.causal": {"zh": "因果效应估计", "en": "Causal estimate"},
    "section.appendix": {"zh": "数据与方法附录", "en": "Data and methods appendix"},
    "section.staggered": {"zh": "分批结对的效应估计", "en": "Staggered-adoption estimates"},
    "section.heterogeneity": {"zh": "按组织层级与类型的异质性", "en": "Heterogeneity by organization level and kind"},
    "section.choropleth": {"zh": "资金与效应分布图", "en": "Maps of funds and effects"},
    "section.league": {"zh": "项目成本效益排行", "en": "League table of programs by cost-effectiveness"},
    "section.reconcile": {"zh": "与文章全省数字核对", "en": "Totals reconciled with the article"},
    "section.sector.agriculture": {"zh": "农业：良种增产与农户增收", "en": "Agriculture: yield gain and income"},
    "section.sector.health": {"zh": "医疗：患者就医费用节省", "en": "Health: cost savings per patient"},
    "section.sector.child_protection": {"zh": "儿童保护：覆盖与人均成本", "en": "Child protection: reach and cost"},
    "section.sector.elderly_care": {"zh": "养老服务：覆盖与人均成本", "en": "Elderly care: reach and cost"},
    "section.bcr": {"zh": "效益成本比及敏感性", "en": "Benefit–cost ratio and sensitivity"},
    # banners and notes
    "banner.simulated": {
        "zh": "⚠ 模拟数据：本部分使用模拟生成的数据（种子 {seed}），用于演示与方法检验，不代表真实情况。",
        "en": "⚠ Simulated data: this part uses simulated data (seed {seed}) for demonstration "
        "and method checks; it does not describe real outcomes.",
    },
    "banner.simulated.top": {
        "zh": "⚠ 本报告部分内容使用模拟数据（种子 {seed}）。标注“模拟数据”的部分不代表真实情况；"
        "登记表中的事实均引自原文。",
        "en": "⚠ Parts of this report use simulated data (seed {seed}). Sections marked "
        "'simulated data' do not describe real outcomes; registry facts are quoted from the source article.",
    },
    "section.sources": {"zh": "本部分数据来源：{sources}。", "en": "Data used in this part: {sources}."},
    "declared.article": {"zh": "原文记载", "en": "the article"},
    "declared.user": {"zh": "用户申报（非原文）", "en": "declared by the user (not in the article)"},
    "note.no_programs": {
        "zh": "登记表中没有该县的帮扶项目或结对记录（原文未提及）。",
        "en": "The registry holds no program or pairing for this county (the source article does not name one).",
    },
    "note.league": {
        "zh": "人均成本 = 原文所述资金 ÷ 原文所述受益人数；两个数字的时期可能不同，请对照两段原文阅读。"
        "只列出原文各给出一个资金数和一个受益人数的项目。",
        "en": "Cost per beneficiary = funds stated ÷ beneficiaries stated in the article; the two figures may "
        "cover different periods, so read both quotes. Only programs with exactly one funds figure and one "
        "beneficiary figure are listed.",
    },
    "note.reconcile": {
        "zh": "登记表只收录原文点名的组织、县和项目，因此只覆盖全省总数的一小部分；差额是原文计入总数但未逐一列出的部分。",
        "en": "The registry holds only the organizations, counties and programs the article names, so it covers a "
        "small part of the province totals; the difference is what the article counts but does not itemize.",
    },
    "note.article_not_say": {"zh": "原文未说明", "en": "not stated in the article"},
    "note.missing": {"zh": "—", "en": "—"},
    # summary sentences
    "summary.orgs": {
        "zh": "有{n}家社会组织与{name}结对帮扶。",
        "en": "Social organizations paired with {name}: {n}.",
    },
    "summary.orgs.none": {
        "zh": "登记表中没有与{name}结对的社会组织记录。",
        "en": "The registry records no social organization paired with {name}.",
    },
    "summary.programs": {
        "zh": "在本县开展的帮扶项目有{n}个，涉及{sectors}。",
        "en": "Programs running in the county: {n}, in {sectors}.",
    },
    "summary.programs.none": {
        "zh": "登记表中没有在本县开展的帮扶项目。",
        "en": "The registry records no program in the county.",
    },
    "summary.funds": {
        "zh": "原文记载投入本县的帮扶资金为{amount}。",
        "en": "The article records {amount} of funds for the county.",
    },
    "summary.funds.none": {
        "zh": "原文没有给出专门投入本县的资金数额。",
        "en": "The article gives no amount of funds for this county alone.",
    },
    "summary.funds.wide": {
        "zh": "另有在本县及其他县开展的项目共投入{amount}，原文未分到各县。",
        "en": "Programs running in this and other counties report {amount} in all, not split by county in the article.",
    },
    "summary.funds.shared": {
        "zh": "{label}：{amount}（多县共同的数字，不是本县单独的投入）。",
        "en": "{label}: {amount} (a figure shared by several counties, not this county's own).",
    },
    "summary.shared": {"zh": "多县合计", "en": "several counties together"},
    "summary.indicator.iv": {
        "zh": "{label}：{estimate}（95%置信区间 {interval}）。",
        "en": "{label}: {estimate} (95% CI {interval}).",
    },
    "summary.causal.descriptive": {
        "zh": "合成控制：结对后{outcome}比合成对照{direction}{gap}{unit}，但这一差距不能解读为项目效应。",
        "en": "Synthetic control: after pairing, {outcome} was {gap} {unit} {direction} than its synthetic "
        "control, but this gap cannot be read as an effect of the program.",
    },
    "summary.beneficiaries": {
        "zh": "受益情况：{amount}（原文：“{measure}”）。",
        "en": "Reached: {amount} ({measure}).",
    },
    "summary.indicator": {
        "zh": "{label}：{estimate}{unit}（95%置信区间 {low}至{high}）。",
        "en": "{label}: {estimate} {unit} (95% CI {low} to {high}).",
    },
    "summary.indicator.noci": {
        "zh": "{label}：{estimate}{unit}。",
        "en": "{label}: {estimate}{unit}.",
    },
    "summary.indicator.pct": {
        "zh": "{label}：{estimate}%（95%置信区间 {low}%至{high}%）。",
        "en": "{label}: {estimate}% (95% CI {low}% to {high}%).",
    },
    "summary.causal": {
        "zh": "合成控制估计：结对后{outcome}比合成对照平均{direction}{gap}{unit}，置换检验p值为{p}。",
        "en": "Synthetic control: after pairing, {outcome} was on average {gap} {unit} {direction} "
        "than its synthetic control (placebo p-value {p}).",
    },
    "dir.higher": {"zh": "高", "en": "higher"},
    "dir.lower": {"zh": "低", "en": "lower"},
    # indicators
    "ind.yield_gain": {"zh": "良种亩产增加", "en": "Yield gain of improved seed"},
    "ind.yield_gain_pct": {"zh": "良种亩产增幅", "en": "Yield gain of improved seed (percent)"},
    "ind.income_increase": {"zh": "参与农户户均增收", "en": "Income increase per participating household"},
    "ind.total_per_household": {"zh": "参与农户户均增收", "en": "Income gain per participating household"},
    "ind.total_per_capita": {"zh": "参与农户人均增收", "en": "Income gain per person in participating households"},
    "ind.saving_per_patient": {"zh": "每位患者节省费用", "en": "Cost saved per patient"},
    "ind.local_cost": {"zh": "本地治疗人均费用", "en": "Cost per patient treated locally"},
    "ind.provincial_cost": {"zh": "省级医院治疗人均费用", "en": "Cost per patient at a provincial hospital"},
    "ind.unique_persons": {"zh": "服务人数", "en": "Persons served"},
    "ind.person_times": {"zh": "服务人次", "en": "Person-times served"},
    "ind.cost_total": {"zh": "总成本", "en": "Total cost"},
    "ind.leverage": {"zh": "撬动比（外部资金/公共资金）", "en": "Leverage (external per public yuan)"},
    "ind.cost_savings": {"zh": "每位患者节省费用", "en": "Cost savings per patient"},
    "ind.reach": {"zh": "受益人数", "en": "Beneficiaries reached"},
    "ind.cost_per_beneficiary": {"zh": "人均服务成本", "en": "Cost per beneficiary"},
    "ind.bcr": {"zh": "效益成本比", "en": "Benefit–cost ratio"},
    "bcr.sentence": {
        "zh": "{sector}：按{rate}折现率计算，效益成本比为{bcr}，净现值{npv}。下表给出不同折现率和年限下的效益成本比。",
        "en": "{sector}: at a {rate} discount rate the benefit–cost ratio is {bcr} and the net present value {npv}. "
        "The table shows the ratio at other discount rates and horizons.",
    },
    "col.twfe": {"zh": "双向固定效应估计（对照）", "en": "TWFE (for comparison)"},
    "caveat.twfe": {
        "zh": "注意：{group}的双向固定效应估计与Callaway–Sant'Anna估计差异显著；分批结对时前者可能有偏，以后者为准。",
        "en": "Caveat: for {group}, two-way fixed effects and Callaway–Sant'Anna disagree; with staggered pairing "
        "TWFE can be biased, so read the Callaway–Sant'Anna estimate.",
    },
    "explain.staggered": {
        "zh": "所有县都已结对，各领域项目只覆盖部分县。Callaway–Sant'Anna方法把有该领域项目的县与同样已结对、"
        "但没有该领域项目的县比较，再按各批县数加权平均，得到项目的平均效应（95%置信区间来自乘数自助法）。",
        "en": "Every county is paired, but each sector's programs reach only some counties. The Callaway–Sant'Anna "
        "method compares counties with a program of the sector with counties that are paired too but have no "
        "such program, and averages over waves by size (95% intervals from the multiplier bootstrap).",
    },
    "explain.heterogeneity": {
        "zh": "按结对组织的层级和类型分组，分别估计结对县农村居民人均收入的平均效应（对照为同组中尚未结对的后续批次县）。",
        "en": "The average effect on rural income per capita, estimated separately for counties paired with "
        "organizations of each level and kind (the controls are the group's later-wave counties before their "
        "own pairing).",
    },
    # causal interpretation
    "causal.interpret": {
        "zh": "所有县都已结对，因此合成控制法用没有同领域项目的县（它们同样已结对）的加权组合来模拟"
        "“如果没有这一项目，本县会怎样”。项目开始之后实际值与合成值的差距，就是对项目效应的估计。"
        "置换检验p值是把同样的方法用在每个对照县上，看本县的差距在其中排第几：p值越小，说明这样大的差距越不可能是偶然出现的。",
        "en": "Every county is paired, so synthetic control builds a weighted mix of counties without a program "
        "of the same sector (they are paired too) that tracks the county before its program, to show what "
        "would have happened without it. The gap after the program starts is the estimated effect. The placebo "
        "p-value ranks the county's gap among the same method applied to each donor county: the smaller it is, "
        "the less likely a gap this large arises by chance.",
    },
    "caveat.few_pre": {
        "zh": "注意：结对前只有{n}年数据，拟合依据较少。",
        "en": "Caveat: only {n} pre-pairing years, so the fit rests on little data.",
    },
    "caveat.poor_fit": {
        "zh": "注意：结对前拟合较差（均方根误差为结果标准差的{ratio}倍），估计需谨慎解读。",
        "en": "Caveat: the pre-pairing fit is poor (RMSPE is {ratio} times the outcome's standard deviation); "
        "read the estimate with care.",
    },
    "caveat.small_pool": {
        "zh": "注意：对照县只有{n}个，置换检验p值最小只能到{pmin}。",
        "en": "Caveat: only {n} donor counties, so the smallest attainable placebo p-value is {pmin}.",
    },
    "caveat.simulated": {
        "zh": "以上结果基于模拟数据，仅用于演示方法。",
        "en": "These results rest on simulated data and only demonstrate the method.",
    },
    "causal.event_study": {
        "zh": "事件研究图显示结对前后各年的差异（全省同领域各县，不是本县单独的估计）。",
        "en": "The event-study view shows the difference in each year before and after pairing "
        "(all counties with programs of the sector, not this county alone).",
    },
    "method.yield_gain": {"zh": "良种与对照地块亩产之差（t区间）", "en": "Difference of improved-seed and control plot yields (t interval)"},
    "method.income_increase": {"zh": "参与户与未参与户收入变化之差（按村聚类稳健标准误）",
                               "en": "Difference in income changes, participants minus others (village-clustered SE)"},
    "method.cost_savings": {"zh": "省级医院与本地治疗人均费用之差（Welch t区间）",
                            "en": "Provincial minus local cost per patient (Welch t interval)"},
    "method.reach": {"zh": "受益名单去重计数", "en": "Distinct persons in the beneficiary lists"},
    "method.cost_effectiveness": {"zh": "项目成本除以受益人数", "en": "Program cost divided by persons reached"},
    "notepart.benefit_cost": {"zh": "效益成本比", "en": "benefit–cost ratio"},
    "notepart.income_increase": {"zh": "农户增收", "en": "income increase"},
    "notepart.synth": {"zh": "合成控制", "en": "synthetic control"},
    "notepart.event_study": {"zh": "事件研究", "en": "event study"},
    "notepart.yield_gain": {"zh": "良种增产", "en": "yield gain"},
    "notepart.cost_savings": {"zh": "就医费用节省", "en": "cost savings"},
    "notepart.reach": {"zh": "受益覆盖", "en": "reach"},
    "notepart.cost_effectiveness": {"zh": "人均服务成本", "en": "cost per beneficiary"},
    "notemsg.no_benefit_cost": {"zh": "没有县在相同年份同时有可货币化的效益和项目成本记录，未计算效益成本比。",
                                "en": "no county has both a monetized benefit and program costs in the same years"},
    "notemsg.no_consecutive": {"zh": "没有县的效益和成本记录覆盖连续年份，未计算效益成本比。",
                               "en": "no county has benefits and costs in consecutive years"},
    "notemsg.income_total": {"zh": "住户数据没有分来源的收入，使用总收入。",
                             "en": "income by source not available: the total income is used"},
    "notemsg.missing_table": {"zh": "缺少所需的数据表，未计算。", "en": "a table it needs is missing"},
    "notemsg.other": {"zh": "估计方法的提示，英文原文：", "en": "the estimator's message: "},
    "sector.programs": {"zh": "本领域的帮扶项目：{items}。", "en": "Programs of this sector: {items}."},
    "sector.program_item": {"zh": "{program}（{organization}，{declared}）", "en": "{program} ({organization}; {declared})"},
    "nav.index": {"zh": "← 返回报告目录", "en": "← Back to the list of reports"},
    "nav.toc": {"zh": "目录", "en": "Contents"},
    "orgs.not_named": {"zh": "原文未点名组织", "en": "none named in the article"},
    "headline.funds_own": {"zh": "本县资金（社会组织）", "en": "County's own funds (social organisations)"},
    # figure labels
    "fig.funds": {"zh": "资金（元）", "en": "Funds (yuan)"},
    "fig.programs": {"zh": "项目数", "en": "Programs"},
    "fig.gap": {"zh": "实际值 − 合成对照", "en": "Actual − synthetic"},
    "fig.year": {"zh": "年份", "en": "Year"},
    "fig.event_time": {"zh": "距结对年份", "en": "Years since pairing"},
    "fig.effect": {"zh": "效应估计", "en": "Estimated effect"},
    "fig.treated": {"zh": "本县", "en": "This county"},
    "fig.placebo": {"zh": "置换（无同类项目的县）", "en": "Placebos (counties without the program)"},
    "fig.synthetic": {"zh": "合成对照", "en": "Synthetic control"},
    "fig.actual": {"zh": "实际值", "en": "Actual"},
    "fig.pairing": {"zh": "结对", "en": "Pairing"},
    "fig.in_prefecture": {"zh": "{name}在{prefecture}中的位置", "en": "{name} within {prefecture}"},
    "fig.in_province": {"zh": "{name}在云南省中的位置", "en": "{name} within Yunnan"},
    "fig.event_title": {"zh": "事件研究：{sector}领域全部结对县", "en": "Event study: all counties paired in {sector}"},
    "fig.effect_map": {"zh": "合成控制效应估计：{outcome}", "en": "Synthetic-control effect: {outcome}"},
    "fig.no_data": {"zh": "无数据", "en": "No data"},
    "fig.pretrend": {"zh": "事件研究；事前趋势检验 p = {p}", "en": "Event study; pre-trend test p = {p}"},
    "fig.synth_title": {"zh": "合成控制：{unit}（置换检验 p = {p}）", "en": "Synthetic control: {unit} (placebo p = {p})"},
    "fig.treated_unit": {"zh": "处理单位", "en": "Treated unit"},
    "fig.pointwise": {"zh": "逐点置信区间", "en": "Pointwise interval"},
    "fig.uniform": {"zh": "一致置信带", "en": "Uniform band"},
    "fig.cohort": {"zh": "{g}年结对组", "en": "Cohort {g}"},
    "fig.pscore": {"zh": "倾向得分", "en": "Propensity score"},
    "fig.density": {"zh": "密度", "en": "Density"},
    "fig.treated_group": {"zh": "处理组", "en": "Treated"},
    "fig.control_group": {"zh": "对照组", "en": "Control"},
    "fig.overlap": {"zh": "共同支撑：{method}", "en": "Overlap: {method}"},
    # appendix
    "appendix.sources": {
        "zh": "登记表中的每个事实都附有原文引文。来源：《云南日报》报道《携手共绘乡村振兴新画卷》（郎晶晶）。",
        "en": "Every registry fact carries its verbatim quote from the source: the Yunnan Daily article "
        "'携手共绘乡村振兴新画卷' (Lang Jingjing).",
    },
    "appendix.hashes": {"zh": "数据文件校验值", "en": "Data file hashes"},
    "appendix.versions": {"zh": "软件版本", "en": "Package versions"},
    "section.notes": {"zh": "注记：估计警告与未计算部分", "en": "Notes: estimation warnings and parts not computed"},
    "notes.intro": {"zh": "以下列出本报告计算中估计方法发出的警告，以及未能计算的部分及其原因。",
                    "en": "Warnings raised by the estimators while this report was computed, and the parts that "
                          "could not be computed, with the reason."},
    "notes.none": {"zh": "本报告计算中没有警告，所有部分均已计算。",
                   "en": "No warnings were raised and every part was computed."},
    "notes.warning": {"zh": "警告", "en": "warning"},
    "notes.skipped": {"zh": "未计算", "en": "not computed"},
    "notes.note": {"zh": "说明", "en": "note"},
    "appendix.methods": {"zh": "方法说明", "en": "Methods"},
    "appendix.registry_facts": {"zh": "本县相关的原文事实", "en": "Registry facts for this county"},
}


def t(key: str, lang: Lang = "zh", /, **fmt: Any) -> str:
    """Return message ``key`` in ``lang`` with ``fmt`` fields filled.

    Raises ``KeyError`` naming the key for an unknown message, ``ValueError`` for
    an unknown language.
    """
    _check_lang(lang)
    try:
        entry = MESSAGES[key]
    except KeyError:
        raise KeyError(f"no message {key!r} in impact.i18n.MESSAGES") from None
    text = entry[lang]
    return text.format(**fmt) if fmt else text


def _label(table: Mapping[str, Mapping[str, str]], value: Any, lang: str) -> str:
    _check_lang(lang)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    entry = table.get(str(value))
    return entry[lang] if entry else str(value)


def sector_name(sector: str, lang: Lang = "zh") -> str:
    """Display name of a registry ``sector`` code (unknown codes are returned as given)."""
    return _label(SECTORS, sector, lang)


def level_name(level: str, lang: Lang = "zh") -> str:
    """Display name of an organization ``level`` code."""
    return _label(LEVELS, level, lang)


def kind_name(kind: str, lang: Lang = "zh") -> str:
    """Display name of an organization ``kind`` code."""
    return _label(KINDS, kind, lang)


def unit_name(unit: str, lang: Lang = "zh") -> str:
    """Display name of a base unit (``yuan`` → 元 / yuan)."""
    return _label(UNITS, unit, lang)


def qualifier_name(qualifier: str, lang: Lang = "zh") -> str:
    """Display word of a fact ``qualifier`` (``more_than`` → 超过 / more than)."""
    return _label(QUALIFIERS, qualifier, lang)


def column_name(column: str, lang: Lang = "zh") -> str:
    """Display header for a table column."""
    return _label(COLUMNS, column, lang)


def headers(columns: list[str] | tuple[str, ...], lang: Lang = "zh") -> dict[str, str]:
    """Mapping ``column → display header`` for ``DataFrame.rename``."""
    return {c: column_name(c, lang) for c in columns}


# -- numbers ------------------------------------------------------------------------


def _trim(s: str) -> str:
    return s.rstrip("0").rstrip(".") if "." in s else s


def fmt_number(x: Any, lang: Lang = "zh", digits: int = 3, missing: str = "—") -> str:
    """Format a number for a report.

    ``zh``: ``|x| ≥ 1e8`` in 亿 and ``|x| ≥ 1e4`` in 万, with ``digits`` significant
    digits kept where a fraction remains (``231000000 → "2.31亿"``, ``30000000 →
    "3000万"``, ``12345 → "1.23万"``); smaller numbers in full with up to two
    decimals (``1815 → "1815"``, ``0.153 → "0.15"``).
    ``en``: thousands separators, two decimals at most (``1815 → "1,815"``,
    ``60000.5 → "60,000.5"``); numbers of a million or more are rounded to whole units.
    NaN and None give ``missing``.
    """
    _check_lang(lang)
    if x is None:
        return missing
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(v):
        return missing
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    a = abs(v)
    sign = "-" if v < 0 and round(a, 2) > 0 else ""  # never "-0"
    if lang == "zh":
        for base, word in ((1e8, "亿"), (1e4, "万")):
            if a >= base:
                q = a / base
                decimals = max(0, digits - len(str(int(q))))
                return f"{sign}{_trim(f'{q:.{decimals}f}')}{word}"
        return sign + _trim(f"{a:.2f}")
    if a >= 1e6:
        return f"{sign}{a:,.0f}"
    return sign + _trim(f"{a:,.2f}")


def fmt_money(x: Any, lang: Lang = "zh", missing: str = "—") -> str:
    """Money in yuan: ``"2.31亿元"`` / ``"231,000,000 yuan"``."""
    s = fmt_number(x, lang, missing=missing)
    if s == missing:
        return s
    return f"{s}元" if lang == "zh" else f"{s} yuan"


def fmt_quantity(x: Any, unit: str, lang: Lang = "zh", qualifier: str = "exact", *,
                 unit_as_written: str | None = None, value_as_written: str | None = None) -> str:
    """A number with its unit and qualifier: ``("超过", 650万, "元")`` → ``"超过650万元"``.

    With ``unit_as_written`` (a registry fact's column) the article's unit is kept:
    ``至少60岁`` / ``at least 60 years old``, ``4.78万份`` / ``47,800 items``, ``超过50次`` /
    ``more than 50 times`` (see :func:`impact.units.quantity_text`).
    """
    missing = x is None or (isinstance(x, float) and math.isnan(x))
    if unit_as_written is not None and not missing and str(unit_as_written) not in ("", "<NA>", "nan"):
        from impact.units import quantity_text

        return quantity_text(float(x), unit_as_written=str(unit_as_written), value_as_written=value_as_written,
                             qualifier=qualifier or "exact", base_unit=unit or None, lang=lang)
    num = fmt_number(x, lang)
    q = qualifier_name(qualifier or "exact", lang)
    u = unit_name(unit, lang) if unit else ""
    if lang == "zh":
        return f"{q}{num}{u}"
    parts = [p for p in (q, num, u) if p]
    if u == "%":
        parts = [p for p in (q, num + u) if p]
    return " ".join(parts)


def fmt_percent(x: Any, lang: Lang = "zh", digits: int = 1, scale: float = 1.0) -> str:
    """Percent with ``digits`` decimals; ``scale=100`` when ``x`` is a share in 0–1."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{float(x) * scale:.{digits}f}%"


def fmt_pvalue(p: Any) -> str:
    """p-values: three decimals, ``< 0.001`` below that, ``—`` when missing."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "—"
    p = float(p)
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def fmt_ci(low: Any, high: Any, lang: Lang = "zh") -> str:
    """A confidence interval as ``"[low, high]"``, both ends readable and never ``-0``.

    Ends of at least 1万 keep the report number format (``[1.2万, 3.4万]``); smaller
    intervals use :func:`impact.fmt.interval` (decimals chosen so both ends show
    significant digits: ``[-0.050, -0.001]``, not ``[-0.05, -0]``).
    """
    from impact import fmt

    vals = [v for v in (low, high) if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if len(vals) == 2 and max(abs(float(v)) for v in vals) >= 1e4:
        return f"[{fmt_number(low, lang)}, {fmt_number(high, lang)}]"
    return fmt.interval(low, high, lang=lang)


def join_list(items: list[str], lang: Lang = "zh") -> str:
    """Join names: ``"甲、乙和丙"`` / ``"A, B and C"``."""
    _check_lang(lang)
    items = [str(i) for i in items if str(i)]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    if lang == "zh":
        return "、".join(items[:-1]) + "和" + items[-1]
    return ", ".join(items[:-1]) + " and " + items[-1]
