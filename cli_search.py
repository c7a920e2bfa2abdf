"""Commands that search or explain a scenario's parameters: `sim sensitivity` and `sim optimize`.

Part of the command line (see cli.py): parses, calls the studies, prints with the report layer.
"""

from pathlib import Path
from typing import Optional

import typer

import sim
from cli import Scheduler, ScenarioFile, Seed, Workers, _Later, _option, _simulate, app, out, user_errors

show_search = _Later("sim.report.console_search")
SearchParam = _option(list[str], "--param", help="PATH=LO:HI[:int] (repeat): a numeric scenario field and its "
                      "range, e.g. traffic.conversion=0.005:0.02; :int for whole numbers (a wave's day).")
SearchPolicy = _option(Optional[str], "--policy", help="Policy studied (default: the first).")
SearchMetric = _option(str, "--metric", help="Per-replication metric, e.g. net_profit, gmv, orders.")
PointReplications = _option(Optional[int], "--replications", "-n", min=1, help="Replications per point (default: "
                            "run.replications); points are many, 2-5 usually do.")
SearchResults = _option(Path, "--results", help="Folder that receives the study's folder.")


@app.command()
def sensitivity(
    scenario: ScenarioFile,
    policy: SearchPolicy = None, param: SearchParam = ..., metric: SearchMetric = ...,
    method: str = typer.Option(..., "--method", help="morris (elementary effects: cheap screening) or sobol "
                               "(shares of variance, with interactions; more points)."),
    samples: Optional[int] = typer.Option(None, "--samples", help="Morris trajectories (default 10) or Sobol N "
                                          "(default 64, best a power of 2). Points simulated: N x (inputs + 1) "
                                          "for Morris, N x (inputs + 2) for Sobol."),
    seed: Seed = None, replications: PointReplications = None, workers: Workers = None, scheduler: Scheduler = None,
    results: SearchResults = Path("results"),
) -> None:
    """Which inputs drive a policy's result over their ranges: Morris or Sobol indices (SALib)."""
    from sim.studies.global_sensitivity import sensitivity as study

    with user_errors():
        spec = sim.load_scenario(scenario)
        result = _simulate(f"{spec.name} sensitivity", lambda update: study(
            spec, param, metric=metric, method=method, samples=samples, seed=seed, replications=replications,
            policy=policy, workers=workers, scheduler=scheduler, progress=update, results_dir=results),
            "writing tables and chart", "point")
    show_search.print_sensitivity(out, result)
