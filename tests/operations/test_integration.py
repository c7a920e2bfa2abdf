"""Operations wired into replications, and `sim capacity` end to end."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import sim
from cli import app
from sim.config.marketing import Policy
from sim.operations import Operations
from sim.studies.capacity import CapacityError, parse_duration
from sim.operations.play import with_policy

TINY = {
    "version": 1, "name": "tiny_ops",
    "calendar": {"start_day": -5, "end_day": 3},
    "population": {"size": 3000},
    "traffic": {"daily_visitors": 1500},
    "operations": {"enabled": True, "horizon_days": 3, "service": {"agents": 4}},
    "policies": {"reminders_on": {"payment_reminders": True}, "reminders_off": {"payment_reminders": False}},
    "run": {"replications": 3, "seed": 11},
}

TINY_YAML = """version: 1
name: tiny_capacity
calendar: {start_day: -3, end_day: 2}
population: {size: 2000}
traffic: {daily_visitors: 1000}
policies: {baseline: {}}
run: {replications: 2, seed: 4}
"""


@pytest.fixture(scope="module")
def result():
    return sim.run(sim.scenario_from_dict(TINY))


def test_ops_metrics_and_hourly_table_appear(result):
    reps = result.replications
    for column in ("ops_paid_gmv", "ops_placed_gmv", "ops_event_gmv", "ops_recovered_gmv",
                   "ops_recovered_gmv_incremental", "ops_recovered_orders_incremental", "ops_service_level",
                   "ops_orders_shipped", "ops_lost_orders_traffic"):
        assert column in reps.columns
    hourly = result.tables["operations_hourly"]
    assert list(hourly.columns[:3]) == ["replication", "policy", "hour"]
    assert len(hourly) == 3 * 2 * 3 * 24  # replications x policies x horizon hours
    per_run = hourly.groupby(["replication", "policy"])["orders"].sum()
    assert (per_run.to_numpy() == reps.set_index(["replication", "policy"]).loc[per_run.index,
                                                                               "ops_orders_placed"]).all()


def test_every_event_day_order_is_accounted_for(result):
    reps = result.replications.set_index(["replication", "policy"])
    day0 = result.daily[result.daily["day"] == 0].set_index(["replication", "policy"])["orders"]
    r = reps.loc[day0.index]
    assert (r.ops_orders_placed == day0 + r.ops_orders_from_service).all()
    assert (r.ops_orders_shipped + r.ops_orders_waiting + r.ops_orders_cancelled == r.ops_orders_placed).all()
    assert (r.ops_paid_gmv <= r.ops_placed_gmv + 1e-6).all()
    assert np.allclose(r.ops_event_gmv, result.daily[result.daily["day"] == 0].set_index(
        ["replication", "policy"]).loc[day0.index, "gmv"])


def test_reminders_only_when_enabled_and_they_recover_paid_gmv(result):
    reps = result.replications
    off = reps[reps.policy == "reminders_off"].set_index("replication")
    on = reps[reps.policy == "reminders_on"].set_index("replication")
    assert (off.ops_reminders_sent == 0).all() and (off.ops_recovered_gmv == 0).all()
    assert (off.ops_reminder_cost == 0).all()
    assert (on.ops_reminders_sent > 0).all() and (on.ops_recovered_gmv > 0).all()
    # same customers and the same operations draws: the engine's gmv is identical and, with
    # unlimited stock, the reminders add exactly the GMV they recover incrementally; buyers who
    # would have paid anyway (default self_pay_share) make the gross figure larger
    assert np.allclose(on.gmv, off.gmv)
    assert (on.ops_paid_gmv > off.ops_paid_gmv).all()
    assert np.allclose(on.ops_paid_gmv - off.ops_paid_gmv, on.ops_recovered_gmv_incremental)
    assert (on.ops_recovered_gmv > on.ops_recovered_gmv_incremental).all()
    assert (off.ops_recovered_gmv_incremental == 0).all()
    assert np.allclose(on.ops_chats, off.ops_chats)


def test_no_operations_no_ops_columns():
    quiet = sim.run(sim.scenario_from_dict({**TINY, "operations": {}}), replications=1)
    assert not any(c.startswith("ops_") for c in quiet.replications.columns)
    assert "operations_hourly" not in quiet.tables


def test_policy_reminder_setting_overrides_the_scenario():
    ops = Operations()
    assert with_policy(ops, Policy()) is ops
    assert with_policy(ops, Policy(payment_reminders=False)).payment.reminder.enabled is False
    assert ops.payment.reminder.enabled is True


@pytest.mark.parametrize("text, seconds", [("20s", 20), ("2m", 120), ("48h", 172800), ("2d", 172800),
                                           ("1.5 h", 5400), ("90sec", 90)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["20", "20x", "h", "-2h", "0s", ""])
def test_bad_durations(text):
    with pytest.raises(CapacityError):
        parse_duration(text)


def test_capacity_command_writes_table_and_chart(tmp_path):
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(TINY_YAML)
    out = tmp_path / "cap"
    res = CliRunner().invoke(app, ["capacity", str(scenario), "--service-level", "0.8", "--answer-within", "20s",
                                   "--ship-within", "2d", "--replications", "2", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "Erlang C" in res.output and "Warehouse" in res.output
    table = pd.read_csv(out / "capacity.csv")
    assert list(table["hour"]) == list(range(24))
    assert {"arrivals", "erlang_agents", "sim_agents", "achieved_service_level", "staff"} <= set(table.columns)
    assert (table["sim_agents"] >= 1).any()
    below = table["achieved_service_level"] < 0.8  # a note says so exactly where the shown level is short
    np.testing.assert_array_equal(table["note"].fillna("").str.contains("below target"), below)
    # the plan is the steady search topped up where the replayed days fell short; its cost and places follow it
    assert (table["agents"] >= table["sim_agents"]).all()
    np.testing.assert_array_equal(table["note"].fillna("").str.contains("on replay"), table["agents"] > table["sim_agents"])
    np.testing.assert_array_equal(table["capacity_chats"], table["agents"] * table["chats_per_agent"])
    long = [line for line in res.output.splitlines() if len(line) > 80 and not line.startswith("Wrote ")]
    assert not long  # 80 columns, but for the folder written (a path is not split)
    assert (out / "load_vs_capacity.png").stat().st_size > 1000
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_capacity_bad_duration_exits_2_without_writing(tmp_path):
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(TINY_YAML)
    res = CliRunner().invoke(app, ["capacity", str(scenario), "--answer-within", "20 minutes please",
                                   "--out", str(tmp_path / "cap")])
    assert res.exit_code == 2
    assert "not a duration" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "cap").exists()


def test_the_capacity_plan_meets_its_target_on_the_days_it_replays():
    """Hours short of the target when the simulated days are replayed get agents until none is;
    the achieved levels and the summary are those of a fresh replay with the final schedule."""
    from sim.config.loader import load_scenario
    from sim.studies import capacity

    scenario = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "double11_operations.yaml")
    plan = capacity.plan_capacity(scenario, service_level=0.8, answer_within_seconds=20, replications=3)
    h = plan.hourly
    assert plan.replays < capacity.REPLAYS and (h["achieved_service_level"].dropna() >= 0.8).all()
    assert plan.replays >= 1 and (h["agents"] > h["sim_agents"]).any()  # this day needs the top-up
    assert plan.agent_hours == h["agents"].sum() and plan.agent_cost == pytest.approx(
        h["agents"].sum() * scenario.operations.service.agent_hour_cost)
    config = capacity._targets(scenario.operations, 0.8, 20.0, None)
    config = with_policy(config, scenario.policies[plan.policy])
    config = config.model_copy(update={"service": config.service.model_copy(
        update={"agents": [float(a) for a in h["agents"]]})})
    days = [capacity.run_event_day(capacity._event_orders(scenario, plan.policy, scenario.run.seed, rep), config,
                                   scenario.run.seed, rep) for rep in range(3)]
    np.testing.assert_allclose(capacity._achieved(days), h["achieved_service_level"])
    assert np.mean([d.metrics()["service_level"] for d in days]) == pytest.approx(plan.achieved["service_level"])
    # other days, not used to plan: the whole day still meets the target, though some hours may not
    assert plan.fresh["service_level"] >= 0.8 and 0 <= plan.fresh["short_hours"] <= 24
