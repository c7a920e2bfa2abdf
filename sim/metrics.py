"""Headline metrics and the daily series of one simulated replication of one policy."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.calendar import Calendar
from sim.engine import Engine

METRICS = (
    "visitors", "orders", "buyers", "new_buyers", "returning_buyers", "gmv", "discount_cost",
    "gross_profit", "aov", "repurchase_rate", "churned", "alive_end", "customers_end",
)
"""Per replication and policy; money in yuan, rates as shares."""


def order_table(engine: Engine, margin_by_category: np.ndarray) -> dict[str, np.ndarray]:
    """The replication's orders with money columns: paid value, discount and gross profit."""
    o = engine.orders.arrays()
    discount = o["value"] * engine.calendar.discount_at(o["time"])
    margin = margin_by_category[engine.pop.category[o["customer"]]]
    o["discount"] = discount
    o["paid"] = o["value"] - discount
    o["profit"] = o["value"] * margin - discount
    return o


def headline(engine: Engine, orders: dict[str, np.ndarray], visitors: np.ndarray) -> dict[str, float]:
    """The headline metrics (see METRICS) from a finished engine and its order table."""
    pop = engine.pop
    base = ~pop.acquired
    buyer_ids = np.unique(orders["customer"])
    returning = int(np.count_nonzero(base[buyer_ids]))
    n_orders = len(orders["time"])
    gmv = float(orders["paid"].sum())
    joined = pop.joined < engine.calendar.end
    return {
        "visitors": float(visitors.sum()),
        "orders": float(n_orders),
        "buyers": float(len(buyer_ids)),
        "new_buyers": float(np.count_nonzero(pop.acquired)),
        "returning_buyers": float(returning),
        "gmv": gmv,
        "discount_cost": float(orders["discount"].sum()),
        "gross_profit": float(orders["profit"].sum()),
        "aov": gmv / n_orders if n_orders else 0.0,
        "repurchase_rate": returning / max(int(base.sum()), 1),
        "churned": float(np.count_nonzero(~np.isnan(engine.churned_at))),
        "alive_end": float(np.count_nonzero(pop.alive & joined)),
        "customers_end": float(np.count_nonzero(joined)),
    }


def daily(calendar: Calendar, orders: dict[str, np.ndarray], visitors: np.ndarray) -> pd.DataFrame:
    """Visitors, orders, new buyers, GMV, discount and gross profit per calendar day."""
    first_day = int(calendar.start // 24)
    n_days = calendar.hours // 24
    day = np.floor(orders["time"] / 24.0).astype(np.int64) - first_day

    def per_day(weights=None) -> np.ndarray:
        return np.bincount(day, weights=weights, minlength=n_days)[:n_days]

    return pd.DataFrame({
        "day": np.arange(first_day, first_day + n_days),
        "visitors": visitors.reshape(n_days, 24).sum(axis=1),
        "orders": per_day(),
        "new_buyers": per_day(orders["first"].astype(float)),
        "gmv": per_day(orders["paid"]),
        "discount_cost": per_day(orders["discount"]),
        "gross_profit": per_day(orders["profit"]),
    })
