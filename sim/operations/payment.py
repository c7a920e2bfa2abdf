"""Unpaid orders, payment reminders (催付) and closing of orders never paid.

Each placed order pays at once with probability 1 - unpaid_share. An unpaid order waits for
payment until its close timer (hours by product role). A reminder goes out `delay_minutes`
after the order if it is still unpaid, still open and its buyer has had no reminder yet; it
covers all the buyer's open orders, and the buyer pays them with probability `recovery`
(one draw per buyer) after an exponential response time cut at each order's close timer.
Every reminder, payment and closing is written to `log` as (hours, kind, customer, order).
"""

from __future__ import annotations

from typing import Callable, Generator

import numpy as np
import simpy

from sim.config.operations import Payment
from sim.operations.orders import CLOSED, PAID, UNPAID, OrderBook

REMIND, PAY, CLOSE = "remind", "pay", "close"


class PaymentDesk:
    """Payment state of every order in `book`; random draws are made up front per row."""

    def __init__(self, env: simpy.Environment, config: Payment, book: OrderBook,
                 rng: np.random.Generator, on_paid: Callable[[int], None],
                 on_closed: Callable[[int], None]):
        self.env, self.cfg, self.book = env, config, book
        self.on_paid, self.on_closed = on_paid, on_closed
        n = len(book.time)
        self.u_unpaid = rng.random(n)
        self.u_recover = rng.random(n)
        self.u_response = rng.random(n)
        self.self_pay_after = np.where(rng.random(n) < config.self_pay_share,
                                       rng.exponential(config.self_pay_minutes / 60.0, n), np.inf)
        self.close_hours = config.close_hours_by_role()
        self.paid_events: dict[int, simpy.Event] = {}
        self.open_by_buyer: dict[int, set[int]] = {}
        self.reminded: set[int] = set()
        self.log: list[tuple[float, str, int, int]] = []

    def place(self, i: int) -> None:
        """An order is placed now: it pays at once or starts its unpaid window."""
        if self.u_unpaid[i] >= self.cfg.unpaid_share:
            self._mark_paid(i)
            return
        self.book.status[i] = UNPAID
        self.open_by_buyer.setdefault(int(self.book.customer[i]), set()).add(i)
        self.env.process(self.unpaid_window(i))

    def unpaid_window(self, i: int) -> Generator:
        """One unpaid order: wait for payment until the close timer, then close it."""
        env = self.env
        paid = self.paid_events[i] = env.event()
        close_in = self.close_hours[self.book.role[i]]
        if self.self_pay_after[i] < close_in:
            env.process(self.pay_later(i, self.self_pay_after[i]))
        rem = self.cfg.reminder
        if rem.enabled and rem.delay_minutes / 60.0 < close_in:
            env.process(self.payment_reminder(i, rem.delay_minutes / 60.0))
        result = yield paid | env.timeout(close_in)
        if paid not in result:
            self._close(i)

    def payment_reminder(self, i: int, delay: float) -> Generator:
        """Remind the buyer of order `i` after `delay` hours if still unpaid and not yet reminded."""
        yield self.env.timeout(delay)
        buyer = int(self.book.customer[i])
        if self.book.status[i] != UNPAID or buyer in self.reminded:
            return
        self.reminded.add(buyer)
        covered = sorted(self.open_by_buyer.get(buyer, ()))
        for j in covered:
            self.log.append((self.env.now, REMIND, buyer, j))
        if self.u_recover[i] >= self.cfg.reminder.recovery:
            return
        for j in covered:
            self.book.recovered[j] = True
            self.env.process(self.pay_later(j, self._response_time(j)))

    def pay_later(self, i: int, delay: float) -> Generator:
        """Pay order `i` after `delay` hours unless it was paid or closed meanwhile."""
        yield self.env.timeout(delay)
        if self.book.status[i] == UNPAID:
            self.paid_events[i].succeed()
            self._mark_paid(i)

    def _response_time(self, j: int) -> float:
        """Hours from reminder to payment: exponential, cut to land before order j closes."""
        mean = self.cfg.reminder.response_minutes / 60.0
        left = self.book.time[j] + self.close_hours[self.book.role[j]] - self.env.now
        # inverse CDF of the exponential truncated to [0, left)
        return float(-mean * np.log1p(-self.u_response[j] * (1.0 - np.exp(-left / mean))))

    def _mark_paid(self, i: int) -> None:
        book = self.book
        book.status[i], book.paid_time[i] = PAID, self.env.now
        self.open_by_buyer.get(int(book.customer[i]), set()).discard(i)
        self.log.append((self.env.now, PAY, int(book.customer[i]), i))
        self.on_paid(i)

    def _close(self, i: int) -> None:
        book = self.book
        book.status[i], book.end_time[i] = CLOSED, self.env.now
        book.recovered[i] = False
        self.open_by_buyer[int(book.customer[i])].discard(i)
        self.log.append((self.env.now, CLOSE, int(book.customer[i]), i))
        self.on_closed(i)
