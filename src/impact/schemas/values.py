"""Value conventions as users write them: yes/no flags and the Chinese or English spellings of the
closed value sets, mapped to the canonical values (``normalise_values``).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from impact.schemas.specs import spec

#: Values as county offices write them -> the vocabulary of the schemas (compared after NFKC, lower case,
#: spaces removed).
FLAG_VALUES: dict[str, int] = {
    "是": 1, "否": 0, "有": 1, "无": 0, "参与": 1, "未参与": 0, "参加": 1, "未参加": 0, "y": 1, "n": 0,
    "yes": 1, "no": 0, "true": 1, "false": 0, "√": 1, "×": 0, "1": 1, "0": 0,
}


VALUE_ALIASES: dict[str, dict[str, str]] = {
    "sex": {"男": "male", "女": "female", "男性": "male", "女性": "female", "m": "male", "f": "female"},
    "arm": {"处理": "treated", "试验": "treated", "示范": "treated", "处理组": "treated", "试验组": "treated",
            "对照": "check", "对照组": "check", "ck": "check"},
    "setting": {"本地": "local", "县内": "local", "县级": "local", "县医院": "local", "当地": "local",
                "本县": "local", "县级医院": "local", "县内就医": "local", "县人民医院": "local",
                "省级": "provincial", "省城": "provincial", "省级医院": "provincial", "省外": "provincial",
                "县外": "provincial", "省医院": "provincial", "省城医院": "provincial", "省内大医院": "provincial"},
    "period": {"项目前": "before", "前": "before", "实施前": "before", "项目实施前": "before", "干预前": "before",
               "帮扶前": "before", "项目后": "after", "后": "after", "实施后": "after", "项目实施后": "after",
               "干预后": "after", "帮扶后": "after"},
    "funder": {"财政": "public", "政府": "public", "公共": "public", "公共资金": "public", "社会": "external",
               "外部": "external", "社会组织": "external", "社会资金": "external"},
    "sector": {"农业": "agriculture", "产业": "agriculture", "种植": "agriculture", "医疗": "health",
               "卫生": "health", "健康": "health", "医疗卫生": "health", "教育": "education",
               "儿童": "child_protection", "儿童保护": "child_protection", "养老": "elderly_care",
               "助残": "disability", "残疾人": "disability", "文化": "culture", "旅游": "tourism",
               "电商": "ecommerce", "电子商务": "ecommerce", "就业": "employment", "培训就业": "employment",
               "治理": "governance", "乡村治理": "governance", "其他": "other", "产业帮扶": "agriculture",
               "医疗帮扶": "health", "健康帮扶": "health", "医疗救助": "health", "教育帮扶": "education",
               "助学": "education", "就业帮扶": "employment", "电商帮扶": "ecommerce", "文旅": "tourism"},
    "organization_kind": {"基金会": "foundation", "行业协会": "trade_association", "商会": "chamber_of_commerce",
                          "社工机构": "social_work_agency", "社会工作服务机构": "social_work_agency",
                          "专业协会": "professional_association", "学会": "professional_association",
                          "社会组织": "ngo", "民办非企业单位": "ngo", "民办非企业": "ngo", "社会团体": "ngo",
                          "社会服务机构": "ngo", "企业": "enterprise", "其他": "other"},
}


def _value_key(v: Any) -> str:
    import unicodedata  # noqa: PLC0415

    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(v))).lower()


def normalise_values(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Translate the value conventions of county offices into the schema's vocabulary:
    flags 是/否, 有/无, Y/N, √/× -> 1/0; 男/女 -> male/female; 处理/对照 -> treated/check;
    本地/省级 -> local/provincial; 项目前/项目后 -> before/after; 财政/社会 -> public/external;
    sector and organization kinds in Chinese. Unknown values are left for :func:`validate`
    to report. Works on the distinct values of a column (fast on large tables)."""
    s = spec(kind)
    out = df.copy()
    for c in s.columns:
        if c.name not in out.columns:
            continue
        table = FLAG_VALUES if c.type == "flag" else VALUE_ALIASES.get(c.name)
        if table is None:
            continue
        col = out[c.name]
        if col.dtype.kind in "iufb":
            continue
        uniq = pd.unique(col.dropna())
        allowed = {str(v) for v in (c.allowed_values() or ())}
        repl = {}
        for u in uniq:
            if c.type != "flag" and str(u).strip() in allowed:
                continue
            k = _value_key(u)
            if k in table:
                repl[u] = str(table[k]) if c.type == "flag" and isinstance(u, str) else table[k]
            elif c.type != "flag" and k in allowed:
                repl[u] = k
        if repl:  # translate the distinct values, then spread them with one take (no per-cell Python)
            codes, uniq = pd.factorize(col, use_na_sentinel=True)
            vals = [repl.get(u, u) for u in uniq]
            text = all(isinstance(v, str) for v in vals)
            arr = pd.array(vals, dtype="string") if text else pd.array(vals, dtype=object)
            out[c.name] = pd.Series(arr.take(codes, allow_fill=True), index=col.index)
    return out
