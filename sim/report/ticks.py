"""Axis tick labels and shares for the report's charts: one scale an axis, exact decimals.

Money is in yuan (¥); K is a thousand, M a million.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib.ticker import Formatter


def _scale(largest: float, from_k: float = 1e3) -> tuple[float, str]:
    """Divisor and suffix for numbers up to `largest`: M from a million, K from `from_k`."""
    return (1e6, "M") if largest >= 1e6 else (1e3, "K") if largest >= from_k else (1.0, "")


def _short(value: float, scale: tuple[float, str], decimals: int, prefix: str = "") -> str:
    sign = "−" if value < 0 else ""
    return f"{sign}{prefix}{abs(value) / scale[0]:,.{decimals}f}{scale[1]}"


def _decimals(values: Sequence[float], scale: tuple[float, str]) -> int:
    """The fewest decimals (up to 3) that write every value exactly on `scale`."""
    for decimals in range(4):
        if all(abs(v / scale[0] - round(v / scale[0], decimals)) < 1e-9 * max(1.0, abs(v / scale[0]))
               for v in values):
            return decimals
    return 3


def share(x: float) -> str:
    """A share as a percentage, with two significant digits under 1 % (0.049 %, never 0.0 %)."""
    if not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0%"
    if abs(x) >= 0.01:
        return f"{x:.1%}"
    return f"{100 * x:.{1 - math.floor(math.log10(abs(100 * x)))}f}%"


class ShortFormatter(Formatter):
    """Tick labels on one scale for the whole axis, the largest tick's (¥0.5K ... ¥3.0K, not
    ¥500 beside ¥1.0K), with the decimals that write every tick exactly; zero is plain.

    `each=True` is for a log axis, whose ticks are decades apart: each tick on its own scale
    (100, 1,000, 10K, 1M), never the largest's (0.000M).
    """

    def __init__(self, prefix: str = "", from_k: float = 1e3, each: bool = False):
        self.prefix, self.from_k, self.each = prefix, from_k, each

    def format_ticks(self, values) -> list[str]:
        values = [float(v) for v in values]
        return [self._ticks([v])[0] for v in values] if self.each else self._ticks(values)

    def _ticks(self, values: list[float]) -> list[str]:
        if not values:
            return []
        scale = _scale(max(abs(v) for v in values), self.from_k)
        decimals = _decimals(values, scale)
        return [f"{self.prefix}0" if v == 0 else _short(v, scale, decimals, self.prefix) for v in values]

    def __call__(self, x, pos=None) -> str:
        scale = _scale(abs(x), self.from_k)
        return _short(x, scale, 1 if scale[1] == "M" else 0, self.prefix)


class PercentTicks(Formatter):
    """Shares as percentages with the fewest decimals that write every tick exactly
    (0% 0.6% 1.2% 1.8%, not 0.00% 0.60% 1.20% 1.80%)."""

    def format_ticks(self, values) -> list[str]:
        percents = [100 * float(v) for v in values]
        decimals = _decimals(percents, (1.0, ""))
        return ["0%" if p == 0 else f"{p:.{decimals}f}%" for p in percents]

    def __call__(self, x, pos=None) -> str:
        return share(float(x))


YUAN = ShortFormatter("¥")
COUNT = ShortFormatter(from_k=1e4)
"""Counts stay whole (500, 1,000 ... 7,500) below ten thousand, then K or M."""
LOG_COUNT = ShortFormatter(from_k=1e4, each=True)
PERCENT = PercentTicks()
