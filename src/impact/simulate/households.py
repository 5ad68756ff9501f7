"""Household panel survey with selection on observables, generated in fixed-size chunks.

Households are nested in villages, towns and survey counties; wave 0 is the 2022 baseline,
waves 1 and 2 follow up in 2023 and 2024. Participation ``D_i`` (decided after the
baseline) follows a logit in baseline covariates ``X_i``:

    P(D_i = 1 | X_i) = Lambda(g0 + g_edu (edu_i - 7) + g_land log(land_i / 5)
                              - g_dist log(dist_i / 6) + g_inc log(inc0_i / 30000) + g_age (age_i - 48) / 10)

and the same covariates drive the incomes, so the naive difference in means is biased
upward; weighting or matching on ``X_i`` recovers the effect. Incomes by source in wave
``w`` (yuan per household per year):

    farming_iw(0)  = 1800 land_i^0.7 exp(0.25 a_i + c + v + e_iw) (1.03 (land_i / 5)^0.05)^w
    wages_iw(0)    = 4000 exp(0.08 edu_i + 0.35 log size_i - 0.01 (age_i - 45) + 0.35 a_i + e'_iw)
                     (1 + 0.015 edu_i)^w
    ecommerce_iw(0) = B_i 1500 exp(0.5 z_iw) (1.10)^w,  B_i ~ Bernoulli(Lambda(-1.5 + 0.15 (edu_i - 7) - 0.5 log(dist_i / 6)))
    transfers_iw   = 1500 + 300 size_i + 800 1[age_iw >= 60] + noise

with ``a_i`` an unobserved ability independent of ``D_i`` (so unconfoundedness holds).
The effect for participants in follow-up waves is

    tau_iw = m_w (0.12 farming_i0(0) + 2500 max(0, 1 + 0.10 (edu_i - 7))),  m_1 = 1, m_2 = 1.5

added to farming (first term) and e-commerce (second term). Education also raises wage
growth, so an unconditional difference in differences is biased as well.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from impact.simulate._rng import stream

SCALES: dict[str, int] = {"small": 7_000, "medium": 350_000, "large": 3_400_000}
WAVES = (0, 1, 2)
BASE_YEAR = 2022
CHUNK_HOUSEHOLDS = 200_000
TOWNS_PER_COUNTY = 8
VILLAGES_PER_TOWN = 10
WAVE_MULTIPLIER = {1: 1.0, 2: 1.5}
#: logit coefficients of participation: intercept, edu, log land, log distance, log income, age/10
LOGIT = {"const": -0.9, "edu": 0.15, "log_land": 0.5, "log_dist": -0.5, "log_income": 0.9, "age10": -0.15}

SCHEMA = pa.schema(
    [
        ("household_id", pa.string()),
        ("county_code", pa.string()),
        ("town", pa.string()),
        ("village_id", pa.string()),
        ("wave", pa.int64()),
        ("year", pa.int64()),
        ("hh_size", pa.int64()),
        ("participant", pa.int64()),
        ("head_age", pa.int64()),
        ("head_education_years", pa.int64()),
        ("land_mu", pa.float64()),
        ("distance_to_town_km", pa.float64()),
        ("baseline_income", pa.float64()),
        ("income_farming", pa.float64()),
        ("income_wages", pa.float64()),
        ("income_ecommerce", pa.float64()),
        ("income_transfers", pa.float64()),
        ("income_total", pa.float64()),
    ]
)


@dataclass(frozen=True)
class Design:
    """The nesting of households in villages, towns and counties."""

    n_households: int
    county_codes: tuple[str, ...]
    hh_per_village: int

    @property
    def n_villages(self) -> int:
        return len(self.county_codes) * TOWNS_PER_COUNTY * VILLAGES_PER_TOWN


def design(n_households: int, paired_first: list[str]) -> Design:
    """Survey design: K = min(#counties, max(12, ceil(N / 20000))) counties, 8 towns each,
    10 villages per town, households spread evenly over villages (contiguous ids)."""
    k = min(len(paired_first), max(12, math.ceil(n_households / 20_000)))
    codes = tuple(paired_first[:k])
    n_vil = k * TOWNS_PER_COUNTY * VILLAGES_PER_TOWN
    return Design(n_households, codes, max(1, math.ceil(n_households / n_vil)))


def _labels(d: Design) -> tuple[pa.Array, pa.Array, pa.Array]:
    counties = pa.array(list(d.county_codes), pa.string())
    towns = pa.array([f"{c}-T{t + 1:02d}" for c in d.county_codes for t in range(TOWNS_PER_COUNTY)], pa.string())
    villages = pa.array(
        [
            f"{c}-T{t + 1:02d}-V{v + 1:02d}"
            for c in d.county_codes
            for t in range(TOWNS_PER_COUNTY)
            for v in range(VILLAGES_PER_TOWN)
        ],
        pa.string(),
    )
    return counties, towns, villages


def chunks(seed: int, d: Design) -> Iterator[tuple[pa.Table, dict[str, Any]]]:
    """Yield (Arrow table, chunk sums) for consecutive blocks of ``CHUNK_HOUSEHOLDS`` households.

    Location effects come from stream ``households/0``; chunk ``c`` draws from
    ``households/1/c``, so a chunk's content does not depend on the chunk before it.
    """
    loc = stream(seed, "households", 0)
    n_towns = len(d.county_codes) * TOWNS_PER_COUNTY
    c_eff = loc.normal(0.0, 0.15, len(d.county_codes))
    t_eff = loc.normal(0.0, 0.10, n_towns)
    v_eff = loc.normal(0.0, 0.10, d.n_villages)
    lab_c, lab_t, lab_v = _labels(d)
    nw = len(WAVES)
    for c, start in enumerate(range(0, d.n_households, CHUNK_HOUSEHOLDS)):
        stop = min(d.n_households, start + CHUNK_HOUSEHOLDS)
        n = stop - start
        rng = stream(seed, "households", 1, c)
        idx = np.arange(start, stop, dtype=np.int64)
        vil = np.minimum(idx // d.hh_per_village, d.n_villages - 1)
        town = vil // VILLAGES_PER_TOWN
        cty = town // TOWNS_PER_COUNTY
        loc_eff = c_eff[cty] + t_eff[town] + v_eff[vil]

        size = np.minimum(1 + rng.poisson(2.8, n), 10)
        age0 = np.clip(np.round(rng.normal(48.0, 11.0, n)), 20, 85).astype(np.int64)
        edu = np.clip(np.round(rng.normal(7.0, 3.0, n)), 0, 16).astype(np.int64)
        land = np.round(np.exp(rng.normal(np.log(5.0), 0.6, n)), 2)
        dist = np.round(np.exp(rng.normal(np.log(6.0), 0.7, n)), 1)
        ability = rng.normal(0.0, 1.0, n)
        ecom_user = rng.random(n) < _expit(-1.5 + 0.15 * (edu - 7) - 0.5 * np.log(dist / 6.0))
        u_part = rng.random(n)

        farm0 = np.empty((n, nw))
        wage0 = np.empty((n, nw))
        ecom0 = np.empty((n, nw))
        trans = np.empty((n, nw))
        for w in WAVES:
            age_w = age0 + w
            farm0[:, w] = (
                1800.0
                * land**0.7
                * np.exp(0.25 * ability + loc_eff + rng.normal(0.0, 0.15, n))
                * (1.03 * (land / 5.0) ** 0.05) ** w
            )
            wage0[:, w] = (
                4000.0
                * np.exp(
                    0.08 * edu + 0.35 * np.log(size) - 0.01 * (age0 - 45) + 0.35 * ability + rng.normal(0.0, 0.25, n)
                )
                * (1.0 + 0.015 * edu) ** w
            )
            ecom0[:, w] = np.where(ecom_user, 1500.0 * np.exp(0.5 * rng.normal(0.0, 1.0, n)) * 1.10**w, 0.0)
            trans[:, w] = np.maximum(1500.0 + 300.0 * size + 800.0 * (age_w >= 60) + rng.normal(0.0, 200.0, n), 0.0)
        farm0, wage0, ecom0, trans = (np.round(x, 0) for x in (farm0, wage0, ecom0, trans))
        inc0 = farm0[:, 0] + wage0[:, 0] + ecom0[:, 0] + trans[:, 0]

        lin = (
            LOGIT["const"]
            + LOGIT["edu"] * (edu - 7)
            + LOGIT["log_land"] * np.log(land / 5.0)
            + LOGIT["log_dist"] * np.log(dist / 6.0)
            + LOGIT["log_income"] * np.log(inc0 / 30000.0)
            + LOGIT["age10"] * (age0 - 48) / 10.0
        )
        part = (u_part < _expit(lin)).astype(np.int64)

        tau_f = np.zeros((n, nw))
        tau_e = np.zeros((n, nw))
        for w, m in WAVE_MULTIPLIER.items():
            tau_f[:, w] = np.round(m * 0.12 * farm0[:, 0], 0)
            tau_e[:, w] = np.round(m * 2500.0 * np.maximum(0.0, 1.0 + 0.10 * (edu - 7)), 0)
        farm1, ecom1 = farm0 + tau_f, ecom0 + tau_e
        on = part[:, None].astype(bool) & (np.array(WAVES)[None, :] > 0)
        farm = np.where(on, farm1, farm0)
        ecom = np.where(on, ecom1, ecom0)
        total = farm + wage0 + ecom + trans
        total0 = farm0 + wage0 + ecom0 + trans
        effect_all = (farm1 + ecom1) - (farm0 + ecom0)  # effect if participating, every household

        sums: dict[str, Any] = {"n": n, "n_treated": int(part.sum()), "waves": {}}
        pt = part.astype(bool)
        for w in WAVES:
            sums["waves"][w] = {
                "sum_eff_treated": float(np.sum(effect_all[pt, w])),
                "sum_eff_all": float(np.sum(effect_all[:, w])),
                "sum_eff_farming_treated": float(np.sum(tau_f[pt, w])),
                "sum_eff_ecommerce_treated": float(np.sum(tau_e[pt, w])),
                "sum_y_treated": float(np.sum(total[pt, w])),
                "sum_y_control": float(np.sum(total[~pt, w])),
                "sum_y0_treated": float(np.sum(total0[pt, w])),
            }

        hh = np.repeat(idx, nw)
        ids = pc.binary_join_element_wise(
            "H", pc.utf8_lpad(pc.cast(pa.array(hh + 1), pa.string()), width=9, padding="0"), ""
        )
        wave = np.tile(np.array(WAVES, dtype=np.int64), n)
        cols = {
            "household_id": ids,
            "county_code": lab_c.take(pa.array(np.repeat(cty, nw))),
            "town": lab_t.take(pa.array(np.repeat(town, nw))),
            "village_id": lab_v.take(pa.array(np.repeat(vil, nw))),
            "wave": pa.array(wave),
            "year": pa.array(BASE_YEAR + wave),
            "hh_size": pa.array(np.repeat(size, nw).astype(np.int64)),
            "participant": pa.array(np.repeat(part, nw)),
            "head_age": pa.array((np.repeat(age0, nw) + wave).astype(np.int64)),
            "head_education_years": pa.array(np.repeat(edu, nw)),
            "land_mu": pa.array(np.repeat(land, nw)),
            "distance_to_town_km": pa.array(np.repeat(dist, nw)),
            "baseline_income": pa.array(np.repeat(inc0, nw)),
            "income_farming": pa.array(farm.reshape(-1)),
            "income_wages": pa.array(wage0.reshape(-1)),
            "income_ecommerce": pa.array(ecom.reshape(-1)),
            "income_transfers": pa.array(trans.reshape(-1)),
            "income_total": pa.array(total.reshape(-1)),
        }
        yield pa.table(cols, schema=SCHEMA), sums


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def truth_from_sums(all_sums: list[dict[str, Any]], d: Design) -> dict[str, Any]:
    """True ATT/ATE per wave, the naive differences and their biases, from chunk sums."""
    n = sum(s["n"] for s in all_sums)
    n1 = sum(s["n_treated"] for s in all_sums)
    n0 = n - n1
    out: dict[str, Any] = {
        "n_households": n,
        "n_rows": n * len(WAVES),
        "n_participants": n1,
        "participation_rate": round(n1 / n, 6) if n else None,
        "survey_counties": list(d.county_codes),
        "households_per_village": d.hh_per_village,
        "participation_logit": LOGIT,
        "participation_logit_covariates": {
            "edu": "head_education_years - 7",
            "log_land": "log(land_mu / 5)",
            "log_dist": "log(distance_to_town_km / 6)",
            "log_income": "log(baseline_income / 30000)",
            "age10": "(head_age at wave 0 - 48) / 10",
        },
        "waves": {},
    }

    def tot(w: int, key: str) -> float:
        return math.fsum(s["waves"][w][key] for s in all_sums)

    base_t = tot(0, "sum_y_treated") / n1 if n1 else float("nan")
    base_c = tot(0, "sum_y_control") / n0 if n0 else float("nan")
    for w in WAVES:
        if w == 0:
            continue
        att = tot(w, "sum_eff_treated") / n1
        naive = tot(w, "sum_y_treated") / n1 - tot(w, "sum_y_control") / n0
        naive_did = naive - (base_t - base_c)
        out["waves"][str(w)] = {
            "year": BASE_YEAR + w,
            "att": round(att, 4),
            "ate": round(tot(w, "sum_eff_all") / n, 4),
            "att_farming": round(tot(w, "sum_eff_farming_treated") / n1, 4),
            "att_ecommerce": round(tot(w, "sum_eff_ecommerce_treated") / n1, 4),
            "naive_difference": round(naive, 4),
            "naive_bias": round(naive - att, 4),
            "naive_did": round(naive_did, 4),
            "naive_did_bias": round(naive_did - att, 4),
            "mean_y0_participants": round(tot(w, "sum_y0_treated") / n1, 4),
        }
    out["outcome"] = "income_total (yuan per household per year)"
    return out
