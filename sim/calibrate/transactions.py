"""From orders to transactions to the per-customer summary the models are fitted on.

Time is measured in whole days between purchase dates and divided by the unit length (7 for
weeks); it is never binned into calendar weeks. Purchases on or before `calibration_end` are in
the calibration period and T runs from the first purchase date to the calibration end date, the
convention of the published CDNOW analyses (Fader, Hardie & Lee 2005: x repeat transactions,
the last at t_x, observed for T since the first purchase). The holdout runs from the day after
the calibration end to the last date in the data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import DataError

UNIT_DAYS = {"day": 1.0, "week": 7.0}
SAME_DAY_RULES = ("merge", "keep")
_DAY = pd.Timedelta(days=1)


def to_transactions(orders: pd.DataFrame, same_day: str = "merge") -> pd.DataFrame:
    """One row per transaction (customer_id, time, amount), sorted by customer and time.

    With `same_day="merge"` all orders of a customer on one calendar day are one transaction
    (amounts summed, time = start of that day); with "keep" every order is its own transaction.
    """
    if same_day not in SAME_DAY_RULES:
        raise ValueError(f"same_day must be one of {SAME_DAY_RULES}, not {same_day!r}")
    tx = orders[["customer_id", "time", "amount"]]
    if same_day == "merge":
        tx = tx.assign(time=tx["time"].dt.floor("D"))
        tx = tx.groupby(["customer_id", "time"], as_index=False, sort=False)["amount"].sum()
    return tx.sort_values(["customer_id", "time"], kind="stable").reset_index(drop=True)


@dataclass
class Summary:
    """Per-customer statistics of the calibration period (and holdout counts, if any).

    `cal_end` and `data_end` are the last dates of the calibration period and of the data.

    `customers` is indexed by customer_id with columns: x (repeat transactions), t_x, T (in
    units), first (timestamp), n_tx (all transactions), spend (total), recency_days, gg_x and
    gg_mean (number and mean value of positive repeat transactions, for Gamma-Gamma) and, with a
    holdout, x_holdout.
    """

    customers: pd.DataFrame
    transactions: pd.DataFrame
    cal_end: pd.Timestamp
    data_end: pd.Timestamp
    unit_days: float
    zero_value_repeats: int

    @property
    def holdout_length(self) -> float:
        """Length of the holdout period in units (0 without a holdout)."""
        return (self.data_end - self.cal_end) / _DAY / self.unit_days


def period_bounds(tx: pd.DataFrame, calibration_end: pd.Timestamp | None,
                  where: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Last date of the calibration period and of the data."""
    start, last = tx["time"].min().floor("D"), tx["time"].max().floor("D")
    if calibration_end is None:
        return last, last
    end = pd.Timestamp(calibration_end).floor("D")
    if not start <= end < last:
        raise DataError(f"{where}: calibration end {end.date()} is outside the data range "
                        f"{start.date()} to {last.date()} (it must leave a holdout after it)")
    return end, last


def _repeat_spend(cal: pd.DataFrame) -> pd.DataFrame:
    """Count and mean of positive-value repeat transactions per customer."""
    repeats = cal[cal.groupby("customer_id").cumcount() > 0]
    positive = repeats[repeats["amount"] > 0]
    g = positive.groupby("customer_id")["amount"]
    return pd.DataFrame({"gg_x": g.size(), "gg_mean": g.mean()})


def summarise(tx: pd.DataFrame, calibration_end: pd.Timestamp | None = None,
              unit: str = "week", where: str = "orders") -> Summary:
    """Summarise transactions per customer for model fitting; `where` names the source in errors."""
    unit_days = UNIT_DAYS[unit]
    cal_end, data_end = period_bounds(tx, calibration_end, where)
    tx = tx.assign(day=tx["time"].dt.floor("D"))
    cal = tx[tx["day"] <= cal_end]
    g = cal.groupby("customer_id")
    first, last = g["day"].min(), g["day"].max()
    days = lambda delta: (delta / _DAY).to_numpy(dtype=float)  # noqa: E731
    cust = pd.DataFrame({
        "x": (g.size() - 1).astype(int),
        "t_x": days(last - first) / unit_days,
        "T": days(cal_end - first) / unit_days,
        "first": first,
        "n_tx": g.size().astype(int),
        "spend": g["amount"].sum(),
        "recency_days": days(cal_end - last),
    })
    cust = cust.join(_repeat_spend(cal))
    cust["gg_x"] = cust["gg_x"].fillna(0).astype(int)
    zero = int((cust["x"] - cust["gg_x"]).sum())
    if cal_end < data_end:
        hold = tx[(tx["day"] > cal_end) & tx["customer_id"].isin(cust.index)]
        counts = hold.groupby("customer_id").size()
        cust["x_holdout"] = counts.reindex(cust.index, fill_value=0).astype(int)
    return Summary(cust, tx, cal_end, data_end, unit_days, zero)


def cumulative_actual(summary: Summary, step_days: int = 7) -> pd.DataFrame:
    """Cumulative repeat transactions of the calibration cohort at the end of every step.

    Returns columns period (1, 2, ...), day (days from the first purchase date in the data to the
    last day of the step, inclusive) and actual (repeat transactions up to that day).
    """
    tx = summary.transactions
    tx = tx[tx["customer_id"].isin(summary.customers.index)]
    repeats = tx[tx.groupby("customer_id").cumcount() > 0]
    start = tx["day"].min()
    last = int((summary.data_end - start) / _DAY)
    period = np.arange(1, -(-(last + 1) // step_days) + 1)
    grid = np.minimum(period * step_days - 1, last)
    rday = np.sort(((repeats["day"] - start) / _DAY).to_numpy(dtype=float))
    actual = np.searchsorted(rday, grid, side="right")
    return pd.DataFrame({"period": period, "day": grid, "actual": actual})
