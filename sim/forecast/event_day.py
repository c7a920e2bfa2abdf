"""Per-replication event-day figures: the hourly table and the pre-sale counts.

Event-day traffic is defined as the day's sessions we can observe in the model: the new
visitors the traffic model sends (prospects, converting or not) plus the existing customers
(joined before day 0) who come back and place at least one order that day, counted once, in
the hour of their first order. With conversion = orders / traffic and average order value =
GMV / orders, traffic x conversion x AOV equals GMV exactly. Existing customers who browse
without ordering are not simulated and so are not in the traffic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.calendar import Calendar
from sim.model.engine import Engine
from sim.forecast.deposits import PresalePlugin

if TYPE_CHECKING:
    import pandas as pd
    from sim.model.orders import OrderTable

PRESALE_METRICS = ("presale_deposits", "presale_deposit_value", "presale_balances_paid",
                   "presale_balances_unpaid", "presale_deposits_kept", "presale_gmv")
"""Yuan for values and GMV, counts otherwise; only when the scenario enables the pre-sale."""


def event_hours(calendar: Calendar, orders: OrderTable, visitors: np.ndarray,
                engine: Engine) -> pd.DataFrame:
    """Day 0 hour by hour: new visitors, returning buyers, traffic, orders, first orders, GMV (yuan)."""
    import pandas as pd
    start = int(round(-calendar.start))  # hour index of 00:00 on day 0
    on_day = (orders.time >= 0.0) & (orders.time < 24.0)
    hour = np.floor(orders.time[on_day]).astype(np.int64)
    customer = orders.customer[on_day]
    existing = engine.pop.joined[customer] < 0.0
    # orders are sorted by time, so a customer's first index is the hour they first ordered
    _, first = np.unique(customer, return_index=True)
    first = first[existing[first]]
    returning = np.bincount(hour[first], minlength=24)[:24]
    new_visitors = visitors[start:start + 24]
    return pd.DataFrame({
        "hour": np.arange(24),
        "visitors": new_visitors,
        "returning": returning.astype(float),
        "traffic": new_visitors + returning,
        "orders": np.bincount(hour, minlength=24)[:24].astype(float),
        "first_orders": np.bincount(hour, weights=orders.first[on_day].astype(float), minlength=24)[:24],
        "gmv": np.bincount(hour, weights=orders.paid[on_day], minlength=24)[:24],
    })


def presale_metrics(plugin: PresalePlugin | None, orders: OrderTable) -> dict[str, float]:
    """Deposits, balances paid and unpaid, kept deposits and balance GMV; {} without a pre-sale."""
    if plugin is None:
        return {}
    paid_times = plugin.balance_time[plugin.paid]
    balance = np.isin(orders.time, paid_times) & orders.induced
    return {
        "presale_deposits": float(len(plugin.customer)),
        "presale_deposit_value": float(plugin.deposit.sum()),
        "presale_balances_paid": float(plugin.paid.sum()),
        "presale_balances_unpaid": float((~plugin.paid).sum()),
        "presale_deposits_kept": plugin.kept_deposits(),
        "presale_gmv": float(orders.paid[balance].sum()),
    }
