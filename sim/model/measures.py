"""What one policy's run produced: its order table, headline metrics and daily series."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim import streams
from sim.model.calendar import Calendar
from sim.model.engine import Engine
from sim.model.orders import OrderTable
from sim.config.scenario import Scenario
from sim.vocabulary import ROLES

METRICS = (
    "visitors", "orders", "buyers", "new_buyers", "returning_buyers", "gmv", "discount_cost",
    "gross_profit", "net_profit", "aov", "repurchase_rate", "churned", "alive_start", "alive_end",
    "customers_end", "bundle_orders", "bundle_value",
)
"""Per replication and policy; money in yuan, rates as shares. discount_cost is the event
discount; gross_profit is after event and coupon discounts; net_profit also pays the messages."""


def order_table(engine: Engine, scenario: Scenario, discount_profit_items: bool | np.ndarray,
                bundles: Sequence = ()) -> OrderTable:
    """The replication's orders with product role and money columns, yuan.

    Each order is given a product role (traffic driver, profit, marginal, potential) by the
    roles' shares. A coupon comes off the list value first; the event discount, scaled by the
    role's discount factor (zero for profit items unless `discount_profit_items`, a policy
    option given as one flag or one per customer), applies
    to the rest. paid = value - coupon - event discount; profit = value x margin - both discounts.
    Each bundle layer (a policy's `bundles`) is taken by an order with its take rate, drawn from
    a stream of its own, and adds value_uplift x the order's value at the bundle's margin (or
    the order's); orders that take none are unchanged.
    """
    o = engine.orders.arrays()
    roles = scenario.products.roles
    share = np.array([r.share for r in roles.values()])
    rng = streams.generator(engine.seed, engine.replication, streams.ROLES)
    o["role"] = rng.choice(len(share), size=len(o["time"]), p=share / share.sum()).astype(np.int8)
    factor = np.array([r.discount_factor for r in roles.values()])[o["role"]]
    profit_item = o["role"] == ROLES.index("profit")
    keep_price = ~np.asarray(discount_profit_items, dtype=bool)
    factor[profit_item & (keep_price if keep_price.ndim == 0 else keep_price[o["customer"]])] = 0.0
    rate = np.minimum(engine.calendar.discount_at(o["time"]) * factor, 1.0)
    o["discount"] = (o["value"] - o["coupon"]) * rate
    o["paid"] = o["value"] - o["coupon"] - o["discount"]
    category_margin = np.asarray(scenario.margin_by_category())[engine.pop.category[o["customer"]]]
    margin = np.minimum(category_margin * np.array([r.margin_factor for r in roles.values()])[o["role"]], 1.0)
    extra, extra_profit = _bundled(engine, o["value"], margin, bundles)
    if len(bundles):
        o["value"] = o["value"] + extra
        o["discount"] = (o["value"] - o["coupon"]) * rate
        o["paid"] = o["value"] - o["coupon"] - o["discount"]
    o["profit"] = (o["value"] - extra) * margin + extra_profit - o["coupon"] - o["discount"]
    o["bundled"] = extra
    return OrderTable(**o)


def _bundled(engine: Engine, value: np.ndarray, margin: np.ndarray, bundles: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """Value each order adds through the bundle layers it takes, and the profit on it, yuan."""
    extra, profit = np.zeros(len(value)), np.zeros(len(value))
    for layer, bundle in enumerate(bundles):
        took = streams.generator(engine.seed, engine.replication, streams.BUNDLES, layer).random(len(value)) \
            < bundle.take_rate
        added = np.where(took, value * bundle.value_uplift, 0.0)
        extra += added
        profit += added * (margin if bundle.margin is None else bundle.margin)
    return extra, profit


def headline(engine: Engine, orders: OrderTable, visitors: np.ndarray,
             message_cost: float = 0.0) -> dict[str, float]:
    """The headline metrics (see METRICS) from a finished engine and its order table."""
    pop = engine.pop
    base = ~pop.acquired
    bought = np.bincount(orders.customer, minlength=len(pop)) > 0
    returning = int(np.count_nonzero(bought & base))
    n_orders = len(orders.time)
    gmv = float(orders.paid.sum())
    joined = pop.joined < engine.calendar.end
    return {
        "visitors": float(visitors.sum()),
        "orders": float(n_orders),
        "buyers": float(np.count_nonzero(bought)),
        "new_buyers": float(np.count_nonzero(pop.acquired)),
        "returning_buyers": float(returning),
        "gmv": gmv,
        "discount_cost": float(orders.discount.sum()),
        "gross_profit": float(orders.profit.sum()),
        "net_profit": float(orders.profit.sum()) - message_cost,
        "aov": gmv / n_orders if n_orders else 0.0,
        "repurchase_rate": returning / max(int(base.sum()), 1),
        "churned": float(np.count_nonzero(~np.isnan(engine.churned_at))),
        # alive at the start: still alive, or dropped out during the run (then churned_at is set)
        "alive_start": float(np.count_nonzero(base & (pop.alive | ~np.isnan(engine.churned_at)))),
        "alive_end": float(np.count_nonzero(pop.alive & joined)),
        "customers_end": float(np.count_nonzero(joined)),
        "bundle_orders": float(np.count_nonzero(orders.bundled > 0)),
        "bundle_value": float(orders.bundled.sum()),
    }


def daily(calendar: Calendar, orders: OrderTable, visitors: np.ndarray) -> pd.DataFrame:
    """Visitors, orders, new buyers, GMV, event discount, coupon cost and gross profit per day."""
    first_day = int(calendar.start // 24)
    n_days = calendar.hours // 24
    day = np.floor(orders.time / 24.0).astype(np.int64) - first_day

    def per_day(weights=None) -> np.ndarray:
        return np.bincount(day, weights=weights, minlength=n_days)[:n_days]

    return pd.DataFrame({
        "day": np.arange(first_day, first_day + n_days),
        "visitors": visitors.reshape(n_days, 24).sum(axis=1),
        "orders": per_day(),
        "new_buyers": per_day(orders.first.astype(float)),
        "gmv": per_day(orders.paid),
        "discount_cost": per_day(orders.discount),
        "coupon_cost": per_day(orders.coupon),
        "gross_profit": per_day(orders.profit),
    })
