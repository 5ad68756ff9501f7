"""Beneficiary rosters and cost ledgers for child-protection and elderly-care programs.

Scale follows the article and does not change with ``scale``:

- 爱佑安生 (child protection, 镇雄/彝良/绥江/鲁甸/会泽, 2023-06 to 2024-11): 1,815 children
  with monthly home visits; 3,423 children from low-income families given 47,800 items
  of supplies (4.78万份), the visited children among them (3,423 distinct children in all);
  more than 6.5 million yuan of external funds.
- 老顽童助餐行动 (镇雄, elderly canteen): people aged 60+ pay 4 yuan a meal.
- 老年助医行动 (鲁甸, 砚池街道): 379 medical-subsidy orders for about 200 elderly people;
  200-yuan vouchers for 200+ elderly people and 57 children.

What the article does not give (enrolment months, drop-out, unit costs, the number of
canteen users, the public share) are simulation assumptions listed in ``truth``.
Roster rows are person-months served (``month`` as ``YYYY-MM``); ledger rows are
payments.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from impact.simulate._rng import stream

CHILD_MONTHS = pd.period_range("2023-06", "2024-11", freq="M").strftime("%Y-%m").tolist()
ELDER_MONTHS = pd.period_range("2024-01", "2024-12", freq="M").strftime("%Y-%m").tolist()
CHILD_COUNTIES = {"镇雄": 0.44, "彝良": 0.16, "绥江": 0.10, "鲁甸": 0.16, "会泽": 0.14}
N_HOME_VISIT = 1815
N_SUPPLIES = 3423
N_SUPPLY_ITEMS = 47_800
N_MEDICAL_ORDERS = 379
N_MEDICAL_ELDERS = 210  # "200余名"
N_VOUCHER_ELDERS = 210  # "200多名"
N_VOUCHER_CHILDREN = 57
VOUCHER_YUAN = 200.0
MEAL_PRICE_PAID = 4.0
ASSUMPTIONS = {
    "home_visit_cost_per_visit_yuan": 180.0,
    "supply_item_cost_yuan": 60.0,
    "training_and_activities_yuan_per_month": 45_000.0,
    "child_director_stipend_public_yuan_per_month": 300.0,
    "n_child_directors": 137,
    "home_visit_dropout_per_month": 0.01,
    "canteen_users": 120,
    "meal_full_cost_yuan": 12.0,
    "meals_per_user_month_mean": 18.0,
    "meal_subsidy_public_share": 0.5,
    "medical_order_mean_yuan": 300.0,
    "supply_distributions": 4,
}


def _find(programs: pd.DataFrame, sector: str, keywords: tuple[str, ...], fallback: str) -> tuple[str, str]:
    names = programs["name"].astype("string").fillna("")
    hit = programs[(programs["sector"].astype(str) == sector) & names.str.contains("|".join(keywords), regex=True)]
    if hit.empty:
        hit = programs[names.str.contains("|".join(keywords), regex=True)]
    if hit.empty:
        return fallback, "simulated_id"
    return str(hit["program_id"].astype(str).sort_values().iloc[0]), "registry"


def _code(counties: pd.DataFrame, alias: str) -> str:
    hit = counties.loc[
        (counties["alias"].astype(str) == alias) | counties["name"].astype(str).str.startswith(alias), "county_code"
    ]
    return str(hit.iloc[0]) if len(hit) else f"unknown:{alias}"


def rosters(
    seed: int, counties: pd.DataFrame, registry: dict[str, pd.DataFrame]
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """(beneficiaries, cost_ledger, truth)."""
    rng = stream(seed, "beneficiaries", 0)
    A = ASSUMPTIONS
    progs = registry["programs"]
    pid_child, src_child = _find(progs, "child_protection", ("爱佑安生", "困境儿童"), "sim_child_protection")
    pid_meal, src_meal = _find(progs, "elderly_care", ("助餐", "老顽童"), "sim_elderly_meals")
    pid_med, src_med = _find(progs, "elderly_care", ("助医",), "sim_elderly_medical")
    codes = {a: _code(counties, a) for a in CHILD_COUNTIES}
    roster: list[pd.DataFrame] = []
    ledger: list[dict[str, Any]] = []
    person = 0

    def new_ids(k: int) -> list[str]:
        nonlocal person
        ids = [f"B{person + j + 1:06d}" for j in range(k)]
        person += k
        return ids

    child_groups = np.array(["left_behind", "orphaned", "disability", "low_income_family"])
    cty_names = list(CHILD_COUNTIES)
    cty_p = np.array(list(CHILD_COUNTIES.values()))

    # home visits: staggered enrolment, monthly visits until the end or drop-out
    ids = new_ids(N_HOME_VISIT)
    cty = rng.choice(len(cty_names), N_HOME_VISIT, p=cty_p)
    start = np.where(rng.random(N_HOME_VISIT) < 0.4, 0, rng.integers(1, 13, N_HOME_VISIT))
    last = np.full(N_HOME_VISIT, len(CHILD_MONTHS) - 1)
    drop = rng.random((N_HOME_VISIT, len(CHILD_MONTHS))) < A["home_visit_dropout_per_month"]
    for i in range(N_HOME_VISIT):
        after = np.flatnonzero(drop[i, start[i] + 1 :])
        if len(after):
            last[i] = start[i] + after[0]
    age = rng.integers(3, 17, N_HOME_VISIT)
    sex = np.where(rng.random(N_HOME_VISIT) < 0.48, "female", "male")
    grp = child_groups[rng.choice(4, N_HOME_VISIT, p=[0.45, 0.15, 0.15, 0.25])]
    hv_ids, hv_cty, hv_age, hv_sex = list(ids), cty, age, sex
    months_served = last - start + 1
    rep = np.repeat(np.arange(N_HOME_VISIT), months_served)
    m_idx = np.concatenate([np.arange(s, l + 1) for s, l in zip(start, last)])
    roster.append(
        pd.DataFrame(
            {
                "person_id": np.array(ids)[rep],
                "program_id": pid_child,
                "county_code": np.array([codes[c] for c in cty_names])[cty][rep],
                "month": np.array(CHILD_MONTHS)[m_idx],
                "service": "home_visit",
                "age": age[rep] + (m_idx - start[rep]) // 12,
                "sex": sex[rep],
                "group": grp[rep],
            }
        )
    )
    visits = pd.DataFrame(
        {"county_code": np.array([codes[c] for c in cty_names])[cty][rep], "month": np.array(CHILD_MONTHS)[m_idx]}
    )
    for (code, month), k in visits.value_counts().sort_index().items():
        ledger.append(
            _entry(pid_child, code, month, "home_visit_service", k * A["home_visit_cost_per_visit_yuan"], "external")
        )

    # supplies: N_SUPPLY_ITEMS items over 4 quarterly distributions to N_SUPPLIES children.
    # The 1,815 visited children are among the 3,423 (an assumption: the article gives the
    # two counts side by side), so the program reaches 3,423 distinct children in all and no
    # county's count of children exceeds the article's project-wide figures.
    visited_ids, visited_cty, visited_age, visited_sex = hv_ids, hv_cty, hv_age, hv_sex
    n_new = N_SUPPLIES - N_HOME_VISIT
    ids = list(visited_ids) + new_ids(n_new)
    cty = np.concatenate([visited_cty, rng.choice(len(cty_names), n_new, p=cty_p)])
    dist_months = ["2023-09", "2023-12", "2024-05", "2024-10"]
    got = rng.random((N_SUPPLIES, 4)) < 0.85
    got[np.arange(N_SUPPLIES), rng.integers(0, 4, N_SUPPLIES)] = True  # everyone receives at least once
    rows_i, rows_d = np.nonzero(got)
    # items per receipt: multinomial split of the article's 47,800 items over receipts
    items = rng.multinomial(N_SUPPLY_ITEMS, np.full(len(rows_i), 1.0 / len(rows_i)))
    age = np.concatenate([visited_age, rng.integers(0, 17, n_new)])
    sex = np.concatenate([visited_sex, np.where(rng.random(n_new) < 0.48, "female", "male")])
    roster.append(
        pd.DataFrame(
            {
                "person_id": np.array(ids)[rows_i],
                "program_id": pid_child,
                "county_code": np.array([codes[c] for c in cty_names])[cty][rows_i],
                "month": np.array(dist_months)[rows_d],
                "service": "supplies",
                "age": age[rows_i],
                "sex": sex[rows_i],
                "group": "low_income_family",
            }
        )
    )
    sup = pd.DataFrame(
        {
            "county_code": np.array([codes[c] for c in cty_names])[cty][rows_i],
            "month": np.array(dist_months)[rows_d],
            "items": items,
        }
    )
    for (code, month), k in sup.groupby(["county_code", "month"])["items"].sum().sort_index().items():
        ledger.append(_entry(pid_child, code, month, "supplies", k * A["supply_item_cost_yuan"], "external"))
    # training and activities (external), children's directors' stipends (public)
    n_dir = int(A["n_child_directors"])
    dir_cty = rng.choice(len(cty_names), n_dir, p=cty_p)
    for month in CHILD_MONTHS:
        for j, c in enumerate(cty_names):
            share = cty_p[j]
            ledger.append(
                _entry(
                    pid_child,
                    codes[c],
                    month,
                    "training_and_activities",
                    round(A["training_and_activities_yuan_per_month"] * share, 2),
                    "external",
                )
            )
            k = int(np.sum(dir_cty == j))
            if k:
                ledger.append(
                    _entry(
                        pid_child,
                        codes[c],
                        month,
                        "child_director_stipend",
                        k * A["child_director_stipend_public_yuan_per_month"],
                        "public",
                    )
                )

    # elderly canteen (镇雄): users 60+, meals per month, subsidy = full cost - 4 yuan
    zx = codes["镇雄"]
    n_users = int(A["canteen_users"])
    ids = new_ids(n_users)
    age = rng.integers(60, 93, n_users)
    sex = np.where(rng.random(n_users) < 0.55, "female", "male")
    first = rng.integers(0, 6, n_users)
    meals = rng.poisson(A["meals_per_user_month_mean"], (n_users, len(ELDER_MONTHS)))
    meals[np.arange(len(ELDER_MONTHS))[None, :] < first[:, None]] = 0
    ui, mi = np.nonzero(meals > 0)
    roster.append(
        pd.DataFrame(
            {
                "person_id": np.array(ids)[ui],
                "program_id": pid_meal,
                "county_code": zx,
                "month": np.array(ELDER_MONTHS)[mi],
                "service": "meal_subsidy",
                "age": age[ui],
                "sex": sex[ui],
                "group": "elderly_60_plus",
            }
        )
    )
    per_meal = A["meal_full_cost_yuan"] - MEAL_PRICE_PAID
    for j, month in enumerate(ELDER_MONTHS):
        k = int(meals[:, j].sum())
        if k:
            pub = round(k * per_meal * A["meal_subsidy_public_share"], 2)
            ledger.append(_entry(pid_meal, zx, month, "meal_subsidy", pub, "public"))
            ledger.append(_entry(pid_meal, zx, month, "meal_subsidy", round(k * per_meal - pub, 2), "external"))

    # medical subsidy orders (鲁甸): 379 orders among ~210 elderly people; vouchers
    ld = codes["鲁甸"]
    ids = new_ids(N_MEDICAL_ELDERS)
    age = rng.integers(60, 95, N_MEDICAL_ELDERS)
    sex = np.where(rng.random(N_MEDICAL_ELDERS) < 0.55, "female", "male")
    who = np.concatenate(
        [np.arange(N_MEDICAL_ELDERS), rng.integers(0, N_MEDICAL_ELDERS, N_MEDICAL_ORDERS - N_MEDICAL_ELDERS)]
    )
    when = rng.integers(0, len(ELDER_MONTHS), N_MEDICAL_ORDERS)
    amount = np.round(np.exp(rng.normal(np.log(A["medical_order_mean_yuan"]) - 0.5 * 0.5**2, 0.5, N_MEDICAL_ORDERS)), 2)
    order = np.lexsort((who, when))
    for o in order:
        ledger.append(_entry(pid_med, ld, ELDER_MONTHS[when[o]], "medical_subsidy_order", float(amount[o]), "external"))
    pm = pd.DataFrame({"p": who, "m": when}).drop_duplicates().sort_values(["p", "m"])
    roster.append(
        pd.DataFrame(
            {
                "person_id": np.array(ids)[pm["p"]],
                "program_id": pid_med,
                "county_code": ld,
                "month": np.array(ELDER_MONTHS)[pm["m"]],
                "service": "medical_subsidy",
                "age": age[pm["p"]],
                "sex": sex[pm["p"]],
                "group": "elderly_in_difficulty",
            }
        )
    )
    v_eld = (
        rng.choice(np.array(ids), N_VOUCHER_ELDERS, replace=False) if N_VOUCHER_ELDERS <= len(ids) else np.array(ids)
    )
    v_ids_children = new_ids(N_VOUCHER_CHILDREN)
    v_month = "2024-10"
    id_age = dict(zip(ids, age))
    id_sex = dict(zip(ids, sex))
    roster.append(
        pd.DataFrame(
            {
                "person_id": list(np.sort(v_eld)) + v_ids_children,
                "program_id": pid_med,
                "county_code": ld,
                "month": v_month,
                "service": "consumption_voucher",
                "age": [int(id_age[p]) for p in np.sort(v_eld)] + list(rng.integers(3, 17, N_VOUCHER_CHILDREN)),
                "sex": [str(id_sex[p]) for p in np.sort(v_eld)]
                + list(np.where(rng.random(N_VOUCHER_CHILDREN) < 0.48, "female", "male")),
                "group": ["elderly_in_difficulty"] * N_VOUCHER_ELDERS + ["child_in_difficulty"] * N_VOUCHER_CHILDREN,
            }
        )
    )
    ledger.append(
        _entry(
            pid_med,
            ld,
            v_month,
            "consumption_voucher",
            (N_VOUCHER_ELDERS + N_VOUCHER_CHILDREN) * VOUCHER_YUAN,
            "external",
        )
    )

    ben = pd.concat(roster, ignore_index=True)
    ben["age"] = ben["age"].astype("int64")
    led = pd.DataFrame(ledger)
    led.insert(0, "entry_id", [f"E{j + 1:06d}" for j in range(len(led))])
    led["amount_yuan"] = led["amount_yuan"].astype(float).round(2)

    truth = {
        "program_ids": {
            "child_protection": {"program_id": pid_child, "source": src_child},
            "elderly_meals": {"program_id": pid_meal, "source": src_meal},
            "elderly_medical": {"program_id": pid_med, "source": src_med},
        },
        "assumptions": A,
        "by_service": {},
        "ledger": {},
        "supply_items": N_SUPPLY_ITEMS,
        "medical_orders": N_MEDICAL_ORDERS,
        "meals": int(meals.sum()),
        "meal_price_paid_yuan": MEAL_PRICE_PAID,
    }
    for svc, g in ben.groupby("service", sort=True):
        truth["by_service"][str(svc)] = {"unique_persons": int(g["person_id"].nunique()), "person_months": int(len(g))}
    for pid, g in led.groupby("program_id", sort=True):
        truth["ledger"][str(pid)] = {
            "total_yuan": round(float(g["amount_yuan"].sum()), 2),
            "public_yuan": round(float(g.loc[g["funder"] == "public", "amount_yuan"].sum()), 2),
            "external_yuan": round(float(g.loc[g["funder"] == "external", "amount_yuan"].sum()), 2),
            "by_item": {
                str(k): round(float(v), 2) for k, v in g.groupby("item", sort=True)["amount_yuan"].sum().items()
            },
        }
    cp = led[
        (led["program_id"] == pid_child) & (led["funder"] == "external") & led["county_code"].str.startswith("5306")
    ]
    truth["child_protection_external_yuan_zhaotong"] = round(float(cp["amount_yuan"].sum()), 2)
    truth["article_child_protection_external_yuan_zhaotong_more_than"] = 6_500_000
    for pid, g in ben.groupby("program_id", sort=True):
        truth["ledger"].setdefault(str(pid), {})["unique_persons"] = int(g["person_id"].nunique())
        truth["ledger"][str(pid)]["person_months"] = int(g[["person_id", "month"]].drop_duplicates().shape[0])
    return ben, led, truth


def _entry(pid: str, code: str, month: str, item: str, amount: float, funder: str) -> dict[str, Any]:
    return {
        "program_id": pid,
        "county_code": code,
        "month": month,
        "item": item,
        "amount_yuan": float(amount),
        "funder": funder,
    }
