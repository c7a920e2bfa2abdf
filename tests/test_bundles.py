"""Bundles: related-item offers raise the value of the orders that take them, and only theirs."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import sim
from cli import app
from sim.model.calendar import Calendar
from sim.model.measures import order_table
from sim.simulation.replication import change_hours, draw_world, play
from tests.conftest import make_scenario

LAYERS = [{"take_rate": 0.3, "value_uplift": 0.2}, {"take_rate": 0.1, "value_uplift": 0.5, "margin": 0.6}]


def _orders(bundles):
    scenario = make_scenario(calendar={"start_day": -5, "end_day": 5}, population={"size": 3000},
                             policies={"shop": {"bundles": bundles}})
    calendar = Calendar.from_scenario(scenario)
    world = draw_world(scenario, calendar, 7, 0)
    engine, _, _ = play(scenario, calendar, world, "shop", 7, 0, change_hours(scenario))
    return order_table(engine, scenario, False, scenario.policies["shop"].bundles)


def test_bundles_raise_only_the_orders_that_take_them():
    plain, bundled = _orders([]), _orders(LAYERS)
    np.testing.assert_array_equal(plain.time, bundled.time)  # buying is the same: same orders
    np.testing.assert_array_equal(plain.customer, bundled.customer)
    ratio = bundled.value / plain.value
    took = ~np.isclose(ratio, 1.0)
    assert set(np.round(ratio[took], 6)) <= {1.2, 1.5, 1.7}
    assert took.mean() == pytest.approx(1 - 0.7 * 0.9, abs=4 * np.sqrt(0.37 * 0.63 / len(ratio)))
    np.testing.assert_array_equal(bundled.coupon, plain.coupon)
    assert (bundled.paid >= 0).all() and (bundled.paid[~took] == plain.paid[~took]).all()
    assert (bundled.profit[~took] == plain.profit[~took]).all()
    added = bundled.value - plain.value
    rate = plain.discount / (plain.value - plain.coupon)  # the event discount applies to the bundle too
    np.testing.assert_allclose((bundled.paid - plain.paid)[took], (added * (1 - rate))[took])
    assert ((bundled.profit - plain.profit)[took] <= added[took] * (1 - rate[took]) + 1e-9).all()


def test_a_policy_without_bundles_is_unchanged_by_another_policys():
    base = make_scenario(population={"size": 3000}, policies={"none": {}, "bundled": {"bundles": LAYERS}})
    alone = make_scenario(population={"size": 3000}, policies={"none": {}})
    both = sim.run(base, replications=2).replications
    one = sim.run(alone, replications=2).replications
    mine = both[both.policy == "none"].reset_index(drop=True)
    assert mine.drop(columns="policy").equals(one.drop(columns="policy"))
    bundled = both[both.policy == "bundled"].reset_index(drop=True)
    assert (bundled.orders == mine.orders).all() and (bundled.gmv > mine.gmv).all()
    assert mine.bundle_orders.eq(0).all() and mine.bundle_value.eq(0).all()
    share = bundled.bundle_orders / bundled.orders  # orders taking at least one layer: 1 - 0.7 x 0.9
    assert ((share - 0.37).abs() < 4 * np.sqrt(0.37 * 0.63 / bundled.orders)).all()
    assert (bundled.bundle_value > 0).all()


@pytest.mark.parametrize("bundles,message", [
    ([{"take_rate": 0.1, "value_uplift": 0.1}] * 4, "no more than 3 layers"),
    ([{"take_rate": 1.5, "value_uplift": 0.1}], "take_rate"),
    ([{"take_rate": 0.5, "value_uplift": -0.1}], "value_uplift"),
])
def test_nonsense_bundles_are_refused_with_the_field(tmp_path, bundles, message):
    raw = {"version": 1, "name": "bad", "population": {"size": 1000}, "policies": {"shop": {"bundles": bundles}}}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and message in result.output and "policies.shop" in result.output, result.output
