"""The order-value model of a calibration: Gamma-Gamma when the data identify it, else pooled.

A Gamma-Gamma fit is "not identified" (rule checked in this order):

1. fewer than MIN_REPEATERS (10) customers have a positive-value repeat transaction;
2. the positive repeat-transaction values hardly vary: (max - min) / mean < ONE_PRICE_SPREAD
   (0.1 %), as in a one-price shop (customers then cannot differ in mean value, q -> infinity);
3. the likelihood has no finite maximum (an estimate runs off towards 0 or infinity);
4. the shape p or q lies outside SHAPE_BOUNDS (1e-6 to 1e6: at 1e6 order values vary by 0.1 %
   within or between customers, so the estimate is at the edge of what the data can say);
5. a standard error is not finite (singular or indefinite Hessian at the optimum);
6. q <= 1, which gives an infinite mean order value the simulator cannot use.

Then every customer's expected order value is the shop's mean order value: the mean of all
positive-value transactions in the calibration period (currency units), with spend parameters
from `gamma_gamma.pooled_params`. The purchase models are unaffected: they do not use values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.calibrate import gamma_gamma
from sim.calibrate.mle import FitResult, NoFiniteMaximum
from sim.calibrate.transactions import Summary
from sim.errors import DataError

MIN_REPEATERS = 10
ONE_PRICE_SPREAD = 1e-3
SHAPE_BOUNDS = (1e-6, 1e6)
POOLED_MODEL = "Gamma-Gamma (pooled fallback)"


@dataclass(frozen=True)
class SpendModel:
    """The spend fit written to the population file, and what happened if it is pooled.

    `fallback` is None for a regular Gamma-Gamma fit, else the population file's
    `spend_fallback` entry (reason, pooled mean order value, counts); `note` the warning.
    """

    fit: FitResult
    fallback: dict | None = None
    note: str | None = None

    @property
    def pooled_mean(self) -> float | None:
        """The pooled mean order value (currency units), or None for a regular fit."""
        return None if self.fallback is None else self.fallback["mean_order_value"]


def _calibration_values(summary: Summary) -> tuple[np.ndarray, np.ndarray]:
    """Positive values of all, and of the repeat, transactions in the calibration period."""
    tx = summary.transactions
    cal = tx[tx["day"] <= summary.cal_end]
    repeat = (cal.groupby("customer_id").cumcount() > 0).to_numpy()
    amount = cal["amount"].to_numpy(dtype=float)
    positive = amount > 0
    return amount[positive], amount[positive & repeat]


def _fit_problem(fit: FitResult) -> str | None:
    """Why a finished Gamma-Gamma fit cannot be used (rules 4 to 6), or None."""
    low, high = SHAPE_BOUNDS
    extreme = [f"{k} = {fit.params[k]:.3g}" for k in ("p", "q") if not low <= fit.params[k] <= high]
    if extreme:
        return f"the estimates run off to extreme values ({', '.join(extreme)})"
    unknown = [k for k, se in fit.se.items() if not np.isfinite(se)]
    if unknown:
        return f"the standard errors of {', '.join(unknown)} are not finite"
    if fit.params["q"] <= 1:
        return f"q = {fit.params['q']:.3g} <= 1 gives an infinite mean order value"
    return None


def _identify(x: np.ndarray, m: np.ndarray, repeat_values: np.ndarray
              ) -> tuple[FitResult | None, str | None]:
    """The Gamma-Gamma fit, or None and the reason it is not identified (rules 1 to 6).

    x, m: per customer, count and mean of positive repeat values; `repeat_values` those values.
    """
    n = int(np.count_nonzero((x >= 1) & (m > 0)))  # > 0 exactly when repeat_values is not empty
    if n < MIN_REPEATERS:
        return None, (f"only {n} customer(s) have a repeat purchase with a positive value; "
                      f"at least {MIN_REPEATERS} are needed")
    lo, hi, mean = repeat_values.min(), repeat_values.max(), repeat_values.mean()
    if hi == lo:
        return None, f"every repeat purchase has the same value, {lo:,.2f}"
    if (hi - lo) / mean < ONE_PRICE_SPREAD:
        return None, (f"repeat purchase values differ by less than {ONE_PRICE_SPREAD:.1%} "
                      f"({lo:,.4f} to {hi:,.4f})")
    try:
        fit = gamma_gamma.fit(x, m)
    except NoFiniteMaximum as exc:
        where = f" ({', '.join(exc.runaway)})" if exc.runaway else ""
        return None, f"the likelihood has no finite maximum{where}"
    problem = _fit_problem(fit)
    return (None, problem) if problem else (fit, None)


def fit_spend(summary: Summary) -> SpendModel:
    """Fit Gamma-Gamma on the calibration period, or pool the order values (module docstring).

    Raises DataError only when no transaction has a positive value.
    """
    c = summary.customers
    x, m = c["gg_x"].to_numpy(dtype=float), c["gg_mean"].to_numpy(dtype=float)
    values, repeat_values = _calibration_values(summary)
    if len(values) == 0:
        raise DataError("no transaction in the calibration period has a positive value; "
                        "order values cannot be modelled")
    fit, reason = _identify(x, m, repeat_values)
    if fit is not None:
        return SpendModel(fit)
    params = gamma_gamma.pooled_params(values, int(np.nanmax(x, initial=0)))
    mean = float(np.mean(values))
    n_repeaters = int(np.count_nonzero((x >= 1) & (m > 0)))
    note = (f"order values: the Gamma-Gamma spend model cannot be identified ({reason}), so "
            f"every customer's expected order value is the shop's mean order value, {mean:,.2f} "
            f"(over the {len(values):,} transactions of the calibration period); the purchase "
            "model (BG/NBD) is fitted as usual")
    fallback = {"model": "pooled order value", "reason": reason,
                "mean_order_value": float(round(mean, 6)), "transactions": len(values),
                "customers_with_repeat_value": n_repeaters, "note": note}
    nan = float("nan")
    pooled = FitResult(POOLED_MODEL, params, dict.fromkeys(params, nan), nan, n_repeaters, False)
    return SpendModel(pooled, fallback, note)
