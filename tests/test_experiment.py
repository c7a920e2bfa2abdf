"""Strategies tested inside one randomised world, simulated power, and best-policy selection."""

import numpy as np
from typer.testing import CliRunner

from cli import app
from sim.studies.experiment import holdout_power, play_split, run_experiment, select_best
from tests.conftest import make_scenario

WAVES = [{"day": -3, "channel": "sms"}, {"day": -1, "hour": 20, "channel": "sms"}]


def scenario(size=6000, **kw):
    policies = {"none": {}, "sms": {"holdout": 0.2, "waves": WAVES},
                "loud": {"waves": WAVES, "holdout": 0.2}}
    return make_scenario(population={"size": size}, traffic={"daily_visitors": 500},
                         channels={"sms": {"response": 0.15}}, policies=policies, **kw)


def test_customers_are_split_and_each_policy_acts_only_on_its_arm():
    customers = play_split(scenario(), 0)
    counts = customers.arm.value_counts()
    assert set(counts.index) == {"none", "sms", "loud"}
    assert counts.max() - counts.min() < 0.1 * counts.mean()
    none = customers[customers.arm == "none"]
    assert none.exposed.sum() == 0 and none.held_out.sum() == 0
    sms = customers[(customers.arm == "sms") & (customers.exposed == 1)]
    assert 0.15 < sms.held_out.mean() < 0.25
    assert (customers.pre_spend >= 0).all() and (customers.gmv >= 0).all()


def test_experiment_detects_a_strong_effect_on_repurchase():
    result = run_experiment(scenario(size=20000))
    rows = result.comparison.set_index(["arm", "metric"])
    assert not result.srm.mismatch
    # two cart waves lift the same day 0: about 2.8 points for those sent, 80 % of the arm (s.e. 0.6 point)
    assert rows.loc[("sms", "repurchased"), "difference"] > 0.01
    assert rows.loc[("sms", "repurchased"), "decision"] == "better"
    assert set(result.counts) == {"none", "sms", "loud"}


def test_simulated_power_grows_with_the_holdout_and_tracks_the_analytic_power():
    s = make_scenario(population={"size": 4000}, traffic={"daily_visitors": 0},
                      channels={"sms": {"response": 0.1}}, policies={"sms": {"waves": WAVES}},
                      run={"replications": 24, "seed": 9})
    summary, per_rep = holdout_power(s, "sms", [0.05, 0.3], workers=2)
    small, large = summary.iloc[0], summary.iloc[1]
    assert large.power >= small.power
    assert large.n_held_out > 4 * small.n_held_out
    for _, row in summary.iterrows():
        tolerance = 3 * np.sqrt(row.analytic_power * (1 - row.analytic_power) / row.replications) + 0.05
        assert abs(row.power - row.analytic_power) < tolerance
    assert len(per_rep) == 48


def test_selection_picks_the_policy_that_clearly_earns_more():
    s = make_scenario(population={"size": 3000}, traffic={"daily_visitors": 0},
                      channels={"mute": {"response": 0.0, "cost": 0.0}, "good": {"response": 0.2, "cost": 0.0}},
                      policies={"mute": {"waves": [{"day": -3, "channel": "mute"}]},
                                "good": {"waves": [{"day": -3, "channel": "good"}]}},
                      run={"seed": 5})
    result, names = select_best(s, "gmv", delta=2000.0, n0=5, max_replications=30)
    assert names[result.best] == "good"
    assert min(result.replications) >= 5


def test_commands_run_and_reject_bad_input(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("version: 1\nname: e\npopulation: {size: 2000}\ntraffic: {daily_visitors: 100}\n"
                    "policies:\n  none: {}\n  sms: {waves: [{day: -3, channel: sms}], holdout: 0.2}\n"
                    "run: {replications: 3, seed: 1}\n")
    runner = CliRunner()
    result = runner.invoke(app, ["experiment", str(path)])
    assert result.exit_code == 0, result.output
    assert "Sample ratio" in result.output and "sms vs none" in result.output
    result = runner.invoke(app, ["power", str(path), "--holdouts", "0.1,0.3", "-n", "3", "-w", "1"])
    assert result.exit_code == 0, result.output
    assert "30%" in result.output
    assert runner.invoke(app, ["power", str(path), "--holdouts", "0.1,abc"]).exit_code == 2
    assert runner.invoke(app, ["power", str(path), "--policy", "none"]).exit_code == 2
    result = runner.invoke(app, ["select", str(path), "--delta", "1000", "--n0", "3", "--max-replications", "6"])
    assert result.exit_code == 0, result.output
    assert "Best policy on net_profit" in result.output
