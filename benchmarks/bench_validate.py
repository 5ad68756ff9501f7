"""Throughput of impact.schemas.validate against bare pandera (the peer) on a large household table.

validate() = type coercion with per-cell error reporting + the pandera schema (lazy) + key,
row-rule and reference checks. The peer is the same pandera schema validating an already
typed frame. Run: python benchmarks/bench_validate.py [ROWS]
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from impact import config
from impact.schemas import pandera_schema, validate


def _table(rows: int) -> pd.DataFrame:
    base = pd.read_parquet(config.SIMULATED_DIR / "households_simulated.parquet")
    reps = int(np.ceil(rows / len(base)))
    df = pd.concat([base] * reps, ignore_index=True).iloc[:rows].copy()
    df["household_id"] = [f"H{i:09d}" for i in range(len(df))]
    return df


def _best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(rows: int = 500_000) -> None:
    df = _table(rows)
    typed = validate(df, "household_survey", file="bench")
    schema = pandera_schema("household_survey", counties=set(typed["county_code"].unique()))
    t_ours = _best(lambda: validate(df, "household_survey", file="bench"))
    t_peer = _best(lambda: schema.validate(typed, lazy=True))
    text = df.astype(str)
    t_text = _best(lambda: validate(text, "household_survey", file="bench"), repeat=1)
    print(f"rows: {len(df):,}")
    print(f"validate (typed Parquet input): {t_ours:.2f} s  ({len(df) / t_ours:,.0f} rows/s)")
    print(f"validate (all-text CSV input):  {t_text:.2f} s  ({len(df) / t_text:,.0f} rows/s)")
    print(f"bare pandera (peer):            {t_peer:.2f} s  ({len(df) / t_peer:,.0f} rows/s)")
    print(f"ratio ours/peer (typed input):  {t_ours / t_peer:.2f}")
    print(f"ratio ours/peer (text input):   {t_text / t_peer:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500_000)
