"""de Chaisemartin & D'Haultfoeuille (2020) weights of the static TWFE coefficient."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import keyword_only, require_columns


@keyword_only(1)
def twfe_weights(data: pd.DataFrame, *, tname: str, idname: str, gname: str) -> pd.DataFrame:
    """de Chaisemartin & D'Haultfœuille (2020) weights of the static TWFE coefficient.

    With ``eps_it`` the residual of ``D_it`` on unit and period fixed effects, the TWFE
    coefficient is ``beta = sum_{(i,t): D_it = 1} w_it * TE_it`` with
    ``w_it = eps_it / sum_{D=1} eps``. Returned per treated cell ``(g, t)``: the number of
    unit-periods and the summed weight. Negative weights mean TWFE can have the wrong sign
    under heterogeneous effects.
    """
    require_columns(data, [tname, idname, gname])
    df = data[[idname, tname, gname]].copy()
    df[gname] = pd.to_numeric(df[gname]).fillna(0)
    D = ((df[gname] > 0) & (df[tname] >= df[gname])).astype(float).to_numpy()
    eps = _twoway_resid(D, df[idname].to_numpy(), df[tname].to_numpy())
    df["_w"] = np.where(D == 1, eps, 0.0) / eps[D == 1].sum()
    cell = df[D == 1].groupby([gname, tname]).agg(n=("_w", "size"), weight=("_w", "sum")).reset_index()
    cell = cell.rename(columns={gname: "group", tname: "time"})
    cell["group"] = cell["group"].astype(int)
    cell["event_time"] = cell["time"] - cell["group"]
    return cell


def _twoway_resid(x: np.ndarray, ids: np.ndarray, times: np.ndarray, tol: float = 1e-12) -> np.ndarray:
    """Residual of ``x`` on unit and time dummies (alternating projections; exact when balanced)."""
    ii = pd.factorize(ids)[0]
    tt = pd.factorize(times)[0]
    ni, nt = np.bincount(ii), np.bincount(tt)
    r = x.astype(float).copy()
    for _ in range(10_000):
        r -= (np.bincount(ii, r) / ni)[ii]
        m = np.bincount(tt, r) / nt
        r -= m[tt]
        if np.max(np.abs(np.bincount(ii, r) / ni)) < tol:
            break
    return r
