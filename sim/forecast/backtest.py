"""Backtest: fit the scenario's traffic and order-value levels to last year's earlier days and
measure the forecast error on the held-out last days.

The actual figures are a CSV with columns day (relative to the event day), visitors, orders
and gmv (yuan). The fit keeps the customer base as the scenario gives it and scales three
levels on the fitting days, in turn:
  1. daily_visitors by actual / simulated visitors (new visitors of the traffic model);
  2. conversion (and event_conversion) so that first orders, which scale with visitors x
     conversion, make up the gap between actual orders and the base's repeat orders;
  3. every category's order_value by actual / predicted average order value.
The fitted scenario is then simulated again and compared with the actual held-out days.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import DataError
from sim.forecast.decomposition import quantiles
from sim.forecast.sensitivity import scale_conversion, scale_order_value, traffic_scaler
from sim.config.scenario import Scenario

COLUMNS = ("day", "visitors", "orders", "gmv")
METRICS = ("visitors", "orders", "gmv")

Simulate = Callable[[Scenario], pd.DataFrame]
"""Simulates a scenario and returns the daily table of one policy (replication, day, metrics)."""


def read_actuals(path: str | Path, calendar_days: tuple[int, int] | None = None) -> pd.DataFrame:
    """Read and check last year's daily figures; raise DataError naming what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read as CSV ({exc})") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {missing}; expected {list(COLUMNS)} "
                        f"(found {list(frame.columns)})")
    if frame.empty:
        raise DataError(f"{path}: no rows")
    for column in COLUMNS:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = frame.index[values.isna() | (values < 0 if column != "day" else False)]
        if len(bad):
            lines = ", ".join(str(i + 2) for i in bad[:5])
            raise DataError(f"{path}: column {column!r} needs {'whole numbers' if column == 'day' else 'numbers >= 0'}; "
                            f"bad value(s) on line(s) {lines}")
        frame[column] = values
    if (frame["day"] != frame["day"].round()).any():
        raise DataError(f"{path}: column 'day' needs whole days relative to the event day (0)")
    frame["day"] = frame["day"].astype(int)
    if frame["day"].duplicated().any():
        dup = sorted(frame.loc[frame["day"].duplicated(), "day"].unique().tolist())
        raise DataError(f"{path}: day(s) {dup} appear more than once")
    if calendar_days is not None:
        outside = frame.loc[~frame["day"].between(*calendar_days), "day"].tolist()
        if outside:
            raise DataError(f"{path}: day(s) {outside[:5]} lie outside the scenario's calendar "
                            f"{calendar_days[0]}..{calendar_days[1]}")
    return frame[list(COLUMNS)].sort_values("day", ignore_index=True)


@dataclass(frozen=True)
class Backtest:
    """Fitted scale factors, the per-day comparison and the error on the held-out days."""

    factors: dict[str, float]
    days: pd.DataFrame  # day, metric, actual, mean, p10, p50, p90, error, pct_error, held_out, covered
    holdout_days: int

    def errors(self) -> pd.DataFrame:
        """Per metric on the held-out days: mean absolute percentage error and P10-P90 coverage."""
        held = self.days[self.days["held_out"]]
        return held.groupby("metric", sort=False).agg(
            mape=("pct_error", lambda x: float(np.mean(np.abs(x)))),
            bias=("pct_error", "mean"), covered=("covered", "mean"), days=("day", "count")).reset_index()


def _means(daily: pd.DataFrame, days) -> pd.DataFrame:
    d = daily[daily["day"].isin(days)].copy()
    d["first"] = d["new_buyers"]
    return d.groupby("day")[["visitors", "orders", "first", "gmv"]].mean()


def fit(scenario: Scenario, actuals: pd.DataFrame, daily: pd.DataFrame, holdout_days: int) -> tuple[Scenario, dict]:
    """Scale daily_visitors, conversion and order value to the fitting days (see module doc)."""
    fit_days = actuals["day"].iloc[: len(actuals) - holdout_days]
    sim_ = _means(daily, fit_days).sum()
    act = actuals[actuals["day"].isin(fit_days)][list(METRICS)].sum()
    f_visitors = act["visitors"] / sim_["visitors"] if sim_["visitors"] > 0 else 1.0
    repeat = sim_["orders"] - sim_["first"]
    new_orders = f_visitors * sim_["first"]
    f_conversion = max(act["orders"] - repeat, 0.0) / new_orders if new_orders > 0 else 1.0
    f_conversion = max(f_conversion, 1e-6)
    predicted_orders = repeat + new_orders * f_conversion
    sim_aov = sim_["gmv"] / sim_["orders"] if sim_["orders"] > 0 else np.nan
    act_aov = act["gmv"] / act["orders"] if act["orders"] > 0 else np.nan
    f_value = act_aov / sim_aov if sim_aov > 0 and act_aov > 0 else 1.0
    fitted = scale_order_value(scale_conversion(traffic_scaler("daily_visitors")(scenario, f_visitors), f_conversion), f_value)
    factors = {"daily_visitors": float(f_visitors), "conversion": float(f_conversion), "order_value": float(f_value),
               "predicted_orders_fit_days": float(predicted_orders)}
    return fitted, factors


def day_errors(actuals: pd.DataFrame, daily: pd.DataFrame, holdout_days: int) -> pd.DataFrame:
    """Actual vs simulated mean and band per day and metric; pct_error = (mean - actual) / actual."""
    held = set(actuals["day"].iloc[len(actuals) - holdout_days:])
    rows = []
    for _, a in actuals.iterrows():
        sim_day = daily[daily["day"] == a["day"]]
        for m in METRICS:
            p10, p50, p90 = quantiles(sim_day[m])
            mean = float(sim_day[m].mean())
            actual = float(a[m])
            rows.append({"day": int(a["day"]), "metric": m, "actual": actual, "mean": mean, "p10": p10,
                         "p50": p50, "p90": p90, "error": mean - actual,
                         "pct_error": (mean - actual) / actual if actual > 0 else np.nan,
                         "held_out": int(a["day"]) in held, "covered": bool(p10 <= actual <= p90)})
    return pd.DataFrame(rows)


def backtest(scenario: Scenario, actuals: pd.DataFrame, holdout_days: int, simulate: Simulate) -> Backtest:
    """Fit on all but the last `holdout_days` days of `actuals`, forecast, and score the held-out days."""
    if not 1 <= holdout_days < len(actuals):
        raise DataError(f"--holdout-days must be between 1 and {len(actuals) - 1} (the file has "
                        f"{len(actuals)} days), got {holdout_days}")
    fitted, factors = fit(scenario, actuals, simulate(scenario), holdout_days)
    return Backtest(factors, day_errors(actuals, simulate(fitted), holdout_days), holdout_days)
