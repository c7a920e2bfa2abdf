"""The `sim` command line: parses arguments, calls the Python API, formats the output."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

import sim
from sim.errors import SimError

app = typer.Typer(
    help="Simulate retention and promotion strategies on a copy of your customers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

EXIT_USER_ERROR = 2


@app.callback()
def main() -> None:
    """Simulate retention and promotion strategies on a copy of your customers."""


@contextmanager
def user_errors():
    """Print user errors (bad scenario, bad data) without a traceback and exit 2."""
    try:
        yield
    except SimError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True, soft_wrap=True)
        raise typer.Exit(EXIT_USER_ERROR) from None


@contextmanager
def progress_bar(label: str):
    """A rich progress bar; yields a callback progress(done, total)."""
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task(label, total=None, rate="")

        def update(done: int, total: int) -> None:
            elapsed = bar.tasks[0].elapsed or 0.0
            rate = f"{done / elapsed:.1f} rep/s" if elapsed > 0 else ""
            bar.update(task, completed=done, total=total, rate=rate)

        yield update


def _fmt(value: float) -> str:
    if value != value:  # NaN
        return "-"
    if abs(value) < 1 and value != 0:
        return f"{value:.4f}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def print_summary(summary, metrics: tuple[str, ...], title: str) -> None:
    """One table per policy: mean and 95 % interval of each headline metric."""
    for policy, group in summary.groupby("policy", sort=False):
        table = Table(title=f"{title} - policy [bold]{policy}[/]", title_justify="left")
        table.add_column("metric")
        table.add_column("mean", justify="right")
        table.add_column("95 % interval", justify="right")
        for _, row in group.set_index("metric").loc[list(metrics)].iterrows():
            table.add_row(row.name, _fmt(row["mean"]), f"{_fmt(row['ci_low'])} .. {_fmt(row['ci_high'])}")
        out.print(table)


@app.command()
def run(
    scenario: Path = typer.Argument(..., help="Scenario YAML file."),
    replications: Optional[int] = typer.Option(None, "--replications", "-n", min=1, help="Override run.replications."),
    seed: Optional[int] = typer.Option(None, "--seed", "-s", min=0, help="Override run.seed."),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Local worker processes."),
    results: Path = typer.Option(Path("results"), "--results", help="Folder that receives the run folder."),
) -> None:
    """Simulate every policy of SCENARIO for many replications and write a run folder."""
    with user_errors():
        spec = sim.load_scenario(scenario)
        with progress_bar(f"{spec.name}") as update:
            result = sim.run(spec, replications=replications, seed=seed, workers=workers, progress=update)
        folder = result.write(results)
    markets = any(not p.is_empty() for p in spec.policies.values())
    headline = sim.results.HEADLINE + (sim.results.MARKETING_HEADLINE if markets else ())
    print_summary(result.summary(), headline, spec.name)
    out.print(f"{result.scenario.run.replications} replications x {len(spec.policies)} policies "
              f"in {result.wall_seconds:.1f} s; run folder: [bold]{folder}[/]")


@app.command()
def validate(scenario: Path = typer.Argument(..., help="Scenario YAML file.")) -> None:
    """Check SCENARIO without running it."""
    with user_errors():
        spec = sim.load_scenario(scenario)
    out.print(f"{scenario}: valid scenario [bold]{spec.name}[/] with "
              f"{len(spec.policies)} policies ({', '.join(spec.policies)}), "
              f"{spec.population.size:,} customers, days {spec.calendar.start_day}..{spec.calendar.end_day}.")


@app.command()
def calibrate(
    orders: Path = typer.Argument(..., help="Order export (CSV; utf-8 or GBK, detected)."),
    customer: str = typer.Option(..., "--customer", help="Column with the customer (buyer) id."),
    date: str = typer.Option(..., "--date", help="Column with the order (payment) date or date-time."),
    amount: str = typer.Option(..., "--amount", help="Column with the order value."),
    category: Optional[str] = typer.Option(None, "--category", help="Column with the product category."),
    calibration_end: Optional[str] = typer.Option(
        None, "--calibration-end", help="Last date of the calibration period; later orders are the holdout."),
    unit: str = typer.Option("week", "--unit", help="Time unit for fitting: week or day."),
    encoding: Optional[str] = typer.Option(None, "--encoding", help="File encoding (default: detect)."),
    keep_same_day: bool = typer.Option(
        False, "--keep-same-day", help="Count same-day orders separately (default: one transaction per day)."),
    out_dir: Path = typer.Option(Path("calibrated"), "--out", help="Folder for population.yaml and the report."),
    season: Optional[list[str]] = typer.Option(
        None, "--season", help="Seasonal surge for the holdout simulation, START:END:MULT (dates YYYY-MM-DD; "
        "MULT a number or 'fit'); repeatable. Default: fit the first 1 Nov-24 Dec inside the holdout."),
    replications: int = typer.Option(20, "--replications", min=1, help="Replications of the holdout simulation."),
    seed: int = typer.Option(19970930, "--seed", help="Seed of the holdout simulation."),
) -> None:
    """Fit BG/NBD, Pareto/NBD and Gamma-Gamma to ORDERS; write a population file and a report."""
    import warnings

    from sim.calibrate import calibrate as run_calibration

    with user_errors(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_calibration(orders, customer=customer, date=date, amount=amount, category=category,
                                 calibration_end=calibration_end, unit=unit, encoding=encoding,
                                 same_day="keep" if keep_same_day else "merge", out_dir=out_dir,
                                 season=season or None, replications=replications, seed=seed)
    src = result.population["source"]
    out.print(f"{src['n_customers']:,} customers, {src['n_transactions']:,} transactions "
              f"({'same-day orders kept apart' if keep_same_day else 'same-day orders merged into one transaction'}).")
    table = Table(title=f"Fitted models (time unit: {result.unit})", title_justify="left")
    for column in ("model", "parameters (std. error)", "log-likelihood"):
        table.add_column(column)
    for fit in (result.bgnbd, result.pareto_nbd, result.gamma_gamma):
        params = ", ".join(f"{k}={v:.3f} ({fit.se[k]:.3f})" for k, v in fit.params.items())
        table.add_row(fit.model, params, f"{fit.loglik:,.1f}")
    out.print(table)
    if result.holdout is not None:
        h = result.holdout
        out.print(f"Holdout repeat transactions: actual {h.actual:,}, BG/NBD forecast {h.predicted_bgnbd:,.0f} "
                  f"({h.error_bgnbd:+.1%}), Pareto/NBD forecast {h.predicted_pareto_nbd:,.0f}.")
    if result.tracking is not None:
        t = result.tracking
        out.print(f"Simulated (engine, no marketing, {t.replications} replications): no season "
                  f"{t.baseline.holdout_mean:,.0f} ({t.error_simulated:+.1%}) beside the BG/NBD forecast's "
                  f"{t.error_forecast:+.1%}.")
        if t.seasonal is not None:
            windows = "; ".join(w.label(t.calibration_end) for w in t.seasonal.season)
            how = "fitted on the holdout, a backcast" if t.seasonal.fitted else "set"
            out.print(f"  with season {windows} ({how}): {t.seasonal.holdout_mean:,.0f} "
                      f"({t.error_seasonal:+.1%}).")
    for note in result.warnings:
        err.print(f"[bold yellow]warning:[/] {note}", highlight=False, soft_wrap=True)
    out.print(f"Wrote {', '.join(result.files)} to [bold]{result.out_dir}[/]")


if __name__ == "__main__":
    app()
