"""Header names as users write them: the aliases of every column (``HEADER_ALIASES``), a unit in
brackets (``header_unit``), and the match of a written header to a column (``match_header``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from impact.schemas.specs import spec

#: Further header names county offices use, by column name (besides the column's own name and 字段 name).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "county_code": ("县", "县名", "县区", "区县", "县市区", "县(市、区)", "县(市,区)", "所在县", "县级行政区",
                    "行政区划代码", "县代码", "区划代码", "county"),
    "year": ("年度", "年", "调查年份", "收获年份"),
    "household_id": ("户编号", "户号", "农户代码", "家庭编号"),
    "village_id": ("村", "行政村", "村名"),
    "wave": ("轮次", "调查轮", "期次"),
    "hh_size": ("家庭人口数", "家庭人数", "人口数", "户人口"),
    "participant": ("是否参与", "是否参加项目", "参与项目", "是否项目户", "项目户"),
    "head_age": ("户主年龄(岁)",),
    "land_mu": ("耕地", "承包地面积"),
    "income_total": ("家庭总收入", "年收入", "家庭年收入", "总收入"),
    "income_farming": ("种植养殖收入", "农业收入"),
    "income_wages": ("工资收入", "务工收入"),
    "income_ecommerce": ("网络销售收入", "网销收入"),
    "income_transfers": ("转移收入",),
    "patient_id": ("病人编号", "病案号", "住院号", "患者id"),
    "procedure": ("手术名称", "病种", "疾病", "诊断", "手术"),
    "setting": ("就医地", "治疗地点", "就诊地点", "就医机构"),
    "period": ("阶段", "项目前后期"),
    "medical_cost": ("医疗费", "住院费用", "医疗总费用"),
    "travel_cost": ("交通费",),
    "lodging_cost": ("住宿费",),
    "daily_wage": ("日均工资", "日工资标准"),
    "plot_id": ("田块编号", "地块"),
    "pair_id": ("对比组", "配对组", "组号"),
    "arm": ("处理", "组别", "处理组/对照组"),
    "area_mu": ("地块面积", "试验面积"),
    "yield_kg_per_mu": ("亩产量", "单产"),
    "person_id": ("受益人", "人员编号"),
    "month": ("服务月份", "月"),
    "service": ("服务项目",),
    "group": ("类别", "人群类别"),
    "entry_id": ("凭证号", "序号"),
    "item": ("科目",),
    "amount_yuan": ("支出金额",),
    "program": ("项目",),
    "organization": ("实施组织", "社会组织", "组织", "帮扶组织"),
    "organization_kind": ("组织性质",),
    "sector": ("行业", "项目领域"),
    "start_date": ("开始日期", "启动时间", "实施时间", "开始年份"),
    "funds_yuan": ("资金", "金额", "投入金额", "项目资金"),
    "beneficiaries": ("受益人口", "覆盖人数", "受益群众"),
    "source_note": ("来源", "备注", "数据来源"),
}


#: Patterns of header names (on :func:`header_key` without a unit in brackets) tried when no
#: name or alias matches: the forms offices vary most (``户编码``, ``是否参与帮扶项目``, ``所属县``,
#: ``住院总费用``). A header is taken only when exactly one column of the kind matches it.
HEADER_PATTERNS: dict[str, tuple[str, ...]] = {
    "county_code": (r"(所在|所属)(县|县区|区县|县市区|县\(市、?区\))(名称|名)?",),
    "household_id": (r"(农户|家庭|住户|户)(编码|编号|代码|号码|id)",),
    "village_id": (r"(所在|所属)?(行政)?村(名称|名|编码|编号|代码)?",),
    "hh_size": (r"(家庭|户|全户)(总)?(人口|人数|常住人口)(数)?",),
    "participant": (r"是否(参与|参加)\S*(项目|帮扶)\S*", r"(项目|帮扶)(户|对象)(标记|标识)?"),
    "year": (r"(调查|就诊|就医|手术|入院|出院|试验|种植|收获|统计|数据)(年份|年度)",),
    "income_total": (r"(家庭|全家|全户|户)(年)?(总)?(收入)(合计|总额|总计)?", r"(年)?(总收入|收入合计|收入总额)"),
    "patient_id": (r"(患者|病人|病例|住院)(编码|编号|代码|号|id)",),
    "setting": (r"(就医|就诊|治疗|手术|住院)(地点|地|机构|医院|级别)",),
    "medical_cost": (r"(医疗|住院|治疗|手术)(总)?(费用|费|花费|支出)(合计|总额|总计)?", r"总(费用|花费|医疗费)"),
    "travel_cost": (r"(交通|路)(费用|费|花费|支出)",),
    "yield_kg_per_mu": (r"(亩产|单产)(量)?",),
    "organization": (r"(实施|帮扶|承办)(组织|单位|机构)(名称)?",),
    "sector": (r"(帮扶|项目|所属)(领域|行业)",),
    "start_date": (r"(开始|启动|实施|立项)(时间|日期|年份|年度|年月)",),
    "funds_yuan": (r"(投入|项目|帮扶)?(资金|经费)(投入|金额|总额)?",),
}


_BRACKETS = re.compile(r"[(\[{<][^()\[\]{}<>]*[)\]}>]$")


def header_key(name: Any) -> str:
    """A header as compared: NFKC (full-width to half-width), lower case, BOM, spaces,
    underscores and hyphens removed (``"医疗费用（元）"`` -> ``"医疗费用(元)"``)."""
    import unicodedata  # noqa: PLC0415

    text = unicodedata.normalize("NFKC", str(name)).replace("\ufeff", "").lower()
    return re.sub(r"[\s_\-]+", "", text)


def header_unit(name: Any) -> str | None:
    """The unit in brackets at the end of a header (``"投入资金（万元）"`` -> ``"万元"``), or None."""
    m = _BRACKETS.search(header_key(name))
    return m.group(0)[1:-1] if m else None


def _strip_unit(key: str) -> str:
    return _BRACKETS.sub("", key)


@lru_cache(maxsize=None)
def header_index(kind: str) -> dict[str, str]:
    """Header key -> column name of ``kind``: each column's name, its 字段 name (with and
    without the brackets it may carry) and :data:`HEADER_ALIASES`. A key that two columns of
    the kind would claim at the same level goes to the more specific one (own name, then 字段,
    then alias) and is left out when still tied."""
    s = spec(kind)
    index: dict[str, str] = {}
    for level in range(3):
        claims: dict[str, set[str]] = {}
        for c in s.columns:
            if level == 0:
                keys = {header_key(c.name)}
            elif level == 1:
                keys = {header_key(c.zh), _strip_unit(header_key(c.zh))}
            else:
                keys = {header_key(a) for a in HEADER_ALIASES.get(c.name, ())}
                keys |= {_strip_unit(k) for k in keys}
            for k in keys:
                claims.setdefault(k, set()).add(c.name)
        for k, names in claims.items():
            if k not in index and len(names) == 1:
                index[k] = next(iter(names))
    return index


def match_header(name: Any, kind: str) -> str | None:
    """The column of ``kind`` a header names (see :func:`header_index`), or None."""
    index = header_index(kind)
    key = header_key(name)
    found = index.get(key) or index.get(_strip_unit(key))
    if found is None:
        names = set(spec(kind).names)
        base = _strip_unit(key)
        hits = {c for c, pats in HEADER_PATTERNS.items() if c in names
                and any(re.fullmatch(p, base) for p in pats)}
        found = hits.pop() if len(hits) == 1 else None
    return found
