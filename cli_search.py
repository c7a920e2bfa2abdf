"""Commands that search or explain a scenario's parameters: `sim sensitivity` and `sim optimize`.

Part of the command line (see cli.py): parses, calls the studies, prints with the report layer.
"""

from pathlib import Path
from typing import Optional

import typer

import sim
from cli import Scheduler, Seed, Workers, _Later, _option, _simulate, app, out, user_errors

show_search = _Later("sim.report.console_search")
show_optimum = _Later("sim.report.console_optimize")
SearchParam = _option(list[str], "--param", help="PATH=LO:HI[:int] (repeat): a numeric scenario field and its "
                      "range, e.g. traffic.conversion=0.005:0.02; :int for whole numbers (a wave's day).")
SearchPolicy = _option(Optional[str], "--policy", help="Policy studied (default: the first).")
SearchMetric = _option(str, "--metric", help="Per-replication metric, e.g. net_profit, gmv, orders.")
PointReplications = _option(Optional[int], "--replications", "-n", min=1, help="Replications per point (default: "
                            "run.replications); points are many, 2-5 usually do.")
SearchResults = _option(Path, "--results", help="Folder that receives the study's folder.")


@app.command()
def sensitivity(
    scenario: Optional[Path] = typer.Argument(None, help="Scenario YAML file (not needed with --resume).", metavar="SCENARIO"),
    policy: SearchPolicy = None, param: SearchParam = [], metric: SearchMetric = None,
    method: Optional[str] = typer.Option(None, "--method", help="morris (elementary effects: cheap screening) or "
                                         "sobol (shares of variance, with interactions; more points)."),
    samples: Optional[int] = typer.Option(None, "--samples", help="Morris trajectories (default 10) or Sobol N "
                                          "(default 64, best a power of 2). Points simulated: N x (inputs + 1) "
                                          "for Morris, N x (inputs + 2) for Sobol."),
    seed: Seed = None, replications: PointReplications = None, workers: Workers = None, scheduler: Scheduler = None,
    resume: Optional[Path] = typer.Option(None, "--resume", help="Finish an interrupted sensitivity folder "
                                                                 "(*.incomplete)."),
    results: SearchResults = Path("results"),
) -> None:
    """Which inputs drive a policy's result over their ranges: Morris or Sobol indices (SALib)."""
    from sim.studies.global_sensitivity import read_interrupted, resume_sensitivity, sensitivity as study

    with user_errors():
        if resume is not None:
            if scenario is not None or param or metric or method or policy or samples or seed is not None \
                    or replications:
                raise typer.BadParameter("--resume takes the study's settings from its folder; give only "
                                         "--workers or --scheduler with it")
            read_interrupted(resume)  # a clear error before any progress bar
            result = _simulate(resume.name, lambda update: resume_sensitivity(
                resume, workers, scheduler, update), "writing tables and chart", "point")
        else:
            missing = [flag for flag, given in (("SCENARIO", scenario), ("--param", param), ("--metric", metric),
                                                ("--method", method)) if not given]
            if missing:
                raise typer.BadParameter(f"missing {', '.join(missing)}: give a scenario file with --param, "
                                         "--metric and --method, or --resume with a sensitivity folder")
            spec = sim.load_scenario(scenario)
            result = _simulate(f"{spec.name} sensitivity", lambda update: study(
                spec, param, metric=metric, method=method, samples=samples, seed=seed, replications=replications,
                policy=policy, workers=workers, scheduler=scheduler, progress=update, results_dir=results),
                "writing tables and chart", "point")
    show_search.print_sensitivity(out, result)


@app.command()
def optimize(
    scenario: Optional[Path] = typer.Argument(None, help="Scenario YAML file (not needed with --resume).", metavar="SCENARIO"),
    policy: SearchPolicy = None,
    param: list[str] = typer.Option([], "--param", help="PATH=LO:HI[:int] (repeat): a numeric field of the "
                                                        "scenario and its range; int for whole numbers."),
    metric: str = typer.Option("net_profit", "--metric", help="Per-replication metric to optimise (maximised, "
                                                              "or minimised where lower is better)."),
    trials: int = typer.Option(30, "--trials", min=4, help="Points the search simulates."),
    replications: int = typer.Option(5, "--replications", "-n", min=2, help="Replications per point (the "
                                                                             "finalists get three times as many)."),
    delta: Optional[float] = typer.Option(None, "--delta", min=0.0, help="Difference worth telling apart in the "
                                          "final selection (default: the finalists' largest standard error)."),
    seed: Seed = None, workers: Workers = None, scheduler: Scheduler = None,
    resume: Optional[Path] = typer.Option(None, "--resume", help="Finish an interrupted search folder "
                                                                 "(*.incomplete)."),
    results: SearchResults = Path("results"),
) -> None:
    """Search a policy's parameters for the best metric; confirm the winner with Kim-Nelson selection."""
    from sim.studies.optimize import optimize as search, resume_optimize
    from sim.studies.search import parse_params

    with user_errors():
        if (resume is None) == (scenario is None):
            raise typer.BadParameter("give a scenario file with --param, or --resume with a search folder")
        if resume is not None:
            found = _simulate(resume.name, lambda update: resume_optimize(resume, workers, scheduler, update))
        else:
            spec = sim.load_scenario(scenario)
            params = parse_params(param, spec)
            found = _simulate(f"{spec.name} optimize", lambda update: search(
                spec, params, metric, policy, trials, replications, seed, delta, workers=workers,
                scheduler=scheduler, progress=update, results_dir=results))
    show_optimum.print_optimum(out, found)
