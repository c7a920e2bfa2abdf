"""The event calendar: how demand and traffic vary hour by hour around day 0.

Every customer's own purchase intensity is lambda_i * g(t), where g is this module's
hourly buying multiplier (1 on an ordinary hour-weighted day). Integrating g once gives a
cumulative "buying clock" G; a customer's expected purchases over [t0, t1) are then
lambda_i * (G(t1) - G(t0)), and order times inside the interval are drawn by
inverting G. That is what lets sim.model.purchases draw everyone's own purchases for the
whole calendar at once, with the day-0 hourly surge included exactly.

Competitors' promotions (`competition`) lower new visitors and their conversion on the days
named. In the pre-heat (`traffic.preheat_days` before day 0) shoppers buy at `preheat_multiplier`
of their rate because they wait for the sale. The intensity they withhold, (1 - multiplier)
of an ordinary day, is integrated into a second clock W; the purchases it would have
produced are placed on days 0-1 instead (less `preheat_lost_share`; sim.model.purchases).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config.scenario import Scenario

# Relative order intensity by hour of day; each shape is normalised to mean 1 over 24 hours.
_SHAPES = {
    # Midnight rush as the sale opens, a lull before dawn, daytime and evening peaks.
    "double11": [14.0, 8.0, 4.0, 2.0, 1.2, 1.0, 1.2, 2.0, 3.0, 4.0, 4.5, 4.5,
                 4.2, 4.0, 4.0, 4.0, 3.8, 3.8, 4.0, 4.5, 5.0, 5.5, 5.0, 4.5],
    # An ordinary shopping day: quiet nights, lunch and commute peaks, evening high.
    "ordinary": [1.5, 0.8, 0.4, 0.3, 0.3, 0.4, 0.8, 1.5, 2.5, 3.5, 4.0, 4.2,
                 4.5, 4.0, 3.8, 3.8, 4.0, 4.0, 4.2, 5.0, 5.5, 5.8, 5.0, 3.0],
    "flat": [1.0] * 24,
}


def hourly_shape(shape: str | list[float]) -> np.ndarray:
    """A 24-vector of hour-of-day weights with mean 1."""
    w = np.asarray(_SHAPES[shape] if isinstance(shape, str) else shape, dtype=float)
    return w * (24.0 / w.sum())


@dataclass(frozen=True)
class Calendar:
    """Hourly multipliers over the simulated horizon and their cumulative integrals.

    `buying[h]` multiplies existing customers' purchase rates during hour h of the horizon;
    `visitors[h]` is the expected number of new visitors in that hour. Hour 0 of the horizon
    is `start` (hours relative to the start of day 0).
    """

    start: float
    end: float
    buying: np.ndarray
    visitors: np.ndarray
    conversion: np.ndarray
    discount: np.ndarray
    cum_buying: np.ndarray
    cum_waiting: np.ndarray  # integrated intensity withheld in the pre-heat, same grid as cum_buying

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> Calendar:
        cal, traffic = scenario.calendar, scenario.traffic
        days = np.arange(cal.start_day, cal.end_day + 1)
        day_buy = np.ones(len(days))
        day_visit = np.ones(len(days))
        day_wait = np.zeros(len(days))
        for i, d in enumerate(days):
            if d == 0:
                day_buy[i] = traffic.repeat_multiplier
                day_visit[i] = traffic.event_multiplier
            elif -traffic.preheat_days <= d < 0:
                day_buy[i] = traffic.preheat_multiplier
                day_wait[i] = max(1.0 - traffic.preheat_multiplier, 0.0)
            elif 1 <= d <= len(traffic.afterglow):
                day_buy[i] = day_visit[i] = traffic.afterglow[d - 1]
        for w in cal.season:
            mask = (days >= w.start_day) & (days <= w.end_day)
            day_buy[mask] *= w.multiplier
            day_wait[mask] *= w.multiplier
        ordinary = hourly_shape("flat" if traffic.hourly_shape == "flat" else "ordinary")
        event = hourly_shape(traffic.hourly_shape)
        shapes = np.where((days == 0)[:, None], event[None, :], ordinary[None, :])
        buying = (day_buy[:, None] * shapes).ravel()
        rival_visits, rival_conversion = (np.asarray(f) for f in scenario.competition.factors(days))
        visitors = ((day_visit * rival_visits)[:, None] * shapes).ravel() * (traffic.daily_visitors / 24.0)
        event_conv = traffic.conversion if traffic.event_conversion is None else traffic.event_conversion
        is_event = np.repeat(days == 0, 24)
        conversion = np.where(is_event, event_conv, traffic.conversion) * np.repeat(rival_conversion, 24)
        discount = np.where(is_event, scenario.economics.event_discount, 0.0)
        cum = np.concatenate([[0.0], np.cumsum(buying)])
        waiting = np.concatenate([[0.0], np.cumsum((day_wait[:, None] * shapes).ravel())])
        return cls(cal.start_hour, cal.end_hour, buying, visitors, conversion, discount, cum, waiting)

    @property
    def hours(self) -> int:
        return len(self.buying)

    def clock(self, t: np.ndarray | float) -> np.ndarray:
        """G(t): integrated buying multiplier from the start up to hour t (piecewise linear)."""
        return np.interp(np.asarray(t, dtype=float) - self.start, np.arange(self.hours + 1), self.cum_buying)

    def waiting_clock(self, t: np.ndarray | float) -> np.ndarray:
        """W(t): integrated pre-heat intensity withheld by waiting shoppers up to hour t."""
        return np.interp(np.asarray(t, dtype=float) - self.start, np.arange(self.hours + 1), self.cum_waiting)

    def clock_inverse(self, g: np.ndarray) -> np.ndarray:
        """The hour t at which G(t) = g; hours with zero intensity are skipped over."""
        x = np.arange(self.hours + 1, dtype=float)
        # np.interp needs increasing x-points: drop the flat stretches of G (zero-intensity hours).
        keep = np.concatenate([[True], np.diff(self.cum_buying) > 0])
        return self.start + np.interp(g, self.cum_buying[keep], x[keep])

    def discount_at(self, t: np.ndarray) -> np.ndarray:
        """Event discount rate in force at each hour t."""
        idx = np.clip(((t - self.start) // 1).astype(np.int64), 0, self.hours - 1)
        return self.discount[idx]

    def day_of(self, t: np.ndarray) -> np.ndarray:
        """Calendar day (relative to day 0) of each hour t."""
        return np.floor(np.asarray(t) / 24.0).astype(np.int64)
