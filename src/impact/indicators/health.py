"""Cost savings per patient treated locally instead of at a provincial hospital."""

from __future__ import annotations

from typing import Literal, Sequence

import numpy as np
import pandas as pd

from impact.results import Result, check_option

from ._common import (
    as_by,
    fmt_num,
    group_codes,
    group_label,
    require_categories,
    require_columns,
    require_nonempty,
    require_nonnegative,
    require_numeric,
    t_interval,
)

TABLE = "patients"
COMPONENTS = ("travel", "lodging", "lost_work")
Component = Literal["travel", "lodging", "lost_work"]


def patient_cost(patients: pd.DataFrame, include: Sequence[Component] = COMPONENTS) -> pd.DataFrame:
    """Total cost per patient (yuan) and which components were recorded.

    ``cost = medical_cost + travel_cost + lodging_cost + lost_work_days x daily_wage``;
    a component whose value is missing is not recorded for that patient and is left out of
    the total (the count of such patients is reported by :func:`cost_savings`).
    """
    med = pd.to_numeric(patients["medical_cost"]).to_numpy(float)
    total = med.copy()
    recorded = {}
    if "travel" in include:
        v = pd.to_numeric(patients["travel_cost"]).to_numpy(float)
        recorded["travel"] = np.isfinite(v)
        total += np.nan_to_num(v)
    if "lodging" in include:
        v = pd.to_numeric(patients["lodging_cost"]).to_numpy(float)
        recorded["lodging"] = np.isfinite(v)
        total += np.nan_to_num(v)
    if "lost_work" in include:
        v = pd.to_numeric(patients["lost_work_days"]).to_numpy(float) * pd.to_numeric(patients["daily_wage"]).to_numpy(float)
        recorded["lost_work"] = np.isfinite(v)
        total += np.nan_to_num(v)
    out = pd.DataFrame({"cost": total}, index=patients.index)
    for k, v in recorded.items():
        out[f"recorded_{k}"] = v
    return out


def cost_savings(
    patients: pd.DataFrame,
    by: str | Sequence[str] | None = ("county_code", "year"),
    include: Sequence[Component] = COMPONENTS,
    period: Literal["all", "before", "after"] = "all",
    level: float = 0.95,
) -> Result:
    r"""Cost saved per patient treated locally instead of at a provincial hospital, per group.

    Formula
        Patient cost ``c_i = medical + travel + lodging + lost_work_days x daily_wage`` (the
        components in ``include``, where recorded). Per group (default county-year)::

            saving = mean(c | setting = provincial) - mean(c | setting = local)
            total_saving = saving x (number of local patients)

        The article's case: local surgery about 40,000 yuan, saving about 60,000 yuan per
        patient, i.e. a provincial alternative of about 100,000 yuan.
    Units
        yuan per patient (``local_cost``, ``provincial_cost``, ``saving_per_patient``); yuan
        per group (``total_saving``).
    Uncertainty
        Welch standard error ``sqrt(s_P^2/n_P + s_L^2/n_L)`` with Welch-Satterthwaite degrees of
        freedom and a t interval; each arm's mean has a one-sample t interval. ``total_saving``
        scales the saving's SE by the (known) count of local patients.
    Assumptions
        Provincial patients of the group are a fair picture of what local patients would have
        paid had they gone to the provincial hospital (same procedure mix and severity; put
        ``procedure`` in ``by`` to compare like with like). Missing components are not
        recorded and left out (counts in ``unrecorded_components``).
    Empty groups
        A group with no local or no provincial patients, or fewer than 2 in an arm, is NA
        with the reason in ``note``.
    """
    check_option("period", period, ("all", "before", "after"))
    for c in include:
        check_option("include", c, COMPONENTS)
    by_ = as_by(by)
    cols = {"travel": ["travel_cost"], "lodging": ["lodging_cost"], "lost_work": ["lost_work_days", "daily_wage"]}
    money = ["medical_cost"] + [c for k in include for c in cols[k]]
    require_columns(patients, dict.fromkeys(["setting", *by_, *money] + (["period"] if period != "all" else [])), TABLE)
    require_nonempty(patients, TABLE, "patients")
    require_categories(patients, "setting", ("local", "provincial"), TABLE)
    require_numeric(patients, ["medical_cost"], TABLE)
    require_numeric(patients, money[1:], TABLE, allow_na=True)
    require_nonnegative(patients, money, TABLE)
    df = patients
    if period != "all":
        require_categories(patients, "period", ("before", "after"), TABLE)
        df = patients[patients["period"] == period]
        require_nonempty(df, TABLE, f"patients in period '{period}'")
    pc = patient_cost(df, include)
    codes, keys = group_codes(df, by_)
    G = len(keys)
    c = pc["cost"].to_numpy(float)
    prov = (df["setting"] == "provincial").to_numpy()
    unrec = np.zeros(G)
    for k in include:
        unrec += np.bincount(codes, ~pc[f"recorded_{k}"].to_numpy(), G)

    def arm(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = np.bincount(codes, mask.astype(float), G)
        s = np.bincount(codes, np.where(mask, c, 0.0), G)
        with np.errstate(divide="ignore", invalid="ignore"):
            m = s / n
            # two-pass variance: sum of squared deviations from the group mean
            # (the one-pass E[x^2] - E[x]^2 loses precision for large, close values)
            dev = np.where(mask, c - m[codes], 0.0)
            v = np.bincount(codes, dev * dev, G) / (n - 1)
        return n, m, v

    nP, mP, vP = arm(prov)
    nL, mL, vL = arm(~prov)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = mP - mL
        var = vP / nP + vL / nL
        se = np.sqrt(var)
        dof = var**2 / ((vP / nP) ** 2 / (nP - 1) + (vL / nL) ** 2 / (nL - 1))
        dof = np.where((vP == 0) & (vL == 0), nP + nL - 2, dof)
    note_d = np.select(
        [nL == 0, nP == 0, (nL < 2) | (nP < 2)],
        ["no local patients", "no provincial patients", "fewer than 2 patients in an arm"],
        default="",
    )

    def one(n: np.ndarray, m: np.ndarray, v: np.ndarray, who: str) -> tuple:
        note = np.select([n == 0, n < 2], [f"no {who} patients", f"fewer than 2 {who} patients"], default="")
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.sqrt(v / n)
        return m, s, n - 1, note

    rows = []
    base = dict(unrecorded_components=unrec.astype(int), n_local=nL.astype(int), n_provincial=nP.astype(int))
    for term, (est, se_, df_, note), n in (
        ("local_cost", one(nL, mL, vL, "local"), nL),
        ("provincial_cost", one(nP, mP, vP, "provincial"), nP),
        ("saving_per_patient", (d, se, dof, note_d), nL + nP),
        ("total_saving", (d * nL, se * nL, dof, note_d), nL + nP),
    ):
        bad = note != ""
        e, s = np.where(bad, np.nan, est), np.where(bad, np.nan, se_)
        stat, p, lo, hi = t_interval(e, s, df_, level)
        if term in ("local_cost", "provincial_cost"):
            stat, p = np.full(G, np.nan), np.full(G, np.nan)  # a test of cost = 0 means nothing
        rows.append(keys.assign(
            term=term, estimate=e, std_error=s, statistic=stat, p_value=p, conf_low=lo, conf_high=hi,
            n=n.astype(int), unit="yuan" if term == "total_saving" else "yuan/patient",
            method="Welch difference of mean patient costs (provincial - local), t interval" if term in ("saving_per_patient", "total_saving") else "mean patient cost, t interval",
            note=note, **base,
        ))
    table = pd.concat(rows, ignore_index=True).sort_values(by_, kind="stable").reset_index(drop=True)
    res = Result(
        table=table,
        method="Cost savings per patient: provincial alternative minus local cost (Welch t interval)",
        assumptions=(
            "provincial patients show what local patients would have paid at the provincial hospital",
            "cost components: medical + " + ", ".join(include) + " (where recorded)",
        ),
        info={"components": "medical, " + ", ".join(include), "period": period, "patients": int(len(df))},
        level=level,
    )
    res.text = _make_text(res.table, by_, level)
    return res


def _make_text(table: pd.DataFrame, by: list[str], level: float):
    lvl = f"{level:.0%}"

    def text(lang: str = "zh") -> str:
        out = []
        sv = table[table["term"] == "saving_per_patient"].reset_index(drop=True)
        loc = table[table["term"] == "local_cost"].reset_index(drop=True)
        for i, row in sv.iterrows():
            label = group_label(row, by, lang)
            if row["note"]:
                out.append(f"{label}：无法计算每例节省费用（{row['note']}）。" if lang == "zh" else f"{label}: savings per patient not computable ({row['note']}).")
                continue
            lc = loc.iloc[i]["estimate"]
            if lang == "zh":
                out.append(f"{label}：本地治疗每例费用约 {fmt_num(lc)} 元，相比前往省级医院每例平均节省 {fmt_num(row['estimate'])} 元"
                           f"（{lvl} 置信区间 {fmt_num(row['conf_low'])}–{fmt_num(row['conf_high'])} 元）。")
            else:
                out.append(f"{label}: local treatment costs about {fmt_num(lc)} yuan per patient, saving {fmt_num(row['estimate'])} yuan "
                           f"per patient versus the provincial hospital ({lvl} CI {fmt_num(row['conf_low'])} to {fmt_num(row['conf_high'])}).")
        return "\n".join(out)

    return text
