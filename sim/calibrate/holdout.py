"""Holdout checks of the fitted repeat-purchase models, as in Fader, Hardie & Lee (2005, Figs 2-4).

Both tables concern the calibration cohort only (customers whose first purchase is on or before
the calibration end): repeat transactions in the holdout, per customer grouped by the number of
repeat transactions in the calibration period, and cumulated week by week over the whole data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.calibrate import bgnbd, pareto_nbd
from sim.calibrate.transactions import Summary, cumulative_actual

TOP_FREQUENCY = 7
_DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class Holdout:
    """Holdout tables and the aggregate forecast error of the BG/NBD conditional forecast."""

    by_frequency: pd.DataFrame
    cumulative: pd.DataFrame
    length: float
    actual: int
    predicted_bgnbd: float
    predicted_pareto_nbd: float

    @property
    def error_bgnbd(self) -> float:
        """Relative error of the BG/NBD forecast of holdout repeat transactions (-0.14 = 14 % low)."""
        return self.predicted_bgnbd / self.actual - 1 if self.actual else float("nan")


def _pareto_forecast(summary: Summary, pnbd: tuple | None) -> np.ndarray:
    """Pareto/NBD conditional forecast per customer; NaN when the model was not fitted."""
    c = summary.customers
    if not pnbd:
        return np.full(len(c), np.nan)
    return np.asarray(pareto_nbd.conditional_expected_purchases(
        pnbd, summary.holdout_length, c["x"], c["t_x"], c["T"]), dtype=float)


def by_frequency(summary: Summary, bg: tuple, pnbd: tuple | None) -> pd.DataFrame:
    """Mean holdout transactions per customer, actual vs predicted, by calibration frequency.

    `pnbd` is None (or empty) when Pareto/NBD could not be fitted: its column is then NaN.
    """
    c = summary.customers
    t = summary.holdout_length
    frame = pd.DataFrame({
        "frequency": np.minimum(c["x"], TOP_FREQUENCY),
        "actual": c["x_holdout"],
        "bgnbd": bgnbd.conditional_expected_purchases(bg, t, c["x"], c["t_x"], c["T"]),
        "pareto_nbd": _pareto_forecast(summary, pnbd),
    })
    table = frame.groupby("frequency").agg(
        customers=("actual", "size"), actual=("actual", "mean"),
        bgnbd=("bgnbd", "mean"), pareto_nbd=("pareto_nbd", "mean")).reset_index()
    table["frequency"] = table["frequency"].astype(str)
    table.loc[table["frequency"] == str(TOP_FREQUENCY), "frequency"] = f"{TOP_FREQUENCY}+"
    return table


def cumulative(summary: Summary, bg: tuple, step_days: int = 7) -> pd.DataFrame:
    """Cumulative repeat transactions, actual vs BG/NBD expected, at the end of every week."""
    table = cumulative_actual(summary, step_days)
    start = summary.transactions["day"].min()
    first_day = ((summary.customers["first"] - start) / _DAY).to_numpy(dtype=float)
    days, counts = np.unique(first_day, return_counts=True)
    elapsed = table["day"].to_numpy(dtype=float)[:, None] - days[None, :]
    units = np.clip(elapsed, 0.0, None) / summary.unit_days
    expected = bgnbd.expected_purchases(bg, units) * (elapsed >= 0)
    table["bgnbd"] = expected @ counts
    cal_days = (summary.cal_end - start) / _DAY
    table["period_type"] = np.where(table["day"] <= cal_days, "calibration", "holdout")
    return table


def score_holdout(summary: Summary, bg: tuple, pnbd: tuple | None) -> Holdout:
    """All holdout comparisons for fitted BG/NBD and Pareto/NBD parameters (Pareto/NBD
    forecasts are NaN when `pnbd` is None or empty: the model could not be fitted)."""
    c = summary.customers
    t = summary.holdout_length
    pred_bg = bgnbd.conditional_expected_purchases(bg, t, c["x"], c["t_x"], c["T"])
    pred_pn = _pareto_forecast(summary, pnbd)
    return Holdout(by_frequency(summary, bg, pnbd), cumulative(summary, bg), t,
                   int(c["x_holdout"].sum()), float(np.sum(pred_bg)), float(np.sum(pred_pn)))
