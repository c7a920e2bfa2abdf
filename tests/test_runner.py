"""Runs: reproducibility, worker independence, common random numbers."""

import pandas as pd
import pytest

import sim
from tests.conftest import make_scenario


def test_same_seed_same_numbers_and_other_seed_other_numbers(small_scenario):
    a = sim.run(small_scenario).replications
    b = sim.run(small_scenario).replications
    pd.testing.assert_frame_equal(a, b)
    c = sim.run(small_scenario, seed=8).replications
    assert not a["orders"].equals(c["orders"])


def test_results_do_not_depend_on_worker_count(small_scenario):
    one = sim.run(small_scenario, replications=4, workers=1)
    two = sim.run(small_scenario, replications=4, workers=2)
    pd.testing.assert_frame_equal(one.replications, two.replications)
    pd.testing.assert_frame_equal(one.daily, two.daily)


def test_identical_policies_see_identical_worlds():
    s = make_scenario(policies={"a": {}, "b": {}})
    reps = sim.run(s).replications
    a = reps[reps.policy == "a"].drop(columns="policy").reset_index(drop=True)
    b = reps[reps.policy == "b"].drop(columns="policy").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_summary_interval_brackets_the_mean(small_scenario):
    summary = sim.run(small_scenario).summary()
    assert set(summary.columns) >= {"policy", "metric", "mean", "ci_low", "ci_high"}
    defined = summary.dropna(subset=["mean"])
    assert set(defined.metric) >= {"orders", "gmv", "net_profit", "repurchase_rate"}
    assert (defined.ci_low <= defined["mean"]).all() and (defined["mean"] <= defined.ci_high).all()
    # Lift over a holdout is undefined for a policy without marketing, not zero.
    assert summary.set_index("metric").loc["incremental_gmv", "n"] == 0


def test_override_replications_and_seed(small_scenario):
    result = sim.run(small_scenario, replications=2, seed=99)
    assert result.scenario.run.replications == 2 and result.scenario.run.seed == 99
    assert len(result.replications) == 2
    with pytest.raises(Exception):
        sim.run(small_scenario, replications=0)
