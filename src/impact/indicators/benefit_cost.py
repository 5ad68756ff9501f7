"""Benefit-cost analysis: NPV, BCR, IRR, a sensitivity table and Monte Carlo propagation.

Default discount rate: 8%, the social discount rate (社会折现率) of 《建设项目经济评价方法与参数》
(第三版), National Development and Reform Commission and Ministry of Construction, 2006
(发改投资〔2006〕1325号), the rate commonly used to appraise Chinese public projects.
"""

from __future__ import annotations

from typing import Literal, Sequence

import numpy as np
import pandas as pd

from impact.errors import InputError, Problem
from impact.results import Result, check_option

from ._common import (
    as_by,
    fmt_num,
    fmt_pct,
    group_label,
    percentile_interval,
    require_columns,
    require_nonempty,
    require_nonnegative,
    require_numeric,
)

#: Social discount rate of 《建设项目经济评价方法与参数》(第三版), 2006.
DEFAULT_RATE = 0.08
DEFAULT_RATE_SOURCE = "《建设项目经济评价方法与参数》(第三版), NDRC and MOC 2006: social discount rate 8%"
TABLE = "flows"
#: IRR search bracket (rates): -99% to 1000%.
IRR_BRACKET = (-0.99, 10.0)


def _matrix(flows: pd.DataFrame, by: list[str], extra: Sequence[str] = ()) -> tuple[pd.DataFrame, dict[str, np.ndarray], np.ndarray]:
    """Validate flows and pivot to (groups x periods) matrices; returns keys, matrices, periods per group.

    Periods come from ``t`` (0 = first year) or, failing that, ``year`` minus the group's first
    year. Each group's periods must run 0, 1, ..., T-1 without gaps or repeats.
    """
    require_columns(flows, ["benefit", "cost", *by], TABLE)
    if "t" not in flows.columns and "year" not in flows.columns:
        raise InputError(Problem(TABLE, None, "t", None, "a period column 't' (0 = first year) or 'year'"), title=f"{TABLE}: no period column")
    require_nonempty(flows, TABLE, "periods")
    cols = ["benefit", "cost", *extra]
    require_numeric(flows, cols + (["t"] if "t" in flows.columns else ["year"]), TABLE)
    require_nonnegative(flows, cols, TABLE)
    df = flows.copy()
    if by:
        gid = df.groupby(by, sort=True, dropna=False).ngroup().to_numpy()
        keys = df.groupby(by, sort=True, dropna=False).size().reset_index()[by]
    else:
        gid = np.zeros(len(df), dtype=np.int64)
        keys = pd.DataFrame(index=[0])
    if "t" in df.columns:
        t = pd.to_numeric(df["t"]).to_numpy()
    else:
        y = pd.to_numeric(df["year"]).to_numpy()
        first = pd.Series(y).groupby(gid).transform("min").to_numpy()
        t = y - first
    if np.any(t != np.round(t)) or np.any(t < 0):
        row = int(np.flatnonzero((t != np.round(t)) | (t < 0))[0]) + 2
        raise InputError(Problem(TABLE, row, "t", float(t[row - 2]), "a whole period number >= 0"), title=f"{TABLE}: invalid period")
    t = t.astype(np.int64)
    G = len(keys)
    T = int(t.max()) + 1
    counts = np.zeros((G, T), dtype=np.int64)
    np.add.at(counts, (gid, t), 1)
    n_per = np.bincount(gid, minlength=G)
    span = np.zeros(G, dtype=np.int64)
    np.maximum.at(span, gid, t + 1)
    bad = (counts.max(axis=1) > 1) | (span != n_per)
    if bad.any():
        g = int(np.flatnonzero(bad)[0])
        where = ", ".join(f"{b}={keys.iloc[g][b]!r}" for b in by) or "all flows"
        raise InputError(Problem(TABLE, None, "t" if "t" in df.columns else "year", where,
                                 "each period 0..T-1 exactly once per group (no gaps, no repeats)"), title=f"{TABLE}: incomplete periods")
    mats = {}
    for c in cols:
        m = np.full((G, T), np.nan)
        m[gid, t] = pd.to_numeric(df[c]).to_numpy(float)
        mats[c] = m
    return keys, mats, n_per


def _disc(rate: float | np.ndarray, T: int) -> np.ndarray:
    return (1.0 + np.asarray(rate, float))[..., None] ** -np.arange(T)


def npv(benefit: np.ndarray, cost: np.ndarray, rate: float) -> np.ndarray:
    """``sum_t (B_t - C_t) / (1 + rate)^t`` along the last axis (NaN periods count as absent)."""
    d = _disc(rate, benefit.shape[-1])
    return np.nansum((benefit - cost) * d, axis=-1)


def _irr(net: np.ndarray) -> tuple[float, str]:
    net = net[np.isfinite(net)]
    if not (np.any(net > 0) and np.any(net < 0)):
        return np.nan, "net flows never change sign: IRR undefined"
    f = lambda r: float(np.sum(net * (1.0 + r) ** -np.arange(net.size)))  # noqa: E731
    lo, hi = IRR_BRACKET
    flo, fhi = f(lo), f(hi)
    if not np.isfinite(flo) or not np.isfinite(fhi) or flo * fhi > 0:
        return np.nan, f"NPV does not change sign between {lo:.0%} and {hi:.0%}: IRR undefined"
    from scipy.optimize import brentq  # here, not at import (scipy.optimize costs ~0.4 s)

    return float(brentq(f, lo, hi, xtol=1e-12, maxiter=500)), ""


def _core(keys: pd.DataFrame, B: np.ndarray, C: np.ndarray, rate: float, by: list[str], with_irr: bool = True) -> pd.DataFrame:
    d = _disc(rate, B.shape[1])
    pvb = np.nansum(B * d, axis=1)
    pvc = np.nansum(C * d, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        bcr = np.where(pvc > 0, pvb / pvc, np.nan)
    rows = [
        keys.assign(term="pv_benefits", estimate=pvb, unit="yuan", note=""),
        keys.assign(term="pv_costs", estimate=pvc, unit="yuan", note=""),
        keys.assign(term="npv", estimate=pvb - pvc, unit="yuan", note=""),
        keys.assign(term="bcr", estimate=bcr, unit="ratio", note=np.where(pvc > 0, "", "no costs: BCR undefined")),
    ]
    if with_irr:
        # root finding is per group (brentq is scalar); the loop is over groups, not rows
        irr = [_irr(B[g] - C[g]) for g in range(B.shape[0])]
        rows.append(keys.assign(term="irr", estimate=[v for v, _ in irr], unit="rate", note=[n for _, n in irr]))
    return pd.concat(rows, ignore_index=True)


def benefit_cost(
    flows: pd.DataFrame, rate: float = DEFAULT_RATE, horizon: int | None = None, by: str | Sequence[str] | None = None
) -> Result:
    r"""Net present value, benefit-cost ratio and internal rate of return of yearly flows.

    Formula
        With benefits ``B_t`` and costs ``C_t`` (yuan) in periods ``t = 0..T-1`` (``t`` column, or
        ``year`` minus the first year) and discount rate ``r``:
        ``PV_B = sum_t B_t/(1+r)^t``, ``PV_C = sum_t C_t/(1+r)^t``, ``NPV = PV_B - PV_C``,
        ``BCR = PV_B / PV_C``; ``IRR`` solves ``sum_t (B_t - C_t)/(1+IRR)^t = 0`` (scipy brentq on
        -99%..1000%; NA with a reason when the net flows never change sign or no root is
        bracketed). ``horizon`` keeps the first ``horizon`` periods.
    Units
        yuan (present values at t = 0), ratio, rate per period.
    Defaults
        ``rate = 0.08``: the social discount rate of 《建设项目经济评价方法与参数》(第三版) (NDRC and
        Ministry of Construction, 2006).
    Uncertainty
        None here (flows taken as known); see :func:`monte_carlo_bcr`.
    """
    by_ = as_by(by)
    if not (rate > -1):
        raise InputError(Problem("rate", None, None, rate, "a discount rate > -1 (e.g. 0.08)"), title="invalid discount rate")
    keys, m, n_per = _matrix(flows, by_)
    B, C = m["benefit"], m["cost"]
    if horizon is not None:
        if horizon < 1:
            raise InputError(Problem("horizon", None, None, horizon, "a horizon of at least 1 period"), title="invalid horizon")
        B, C = B[:, :horizon], C[:, :horizon]
    table = _core(keys, B, C, rate, by_)
    table["n"] = np.tile(np.minimum(n_per, horizon or n_per.max()), 5)
    table["method"] = f"discounted cash flow at {rate:.1%}"
    table["rate"] = rate
    if horizon is not None:
        short = np.tile(n_per < horizon, 5)
        table.loc[short, "note"] = table.loc[short, "note"].where(table.loc[short, "note"] != "", f"flows cover fewer than {horizon} periods")
    table = table.sort_values(by_, kind="stable").reset_index(drop=True) if by_ else table
    res = Result(table=table, method=f"Benefit-cost analysis (discount rate {rate:.1%})",
                 assumptions=("flows are in constant yuan and occur at the end of each period t (t = 0 undiscounted)",
                              f"discount rate {rate:.1%}" + (f" ({DEFAULT_RATE_SOURCE})" if rate == DEFAULT_RATE else "")),
                 info={"discount rate": rate, "periods": int(B.shape[1])})
    res.text = _bc_text(res.table, by_, rate)
    return res


def _bc_text(table: pd.DataFrame, by: list[str], rate: float, interval: pd.DataFrame | None = None, level: float = 0.95):
    def text(lang: str = "zh") -> str:
        keys = table[by].drop_duplicates() if by else pd.DataFrame(index=[0])
        out = []
        for i, (_, k) in enumerate(keys.iterrows()):
            sub = table
            for b in by:
                sub = sub[sub[b] == k[b]]
            e = dict(zip(sub["term"], sub["estimate"]))
            lo = dict(zip(sub["term"], sub["conf_low"]))
            hi = dict(zip(sub["term"], sub["conf_high"]))
            label = group_label(k, by, lang)
            ci = np.isfinite(lo.get("bcr", np.nan))
            if lang == "zh":
                s = f"{label}：按 {rate:.0%} 折现率计算，效益成本比为 {fmt_num(e.get('bcr'), 2)}"
                s += f"（{level:.0%} 区间 {fmt_num(lo['bcr'], 2)}–{fmt_num(hi['bcr'], 2)}）" if ci else ""
                s += f"，净现值 {fmt_num(e.get('npv'))} 元"
                s += f"，内部收益率 {fmt_pct(100 * e['irr'])}" if np.isfinite(e.get("irr", np.nan)) else ""
            else:
                s = f"{label}: at a discount rate of {rate:.0%} the benefit-cost ratio is {fmt_num(e.get('bcr'), 2)}"
                s += f" ({level:.0%} interval {fmt_num(lo['bcr'], 2)} to {fmt_num(hi['bcr'], 2)})" if ci else ""
                s += f", net present value {fmt_num(e.get('npv'))} yuan"
                s += f", internal rate of return {fmt_pct(100 * e['irr'])}" if np.isfinite(e.get("irr", np.nan)) else ""
            out.append(s + ("。" if lang == "zh" else "."))
        return "\n".join(out)

    return text


def sensitivity_table(
    flows: pd.DataFrame,
    rates: Sequence[float] = (0.04, 0.06, 0.08, 0.10, 0.12),
    horizons: Sequence[int] | None = None,
    by: str | Sequence[str] | None = None,
) -> Result:
    """NPV and BCR over a grid of discount rates x horizons (one row per rate, horizon, term).

    Formula as :func:`benefit_cost` with the first ``horizon`` periods kept (default horizons:
    5, 10, 15, 20 capped at the data's length, plus the full length). A horizon longer than a
    group's flows is NA with the reason in ``note``. Vectorized over the whole grid.
    """
    by_ = as_by(by)
    keys, m, n_per = _matrix(flows, by_)
    B, C = m["benefit"], m["cost"]
    T = B.shape[1]
    if horizons is None:
        horizons = sorted({h for h in (5, 10, 15, 20) if h < T} | {T})
    r = np.asarray(rates, float)
    if np.any(r <= -1):
        raise InputError(Problem("rates", None, None, list(rates), "discount rates > -1"), title="invalid discount rates")
    parts = []
    D = _disc(r, T)  # (R, T)
    for h in horizons:
        if h < 1:
            raise InputError(Problem("horizons", None, None, h, "horizons of at least 1 period"), title="invalid horizon")
        hh = min(h, T)
        pvb = np.nansum(B[None, :, :hh] * D[:, None, :hh], axis=2)  # (R, G)
        pvc = np.nansum(C[None, :, :hh] * D[:, None, :hh], axis=2)
        with np.errstate(divide="ignore", invalid="ignore"):
            bcr = np.where(pvc > 0, pvb / pvc, np.nan)
        short = n_per < h
        for term, val, unit in (("npv", pvb - pvc, "yuan"), ("bcr", bcr, "ratio")):
            for i, rate in enumerate(r):
                note = np.where(short, f"flows cover fewer than {h} periods", np.where((term == "bcr") & ~(pvc[i] > 0), "no costs: BCR undefined", ""))
                parts.append(keys.assign(term=term, rate=rate, horizon=h, estimate=np.where(short, np.nan, val[i]),
                                         unit=unit, n=np.minimum(n_per, h), note=note))
    table = pd.concat(parts, ignore_index=True)
    table["method"] = "discounted cash flow"
    table = table.sort_values([*by_, "term", "horizon", "rate"], kind="stable").reset_index(drop=True)
    res = Result(table=table, method="Benefit-cost sensitivity: NPV and BCR over discount rates x horizons",
                 assumptions=("flows in constant yuan, end of period",), info={"rates": ", ".join(f"{x:.0%}" for x in r),
                                                                                 "horizons": ", ".join(map(str, horizons))})

    def text(lang: str = "zh") -> str:
        b = res.table[(res.table["term"] == "bcr")]
        lo, hi = b["estimate"].min(), b["estimate"].max()
        if lang == "zh":
            return f"在折现率 {r.min():.0%}–{r.max():.0%}、期限 {min(horizons)}–{max(horizons)} 年的组合下，效益成本比介于 {fmt_num(lo, 2)} 与 {fmt_num(hi, 2)} 之间。"
        return f"Across discount rates {r.min():.0%}-{r.max():.0%} and horizons of {min(horizons)}-{max(horizons)} years the benefit-cost ratio ranges from {fmt_num(lo, 2)} to {fmt_num(hi, 2)}."

    res.text = text
    return res


def monte_carlo_bcr(
    flows: pd.DataFrame,
    rate: float = DEFAULT_RATE,
    rate_sd: float = 0.0,
    n_draws: int = 10_000,
    seed: int | None = 0,
    correlation: Literal["common", "independent"] = "common",
    level: float = 0.95,
    by: str | Sequence[str] | None = None,
) -> Result:
    """Monte Carlo distribution of the BCR (and NPV) from uncertain benefits, costs and rate.

    Inputs
        ``flows`` as in :func:`benefit_cost`, with optional ``benefit_se`` and ``cost_se``
        columns (yuan; standard errors of each period's benefit and cost, e.g. from an
        indicator's ``std_error``). Missing columns mean the quantity is known.
    Draws
        ``B*_t = B_t + benefit_se_t Z_B``, ``C*_t = C_t + cost_se_t Z_C`` with standard normal
        ``Z``: one draw per replicate shared by all periods (``correlation="common"``, the usual
        case where one estimated effect drives every year) or one per period
        (``"independent"``); costs drawn below 0 are truncated at 0; the rate is
        ``r + rate_sd Z_r``. Seeded (``seed``), vectorized over draws x groups x periods.
    Output
        ``bcr`` and ``npv`` at the inputs' central values as ``estimate``, the standard
        deviation of the draws as ``std_error``, the percentile interval of the draws as
        ``conf_low, conf_high``, and ``prob_bcr_above_1`` (share of draws with BCR > 1).
        The draws are in ``diagnostics["draws"]``.
    """
    check_option("correlation", correlation, ("common", "independent"))
    by_ = as_by(by)
    if n_draws < 100:
        raise InputError(Problem("n_draws", None, None, n_draws, "at least 100 draws"), title="too few Monte Carlo draws")
    if rate_sd < 0:
        raise InputError(Problem("rate_sd", None, None, rate_sd, "a standard deviation >= 0"), title="invalid rate_sd")
    extra = [c for c in ("benefit_se", "cost_se") if c in flows.columns]
    keys, m, n_per = _matrix(flows, by_, extra)
    B, C = m["benefit"], m["cost"]
    G, T = B.shape
    sb = np.nan_to_num(m.get("benefit_se", np.zeros_like(B)))
    sc = np.nan_to_num(m.get("cost_se", np.zeros_like(C)))
    rng = np.random.default_rng(seed)
    shape = (n_draws, G, 1) if correlation == "common" else (n_draws, G, T)
    zb, zc = rng.standard_normal(shape), rng.standard_normal(shape)
    rates = rate + rate_sd * rng.standard_normal((n_draws, 1, 1))
    rates = np.maximum(rates, -0.99)
    d = (1.0 + rates) ** -np.arange(T)  # (D, 1, T)
    Bd = B[None] + sb[None] * zb
    Cd = np.maximum(C[None] + sc[None] * zc, 0.0)
    pvb = np.nansum(Bd * d, axis=2)
    pvc = np.nansum(Cd * d, axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        bcr_d = np.where(pvc > 0, pvb / pvc, np.nan)
    npv_d = pvb - pvc
    point = _core(keys, B, C, rate, by_, with_irr=False).set_index("term")
    rows = []
    for term, draws, unit in (("bcr", bcr_d, "ratio"), ("npv", npv_d, "yuan")):
        lo, hi = percentile_interval(draws, level, axis=0)
        with np.errstate(invalid="ignore"):
            sd = np.nanstd(draws, axis=0, ddof=1)
        est = point.loc[term, "estimate"]
        rows.append(keys.assign(term=term, estimate=np.asarray(est, float).reshape(-1), std_error=sd, conf_low=lo, conf_high=hi,
                                n=n_draws, unit=unit, note=np.asarray(point.loc[term, "note"]).reshape(-1)))
    with np.errstate(invalid="ignore"):
        prob = np.nanmean(bcr_d > 1, axis=0)
    rows.append(keys.assign(term="prob_bcr_above_1", estimate=prob, n=n_draws, unit="probability", note=""))
    table = pd.concat(rows, ignore_index=True)
    table["method"] = f"Monte Carlo ({n_draws} draws, seed {seed}, {correlation} shocks), percentile interval"
    table["rate"] = rate
    table = table.sort_values(by_, kind="stable").reset_index(drop=True) if by_ else table
    draws_df = pd.DataFrame({"draw": np.repeat(np.arange(n_draws), G), "group": np.tile(np.arange(G), n_draws),
                             "bcr": bcr_d.ravel(), "npv": npv_d.ravel()})
    res = Result(table=table, method=f"Benefit-cost Monte Carlo (discount rate {rate:.1%} ± {rate_sd:.1%})",
                 assumptions=("benefit and cost errors are normal with the given standard errors",
                              f"{correlation} shocks across periods", "costs truncated at 0"),
                 info={"draws": n_draws, "seed": seed if seed is not None else "none"},
                 diagnostics={"draws": draws_df}, level=level)
    res.text = _bc_text(res.table, by_, rate, level=level)
    return res
