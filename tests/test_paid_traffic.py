"""Paid traffic: Hill saturation of adstocked spend, newcomers from their own streams, costs."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import sim
from cli import app
from sim.config.acquisition import AdChannel
from sim.config.variants import derive
from sim.model.calendar import Calendar
from sim.simulation.replication import change_hours, draw_world, play
from tests.conftest import make_scenario, shared_orders

CALENDAR = {"start_day": -6, "end_day": 4}
SEARCH = {"daily_spend": 3000, "max_visitors": 4000, "half_spend": 5000, "adstock": 0.4, "days": [-6, 0],
          "conversion": 0.03}


def ads(**policies):
    return make_scenario(calendar=CALENDAR, acquisition={"search": SEARCH},
                         policies=policies or {"baseline": {}})


def test_the_curve_is_hill_of_geometric_adstock():
    ch = AdChannel(**SEARCH)
    days = np.arange(-6, 5)
    spend = np.where(days <= 0, 3000.0, 0.0)
    carried = np.zeros(len(days))
    for i in range(len(days)):
        carried[i] = spend[i] + (0.4 * carried[i - 1] if i else 0.0)
    np.testing.assert_allclose(ch.visitors_by_day(days), 4000 * carried / (carried + 5000))
    assert ch.visitors_by_day(days)[days == 1][0] > 0  # adstock carries effect past the last day of spend
    flat = AdChannel(**{**SEARCH, "adstock": 0.0})
    assert flat.visitors_by_day(days)[days == 1][0] == 0
    half = AdChannel(**{**SEARCH, "adstock": 0.0, "daily_spend": 5000})
    assert half.visitors_by_day(days)[0] == pytest.approx(2000)  # half_spend brings half of max_visitors


def test_doubling_spend_brings_less_than_twice_the_visitors_and_zero_spend_changes_nothing():
    scenario = ads(baseline={}, double={"acquisition": {"search": {"daily_spend": 6000}}},
                   none={"acquisition": {"search": {"daily_spend": 0}}})
    reps = sim.run(scenario, replications=4).replications
    means = reps.groupby("policy")[["paid_visitors", "paid_first_orders", "ad_spend"]].mean()
    assert 1.0 < means.loc["double", "paid_visitors"] / means.loc["baseline", "paid_visitors"] < 2.0
    assert means.loc["double", "ad_spend"] == 2 * means.loc["baseline", "ad_spend"] == 2 * 3000 * 7
    plain = sim.run(make_scenario(calendar=CALENDAR), replications=4).replications
    none = reps[reps.policy == "none"].reset_index(drop=True)
    assert none["paid_visitors"].eq(0).all() and none["ad_spend"].eq(0).all()
    shared = [c for c in plain.columns if c != "policy" and not c.endswith("_cf")]  # cf: against 3,000 a day
    np.testing.assert_allclose(none[shared].to_numpy(float), plain[shared].to_numpy(float), equal_nan=True)


def test_paid_newcomers_convert_at_the_stated_rate_and_spend_is_paid_from_profit():
    reps = sim.run(ads(), replications=4).replications
    rate = reps["paid_first_orders"].sum() / reps["paid_visitors"].sum()
    n = reps["paid_visitors"].sum()
    assert abs(rate - 0.03) < 4 * np.sqrt(0.03 * 0.97 / n)
    np.testing.assert_allclose(reps["net_profit"], reps["gross_profit"] - reps["ad_spend"] - reps["message_cost"])
    assert (reps["marketing_spend"] >= reps["ad_spend"]).all()
    assert (reps["paid_gmv"] > 0).all()


def test_the_world_keeps_its_random_numbers_whatever_a_policy_spends():
    scenario = ads(baseline={}, double={"acquisition": {"search": {"daily_spend": 6000}}})
    seen = shared_orders(scenario, 3, 0)
    for a, b in zip(seen["baseline"][0], seen["double"][0]):
        np.testing.assert_array_equal(a, b)
    assert seen["double"][1] > seen["baseline"][1] > 0


def test_each_newcomer_places_one_first_order():
    scenario = ads()
    cal = Calendar.from_scenario(scenario)
    engine, _, _ = play(scenario, cal, draw_world(scenario, cal, 3, 0), "baseline", 3, 0,
                        change_hours(scenario, "baseline"))
    o = engine.orders.arrays()
    first = o["customer"][o["first"]]
    assert len(np.unique(first)) == len(first) == np.count_nonzero(engine.pop.acquired)


def test_same_seed_same_numbers_on_any_worker_count():
    scenario = ads(baseline={}, double={"acquisition": {"search": {"daily_spend": 6000}}})
    one = sim.run(scenario, replications=2, workers=1).replications
    two = sim.run(scenario, replications=2, workers=2).replications
    assert one.equals(two)


@pytest.mark.parametrize("acquisition,policies,message", [
    ({"search": {**SEARCH, "daily_spend": -5}}, {}, "acquisition.search.daily_spend"),
    ({"search": {**SEARCH, "half_spend": 0}}, {}, "acquisition.search.half_spend"),
    ({"search": {**SEARCH, "adstock": 1.0}}, {}, "acquisition.search.adstock"),
    ({"search": {**SEARCH, "days": [-20, 0]}}, {}, "outside the calendar"),
    ({"search": SEARCH}, {"p": {"acquisition": {"display": {"daily_spend": 10}}}}, "unknown ad channel"),
    ({"search": SEARCH}, {"p": {"acquisition": {"search": {"daily_spend": -1}}}}, "policies.p.acquisition.search"),
])
def test_nonsense_ads_are_refused_with_the_field(tmp_path, acquisition, policies, message):
    raw = {"version": 1, "name": "bad", "calendar": CALENDAR, "population": {"size": 1000},
           "acquisition": acquisition, "policies": policies or {"baseline": {}}}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and message in result.output and "line" in result.output, result.output


def test_a_policy_override_can_be_swept():
    scenario = ads(baseline={}, more={"acquisition": {"search": {"daily_spend": 1000}}})
    bigger = derive(scenario, {"policies.more.acquisition.search.daily_spend": 9000})
    assert bigger.ad_channels("more")["search"].daily_spend == 9000
    assert bigger.ad_channels("baseline")["search"].daily_spend == 3000
