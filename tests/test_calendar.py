import numpy as np

from sim.model.calendar import Calendar, hourly_shape
from tests.conftest import make_scenario


def test_shapes_have_mean_one():
    for name in ("double11", "ordinary", "flat"):
        assert np.isclose(hourly_shape(name).mean(), 1.0)


def test_clock_inverse_round_trips():
    cal = Calendar.from_scenario(make_scenario())
    t = np.linspace(cal.start, cal.end - 1e-6, 1000)
    np.testing.assert_allclose(cal.clock_inverse(cal.clock(t)), t, atol=1e-6)


def test_event_day_carries_surge_discount_and_midnight_rush():
    s = make_scenario(traffic={"event_multiplier": 10, "repeat_multiplier": 3, "daily_visitors": 2400})
    cal = Calendar.from_scenario(s)
    day0 = slice(int(-cal.start), int(-cal.start) + 24)
    assert np.isclose(cal.buying[day0].sum(), 3 * 24)
    assert np.isclose(cal.visitors[day0].sum(), 10 * 2400)
    assert cal.visitors[day0].argmax() == 0  # the midnight rush
    assert np.all(cal.discount[day0] == s.economics.event_discount)
    assert cal.discount.sum() == 24 * s.economics.event_discount


def test_season_window_scales_buying():
    s = make_scenario(calendar={"start_day": -10, "end_day": 10,
                                "season": [{"start_day": 5, "end_day": 6, "multiplier": 2.0}]},
                      traffic={"afterglow": [], "hourly_shape": "flat"})
    cal = Calendar.from_scenario(s)
    assert np.allclose(cal.buying[(15 * 24):(17 * 24)], 2.0)
