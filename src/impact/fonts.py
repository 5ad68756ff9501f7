"""CJK font registration for figures and HTML.

The font files come from the ``mplfonts`` package (Noto Sans CJK SC, SIL Open Font
License), installed from PyPI with the project, so Chinese renders on any machine
without system fonts. :func:`use_cjk_font` adds the font file to matplotlib's
font manager once and puts it first in the ``sans-serif`` family list; it is
idempotent and cheap after the first call.
"""

from __future__ import annotations

import functools
from pathlib import Path

#: Family name registered with matplotlib.
CJK_FAMILY = "Noto Sans CJK SC"
#: CSS font stack for HTML reports (the reader's system fonts first, then common CJK fallbacks).
CSS_FONT_STACK = (
    '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", '
    '"Microsoft YaHei", "Hiragino Sans GB", "WenQuanYi Micro Hei", sans-serif'
)


def font_path() -> Path:
    """Path of the bundled Noto Sans CJK SC font file (OpenType)."""
    from importlib.util import find_spec

    # located, not imported: importing mplfonts loads its font tools and pyplot (0.2 s)
    spec = find_spec("mplfonts")
    folder = Path(next(iter(spec.submodule_search_locations))) if spec and spec.submodule_search_locations else None
    path = (folder or Path("mplfonts")) / "fonts" / "NotoSansCJKsc-Regular.otf"
    if not path.is_file():  # pragma: no cover - broken install
        from impact.errors import ImpactError

        raise ImpactError(f"CJK font not found at {path}; reinstall the 'mplfonts' package")
    return path


@functools.cache
def _register() -> str:
    """Add the bundled font file to matplotlib's font manager (once per process); its family."""
    from matplotlib import font_manager

    path = font_path()
    fm = font_manager.fontManager
    if not any(f.fname == str(path) for f in fm.ttflist):
        fm.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    # A system copy of the same family (e.g. Debian's fonts-noto-cjk .ttc) would otherwise win the
    # match by name: keep only the bundled file, so figures are the same on every machine.
    others = [f for f in fm.ttflist if f.name == family and f.fname != str(path)]
    if others:
        fm.ttflist = [f for f in fm.ttflist if f not in others]
        type(fm)._findfont_cached.cache_clear()  # the lookup by name is cached per FontManager
    return family


def use_cjk_font() -> str:
    """Register the bundled CJK font with matplotlib and make it the default sans-serif.

    Returns the family name. Also sets ``axes.unicode_minus = False`` (the CJK font
    lacks U+2212, so minus signs would otherwise be missing glyphs). The file is
    registered once per process; the ``rcParams`` are set on every call, so a reset
    of ``rcParams`` between two reports in one process (a warm kernel, an in-process
    worker) cannot leave the second report without the font.
    """
    import matplotlib as mpl

    family = _register()
    sans = mpl.rcParams["font.sans-serif"]
    if not sans or sans[0] != family:
        mpl.rcParams["font.sans-serif"] = [family, *[f for f in sans if f != family]]
    if mpl.rcParams["font.family"] != ["sans-serif"]:
        mpl.rcParams["font.family"] = "sans-serif"
    if mpl.rcParams["axes.unicode_minus"]:
        mpl.rcParams["axes.unicode_minus"] = False
    return family
