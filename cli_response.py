"""Commands on tests and responses: `sim experiment`, `sim response fit|predict`, `sim target`, `sim example`.

Part of the command line (see cli.py): parses, calls the studies, prints with
`sim.report.console` and `sim.report.console_uplift`.
"""

from pathlib import Path
from typing import Optional

import typer

import sim
from cli import (ArmControl, ExperimentControl, ExportEncoding, ScenarioFile, Seed, ShortAdjust, TestAlpha, _Later,
                 _option, _simulate, app, out, show, user_errors)
@app.command()
def experiment(
    scenario: ScenarioFile,
    replication: int = typer.Option(0, "--replication", min=0, help="Which simulated world to split."),
    seed: Seed = None, control: ExperimentControl = None, alpha: TestAlpha = 0.05, adjust: ShortAdjust = "holm",
    out_file: Optional[Path] = typer.Option(None, "--out", help="Write the comparison table as CSV."),
    score_uplift: bool = typer.Option(False, "--score-uplift", help="Also learn the policy's response from the "
                                      "split and score it against every customer's true effect."),
    policy: Optional[str] = typer.Option(None, "--policy", help="With --score-uplift: the policy whose response "
                                         "is learned (default: the first that markets)."),
) -> None:
    """Randomise one simulated world's customers to the policies and analyse it as a real A/B test."""
    from sim.studies.comparison import write_comparison
    from sim.studies.experiment import run_experiment

    with user_errors():
        spec = sim.load_scenario(scenario)
        result = run_experiment(spec, replication, seed, control, alpha=alpha, adjust=adjust)
        path = write_comparison(result.comparison, out_file) if out_file else None
        if score_uplift:
            from sim.studies.uplift_check import score_uplift as score

            scored = score(spec, replication, seed, policy, control)
    show.print_experiment(out, result, spec, adjust, alpha, path)
    if score_uplift:
        show_uplift.print_uplift_score(out, scored)


response_app = typer.Typer(help="Learn customers' response from a past campaign test; score customers with it.",
                           no_args_is_help=True, rich_markup_mode=None)
app.add_typer(response_app, name="response")
show_uplift = _Later("sim.report.console_uplift")
IdColumn = _option(Optional[str], "--id", help="Column with customer ids (default: row numbers from 1).")
Force = _option(bool, "--force", help="Replace an earlier output of this command.")


@response_app.command("fit")
def response_fit(
    export: Path = typer.Argument(..., help="Campaign test export (CSV, one row per customer).", metavar="EXPORT"),
    arm: str = typer.Option(..., "--arm", help="Column with each customer's arm."),
    control: ArmControl = ...,
    outcome: list[str] = typer.Option(..., "--outcome", help="Outcome column (repeat): 0/1 rate or money."),
    feature: list[str] = typer.Option(..., "--feature", help="Feature column (repeat): numeric or categorical."),
    id_column: IdColumn = None,
    method: str = typer.Option("auto", "--method", help="auto (best validation Qini), t-linear, t-boosting, "
                                                        "x-linear or x-boosting."),
    validation_share: float = typer.Option(0.3, "--validation-share", help="Share of customers kept to check the fit."),
    bootstrap: int = typer.Option(30, "--bootstrap", help="Refits on resampled customers, for uncertainty."),
    seed: int = typer.Option(0, "--seed", "-s", min=0, help="Seed of the split, refits and trees."),
    out_dir: Path = typer.Option(..., "--out", help="Folder for response.yaml, models.pkl and report.html."),
    force: Force = False, encoding: ExportEncoding = None,
) -> None:
    """Learn each customer's baseline and uplift per arm and outcome from a randomised test."""
    import time

    from sim.studies.response import fit_response

    started = time.perf_counter()
    with user_errors():
        model = _simulate(export.name, lambda update: fit_response(
            export, out_dir, arm=arm, control=control, outcomes=outcome, features=feature, id_column=id_column,
            method=method, validation_share=validation_share, bootstrap=bootstrap, seed=seed,
            encoding=encoding, force=force, progress=update), "writing the model and report", "fit")
    show_uplift.print_fit(out, model, out_dir, time.perf_counter() - started)


@response_app.command("predict")
def response_predict(
    model_dir: Path = typer.Argument(..., help="Folder written by sim response fit.", metavar="DIR"),
    customers: Path = typer.Argument(..., help="Customer table (CSV) with the model's feature columns.", metavar="CUSTOMERS"),
    id_column: IdColumn = None,
    out_file: Path = typer.Option(..., "--out", help="CSV to write: id, arm, outcome, baseline, uplift, "
                                                     "uplift_low, uplift_high."),
    force: Force = False, encoding: ExportEncoding = None,
) -> None:
    """Baseline and uplift (with a 95 % bootstrap interval) of each customer, arm and outcome."""
    from sim.studies.response import predict_response

    with user_errors():
        table = predict_response(model_dir, customers, out_file, id_column=id_column, encoding=encoding,
                                 force=force)
    show_uplift.print_predict(out, table, out_file)


@app.command()
def target(
    model_dir: Path = typer.Argument(..., help="Folder written by sim response fit.", metavar="DIR"),
    customers: Path = typer.Argument(..., help="Customer table (CSV) with the model's feature columns.", metavar="CUSTOMERS"),
    cost: list[str] = typer.Option(..., "--cost", help="ARM=YUAN (repeat): cost of contacting one customer."),
    value: str = typer.Option(..., "--value", help="Outcome whose uplift earns money (e.g. spend)."),
    margin: float = typer.Option(1.0, "--margin", help="Share of a money outcome kept as profit, or yuan per "
                                                       "unit of a 0/1 outcome."),
    budget: Optional[float] = typer.Option(None, "--budget", help="Most yuan to spend on contacts."),
    id_column: IdColumn = None,
    out_file: Path = typer.Option(..., "--out", help="CSV to write: id, arm, expected incremental value."),
    force: Force = False, encoding: ExportEncoding = None,
) -> None:
    """The best arm (or none) for each customer by expected incremental profit, under a budget."""
    from sim.studies.response import parse_costs, target_customers

    with user_errors():
        result = target_customers(model_dir, customers, out_file, costs=parse_costs(cost), value=value,
                                  margin=margin, budget=budget, id_column=id_column, encoding=encoding, force=force)
    show_uplift.print_targeting(out, result, out_file)



@app.command()
def example(
    name: str = typer.Argument(..., help="Which example: hillstrom.", metavar="NAME"),
    out_dir: Path = typer.Option(..., "--out", help="Folder to write the example's files to."),
    force: Force = False,
) -> None:
    """Write a worked example's data and scenario (hillstrom: the e-mail test) to a folder."""
    from sim.studies.response import write_example

    with user_errors():
        written = write_example(name, out_dir, force)
    for path in written:
        out.print(f"Wrote {path}")
