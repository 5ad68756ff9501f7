"""User-facing messages of the reports in Chinese and English, by key (read through
:func:`impact.i18n.t`)."""

from __future__ import annotations

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
    "section.domain_title": {"zh": "{sector}：{what}", "en": "{sector}: {what}"},
    "section.head.agriculture": {"zh": "农业", "en": "Agriculture"},
    "section.head.health": {"zh": "医疗", "en": "Health"},
    "section.head.child_protection": {"zh": "儿童保护", "en": "Child protection"},
    "section.head.elderly_care": {"zh": "养老服务", "en": "Elderly care"},
    "section.domain.vegetables": {"zh": "蔬菜产业", "en": "vegetable industry"},
    "section.domain.seeds": {"zh": "良种推广", "en": "improved seeds"},
    "section.domain.tea": {"zh": "茶产业", "en": "tea industry"},
    "section.domain.hospital": {"zh": "医院结对帮扶", "en": "hospital pairing"},
    "section.domain.birth_defects": {"zh": "出生缺陷儿童救助", "en": "help for children with birth defects"},
    "section.measure.income_increase": {"zh": "农户增收", "en": "household income"},
    "section.measure.yield_gain": {"zh": "亩产增幅", "en": "yield gain per mu"},
    "section.measure.cost_savings": {"zh": "患者就医费用节省", "en": "cost savings per patient"},
    "section.measure.reach": {"zh": "覆盖与人均成本", "en": "reach and cost"},
    "section.measure.cost_effectiveness": {"zh": "覆盖与人均成本", "en": "reach and cost"},
    "section.bcr": {"zh": "效益成本比及敏感性", "en": "Benefit–cost ratio and sensitivity"},
    # banners and notes
    "banner.simulated": {
        "zh": "⚠ 模拟数据：本部分使用模拟生成的数据（种子 {seed}），用于演示与方法检验，不代表真实情况。",
        "en": "⚠ Simulated data: this part uses simulated data (seed {seed}) for demonstration "
        "and method checks; it does not describe real outcomes.",
    },
    "banner.simulated.partly": {
        "zh": "⚠ 模拟数据：本部分标【模拟】的内容使用模拟生成的数据（种子 {seed}），不代表真实情况；"
        "其余内容来自原文或用户提供的数据。",
        "en": "⚠ Simulated data: the items of this part marked [simulated] use simulated data (seed {seed}) and do "
        "not describe real outcomes; the rest comes from the article or the user's data.",
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
    "counterpart.sentence": {
        "zh": "原文数字：{value}，原文：“{quote}”。",
        "en": " The article's figure: {value}; the article says: “{quote}”.",
    },
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
    "causal.outcome_mismatch": {
        "zh": "注意：本县{sector}项目为{domains}，而本节的结果变量是{outcome}（县级面板中该领域的结果变量），"
        "它并不直接衡量这些项目的目标；本县项目的成效请以上文分领域成效指标为准。",
        "en": "Note: this county's {sector} programs ({domains}) do not aim directly at this section's outcome, "
        "{outcome} (the county panel's outcome for the sector); read the county's own indicators above for "
        "their results.",
    },
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
    "notepart.evaluation": {"zh": "绩效评价指标打分", "en": "scoring of the indicator system"},
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
    "kind.not_given": {"zh": "类型未说明", "en": "kind not given"},
    "delivered.translated": {"zh": "{en}（本项目译文；原文：{zh}）", "en": "{en} (the project's translation; the article: {zh})"},
    "delivered.untranslated": {"zh": "{zh}", "en": "Not translated (the Chinese as stated: {zh})"},
    "headline.funds_own": {"zh": "本县资金（社会组织）", "en": "County's own funds (social organisations)"},
    # figure labels
    "fig.funds": {"zh": "资金（元）", "en": "Funds (yuan)"},
    "fig.funds_wan": {"zh": "资金（万元）", "en": "Funds (CNY 10,000)"},
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
    "fig.locator": {"zh": "{name}在{prefecture}中的位置（小图：在云南省中的位置）",
                    "en": "{name} within {prefecture} (inset: within Yunnan)"},
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
