"""Chinese text renders in figures with the bundled font: no missing-glyph warnings."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from impact.fonts import CJK_FAMILY, font_path, use_cjk_font  # noqa: E402

TEXT = "景谷傣族彝族自治县 普洱市 胰腺肿瘤手术 节省约6万元 −3.5"


def test_font_file_is_bundled_and_has_glyphs():
    from fontTools.ttLib import TTFont

    cmap = TTFont(str(font_path()), fontNumber=0).getBestCmap()
    missing = [ch for ch in TEXT if not ch.isspace() and ord(ch) not in cmap]
    assert missing == []


def test_chinese_renders_without_missing_glyph_warnings(tmp_path):
    family = use_cjk_font()
    assert family == CJK_FAMILY
    assert use_cjk_font() == family  # idempotent
    fig, ax = plt.subplots()
    ax.set_title(TEXT)
    ax.set_xlabel("年份 year")
    ax.bar(["景谷", "澜沧"], [3, -1])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(tmp_path / "zh.png")
    plt.close(fig)
    glyph = [w for w in caught if "missing from font" in str(w.message) or "Glyph" in str(w.message)]
    assert glyph == [], [str(w.message) for w in glyph]
    used = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]))
    assert used.endswith("NotoSansCJKsc-Regular.otf")


def test_a_font_without_cjk_would_warn(tmp_path):
    """Guard: the check above is able to fail (DejaVu Sans lacks CJK glyphs)."""
    fig, ax = plt.subplots()
    ax.set_title(TEXT, fontfamily="DejaVu Sans")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(tmp_path / "bad.png")
    plt.close(fig)
    assert any("missing from font" in str(w.message) for w in caught)
