"""Marketing policies played in the engine: budgets, holdouts, opt-outs, costs, monotonicity."""

import numpy as np
import pytest

import sim
from sim.model.calendar import Calendar
from sim.errors import ScenarioError
from sim.marketing.messaging import Mailbox
from sim.marketing.evaluation import attribute_responses
from sim.marketing.runtime import PolicyRuntime
from sim.model.measures import order_table
from sim.simulation.replication import change_hours, draw_world, play
from tests.conftest import make_scenario

COUPON = {"threshold": 199, "discount": 20, "valid_days": [0, 1], "budget": 3000}


def wave(**kw):
    return {"day": -3, "hour": 12, "channel": "sms", **kw}


def played(s, policy, rep=0):
    cal = Calendar.from_scenario(s)
    world = draw_world(s, cal, s.run.seed, rep)
    engine, _, made = play(s, cal, world, policy, s.run.seed, rep, change_hours(s))
    rt = next((p for plugins in made for p in plugins if isinstance(p, PolicyRuntime)), None)
    return engine, rt, order_table(engine, s, s.policies[policy].discount_profit_items)


def test_coupon_budget_is_never_exceeded():
    s = make_scenario(population={"size": 5000},
                      policies={"p": {"waves": [wave(coupon=COUPON), wave(day=-1, coupon=COUPON)]}})
    for rep in range(3):
        engine, rt, orders = played(s, "p", rep)
        issued = sum(c.issued for c in rt.coupons.stats.values())
        cost = sum(c.cost for c in rt.coupons.stats.values())
        assert issued <= 2 * (3000 // 20)
        for stats in rt.coupons.stats.values():
            assert stats.issued <= 3000 // 20 and stats.cost <= 3000
        assert orders["coupon"].sum() == pytest.approx(cost)
        assert cost == pytest.approx(20 * sum(c.redeemed for c in rt.coupons.stats.values()))
        # Redeemed orders reached the threshold, inside the validity window.
        used = orders["coupon"] > 0
        assert np.all(orders["value"][used] >= 199)
        assert np.all((orders["time"][used] >= 0) & (orders["time"][used] < 48))


def test_holdout_is_never_touched():
    s = make_scenario(population={"size": 5000}, policies={"p": {
        "holdout": 0.3, "waves": [wave(coupon=COUPON), wave(day=-10, channel="push")],
        "programmes": [{"name": "care", "trigger": "new_buyer", "after_days": 2, "channel": "sms"}]}})
    engine, rt, orders = played(s, "p")
    held = rt.held_out
    assert 0.25 < held.mean() < 0.35
    assert not np.any(held[orders["customer"][orders["stimulated"]]])
    assert not np.any(held & (rt.coupons.spec >= 0)) and not np.any(held & np.isfinite(rt.coupons.start))
    assert not np.any(rt.mailbox.fatigue[held] > 0)
    for e in rt.exposures:
        assert not np.any(held[e.assigned]) and np.all(held[e.held_out])
    assert sum(len(e.held_out) for e in rt.exposures) > 0


def test_opted_out_customers_are_never_messaged(monkeypatch):
    waves = [wave(day=d, channel="push") for d in range(-20, 0)]
    s = make_scenario(population={"size": 3000},
                      channels={"push": {"opt_out_per_touch": 0.05}}, policies={"p": {"waves": waves}})
    original = Mailbox.deliver
    checked = []

    def guarded(self, send, *args):
        out = self.opted_out.get(send.channel_name)
        if out is not None:
            assert not np.any(out[send.reached]), "an opted-out customer was messaged"
        checked.append(len(send.reached))
        return original(self, send, *args)

    monkeypatch.setattr(Mailbox, "deliver", guarded)
    _, rt, _ = played(s, "p")
    assert len(checked) == 20 and rt.mailbox.stats["push"].opt_outs > 500


def test_wave_with_zero_response_changes_nothing():
    s = make_scenario(population={"size": 4000},
                      channels={"mute": {"response": 0.0, "opt_out_per_touch": 0.0, "churn_per_touch": 0.0}},
                      policies={"none": {}, "mute": {"waves": [wave(channel="mute"), wave(day=0, hour=0, channel="mute")]}})
    reps = sim.run(s).replications.set_index(["policy", "replication"])
    for metric in ("orders", "gmv", "gross_profit", "churned", "alive_end", "repurchase_rate"):
        np.testing.assert_array_equal(reps.loc["none", metric], reps.loc["mute", metric])
    assert (reps.loc["mute", "messages"] > 0).all()


def test_stronger_response_never_lowers_orders():
    policies = {name: {"waves": [wave(channel=name), wave(day=5, channel=name)]} for name in ("weak", "strong")}
    s = make_scenario(population={"size": 6000}, run={"replications": 6, "seed": 3},
                      channels={"weak": {"response": 0.02}, "strong": {"response": 0.05}}, policies=policies)
    reps = sim.run(s).replications.set_index(["policy", "replication"])
    weak, strong = reps.loc["weak", "orders"].to_numpy(), reps.loc["strong", "orders"].to_numpy()
    assert np.all(strong >= weak)  # the same customers and uniforms: a bigger lift, never fewer orders
    assert (strong > weak).all()


def test_costs_add_up_to_messages_times_cost():
    s = make_scenario(population={"size": 4000}, policies={"p": {"waves": [
        wave(channel="sms", coupon=COUPON), wave(day=-1, channel="edm"), wave(day=-2, channel="phone")]}})
    result = sim.run(s, replications=2)
    ch = result.tables["channels"]
    unit = {name: s.channels[name].cost for name in ("sms", "edm", "phone")}
    np.testing.assert_allclose(ch.cost, ch.messages * ch.channel.map(unit))
    per_rep = ch.groupby("replication").cost.sum().to_numpy()
    reps = result.replications
    np.testing.assert_allclose(reps.message_cost, per_rep)
    coupons = result.tables["coupons"].groupby("replication").cost.sum().to_numpy()
    np.testing.assert_allclose(reps.coupon_cost, coupons)
    np.testing.assert_allclose(reps.marketing_spend, reps.message_cost + reps.coupon_cost)
    np.testing.assert_allclose(reps.net_profit, reps.gross_profit - reps.message_cost)
    daily_coupon = result.daily.groupby("replication").coupon_cost.sum().to_numpy()
    np.testing.assert_allclose(daily_coupon, coupons)


def test_unknown_channel_and_days_outside_calendar_are_reported():
    with pytest.raises(ScenarioError) as info:
        make_scenario(policies={"p": {"waves": [wave(channel="telegram")]}})
    assert "policies.p.waves.0.channel" in str(info.value) and "telegram" in str(info.value)
    with pytest.raises(ScenarioError) as info:
        make_scenario(policies={"p": {"waves": [wave(day=99)]}})
    assert "policies.p.waves.0.day" in str(info.value) and "outside the calendar" in str(info.value)


def test_preheat_responders_add_to_cart_and_buy_on_the_event_day():
    s = make_scenario(population={"size": 4000}, channels={"sms": {"response": 0.1}},
                      policies={"p": {"waves": [wave(day=-5), wave(day=2, name="after")]}})
    engine, rt, orders = played(s, "p")
    attribute_responses(rt, orders)
    stimulated = orders["time"][orders["stimulated"]]
    day0 = (stimulated >= 0) & (stimulated < 24)
    assert rt.cart_orders > 0 and day0.sum() == rt.cart_orders
    assert np.all((stimulated[~day0] >= 60) & (stimulated[~day0] < 60 + 48))  # day 2 at 12:00 lifts 48 h
    reps = sim.run(s, replications=2).replications
    assert (reps.add_to_cart > 0).all() and (reps.add_to_cart <= reps.responses).all()
