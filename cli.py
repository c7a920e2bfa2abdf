"""The `sim` command line: parses arguments, calls the Python API, prints with `sim.report.console`.

The API checks its input (a `SimError` is printed without a traceback, exit 2). Heavy modules, the
console's included, load inside the commands, so `sim --help` stays fast."""

import importlib
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

import sim
from sim.errors import SimError

app = typer.Typer(help="Simulate retention and promotion strategies on a copy of your customers.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
out, err = Console(), Console(stderr=True)

EXIT_USER_ERROR = 2


def _option(kind, *flags: str, **settings):  # names, short flags and help: users' scripts rely on them
    return Annotated[kind, typer.Option(*flags, **settings)]


Replications = _option(Optional[int], "--replications", "-n", min=1, help="Override run.replications.")
ForecastReplications = _option(Optional[int], "--replications", "-n", min=2, help="Override run.replications.")
Seed = _option(Optional[int], "--seed", "-s", min=0, help="Override run.seed.")
Workers = _option(Optional[int], "--workers", "-w", min=1, help="Local worker processes (default: all cores).")
Scheduler = _option(Optional[str], "--scheduler", help="Dask scheduler address, or 'local'.")
RunScheduler = _option(Optional[str], "--scheduler", help="Dask scheduler address (tcp://host:8786), or 'local' for a LocalCluster.")
Results = _option(Path, "--results", help="Folder that receives the run folder.")
ForecastResults = _option(Path, "--results", help="Folder that receives the forecast folder.")
Alpha = _option(float, "--alpha", help="Level of the intervals and decisions.")
TestAlpha = _option(float, "--alpha", min=0.0001, max=0.5, help="Level of tests and intervals.")
PowerAlpha = _option(float, "--alpha", min=0.0001, max=0.5, help="Level of the test.")
SelectAlpha = _option(float, "--alpha", min=0.0001, max=0.5, help="1 - probability of correct selection.")
MonitorAlpha = _option(float, "--alpha", min=0.0001, max=0.5, help="Error probability over all looks.")
PlanAlpha = _option(float, "--alpha", help="Family-wise level over all arms (two-sided).")
Adjust = _option(str, "--adjust", help="holm (family-wise) or bh (false discovery rate).")
ShortAdjust = _option(str, "--adjust", help="holm or bh.")
Encoding = _option(Optional[str], "--encoding", help="File encoding (default: detect).")
ExportEncoding = _option(Optional[str], "--encoding", help="File encoding (default: detect utf-8 or GBK).")
ForecastPolicy = _option(Optional[str], "--policy", help="Policy to forecast (default: the first).")
PowerPolicy = _option(Optional[str], "--policy", help="Policy whose effect is tested (default: the first that markets).")
CapacityPolicy = _option(Optional[str], "--policy", help="Policy whose event day is planned (default: the first).")
Control = _option(Optional[str], "--control", help="Control policy (default: one named no_*, none, baseline or control, else the first).")
ExperimentControl = _option(Optional[str], "--control", help="Control policy (default: no_*/none/baseline/control).")
ArmControl = _option(str, "--control", help="Label of the control arm in that column.")
MonitorControl = _option(str, "--control", help="The control arm's label.")
ScenarioFile = Annotated[Path, typer.Argument(help="Scenario YAML file.", metavar="SCENARIO")]
RunFolderArg = Annotated[Path, typer.Argument(help="Run folder written by `sim run` (results/<scenario>-<time>).", metavar="RUN_FOLDER")]


@app.callback()
def main() -> None:
    """Simulate retention and promotion strategies on a copy of your customers."""


@contextmanager
def user_errors():
    """User errors print without a traceback and exit 2; raw library warnings are not shown."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    except SimError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True, soft_wrap=True)
        raise typer.Exit(EXIT_USER_ERROR) from None


class _Later(ModuleType):
    """A module imported when first used: `sim.report` loads matplotlib, which `sim --help` does not need."""
    def __getattr__(self, attr: str):
        return getattr(importlib.import_module(self.__name__), attr)


show = _Later("sim.report.console")  # what each command prints
show_study = _Later("sim.report.console_studies")


def _simulate(label: str, start: Callable, then: Optional[str] = None, unit: str = "rep"):
    """`start(progress)` under a progress bar (`then`: its closing step); a stopped run exits 1 (130 if interrupted)."""
    with show.progress_bar(label, err, then, unit) as update:
        try:
            return start(update)
        except sim.RunStopped as exc:
            err.print(f"[bold red]stopped:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(130 if exc.interrupted else 1) from None


def _with_sets(spec, sets: list[str]):
    """The scenario with `--set PATH=VALUE` changes, checked as a scenario file is."""
    from sim.config.variants import derive

    changes = sim.sweep.parse_sets(sets)
    if several := [path for path, values in changes.items() if len(values) != 1]:
        raise typer.BadParameter(f"--set takes one value per field ({', '.join(several)}); `sim sweep` runs several")
    return derive(spec, {path: values[0] for path, values in changes.items()}, "--set") if changes else spec


@app.command()
def run(
    scenario: Optional[Path] = typer.Argument(None, help="Scenario YAML file (not needed with --resume).", metavar="SCENARIO"),
    replications: Replications = None, seed: Seed = None, workers: Workers = None, scheduler: RunScheduler = None,
    resume: Optional[Path] = typer.Option(None, "--resume", help="Finish an interrupted run folder (*.incomplete)."),
    results: Results = Path("results"),
    set_: list[str] = typer.Option([], "--set", help="PATH=VALUE: change one field of the scenario (repeatable), "
                                                     "e.g. --set population.size=500000."),
) -> None:
    """Simulate every policy of SCENARIO for many replications and write a run folder."""
    with user_errors():
        if resume is not None and scenario is not None:
            raise typer.BadParameter("give a scenario file or --resume with a run folder, not both")
        if resume is not None and set_:
            raise typer.BadParameter("--set changes a scenario file; a resumed run keeps its own scenario")
        if resume is not None:
            from sim.store.run_folder import RunFolder

            RunFolder.open(resume)  # a clear error before any progress bar
            result = _simulate(resume.name, lambda update: sim.resume(resume, workers=workers, scheduler=scheduler,
                                                                      progress=update), show.WRITING)
        elif scenario is None:
            raise typer.BadParameter("give a scenario file, or --resume with a run folder")
        else:
            spec = _with_sets(sim.load_scenario(scenario), set_)
            result = _simulate(spec.name, lambda update: sim.run(spec, replications=replications, seed=seed,
                                                                 workers=workers, scheduler=scheduler,
                                                                 progress=update, results_dir=results), show.WRITING)
    show.print_run(out, result)


@app.command()
def sweep(
    scenario: ScenarioFile,
    set_: list[str] = typer.Option(
        [], "--set", help="PATH=V1,V2,... a field to sweep (repeatable); adds to the scenario's own sweep: section."),
    replications: Replications = None, seed: Seed = None, workers: Workers = None, scheduler: Scheduler = None,
    results: Results = Path("results"),
) -> None:
    """Run SCENARIO over a grid of parameter values; one run folder with the swept values as columns."""
    with user_errors():
        spec = sim.load_scenario(scenario)
        grid = sim.sweep.parse_sets(set_)
        if not grid and not spec.sweep:
            raise typer.BadParameter("nothing to sweep: add --set PATH=V1,V2 or a sweep: section")
        result = _simulate(spec.name, lambda update: sim.run(spec, replications=replications, seed=seed, workers=workers,
                                                             scheduler=scheduler, progress=update,
                                                             results_dir=results, sweep=grid), show.WRITING)
    show.print_run(out, result)


@app.command()
def validate(scenario: ScenarioFile) -> None:
    """Check SCENARIO without running it."""
    with user_errors():
        spec = sim.load_scenario(scenario)
    show.print_validated(out, scenario, spec)


@app.command()
def calibrate(
    orders: Path = typer.Argument(..., help="Order export (CSV; utf-8 or GBK, detected).", metavar="ORDERS"),
    customer: str = typer.Option(..., "--customer", help="Column with the customer (buyer) id."),
    date: str = typer.Option(..., "--date", help="Column with the order (payment) date or date-time."),
    amount: str = typer.Option(..., "--amount", help="Column with the order value."),
    category: Optional[str] = typer.Option(None, "--category", help="Column with the product category."),
    calibration_end: Optional[str] = typer.Option(
        None, "--calibration-end", help="Last date of the calibration period; later orders are the holdout."),
    unit: str = typer.Option("week", "--unit", help="Time unit for fitting: week or day."),
    encoding: Encoding = None,
    keep_same_day: bool = typer.Option(
        False, "--keep-same-day", help="Count same-day orders separately (default: one transaction per day)."),
    out_dir: Path = typer.Option(Path("calibrated"), "--out", help="Folder for population.yaml and the report."),
    season: Optional[list[str]] = typer.Option(
        None, "--season", metavar="START:END:MULT", help="Seasonal surge for the holdout simulation, START:END:MULT (dates YYYY-MM-DD; "
        "MULT a number or 'fit'); repeatable. Default: fit the first 1 Nov-24 Dec inside the holdout."),
    replications: int = typer.Option(20, "--replications", min=1, help="Replications of the holdout simulation."),
    seed: int = typer.Option(19970930, "--seed", help="Seed of the holdout simulation."),
    force: bool = typer.Option(False, "--force", help="Replace an earlier calibration in --out (nothing else)."),
) -> None:
    """Fit BG/NBD, Pareto/NBD and Gamma-Gamma to ORDERS; write a population file and a report."""
    from sim.calibrate import calibrate as run_calibration

    with user_errors():
        result = _simulate(f"{Path(orders).name} holdout simulation", lambda update: run_calibration(
            orders, customer=customer, date=date, amount=amount, category=category, calibration_end=calibration_end,
            unit=unit, encoding=encoding, same_day="keep" if keep_same_day else "merge", out_dir=out_dir,
            season=season or None, replications=replications, seed=seed, force=force, progress=update))
    show_study.print_calibration(out, result, err=err)


@app.command()
def compare(
    folder: RunFolderArg,
    control: Control = None,
    metrics: Optional[str] = typer.Option(None, "--metrics", help="Comma-separated metric columns (default: orders, "
                                          "gmv, gross_profit, repurchase_rate, and net_profit, marketing_spend when present)."),
    alpha: Alpha = 0.05, adjust: Adjust = "holm",
) -> None:
    """Compare every policy of a run with the control on paired differences over replications."""
    from sim.studies.comparison import COMPARISON_FILE, compare_run, write_comparison

    columns = None if metrics is None else [m.strip() for m in metrics.split(",") if m.strip()]
    with user_errors():
        table = compare_run(folder, control, columns, alpha=alpha, adjust=adjust)
        path = write_comparison(table, Path(folder) / COMPARISON_FILE)
    show.print_run_comparison(out, table, Path(folder).name, adjust, alpha, path)


@app.command()
def plan(
    baseline: Optional[float] = typer.Option(None, "--baseline", help="Control rate of a 0/1 outcome, e.g. 0.05."),
    mde: Optional[float] = typer.Option(
        None, "--mde", help="Effect to detect: absolute points for a rate (0.01 = one point), yuan with --sd."),
    n: Optional[int] = typer.Option(None, "--n", help="Customers per arm; prints the detectable effect instead."),
    sd: Optional[float] = typer.Option(None, "--sd", help="Per-customer standard deviation of a money metric (yuan)."),
    alpha: PlanAlpha = 0.05,
    power: float = typer.Option(0.8, "--power", help="Chance of detecting the effect in each comparison."),
    arms: int = typer.Option(2, "--arms", help="Arms including the control."),
) -> None:
    """Customers per arm needed for a test, or (with --n) the effect a given size can detect."""
    from sim.studies.test_plan import plan as make_plan

    with user_errors():
        p = make_plan(baseline=baseline, mde=mde, n=n, sd=sd, alpha=alpha, power=power, arms=arms)
    show.print_plan(out, p)


@app.command()
def analyze(
    export: Path = typer.Argument(..., help="Experiment export (CSV, one row per customer).", metavar="EXPORT"),
    arm: str = typer.Option(..., "--arm", help="Column with each customer's arm."),
    control: ArmControl = ...,
    metric: list[str] = typer.Option(..., "--metric", help="Outcome column (repeat): 0/1 rate or money per customer."),
    covariate: Optional[str] = typer.Option(
        None, "--covariate", help="Pre-period column for CUPED variance reduction of money metrics."),
    guardrail: list[str] = typer.Option(
        [], "--guardrail", help="COLUMN:MARGIN (repeat): may worsen by at most MARGIN; add :higher when higher is better."),
    split: list[str] = typer.Option(
        [], "--split", help="ARM=SHARE (repeat, one per arm): planned split for the sample-ratio check (default equal)."),
    alpha: Alpha = 0.05, adjust: Adjust = "holm", encoding: ExportEncoding = None,
    ratio: list[str] = typer.Option(
        [], "--ratio", help="NAME=NUMERATOR/DENOMINATOR (repeat): a ratio metric such as aov=spend/orders (delta method)."),
    bootstrap: Optional[str] = typer.Option(None, "--bootstrap", help="percentile or bca intervals (not advised: on heavy tails they miss 0 in 9-17 % of A/A tests)."),
    cap: Optional[float] = typer.Option(None, "--cap", help="Compare capped means: amounts above this percentile of all arms (e.g. 0.99) are lowered to it."),
    out_file: Optional[Path] = typer.Option(None, "--out", help="Write the comparison table to this CSV file."),
) -> None:
    """Compare the arms of a real experiment (A/B test, holdout) from a per-customer export."""
    from sim.studies.comparison import write_comparison
    from sim.studies.experiment_analysis import analyze_experiment, parse_guardrail, parse_ratio, parse_splits

    with user_errors():
        guards = dict(parse_guardrail(g) for g in guardrail)
        ratios = dict(parse_ratio(r) for r in ratio)
        shares = parse_splits(split)
        result = analyze_experiment(export, arm, control, metric, covariate=covariate, guardrails=guards,
                                    planned_shares=shares or None, alpha=alpha,
                                    adjust=adjust, encoding=encoding, ratios=ratios, bootstrap=bootstrap, cap=cap)
        path = write_comparison(result.table, out_file) if out_file is not None else None
    show.print_analysis(out, result, adjust, alpha, path)


@app.command()
def monitor(
    export: Path = typer.Argument(..., help="Experiment export so far: one row per customer seen (CSV).", metavar="EXPORT"),
    arm: str = typer.Option(..., "--arm", help="Column with the arm label."),
    control: MonitorControl = ...,
    metric: list[str] = typer.Option(..., "--metric", help="Outcome column (repeatable)."),
    look: str = typer.Option(..., "--look", help="Numeric column: when the customer was seen (e.g. day number)."),
    alpha: MonitorAlpha = 0.05, encoding: Encoding = None,
) -> None:
    """Always-valid intervals for a live test, valid however often it is looked at."""
    from sim.studies.monitor import monitor_experiment

    with user_errors():
        table = monitor_experiment(export, arm, control, metric, look, alpha=alpha, encoding=encoding)
    show.print_monitor(out, table, control, alpha)


@app.command()
def capacity(
    scenario: ScenarioFile,
    service_level: float = typer.Option(0.8, "--service-level", help="Share of chats to answer within --answer-within."),
    answer_within: str = typer.Option("20s", "--answer-within", help="Answer-time target: a number and s, m, h or d."),
    ship_within: Optional[str] = typer.Option(None, "--ship-within", help="Shipping promise after payment, e.g. 48h "
                                              "or 2d (default: operations.warehouse.promise_hours)."),
    replications: int = typer.Option(5, "--replications", "-n", min=1, help="Simulated event days to plan on."),
    seed: Seed = None, policy: CapacityPolicy = None,
    out_dir: Optional[Path] = typer.Option(
        None, "--out", help="Folder to write (default: results/<scenario>-capacity-<time>)."),
) -> None:
    """Chat agents by hour and warehouse staff for the event day; writes capacity.csv and a chart."""
    from sim.studies.capacity import check_out_folder, parse_duration, plan_capacity

    with user_errors():
        within = parse_duration(answer_within)
        ship = None if ship_within is None else parse_duration(ship_within) / 3600.0
        check_out_folder(out_dir) if out_dir is not None else None
        spec = sim.load_scenario(scenario)
        with show.progress_bar(f"{spec.name} capacity", err, "sizing warehouse, writing files") as update:
            plan = plan_capacity(spec, service_level, within, ship, replications, seed, policy, progress=update)
            folder = plan.write(out_dir)
    show_study.print_capacity(out, plan, folder)


@app.command()
def forecast(
    scenario: ScenarioFile,
    target: Optional[float] = typer.Option(None, "--target", min=0.01, help="Event-day GMV target, yuan (e.g. 50000000)."),
    probability: float = typer.Option(0.8, "--probability", min=0.01, max=0.99, help="Chance of reaching the target "
                                      "at which the needed traffic, conversion and order value are computed."),
    policy: ForecastPolicy = None,
    replications: ForecastReplications = None, seed: Seed = None, workers: Workers = None, scheduler: Scheduler = None,
    sensitivity: bool = typer.Option(
        True, "--sensitivity/--no-sensitivity", help="Re-simulate each main input at -/+ --step (same seed) for a tornado."),
    sensitivity_replications: Optional[int] = typer.Option(
        None, "--sensitivity-replications", min=1, help="Replications per sensitivity variant (default: as the forecast)."),
    step: float = typer.Option(0.10, "--step", min=0.01, max=0.9, help="Relative move of each input (0.10 = 10 %)."),
    check_traffic: bool = typer.Option(True, "--check-traffic/--no-check-traffic",
                                       help="Re-simulate to find the needed traffic, conversion and order value."),
    backtest: Optional[Path] = typer.Option(
        None, "--backtest", help="Last year's actual daily figures: CSV with day, visitors, orders, gmv."),
    holdout_days: int = typer.Option(3, "--holdout-days", min=1, help="Last days of --backtest held out of the fit."),
    results: ForecastResults = Path("results"),
) -> None:
    """Forecast event-day GMV (P10/P50/P90), the chance of a target and what it takes to reach it."""
    from sim.studies.forecast import forecast as run_forecast

    with user_errors():
        spec = sim.load_scenario(scenario)
        with show.progress_bar(f"{spec.name} forecast", err, show.WRITING) as update:
            fc = run_forecast(spec, target=target, probability=probability, replications=replications, seed=seed,
                              workers=workers, scheduler=scheduler, policy=policy, sensitivity=sensitivity,
                              sensitivity_replications=sensitivity_replications, step=step, check_traffic=check_traffic,
                              actuals=backtest, holdout_days=holdout_days, progress=update)
            folder = fc.write(results)
    show_study.print_forecast(out, fc, folder)


@app.command()
def report(folder: RunFolderArg) -> None:
    """Rebuild FOLDER/report.html: one page with the decision table and charts, for a browser."""
    from sim.report import write_report

    with user_errors():
        path = write_report(folder)
    show.print_wrote(out, path)


@app.command()
def power(
    scenario: ScenarioFile,
    policy: PowerPolicy = None,
    holdouts: str = typer.Option("0.02,0.05,0.1,0.2", "--holdouts", help="Holdout shares to try, comma-separated."),
    metric: str = typer.Option("repurchased", "--metric", help="repurchased, orders, gmv or net_profit (per customer)."),
    replications: Optional[int] = typer.Option(None, "--replications", "-n", min=2, help="Worlds per holdout share."),
    seed: Seed = None, alpha: PowerAlpha = 0.05, workers: Workers = None, scheduler: Scheduler = None,
) -> None:
    """Simulation-based power: how often the policy's effect is detected against each holdout size."""
    from sim.studies.experiment import check_power_inputs, holdout_power

    with user_errors():
        spec = sim.load_scenario(scenario)
        policy, shares = check_power_inputs(spec, policy, holdouts, metric)  # before the progress bar
        with show.progress_bar(f"{spec.name} power", err) as update:
            summary, _ = holdout_power(spec, policy, shares, replications, seed, metric, alpha, workers, update, scheduler)
    show_study.print_power(out, summary, spec.name, metric, alpha)


@app.command()
def select(
    scenario: ScenarioFile,
    metric: str = typer.Option("net_profit", "--metric", help="Per-replication metric to maximise (or minimise)."),
    delta: float = typer.Option(..., "--delta", min=0.0, help="Indifference zone: a difference worth telling apart, in the metric's units."),
    alpha: SelectAlpha = 0.05,
    n0: int = typer.Option(10, "--n0", min=2, help="First-stage replications per policy."),
    max_replications: Optional[int] = typer.Option(None, "--max-replications", min=2, help="Cap per policy."),
    smaller: bool = typer.Option(False, "--smaller", help="Select the smallest mean (costs, churn)."),
) -> None:
    """Pick the best policy with Kim-Nelson sequential selection, spending replications where needed."""
    from sim.studies.experiment import select_best

    with user_errors():
        spec = sim.load_scenario(scenario)
        result, names = select_best(spec, metric, delta, alpha, n0, max_replications, not smaller)
    show_study.print_selection(out, result, names, metric)


import cli_response  # noqa: E402, F401  (adds experiment, response, target and example)
import cli_search  # noqa: E402, F401  (adds sensitivity and optimize)
if __name__ == "__main__":
    app()
