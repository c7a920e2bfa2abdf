"""One run of the event day's operations: payment, chats, stock and the warehouse.

Design of the inquiry stream: chats are pre-purchase inquiries from visitors who ask before
buying, on top of the engine's orders. Their arrival times come from the engine (`inquiries`)
or, when it passes None, are drawn as Poisson(inquiries_per_order x orders) times resampled from the
order times. An answered inquiry buys with `conversion_served` when the chat ends; an abandoned
one with `conversion_abandoned` when the customer leaves. Those purchases become new orders
(new buyer ids, value and role resampled from the day's orders) that go through stock, payment
and the warehouse like the engine's own.

`simulate_operations` runs the chat desk and then stock and payment as compiled event loops
(`sim.operations.kernels`) and the packing line as a running maximum
(`sim.operations.warehouse.ship_in_order`): chats do not depend on orders, and the warehouse
feeds nothing back, so the three can run one after another. `simulate_operations_reference`
runs the same rules with one SimPy process per order and per chat in a single environment
(processes: order_intake (stock reserve), unpaid_window / payment_reminder / pay_later
(payment), staffing / chat_arrivals / chat (service), pick_pack (warehouse)); both make the
same random draws in the same order.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import simpy

from sim.config.operations import Operations, hourly
from sim.operations.orders import FROM_SERVICE, SHIPPED, OrderBook, Orders
from sim.operations.payment import PaymentDesk, PaymentDraws, PaymentLog, settle_payments
from sim.operations.result import OperationsResult, build_result
from sim.operations.service import ChatDesk, draw_chat_hours, run_chats
from sim.operations.stock import StockOutcome, StockRoom, admit, order_intake
from sim.operations.warehouse import PackingLine, PickCalendar, ship_in_order


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
    orders, inquiries, hours, end, agents = _prepare(orders, inquiries, config, rng, start_hour)
    book = OrderBook(orders, spare=len(inquiries))
    pay = PaymentDraws.draw(config.payment, rng, len(book.time))
    buy = _PurchaseDraws(config, orders, len(inquiries), rng)
    handle, patience = draw_chat_hours(config.service, rng, len(inquiries))
    chats = run_chats(inquiries, agents, config.service, handle, patience, start_hour, until=end)
    buy.append_to(book, chats.ended, chats.abandoned)
    units = None if config.stock.units is None else config.stock.units.as_array()
    log, paid_order, lowest, stockout = settle_payments(book, config.payment, pay, units, end)
    calendar = PickCalendar(config.warehouse, start_hour, hours + 1)
    ship = ship_in_order(book.paid_time[paid_order], calendar, end)
    shipped = ~np.isnan(ship)
    book.status[paid_order[shipped]], book.ship_time[paid_order[shipped]] = SHIPPED, ship[shipped]
    return build_result(book, chats, log, StockOutcome(units, lowest, stockout), calendar, agents, config,
                        start_hour, end)


def simulate_operations_reference(orders: Orders | Mapping[str, np.ndarray], inquiries: np.ndarray | None,
                                  config: Operations, rng: np.random.Generator,
                                  start_hour: float = 0.0) -> OperationsResult:
    """`simulate_operations` with one SimPy process per order and per chat: the reference the
    compiled loops are tested against."""
    orders, inquiries, hours, end, agents = _prepare(orders, inquiries, config, rng, start_hour)
    env = simpy.Environment(initial_time=start_hour)
    book = OrderBook(orders, spare=len(inquiries))
    stock = StockRoom(env, config.stock)
    line = PackingLine(env, config.warehouse, book, hours + 1)
    desk = PaymentDesk(env, config.payment, book, rng, on_paid=line.receive,
                       on_closed=lambda i: stock.give_back(int(book.role[i])))
    buy = _ChatPurchases(env, _PurchaseDraws(config, orders, len(inquiries), rng), book, stock, desk)
    chats = ChatDesk(env, config.service, inquiries, agents, rng, on_end=buy)
    env.process(order_intake(env, book, len(orders.time), stock, desk.place))
    env.process(line.pick_pack())
    chats.start()
    env.run(until=end)
    return build_result(book, chats.log(), PaymentLog.from_records(desk.log), stock, line.calendar, agents,
                        config, start_hour, end)


def _prepare(orders, inquiries, config: Operations, rng: np.random.Generator, start_hour: float):
    """Checked orders, sorted inquiry times, horizon hours, end hour and agents by hour."""
    orders = Orders.coerce(orders)
    if inquiries is None:
        inquiries = inquiries_from_orders(orders, config.service.inquiries_per_order, rng)
    inquiries = np.sort(np.asarray(inquiries, dtype=float))
    _check_times(orders.time, inquiries, start_hour)
    hours = int(np.ceil(config.horizon_days * 24))
    end = start_hour + config.horizon_days * 24
    first = int(np.floor(start_hour))
    agents = hourly(config.service.agents, np.arange(first, first + hours + 1))
    return orders, inquiries, hours, end, agents


class _PurchaseDraws:
    """What each inquiry buys if it buys: a draw against the conversion, value (yuan) and role."""

    def __init__(self, config: Operations, orders: Orders, n: int, rng: np.random.Generator):
        svc = config.service
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

    def buys(self, k: int, served: bool) -> bool:
        return bool(self.u[k] < self.conv[0 if served else 1])

    def append_to(self, book: OrderBook, ended: np.ndarray, abandoned: np.ndarray) -> None:
        """Add the purchases of chats that ended (served) or were left, in the order they happened."""
        served = ~np.isnan(ended)
        when = np.where(served, ended, abandoned)
        buy = np.flatnonzero(~np.isnan(when) & (self.u < np.where(served, self.conv[0], self.conv[1])))
        buy = buy[np.argsort(when[buy], kind="stable")]
        rows = slice(book.size, book.size + len(buy))
        book.time[rows], book.customer[rows] = when[buy], self.first_id + buy
        book.value[rows], book.role[rows], book.source[rows] = self.value[buy], self.role[buy], FROM_SERVICE
        book.size += len(buy)


class _ChatPurchases:
    """Turns the end of a chat into an order with the configured conversion (SimPy reference)."""

    def __init__(self, env: simpy.Environment, draws: _PurchaseDraws, book: OrderBook, stock: StockRoom,
                 desk: PaymentDesk):
        self.env, self.draws, self.book, self.stock, self.desk = env, draws, book, stock, desk

    def __call__(self, k: int, served: bool) -> None:
        if not self.draws.buys(k, served):
            return
        d = self.draws
        i = self.book.add(self.env.now, d.first_id + k, float(d.value[k]), int(d.role[k]))
        admit(self.book, i, self.stock, self.desk.place)


def _check_times(order_times: np.ndarray, inquiries: np.ndarray, start: float) -> None:
    for name, t in (("order", order_times), ("inquiry", inquiries)):
        if len(t) and (np.isnan(t).any() or t.min() < start):
            raise ValueError(f"{name} times must be numbers >= start_hour ({start})")
