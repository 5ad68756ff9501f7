"""Baseline balance table: means by group, difference, p-value, N; exported to Excel, LaTeX, HTML.

For each variable: mean (and SD) in the treatment and comparison groups, the difference
``mean_treated - mean_control``, the standardised difference ``diff / sqrt((s1^2 + s0^2)/2)``,
and the p-value of Welch's two-sample t-test (unequal variances), or, with ``cluster``,
of the coefficient on treatment in ``x ~ d`` with cluster-robust (CRV1) standard errors.
Units are those of each variable.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from impact.errors import InputError, Problem
from impact.results import Result

from ._common import keyword_only, require_binary, require_columns, require_numeric, require_variation


@keyword_only(1)
def balance_table(
    data: pd.DataFrame,
    *,
    dname: str,
    variables: Sequence[str],
    cluster: str | None = None,
    labels: dict[str, str] | None = None,
) -> Result:
    """Baseline balance for the 0/1 split ``dname`` over ``variables``.

    The tidy table has one row per variable (``term``): ``estimate`` is the difference in
    means, ``std_error`` its standard error, ``p_value`` the test above, ``n`` the
    non-missing N; extra columns ``mean_treated, sd_treated, n_treated, mean_control,
    sd_control, n_control, smd``. ``diagnostics["table"]`` is the evaluator layout
    (export with :func:`export_table`). Missing values are dropped variable by variable.
    """
    require_columns(data, [dname, cluster, *variables])
    require_numeric(data, variables)
    require_binary(data.dropna(subset=[dname]), dname)
    require_variation(data[dname].dropna(), dname)
    labels = labels or {}
    rows = []
    for v in variables:
        sub = data[[dname, v] + ([cluster] if cluster else [])].dropna()
        x = pd.to_numeric(sub[v]).to_numpy(float)
        d = sub[dname].to_numpy(int)
        x1, x0 = x[d == 1], x[d == 0]
        m1, m0 = x1.mean() if len(x1) else np.nan, x0.mean() if len(x0) else np.nan
        s1, s0 = (x1.std(ddof=1) if len(x1) > 1 else np.nan), (x0.std(ddof=1) if len(x0) > 1 else np.nan)
        diff = m1 - m0
        if cluster:
            import pyfixest as pf

            f = pf.feols(f"{v} ~ {dname}", data=sub.assign(**{v: x}), vcov={"CRV1": cluster})
            se, t, p = float(f.se()[dname]), float(f.tstat()[dname]), float(f.pvalue()[dname])
        else:
            se = float(np.sqrt(s1**2 / len(x1) + s0**2 / len(x0))) if len(x1) > 1 and len(x0) > 1 else np.nan
            res = stats.ttest_ind(x1, x0, equal_var=False) if len(x1) > 1 and len(x0) > 1 else None
            t, p = (float(res.statistic), float(res.pvalue)) if res is not None else (np.nan, np.nan)
        pooled = np.sqrt((s1**2 + s0**2) / 2)
        rows.append({"term": labels.get(v, v), "estimate": diff, "std_error": se, "statistic": t, "p_value": p,
                     "n": len(x), "unit": "", "method": "Welch t-test" if not cluster else f"OLS, CRV1 by {cluster}",
                     "mean_treated": m1, "sd_treated": s1, "n_treated": len(x1), "mean_control": m0, "sd_control": s0,
                     "n_control": len(x0), "smd": diff / pooled if pooled > 0 else np.nan, "cluster": cluster or "none"})
    table = pd.DataFrame(rows)
    table["conf_low"] = table["estimate"] - stats.norm.ppf(0.975) * table["std_error"]
    table["conf_high"] = table["estimate"] + stats.norm.ppf(0.975) * table["std_error"]
    layout = pd.DataFrame({
        "Variable / 变量": table["term"],
        "Treated mean / 处理组均值": table["mean_treated"], "Treated SD / 标准差": table["sd_treated"],
        "Control mean / 对照组均值": table["mean_control"], "Control SD / 标准差": table["sd_control"],
        "Difference / 差异": table["estimate"], "p-value / p值": table["p_value"],
        "Std. diff. / 标准化差异": table["smd"], "N": table["n"],
    })
    n1 = int((data[dname] == 1).sum())
    n0 = int((data[dname] == 0).sum())
    return Result(table=table, method="Baseline balance table", info={"Treatment": dname, "Treated": n1, "Control": n0,
                  "Test": "Welch two-sample t-test" if not cluster else f"OLS with CRV1 by {cluster}"},
                  assumptions=("differences at baseline reflect the assignment, not the program",),
                  diagnostics={"table": layout})


def export_table(table: pd.DataFrame | Result, path: str | os.PathLike[str], *, float_format: str = "{:,.3f}") -> Path:
    """Write a table (or a Result's evaluator layout / tidy table) to ``.xlsx``, ``.tex`` or ``.html``, atomically."""
    from impact.io import atomic_path, neutralise_frame

    if isinstance(table, Result):
        table = table.diagnostics.get("table", table.tidy())
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".tex", ".html", ".htm"):
        raise InputError(Problem(str(path), None, None, path.suffix, "a file ending in .xlsx, .tex or .html"))
    fmt = table.copy()
    if suffix != ".xlsx":
        for c in fmt.columns:
            if pd.api.types.is_float_dtype(fmt[c]):
                fmt[c] = fmt[c].map(lambda x: "" if pd.isna(x) else float_format.format(x))
    with atomic_path(path) as tmp:
        if suffix == ".xlsx":
            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                neutralise_frame(fmt).to_excel(xw, index=False, sheet_name="balance")  # no formula injection
        elif suffix == ".tex":
            Path(tmp).write_text(fmt.to_latex(index=False, escape=True), encoding="utf-8")
        else:
            Path(tmp).write_text(fmt.to_html(index=False, border=0, classes="balance"), encoding="utf-8")
    return path
