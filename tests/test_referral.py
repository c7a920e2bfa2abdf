"""Referral offers and red packets: shares, friends who buy, rewards within budget, common random numbers."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import sim
from cli import app
from sim.config.marketing import INVITEE_CONVERSION
from sim.model.calendar import Calendar
from sim.model.measures import order_table
from sim.simulation.replication import change_hours, draw_world, play
from tests.conftest import make_scenario, shared_orders

CALENDAR = {"start_day": -6, "end_day": 4}
OFFER = {"day": -4, "share_rate": 0.2, "invitees_per_share": 2.5, "reward": {"inviter": 8, "invitee": 15}}


def referral(offer=None, size=4000, **extra):
    return make_scenario(calendar=CALENDAR, population={"size": size},
                         policies={"baseline": {}, "refer": {"referral": {**OFFER, **(offer or {})}, **extra}})


def test_friends_are_counted_once_and_arrive_at_the_stated_rates():
    reps = sim.run(referral(), replications=4).replications
    r = reps[reps.policy == "refer"]
    base = reps[reps.policy == "baseline"].set_index("replication")
    assert (r.referred_buyers <= r.referral_invitees).all()
    # every referred buyer is one new customer, counted once
    np.testing.assert_array_equal(r.set_index("replication").new_buyers - base.new_buyers,
                                  r.set_index("replication").referred_buyers)
    shares, invitees, buyers = r.referral_shares.sum(), r.referral_invitees.sum(), r.referred_buyers.sum()
    assert abs(invitees / shares - 2.5) < 4 * np.sqrt(2.5 / shares)
    p = INVITEE_CONVERSION
    assert abs(buyers / invitees - p) < 4 * np.sqrt(p * (1 - p) / invitees)
    assert (r.referred_gmv > 0).all()


def test_rewards_are_paid_as_stated_and_never_make_an_order_negative():
    scenario = referral()
    cal = Calendar.from_scenario(scenario)
    world = draw_world(scenario, cal, 5, 0)
    engine, _, _ = play(scenario, cal, world, "refer", 5, 0, change_hours(scenario))
    orders = order_table(engine, scenario, False)
    out = engine.plugins[0].referral
    firsts = orders.select(orders.first & (orders.customer >= engine.n_world))
    assert len(firsts) == len(out.newcomers.first_value) > 0
    assert (firsts.coupon <= 15 + 1e-9).all() and (firsts.coupon <= firsts.value + 1e-9).all()
    assert (orders.paid >= 0).all()
    assert out.invitee_cost == pytest.approx(firsts.coupon.sum())
    assert out.inviter_cost == pytest.approx(8 * len(firsts))  # pay_on first_order: per friend who buys


def test_a_budget_closes_the_offer_and_is_never_exceeded():
    open_ = sim.run(referral(), replications=3).replications
    spent = open_[open_.policy == "refer"].referral_cost
    budget = float(spent.min()) / 3
    closed = sim.run(referral({"budget": budget}), replications=3).replications
    c = closed[closed.policy == "refer"]
    assert (c.referral_cost <= budget + 1e-6).all()
    assert (c.referral_cost > 0.8 * budget).all()  # it spends the budget, then closes
    assert (c.referred_buyers.to_numpy() < open_[open_.policy == "refer"].referred_buyers.to_numpy()).all()


def test_paying_on_share_pays_every_sharer_once():
    reps = sim.run(referral({"pay_on": "share", "reward": {"inviter": 3, "invitee": 0}}), replications=2).replications
    r = reps[reps.policy == "refer"]
    np.testing.assert_allclose(r.referral_cost, 3 * r.referral_shares)


def test_a_red_packet_grows_with_friends_up_to_its_cap():
    offer = {"pay_on": "share", "reward": {"inviter": 2, "invitee": 0}, "red_packet": {"per_friend": 1.5, "cap": 5}}
    reps = sim.run(referral(offer), replications=2).replications
    r = reps[reps.policy == "refer"]
    assert (r.referral_cost >= 2 * r.referral_shares - 1e-9).all()
    assert (r.referral_cost <= 5 * r.referral_shares + 1e-9).all()
    assert (r.referral_cost > 2 * r.referral_shares).all()  # friends opened some


def test_everyone_else_keeps_their_random_numbers():
    seen = shared_orders(referral({"channel": "sms"}), 9, 1)
    for a, b in zip(seen["baseline"][0], seen["refer"][0]):
        np.testing.assert_array_equal(a, b)
    assert seen["refer"][1] > 0 == seen["baseline"][1]
    one = sim.run(referral(), replications=2, workers=1).replications
    assert one.equals(sim.run(referral(), replications=2, workers=2).replications)


def test_a_customer_level_experiment_refuses_a_referral(tmp_path):
    raw = {"version": 1, "name": "r", "calendar": CALENDAR, "population": {"size": 1000},
           "policies": {"baseline": {}, "refer": {"referral": OFFER}}}
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    result = CliRunner().invoke(app, ["experiment", str(path)])
    assert result.exit_code == 2 and "policies.refer.referral" in result.output, result.output


@pytest.mark.parametrize("offer,message", [
    ({"share_rate": 1.5}, "policies.refer.referral.share_rate"),
    ({"invitees_per_share": 0}, "policies.refer.referral.invitees_per_share"),
    ({"day": 30}, "outside the calendar"),
    ({"reward": {"inviter": -1}}, "policies.refer.referral.reward.inviter"),
    ({"channel": "fax"}, "unknown channel"),
])
def test_nonsense_offers_are_refused_with_the_field(tmp_path, offer, message):
    raw = {"version": 1, "name": "bad", "calendar": CALENDAR, "population": {"size": 1000},
           "policies": {"refer": {"referral": {**OFFER, **offer}}}}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and message in result.output and "line" in result.output, result.output
