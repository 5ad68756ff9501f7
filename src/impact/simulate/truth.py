"""The truth file: data-generating parameters and every true effect, plus a short summary."""

from __future__ import annotations

from typing import Any

import numpy as np

from impact.simulate import households as hh_mod
from impact.simulate import panel as panel_mod
from impact.simulate import patients as pat_mod
from impact.simulate import trials as trials_mod

#: bump when the data-generating process changes (so old truth files can be told apart)
SIMULATOR_VERSION = "2"  # 2: every county paired (waves), article-calibrated levels


def parameters() -> dict[str, Any]:
    """The data-generating parameters of every table (JSON-ready)."""
    return {
        "county_panel": {
            "years": [int(panel_mod.YEARS[0]), int(panel_mod.YEARS[-1])],
            "waves": list(panel_mod.WAVES),
            "later_wave_years": [2023, 2024],
            "later_wave_probabilities": [round(p, 6) for p in panel_mod.LATER_WAVE_PROBS],
            "altitude_bands": list(panel_mod.ALTITUDE_BANDS),
            "altitude_probabilities": panel_mod.ALTITUDE_PROBS.tolist(),
            "altitude_income_multiplier": panel_mod.ALTITUDE_INCOME.tolist(),
            "altitude_effect_shift": panel_mod.ALTITUDE_EFFECT.tolist(),
            "income_base_yuan": panel_mod.INCOME_BASE,
            "income_log_sd": panel_mod.INCOME_LOG_SD,
            "income_effect_slope": panel_mod.INCOME_EFFECT_SLOPE,
            "effect_noise_sd": panel_mod.EFFECT_NOISE_SD,
            "dynamic_slope": panel_mod.DYNAMIC_SLOPE,
            "population_mean_h": round(panel_mod.population_mean_h(), 6),
            "outcomes": {
                o.name: {
                    "cohort_column": o.cohort,
                    "beta": o.beta,
                    "unit": o.unit,
                    "sigma": o.sigma,
                    "rho": o.rho,
                    "sigma_prefecture": o.sigma_pref,
                    "decimals": o.decimals,
                }
                for o in panel_mod.OUTCOMES
            },
        },
        "plot_trials": {
            "gain_mean": trials_mod.GAIN_MEAN,
            "gain_sd": trials_mod.GAIN_SD,
            "n_varieties": trials_mod.N_VARIETIES,
            "years": list(trials_mod.YEARS),
            "pairs_per_village": trials_mod.PAIRS_PER_VILLAGE,
        },
        "households": {
            "scales": hh_mod.SCALES,
            "waves": list(hh_mod.WAVES),
            "base_year": hh_mod.BASE_YEAR,
            "chunk_households": hh_mod.CHUNK_HOUSEHOLDS,
            "participation_logit": hh_mod.LOGIT,
            "wave_multiplier": {str(k): v for k, v in hh_mod.WAVE_MULTIPLIER.items()},
        },
        "patients": {
            "years": [int(pat_mod.YEARS[0]), int(pat_mod.YEARS[-1])],
            "cost_log_sd": pat_mod.COST_LOG_SD,
            "inflation": pat_mod.INFLATION,
            "patients_per_county_year": pat_mod.PATIENTS_PER_COUNTY_YEAR,
        },
    }


def designs(tables: dict[str, Any]) -> dict[str, Any]:
    """The estimand of every design of :mod:`impact.design` in this simulated world.

    ``tables`` is the ``tables`` section of the truth file (each table's ``truth``).
    Each entry names the design, its assumption (English), the comparison group and the
    true values its estimator targets.
    """
    from impact import design as dz
    from impact.simulate.coverage import expected_saving_2024

    panel = tables["county_panel"]["truth"]
    out: dict[str, Any] = {}

    def head(key: str) -> dict[str, Any]:
        d = dz.design(key)
        return {"name": d.name_en, "assumption": d.assumption_en, "comparison": d.comparison_en, "causal": d.causal}

    o = panel["outcomes"]
    out["wave_timing"] = {
        **head("wave_timing"),
        "first_wave": panel["first_wave"],
        "estimands": {name: o[name]["wave_identified"] for name in o if o[name]["cohort_column"] == "cohort"},
    }
    out["program_exposure"] = {
        **head("program_exposure"),
        "estimands": {
            s: {
                "outcome": dz.SECTOR_OUTCOME[s],
                "cohort_column": f"cohort_{s}",
                "n_program_counties": o[dz.SECTOR_OUTCOME[s]]["n_treated"],
                "n_comparison_counties": o[dz.SECTOR_OUTCOME[s]]["n_without_program"],
                "att_sample_simple": o[dz.SECTOR_OUTCOME[s]]["att_sample"]["simple"],
                "att_population_simple": o[dz.SECTOR_OUTCOME[s]]["att_population"]["simple"],
            }
            for s in dz.SECTORS
        },
    }
    out["intensity"] = {**head("intensity"), "estimands": {}, "note": "descriptive: no causal estimand"}
    tr = tables["plot_trials"]["truth"]
    out["paired_plots"] = {**head("paired_plots"), "estimands": {
        "gain_population": tr["gain_population"], "ratio_of_means_gain_sample": tr["ratio_of_means_gain_sample"],
        "mean_gain_kg_per_mu_sample": tr["mean_gain_kg_per_mu_sample"]}}
    pt = tables["patients"]["truth"]
    out["patients_before_after"] = {**head("patients_before_after"), "estimands": {
        "expected_total_saving_2024_yuan": round(expected_saving_2024(), 4),
        "saving_per_moved_patient_total": pt["saving_per_moved_patient_total"],
        "effect_of_program_on_total_cost_per_after_patient": pt["effect_of_program_on_total_cost_per_after_patient"]}}
    hh = tables["households"]["truth"]
    out["household_participation"] = {**head("household_participation"), "estimands": {
        f"att_wave_{w}": v["att"] for w, v in hh["waves"].items()}}
    sc: dict[str, Any] = {}
    for s in dz.SECTORS:
        y = dz.SECTOR_OUTCOME[s]
        for code, v in o[y]["per_county"].items():
            sc.setdefault(code, {"sector": s, "outcome": y, "start": v["cohort"], "mean_post": v["mean_post"]})
    out["synthetic_control"] = {**head("synthetic_control"), "estimands": dict(sorted(sc.items()))}
    return out


def summary_lines(truth: dict[str, Any]) -> list[str]:
    """A few lines of the main true effects (English; numbers only)."""
    lines = []
    p = truth["tables"]["county_panel"]["truth"]["outcomes"]
    for name in ("income_per_capita", "grain_yield", "referral_out_share", "children_reached", "tourist_visits"):
        o = p[name]
        lines.append(
            f"county_panel {name}: ATT simple {o['att_sample']['simple']:.4g} {o['unit']} "
            f"(population {o['att_population']['simple']:.4g}; {o['n_treated']} treated counties by {o['cohort_column']})"
        )
    t = truth["tables"]["plot_trials"]["truth"]
    lines.append(
        f"plot_trials: mean yield gain {100 * t['mean_gain_sample']:.2f}% ({t['mean_gain_kg_per_mu_sample']:.1f} kg/mu), "
        f"{t['n_pairs']} pairs"
    )
    h = truth["tables"]["households"]["truth"]
    last = h["waves"][max(h["waves"], key=int)]
    lines.append(
        f"households wave {max(h['waves'], key=int)}: ATT {last['att']:.0f} yuan, naive difference "
        f"{last['naive_difference']:.0f} (bias {last['naive_bias']:+.0f}); {h['n_households']:,} households"
    )
    pt = truth["tables"]["patients"]["truth"]
    sv = pt["saving_per_moved_patient_medical_pancreatic"]
    lines.append(
        f"patients: saving per patient moved to local care {pt['saving_per_moved_patient_total']:.0f} yuan total; "
        f"pancreatic medical saving {sv if sv is None else round(sv)} yuan"
    )
    b = truth["tables"]["beneficiaries"]["truth"]["by_service"]
    lines.append(
        "beneficiaries: "
        + ", ".join(f"{k} {v['unique_persons']} persons / {v['person_months']} person-months" for k, v in b.items())
    )
    return lines


def clean(obj: Any) -> Any:
    """Convert numpy scalars and tuples to JSON types, recursively."""
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return clean(obj.tolist())
    return obj
