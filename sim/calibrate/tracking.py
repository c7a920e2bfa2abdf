"""Tracking check by simulation: the calibrated population, left alone, run through the engine.

The closed-form holdout check (`holdout.py`) compares actual repeat transactions with BG/NBD
expectations. Here the same cohort is simulated with the scenario engine instead: every
calibration-period customer joins at their observed first purchase and then buys and drops out
by the fitted BG/NBD laws, with no marketing and no new visitors. Without a season the simulated
cumulative curve tracks the closed-form expected curve (same model, drawn instead of integrated);
with a seasonal surge (a calendar `season` window whose multiplier is set or fitted) it can
follow what the closed form cannot, such as a year-end peak.

Time: day 0 of the simulated calendar is the calibration end date; the holdout is days 1, 2, ...
A customer's clock starts at the end of their first-purchase day, so the time each one is
observed before the calibration end is the whole number of days used as T when fitting (and a
second purchase on the first day, which the same-day rule would merge, cannot happen).

Fitting a multiplier on the holdout's own season is a backcast: it shows how much of the
forecast error the season explains. The honest use is to fit the multiplier on one year's season
and set it (`--season START:END:MULT`) for the next year's forecast.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd

from sim import streams
from sim.model.calendar import Calendar
from sim.calibrate import bgnbd
from sim.calibrate.season import Season, default_season, parse_season
from sim.calibrate.transactions import Summary, cumulative_actual
from sim.model.engine import Engine
from sim.errors import DataError
from sim.model.customers import Customers, draw_traits
from sim.config.scenario import Scenario
from sim.config.loader import scenario_from_dict

DEFAULT_REPLICATIONS = 20
DEFAULT_SEED = 19970930
BAND = (0.05, 0.95)  # pointwise quantiles of the replications shown as the band
MULTIPLIER_BOUNDS = (0.0, 10.0)
_DAY = pd.Timedelta(days=1)
_HOURS = 24.0

# Season, default_season and parse_season live in `season`; they stay importable from here.
__all__ = ["BAND", "DEFAULT_REPLICATIONS", "DEFAULT_SEED", "MULTIPLIER_BOUNDS", "Cohort", "Season",
           "Simulated", "Tracking", "default_season", "fit_season", "parse_season",
           "simulate_cohort", "track"]


@dataclass(frozen=True)
class Cohort:
    """What the simulation needs from an order log: who started when, and the time grid.

    `first_day` holds each customer's first-purchase day relative to the calibration end (<= 0);
    `grid_day` the last day (relative, inclusive) of each reporting step; `end_day` the last
    day of the data.
    """

    first_day: np.ndarray
    grid_day: np.ndarray
    end_day: int
    calibration_end: pd.Timestamp

    @classmethod
    def from_summary(cls, summary: Summary, step_days: int = 7) -> Cohort:
        cal_end = summary.cal_end.floor("D")
        first = ((summary.customers["first"] - cal_end) / _DAY).to_numpy(dtype=float)
        start = summary.transactions["day"].min()
        grid = cumulative_actual(summary, step_days)["day"].to_numpy(dtype=float)
        offset = (start - cal_end) / _DAY
        return cls(first.astype(np.int64), (grid + offset).astype(np.int64),
                   int((summary.data_end.floor("D") - cal_end) / _DAY), cal_end)

    @property
    def start_day(self) -> int:
        return int(min(self.first_day.min(), self.grid_day.min(), 0))


@dataclass(frozen=True)
class Simulated:
    """Replications of the cohort's cumulative repeat transactions at every grid day's end.

    `runs[k, j]` counts replication k's repeat transactions up to the end of `grid_day[j]`;
    `holdout[k]` its repeat transactions after the calibration end.
    """

    season: tuple[Season, ...]
    grid_day: np.ndarray
    runs: np.ndarray
    holdout: np.ndarray
    fitted: bool = False

    @property
    def mean(self) -> np.ndarray:
        return self.runs.mean(axis=0)

    @property
    def low(self) -> np.ndarray:
        return np.quantile(self.runs, BAND[0], axis=0)

    @property
    def high(self) -> np.ndarray:
        return np.quantile(self.runs, BAND[1], axis=0)

    @property
    def holdout_mean(self) -> float:
        return float(self.holdout.mean())

    @property
    def holdout_band(self) -> tuple[float, float]:
        return float(np.quantile(self.holdout, BAND[0])), float(np.quantile(self.holdout, BAND[1]))


def _scenario(cohort: Cohort, buying: dict[str, float], season: list[dict], seed: int) -> Scenario:
    return scenario_from_dict({
        "version": 1,
        "name": "calibration_tracking",
        "calendar": {"start_day": cohort.start_day, "end_day": cohort.end_day, "season": season},
        "population": {
            "size": max(len(cohort.first_day), 1),
            "buying": {k: float(buying[k]) for k in ("r", "alpha", "a", "b")},
            "categories": {"all": {"share": 1.0, "cycle_days": 30.0, "order_value": 100.0}},
        },
        "traffic": {"daily_visitors": 0, "repeat_multiplier": 1, "preheat_multiplier": 1,
                    "preheat_days": 0, "afterglow": [], "hourly_shape": "flat"},
        "policies": {"no_marketing": {}},
        "run": {"seed": int(seed)},
    }, source="calibration tracking")


def _season_blocks(windows: tuple[Season, ...], cohort: Cohort) -> list[dict]:
    """Scenario `calendar.season` entries, clipped to the simulated days."""
    blocks = []
    for w in windows:
        s, e = w.days(cohort.calibration_end)
        s, e = max(s, cohort.start_day), min(e, cohort.end_day)
        if s <= e and w.multiplier != 1.0:
            blocks.append({"start_day": s, "end_day": e, "multiplier": float(w.multiplier)})
    return blocks


def _boundaries(days: np.ndarray) -> np.ndarray:
    """Hour at the end of each (relative) day."""
    return _HOURS * (np.asarray(days, dtype=float) + 1.0)


def simulate_cohort(cohort: Cohort, buying: dict[str, float], season=(), replications: int =
                    DEFAULT_REPLICATIONS, seed: int = DEFAULT_SEED, tick=None) -> Simulated:
    """Simulate the cohort with the engine, no marketing, `replications` times.

    `buying` holds BG/NBD r, alpha, a, b with time in weeks. Every season window needs a
    multiplier here. Replication k always draws the same customers and uniforms whatever the
    season (common random numbers), so curves for different multipliers differ only by the
    season's effect.
    """
    windows = tuple(season)
    if any(w.fit for w in windows):
        raise ValueError("simulate_cohort needs every season multiplier set; use fit_season")
    scenario = _scenario(cohort, buying, _season_blocks(windows, cohort), seed)
    calendar = Calendar.from_scenario(scenario)
    n = len(cohort.first_day)
    joined = _boundaries(cohort.first_day)
    # Orders are counted only at stretch ends (the grid's days, the calibration end and the
    # season's edges), where the engine's counts are exact whatever happens inside a stretch.
    edges = [d for w in windows for d in (w.days(cohort.calibration_end)[0] - 1,
                                          w.days(cohort.calibration_end)[1])]
    changes = list(_boundaries(np.unique(np.concatenate([cohort.grid_day, [0], edges]))))
    grid_hours = _boundaries(cohort.grid_day)
    runs = np.zeros((replications, len(grid_hours)))
    holdout = np.zeros(replications)
    for k in range(replications):
        traits = draw_traits(scenario, n, streams.generator(seed, k, streams.POPULATION))
        pop = Customers(
            **{f.name: getattr(traits, f.name) for f in fields(traits)},
            segment=np.zeros(n, dtype=np.int8),
            is_new=np.ones(n, dtype=bool), acquired=np.ones(n, dtype=bool), joined=joined.copy(),
            last_order=joined.copy())
        engine = Engine(calendar, pop, np.zeros(n), scenario.population.spend.p, seed, k)
        engine.run(changes)
        orders = engine.orders.arrays()
        repeat = np.sort(orders["time"][~orders["first"]])
        runs[k] = np.searchsorted(repeat, grid_hours, side="left")
        holdout[k] = len(repeat) - np.searchsorted(repeat, _boundaries(0), side="left")
        if tick is not None:
            tick()
    return Simulated(windows, cohort.grid_day, runs, holdout)


def _actual_at(summary: Summary, cohort: Cohort, days: np.ndarray) -> np.ndarray:
    """Actual repeat transactions of the cohort up to the end of each relative day."""
    tx = summary.transactions[summary.transactions["customer_id"].isin(summary.customers.index)]
    repeats = tx[tx.groupby("customer_id").cumcount() > 0]
    rday = np.sort(((repeats["day"] - cohort.calibration_end) / _DAY).to_numpy(dtype=float))
    return np.searchsorted(rday, np.asarray(days, dtype=float), side="right")


def _window_grid(cohort: Cohort, s: int, e: int) -> tuple[np.ndarray, int]:
    """Grid days inside window [s, e] plus its last day; and the day before it starts."""
    inside = cohort.grid_day[(cohort.grid_day >= s) & (cohort.grid_day < e)]
    return np.unique(np.append(inside, e)), s - 1


def fit_season(summary: Summary, cohort: Cohort, buying: dict[str, float], season,
               replications: int = DEFAULT_REPLICATIONS, seed: int = DEFAULT_SEED,
               bounds: tuple[float, float] = MULTIPLIER_BOUNDS, tick=None) -> Simulated:
    """Set every `fit` window's multiplier to best match the actual curve inside the window.

    Windows are fitted one after the other in time order (a later window cannot change the
    curve before it). The criterion is least squares between the actual and the mean simulated
    cumulative repeat transactions counted from the window's start, at each week end inside
    the window and at its last day; days after the window, whose level also depends on the
    model's long-run accuracy, do not pull the multiplier.
    """
    windows = sorted(season, key=lambda w: w.days(cohort.calibration_end)[0])
    for i, w in enumerate(windows):
        if not w.fit:
            continue
        s, e = w.days(cohort.calibration_end)
        s, e = max(s, cohort.start_day), min(e, cohort.end_day)
        if s > e:
            raise DataError(f"season {w.label(cohort.calibration_end)} lies outside the data")
        days, before = _window_grid(cohort, s, e)
        target = _actual_at(summary, cohort, days) - _actual_at(summary, cohort, [before])[0]
        probe = replace(cohort, grid_day=np.append(days, before), end_day=max(e, 0))

        def curve(m, i=i):
            trial = windows[:i] + [replace(windows[i], multiplier=float(m))] + \
                [replace(x, multiplier=1.0) for x in windows[i + 1:]]
            c = simulate_cohort(probe, buying, trial, replications, seed, tick).mean
            return c[:-1] - c[-1]

        windows[i] = replace(w, multiplier=round(_least_squares(curve, target, bounds), 3))
    sim = simulate_cohort(cohort, buying, windows, replications, seed, tick)
    return replace(sim, fitted=any(w.fit for w in season))


def _least_squares(curve, target: np.ndarray, bounds: tuple[float, float],
                   tol: float = 1e-3, max_steps: int = 10) -> float:
    """The m in `bounds` minimising |curve(m) - target|^2, by secant Gauss-Newton steps from 1.

    The simulated curve is close to linear in the multiplier (common random numbers keep it
    smooth), so a few steps suffice; each step costs one batch of replications.
    """
    lo, hi = bounds
    m0, m1 = 1.0, 2.0
    f0, f1 = curve(m0), curve(m1)
    for _ in range(max_steps):
        slope = (f1 - f0) / (m1 - m0)
        norm = float(slope @ slope)
        if norm == 0.0:
            break
        m2 = float(np.clip(m1 + slope @ (target - f1) / norm, lo, hi))
        if abs(m2 - m1) < tol:
            m1 = m2
            break
        m0, f0, m1, f1 = m1, f1, m2, curve(m2)
    return m1


@dataclass(frozen=True)
class Tracking:
    """Simulated vs closed-form vs actual repeat transactions, in the holdout and week by week.

    `cumulative` has columns period, day, actual, bgnbd (closed-form expected), period_type,
    simulated, simulated_low, simulated_high and, with a season, seasonal, seasonal_low,
    seasonal_high. `expected` is the closed-form expected holdout total along the same curve
    (unconditional, like the simulation) and `forecast` the conditional BG/NBD forecast.
    """

    cumulative: pd.DataFrame
    calibration_end: pd.Timestamp
    actual: int
    expected: float
    forecast: float
    baseline: Simulated
    seasonal: Simulated | None
    replications: int
    seed: int
    seconds: float

    def error(self, value: float) -> float:
        return value / self.actual - 1 if self.actual else float("nan")

    @property
    def error_expected(self) -> float:
        return self.error(self.expected)

    @property
    def error_forecast(self) -> float:
        return self.error(self.forecast)

    @property
    def error_simulated(self) -> float:
        return self.error(self.baseline.holdout_mean)

    @property
    def error_seasonal(self) -> float:
        return self.error(self.seasonal.holdout_mean) if self.seasonal else float("nan")

    def calendar_suggestion(self) -> dict | None:
        """A `calendar: {season: [...]}` block for a scenario, with the windows' dates."""
        if self.seasonal is None:
            return None
        cal_end = self.calibration_end
        season, dates = [], []
        for w in self.seasonal.season:
            s, e = w.days(cal_end)
            ds, de = w.dates(cal_end)
            season.append({"start_day": s, "end_day": e, "multiplier": float(w.multiplier)})
            dates.append({"start": str(ds.date()), "end": str(de.date()),
                          "multiplier": float(w.multiplier)})
        return {
            "day_zero": str(cal_end.date()),
            "season": season,
            "dates": dates,
            "fitted": bool(self.seasonal.fitted),
            "note": ("season days count from day_zero (the calibration end); re-count them from "
                     "your scenario's day 0. A multiplier fitted on the holdout is a backcast: fit "
                     "it on one year's season and set it for the next."),
        }


def track(summary: Summary, buying: dict[str, float], bg: tuple | None = None,
          forecast: float = float("nan"), season=None, fit_default: bool = True,
          replications: int = DEFAULT_REPLICATIONS, seed: int = DEFAULT_SEED,
          step_days: int = 7, progress=None) -> Tracking:
    """Simulate the calibrated cohort with no marketing and compare with the actual holdout.

    `summary` needs a holdout (a calibration end before the data end); `buying` is BG/NBD r,
    alpha, a, b in weeks (the population file's `buying`); `bg` the same parameters in the
    summary's unit for the closed-form curve (default: `buying` converted). `forecast` is the
    closed-form conditional forecast to show beside the simulation. `season`: Season windows
    (set or to fit); without one and with `fit_default`, the first year-end season inside the
    holdout (if any) is fitted. Returns the baseline (no season) and the seasonal simulation.
    `progress(done, None)` is called after each simulated replication (the season search makes
    the total unknown in advance).
    """
    if summary.cal_end >= summary.data_end:
        raise DataError("tracking needs a holdout: set a calibration end before the data's end")
    t0 = time.perf_counter()
    cohort = Cohort.from_summary(summary, step_days)
    if bg is None:  # weeks to the summary's unit: a rate per week is 7 / unit_days rates per unit
        bg = (buying["r"], buying["alpha"] * 7.0 / summary.unit_days, buying["a"], buying["b"])
    table = _closed_form_curve(summary, cohort, bg, step_days)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, None)

    baseline = simulate_cohort(cohort, buying, (), replications, seed, tick)
    windows = list(season or [])
    if not windows and fit_default:
        found = default_season(summary.cal_end, summary.data_end)
        windows = [found] if found is not None else []
    seasonal = fit_season(summary, cohort, buying, windows, replications, seed, tick=tick) if windows else None
    table["simulated"], table["simulated_low"], table["simulated_high"] = \
        baseline.mean, baseline.low, baseline.high
    if seasonal is not None:
        table["seasonal"], table["seasonal_low"], table["seasonal_high"] = \
            seasonal.mean, seasonal.low, seasonal.high
    last_day = np.array([cohort.end_day])
    actual = int(_actual_at(summary, cohort, last_day)[0] - _actual_at(summary, cohort, [0])[0])
    expected = float(_expected_at(summary, cohort, bg, last_day)[0]
                     - _expected_at(summary, cohort, bg, np.array([0]))[0])
    return Tracking(table, summary.cal_end, actual, expected, float(forecast), baseline, seasonal,
                    replications, seed, time.perf_counter() - t0)


def _expected_at(summary: Summary, cohort: Cohort, bg: tuple, days: np.ndarray) -> np.ndarray:
    """Closed-form expected cumulative repeat transactions up to the end of each relative day."""
    first, counts = np.unique(cohort.first_day, return_counts=True)
    elapsed = np.asarray(days, dtype=float)[:, None] - first[None, :]
    units = np.clip(elapsed, 0.0, None) / summary.unit_days
    return (bgnbd.expected_purchases(bg, units) * (elapsed >= 0)) @ counts


def _closed_form_curve(summary: Summary, cohort: Cohort, bg: tuple, step_days: int) -> pd.DataFrame:
    table = cumulative_actual(summary, step_days)
    table["bgnbd"] = _expected_at(summary, cohort, bg, cohort.grid_day)
    table["period_type"] = np.where(cohort.grid_day <= 0, "calibration", "holdout")
    return table
