"""`calibrate`: from an order export to a population file and a calibration report.

Fits BG/NBD (repeat purchasing and dropout), Pareto/NBD (for comparison) and Gamma-Gamma (order
value), scores customers by RFM, and optionally checks the forecasts on a holdout period.
Only BG/NBD is indispensable (the simulator runs on it): a Pareto/NBD that cannot be fitted is
left out with a warning, and a Gamma-Gamma the data cannot identify falls back to a pooled
order value with a warning (`sim.calibrate.spend`).
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibrate import bgnbd, gamma_gamma, pareto_nbd
from sim.calibrate.categories import category_table, main_category
from sim.calibrate.holdout import score_holdout
from sim.calibrate.mle import FitResult, not_fitted
from sim.calibrate.orders import ColumnMap, Orders, read_orders
from sim.calibrate.output import write_atomically
from sim.store.atomic import check_destination
from sim.calibrate.result import CalibrationResult
from sim.calibrate.population_file import population_document
from sim.calibrate.population_file import per_week
from sim.calibrate.rfm import group_shares, rfm_table
from sim.calibrate.season import Season, parse_season
from sim.calibrate.spend import SpendModel, fit_spend
from sim.calibrate.tracking import DEFAULT_REPLICATIONS, DEFAULT_SEED, track
from sim.calibrate.transactions import SAME_DAY_RULES, UNIT_DAYS, Summary, summarise, \
    to_transactions
from sim.errors import DataError


class CalibrationWarning(UserWarning):
    """Something in the data the user should know about; the calibration still ran."""


def _check_options(unit: str, same_day: str, calibration_end) -> pd.Timestamp | None:
    if unit not in UNIT_DAYS:
        raise DataError(f"unit must be one of {', '.join(UNIT_DAYS)}, not {unit!r}")
    if same_day not in SAME_DAY_RULES:
        raise DataError(f"same_day must be one of {', '.join(SAME_DAY_RULES)}, not {same_day!r}")
    if calibration_end is None:
        return None
    try:
        return pd.Timestamp(calibration_end)
    except (ValueError, TypeError):
        raise DataError(f"calibration end {calibration_end!r} is not a date") from None


def _spend_warnings(orders: Orders, summary: Summary, corr: float, spend: SpendModel) -> list[str]:
    notes = []
    zero = int((orders.table["amount"] == 0).sum())
    if zero:
        notes.append(f"{zero} zero-value order(s) in the file; {summary.zero_value_repeats} "
                     "zero-value repeat transaction(s) excluded from the spend model")
    if spend.note is not None:
        notes.append(spend.note)
    elif np.isfinite(corr) and abs(corr) >= gamma_gamma.STRONG_CORRELATION:
        notes.append(f"repeat frequency and mean order value are correlated (r = {corr:.2f}); "
                     "the Gamma-Gamma spend model assumes they are independent")
    return notes


def _customer_table(summary: Summary, bg: FitResult, spend: SpendModel,
                    horizon: float) -> pd.DataFrame:
    """Per customer (customers.csv): the history x, t_x, T (in units), n_tx, spend, recency_days,
    gg_x and gg_mean (count and mean value of positive repeat transactions), RFM scores and
    group, P(alive), expected purchases and value over `horizon` units. The expected order
    value is the Gamma-Gamma posterior mean, or with a pooled spend model the shop's mean."""
    c = summary.customers
    bg_p = tuple(bg.params.values())
    table = c[["x", "t_x", "T", "n_tx", "spend", "recency_days", "gg_x", "gg_mean"]].copy()
    table = table.join(rfm_table(c["recency_days"], c["n_tx"], c["spend"]))
    table["p_alive"] = bgnbd.p_alive(bg_p, c["x"], c["t_x"], c["T"])
    table["expected_purchases"] = bgnbd.conditional_expected_purchases(
        bg_p, horizon, c["x"], c["t_x"], c["T"])
    if spend.pooled_mean is not None:
        table["expected_order_value"] = spend.pooled_mean
    else:
        table["expected_order_value"] = gamma_gamma.conditional_expected_value(
            tuple(spend.fit.params.values()), c["gg_x"], c["gg_mean"])
    table["expected_value"] = table["expected_purchases"] * table["expected_order_value"]
    if "x_holdout" in c:
        table["x_holdout"] = c["x_holdout"]
    return table


def _source(path: Path, cols: ColumnMap, orders: Orders, summary: Summary, unit: str,
            cal_end, same_day: str) -> dict:
    return {
        "file": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "encoding": orders.encoding,
        "columns": cols.as_dict(),
        "unit": unit,
        "calibration_end": str(summary.cal_end.date()) if cal_end is not None else None,
        "same_day": same_day,
        "n_customers": int(orders.table["customer_id"].nunique()),
        "n_transactions": int(len(summary.transactions)),
    }


def _fit_models(summary: Summary, where: str) -> tuple[FitResult, FitResult, SpendModel, list[str]]:
    """BG/NBD (a DataError if it fails), Pareto/NBD (a placeholder and a note if it fails) and
    the spend model (pooled, with a note, if Gamma-Gamma is not identified)."""
    c = summary.customers
    if c["x"].sum() == 0:
        raise DataError(f"{where}: no customer bought more than once in the calibration period; "
                        "repeat-purchase models cannot be fitted")
    bg = bgnbd.fit(c["x"], c["t_x"], c["T"])
    notes = []
    try:
        pn = pareto_nbd.fit(c["x"], c["t_x"], c["T"])
    except DataError as exc:
        pn = not_fitted("Pareto/NBD", len(c))
        notes.append(f"Pareto/NBD, the comparison model, could not be fitted "
                     f"({str(exc).split(': ', 1)[-1]}); it is left out of the population file and "
                     "the holdout check, and BG/NBD, which the simulator uses, is fitted as usual")
    try:
        spend = fit_spend(summary)
    except DataError as exc:
        raise DataError(f"{where}: {exc}") from None
    return bg, pn, spend, notes


def calibrate(orders_path: str | Path, customer: str, date: str, amount: str,
              category: str | None = None, calibration_end=None, unit: str = "week",
              encoding: str | None = None, same_day: str = "merge",
              out_dir: str | Path = "calibrated", horizon: float | None = None,
              write: bool = True, season: list[Season | str] | None = None, simulate: bool = True,
              replications: int = DEFAULT_REPLICATIONS, seed: int = DEFAULT_SEED, force: bool = False,
              progress=None) -> CalibrationResult:
    """Calibrate a population from an order export (CSV) and write it to `out_dir`.

    Columns are named by `customer`, `date`, `amount` (and optional `category`). Same-day orders
    of a customer count as one transaction unless `same_day="keep"`. `unit` is "week" or
    "day"; the population file always states rates per week. With `calibration_end` (a date
    inside the data) the models are fitted on data up to it and checked on the rest. `horizon`
    (in units) is the period for expected purchases and value: the holdout length, or 52 weeks.
    Writes population.yaml, report.md, customers.csv, charts and holdout tables into `out_dir`
    atomically (unless `write=False`). Raises DataError for unusable input, writing nothing, and
    for an `out_dir` that is a file, holds the order export or is a non-empty folder (with
    `force`, one an earlier calibration wrote is replaced).

    With a holdout and `simulate`, the calibrated cohort is also simulated with the scenario
    engine (no marketing; `replications` runs from `seed`) and compared with the actual and
    closed-form curves (`result.tracking`). `season` lists seasonal windows (`Season` or
    "START:END:MULT" strings, MULT a number or "fit") for that simulation; without one the
    first year-end season in the holdout is fitted. The resulting windows are written to the
    population file under `calendar_suggestion` (ignored by the scenario loader).
    `progress(done, total)`, if given, follows the holdout simulation's replications.
    """
    path = Path(orders_path)
    if write:
        check_destination(out_dir, "calibrate", force, inputs=(path,))
    cal_end = _check_options(unit, same_day, calibration_end)
    windows = [parse_season(w) if isinstance(w, str) else w for w in (season or [])]
    if windows and (cal_end is None or not simulate):
        raise DataError("a season is used by the holdout simulation: it needs a calibration end")
    cols = ColumnMap(customer, date, amount, category)
    orders = read_orders(path, cols, encoding)
    summary = summarise(to_transactions(orders.table, same_day), cal_end, unit, str(path))
    bg, pn, spend, fit_notes = _fit_models(summary, str(path))
    gg = spend.fit
    c = summary.customers
    corr = gamma_gamma.frequency_value_correlation(c["gg_x"], c["gg_mean"])
    notes = orders.warnings + _spend_warnings(orders, summary, corr, spend) + fit_notes
    if horizon is None:
        horizon = summary.holdout_length if cal_end is not None else 52 * 7 / UNIT_DAYS[unit]
    customers = _customer_table(summary, bg, spend, horizon)
    if category is not None:  # each customer's main category in the calibration period
        in_cal = orders.table[orders.table["time"].dt.floor("D") <= summary.cal_end]
        customers.insert(8, "category", main_category(in_cal).reindex(customers.index))
    holdout = score_holdout(summary, tuple(bg.params.values()), tuple(pn.params.values()) or None) \
        if cal_end is not None else None
    cats = None
    if category is not None:
        # mean time between purchases while alive, E[1/lambda]-free proxy alpha/r, in days
        cycle = bg.params["alpha"] / bg.params["r"] * UNIT_DAYS[unit]
        cats = category_table(orders.table, summary.transactions, cycle)
    doc = population_document(
        _source(path, cols, orders, summary, unit, cal_end, same_day),
        int(orders.table["customer_id"].nunique()), bg, gg, pn, UNIT_DAYS[unit],
        group_shares(customers["rfm_group"]), cats, spend.fallback,
        [n for n in (spend.note, *fit_notes) if n])
    tracking = None
    if holdout is not None and simulate:
        tracking = track(summary, per_week(bg.params, UNIT_DAYS[unit]), tuple(bg.params.values()),
                         holdout.predicted_bgnbd, windows, replications=replications, seed=seed,
                         progress=progress)
        if tracking.calendar_suggestion() is not None:
            doc["calendar_suggestion"] = tracking.calendar_suggestion()
    result = CalibrationResult(Path(out_dir), doc, bg, pn, gg, customers, holdout, unit, corr,
                               notes, tracking=tracking, spend_fallback=spend.fallback)
    for note in notes:
        warnings.warn(note, CalibrationWarning, stacklevel=2)
    if write:
        result.files = write_atomically(result, Path(out_dir))
    return result
