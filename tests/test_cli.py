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


def test_usage_names_arguments_as_the_readme_does():
    """`sim capacity SCENARIO`, `sim target DIR CUSTOMERS` ..., whatever typer's own naming."""
    for command, names in ((["capacity"], ["SCENARIO"]), (["run"], ["SCENARIO"]), (["report"], ["RUN_FOLDER"]),
                           (["target"], ["DIR", "CUSTOMERS"]), (["calibrate"], ["ORDERS"]),
                           (["analyze"], ["EXPORT"]), (["response", "fit"], ["EXPORT"])):
        usage = runner.invoke(app, [*command, "--help"]).output.splitlines()[0]
        assert [word.strip("{}[]") for word in usage.split()[3 + len(command):]] == names, usage


def test_a_value_that_rounds_to_zero_has_no_sign():
    from sim.report.console import fmt, fmt_percent, fmt_value
    from sim.report.decisions import format_value

    assert fmt(-0.00001) == "0.0000" and fmt(-0.004) == "-0.0040"
    assert fmt_value(-0.001, "mean", signed=True) == "0.00"
    assert fmt(0.0) == "0" and fmt_value(0.0, "mean") == "0" and fmt_value(0.0, "mean", signed=True) == "0"  # none spent
    assert fmt_value(-0.00001, "proportion", signed=True) == "0.00 pt"
    assert fmt_value(-0.00001, "proportion", True, False) == "0.00"
    assert fmt_value(-0.02, "mean", signed=True) == "-0.02"
    assert fmt_percent(-0.004) == "0%" and fmt_percent(-0.0004, 1) == "0.0%" and fmt_percent(0.012, 1) == "+1.2%"
    assert format_value(-0.001, "gmv", signed=True) == "¥0.00"
    assert format_value(0.0, "marketing_spend") == "¥0" and format_value(0.5, "marketing_spend") == "¥0.50"
    assert format_value(-0.00001, "repurchase_rate", signed=True) == "0.00 pt"
    assert format_value(-0.0067, "repurchase_rate", signed=True) == "−0.67 pt"  # the minus of the money cells


def test_counts_print_without_spurious_decimals():
    from sim.report.console import fmt_count, fmt_value, is_count
    from sim.report.decisions import format_value

    assert is_count("orders") and is_count("opt_outs") and not is_count("gmv") and not is_count("my_column")
    assert fmt_count(0.0) == "0" and fmt_count(3.0) == "3" and fmt_count(77.8) == "77.8"
    assert fmt_count(588.1, signed=True) == "+588" and fmt_count(15834.2) == "15,834"
    assert fmt_count(-0.02, signed=True) == "0.0" and fmt_count(-0.2, signed=True) == "-0.2"
    assert fmt_value(587.8, "count", signed=True) == "+588" and fmt_value(30.7, "count", True) == "+30.7"
    assert fmt_value(0.0, "count", signed=True) == "0" and fmt_value(488_500, "count", True) == "+488.5k"
    assert fmt_value(587.8, "mean", signed=True) == "+587.80"  # money keeps its fen
    # ... unless the numbers beside it (its interval) are in thousands: +655 with -3,369..+4,679
    assert fmt_value(655.17, "mean", True, like=4679.4) == "+655" and fmt_value(-3369.2, "mean", True, False, 4679.4) == "-3,369"
    assert fmt_value(30.7, "count", True, like=150.0) == "+31" and fmt_value(16.9, "count", True, like=34.5) == "+16.9"
    assert fmt_value(0.5, "mean", True, like=float("nan")) == "+0.50"
    assert format_value(3.45, "opt_outs") == "3.5" and format_value(12.0, "orders", True) == "+12"
    assert format_value(2.5, "roms") == "2.5"


def test_run_tables_show_counts_as_counts():
    from rich.console import Console

    from sim.report.console import print_comparison, print_summary

    summary = pd.DataFrame({"policy": "a", "metric": ["orders", "opt_outs", "gmv"], "mean": [15834.2, 3.45, 61.2],
                            "ci_low": [15598.0, 0.0, 60.0], "ci_high": [16070.4, 6.9, 62.4]})
    out = Console(width=80, record=True)
    print_summary(out, summary, ("orders", "opt_outs", "gmv"), "t")
    text = out.export_text()
    assert "15,834" in text and " 3.5 " in text and "0 .. 6.9" in text and "61.20" in text
    table = pd.DataFrame([{"arm": "a", "control": "b", "metric": m, "kind": "mean", "role": "primary",
                           "estimate_control": c, "estimate_arm": c + d, "difference": d, "ci_low": d - 1.04,
                           "ci_high": d + 1.04, "lift": d / c, "p_value": 0.01, "p_adjusted": 0.02,
                           "decision": "better", "method": "paired t"}
                          for m, c, d in (("orders", 15246.0, 587.8), ("opt_outs", 8899.0, -0.004))])
    out = Console(width=80, record=True)
    print_comparison(out, table, "t", 0.05, totals=True)
    text = out.export_text()
    assert "+588" in text and "+587.80" not in text and "-0" not in text


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
