"""Season windows (type, parser, year-end default): plain data kept apart from the simulation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import DataError

_DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class Season:
    """A window of days in which every customer buys at `multiplier` times their usual rate.

    `start` and `end` (inclusive) are dates, or whole days counted from the calibration end
    (1 = the first holdout day). `multiplier=None` means "fit it".
    """

    start: pd.Timestamp | int
    end: pd.Timestamp | int
    multiplier: float | None = None

    @property
    def fit(self) -> bool:
        return self.multiplier is None

    def days(self, calibration_end: pd.Timestamp) -> tuple[int, int]:
        """The window as days relative to the calibration end (day 0)."""
        def rel(d):
            if isinstance(d, (int, np.integer)):
                return int(d)
            return int((pd.Timestamp(d).floor("D") - calibration_end.floor("D")) / _DAY)
        return rel(self.start), rel(self.end)

    def dates(self, calibration_end: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
        s, e = self.days(calibration_end)
        base = calibration_end.floor("D")
        return base + s * _DAY, base + e * _DAY

    def label(self, calibration_end: pd.Timestamp) -> str:
        s, e = self.dates(calibration_end)
        mult = "fit" if self.fit else f"{self.multiplier:.3g}"
        return f"{s.date()} to {e.date()} x {mult}"


def parse_season(text: str) -> Season:
    """Parse `START:END:MULT` (dates YYYY-MM-DD; MULT a number >= 0 or `fit`)."""
    parts = text.strip().split(":")
    if len(parts) != 3:
        raise DataError(f"season {text!r}: expected START:END:MULT, e.g. 1997-11-01:1997-12-24:fit")
    try:
        start, end = pd.Timestamp(parts[0]), pd.Timestamp(parts[1])
    except (ValueError, TypeError):
        raise DataError(f"season {text!r}: START and END must be dates (YYYY-MM-DD)") from None
    if end < start:
        raise DataError(f"season {text!r}: END is before START")
    if parts[2].strip().lower() == "fit":
        return Season(start, end, None)
    try:
        mult = float(parts[2])
    except ValueError:
        raise DataError(f"season {text!r}: MULT must be a number or 'fit'") from None
    if not np.isfinite(mult) or mult < 0:
        raise DataError(f"season {text!r}: MULT must be a number >= 0")
    return Season(start, end, mult)


def default_season(calibration_end: pd.Timestamp, data_end: pd.Timestamp) -> Season | None:
    """The first year-end gift season (1 Nov to 24 Dec) wholly inside the holdout, to fit."""
    for year in range(calibration_end.year, data_end.year + 1):
        start, end = pd.Timestamp(year, 11, 1), pd.Timestamp(year, 12, 24)
        if start > calibration_end and end <= data_end:
            return Season(start, end, None)
    return None
