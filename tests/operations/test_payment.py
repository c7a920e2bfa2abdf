"""Unpaid orders and reminders: recovery share and the once-per-buyer rule."""

from collections import Counter

import numpy as np

from sim.operations import Operations, simulate_operations
from sim.operations.orders import CLOSED, PAID, SHIPPED
from sim.operations.payment import CLOSE, PAY, REMIND

NO_CHATS = np.zeros(0)


def test_recovered_share_is_the_recovery_probability(make_day):
    """No self-payers, one order per buyer: each reminder is one Bernoulli(0.30) draw.

    Tolerance: 4 binomial standard errors around 0.30 for the number of reminded orders.
    """
    rng = np.random.default_rng(11)
    orders = make_day(rng, 40_000)
    cfg = Operations.model_validate({"enabled": True, "horizon_days": 3, "payment": {"self_pay_share": 0}})
    res = simulate_operations(orders, NO_CHATS, cfg, rng)
    m = res.metrics()
    n = m["reminded_orders"]
    share = m["recovered_orders"] / n
    assert abs(share - 0.30) < 4 * np.sqrt(0.3 * 0.7 / n)
    assert abs(m["unpaid_orders"] / len(orders["time"]) - 0.22) < 4 * np.sqrt(0.22 * 0.78 / 40_000)
    # with no unprompted payers, every unpaid order is reminded (delay 10 min < close 24 h)
    assert n == m["unpaid_orders"]
    assert m["closed_orders"] == m["unpaid_orders"] - m["recovered_orders"]


def test_no_second_reminder_and_none_after_paying(make_day):
    """Buyers with several orders, some paying on their own, short close timers on traffic items."""
    rng = np.random.default_rng(5)
    orders = make_day(rng, 20_000, buyers=6_000)
    cfg = Operations.model_validate({
        "enabled": True, "horizon_days": 3,
        "payment": {"unpaid_share": 0.4, "self_pay_share": 0.5, "self_pay_minutes": 10,
                    "close_after_hours": {"traffic": 0.5, "profit": 24, "marginal": 24, "potential": 24},
                    "reminder": {"delay_minutes": 15}}})
    res = simulate_operations(orders, NO_CHATS, cfg, rng)
    log = res.payment_log
    reminders = [(t, c, j) for t, kind, c, j in log if kind == REMIND]
    assert len(reminders) > 1000
    # one reminder message per buyer (it may cover several of the buyer's open orders)
    times_per_buyer = {}
    for t, c, _ in reminders:
        times_per_buyer.setdefault(c, set()).add(t)
    assert all(len(ts) == 1 for ts in times_per_buyer.values())
    assert max(Counter(j for _, _, j in reminders).values()) == 1
    paid_at = {j: t for t, kind, _, j in log if kind == PAY}
    closed_at = {j: t for t, kind, _, j in log if kind == CLOSE}
    for t, _, j in reminders:
        assert not paid_at.get(j, np.inf) <= t      # never after the order was paid
        assert t < closed_at.get(j, np.inf)          # always before it closed
    st = res.orders["status"]
    assert set(np.unique(st)) <= {PAID, SHIPPED, CLOSED}
