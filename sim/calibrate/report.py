"""The calibration report: a markdown page, PNG charts (matplotlib, Agg) and CSV tables.

Takes fitted results; knows nothing about fitting.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.calibrate.mle import FitResult  # noqa: E402

if TYPE_CHECKING:
    from sim.calibrate.result import CalibrationResult


def _number(value: float, spec: str) -> str:
    """`value` formatted by `spec`, or "-" when it is not a number (not fitted, pooled)."""
    return format(value, spec) if np.isfinite(value) else "-"


def _param_table(fits: list[FitResult]) -> str:
    lines = ["| model | parameter | estimate | std. error |", "|---|---|---:|---:|"]
    for fit in fits:
        if not fit.fitted:
            lines.append(f"| {fit.model} | - | - | - |")
        for name, value in fit.params.items():
            lines.append(f"| {fit.model} | {name} | {value:.4f} | {_number(fit.se[name], '.4f')} |")
    return "\n".join(lines)


def _fallback_lines(result: CalibrationResult) -> list[str]:
    """What the report says when order values are pooled (see sim.calibrate.spend)."""
    fb = result.spend_fallback
    if fb is None:
        return []
    return ["### Order value: pooled fallback", "",
            f"The Gamma-Gamma spend model cannot be identified on this data: {fb['reason']}. "
            f"Every customer's expected order value is the shop's mean order value, "
            f"{fb['mean_order_value']:,.2f} (over the {fb['transactions']:,} transactions of the "
            "calibration period); the spend parameters above are chosen to give every customer "
            "that mean (`spend_fallback` in population.yaml). BG/NBD does not use order values "
            "and is fitted as usual.", ""]


def _frame_table(frame: pd.DataFrame, digits: int = 3) -> str:
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(f"{v:.{digits}f}" if isinstance(v, float) else str(v)
                              for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *rows])


def plot_holdout_by_frequency(table: pd.DataFrame, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(table["frequency"], table["actual"], "o-", label="actual")
    ax.plot(table["frequency"], table["bgnbd"], "s--", label="BG/NBD")
    if table["pareto_nbd"].notna().any():
        ax.plot(table["frequency"], table["pareto_nbd"], "^:", label="Pareto/NBD")
    ax.set_xlabel("repeat transactions in calibration period")
    ax.set_ylabel("mean repeat transactions in holdout")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_cumulative(table: pd.DataFrame, cal_end_period: float, path: Path) -> None:
    """Actual and closed-form curves and, when the table has them, the simulated ones with bands."""
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(table["period"], table["actual"], "-", color="black", label="actual")
    ax.plot(table["period"], table["bgnbd"], "--", color="tab:blue", label="BG/NBD expected")
    for col, colour, label in (("simulated", "tab:orange", "simulated, no season"),
                               ("seasonal", "tab:green", "simulated, with season")):
        if col in table:
            ax.plot(table["period"], table[col], ":", color=colour, label=f"{label} (mean)")
            ax.fill_between(table["period"], table[f"{col}_low"], table[f"{col}_high"],
                            color=colour, alpha=0.2, linewidth=0, label=f"{label} (90 % band)")
    ax.axvline(cal_end_period, color="grey", linestyle=":", label="calibration end")
    ax.set_xlabel("week")
    ax.set_ylabel("cumulative repeat transactions")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _tracking_lines(result: CalibrationResult) -> list[str]:
    t = result.tracking
    if t is None:
        return []
    cal_end = t.calibration_end
    rows = [("actual", t.actual, "", ""),
            ("BG/NBD conditional forecast", t.forecast, t.error_forecast, ""),
            ("BG/NBD expected (cumulative curve)", t.expected, t.error_expected, ""),
            ("simulation, no season", t.baseline.holdout_mean, t.error_simulated,
             "{:.0f} to {:.0f}".format(*t.baseline.holdout_band))]
    if t.seasonal is not None:
        how = "fitted" if t.seasonal.fitted else "set"
        windows = "; ".join(w.label(cal_end) for w in t.seasonal.season)
        rows.append((f"simulation, season {how} ({windows})", t.seasonal.holdout_mean,
                     t.error_seasonal, "{:.0f} to {:.0f}".format(*t.seasonal.holdout_band)))
    table = ["| holdout repeat transactions | total | error vs actual | 90 % band |",
             "|---|---:|---:|---|"]
    for name, total, error, band in rows:
        err = f"{error:+.1%}" if error != "" else ""
        table.append(f"| {name} | {total:,.0f} | {err} | {band} |")
    lines = [
        "### Simulated tracking", "",
        f"The calibration cohort simulated with the scenario engine: each customer starts at their "
        f"first purchase and buys and drops out by the fitted BG/NBD laws, with no marketing "
        f"({t.replications} replications, seed {t.seed}, {t.seconds:.1f} s). Without a season it "
        "should track the closed-form expected curve; where the actual curve leaves both, "
        "something the model does not know (such as a season) is at work.", "",
        *table, "",
    ]
    suggestion = t.calendar_suggestion()
    if suggestion is not None:
        block = ", ".join(f"{{start_day: {w['start_day']}, end_day: {w['end_day']}, "
                          f"multiplier: {w['multiplier']:g}}}" for w in suggestion["season"])
        lines += [
            "Calendar suggestion for a scenario (days counted from the calibration end, "
            f"{suggestion['day_zero']}; re-count them from your scenario's day 0; also in "
            "population.yaml under `calendar_suggestion`):", "",
            f"    calendar: {{season: [{block}]}}", "",
        ]
        if t.seasonal.fitted:
            lines += [
                "The multiplier was fitted on this holdout's own season, so the seasonal row is a "
                "backcast: it shows how much of the forecast error the season explains, not how "
                "well a forecast made at the calibration end would have done. The honest use is "
                "to fit the multiplier on one year's season and set it for the next "
                "(`--season START:END:MULT`).", "",
            ]
    return lines


def plot_segments(shares: dict[str, float], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.barh(list(shares), list(shares.values()))
    ax.set_xlabel("share of customers")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_p_alive(customers: pd.DataFrame, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.hist(customers["p_alive"], bins=20, range=(0, 1))
    ax.set_xlabel("P(alive) at the calibration end (BG/NBD)")
    ax.set_ylabel("customers")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _holdout_section(result: CalibrationResult, folder: Path) -> list[str]:
    h = result.holdout
    if h is None:
        return []
    h.by_frequency.to_csv(folder / "holdout_by_frequency.csv", index=False)
    curve = h.cumulative.copy()
    if result.tracking is not None:
        sim = result.tracking.cumulative
        for col in [c for c in sim.columns if c not in curve.columns]:
            curve[col] = sim[col].to_numpy()
    curve.to_csv(folder / "holdout_cumulative.csv", index=False)
    cal_weeks = float(curve.loc[curve["period_type"] == "calibration", "period"].max())
    pareto = _number(h.predicted_pareto_nbd, ".1f") if result.pareto_nbd.fitted else "not fitted"
    plot_holdout_by_frequency(h.by_frequency, folder / "holdout_by_frequency.png")
    plot_cumulative(curve, cal_weeks, folder / "holdout_cumulative.png")
    return [
        "## Holdout check", "",
        f"Holdout length {h.length:.2f} {result.unit}s. Repeat transactions in the holdout: "
        f"actual {h.actual}, BG/NBD forecast {h.predicted_bgnbd:.1f} "
        f"({h.error_bgnbd:+.1%}), Pareto/NBD forecast {pareto}.", "",
        "Mean holdout repeat transactions per customer by calibration frequency "
        "(holdout_by_frequency.csv):", "", _frame_table(h.by_frequency), "",
        "![holdout by frequency](holdout_by_frequency.png)", "",
        "Cumulative repeat transactions, week by week (holdout_cumulative.csv):", "",
        "![cumulative repeat transactions](holdout_cumulative.png)", "",
        *_tracking_lines(result),
    ]


def write_calibration_report(result: CalibrationResult, folder: Path) -> Path:
    """Write report.md with its charts and tables into `folder`; returns the report's path."""
    plot_segments(result.population["segments"], folder / "segments.png")
    plot_p_alive(result.customers, folder / "p_alive.png")
    src = result.population["source"]
    lines = [
        f"# Calibration of {src['file']}", "",
        f"{src['n_customers']} customers, {src['n_transactions']} transactions "
        f"(same-day rule: {src['same_day']}); calibration end {src['calibration_end']}; "
        f"time unit: {result.unit}. Parameters below are in the fitted unit; the population "
        "file states them per week.", "",
        "## Fitted models", "", _param_table([result.bgnbd, result.pareto_nbd, result.gamma_gamma]),
        "", "| model | log-likelihood | AIC |", "|---|---:|---:|",
        *[f"| {f.model} | {_number(f.loglik, '.2f')} | {_number(f.aic, '.2f')} |"
          for f in (result.bgnbd, result.pareto_nbd, result.gamma_gamma)], "",
        *_fallback_lines(result),
        "Correlation between repeat frequency and mean order value: " + (
            f"{result.frequency_value_correlation:.3f}."
            if np.isfinite(result.frequency_value_correlation) else "not defined (no variation)."),
        "",
    ]
    if result.warnings:
        lines += ["## Warnings", "", *[f"- {w}" for w in result.warnings], ""]
    lines += ["## RFM groups", "", _frame_table(pd.DataFrame(
        {"group": list(result.population["segments"]),
         "share": list(result.population["segments"].values())})), "",
        "![segments](segments.png)", "", "![P(alive)](p_alive.png)", "",
        "Per-customer scores, P(alive), expected purchases and value: customers.csv", ""]
    lines += _holdout_section(result, folder)
    path = folder / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
