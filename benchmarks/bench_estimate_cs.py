"""Benchmark: Callaway-Sant'Anna with 999 multiplier-bootstrap draws on a 2,000-unit x 10-period
panel, ours (impact.estimate.att_gt + aggte dynamic) against csdid (Python port of R did, the
reference package of tests/reference) in the same run; prints both times and the ratio, and
checks that the two agree on the point estimates.

Usage: .venv/bin/python benchmarks/bench_estimate_cs.py [--units 2000] [--periods 10] [--repeat 3]
(csdid comes with the `reference` extra: pip install -e '.[reference]').
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time
import warnings

import numpy as np
import pandas as pd


def panel(units: int, periods: int, seed: int = 0) -> pd.DataFrame:
    """Staggered adoption: cohorts 4, 6, 8 and never treated; effect 1 + 0.3 e; one covariate."""
    rng = np.random.default_rng(seed)
    g = rng.choice([0, 4, 6, 8], size=units, p=[0.4, 0.2, 0.2, 0.2])
    x = rng.normal(size=units)
    a = rng.normal(size=units)
    t = np.tile(np.arange(1, periods + 1), units)
    gg, xx, aa = np.repeat(g, periods), np.repeat(x, periods), np.repeat(a, periods)
    e = t - gg
    y = aa + 0.2 * t + 0.1 * xx * t + np.where((gg > 0) & (e >= 0), 1 + 0.3 * e, 0) + rng.normal(size=len(t))
    return pd.DataFrame({"id": np.repeat(np.arange(units), periods), "t": t, "g": gg, "x": xx, "y": y})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=2000)
    ap.add_argument("--periods", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from csdid.att_gt import ATTgt

    from impact.estimate.staggered import aggte, att_gt

    df = panel(args.units, args.periods)
    warnings.filterwarnings("ignore")
    for xf in (None, "~ x"):
        ours, theirs = [], []
        for r in range(args.repeat):
            t0 = time.perf_counter()
            gt = att_gt(df, "y", tname="t", idname="id", gname="g", xformla=xf, biters=999, seed=r)
            dyn = aggte(gt, "dynamic")
            ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):  # csdid prints its summaries
                ref = ATTgt(yname="y", tname="t", idname="id", gname="g", data=df, xformla=xf, biters=999).fit(est_method="dr", bstrap=True)
                ref.aggte(typec="dynamic", biters=999)
            theirs.append(time.perf_counter() - t0)
        diff = np.max(np.abs(gt.tidy()["estimate"].to_numpy() - pd.DataFrame(ref.results)["att"].to_numpy()))
        print(f"Callaway-Sant'Anna, {args.units} units x {args.periods} periods, 999 bootstrap draws, "
              f"covariates: {xf or 'none'}: impact {min(ours):.3f} s, csdid {min(theirs):.3f} s, "
              f"ratio impact/csdid {min(ours) / min(theirs):.3f} (best of {args.repeat}); "
              f"max |ATT(g,t) difference| {diff:.1e}; dynamic ATT {dyn.tidy()['estimate'].iloc[0]:.4f}")


if __name__ == "__main__":
    main()
