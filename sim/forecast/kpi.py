"""The KPI plan: what to expect day by day and, on the event day, hour by hour, with bands.

Each row is one period (a day, or an hour of day 0) and one metric, with the mean and the
P10, P50 and P90 over replications (Weibull plotting positions, see decomposition). Daily
visitors are new visitors from the traffic model; the event-day hours also give traffic
(new visitors plus existing customers who ordered). Payment and fulfilment columns come
from the operations tables when the scenario's operations are enabled.
"""

from __future__ import annotations

import pandas as pd

from sim.forecast.decomposition import quantiles

DAILY = ("visitors", "orders", "gmv")
HOURLY = ("visitors", "traffic", "orders", "gmv")
_KEYS = ("replication", "policy", "day", "hour")
_OPS_WORDS = ("paid", "unpaid", "shipped", "closed", "recovered", "backlog")
"""Operations columns kept: orders paid, unpaid, closed unpaid, paid after a reminder (gross and
incremental), shipped, and the backlog (paid, not shipped yet)."""


def _bands(frame: pd.DataFrame, by: str, metrics: list[str]) -> pd.DataFrame:
    rows = []
    for period, group in frame.groupby(by, sort=True):
        for m in metrics:
            x = group[m].dropna()
            if x.empty:
                continue
            p10, p50, p90 = quantiles(x)
            rows.append({by: period, "metric": m, "mean": float(x.mean()), "p10": p10, "p50": p50, "p90": p90})
    return pd.DataFrame(rows)


def _ops_columns(frame: pd.DataFrame | None) -> list[str]:
    """Numeric operations columns about payment and shipping (names vary with the operations model)."""
    if frame is None:
        return []
    return [c for c in frame.columns if c not in _KEYS and pd.api.types.is_numeric_dtype(frame[c])
            and any(w in c for w in _OPS_WORDS)]


def kpi_plan(daily: pd.DataFrame, hourly: pd.DataFrame, operations_hourly: pd.DataFrame | None = None,
             days: tuple[int, int] | None = None) -> pd.DataFrame:
    """Bands per day (optionally only days in [first, last]) and per event-day hour.

    Returns columns scope ('day' or 'event_hour'), day, hour, metric, mean, p10, p50, p90;
    money in yuan. All frames are for one policy.
    """
    if days is not None:
        daily = daily[daily["day"].between(*days)]
    ops_daily = [c for c in daily.columns if c.startswith("ops_") and pd.api.types.is_numeric_dtype(daily[c])]
    by_day = _bands(daily, "day", [*DAILY, *ops_daily])
    by_day.insert(0, "scope", "day")
    by_day.insert(2, "hour", pd.NA)
    hours = hourly
    ops = _ops_columns(operations_hourly)
    if ops and "hour" in operations_hourly.columns:
        # operations hours count from 00:00 on day 0 and run past it while the warehouse clears
        ops_day0 = operations_hourly[operations_hourly["hour"].between(0, 23)]
        hours = hourly.merge(ops_day0[["replication", "hour", *ops]], on=["replication", "hour"], how="left")
    else:
        ops = []
    by_hour = _bands(hours, "hour", [*HOURLY, *ops])
    by_hour.insert(0, "scope", "event_hour")
    by_hour.insert(1, "day", 0)
    return pd.concat([by_day, by_hour[by_day.columns]], ignore_index=True)
