"""The marketing response acts on customers' own buying: closed form, coupling, pull-forward."""

import numpy as np
import pytest

import sim
from sim.marketing.response import lift_for
from sim.model.calendar import Calendar
from sim.model.measures import order_table
from sim.simulation.replication import change_hours, draw_world, play
from tests.conftest import QUIET_TRAFFIC, make_scenario

RATE = 0.5  # purchases per week of every customer in the homogeneous population


def quiet(channel=None, policies=None, size=20_000, **population):
    """A flat calendar (days -5..30), no newcomers, one category; a test channel `t`."""
    return make_scenario(
        calendar={"start_day": -5, "end_day": 30},
        population={"size": size, "categories": {"all": {"share": 1.0, "cycle_days": 14, "order_value": 100}},
                    **population},
        traffic={**QUIET_TRAFFIC, "daily_visitors": 0, "event_multiplier": 1.0, "preheat_days": 0},
        channels={"t": {"reach": 1.0, "response": 0.1, "opt_out_per_touch": 0.0, "churn_per_touch": 0.0,
                        "pull_forward": 0.0, "response_hours": 48.0, **(channel or {})}},
        policies=policies or {"none": {}, "p": {"waves": [{"day": 2, "hour": 0, "channel": "t"}]}},
        run={"replications": 3, "seed": 11},
    )


HOMOGENEOUS = {"buying": {"r": 4000.0, "alpha": 4000.0 / RATE, "a": 0.001, "b": 1e6}}


def orders_of(s, policy, rep=0):
    cal = Calendar.from_scenario(s)
    world = draw_world(s, cal, s.run.seed, rep)
    engine, _, _ = play(s, cal, world, policy, s.run.seed, rep, change_hours(s))
    return engine, order_table(engine, s, False)


def bought_in(orders, n, t0, t1):
    hit = (orders.time >= t0) & (orders.time < t1)
    return np.bincount(orders.customer[hit], minlength=n) > 0


def test_response_is_the_share_of_reference_customers_who_buy_because_of_the_message():
    s = quiet(**HOMOGENEOUS)
    n = s.population.size
    _, none = orders_of(s, "none")
    _, sent = orders_of(s, "p")
    extra = bought_in(sent, n, 48, 96).mean() - bought_in(none, n, 48, 96).mean()
    se = np.sqrt(0.1 * 0.9 / n)
    assert abs(extra - 0.1) < 4 * se


def test_lift_closed_form():
    expected = RATE / 168 * 48
    lift = lift_for(0.1, expected)
    assert np.exp(-expected) - np.exp(-expected * (1 + lift)) == pytest.approx(0.1)
    assert lift_for(0.0, expected) == 0.0
    with pytest.raises(ValueError):
        lift_for(0.99, 1.0)


def test_without_pull_forward_natural_orders_are_the_same_orders_as_without_the_message():
    s = quiet()
    _, none = orders_of(s, "none")
    _, sent = orders_of(s, "p")
    natural = ~sent.stimulated
    np.testing.assert_array_equal(sent.customer[natural], none.customer)
    np.testing.assert_array_equal(sent.time[natural], none.time)
    np.testing.assert_array_equal(sent.value[natural], none.value)
    assert sent.stimulated.sum() > 100
    assert np.all((sent.time[sent.stimulated] >= 48) & (sent.time[sent.stimulated] < 96))


def test_frequent_buyers_respond_more_and_dropped_out_customers_never():
    s = quiet(channel={"response": 0.2}, buying={"r": 0.8, "alpha": 2.0, "a": 2.0, "b": 1.0})
    engine, sent = orders_of(s, "p")
    alive = engine.pop.remaining > 0  # active to the end, so active when the wave was sent
    lam = engine.pop.lam[alive]
    stim = np.bincount(sent.customer[sent.stimulated], minlength=len(alive))[alive]
    low, high = np.quantile(lam, [0.25, 0.75])
    assert stim[lam >= high].mean() > 5 * stim[lam <= low].mean()
    died = engine.churned_at[sent.customer[sent.stimulated]]
    assert np.all(np.isnan(died) | (sent.time[sent.stimulated] <= died))


def test_pull_forward_takes_purchases_from_later_and_leaves_a_dip():
    policies = {"none": {}, "p0": {"waves": [{"day": 2, "hour": 0, "channel": "t", "pull_forward": 0.0}]},
                "p1": {"waves": [{"day": 2, "hour": 0, "channel": "t", "pull_forward": 1.0}]}}
    s = quiet(channel={"response": 0.3}, policies=policies, size=10_000,
              buying={"r": 4000.0, "alpha": 2000.0, "a": 0.001, "b": 1e6})  # two purchases a week: debts are repaid
    result = sim.run(s)
    reps = result.replications.set_index(["policy", "replication"])
    gain0, gain1 = reps.loc["p0", "incremental_orders_cf"], reps.loc["p1", "incremental_orders_cf"]
    assert (gain0 > 1000).all() and (gain1 < 0.25 * gain0).all()
    assert (reps.loc["p1", "pulled_forward_orders"] > 0.9 * reps.loc["p1", "responses"]).all()
    assert (reps.loc["p0", "pulled_forward_orders"] == 0).all()
    daily = result.daily.set_index(["policy", "replication", "day"]).orders
    after = lambda p: daily.loc[p].loc[(slice(None), slice(4, 30))].groupby("replication").sum()
    np.testing.assert_array_equal(after("p0"), after("none"))  # no pull-forward: nothing changes later
    dip = after("none") - after("p1")
    assert (dip > 0.7 * reps.loc["p1", "responses"].to_numpy()).all()  # most pulled purchases are missed later


def test_a_stimulated_purchase_without_pull_forward_keeps_the_customer_alive_as_before():
    s = quiet(channel={"response": 0.3}, buying={"r": 0.8, "alpha": 2.0, "a": 2.0, "b": 1.0})
    reps = sim.run(s).replications.set_index(["policy", "replication"])
    np.testing.assert_array_equal(reps.loc["p", "alive_end"], reps.loc["none", "alive_end"])
    assert (reps.loc["p", "responses"] > 0).all()


def test_preheat_waiting_moves_purchases_to_the_event_days():
    traffic = {**QUIET_TRAFFIC, "daily_visitors": 0, "event_multiplier": 1.0, "preheat_days": 5,
               "preheat_multiplier": 0.5, "preheat_lost_share": 0.0}
    base = {"calendar": {"start_day": -10, "end_day": 5}, "population": {"size": 20_000, **HOMOGENEOUS},
            "run": {"replications": 2, "seed": 5}}
    waiting = sim.run(make_scenario(traffic=traffic, **base)).daily
    flat = sim.run(make_scenario(traffic={**traffic, "preheat_days": 0}, **base)).daily
    per = lambda d, days: d[d.day.isin(days)].groupby("replication").orders.sum().to_numpy()
    moved = per(flat, range(-10, 0)) - per(waiting, range(-10, 0))
    assert (moved > 0.4 * per(flat, range(-5, 0))).all()  # half the pre-heat buying waits
    np.testing.assert_array_equal(per(waiting, range(0, 2)) - per(flat, range(0, 2)), moved)
    np.testing.assert_array_equal(per(waiting, range(-10, 6)), per(flat, range(-10, 6)))  # none lost


def test_a_response_no_lift_can_reach_is_refused():
    with pytest.raises(sim.ScenarioError) as info:
        quiet(channel={"response": 0.999}, **{"buying": {"r": 10.0, "alpha": 1.0, "a": 1.0, "b": 5.0}})
    assert "channels.t.response" in str(info.value) and "policies.p.waves.0" in str(info.value)
    with pytest.raises(sim.ScenarioError) as info:
        quiet(channel={"pull_forward": 1.5})
    assert "pull_forward" in str(info.value)


def test_counterfactual_is_the_same_world_without_the_actions():
    waves = {"waves": [{"day": 2, "hour": 0, "channel": "t", "pull_forward": 0.5}], "holdout": 0.1}
    with_control = quiet(policies={"none": {}, "p": waves}, size=5000)
    alone = quiet(policies={"p": waves}, size=5000)
    a = sim.run(with_control).replications.set_index(["policy", "replication"])
    b = sim.run(alone).replications.set_index("replication")
    np.testing.assert_array_equal(a.loc["p", "incremental_orders_cf"], a.loc["p", "orders"] - a.loc["none", "orders"])
    for m in ("orders", "gmv", "net_profit"):  # the control played, or the world played again: the same numbers
        np.testing.assert_allclose(b[f"incremental_{m}_cf"], a.loc["p", f"incremental_{m}_cf"])
    assert (a.loc["none", "incremental_orders_cf"] == 0).all()
