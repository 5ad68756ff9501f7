"""Input checks and small helpers shared by the estimators (private)."""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from impact import validate
from impact.errors import DesignError

from impact.validate import DATA


def require_columns(data: pd.DataFrame, columns: Iterable[str | None], *, what: str = DATA) -> None:
    """Raise :class:`InputError` listing every missing column (:func:`impact.validate.require_columns`)."""
    validate.require_columns(data, columns, what)


def require_numeric(data: pd.DataFrame, columns: Iterable[str], *, what: str = DATA) -> None:
    """Raise :class:`InputError` for non-numeric, non-missing cells, at the user's row numbers
    (:func:`impact.validate.require_numeric`; missing values are handled by :func:`drop_missing`)."""
    validate.require_numeric(data, columns, what, allow_na=True)


def require_binary(data: pd.DataFrame, column: str, *, what: str = DATA) -> None:
    """Raise :class:`InputError` for a treatment indicator other than 0/1, at the user's row numbers."""
    validate.require_binary(data, column, what)


def require_variation(d: pd.Series | np.ndarray, name: str) -> None:
    v = pd.to_numeric(pd.Series(np.asarray(d)), errors="coerce").to_numpy(float)
    v = v[~np.isnan(v)]
    if len(v) == 0 or v.min() == v.max():
        raise DesignError(
            f"no variation in treatment {name!r}: every row has the value "
            f"{v[0] if len(v) else 'NA'}; a comparison needs treated and untreated observations"
        )


def drop_missing(data: pd.DataFrame, columns: Sequence[str | None]) -> pd.DataFrame:
    """Drop rows with missing values in ``columns``, warning with the count."""
    import warnings

    from impact.errors import MissingDataWarning

    cols = [c for c in dict.fromkeys(columns) if c is not None]
    mask = data[cols].isna().any(axis=1)
    if not mask.any():
        return data
    if mask.any():
        warnings.warn(
            f"dropped {int(mask.sum())} of {len(data)} rows with missing values in {', '.join(cols)}",
            MissingDataWarning,
            stacklevel=3,
        )
    return data.loc[~mask].copy()


def covariate_names(xformla: str | Sequence[str] | None) -> list[str]:
    """Covariate names from ``"~ x1 + x2"`` (R style), ``"x1 + x2"`` or a list."""
    if xformla is None:
        return []
    if isinstance(xformla, str):
        rhs = xformla.split("~", 1)[-1].strip()
        if rhs in ("", "1"):
            return []
        return [t.strip() for t in rhs.split("+") if t.strip() and t.strip() != "1"]
    return list(xformla)


def ols_fit(y: np.ndarray, X: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Least-squares coefficients of ``y`` on ``X`` (optionally weighted)."""
    if w is not None:
        sw = np.sqrt(w)
        X, y = X * sw[:, None], y * sw
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    return beta


def logit_fit(d: np.ndarray, X: np.ndarray, *, what: str = "propensity score", tol: float = 1e-10, maxiter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Logit MLE by Newton-Raphson with step halving; returns (coefficients, fitted probabilities).

    Raises :class:`DesignError` on (quasi-)complete separation, detected as fitted
    probabilities within 1e-10 of 0 or 1, a diverging coefficient, or a singular Hessian.
    """
    d = np.asarray(d, float)
    X = np.asarray(X, float)
    n, k = X.shape
    beta = np.zeros(k)
    pbar = d.mean()
    if 0 < pbar < 1:
        beta[0] = np.log(pbar / (1 - pbar)) if np.allclose(X[:, 0], 1) else 0.0

    def loglik(b: np.ndarray) -> float:
        eta = X @ b
        return float(np.sum(d * eta - np.logaddexp(0, eta)))

    def separation() -> DesignError:
        return DesignError(
            f"perfect separation in the {what} model: the covariates predict treatment exactly "
            "(a covariate value or combination occurs only among treated or only among untreated units); "
            "drop or coarsen that covariate, or restrict to the region of common support"
        )

    ll = loglik(beta)
    converged = False
    for _ in range(maxiter):
        p = 1 / (1 + np.exp(-(X @ beta)))
        W = p * (1 - p)
        grad = X.T @ (d - p)
        H = (X * W[:, None]).T @ X
        try:
            step = np.linalg.solve(H, grad)
        except np.linalg.LinAlgError as err:
            raise separation() from err
        t = 1.0
        while True:
            nb = beta + t * step
            nll = loglik(nb)
            if nll >= ll - 1e-12 * abs(ll) or t < 1e-8:
                break
            t /= 2
        beta, ll_old, ll = nb, ll, nll
        if np.max(np.abs(t * step)) < tol * (1 + np.max(np.abs(beta))) or abs(ll - ll_old) < 1e-14 * (1 + abs(ll)):
            converged = True
            break
        if np.max(np.abs(beta)) > 1e6:
            raise separation()
    p = 1 / (1 + np.exp(-(X @ beta)))
    if not converged or np.any(p > 1 - 1e-10) or np.any(p < 1e-10):
        raise separation()
    return beta, p


def design_matrix(data: pd.DataFrame, covariates: Sequence[str]) -> np.ndarray:
    """Intercept plus covariates as a float matrix."""
    n = len(data)
    cols = [np.ones(n)] + [pd.to_numeric(data[c]).to_numpy(dtype=float) for c in covariates]
    return np.column_stack(cols)
