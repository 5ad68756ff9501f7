"""Warnings and failures inside a report are surfaced, never silenced; a stale cache is never served.

- an estimator's :class:`DesignWarning` appears in the report's notes section;
- a :class:`DesignError` (the design does not allow the estimate) skips that part, with the
  reason in the notes section;
- any other exception fails the report (so the batch counts it as failed and exits non-zero);
- empty income-by-source columns fall back to the total income, with a note;
- the shared tables are used only when their content hash (inputs, code, library versions)
  is current; ``force`` and the batch's ``--force`` recompute them.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import impact.indicators
from impact import config, digest
from impact.errors import DesignError, DesignWarning
from impact.report import cache, county, tables
from impact.report.notes import Notes, call

pytestmark = pytest.mark.skipif(not (config.DATA_PROCESSED / "households_simulated.parquet").is_file(),
                                reason="run `impact data build` first")

AGRI = "532627"  # 广南: plot trials and household surveys in the simulated data
HEALTH = "530824"  # patient records, a synthetic control


@pytest.fixture
def no_cache(monkeypatch):
    """Reports compute their own county (the shared tables are not read)."""
    monkeypatch.setattr(county, "read_cache", lambda *a, **k: None)


def _notes(rep) -> pd.DataFrame:
    return rep.tables["notes"]


def test_call_records_impact_warnings_and_design_errors_only():
    notes = Notes()

    def warns():
        warnings.warn("few clusters", DesignWarning, stacklevel=1)
        return 1

    assert call(notes, "x", warns) == 1
    assert call(notes, "y", lambda: (_ for _ in ()).throw(DesignError("too few pre-periods"))) is None
    with pytest.raises(ZeroDivisionError):
        call(notes, "z", lambda: 1 / 0)
    with pytest.warns(RuntimeWarning, match="not ours"):  # other warnings pass through unchanged
        call(notes, "w", lambda: warnings.warn("not ours", RuntimeWarning, stacklevel=1))
    f = notes.frame()
    assert list(f["part"]) == ["x", "y"]
    assert list(f["kind"]) == ["warning", "skipped"]
    assert list(f["category"]) == ["DesignWarning", "DesignError"]
    assert f["message"].tolist() == ["few clusters", "too few pre-periods"]


def test_design_warning_reaches_the_notes_section(monkeypatch, no_cache):
    real = impact.indicators.yield_gain

    def yield_gain(*args, **kwargs):
        warnings.warn("only 3 villages: cluster-robust intervals are too narrow", DesignWarning, stacklevel=2)
        return real(*args, **kwargs)

    monkeypatch.setattr(impact.indicators, "yield_gain", yield_gain)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DesignWarning)  # it must not escape as a warning either
        rep = county.county_report(AGRI, 2024, "en", figures=False)
    n = _notes(rep)
    row = n[(n["part"] == "yield_gain") & (n["kind"] == "warning")]
    assert len(row) == 1 and row["category"].iloc[0] == "DesignWarning"
    html = rep.section("notes").to_html()
    assert "only 3 villages" in html and "yield gain" in html  # the part by its name (i18n notepart.*)
    assert not rep.tables["indicators"].query("indicator == 'yield_gain'").empty  # still computed


def test_design_error_skips_the_part_with_its_reason(monkeypatch, no_cache):
    from impact.report import causal

    def synth(*args, **kwargs):
        raise DesignError("only 2 pre-pairing years; the synthetic control needs at least 3")

    monkeypatch.setattr(causal, "synth", synth)
    rep = county.county_report(HEALTH, 2024, "zh", figures=False)
    assert rep.section("causal") is None
    n = _notes(rep)
    row = n[(n["part"] == "synth") & (n["kind"] == "skipped")]
    assert row["message"].tolist() == ["only 2 pre-pairing years; the synthetic control needs at least 3"]
    assert row["county_code"].tolist() == [HEALTH]
    assert rep.skipped["synth"].startswith("only 2 pre-pairing years")
    assert "only 2 pre-pairing years" in rep.section("notes").to_html()


def test_any_other_failure_fails_the_report(monkeypatch, no_cache):
    def cost_savings(*args, **kwargs):
        raise KeyError("patient_id")

    monkeypatch.setattr(impact.indicators, "cost_savings", cost_savings)
    with pytest.raises(KeyError, match="patient_id"):
        county.county_report(HEALTH, 2024, "zh", figures=False)


def test_empty_income_sources_fall_back_to_the_total_with_a_note(monkeypatch, no_cache):
    real = county.load_inputs

    def load_inputs(*args, **kwargs):
        inp = real(*args, **kwargs)
        hh = inp.data["households"].copy()
        for col in ("income_farming", "income_wages", "income_ecommerce", "income_transfers"):
            if col in hh.columns:
                hh[col] = np.nan
        inp.data["households"] = hh
        return inp

    base = county.county_report(AGRI, 2024, "zh", figures=False).tables["indicators"]
    monkeypatch.setattr(county, "load_inputs", load_inputs)
    rep = county.county_report(AGRI, 2024, "zh", figures=False)
    got = rep.tables["indicators"].query("indicator == 'income_increase'")
    want = base.query("indicator == 'income_increase'")
    assert set(got["term"]) == {"total_per_household", "total_per_capita"}
    np.testing.assert_allclose(got["estimate"].to_numpy(float), want["estimate"].to_numpy(float), rtol=1e-12, atol=0)
    n = _notes(rep)
    row = n[(n["part"] == "income_increase") & (n["kind"] == "note")]
    assert len(row) == 1 and "farming" in row["message"].iloc[0] and "income_total" in row["message"].iloc[0]


# ----------------------------------------------------------------------------- the shared tables' cache


@pytest.fixture(scope="module")
def small_cache(tmp_path_factory):
    """The shared tables computed for two counties, stored as :func:`cache.precompute` stores them."""
    return tmp_path_factory.mktemp("cache")


def _store(out, year: int, codes) -> str:
    inputs = county.load_inputs()
    digest_now = inputs.digest()
    t = tables.compute_tables(inputs, year, codes)
    from impact.io import write_json, write_parquet

    for name, df in t.items():
        write_parquet(df, out / f"{name}.parquet")
    write_json({"year": year, "inputs_sha256": digest_now}, out / "meta.json")
    return digest_now


def test_a_stale_cache_cannot_be_served(small_cache, monkeypatch):
    out = small_cache
    d = _store(out, 2024, [AGRI])
    assert cache.read_cache(out, 2024, d, AGRI) is not None
    assert cache.read_cache(out, 2023, d, AGRI) is None  # other year
    # a library upgrade (same inputs, same code) changes the content hash: the cache is stale
    versions = digest.library_versions()
    monkeypatch.setattr(digest, "library_versions", lambda: {**versions, "pyfixest": versions["pyfixest"] + ".post1"})
    d2 = county.load_inputs().digest()
    assert d2 != d
    assert cache.read_cache(out, 2024, d2, AGRI) is None
    # and a county report made now computes its own tables instead of reading the stale ones
    monkeypatch.setattr(cache, "cache_dir", lambda year, processed_dir="": out)
    monkeypatch.setattr(county, "cache_dir", lambda year, processed_dir="": out)
    calls = []
    real = county.compute_tables
    monkeypatch.setattr(county, "compute_tables", lambda *a, **k: calls.append(a[2]) or real(*a, **k))
    county.county_report(AGRI, 2024, "zh", figures=False)
    assert calls == [[AGRI]]


def test_half_written_cache_is_not_read(small_cache):
    out = small_cache
    d = _store(out, 2024, [AGRI])
    (out / "meta.json").write_text("{", encoding="utf-8")  # interrupted write
    assert cache.read_cache(out, 2024, d, AGRI) is None


def test_precompute_recomputes_when_stale_or_forced(tmp_path, monkeypatch):
    calls = []

    def fake_compute(inputs, year, codes=None):
        calls.append(year)
        return {"notes": Notes().frame()}

    monkeypatch.setattr(cache, "compute_tables", fake_compute)
    cache.precompute(2024, tmp_path)
    cache.precompute(2024, tmp_path)  # current: nothing to do
    assert calls == [2024]
    cache.precompute(2024, tmp_path, force=True)
    assert calls == [2024, 2024]
    versions = digest.library_versions()
    monkeypatch.setattr(digest, "library_versions", lambda: {**versions, "numpy": "0.0"})
    cache.precompute(2024, tmp_path)  # stale after the "upgrade"
    assert calls == [2024, 2024, 2024]
    meta = json.loads((tmp_path / "meta.json").read_text(encoding="utf-8"))
    assert meta["inputs_sha256"] == county.load_inputs().digest()


def test_batch_force_refreshes_the_shared_tables(monkeypatch, tmp_path):
    from impact.report import batch

    seen = {}
    monkeypatch.setattr(cache, "precompute", lambda *a, **k: seen.update(k))

    def run_jobs(jobs, *, precompute=None, force=False, **kwargs):
        precompute()
        return batch.BatchSummary([], 0.0, [])

    monkeypatch.setattr(batch, "run_jobs", run_jobs)
    batch.run_all(2024, counties=[AGRI], force=True, out_root=tmp_path, write_index=False, progress=False)
    assert seen["force"] is True
    batch.run_all(2024, counties=[AGRI], force=False, out_root=tmp_path, write_index=False, progress=False)
    assert seen["force"] is False


def test_one_hash_for_build_cache_and_batch():
    from impact import build
    from impact.report import batch, jobs

    assert build._code_hash() == digest.code_digest()
    assert batch.code_digest is digest.code_digest and jobs.tree_digest is digest.tree_digest
    assert "pyfixest" in digest.library_versions()
