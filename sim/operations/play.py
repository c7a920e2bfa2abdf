"""The event day's orders of one policy and replication, played through the operations queues.

Only orders placed on day 0 (hours 0-24) enter operations; the queues then run for
`operations.horizon_days` so the warehouse can clear them. Each order enters with the money
the customer pays (list value less coupon and event discount, yuan), so paid GMV here is on
the same footing as the engine's `gmv`. The random stream is keyed by replication only, so
every policy of a replication meets the same payment, chat and handling draws.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim import streams
from sim.config.marketing import Policy
from sim.config.operations import Operations
from sim.operations.orders import NO_STOCK, NOT_PLACED, Orders
from sim.operations.result import OperationsResult
from sim.operations.simulate import simulate_operations

if TYPE_CHECKING:
    import pandas as pd
    from sim.model.orders import OrderTable

EVENT_DAY_HOURS = (0.0, 24.0)
PREFIX = "ops_"


def event_day_orders(orders: OrderTable) -> Orders:
    """Day-0 orders from an engine order table, valued at what the customer pays (yuan)."""
    first, last = EVENT_DAY_HOURS
    day = (orders.time >= first) & (orders.time < last)
    return Orders(orders.time[day], orders.customer[day], orders.paid[day], orders.role[day])


def with_policy(config: Operations, policy: Policy) -> Operations:
    """The operations settings with the policy's payment-reminder choice applied."""
    if policy.payment_reminders is None:
        return config
    reminder = config.payment.reminder.model_copy(update={"enabled": policy.payment_reminders})
    return config.model_copy(update={"payment": config.payment.model_copy(update={"reminder": reminder})})


def run_event_day(orders: OrderTable, config: Operations, seed: int,
                  replication: int) -> OperationsResult:
    """Simulate the operations of the day-0 orders on the replication's operations stream."""
    rng = streams.generator(seed, replication, streams.OPERATIONS)
    return simulate_operations(event_day_orders(orders), None, config, rng, start_hour=EVENT_DAY_HOURS[0])


def operate(operations: Operations, policy: Policy, orders: OrderTable, seed: int,
            replication: int) -> tuple[dict[str, float], pd.DataFrame]:
    """`ops_`-prefixed metrics and the hourly table of one policy's event-day operations.

    Besides the operations metrics: ops_event_gmv, the day-0 part of the engine's gmv that
    enters operations, and ops_placed_gmv, the GMV of orders placed in operations (the event
    day's orders less stock-outs, plus orders bought after a service chat). ops_paid_gmv is
    the part of ops_placed_gmv paid within the horizon. ops_recovered_gmv is paid after a
    reminder (gross, including buyers who would have paid anyway); what reminders gained is
    ops_recovered_gmv_incremental: with unlimited stock, the ops_paid_gmv gap to a reminders-off arm.
    """
    result = run_event_day(orders, with_policy(operations, policy), seed, replication)
    o = result.orders
    placed = (o["status"] != NOT_PLACED) & (o["status"] != NO_STOCK)
    extra = {"event_gmv": float(event_day_orders(orders).value.sum()),
             "placed_gmv": float(o["value"][placed].sum())}
    metrics = {PREFIX + k: float(v) for k, v in {**result.metrics(), **extra}.items()}
    return metrics, result.hourly
