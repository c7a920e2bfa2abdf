"""The compiled operations path against the SimPy reference (one process per order and chat).

Both paths draw the same random numbers in the same order, so with one seed they meet the same
customers, handle times, patience and payment draws. Paired runs must then agree chat by chat
and order by order; the only slack allowed is floating-point rounding (1e-9 h) and, on the
packing line, an order whose work ends exactly as a shift ends, which rounding sends either to
that instant or to the next shift (at most one order per shift end). Independent runs (different
seeds) must agree in distribution: means over replications within 4 standard errors.
"""

import numpy as np
import pytest

from sim.config.operations import HandleTime, Service, Warehouse
from sim.operations import Operations, simulate_operations, simulate_operations_reference
from sim.operations.orders import SHIPPED
from sim.operations.service import simulate_chats, simulate_chats_reference
from sim.operations.warehouse import ship_times, ship_times_reference

SHIFTED = {"enabled": True, "horizon_days": 3,
           "payment": {"unpaid_share": 0.35, "self_pay_share": 0.4, "self_pay_minutes": 20,
                       "close_after_hours": {"traffic": 0.5, "profit": 24, "marginal": 24, "potential": 24},
                       "reminder": {"delay_minutes": 5, "response_minutes": 10}},
           "service": {"chats_per_agent": 3, "patience_minutes": 3,
                       "agents": [14, 10, 5, 3, 2, 2, 2, 3, 4, 5, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 8, 8, 8, 8]},
           "warehouse": {"staff": [0.0] * 8 + [4.0] * 14 + [0.0] * 2, "picks_per_staff_hour": 12}}
STOCKED = {**SHIFTED, "stock": {"units": {"traffic": 900, "profit": 1500, "marginal": 1e6, "potential": 1e6}}}
PAIRED_METRICS = ("chats", "service_level", "mean_wait_s", "p95_wait_s", "abandonment_rate", "orders_placed",
                  "orders_from_service", "unpaid_orders", "reminders_sent", "recovered_orders",
                  "recovered_orders_incremental", "recovered_gmv", "recovered_gmv_incremental",
                  "closed_orders", "paid_orders", "paid_gmv", "lost_orders_traffic", "lost_orders_profit")


def _same(a: np.ndarray, b: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    both_nan = np.isnan(a) & np.isnan(b)
    with np.errstate(invalid="ignore"):
        return both_nan | (a == b) | (np.abs(a - b) <= tol)


@pytest.mark.parametrize("seed, per_agent, patience", [(1, 3, 3.0), (2, 1, None), (3, 4, 1.0)])
def test_chats_agree_chat_by_chat(seed, per_agent, patience):
    """A day with a staffing cut while agents hold chats, an overloaded hour and a quiet one."""
    cfg = Service(chats_per_agent=per_agent, patience_minutes=patience, handle_time=HandleTime(mean_minutes=7.0))
    rng = np.random.default_rng(seed)
    arrivals = np.sort(np.r_[rng.uniform(0, 8, 4000), rng.choice(rng.uniform(0, 8, 300), 300)])  # ties too
    agents = np.array([30, 30, 6, 6, 0, 15, 15, 15])
    fast, ref = (f(arrivals, agents, cfg, np.random.default_rng(seed)) for f in (simulate_chats,
                                                                                  simulate_chats_reference))
    for name in ("answered", "ended", "abandoned", "agent"):
        assert _same(getattr(fast, name), getattr(ref, name)).all(), name
    assert fast.peak_per_agent == ref.peak_per_agent and fast.peak_busy == ref.peak_busy


@pytest.mark.parametrize("config", [SHIFTED, STOCKED], ids=["unlimited_stock", "limited_stock"])
def test_whole_day_agrees_with_the_reference_on_the_same_seed(make_day, config):
    """Service level, waits, abandonment, payments, recoveries and stock-outs: equal to 1e-9
    (relative); shipped within the promise: equal to one order per shift end in the horizon."""
    cfg = Operations.model_validate(config)
    orders = make_day(np.random.default_rng(21), 6_000, buyers=4_000)
    rng_fast, rng_ref = np.random.default_rng(22), np.random.default_rng(22)
    fast = simulate_operations(orders, None, cfg, rng_fast)
    ref = simulate_operations_reference(orders, None, cfg, rng_ref)
    assert rng_fast.random() == rng_ref.random()  # the same draws were made
    mf, mr = fast.metrics(), ref.metrics()
    for key in PAIRED_METRICS:
        assert mf[key] == pytest.approx(mr[key], rel=1e-9, nan_ok=True), key
    if "stock" in config:
        assert mf["lost_orders_traffic"] > 0  # closings give stock back to later orders
    of, orf = fast.orders, ref.orders
    for name in ("time", "customer", "value", "role", "source", "paid_time", "end_time", "reminded",
                 "self_pay_time"):
        assert _same(of[name], orf[name]).all(), name
    shift_ends = 3  # the staffed hours end once a day in the 3-day horizon
    differ = ~_same(of["ship_time"], orf["ship_time"], tol=1e-6)
    assert differ.sum() <= shift_ends
    assert np.sum(of["status"] != orf["status"]) <= shift_ends
    assert abs(mf["on_time_share"] - mr["on_time_share"]) * mr["paid_orders"] <= shift_ends
    assert fast.payment_log == ref.payment_log
    cols = [c for c in fast.hourly.columns if c not in ("shipped", "backlog")]
    assert fast.hourly[cols].equals(ref.hourly[cols])
    assert np.abs(fast.hourly["shipped"] - ref.hourly["shipped"]).sum() <= 2 * shift_ends


def test_whole_day_agrees_in_distribution_on_independent_seeds(make_day):
    """Different seeds for the two paths, 6 replications each of 1,500 orders: every compared
    mean within 4 standard errors of the difference (service level, mean and 95th-percentile
    wait, abandonment, shipped within the promise, incremental recoveries, paid orders)."""
    cfg = Operations.model_validate(SHIFTED)
    keys = ("service_level", "mean_wait_s", "p95_wait_s", "abandonment_rate", "on_time_share",
            "recovered_orders_incremental", "paid_orders")
    runs = {}
    for name, simulate, base in (("fast", simulate_operations, 100), ("ref", simulate_operations_reference, 200)):
        rows = []
        for rep in range(6):
            orders = make_day(np.random.default_rng(base + rep), 1_500, buyers=1_000)
            m = simulate(orders, None, cfg, np.random.default_rng(base + 50 + rep)).metrics()
            rows.append([m[k] for k in keys])
        runs[name] = np.array(rows)
    diff = runs["fast"].mean(axis=0) - runs["ref"].mean(axis=0)
    se = np.sqrt(runs["fast"].var(axis=0, ddof=1) / 6 + runs["ref"].var(axis=0, ddof=1) / 6)
    for key, d, s in zip(keys, diff, se):
        assert abs(d) <= 4 * s + 1e-12, (key, d, s)


@pytest.mark.parametrize("picks", [3.0, 12.0, 7.3])
def test_packing_line_agrees_with_the_reference(picks):
    """Random staff schedules and payment times (whole hours too): the same ship hour to 1e-9 h
    but at a shift end, where rounding decides between that instant and the next shift."""
    rng = np.random.default_rng(int(picks * 10))
    for _ in range(40):
        cfg = Warehouse(staff=rng.integers(0, 5, 24).astype(float).tolist(), picks_per_staff_hour=picks)
        paid = rng.uniform(0, 30, rng.integers(1, 300))
        paid = np.round(paid) if rng.random() < 0.3 else paid
        fast, ref = ship_times(paid, cfg, 0.0, 72), ship_times_reference(paid, cfg, 0.0, 72)
        differ = ~_same(fast, ref)
        if differ.any():
            at_shift_end = [np.isclose(t, np.round(t), atol=1e-6) for t in np.r_[fast[differ], ref[differ]]
                            if np.isfinite(t)]
            assert all(at_shift_end)
            assert differ.sum() <= 3 * 24  # one per hour boundary of the 72 h at most
        assert abs(np.mean(fast - paid <= 48) - np.mean(ref - paid <= 48)) <= differ.sum() / len(paid)


def test_shipped_rows_are_marked_and_never_before_payment(make_day):
    cfg = Operations.model_validate(SHIFTED)
    res = simulate_operations(make_day(np.random.default_rng(5), 4_000), None, cfg, np.random.default_rng(6))
    o = res.orders
    shipped = o["status"] == SHIPPED
    assert shipped.any() and np.all(o["ship_time"][shipped] >= o["paid_time"][shipped])
    assert np.isnan(o["ship_time"][~shipped]).all()
