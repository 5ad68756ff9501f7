"""Input checks and small helpers shared by the estimators (private)."""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Iterable, Sequence, TypeVar

import numpy as np
import pandas as pd

from impact import validate
from impact.errors import DesignError, DesignWarning, ImpactError, InputError, Problem

F = TypeVar("F", bound=Callable[..., Any])

from impact.validate import DATA


def require_columns(data: pd.DataFrame, columns: Iterable[str | None], *, what: str = DATA) -> None:
    """Raise :class:`InputError` listing every missing column (:func:`impact.validate.require_columns`)."""
    validate.require_columns(data, columns, what)


def require_numeric(data: pd.DataFrame, columns: Iterable[str], *, what: str = DATA) -> None:
    """Raise :class:`InputError` for non-numeric, non-missing cells, at the user's row numbers
    (:func:`impact.validate.require_numeric`; missing values are handled by :func:`drop_missing`)."""
    validate.require_numeric(data, columns, what, allow_na=True)


def require_binary(data: pd.DataFrame, column: str, *, what: str = DATA) -> None:
    """Raise :class:`InputError` for a treatment indicator other than 0/1, at the user's row numbers.

    Missing values pass (they are dropped, with a warning, by :func:`drop_missing`); call
    this on the user's table before dropping rows so the row numbers are the user's own.
    """
    present = data[column].notna().to_numpy()
    validate.require_binary(data.loc[present] if not present.all() else data, column, what)


def require_weights(data: pd.DataFrame, column: str | None, *, what: str = DATA) -> None:
    """Raise :class:`InputError` at every weight that is not a positive finite number, at the
    user's row numbers (missing weights pass: the row is dropped with the other missing values)."""
    if column is None:
        return
    s = data[column]
    v = pd.to_numeric(s, errors="coerce").to_numpy(float)
    bad = ~((v > 0) & np.isfinite(v)) & s.notna().to_numpy()
    if bad.any():
        rows = validate.user_rows(data, bad)
        vals = s.to_numpy()[np.flatnonzero(bad)]
        problems = [Problem(what, int(r), column, v.item() if isinstance(v, np.generic) else v, "a positive weight")
                    for r, v in zip(rows[:validate.MAX_LISTED], vals[:validate.MAX_LISTED])]
        if len(rows) > validate.MAX_LISTED:
            problems.append(Problem(what, None, column, f"{len(rows) - validate.MAX_LISTED} more rows",
                                    "a positive weight"))
        raise InputError(problems, title=f"{what}: invalid weights in '{column}'")


class FewTreatedClustersWarning(DesignWarning):
    """Treatment varies across too few clusters (one treated cluster): cluster-robust and
    wild-bootstrap inference are unreliable; randomisation inference is the honest test."""


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
            stacklevel=4,
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


def logit_fit(d: np.ndarray, X: np.ndarray, *, w: np.ndarray | None = None, what: str = "propensity score", tol: float = 1e-10,
              maxiter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Logit MLE by Newton-Raphson with step halving; returns (coefficients, fitted probabilities).

    ``w`` are case weights (the weighted likelihood of a binomial GLM, as R's ``glm(weights=)``).
    Raises :class:`DesignError` on (quasi-)complete separation, detected as fitted
    probabilities within 1e-10 of 0 or 1, a diverging coefficient, or a singular Hessian.
    """
    d = np.asarray(d, float)
    X = np.asarray(X, float)
    n, k = X.shape
    w = np.ones(n) if w is None else np.asarray(w, float)
    beta = np.zeros(k)
    pbar = float(np.sum(w * d) / np.sum(w))
    if 0 < pbar < 1:
        beta[0] = np.log(pbar / (1 - pbar)) if np.allclose(X[:, 0], 1) else 0.0

    def loglik(b: np.ndarray) -> float:
        eta = X @ b
        return float(np.sum(w * (d * eta - np.logaddexp(0, eta))))

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
        W = w * p * (1 - p)
        grad = X.T @ (w * (d - p))
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


class ArgumentOrderError(ImpactError, TypeError):
    """An estimator was called with options in positional form.

    Every estimator takes the data and the outcome positionally and everything else by
    keyword (the names follow R's ``did``: ``yname``, ``idname``, ``tname``, ``gname``,
    ``dname``), so the order of the other arguments can never be confused.
    """


def keyword_only(n_positional: int = 2) -> Callable[[F], F]:
    """Decorator: refuse more than ``n_positional`` positional arguments with a clear message.

    Python's own error for a keyword-only signature names neither the values nor the
    parameters they were meant for; this one does, e.g.
    ``att_gt() takes data and yname by position; name the others: got 'year', 'id', 'g'
    after them; write att_gt(data, 'y', tname=..., idname=..., gname=...)``.
    """

    def wrap(func: F) -> F:
        sig = inspect.signature(func)
        names = [p.name for p in sig.parameters.values()]
        kwonly = [p.name for p in sig.parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is inspect.Parameter.empty]

        @functools.wraps(func)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if len(args) > n_positional:
                extra = ", ".join(repr(a) if isinstance(a, (str, int, float)) else type(a).__name__ for a in args[n_positional:])
                first = ", ".join(names[:n_positional])
                need = ", ".join(f"{k}=..." for k in kwonly) or "option=..."
                raise ArgumentOrderError(
                    f"{func.__name__}() takes {first} by position and every other argument by name; "
                    f"got {len(args) - n_positional} more positional value(s) ({extra}); "
                    f"write {func.__name__}({first}, {need})"
                )
            return func(*args, **kwargs)

        return inner  # type: ignore[return-value]

    return wrap


def invert_test(pval: Callable[[float], float], estimate: float, step: float, alpha: float, *,
                rtol: float = 1e-8) -> tuple[float, float]:
    """Confidence interval ``{θ : p(θ) > α}`` by test inversion, assumed an interval around
    ``estimate``: each end is bracketed by doubling steps of ``step`` away from the estimate (at
    most 60), then found by bisection to ``rtol * step``. Returns ``(low, high)``."""

    def edge(sign: int) -> float:
        inner, outer, k = estimate, estimate + sign * step, 0
        while pval(outer) > alpha and k < 60:
            inner, outer = outer, estimate + sign * step * 2 ** (k + 1)
            k += 1
        for _ in range(60):
            mid = 0.5 * (inner + outer)
            if pval(mid) > alpha:
                inner = mid
            else:
                outer = mid
            if abs(outer - inner) < rtol * step:
                break
        return 0.5 * (inner + outer)

    return edge(-1), edge(+1)
