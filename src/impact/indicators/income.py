"""Household income increase: per household, per capita, county aggregate, by source; nominal and real."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Mapping, Sequence

import duckdb
import numpy as np
import pandas as pd

from impact.errors import InputError, Problem
from impact.results import Result, check_option

from ._common import (
    MAX_LISTED,
    as_by,
    fmt_num,
    group_label,
    require_categories,
    require_columns,
    require_nonempty,
    require_nonnegative,
    require_numeric,
    t_interval,
)

TABLE = "households"
SOURCES = ("total", "farming", "wages", "ecommerce", "transfers")
Source = Literal["total", "farming", "wages", "ecommerce", "transfers"]
Comparison = Literal["did", "difference"]


def _col(source: str) -> str:
    return f"income_{source}"


# --------------------------------------------------------------------------- validation
def _validate_frame(df: pd.DataFrame, by: list[str], sources: Sequence[str], cluster: str | None) -> None:
    need = ["household_id", "wave", "participant", "hh_size"] + [_col(s) for s in sources] + by
    if cluster:
        need.append(cluster)
    require_columns(df, dict.fromkeys(need), TABLE)
    require_nonempty(df, TABLE, "households")
    require_numeric(df, ["wave", "participant", "hh_size"] + [_col(s) for s in sources], TABLE)
    require_nonnegative(df, ["hh_size"], TABLE, strict=True)
    p = pd.to_numeric(df["participant"])
    if not p.isin([0, 1]).all():
        require_categories(df.assign(participant=p), "participant", (0, 1), TABLE)


def _validate_sql(con: duckdb.DuckDBPyConnection, by: list[str], sources: Sequence[str], cluster: str | None, name: str) -> None:
    cols = {r[0] for r in con.execute("DESCRIBE hh").fetchall()}
    need = ["household_id", "wave", "participant", "hh_size"] + [_col(s) for s in sources] + by + ([cluster] if cluster else [])
    missing = [c for c in dict.fromkeys(need) if c not in cols]
    if missing:
        raise InputError([Problem(name, None, c, None, "this column to be present") for c in missing], title=f"{name}: missing columns")
    checks = {
        "hh_size": "hh_size IS NULL OR hh_size <= 0",
        "participant": "participant IS NULL OR participant NOT IN (0, 1)",
        "wave": "wave IS NULL",
        **{_col(s): f"{_col(s)} IS NULL" for s in sources},
    }
    expected = {"hh_size": "a positive number", "participant": "0 or 1", "wave": "a number (not missing)"}
    sel = ", ".join(f"count(*) FILTER (WHERE {cond})" for cond in checks.values())
    n_rows, *counts = con.execute(f"SELECT count(*), {sel} FROM hh").fetchone()
    if n_rows == 0:
        raise InputError(Problem(name, None, None, 0, "at least one household"), title=f"{name}: no households")
    problems = []
    for (col, cond), k in zip(checks.items(), counts):
        if k:
            ids = [r[0] for r in con.execute(f"SELECT household_id FROM hh WHERE {cond} LIMIT {MAX_LISTED}").fetchall()]
            problems.append(Problem(name, None, col, f"{k} rows (household_id {', '.join(map(str, ids))})", expected.get(col, "a number (not missing)")))
    if problems:
        raise InputError(problems, title=f"{name}: invalid values")


# --------------------------------------------------------------------------- CPI
def _cpi_frame(cpi: pd.Series | pd.DataFrame | Mapping[int, float], base_year: int | None) -> tuple[pd.DataFrame, int]:
    """CPI as a frame ``year, cpi`` (any base); ``base_year`` defaults to the latest year."""
    if isinstance(cpi, Mapping):
        cpi = pd.Series(cpi)
    if isinstance(cpi, pd.Series):
        frame = pd.DataFrame({"year": cpi.index, "cpi": cpi.to_numpy()})
    else:
        require_columns(cpi, ["year", "cpi"], "cpi")
        frame = cpi[["year", "cpi"]].copy()
    require_numeric(frame, ["year", "cpi"], "cpi")
    require_nonnegative(frame, ["cpi"], "cpi", strict=True)
    frame["year"] = pd.to_numeric(frame["year"]).astype("int64")
    frame["cpi"] = pd.to_numeric(frame["cpi"]).astype(float)
    if frame["year"].duplicated().any():
        dup = frame.loc[frame["year"].duplicated(), "year"].iloc[0]
        raise InputError(Problem("cpi", None, "year", int(dup), "one CPI value per year"), title="cpi: duplicate years")
    if base_year is None:
        base_year = int(frame["year"].max())
    if base_year not in set(frame["year"]):
        raise InputError(Problem("cpi", None, "year", base_year, f"the base year among the CPI years {sorted(frame['year'])}"), title="cpi: no base year")
    base = float(frame.loc[frame["year"] == base_year, "cpi"].iloc[0])
    frame["deflator"] = base / frame["cpi"]
    return frame[["year", "deflator"]], base_year


# --------------------------------------------------------------------------- aggregation
def _village_sums(
    con: duckdb.DuckDBPyConnection, by: list[str], sources: Sequence[str], comparison: str,
    cluster: str | None, squares: bool,
) -> tuple[pd.DataFrame, int]:
    """Raw cluster-by-arm sums of follow-up (``f_``) and baseline (``b_``) incomes, one SQL pass.

    Grouped by the ``by`` keys, the follow-up and baseline years, the cluster and the arm.
    Sums are linear in the incomes, so nominal and real (deflated) changes, per household and
    per capita, are all built from them afterwards without another pass over the rows.
    Returns the sums and the number of follow-up rows without a baseline row (dropped).
    """
    q = lambda c: f'"{c}"'  # noqa: E731
    did = comparison == "did"
    clus = q(cluster) if cluster else "household_id"
    fcols = list(dict.fromkeys(["household_id", "year", "participant", "hh_size", clus.strip('"'), *by, *(_col(x) for x in sources)]))
    sel_f = ", ".join(q(c) for c in fcols)
    sel_b = ", ".join(["household_id", "year"] + [_col(x) for x in sources])
    src = f"FROM (SELECT {sel_f} FROM hh WHERE wave > 0) f "
    if did:
        src += f"LEFT JOIN (SELECT {sel_b} FROM hh WHERE wave = 0) b USING (household_id) "
    sums = []
    for x in sources:
        fx, bx = f"f.{_col(x)}", f"b.{_col(x)}"
        fp, bp = f"({fx} / f.hh_size)", f"({bx} / f.hh_size)"
        sums += [f"sum({fx}) AS f_{x}", f"sum({fp}) AS fp_{x}"]
        if squares:
            sums += [f"sum({fx} * {fx}) AS ff_{x}", f"sum({fp} * {fp}) AS ffp_{x}"]
        if did:
            sums += [f"sum({bx}) AS b_{x}", f"sum({bp}) AS bp_{x}"]
            if squares:
                sums += [f"sum({bx} * {bx}) AS bb_{x}", f"sum({fx} * {bx}) AS fb_{x}",
                         f"sum({bp} * {bp}) AS bbp_{x}", f"sum({fp} * {bp}) AS fbp_{x}"]
    keys = [f"f.{q(b)} AS {q(b)}" for b in by] + ["f.year AS _fyear"] + (["b.year AS _byear"] if did else []) + [
        f"f.{clus} AS _cluster", "f.participant AS _p"]
    gb = [f"f.{q(b)}" for b in by] + ["f.year"] + (["b.year"] if did else []) + [f"f.{clus}", "f.participant"]
    agg = con.execute(f"SELECT {', '.join(keys)}, count(*) AS n, {', '.join(sums)} {src} GROUP BY {', '.join(gb)}").df()
    n_unmatched = 0
    if did:
        miss = agg["_byear"].isna().to_numpy()
        n_unmatched = int(agg.loc[miss, "n"].sum())
        agg = agg[~miss].reset_index(drop=True)
    return agg, n_unmatched


def _outcome_sums(
    agg: pd.DataFrame, sources: Sequence[str], prices: Sequence[str], deflator: Mapping[int, float] | None,
    did: bool, squares: bool,
) -> list[tuple[str, str, str]]:
    """Add ``s_<price>_<source>_<hh|pc>`` (and ``q_`` sums of squares) to ``agg``; return the specs.

    With deflators d_f (follow-up year) and d_b (baseline year), the change of household i is
    ``d_f f_i - d_b b_i``; its sum and sum of squares follow from the raw sums.
    """
    specs = []
    new: dict[str, np.ndarray] = {}
    for price in prices:
        if price == "real":
            df_ = agg["_fyear"].astype(int).map(deflator).to_numpy(float)
            db_ = agg["_byear"].astype(int).map(deflator).to_numpy(float) if did else np.zeros(len(agg))
        else:
            df_ = np.ones(len(agg))
            db_ = np.ones(len(agg)) if did else np.zeros(len(agg))
        for x in sources:
            for per, suf in (("hh", ""), ("pc", "p")):
                f = agg[f"f{suf}_{x}"].to_numpy(float)
                b = agg[f"b{suf}_{x}"].to_numpy(float) if did else 0.0
                new[f"s_{price}_{x}_{per}"] = df_ * f - db_ * b
                if squares:
                    ff = agg[f"ff{suf}_{x}"].to_numpy(float)
                    if did:
                        bb, fb = agg[f"bb{suf}_{x}"].to_numpy(float), agg[f"fb{suf}_{x}"].to_numpy(float)
                        new[f"q_{price}_{x}_{per}"] = df_**2 * ff - 2 * df_ * db_ * fb + db_**2 * bb
                    else:
                        new[f"q_{price}_{x}_{per}"] = df_**2 * ff
                else:
                    new[f"q_{price}_{x}_{per}"] = np.full(len(agg), np.nan)
                specs.append((price, x, per))
    for k, v in new.items():
        agg[k] = v
    return specs


def _estimate(agg: pd.DataFrame, by: list[str], cols: Sequence[str], clustered: bool, level: float) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Participants minus non-participants for every outcome at once (arrays groups x outcomes).

    Cluster-robust (CR1) SE from the clusters' summed influence, or Welch SE and df.
    """
    if by:
        g = agg.groupby(by, sort=True, dropna=False)
        gid = g.ngroup().to_numpy()
        keys = g.size().reset_index()[by]
    else:
        gid = np.zeros(len(agg), dtype=np.int64)
        keys = pd.DataFrame(index=[0])
    G = len(keys)
    p = (agg["_p"].to_numpy() == 1)[:, None]
    n = agg["n"].to_numpy(float)[:, None]
    S = agg[[f"s_{c}" for c in cols]].to_numpy(float)
    Q = agg[[f"q_{c}" for c in cols]].to_numpy(float)
    K = S.shape[1]

    def gsum(x: np.ndarray, rows: np.ndarray = gid, size: int = G) -> np.ndarray:
        out = np.zeros((size, x.shape[1]))
        np.add.at(out, rows, x)
        return out

    n1 = gsum(np.where(p, n, 0.0))[:, :1]
    n0 = gsum(np.where(p, 0.0, n))[:, :1]
    s1, s0 = gsum(np.where(p, S, 0.0)), gsum(np.where(p, 0.0, S))
    with np.errstate(divide="ignore", invalid="ignore"):
        m1, m0 = s1 / n1, s0 / n0
        est = m1 - m0
        if clustered:
            # influence of a row: sum_i psi_i with psi_i = (y_i - m1)/n1 (participants), -(y_i - m0)/n0
            psi = np.where(p, (S - n * m1[gid]) / n1[gid], -(S - n * m0[gid]) / n0[gid])
            # a cluster holds up to two rows (participants, non-participants): sum them
            cid = pd.MultiIndex.from_arrays([gid, agg["_cluster"].to_numpy()]).factorize()[0]
            C = int(cid.max()) + 1 if len(cid) else 0
            psi_c = gsum(psi, cid, C)
            cg = np.zeros(C, dtype=np.int64)
            cg[cid] = gid
            n_cl = np.bincount(cg, minlength=G).astype(float)[:, None]
            var = n_cl / (n_cl - 1) * gsum(psi_c**2, cg, G)
            dof = np.broadcast_to(n_cl - 1, (G, K))
        else:
            q1, q0 = gsum(np.where(p, Q, 0.0)), gsum(np.where(p, 0.0, Q))
            v1 = (q1 - n1 * m1**2) / (n1 - 1)
            v0 = (q0 - n0 * m0**2) / (n0 - 1)
            var = v1 / n1 + v0 / n0
            dof = (var**2) / ((v1 / n1) ** 2 / (n1 - 1) + (v0 / n0) ** 2 / (n0 - 1))  # Welch-Satterthwaite
            n_cl = np.full((G, 1), np.nan)
        se = np.sqrt(np.maximum(var, 0))
    small = (n_cl[:, 0] < 2) if clustered else (np.minimum(n1, n0)[:, 0] < 2)
    note = np.select(
        [n1[:, 0] == 0, n0[:, 0] == 0, small],
        ["no participating households", "no non-participating households",
         "fewer than 2 clusters" if clustered else "fewer than 2 households in an arm"],
        default="",
    )
    bad = (note != "")[:, None]
    est, se = np.where(bad, np.nan, est), np.where(bad, np.nan, se)
    stat, pv, lo, hi = t_interval(est, se, dof, level)
    out = dict(estimate=est, std_error=se, statistic=stat, p_value=pv, conf_low=lo, conf_high=hi,
               participant_mean=m1, comparison_mean=m0)
    groups = keys.assign(n=(n1 + n0)[:, 0].astype(int), participants=n1[:, 0].astype(int), non_participants=n0[:, 0].astype(int),
                         n_clusters=n_cl[:, 0], note=note)
    return groups, out


def income_increase(
    households: pd.DataFrame | str | Path,
    by: str | Sequence[str] | None = ("county_code", "year"),
    sources: Sequence[Source] = SOURCES,
    comparison: Comparison = "did",
    cluster: str | None = "village_id",
    cpi: pd.Series | pd.DataFrame | Mapping[int, float] | None = None,
    base_year: int | None = None,
    n_households: pd.DataFrame | None = None,
    level: float = 0.95,
) -> Result:
    r"""Income increase of participating households, per household and per capita, by source.

    Formula
        For each source ``s`` (``income_<s>``, yuan per household per year) and group (default
        county-year of the follow-up survey), with the outcome of household ``i``
        ``y_i = income_s(i, follow-up) - income_s(i, wave 0)`` (``comparison="did"``: change
        from the same household's baseline row, a difference in differences of means) or
        ``y_i = income_s(i, follow-up)`` (``comparison="difference"``)::

            gain = mean(y | participant = 1) - mean(y | participant = 0)

        Per capita: the same with ``y_i / hh_size``. Aggregate (term ``total_aggregate``):
        ``gain_per_household x H`` where ``H`` is the number of distinct participating
        households in the group (from the data, or ``n_households``: a frame with the ``by``
        columns and ``households``), the article's style of figure ("促进农民增收1000万元").
        ``n`` counts follow-up household rows (a household surveyed in two follow-up waves of a
        group counts twice there, once in ``H``).
    Units
        yuan per household per year; yuan per person per year; yuan per year (aggregate).
    Real terms
        Only when ``cpi`` is given (a Series or mapping year -> index, or a frame ``year, cpi``;
        any base). Each income is multiplied by ``CPI[base_year] / CPI[survey year]`` before
        differencing, so real figures are in ``base_year`` yuan (default: the latest CPI
        year). There is no default CPI series: the package ships no sourced Yunnan rural CPI,
        so without ``cpi`` only nominal figures are returned.
    Uncertainty
        Cluster-robust standard error by ``cluster`` (default ``village_id``): the influence
        function of the difference of means summed within clusters, CR1 small-sample factor
        G/(G-1), t interval with G - 1 degrees of freedom. With ``cluster=None``: Welch
        standard error and Welch-Satterthwaite degrees of freedom. The aggregate's SE is the
        per-household SE times ``H`` (``H`` treated as known).
    Assumptions
        A descriptive comparison: it is the program's effect only if participants and
        non-participants would have had the same income change (``did``) or level
        (``difference``) without the program. Under selection on observables use the
        matching estimators of :mod:`impact.estimate`.
    Large data
        The aggregation runs in DuckDB (one pass; a parquet path is read without pandas);
        the estimator then works on cluster-by-arm sums.
    """
    check_option("comparison", comparison, ("did", "difference"))
    for s in sources:
        check_option("source", s, SOURCES)
    if not sources:
        raise ValueError("sources must name at least one income source")
    by_ = as_by(by)
    name = str(households) if isinstance(households, (str, Path)) else TABLE
    con = duckdb.connect()
    # Inside a Jupyter kernel DuckDB starts with the progress bar off and refuses any change of
    # the setting without ipywidgets ("Could not change the progress bar setting"): switch it
    # off only where it is on (a terminal).
    if con.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0]:
        con.execute("SET enable_progress_bar = false")
    con.execute("SET preserve_insertion_order = false")
    try:
        if isinstance(households, (str, Path)):
            path = Path(households)
            if not path.exists():
                raise InputError(Problem(str(path), None, None, None, "an existing parquet file"), title="households: file not found")
            con.execute(f"CREATE VIEW hh AS SELECT * FROM read_parquet('{path.as_posix()}')")
            _validate_sql(con, by_, sources, cluster, name)
        else:
            _validate_frame(households, by_, sources, cluster)
            con.register("hh", households)
        real = cpi is not None
        n_base, n_follow, years = con.execute(
            "SELECT count(*) FILTER (WHERE wave = 0), count(*) FILTER (WHERE wave > 0), "
            "list(DISTINCT CAST(year AS BIGINT)) FROM hh"
        ).fetchone()
        if real:
            cpi_f, base_year = _cpi_frame(cpi, base_year)
            missing = sorted(set(years or []) - set(cpi_f["year"]))
            if missing:
                raise InputError(
                    Problem("cpi", None, "year", missing, "a CPI value for every survey year in households"),
                    title="cpi: years do not match the households' years",
                )
        if comparison == "did" and n_base == 0:
            raise InputError(Problem(name, None, "wave", None, "baseline rows (wave 0) for comparison='did'"), title=f"{name}: no baseline wave")
        if n_follow == 0:
            raise InputError(Problem(name, None, "wave", None, "follow-up rows (wave > 0)"), title=f"{name}: no follow-up wave")
        prices = ["nominal"] + (["real"] if real else [])
        squares = cluster is None
        agg, n_unmatched = _village_sums(con, by_, sources, comparison, cluster, squares)
        distinct_part = None
        if "total" in sources and n_households is None and not ({"year", "wave"} & set(by_)):
            # groups span several follow-up waves: count each participating household once
            keys_sql = ", ".join(f'"{b}"' for b in by_)
            distinct_part = con.execute(
                f"SELECT {keys_sql + ', ' if by_ else ''}count(DISTINCT household_id) AS households "
                f"FROM hh WHERE wave > 0 AND participant = 1 {'GROUP BY ' + keys_sql if by_ else ''}"
            ).df()
    finally:
        con.close()
    deflator = dict(zip(cpi_f["year"], cpi_f["deflator"])) if real else None
    specs = _outcome_sums(agg, sources, prices, deflator, comparison == "did", squares)
    groups, arr = _estimate(agg, by_, [f"{pr}_{s}_{per}" for pr, s, per in specs], cluster is not None, level)
    G, K = len(groups), len(specs)
    # long table: outcome-major blocks of the G groups
    cols = {k: v.T.reshape(-1) for k, v in arr.items()}
    table = pd.concat([groups] * K, ignore_index=True)
    for k, v in cols.items():
        table[k] = v
    table["term"] = np.repeat([f"{s}_per_{'household' if per == 'hh' else 'capita'}" for _, s, per in specs], G)
    table["source"] = np.repeat([s for _, s, _ in specs], G)
    table["per"] = np.repeat(["household" if per == "hh" else "capita" for *_, per in specs], G)
    table["price"] = np.repeat([pr for pr, _, _ in specs], G)
    table["unit"] = np.repeat(["yuan/household/year" if per == "hh" else "yuan/person/year" for *_, per in specs], G)
    parts = [table]
    if "total" in sources:
        # aggregate, the article's style: per-household total gain x participating households
        H = groups["participants"].to_numpy(float)
        if distinct_part is not None:
            H = (groups[by_].merge(distinct_part, on=by_, how="left")["households"] if by_ else distinct_part["households"]).to_numpy(float)
            H = np.nan_to_num(H)  # a group without participants has no participating households
        if n_households is not None:
            require_columns(n_households, by_ + ["households"], "n_households")
            require_numeric(n_households, ["households"], "n_households")
            require_nonnegative(n_households, ["households"], "n_households")
            H = groups[by_].merge(n_households[by_ + ["households"]], on=by_, how="left")["households"].astype(float).to_numpy()
        for price in prices:
            tot = table[(table["term"] == "total_per_household") & (table["price"] == price)].reset_index(drop=True)
            agg_t = tot.assign(
                term="total_aggregate", per="aggregate", unit="yuan/year",
                estimate=tot["estimate"] * H, std_error=tot["std_error"] * H,
                conf_low=tot["conf_low"] * H, conf_high=tot["conf_high"] * H, households=H,
            )
            agg_t["note"] = np.where((agg_t["note"] == "") & ~np.isfinite(H), "household count not given for this group", agg_t["note"])
            parts.append(agg_t)
    table = pd.concat(parts, ignore_index=True)
    table["term"] = np.where(table["price"] == "real", table["term"] + "_real", table["term"])
    table["method"] = (
        ("difference in mean changes from baseline (participants - non-participants)" if comparison == "did"
         else "difference in means (participants - non-participants)")
        + ("; cluster-robust SE by " + cluster if cluster else "; Welch SE")
    )
    table = table.sort_values(by_ + ["price"], kind="stable").reset_index(drop=True)
    res = Result(
        table=table,
        method=f"Income increase: {table['method'].iloc[0]}",
        assumptions=(
            "participants and non-participants would have had the same income "
            + ("change" if comparison == "did" else "level") + " without the program (descriptive otherwise)",
            "aggregate = per-household gain x participating households",
            "real figures deflate each year's income with the supplied CPI" if real else "nominal yuan (no CPI supplied)",
        ),
        info={"comparison": comparison, "cluster": cluster or "none (households independent)",
              "price basis": f"nominal and real ({base_year} yuan)" if real else "nominal only",
              "follow-up rows without a baseline row": n_unmatched},
        level=level,
    )
    res.text = _make_text(res.table, by_, level)
    return res


def _make_text(table: pd.DataFrame, by: list[str], level: float):
    lvl = f"{level:.0%}"

    def text(lang: str = "zh") -> str:
        out = []
        hh = table[(table["term"] == "total_per_household")].reset_index(drop=True)
        agg = table[(table["term"] == "total_aggregate")].reset_index(drop=True)
        for i, row in hh.iterrows():
            label = group_label(row, by, lang)
            if row["note"]:
                out.append(f"{label}：无法计算户均增收（{row['note']}）。" if lang == "zh" else f"{label}: income gain not computable ({row['note']}).")
                continue
            a = agg.iloc[i] if i < len(agg) else None
            tot_zh = f"，参与农户合计增收约 {fmt_num(a['estimate'] / 1e4, 1)} 万元" if a is not None and np.isfinite(a["estimate"]) else ""
            tot_en = f"; about {fmt_num(a['estimate'])} yuan in total for participating households" if a is not None and np.isfinite(a["estimate"]) else ""
            if lang == "zh":
                out.append(f"{label}：参与农户户均年收入比对照户多增加 {fmt_num(row['estimate'])} 元"
                           f"（{lvl} 置信区间 {fmt_num(row['conf_low'])}–{fmt_num(row['conf_high'])} 元）{tot_zh}。")
            else:
                out.append(f"{label}: participating households' annual income rose {fmt_num(row['estimate'])} yuan more than "
                           f"non-participants' ({lvl} CI {fmt_num(row['conf_low'])} to {fmt_num(row['conf_high'])}){tot_en}.")
        return "\n".join(out)

    return text
