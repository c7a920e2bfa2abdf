"""Whole-day run: order accounting, stock, warehouse and config validation."""

import numpy as np
import pytest
from pydantic import ValidationError

from sim.operations import Operations, simulate_operations
from sim.operations.orders import CLOSED, NO_STOCK, NOT_PLACED, PAID, SHIPPED, UNPAID


@pytest.fixture(scope="module")
def run():
    rng = np.random.default_rng(42)
    from tests.operations.conftest import event_day
    orders = event_day(rng, 12_000, buyers=9_000)
    cfg = Operations.model_validate({
        "enabled": True, "horizon_days": 2,
        "service": {"agents": 25},
        "warehouse": {"staff": 15, "picks_per_staff_hour": 10},
        "stock": {"units": {"traffic": 2500, "profit": 4000, "marginal": 1e6, "potential": 1e6}}})
    return orders, cfg, simulate_operations(orders, None, cfg, rng)


def test_every_order_is_accounted_for(run):
    orders, _, res = run
    st, m = res.orders["status"], res.metrics()
    assert len(st) == len(orders["time"]) + m["orders_from_service"]
    assert m["orders_from_service"] > 0
    assert m["orders_shipped"] + m["orders_waiting"] + m["orders_cancelled"] == len(st)
    assert m["orders_cancelled"] == np.sum(st == CLOSED) + np.sum(st == NO_STOCK)
    # slow packing over a 2-day horizon leaves some paid orders waiting
    assert np.sum(st == PAID) > 0 and m["days_to_clear"] == np.inf
    shipped = st == SHIPPED
    assert np.all(res.orders["ship_time"][shipped] >= res.orders["paid_time"][shipped])
    assert np.isnan(res.orders["ship_time"][~shipped]).all()
    assert not np.any(st == NOT_PLACED)
    # orders still unpaid at the 48 h horizon are those whose 24 h close timer has not run out
    assert np.all(res.orders["time"][st == UNPAID] > 48 - 24)


def test_hourly_table_adds_up(run):
    _, _, res = run
    h, m = res.hourly, res.metrics()
    assert h["shipped"].sum() == m["orders_shipped"]
    assert h["chat_arrivals"].sum() == m["chats"]
    assert (h["shipped"] <= h["capacity"] + 1).all()
    assert (h["backlog"] >= 0).all() and (h["chat_queue"] >= 0).all()
    assert (h["peak_chats_per_agent"] <= 3).all()
    assert h["answered"].sum() + h["abandoned"].sum() == m["chats"]


def test_stock_never_negative_and_lost_sales_counted(run):
    orders, cfg, res = run
    s = res.stock.set_index("role")
    assert (s["lowest"] >= 0).all()
    assert s.loc["traffic", "lost_orders"] > 0 and s.loc["marginal", "lost_orders"] == 0
    st, role = res.orders["status"], res.orders["role"]
    held = np.isin(st, (PAID, SHIPPED, UNPAID))
    for r, name in enumerate(("traffic", "profit", "marginal", "potential")):
        assert np.sum(held & (role == r)) <= s.loc[name, "units"]
    assert res.metrics()["lost_orders_traffic"] == np.sum((st == NO_STOCK) & (role == 0))


def test_within_promise_when_capacity_is_ample(make_day):
    rng = np.random.default_rng(3)
    cfg = Operations(enabled=True, horizon_days=4)
    m = simulate_operations(make_day(rng, 3000), np.zeros(0), cfg, rng).metrics()
    assert m["orders_waiting"] == 0 and m["on_time_share"] == 1.0
    assert m["ship_hours_p95"] <= 48 and 0 < m["days_to_clear"] < 4


def test_same_seed_same_result(make_day):
    out = []
    for _ in range(2):
        rng = np.random.default_rng(9)
        out.append(simulate_operations(make_day(rng, 2000), None, Operations(horizon_days=2), rng).metrics())
    assert out[0] == out[1]


def test_config_rejects_bad_values():
    with pytest.raises(ValidationError):
        Operations.model_validate({"payment": {"unpaid_share": 1.5}})
    with pytest.raises(ValidationError):
        Operations.model_validate({"service": {"agents": [1] * 23}})
    with pytest.raises(ValidationError):
        Operations.model_validate({"stock": {"unit": {}}})
    assert Operations().payment.close_hours_by_role().tolist() == [24.0] * 4
