"""The command line end to end: run, validate, and errors without tracebacks."""

import json

import pandas as pd
from typer.testing import CliRunner

from cli import app

runner = CliRunner()

SMALL = """version: 1
name: small
population: {size: 1500}
traffic: {daily_visitors: 500}
policies: {a: {}, b: {}}
run: {replications: 2, seed: 3}
"""


def test_run_writes_a_complete_run_folder(tmp_path):
    scenario = tmp_path / "small.yaml"
    scenario.write_text(SMALL)
    result = runner.invoke(app, ["run", str(scenario), "--replications", "3", "--seed", "5",
                                 "--results", str(tmp_path / "results")])
    assert result.exit_code == 0, result.output
    assert "policy a" in result.output and "gmv" in result.output
    (folder,) = (tmp_path / "results").iterdir()
    assert folder.name.startswith("small-")
    reps = pd.read_parquet(folder / "replications.parquet")
    assert len(reps) == 3 * 2 and set(reps.policy) == {"a", "b"}
    daily = pd.read_parquet(folder / "daily.parquet")
    assert len(daily) == 3 * 2 * 61
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["replications"] == 3
    assert (folder / "summary.csv").exists() and (folder / "scenario.yaml").exists()


def test_validate_reports_ok_and_errors(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(SMALL)
    assert runner.invoke(app, ["validate", str(good)]).exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL.replace("size: 1500", "size: -1"))
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert "population.size" in result.output and "Traceback" not in result.output


def test_bad_scenario_leaves_no_run_folder(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL + "surprise: 1\n")
    result = runner.invoke(app, ["run", str(bad), "--results", str(tmp_path / "results")])
    assert result.exit_code == 2 and "surprise" in result.output
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").iterdir())


def test_help_explains_every_option():
    result = runner.invoke(app, ["run", "--help"])
    for option in ("--replications", "--seed", "--workers", "--results"):
        assert option in result.output


def test_the_progress_bar_shows_the_writing_after_the_last_step():
    from rich.console import Console

    from sim.report.console import WRITING, progress_bar

    out = Console(width=80, record=True)
    with progress_bar("small", out, WRITING) as update:
        update(1, 2)
        update(2, 2)
    shown = out.export_text()
    assert "2/2" in shown and WRITING in shown
    out = Console(width=80, record=True)
    with progress_bar("small", out, WRITING) as update:
        update(1, 2)
    assert WRITING not in out.export_text()  # shown only once every step is done
