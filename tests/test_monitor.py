"""Monitoring a live test with always-valid intervals (sim monitor)."""

import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from sim.analysis import confidence_sequence_means, confidence_sequence_proportions
from sim.studies.comparison import InputError
from sim.studies.monitor import monitor_experiment

README = Path(__file__).resolve().parent.parent / "README.md"


def export(tmp_path, effect=0.0, n=6000, seed=3):
    rng = np.random.default_rng(seed)
    arm = rng.choice(["control", "sms"], n)
    day = rng.integers(1, 11, n)
    visit = (rng.random(n) < 0.10 + effect * (arm == "sms")).astype(int)
    spend = rng.gamma(0.3, 100.0, n) * visit
    path = tmp_path / "live.csv"
    pd.DataFrame({"arm": arm, "day": day, "visit": visit, "spend": spend}).to_csv(path, index=False)
    return path, pd.read_csv(path)


def test_intervals_are_the_confidence_sequences_at_each_day(tmp_path):
    path, df = export(tmp_path, effect=0.03)
    table = monitor_experiment(path, "arm", "control", ["visit", "spend"], "day")
    assert set(table.look) == set(range(1, 11))
    data = df.sort_values("day", kind="stable")
    a, c = data[data.arm == "sms"], data[data.arm == "control"]
    looks = np.arange(1, 11)
    n_a = np.searchsorted(a.day.to_numpy(), looks, side="right")
    n_c = np.searchsorted(c.day.to_numpy(), looks, side="right")
    visit = confidence_sequence_proportions(a.visit.to_numpy(), c.visit.to_numpy(), n_a, n_c)
    spend = confidence_sequence_means(a.spend.to_numpy(), c.spend.to_numpy(), n_a, n_c)
    rows = table.set_index(["metric", "look"])
    np.testing.assert_allclose(rows.loc["visit"].ci_low, visit.ci_low)
    np.testing.assert_allclose(rows.loc["spend"].ci_high, spend.ci_high)
    assert rows.loc[("visit", 10), "excludes_zero"]
    # Running intersections: intervals never widen from one look to the next.
    v = rows.loc["visit"]
    assert (np.diff(v.ci_high) <= 1e-12).all() and (np.diff(v.ci_low) >= -1e-12).all()


def test_cli_prints_a_verdict_and_rejects_a_text_look_column(tmp_path):
    path, df = export(tmp_path)
    result = CliRunner().invoke(app, ["monitor", str(path), "--arm", "arm", "--control", "control",
                                      "--metric", "visit", "--look", "day"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # the sentence is wrapped at the terminal's width
    assert "always-valid 95% interval" in said and "after 10 looks" in said
    df.assign(day="monday").to_csv(path, index=False)
    bad = CliRunner().invoke(app, ["monitor", str(path), "--arm", "arm", "--control", "control",
                                   "--metric", "visit", "--look", "day"])
    assert bad.exit_code == 2 and "day" in bad.output and "Traceback" not in bad.output


def test_capped_money_is_monitored_with_its_cap_stated(tmp_path):
    path, df = export(tmp_path, effect=0.03)
    table = monitor_experiment(path, "arm", "control", ["visit", "spend"], "day", cap=0.99)
    cap = np.quantile(df.spend, 0.99)  # over every customer seen, both arms
    spend = table[table.metric == "spend"]
    assert spend.method.str.startswith(f"capped at {cap:.4g} (99th percentile").all()
    assert not table[table.metric == "visit"].method.str.contains("capped").any()
    data = df.sort_values("day", kind="stable")
    a, c = data[data.arm == "sms"], data[data.arm == "control"]
    looks = np.arange(1, 11)
    n_a = np.searchsorted(a.day.to_numpy(), looks, side="right")
    n_c = np.searchsorted(c.day.to_numpy(), looks, side="right")
    ref = confidence_sequence_means(np.minimum(a.spend.to_numpy(), cap), np.minimum(c.spend.to_numpy(), cap), n_a, n_c)
    np.testing.assert_allclose(spend.ci_low, ref.ci_low)
    with pytest.raises(InputError, match="percentile"):
        monitor_experiment(path, "arm", "control", ["spend"], "day", cap=99)


def test_readme_monitor_example_quotes_what_the_command_prints(tmp_path, monkeypatch):
    """The README's literal commands (a seeded day column on the Hillstrom export) print the quoted lines."""
    section = README.read_text(encoding="utf-8").split("### sim monitor")[1].split("\n### ")[0]
    lines = [line.strip() for line in section.splitlines()]
    write = next(line for line in lines if line.startswith("python -c"))
    done = subprocess.run([sys.executable, *shlex.split(write)[1:]], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    monkeypatch.chdir(tmp_path)
    command = next(line for line in lines if line.startswith("sim monitor hillstrom"))
    result = CliRunner().invoke(app, shlex.split(command)[1:])
    assert result.exit_code == 0, result.output
    quoted = [line for line in lines if " vs No E-Mail, " in line]
    printed = " ".join(result.output.split())
    assert len(quoted) == 2 and all(line in printed for line in quoted), result.output
