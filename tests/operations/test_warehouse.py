"""Packing line: capacity by hour, FIFO order, nothing shipped before it is paid."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.config.operations import Warehouse
from sim.operations.warehouse import PickCalendar, ship_times, ship_times_reference


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=24, max_size=24),
       st.lists(st.floats(0, 30, allow_nan=False), min_size=1, max_size=200))
def test_shipping_respects_capacity_and_order(staff, paid):
    cfg = Warehouse(staff=[float(s) for s in staff], picks_per_staff_hour=3.0)
    paid = np.array(paid)
    ship = ship_times(paid, cfg, 0.0, 72)
    done = ~np.isnan(ship)
    assert np.all(ship[done] >= paid[done])
    order = np.argsort(paid, kind="stable")
    s = ship[order]
    assert np.all(np.diff(s[~np.isnan(s)]) >= -1e-9)          # first paid, first shipped
    assert np.all(np.isnan(s[np.argmax(np.isnan(s)):])) if np.isnan(s).any() else True
    cal = PickCalendar(cfg, 0.0, 72)
    for t in np.unique(ship[done]):
        assert np.sum(ship[done] <= t) <= cal.work_done(t) + 1e-6   # never beyond capacity


@pytest.mark.parametrize("ship_times", [ship_times, ship_times_reference], ids=["running_max", "simpy"])
def test_no_staff_hours_pass_without_shipping(ship_times):
    cfg = Warehouse(staff=[0.0] * 8 + [1.0] * 16, picks_per_staff_hour=2.0)
    ship = ship_times(np.array([0.0, 0.1, 0.2]), cfg, 0.0, 24)
    assert np.allclose(ship, [8.5, 9.0, 9.5])
