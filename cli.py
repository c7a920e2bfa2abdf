"""The `sim` command line: parses arguments, calls the Python API, formats the output."""

from __future__ import annotations

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
    scenario: Optional[Path] = typer.Argument(None, help="Scenario YAML file (not needed with --resume)."),
    replications: Optional[int] = typer.Option(None, "--replications", "-n", min=1, help="Override run.replications."),
    seed: Optional[int] = typer.Option(None, "--seed", "-s", min=0, help="Override run.seed."),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1,
                                          help="Local worker processes (default: all cores)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler",
                                            help="Dask scheduler address (tcp://host:8786), or 'local' for a LocalCluster."),
    resume: Optional[Path] = typer.Option(None, "--resume", help="Finish an interrupted run folder (*.incomplete)."),
    results: Path = typer.Option(Path("results"), "--results", help="Folder that receives the run folder."),
) -> None:
    """Simulate every policy of SCENARIO for many replications and write a run folder."""
    with user_errors():
        if resume is not None:
            from sim.store.run_folder import RunFolder

            RunFolder.open(resume)  # a clear error before any progress bar
            with progress_bar(resume.name) as update:
                result = _stopped_run(lambda: sim.resume(resume, workers=workers, scheduler=scheduler,
                                                         progress=update))
        else:
            if scenario is None:
                raise typer.BadParameter("give a scenario file, or --resume with a run folder")
            spec = sim.load_scenario(scenario)
            with progress_bar(spec.name) as update:
                result = _stopped_run(lambda: sim.run(spec, replications=replications, seed=seed, workers=workers,
                                                      scheduler=scheduler, progress=update, results_dir=results))
    _report_run(result)


def _stopped_run(start: Callable):
    """Run, turning a stopped run into its message and exit code (130 if interrupted)."""
    try:
        return start()
    except sim.RunStopped as exc:
        err.print(f"[bold red]stopped:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(130 if exc.interrupted else 1) from None


def _report_run(result) -> None:
    spec = result.scenario
    markets = any(not p.is_empty() for p in spec.policies.values())
    headline = sim.store.results.HEADLINE + (sim.store.results.MARKETING_HEADLINE if markets else ())
    if result.sweep:
        print_sweep(result.sweep_table(), spec.name)
    else:
        print_summary(result.summary(), headline, spec.name)
    if result.comparison is not None:
        print_comparison(result.comparison, f"Each policy against {result.comparison['control'].iloc[0]} "
                         "(paired over replications, Holm-adjusted):", 0.05)
    points = len(result.replications[["point"]].drop_duplicates()) if result.sweep else 1
    grid = f" x {points} sweep points" if result.sweep else ""
    out.print(f"{spec.run.replications} replications x {len(spec.policies)} policies{grid} "
              f"in {result.wall_seconds:.1f} s; run folder: [bold]{result.folder}[/]")


@app.command()
def sweep(
    scenario: Path = typer.Argument(..., help="Scenario YAML file."),
    set_: list[str] = typer.Option([], "--set", help="PATH=V1,V2,... a field to sweep (repeatable); "
                                   "adds to the scenario's own sweep: section."),
    replications: Optional[int] = typer.Option(None, "--replications", "-n", min=1, help="Override run.replications."),
    seed: Optional[int] = typer.Option(None, "--seed", "-s", min=0, help="Override run.seed."),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1,
                                          help="Local worker processes (default: all cores)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address, or 'local'."),
    results: Path = typer.Option(Path("results"), "--results", help="Folder that receives the run folder."),
) -> None:
    """Run SCENARIO over a grid of parameter values; one run folder with the swept values as columns."""
    with user_errors():
        spec = sim.load_scenario(scenario)
        grid = sim.simulation.sweep.parse_sets(set_)
        if not grid and not spec.sweep:
            raise typer.BadParameter("nothing to sweep: add --set PATH=V1,V2 or a sweep: section")
        with progress_bar(spec.name) as update:
            result = _stopped_run(lambda: sim.run(spec, replications=replications, seed=seed, workers=workers,
                                                  scheduler=scheduler, progress=update, results_dir=results,
                                                  sweep=grid))
    _report_run(result)


def print_sweep(table, title: str) -> None:
    """The headline metric across the sweep grid, one row per point and policy."""
    view = Table(title=f"{title} - {table.attrs.get('metric', '')} across the sweep", title_justify="left")
    for column in table.columns:
        view.add_column(str(column), justify="right" if column not in ("policy",) else "left")
    for _, row in table.iterrows():
        view.add_row(*[_fmt(v) if isinstance(v, float) else str(v) for v in row])
    out.print(view)


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


def _p(value: float) -> str:
    if value != value:
        return "-"
    return f"{value:.4f}" if value >= 0.0001 else "<0.0001"


def _value(value: float, kind: str, signed: bool = False, unit: bool = True) -> str:
    if value != value:
        return "-"
    sign = "+" if signed else ""
    if kind == "proportion":
        return f"{value * 100:{sign}.2f}" + ((" pt" if signed else " %") if unit else "")
    if abs(value) >= 100_000:  # compact, so the table fits a terminal: 5.44M, +488.5k
        return f"{value / 1e6:{sign}.2f}M" if abs(value) >= 1e6 else f"{value / 1e3:{sign}.1f}k"
    return f"{value:{sign},.2f}" if abs(value) < 1000 else f"{value:{sign},.0f}"


def _decision(text: str) -> str:
    style = {"better": "green", "non-inferior": "green", "worse": "red", "inferior": "red"}.get(text)
    text = "none detected" if text == "no detectable difference" else text
    return f"[{style}]{text}[/]" if style else text


def print_comparison(table, title: str, alpha: float) -> None:
    """One table per arm against the control, one row per metric; rates in % and points."""
    out.print(title, highlight=False, soft_wrap=True)
    for arm, rows in table.groupby("arm", sort=False):
        view = Table(title=f"[bold]{arm}[/] vs {rows['control'].iloc[0]}", title_justify="left",
                     box=None, padding=(0, 1, 0, 0), header_style="bold underline")
        view.add_column("metric", no_wrap=True)
        for column in ("control", "arm", "diff", f"{1 - alpha:.0%} CI", "lift", "p", "adj. p"):
            view.add_column(column, justify="right", overflow="fold")
        view.add_column("decision", min_width=8, overflow="fold")
        for _, r in rows.iterrows():
            k = "proportion" if r["metric"].endswith("rate") else r["kind"]
            view.add_row(r["metric"] if r["role"] == "primary" else f"{r['metric']} (guardrail)",
                         _value(r["estimate_control"], k), _value(r["estimate_arm"], k),
                         _value(r["difference"], k, signed=True),
                         f"{_value(r['ci_low'], k, True, False)}..{_value(r['ci_high'], k, True, False)}",
                         "-" if r["lift"] != r["lift"] else f"{r['lift']:+.0%}",
                         _p(r["p_value"]), _p(r["p_adjusted"]), _decision(r["decision"]))
        out.print(view)


def _split_list(text: Optional[str]) -> Optional[list[str]]:
    return None if text is None else [m.strip() for m in text.split(",") if m.strip()]


@app.command()
def compare(
    folder: Path = typer.Argument(..., help="Run folder written by `sim run` (results/<scenario>-<time>)."),
    control: Optional[str] = typer.Option(
        None, "--control", help="Control policy (default: one named no_*, none, baseline or control, else the first)."),
    metrics: Optional[str] = typer.Option(
        None, "--metrics", help="Comma-separated metric columns (default: orders, gmv, gross_profit, "
                                "repurchase_rate, and net_profit, marketing_spend when present)."),
    alpha: float = typer.Option(0.05, "--alpha", help="Level of the intervals and decisions."),
    adjust: str = typer.Option("holm", "--adjust", help="holm (family-wise) or bh (false discovery rate)."),
) -> None:
    """Compare every policy of a run with the control on paired differences over replications."""
    from sim.studies.comparison import COMPARISON_FILE, compare_run, write_comparison

    with user_errors():
        table = compare_run(folder, control, _split_list(metrics), alpha=alpha, adjust=adjust)
        path = write_comparison(table, Path(folder) / COMPARISON_FILE)
    reps = int(table["n_control"].max()) if len(table) else 0
    print_comparison(table, f"{Path(folder).name}: each policy vs the control on {reps} paired "
                            f"replications; p adjusted by {adjust}", alpha)
    out.print(f"Wrote [bold]{path}[/]", soft_wrap=True)


@app.command()
def plan(
    baseline: Optional[float] = typer.Option(None, "--baseline", help="Control rate of a 0/1 outcome, e.g. 0.05."),
    mde: Optional[float] = typer.Option(
        None, "--mde", help="Effect to detect: absolute points for a rate (0.01 = one point), yuan with --sd."),
    n: Optional[int] = typer.Option(None, "--n", help="Customers per arm; prints the detectable effect instead."),
    sd: Optional[float] = typer.Option(None, "--sd", help="Per-customer standard deviation of a money metric (yuan)."),
    alpha: float = typer.Option(0.05, "--alpha", help="Family-wise level over all arms (two-sided)."),
    power: float = typer.Option(0.8, "--power", help="Chance of detecting the effect in each comparison."),
    arms: int = typer.Option(2, "--arms", help="Arms including the control."),
) -> None:
    """Customers per arm needed for a test, or (with --n) the effect a given size can detect."""
    from sim.studies.test_plan import plan as make_plan

    with user_errors():
        p = make_plan(baseline=baseline, mde=mde, n=n, sd=sd, alpha=alpha, power=power, arms=arms)
    rate = p.kind == "proportion"
    view = Table(title=f"Test plan ({'rate' if rate else 'money metric'}, two-sided)", title_justify="left")
    view.add_column("quantity")
    view.add_column("value", justify="right")
    if rate:
        view.add_row("control rate", f"{p.baseline:.2%}")
        view.add_row("detectable effect" if p.solved_for == "mde" else "effect to detect",
                     f"{p.mde * 100:+.2f} points ({p.baseline:.2%} -> {p.baseline + p.mde:.2%}, "
                     f"{p.mde / p.baseline:+.1%})")
        view.add_row("Cohen's h", f"{p.effect_size:.4f}")
    else:
        view.add_row("standard deviation", f"{_fmt(p.sd)} yuan")
        view.add_row("detectable effect" if p.solved_for == "mde" else "effect to detect",
                     f"{p.mde:+,.2f} yuan per customer")
        view.add_row("Cohen's d", f"{p.effect_size:.4f}")
    view.add_row("customers per arm", f"{p.n_per_arm:,}")
    view.add_row(f"customers in all ({p.arms} arms)", f"{p.total:,}")
    view.add_row("alpha per comparison", f"{p.alpha_per_comparison:.4g}"
                 + (f" ({p.alpha:g} over {p.arms - 1})" if p.arms > 2 else ""))
    view.add_row("power", f"{p.power:.0%}")
    out.print(view)
    out.print(f"Method: {p.method}.", highlight=False)


def _guardrail(text: str):
    from sim.analysis import Guardrail

    column, _, rest = text.partition(":")
    margin, _, direction = rest.partition(":")
    try:
        value = float(margin)
    except ValueError:
        value = float("nan")
    if not column or not value > 0 or direction not in ("", "higher", "lower"):
        raise typer.BadParameter(f"{text!r}: write COLUMN:MARGIN with a positive margin in the column's "
                                 "units, e.g. unsubscribed:0.002 (add :higher when higher is better)",
                                 param_hint="--guardrail")
    return column, Guardrail(value, higher_is_better=direction == "higher")


def _ratio(text: str) -> tuple[str, tuple[str, str]]:
    name, sep, parts = text.partition("=")
    numerator, slash, denominator = parts.partition("/")
    if not (sep and slash and name.strip() and numerator.strip() and denominator.strip()):
        raise typer.BadParameter(f"--ratio {text!r}: expected NAME=NUMERATOR/DENOMINATOR, e.g. aov=spend/orders")
    return name.strip(), (numerator.strip(), denominator.strip())


def _shares(items: list[str]) -> dict[str, float]:
    shares = {}
    for text in items:
        name, _, share = text.rpartition("=")
        try:
            shares[name.strip()] = float(share)
        except ValueError:
            raise typer.BadParameter(f"{text!r}: write ARM=SHARE, e.g. 'No E-Mail=1'", param_hint="--split") from None
    return shares


def print_srm(result) -> None:
    """The sample-ratio check: customers per arm against the planned split."""
    counts = ", ".join(f"{arm} {n:,} (planned {e:,.0f})" for arm, n, e in
                       zip(result.counts, result.srm.observed, result.srm.expected))
    verdict = ("[bold red]MISMATCH: the split is not what was planned; find the cause before trusting "
               "the comparison[/]" if result.srm.mismatch else "no mismatch")
    out.print(f"Sample ratio: {counts}; chi-square {result.srm.statistic:.2f}, "
              f"p = {_p(result.srm.p_value)}: {verdict}", soft_wrap=True)


@app.command()
def analyze(
    export: Path = typer.Argument(..., help="Experiment export (CSV, one row per customer)."),
    arm: str = typer.Option(..., "--arm", help="Column with each customer's arm."),
    control: str = typer.Option(..., "--control", help="Label of the control arm in that column."),
    metric: list[str] = typer.Option(..., "--metric", help="Outcome column (repeat): 0/1 rate or money per customer."),
    covariate: Optional[str] = typer.Option(
        None, "--covariate", help="Pre-period column for CUPED variance reduction of money metrics."),
    guardrail: list[str] = typer.Option(
        [], "--guardrail",
        help="COLUMN:MARGIN (repeat): may worsen by at most MARGIN; add :higher when higher is better."),
    split: list[str] = typer.Option(
        [], "--split",
        help="ARM=SHARE (repeat, one per arm): planned split for the sample-ratio check (default equal)."),
    alpha: float = typer.Option(0.05, "--alpha", help="Level of the intervals and decisions."),
    adjust: str = typer.Option("holm", "--adjust", help="holm (family-wise) or bh (false discovery rate)."),
    encoding: Optional[str] = typer.Option(None, "--encoding", help="File encoding (default: detect utf-8 or GBK)."),
    ratio: list[str] = typer.Option(
        [], "--ratio", help="NAME=NUMERATOR/DENOMINATOR (repeat): a ratio metric such as aov=spend/orders (delta method)."),
    bootstrap: Optional[str] = typer.Option(
        None, "--bootstrap", help="percentile or bca: bootstrap intervals for money metrics (heavy tails)."),
    out_file: Optional[Path] = typer.Option(None, "--out", help="Write the comparison table to this CSV file."),
) -> None:
    """Compare the arms of a real experiment (A/B test, holdout) from a per-customer export."""
    from sim.studies.experiment_analysis import analyze_experiment
    from sim.studies.comparison import write_comparison

    guards = dict(_guardrail(g) for g in guardrail)
    ratios = dict(_ratio(r) for r in ratio)
    with user_errors():
        result = analyze_experiment(export, arm, control, metric, covariate=covariate, guardrails=guards,
                                    planned_shares=_shares(split) or None, alpha=alpha,
                                    adjust=adjust, encoding=encoding, ratios=ratios, bootstrap=bootstrap)
        path = write_comparison(result.table, out_file) if out_file is not None else None
    total = sum(result.counts.values())
    print_srm(result)
    print_comparison(result.table, f"{export.name}: {total:,} customers in {len(result.counts)} arms; "
                                   f"p adjusted by {adjust}", alpha)
    cuped = result.table["method"].str.startswith("CUPED")
    for _, r in result.table[cuped].drop_duplicates("metric").iterrows():
        out.print(f"{r['metric']}: {r['method']}", highlight=False, soft_wrap=True)
    if path is not None:
        out.print(f"Wrote [bold]{path}[/]", soft_wrap=True)


@app.command()
def monitor(
    export: Path = typer.Argument(..., help="Experiment export so far: one row per customer seen (CSV)."),
    arm: str = typer.Option(..., "--arm", help="Column with the arm label."),
    control: str = typer.Option(..., "--control", help="The control arm's label."),
    metric: list[str] = typer.Option(..., "--metric", help="Outcome column (repeatable)."),
    look: str = typer.Option(..., "--look", help="Numeric column: when the customer was seen (e.g. day number)."),
    alpha: float = typer.Option(0.05, "--alpha", min=0.0001, max=0.5, help="Error probability over all looks."),
    encoding: Optional[str] = typer.Option(None, "--encoding", help="File encoding (default: detect)."),
) -> None:
    """Always-valid intervals for a live test, valid however often it is looked at."""
    from sim.studies.monitor import monitor_experiment

    with user_errors():
        table = monitor_experiment(export, arm, control, metric, look, alpha=alpha, encoding=encoding)
    for (name, m), rows in table.groupby(["arm", "metric"], sort=False):
        last = rows.iloc[-1]
        first = rows[rows.excludes_zero]
        kind = "proportion" if "binomial" in last["method"] else "mean"
        verdict = (f"excludes 0 from look {first.iloc[0]['look']:g} on: the difference is real"
                   if len(first) else "still includes 0: keep the test running (or stop for futility)")
        out.print(f"[bold]{name}[/] vs {control}, {m}: {_value(last['estimate'], kind, signed=True)} "
                  f"(always-valid {1 - alpha:.0%} interval {_value(last['ci_low'], kind, True, False)}.."
                  f"{_value(last['ci_high'], kind, True, False)} after {len(rows)} looks, "
                  f"{last['n_arm']:,} vs {last['n_control']:,} customers); {verdict}", soft_wrap=True)


@app.command()
def capacity(
    scenario: Path = typer.Argument(..., help="Scenario YAML file."),
    service_level: float = typer.Option(0.8, "--service-level", help="Share of chats to answer within --answer-within."),
    answer_within: str = typer.Option("20s", "--answer-within", help="Answer-time target: a number and s, m, h or d."),
    ship_within: Optional[str] = typer.Option(
        None, "--ship-within", help="Shipping promise after payment, e.g. 48h or 2d "
                                    "(default: operations.warehouse.promise_hours)."),
    replications: int = typer.Option(5, "--replications", "-n", min=1, help="Simulated event days to plan on."),
    seed: Optional[int] = typer.Option(None, "--seed", "-s", min=0, help="Override run.seed."),
    policy: Optional[str] = typer.Option(None, "--policy", help="Policy whose event day is planned (default: the first)."),
    out_dir: Optional[Path] = typer.Option(
        None, "--out", help="Folder to write (default: results/<scenario>-capacity-<time>)."),
) -> None:
    """Chat agents by hour and warehouse staff for the event day; writes capacity.csv and a chart."""
    from sim.studies.capacity import check_out_folder, parse_duration, plan_capacity

    with user_errors():
        within = parse_duration(answer_within)
        ship = None if ship_within is None else parse_duration(ship_within) / 3600.0
        if out_dir is not None:
            check_out_folder(out_dir)
        spec = sim.load_scenario(scenario)
        plan = plan_capacity(spec, service_level, within, ship, replications, seed, policy)
        folder = plan.write(out_dir)
    h, a, s = plan.hourly, plan.achieved, plan.staff
    view = Table(title=f"{plan.scenario} - chat agents by hour of day 0 (policy {plan.policy}, mean of "
                       f"{plan.replications} simulated days; target {plan.service_level:.0%} within "
                       f"{plan.answer_within_seconds:g} s)", title_justify="left", box=None,
                 padding=(0, 1, 0, 0), header_style="bold underline")
    for column in ("hour", "chats", "P90", "Erlang C", "simulated", "achieved"):
        view.add_column(column, justify="right")
    view.add_column("note", overflow="fold")
    for r in h.itertuples():
        view.add_row(f"{r.hour:02d}", f"{r.arrivals:,.0f}", f"{r.arrivals_p90:,.0f}", str(r.erlang_agents),
                     str(r.sim_agents), "-" if r.achieved_service_level != r.achieved_service_level
                     else f"{r.achieved_service_level:.0%}", r.note)
    out.print(view)
    out.print(f"Agents: {plan.agent_hours:,} agent-hours ({plan.erlang_agent_hours:,} by Erlang C), "
              f"{plan.agent_cost:,.0f} yuan. Simulated with this schedule: {a['service_level']:.1%} answered "
              f"within {plan.answer_within_seconds:g} s, {a['abandonment_rate']:.1%} abandoned, mean wait "
              f"{a['mean_wait_s']:.0f} s; {a['service_sales_share']:.0%} of paid sales through service, "
              f"{a['sales_lost_to_waiting']:,.0f} yuan lost to waiting.", highlight=False, soft_wrap=True)
    out.print("Erlang C assumes one chat per agent slot, exponential handling, customers who never leave and "
              "a steady rate; the simulated count pools several chats per agent, lets impatient customers "
              "leave, draws handle times as configured, and 'achieved' replays the real day, where arrivals "
              "burst above the hour's mean and queues carry over between hours.", highlight=False,
              soft_wrap=True)
    staffed = int((h["staff"] > 0).sum())
    out.print(f"Warehouse: {s.staff} pick/pack staff on each of {staffed} staffed hours a day "
              f"({h['pack_capacity'].max():,.0f} orders/h), {s.staff_hours:,.0f} staff-hours over the "
              f"operations horizon, {s.cost:,.0f} yuan; {s.on_time_share:.1%} shipped within "
              f"{plan.ship_within_hours:g} h (95th percentile {s.ship_hours_p95:.1f} h) on the busiest of "
              f"{plan.replications} simulated days ({a['paid_orders']:,.0f} paid orders on average).",
              highlight=False, soft_wrap=True)
    out.print(f"Wrote [bold]{folder}[/] (capacity.csv, load_vs_capacity.png)", soft_wrap=True)


@app.command()
def forecast(
    scenario: Path = typer.Argument(..., help="Scenario YAML file."),
    target: Optional[float] = typer.Option(None, "--target", min=0.01,
                                           help="Event-day GMV target, yuan (e.g. 50000000)."),
    probability: float = typer.Option(0.8, "--probability", min=0.01, max=0.99,
                                      help="Chance of reaching the target at which the needed traffic, "
                                           "conversion and order value are computed."),
    policy: Optional[str] = typer.Option(None, "--policy", help="Policy to forecast (default: the first)."),
    replications: Optional[int] = typer.Option(None, "--replications", "-n", min=2, help="Override run.replications."),
    seed: Optional[int] = typer.Option(None, "--seed", "-s", min=0, help="Override run.seed."),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1,
                                          help="Local worker processes (default: all cores)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address, or 'local'."),
    sensitivity: bool = typer.Option(True, "--sensitivity/--no-sensitivity",
                                     help="Re-simulate each main input at -/+ --step (same seed) for a tornado."),
    sensitivity_replications: Optional[int] = typer.Option(
        None, "--sensitivity-replications", min=1, help="Replications per sensitivity variant (default: as the forecast)."),
    step: float = typer.Option(0.10, "--step", min=0.01, max=0.9, help="Relative move of each input (0.10 = 10 %)."),
    check_traffic: bool = typer.Option(True, "--check-traffic/--no-check-traffic",
                                       help="Re-simulate with daily_visitors scaled to the needed traffic."),
    backtest: Optional[Path] = typer.Option(
        None, "--backtest", help="Last year's actual daily figures: CSV with day, visitors, orders, gmv."),
    holdout_days: int = typer.Option(3, "--holdout-days", min=1, help="Last days of --backtest held out of the fit."),
    results: Path = typer.Option(Path("results"), "--results", help="Folder that receives the forecast folder."),
) -> None:
    """Forecast event-day GMV (P10/P50/P90), the chance of a target and what it takes to reach it."""
    from sim.studies.forecast import forecast as run_forecast

    with user_errors():
        spec = sim.load_scenario(scenario)
        with progress_bar(f"{spec.name} forecast") as update:
            fc = run_forecast(spec, target=target, probability=probability, replications=replications, seed=seed,
                              workers=workers, scheduler=scheduler, policy=policy, sensitivity=sensitivity,
                              sensitivity_replications=sensitivity_replications, step=step,
                              check_traffic=check_traffic, actuals=backtest, holdout_days=holdout_days,
                              progress=update)
        folder = fc.write(results)
    units = {"gmv": "¥", "aov": "¥", "conversion": "%"}

    def show(name: str, value: float) -> str:
        return f"{value:.2%}" if units.get(name) == "%" else ("¥" if units.get(name) else "") + _fmt(value)

    n = len(fc.outcomes)
    view = Table(title=f"{spec.name}: event day (day 0), policy {fc.policy}, {n} replications", title_justify="left")
    for column in ("quantity", "mean", "P10", "P50", "P90"):
        view.add_column(column, justify="left" if column == "quantity" else "right")
    for r in fc.table().itertuples():
        if r.section in ("event_day", "decomposition", "presale"):
            view.add_row(r.quantity, *(show(r.quantity, v) for v in (r.mean, r.p10, r.p50, r.p90)))
    out.print(view)
    out.print("GMV = traffic x conversion x aov in every replication (traffic: new visitors + existing "
              "customers who ordered on day 0).", highlight=False, soft_wrap=True)
    if fc.chance is not None:
        c = fc.chance
        out.print(f"Target ¥{c.target:,.0f}: reached in {c.probability:.0%} of replications "
                  f"(95 % interval {c.ci_low:.0%}..{c.ci_high:.0%}).", highlight=False)
        need = Table(title=f"Needed for a {probability:.0%} chance (others held at simulated values)",
                     title_justify="left")
        for column in ("lever", "simulated P50", "needed", "x"):
            need.add_column(column, justify="left" if column == "lever" else "right")
        for r in fc.required:
            need.add_row(r.lever, show(r.lever, r.current), show(r.lever, r.needed), f"{r.scale:.3f}")
        out.print(need)
        if fc.traffic_check:
            t = fc.traffic_check
            out.print(f"Check: daily_visitors x {t['daily_visitors_scale']:.3f} re-simulated gives traffic P50 "
                      f"{t['traffic_p50']:,.0f}, GMV P50 ¥{t['gmv_p50']:,.0f}, target reached in "
                      f"{t['probability']:.0%} of replications.", highlight=False, soft_wrap=True)
    if fc.tornado is not None and len(fc.tornado):
        tv = Table(title=f"Sensitivity: mean event-day GMV (¥{fc.baseline_gmv:,.0f}) with each input "
                         f"-/+{fc.tornado['step'].iloc[0]:.0%}", title_justify="left")
        for column in ("input", "value", "GMV at -", "GMV at +", "change -", "change +"):
            tv.add_column(column, justify="left" if column == "input" else "right")
        for r in fc.tornado.itertuples():
            tv.add_row(r.input, _fmt(r.value), f"¥{r.gmv_low:,.0f}", f"¥{r.gmv_high:,.0f}",
                       f"{r.change_low:+.1%}", f"{r.change_high:+.1%}")
        out.print(tv)
    if fc.backtest is not None:
        b = fc.backtest
        factors = ", ".join(f"{k} x {v:.3f}" for k, v in b.factors.items() if k != "predicted_orders_fit_days")
        out.print(f"Backtest: fitted {factors}; last {b.holdout_days} day(s) held out.", highlight=False)
        bt = Table(title="Backtest error on the held-out days", title_justify="left")
        for column in ("metric", "MAPE", "bias", "inside P10-P90", "days"):
            bt.add_column(column, justify="left" if column == "metric" else "right")
        for r in b.errors().itertuples():
            bt.add_row(r.metric, f"{r.mape:.1%}", f"{r.bias:+.1%}", f"{r.covered:.0%}", str(r.days))
        out.print(bt)
    out.print(f"Forecast folder: [bold]{folder}[/]", soft_wrap=True)


@app.command()
def report(folder: Path = typer.Argument(..., help="Run folder written by `sim run` (results/<scenario>-<time>).")) -> None:
    """Rebuild FOLDER/report.html: one page with the decision table and charts, for a browser."""
    from sim.report import write_report

    with user_errors():
        path = write_report(folder)
    out.print(f"Wrote [bold]{path}[/]", soft_wrap=True)


@app.command()
def experiment(
    scenario: Path = typer.Argument(..., help="Scenario YAML file."),
    replication: int = typer.Option(0, "--replication", min=0, help="Which simulated world to split."),
    seed: Optional[int] = typer.Option(None, "--seed", "-s", min=0, help="Override run.seed."),
    control: Optional[str] = typer.Option(None, "--control", help="Control policy (default: no_*/none/baseline/control)."),
    alpha: float = typer.Option(0.05, "--alpha", min=0.0001, max=0.5, help="Level of tests and intervals."),
    adjust: str = typer.Option("holm", "--adjust", help="holm or bh."),
    out_file: Optional[Path] = typer.Option(None, "--out", help="Write the comparison table as CSV."),
) -> None:
    """Randomise one simulated world's customers to the policies and analyse it as a real A/B test."""
    from sim.studies.comparison import write_comparison
    from sim.studies.experiment import run_experiment

    with user_errors():
        spec = sim.load_scenario(scenario)
        if len(spec.policies) < 2:
            raise typer.BadParameter("the scenario needs at least two policies to split its customers between")
        result = run_experiment(spec, replication, seed, control, alpha=alpha, adjust=adjust)
        path = write_comparison(result.comparison, out_file) if out_file else None
    print_srm(result)
    print_comparison(result.comparison, f"{spec.name}: {len(result.customers):,} customers randomised to "
                     f"{len(spec.policies)} arms in one world (CUPED on pre-period spend; {adjust}):", alpha)
    if path:
        out.print(f"Wrote [bold]{path}[/]", soft_wrap=True)


@app.command()
def power(
    scenario: Path = typer.Argument(..., help="Scenario YAML file."),
    policy: Optional[str] = typer.Option(None, "--policy", help="Policy whose effect is tested (default: the first that markets)."),
    holdouts: str = typer.Option("0.02,0.05,0.1,0.2", "--holdouts", help="Holdout shares to try, comma-separated."),
    metric: str = typer.Option("repurchased", "--metric", help="repurchased, orders, gmv or net_profit (per customer)."),
    replications: Optional[int] = typer.Option(None, "--replications", "-n", min=2, help="Worlds per holdout share."),
    seed: Optional[int] = typer.Option(None, "--seed", "-s", min=0, help="Override run.seed."),
    alpha: float = typer.Option(0.05, "--alpha", min=0.0001, max=0.5, help="Level of the test."),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1, help="Local worker processes (default: all cores)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address, or 'local'."),
) -> None:
    """Simulation-based power: how often the policy's effect is detected against each holdout size."""
    from sim.studies.experiment import OUTCOMES, holdout_power

    with user_errors():
        spec = sim.load_scenario(scenario)
        marketing = [n for n, p in spec.policies.items() if not p.is_empty()]
        policy = policy or (marketing[0] if marketing else None)
        if policy not in spec.policies or spec.policies[policy].is_empty():
            raise typer.BadParameter(f"--policy must name a policy with actions; these have some: {', '.join(marketing)}")
        if metric not in OUTCOMES:
            raise typer.BadParameter(f"--metric must be one of {', '.join(OUTCOMES)}")
        try:
            shares = [float(h) for h in holdouts.split(",")]
        except ValueError:
            raise typer.BadParameter(f"--holdouts: expected numbers like 0.05,0.1, got {holdouts!r}") from None
        if not all(0 < h < 1 for h in shares):
            raise typer.BadParameter("--holdouts: every share must lie strictly between 0 and 1")
        with progress_bar(f"{spec.name} power") as update:
            summary, _ = holdout_power(spec, policy, shares, replications, seed, metric, alpha,
                                       workers or sim.simulation.runner.default_workers(), update, scheduler)
    table = Table(title=f"{spec.name}: power to detect {policy} vs holdout on {metric} (alpha {alpha})",
                  title_justify="left")
    for column in ("holdout", "held out (mean)", "detected", "95 % interval", "mean effect", "analytic power"):
        table.add_column(column, justify="right")
    for _, r in summary.iterrows():
        table.add_row(f"{r.holdout:.0%}", f"{r.n_held_out:,.0f}", f"{r.power:.0%}",
                      f"{r.power_ci_low:.0%}..{r.power_ci_high:.0%}", _fmt(r.mean_difference), _fmt(r.analytic_power))
    out.print(table)


@app.command()
def select(
    scenario: Path = typer.Argument(..., help="Scenario YAML file."),
    metric: str = typer.Option("net_profit", "--metric", help="Per-replication metric to maximise (or minimise)."),
    delta: float = typer.Option(..., "--delta", min=0.0, help="Indifference zone: a difference worth telling apart, in the metric's units."),
    alpha: float = typer.Option(0.05, "--alpha", min=0.0001, max=0.5, help="1 - probability of correct selection."),
    n0: int = typer.Option(10, "--n0", min=2, help="First-stage replications per policy."),
    max_replications: Optional[int] = typer.Option(None, "--max-replications", min=2, help="Cap per policy."),
    smaller: bool = typer.Option(False, "--smaller", help="Select the smallest mean (costs, churn)."),
) -> None:
    """Pick the best policy with Kim-Nelson sequential selection, spending replications where needed."""
    from sim.studies.experiment import select_best

    with user_errors():
        spec = sim.load_scenario(scenario)
        if len(spec.policies) < 2:
            raise typer.BadParameter("the scenario needs at least two policies to choose between")
        from sim.model.measures import METRICS
        from sim.marketing.evaluation import MARKETING_METRICS
        if metric not in METRICS + MARKETING_METRICS:
            raise typer.BadParameter(f"--metric must be one of {', '.join(METRICS + MARKETING_METRICS)}")
        result, names = select_best(spec, metric, delta, alpha, n0, max_replications, not smaller)
    out.print(f"Best policy on {metric}: [bold]{names[result.best]}[/] "
              f"(probability of correct selection >= {1 - alpha:.0%} when it leads by {delta:,g} or more"
              f"{'; stopped at the cap, so the guarantee does not hold' if result.stopped_at_max else ''}).",
              soft_wrap=True)
    table = Table(title_justify="left")
    for column in ("policy", "replications", f"mean {metric}", "eliminated after"):
        table.add_column(column, justify="right" if column != "policy" else "left")
    gone = dict(result.eliminated)
    for i, name in enumerate(names):
        table.add_row(name, str(result.replications[i]), _fmt(result.means[i]),
                      str(gone[i]) if i in gone else ("chosen" if i == result.best else "-"))
    out.print(table)
    out.print(f"{sum(result.replications)} replications spent in all.")


if __name__ == "__main__":
    app()
