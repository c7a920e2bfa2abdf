"""The calibration report: a markdown page, PNG charts (matplotlib, Agg) and CSV tables.

Takes fitted results; knows nothing about fitting.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from sim.calibrate.mle import FitResult  # noqa: E402

if TYPE_CHECKING:
    from sim.calibrate.api import CalibrationResult


def _param_table(fits: list[FitResult]) -> str:
    lines = ["| model | parameter | estimate | std. error |", "|---|---|---:|---:|"]
    for fit in fits:
        for name, value in fit.params.items():
            lines.append(f"| {fit.model} | {name} | {value:.4f} | {fit.se[name]:.4f} |")
    return "\n".join(lines)


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
    ax.plot(table["frequency"], table["pareto_nbd"], "^:", label="Pareto/NBD")
    ax.set_xlabel("repeat transactions in calibration period")
    ax.set_ylabel("mean repeat transactions in holdout")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_cumulative(table: pd.DataFrame, cal_end_period: float, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(table["period"], table["actual"], "-", label="actual")
    ax.plot(table["period"], table["bgnbd"], "--", label="BG/NBD")
    ax.axvline(cal_end_period, color="grey", linestyle=":", label="calibration end")
    ax.set_xlabel("week")
    ax.set_ylabel("cumulative repeat transactions")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


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
    h.cumulative.to_csv(folder / "holdout_cumulative.csv", index=False)
    cal_weeks = float(h.cumulative.loc[h.cumulative["period_type"] == "calibration",
                                       "period"].max())
    plot_holdout_by_frequency(h.by_frequency, folder / "holdout_by_frequency.png")
    plot_cumulative(h.cumulative, cal_weeks, folder / "holdout_cumulative.png")
    return [
        "## Holdout check", "",
        f"Holdout length {h.length:.2f} {result.unit}s. Repeat transactions in the holdout: "
        f"actual {h.actual}, BG/NBD forecast {h.predicted_bgnbd:.1f} "
        f"({h.error_bgnbd:+.1%}), Pareto/NBD forecast {h.predicted_pareto_nbd:.1f}.", "",
        "Mean holdout repeat transactions per customer by calibration frequency "
        "(holdout_by_frequency.csv):", "", _frame_table(h.by_frequency), "",
        "![holdout by frequency](holdout_by_frequency.png)", "",
        "Cumulative repeat transactions, week by week (holdout_cumulative.csv):", "",
        "![cumulative repeat transactions](holdout_cumulative.png)", "",
    ]


def write_report(result: CalibrationResult, folder: Path) -> Path:
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
        *[f"| {f.model} | {f.loglik:.2f} | {f.aic:.2f} |"
          for f in (result.bgnbd, result.pareto_nbd, result.gamma_gamma)], "",
        f"Correlation between repeat frequency and mean order value: "
        f"{result.frequency_value_correlation:.3f}.", "",
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
