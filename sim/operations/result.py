"""What one operations run produced: an hourly table, stock by role and flat metrics.

Hours are absolute (day 0 starts at hour 0); waits are reported in seconds, ship times in
hours, money in yuan. Recovered orders are those paid after a reminder (gross); the
incremental ones would not have been paid within the run without it (the buyer's own
self-pay time at or after the close timer, after the end, or never). With reminders on vs off
on the same stream, paid GMV differs by exactly the incremental recovered GMV as long as
stock is unlimited (closings return stock, so fewer closings can turn later orders away).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.config.operations import Operations
from sim.vocabulary import ROLES
from sim.operations.orders import (CLOSED, FROM_SERVICE, NO_STOCK, NOT_PLACED, PAID, SHIPPED,
                                   UNPAID, OrderBook)
from sim.operations.payment import CLOSE, REMIND, PaymentLog
from sim.operations.service import ChatLog
from sim.operations.stock import StockOutcome, StockRoom
from sim.operations.warehouse import PickCalendar

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class OperationsResult:
    """Hourly table, stock table, scalar metrics and the logs behind them.

    `hourly` columns: hour, orders, unpaid, reminders, recovered (paid after a reminder),
    recovered_incremental (of those, not paid without it), closed, chat_arrivals,
    agents, chat_load (offered erlangs), answered, answered_within_target, abandoned,
    chat_queue (waiting at hour end), peak_chats_per_agent, paid, shipped, capacity (orders
    the staff can pack), backlog (paid, not shipped, at hour end).
    `stock` columns: role, units, lowest, stockout_hour, lost_orders, lost_gmv.
    `orders`: per-order arrays (status codes in sim.operations.orders), with `recovered` and
    `recovered_incremental` masks added.
    `payment_log`: (hours, kind, customer, order) for every payment, reminder and closing.
    """

    hourly: pd.DataFrame
    stock: pd.DataFrame
    scalars: dict[str, float]
    orders: dict[str, np.ndarray] = field(repr=False)
    chats: ChatLog = field(repr=False)
    payment_log: PaymentLog = field(repr=False)

    def metrics(self) -> dict[str, float]:
        """Flat per-replication metrics, including lost sales by role."""
        out = dict(self.scalars)
        for row in self.stock.itertuples():
            out[f"lost_orders_{row.role}"] = float(row.lost_orders)
            out[f"lost_gmv_{row.role}"] = float(row.lost_gmv)
        return out


def build_result(book: OrderBook, chats: ChatLog, log: PaymentLog, stock: StockRoom | StockOutcome,
                 calendar: PickCalendar, agents: np.ndarray, config: Operations,
                 start: float, end: float) -> OperationsResult:
    """Summarise a finished run."""
    o = book.view()
    o["recovered"], o["recovered_incremental"] = _recovered(o, end)
    scalars = {**_payment_metrics(o, log, config), **_service_metrics(o, chats, config),
               **_warehouse_metrics(o, config, start)}
    scalars.update(_cost_metrics(calendar, agents, log, config, scalars["days_to_clear"]))
    return OperationsResult(_hourly(o, chats, log, calendar, agents, config, start, end),
                            _stock_table(o, stock), scalars, o, chats, log)


def _payment_metrics(o: dict, log: PaymentLog, config: Operations) -> dict[str, float]:
    st, paid = o["status"], np.isin(o["status"], (PAID, SHIPPED))
    placed = st != NOT_PLACED
    remind = log.of(REMIND)
    rec, inc = o["recovered"], o["recovered_incremental"]
    return {
        "orders_placed": float(np.sum(placed & (st != NO_STOCK))),
        "orders_from_service": float(np.sum(o["source"] == FROM_SERVICE)),
        "unpaid_orders": float(np.sum(placed & _was_unpaid(o))),
        "reminders_sent": float(len(np.unique(log.customer[remind]))),
        "reminded_orders": float(len(np.unique(log.order[remind]))),
        "recovered_orders": float(rec.sum()),
        "recovered_gmv": float(o["value"][rec].sum()),
        "recovered_orders_incremental": float(inc.sum()),
        "recovered_gmv_incremental": float(o["value"][inc].sum()),
        "closed_orders": float(np.sum(st == CLOSED)),
        "paid_orders": float(paid.sum()),
        "paid_gmv": float(o["value"][paid].sum()),
    }


def _recovered(o: dict, end: float) -> tuple[np.ndarray, np.ndarray]:
    """Orders paid after a reminder, and those of them the buyer would not have paid by `end`."""
    rec = o["reminded"] & np.isin(o["status"], (PAID, SHIPPED))
    return rec, rec & ~(o["self_pay_time"] < end)


def _was_unpaid(o: dict) -> np.ndarray:
    """Orders not paid at the moment they were placed."""
    late = o["paid_time"] > o["time"]
    return (o["status"] == UNPAID) | (o["status"] == CLOSED) | late


def _service_metrics(o: dict, chats: ChatLog, config: Operations) -> dict[str, float]:
    svc = config.service
    n = len(chats.arrival)
    w = chats.waits()
    answered = ~np.isnan(chats.answered)
    ans_w = w[answered] * 3600.0
    abandoned = ~np.isnan(chats.abandoned)
    paid = np.isin(o["status"], (PAID, SHIPPED))
    gmv = o["value"][paid].sum()
    mean_value = o["value"][o["status"] != NOT_PLACED].mean() if len(o["value"]) else 0.0
    return {
        "chats": float(n),
        "service_level": float(np.sum(answered & (w * 3600.0 <= svc.target_seconds)) / n) if n else np.nan,
        "mean_wait_s": float(ans_w.mean()) if len(ans_w) else np.nan,
        "p95_wait_s": float(np.quantile(ans_w, 0.95)) if len(ans_w) else np.nan,
        "abandonment_rate": float(abandoned.sum() / n) if n else np.nan,
        "service_sales_share": float(o["value"][paid & (o["source"] == FROM_SERVICE)].sum() / gmv) if gmv else 0.0,
        "sales_lost_to_waiting": float(abandoned.sum() * (svc.conversion_served - svc.conversion_abandoned)
                                       * mean_value),
    }


def _warehouse_metrics(o: dict, config: Operations, start: float) -> dict[str, float]:
    st = o["status"]
    shipped = st == SHIPPED
    hours = (o["ship_time"] - o["paid_time"])[shipped]
    paid_any = np.isin(st, (PAID, SHIPPED))
    on_time = np.sum(hours <= config.warehouse.promise_hours)
    cleared = not np.any(st == PAID) and shipped.any()
    return {
        "orders_shipped": float(shipped.sum()),
        "orders_waiting": float(np.sum(np.isin(st, (PAID, UNPAID, NOT_PLACED)))),
        "orders_cancelled": float(np.sum(np.isin(st, (CLOSED, NO_STOCK)))),
        "ship_hours_median": float(np.median(hours)) if len(hours) else np.nan,
        "ship_hours_p95": float(np.quantile(hours, 0.95)) if len(hours) else np.nan,
        "on_time_share": float(on_time / paid_any.sum()) if paid_any.any() else np.nan,
        "days_to_clear": float((np.nanmax(o["ship_time"]) - start) / 24.0) if cleared else np.inf,
    }


def _cost_metrics(calendar: PickCalendar, agents: np.ndarray, log: PaymentLog,
                  config: Operations, days_to_clear: float) -> dict[str, float]:
    """Agent-hours of the event day's first 24 hours; staff-hours until the backlog clears."""
    days = days_to_clear if np.isfinite(days_to_clear) else len(calendar.rate) / 24.0
    staff_hours = calendar.rate[: int(np.ceil(days) * 24)].sum() / config.warehouse.picks_per_staff_hour
    reminders = len(np.unique(log.customer[log.of(REMIND)]))
    return {
        "agent_cost": float(agents[:24].sum() * config.service.agent_hour_cost),
        "staff_cost": float(staff_hours * config.warehouse.staff_hour_cost),
        "reminder_cost": float(reminders * config.payment.reminder.cost),
    }


def _hourly(o: dict, chats: ChatLog, log: PaymentLog, calendar: PickCalendar, agents: np.ndarray,
            config: Operations, start: float, end: float) -> pd.DataFrame:
    import pandas as pd
    first = int(np.floor(start))
    edges = np.arange(first, int(np.ceil(end)) + 1, dtype=float)
    n = len(edges) - 1

    def count(t: np.ndarray) -> np.ndarray:
        return np.histogram(t[~np.isnan(t)], bins=edges)[0]

    def at_end(since: np.ndarray, until: np.ndarray) -> np.ndarray:
        """Items present at each hour end: started by then and not finished by then."""
        s = np.sort(since[~np.isnan(since)])
        u = np.sort(np.where(np.isnan(until), np.inf, until)[~np.isnan(since)])
        return np.searchsorted(s, edges[1:], "right") - np.searchsorted(u, edges[1:], "right")

    kinds = {k: log.time[log.of(k)] for k in (REMIND, CLOSE)}
    w = chats.waits() * 3600.0
    within = ~np.isnan(chats.answered) & (w <= config.service.target_seconds)
    leave = np.where(np.isnan(chats.answered), chats.abandoned, chats.answered)
    rec_pay = np.where(o["recovered"], o["paid_time"], np.nan)
    inc_pay = np.where(o["recovered_incremental"], o["paid_time"], np.nan)
    return pd.DataFrame({
        "hour": edges[:-1].astype(int),
        "orders": count(np.where(o["status"] != NOT_PLACED, o["time"], np.nan)),
        "unpaid": count(np.where(_was_unpaid(o), o["time"], np.nan)),
        "reminders": count(kinds[REMIND]) if len(kinds[REMIND]) else np.zeros(n, int),
        "recovered": count(rec_pay),
        "recovered_incremental": count(inc_pay),
        "closed": count(kinds[CLOSE]) if len(kinds[CLOSE]) else np.zeros(n, int),
        "chat_arrivals": count(chats.arrival),
        "agents": agents[:n].astype(int),
        "chat_load": count(chats.arrival) * config.service.handle_time.mean_minutes / 60.0,
        "answered": count(chats.answered),
        "answered_within_target": count(np.where(within, chats.arrival, np.nan)),
        "abandoned": count(chats.abandoned),
        "chat_queue": at_end(chats.arrival, leave),
        "peak_chats_per_agent": [chats.peak_per_agent.get(first + k, 0) for k in range(n)],
        "paid": count(o["paid_time"]),
        "shipped": count(o["ship_time"]),
        "capacity": calendar.rate[:n],
        "backlog": at_end(o["paid_time"], o["ship_time"]),
    })


def _stock_table(o: dict, stock: StockRoom | StockOutcome) -> pd.DataFrame:
    import pandas as pd
    lost = o["status"] == NO_STOCK
    rows = []
    for r, name in enumerate(ROLES):
        m = lost & (o["role"] == r)
        rows.append({"role": name,
                     "units": np.inf if stock.initial is None else stock.initial[r],
                     "lowest": np.inf if stock.lowest is None else stock.lowest[r],
                     "stockout_hour": stock.stockout_time[r],
                     "lost_orders": int(m.sum()), "lost_gmv": float(o["value"][m].sum())})
    return pd.DataFrame(rows)
