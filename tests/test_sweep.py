"""Sweeps: grid expansion, validation of each point, and one run folder for the grid."""

import pandas as pd
import pytest
from typer.testing import CliRunner

import sim
from cli import app
from sim.errors import ScenarioError
from sim.simulation.sweep import expand, parse_sets
from tests.conftest import make_scenario

BASE = make_scenario(population={"size": 800}, traffic={"daily_visitors": 200},
                     policies={"c": {"waves": [{"day": -3, "channel": "sms",
                                                "coupon": {"threshold": 199, "discount": 20, "budget": 1000}}]}},
                     run={"replications": 2, "seed": 4})


def test_grid_is_the_cartesian_product_with_values_applied():
    points = expand(BASE, {"policies.c.waves.0.coupon.discount": [10, 20, 30], "traffic.conversion": [0.01, 0.02]})
    assert len(points) == 6
    assert [p.index for p in points] == list(range(6))
    for p in points:
        assert p.scenario.policies["c"].waves[0].coupon.discount == p.values["policies.c.waves.0.coupon.discount"]
        assert p.scenario.traffic.conversion == p.values["traffic.conversion"]
        assert not p.scenario.sweep


def test_bad_paths_and_values_are_reported():
    with pytest.raises(ScenarioError, match="has no field 'nope'"):
        expand(BASE, {"traffic.nope.x": [1]})
    with pytest.raises(ScenarioError, match="has no item 5"):
        expand(BASE, {"policies.c.waves.5.day": [1]})
    with pytest.raises(ScenarioError) as info:
        expand(BASE, {"traffic.conversion": [0.5, 1.5]})
    assert "traffic.conversion" in str(info.value) and "less than or equal to 1" in str(info.value)
    with pytest.raises(ScenarioError, match="PATH=VALUE"):
        parse_sets(["population.size"])
    assert parse_sets(["a.b=1,2.5,true,x"]) == {"a.b": [1, 2.5, True, "x"]}


def test_sweep_run_has_swept_columns_and_common_random_numbers(tmp_path):
    result = sim.run(BASE, sweep={"policies.c.waves.0.coupon.discount": [10, 30]}, results_dir=tmp_path)
    reps = pd.read_parquet(result.folder / "replications.parquet")
    assert list(reps.columns[:3]) == ["point", "policies.c.waves.0.coupon.discount", "replication"]
    assert len(reps) == 2 * 2
    table = pd.read_csv(result.folder / "sweep.csv")
    assert len(table) == 2 and set(table.columns) >= {"policy", "mean", "ci_low", "ci_high"}
    # Both points share the same customers: visitors are drawn before any policy acts.
    assert reps.groupby("replication").visitors.nunique().eq(1).all()


def test_cli_sweep_and_scenario_sweep_section(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text("version: 1\nname: sw\npopulation: {size: 600}\nrun: {replications: 2}\n"
                        "sweep: {traffic.daily_visitors: [100, 300]}\n")
    result = CliRunner().invoke(app, ["sweep", str(scenario), "--set", "economics.event_discount=0.1,0.2",
                                      "--results", str(tmp_path / "r"), "-w", "1"])
    assert result.exit_code == 0, result.output
    (folder,) = (tmp_path / "r").iterdir()
    reps = pd.read_parquet(folder / "replications.parquet")
    assert reps["point"].nunique() == 4
    assert set(reps["traffic.daily_visitors"]) == {100, 300}
    bad = CliRunner().invoke(app, ["sweep", str(scenario), "--set", "traffic.conversion=2"])
    assert bad.exit_code == 2 and "traffic.conversion" in bad.output


def test_the_sweep_table_shows_settings_as_given_and_names_list_entries():
    """0.5 and 1 (not 0.5000 and 1.00); a list entry is headed intensity.0, not a bare 0."""
    from rich.console import Console

    from sim.report.console import print_sweep, short_names

    assert short_names(["competition.intensity.0", "policies.a.holdout"]) == {
        "competition.intensity.0": "intensity.0", "policies.a.holdout": "holdout"}
    table = pd.DataFrame({"competition.intensity.0": [0.0, 0.5, 1.0], "population.size": [20000] * 3,
                          "policy": ["p"] * 3, "mean": [1.5e6, 1.4e6, 1.3e6], "ci_low": [1.4e6] * 3,
                          "ci_high": [1.6e6] * 3})
    out = Console(width=80, record=True)
    print_sweep(out, table, "sw")
    text = out.export_text()
    rows = [line.split("│")[1:3] for line in text.splitlines() if line.count("│") > 3]
    assert [[cell.strip() for cell in row] for row in rows] == [["0", "20,000"], ["0.5", "20,000"], ["1", "20,000"]]
    assert "intensity.0 = competition.intensity.0" in text
