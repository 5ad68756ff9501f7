"""Figures rendered once and reused (report.cache.cached_png): served only under the same content hash."""

from __future__ import annotations

import pytest

from impact.report import cache


def _renderer(payload: bytes):
    calls = []

    def render() -> bytes:
        calls.append(1)
        return payload

    return render, calls


def test_cached_png_renders_once_then_reads(tmp_path):
    render, calls = _renderer(b"png-1")
    assert cache.cached_png(tmp_path, "locator_530824_zh", ["geo-a", "530824", "zh"], render) == b"png-1"
    again, calls2 = _renderer(b"png-2")
    assert cache.cached_png(tmp_path, "locator_530824_zh", ["geo-a", "530824", "zh"], again) == b"png-1"
    assert len(calls) == 1 and not calls2  # the second call read the stored figure


def test_stale_figure_is_never_served_after_an_input_change(tmp_path):
    cache.cached_png(tmp_path, "locator_530824_zh", ["geo-a", "530824", "zh"], _renderer(b"old")[0])
    render, calls = _renderer(b"new")
    assert cache.cached_png(tmp_path, "locator_530824_zh", ["geo-b", "530824", "zh"], render) == b"new"
    assert calls == [1]
    assert [p.read_bytes() for p in tmp_path.glob("locator_530824_zh.*.png")] == [b"new"]  # the stale file is gone


def test_stale_figure_is_never_served_after_a_code_change(tmp_path, monkeypatch):
    cache.cached_png(tmp_path, "locator_530824_zh", ["geo-a"], _renderer(b"old")[0])
    monkeypatch.setattr(cache, "code_digest", lambda: "other code")
    render, calls = _renderer(b"new")
    assert cache.cached_png(tmp_path, "locator_530824_zh", ["geo-a"], render) == b"new" and calls == [1]


def test_locator_map_cache_follows_the_geography_files(tmp_path, monkeypatch):
    """The county report's map is keyed by the geography files' bytes: an edited boundary file
    makes the stored map stale."""
    from impact import config, maps
    from impact.report import county

    monkeypatch.setattr(maps, "locator_png", lambda code, lang: f"{code}-{lang}-{n_render.append(1) or len(n_render)}".encode())
    n_render: list[int] = []
    proc = tmp_path / "processed"
    first = county.locator_map_png("530824", "en", proc)
    assert county.locator_map_png("530824", "en", proc) == first and len(n_render) == 1
    assert county.locator_map_png("530824", "zh", proc) != first  # one figure per language
    geo = tmp_path / "geo"
    geo.mkdir()
    for f in config.GEO_DIR.iterdir():
        (geo / f.name).write_bytes(f.read_bytes())
    monkeypatch.setattr(config, "GEO_DIR", geo)
    assert county.locator_map_png("530824", "en", proc) == first  # same bytes, same map
    (geo / "counties.csv").write_bytes((geo / "counties.csv").read_bytes() + b"\n")
    assert county.locator_map_png("530824", "en", proc) != first and len(n_render) == 3


def test_force_precompute_clears_the_figures(tmp_path, monkeypatch):
    folder = cache.figure_dir(tmp_path)
    cache.cached_png(folder, "locator_530824_zh", ["x"], _renderer(b"old")[0])
    assert list(folder.glob("*.png"))
    monkeypatch.setattr(cache, "compute_tables", lambda inputs, year: {})
    monkeypatch.setattr(cache, "load_inputs", lambda d, p: type("I", (), {"digest": lambda self: "d"})())
    cache.precompute(2024, tmp_path / "report_cache" / "2024", processed_dir=tmp_path, force=True)
    assert not folder.exists()


def test_figure_names_cannot_escape_the_folder(tmp_path):
    with pytest.raises(ValueError):
        cache.cached_png(tmp_path, "../x", [], lambda: b"")
