"""One run of the event day's operations in a single SimPy environment.

Design of the inquiry stream: chats are pre-purchase inquiries from visitors who ask before
buying, on top of the engine's orders. Their arrival times come from the engine (`inquiries`)
or, when it passes None, are drawn as Poisson(inquiries_per_order x orders) times resampled from the
order times. An answered inquiry buys with `conversion_served` when the chat ends; an abandoned
one with `conversion_abandoned` when the customer leaves. Those purchases become new orders
(new buyer ids, value and role resampled from the day's orders) that go through stock, payment
and the warehouse like the engine's own.

Processes: order_intake (stock reserve), unpaid_window / payment_reminder / pay_later
(payment), staffing / chat_arrivals / chat (service), pick_pack (warehouse).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import simpy

from sim.config.operations import Operations, hourly
from sim.operations.orders import OrderBook, Orders
from sim.operations.payment import PaymentDesk
from sim.operations.result import OperationsResult, build_result
from sim.operations.service import ChatDesk
from sim.operations.stock import StockRoom, admit, order_intake
from sim.operations.warehouse import PackingLine


def inquiries_from_orders(orders: Orders, share: float, rng: np.random.Generator) -> np.ndarray:
    """Inquiry arrival times (hours): Poisson(share x orders) draws from the order times."""
    if len(orders.time) == 0 or share <= 0:
        return np.zeros(0)
    n = rng.poisson(share * len(orders.time))
    return np.sort(rng.choice(orders.time, size=n, replace=True))


def simulate_operations(orders: Orders | Mapping[str, np.ndarray], inquiries: np.ndarray | None,
                        config: Operations, rng: np.random.Generator,
                        start_hour: float = 0.0) -> OperationsResult:
    """Simulate payment, chats, stock and warehouse for the day's orders and inquiries.

    `orders` times are hours (>= start_hour), values yuan, roles 0..3; `inquiries` are chat
    arrival times in hours or None to derive them from the orders (see module docstring).
    Runs for `config.horizon_days` from `start_hour`.
    """
    orders = Orders.coerce(orders)
    if inquiries is None:
        inquiries = inquiries_from_orders(orders, config.service.inquiries_per_order, rng)
    inquiries = np.sort(np.asarray(inquiries, dtype=float))
    _check_times(orders.time, inquiries, start_hour)
    hours = int(np.ceil(config.horizon_days * 24))
    end = start_hour + config.horizon_days * 24
    env = simpy.Environment(initial_time=start_hour)
    book = OrderBook(orders, spare=len(inquiries))
    stock = StockRoom(env, config.stock)
    line = PackingLine(env, config.warehouse, book, hours + 1)
    desk = PaymentDesk(env, config.payment, book, rng, on_paid=line.receive,
                       on_closed=lambda i: stock.give_back(int(book.role[i])))
    first = int(np.floor(start_hour))
    agents = hourly(config.service.agents, np.arange(first, first + hours + 1))
    buy = _ChatPurchases(env, config, orders, book, stock, desk, len(inquiries), rng)
    chats = ChatDesk(env, config.service, inquiries, agents, rng, on_end=buy)
    env.process(order_intake(env, book, len(orders.time), stock, desk.place))
    env.process(line.pick_pack())
    chats.start()
    env.run(until=end)
    return build_result(book, chats.log(), desk.log, stock, line.calendar, agents, config,
                        start_hour, end)


class _ChatPurchases:
    """Turns the end of a chat into an order with the configured conversion."""

    def __init__(self, env: simpy.Environment, config: Operations, orders: Orders,
                 book: OrderBook, stock: StockRoom, desk: PaymentDesk, n: int,
                 rng: np.random.Generator):
        svc = config.service
        self.env, self.book, self.stock, self.desk = env, book, stock, desk
        self.conv = (svc.conversion_served, svc.conversion_abandoned)
        self.u = rng.random(n)
        if len(orders.time):
            pick = rng.integers(0, len(orders.time), n)
            self.value, self.role = orders.value[pick], orders.role[pick]
        else:
            self.value, self.role = np.full(n, svc.order_value or 200.0), np.ones(n, dtype=np.int64)
        if svc.order_value is not None:
            self.value = np.full(n, svc.order_value)
        self.first_id = int(orders.customer.max()) + 1 if len(orders.customer) else 0

    def __call__(self, k: int, served: bool) -> None:
        if self.u[k] >= self.conv[0 if served else 1]:
            return
        i = self.book.add(self.env.now, self.first_id + k, float(self.value[k]), int(self.role[k]))
        admit(self.book, i, self.stock, self.desk.place)


def _check_times(order_times: np.ndarray, inquiries: np.ndarray, start: float) -> None:
    for name, t in (("order", order_times), ("inquiry", inquiries)):
        if len(t) and (np.isnan(t).any() or t.min() < start):
            raise ValueError(f"{name} times must be numbers >= start_hour ({start})")
