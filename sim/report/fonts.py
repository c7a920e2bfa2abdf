"""A font that draws Chinese in the charts, found once per process, with a quiet fallback.

matplotlib falls back glyph by glyph along `font.sans-serif` (3.6 and later), so Latin text
keeps DejaVu Sans and Chinese characters come from the first CJK family found. Without one,
Chinese label parts are dropped (`label`) and the missing-glyph warnings are silenced.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import matplotlib
from matplotlib import font_manager, ft2font

CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Sans SC", "Source Han Sans SC",
    "Source Han Sans CN", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei",
    "PingFang SC", "Heiti SC", "Noto Serif CJK SC", "Noto Serif CJK JP",
)
"""Families that cover simplified Chinese, most preferred first."""

_FILE_HINT = re.compile(r"(notosanscjk|notoserifcjk|sourcehansans|wqy|wenquanyi|simhei|msyh|pingfang)",
                        re.IGNORECASE)
_HAN_PROBE = "双十一"


@lru_cache(maxsize=1)
def cjk_family() -> str | None:
    """Name of an installed font family that draws Chinese, or None.

    Looks in matplotlib's font list first, then (its cache may predate the font's installation)
    registers matching files from the system font folders.
    """
    known = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known and _draws_han(family):
            return family
    for path in sorted(font_manager.findSystemFonts(), key=_preference):
        if not _FILE_HINT.search(Path(path).name.replace("-", "").replace("_", "")):
            continue
        try:
            font_manager.fontManager.addfont(path)
            name = font_manager.FontProperties(fname=path).get_name()
        except (OSError, RuntimeError, ValueError):
            continue
        if _draws_han(name):
            return name
    return None


def _preference(path: str) -> tuple[int, str]:
    """Sans before serif, regular weight before bold, so labels look like body text."""
    name = Path(path).name.lower()
    return (("serif" in name) * 2 + ("bold" in name or "black" in name), name)


def _draws_han(family: str) -> bool:
    """True if the font matplotlib picks for `family` has glyphs for Chinese characters."""
    try:
        path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        font = ft2font.FT2Font(path)
    except (ValueError, OSError, RuntimeError):
        return False
    return all(font.get_char_index(ord(ch)) != 0 for ch in _HAN_PROBE)


def has_cjk() -> bool:
    return cjk_family() is not None


def label(english: str, chinese: str = "") -> str:
    """'English 中文' when Chinese can be drawn, else the English alone."""
    return f"{english} {chinese}" if chinese and has_cjk() else english


@contextmanager
def chart_style() -> Iterator[None]:
    """matplotlib settings for the report's charts: CJK fallback, quiet missing glyphs."""
    family = cjk_family()
    sans = ["DejaVu Sans"] + ([family] if family else [])
    # A list in font.family (not a generic name) is what turns on per-glyph fallback.
    rc = {"font.family": sans, "axes.unicode_minus": False,
          "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False,
          "figure.dpi": 100, "savefig.dpi": 100, "font.size": 10}
    with matplotlib.rc_context(rc), warnings.catch_warnings():
        # User data (policy names) may hold characters no installed font has.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from")
        yield
