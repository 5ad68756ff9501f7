"""Benchmark: Rambachan-Roth smoothness bounds (Delta^SD FLCI) and relative-magnitudes sets
(Delta^RM, C-LF) on a 10-period event study, ours (impact.estimate.honest_did, honest_did_rm)
against the HonestDiD Python port (`honestdid`, the reference package of
tests/reference/honestdid_castle.json and honestdid_rm_castle.json) in the same run; prints both
times, the ratio and the largest difference between the bounds.

Usage: .venv/bin/python benchmarks/bench_estimate_honest.py [--repeat 1] [--grid-points 101]
(honestdid comes with the `reference` extra: pip install -e '.[reference]').
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd


def event_study_10() -> pd.DataFrame:
    """Periods 1-10, one cohort treated from period 6 and never-treated units: 4 leads
    (e = -5..-2), 5 lags (e = 0..4); a mild linear pre-trend."""
    rng = np.random.default_rng(0)
    n = 400
    g = np.where(rng.random(n) < 0.5, 6, 0)
    a = rng.normal(size=n)
    rows = []
    for t in range(1, 11):
        e = t - g
        y = a + 0.2 * t + 0.03 * t * (g > 0) + np.where((g > 0) & (e >= 0), 0.5, 0.0) + rng.normal(size=n)
        rows.append(pd.DataFrame({"id": np.arange(n), "t": t, "g": g, "y": y}))
    return pd.concat(rows, ignore_index=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--grid-points", type=int, default=101, help="theta grid of the relative-magnitudes sets")
    args = ap.parse_args()
    import honestdid

    import impact.estimate as est
    from impact.estimate.sensitivity import _event_inputs

    warnings.filterwarnings("ignore")
    es = est.event_study(event_study_10(), "y", idname="id", tname="t", gname="g")
    beta, sigma, pre, post = _event_inputs(es)
    Mvec = [0.0, 0.02, 0.05]
    ours, theirs = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        r = est.honest_did(es, Mvec=Mvec).tidy()
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ref = honestdid.createSensitivityResults(betahat=beta, sigma=sigma, numPrePeriods=len(pre), numPostPeriods=len(post),
                                                 method="FLCI", Mvec=Mvec, alpha=0.05)
        theirs.append(time.perf_counter() - t0)
    r = r[r["term"] != "original"]
    diff = max(np.max(np.abs(r["conf_low"].to_numpy() - ref["lb"].to_numpy(float))),
               np.max(np.abs(r["conf_high"].to_numpy() - ref["ub"].to_numpy(float))))
    print(f"HonestDiD smoothness FLCI, 10-period event study ({len(pre)} leads, {len(post)} lags), M in {Mvec}: "
          f"impact {min(ours):.3f} s, honestdid {min(theirs):.3f} s, ratio impact/honestdid {min(ours) / min(theirs):.4f}; "
          f"max |bound difference| {diff:.1e} (honestdid simulates its folded-normal quantile)")
    Mbar, points = [0.5, 1.0], args.grid_points
    ours, theirs = [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        r = est.honest_did_rm(es, Mbarvec=Mbar, grid_points=points).tidy()
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ref = honestdid.createSensitivityResults_relativeMagnitudes(betahat=beta, sigma=sigma, numPrePeriods=len(pre),
                                                                   numPostPeriods=len(post), Mbarvec=Mbar, alpha=0.05,
                                                                   gridPoints=points)
        theirs.append(time.perf_counter() - t0)
    r = r[r["term"] != "original"]
    diff = max(np.max(np.abs(r["conf_low"].to_numpy() - ref["lb"].to_numpy(float))),
               np.max(np.abs(r["conf_high"].to_numpy() - ref["ub"].to_numpy(float))))
    print(f"HonestDiD relative magnitudes (Delta^RM, C-LF), same event study, Mbar in {Mbar}, {points}-point grid: "
          f"impact {min(ours):.3f} s, honestdid {min(theirs):.3f} s, ratio impact/honestdid {min(ours) / min(theirs):.4f}; "
          f"max |bound difference| {diff:.1e}")


if __name__ == "__main__":
    main()
