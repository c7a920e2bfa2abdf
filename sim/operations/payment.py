"""Unpaid orders, payment reminders (催付) and closing of orders never paid.

Each placed order pays at once with probability 1 - unpaid_share. An unpaid order waits for
payment until its close timer (hours by product role). Its buyer pays it unprompted with
probability `self_pay_share`, after an exponential time of mean `self_pay_minutes`; a time at
or after the close timer means the order would never be paid without a reminder.

The self-pay default (0.4) is an assumption: no holdout measurement of unpaid orders paid
without a reminder has been published. Shop operators commonly report that a third to a half
of unpaid orders are paid by the buyers themselves within the close window (buyers who lock a
price or stock at midnight and pay minutes later, wait for 花呗 or a balance, or merge orders);
the rest were price checks, impulse orders or duplicates. 0.4 sits in the middle. Operators'
"over 30 % of reminded orders pay" counts every reminded order later paid, so it is gross.

A reminder goes out `delay_minutes` after the order if it is still unpaid, still open and its
buyer has had no reminder yet; it covers all the buyer's open orders. `recovery` is the share
of reminded buyers who would not have paid by themselves and pay because of the reminder (one
draw per buyer); their orders pay after an exponential response time (mean
`response_minutes`) cut at each order's close timer. Orders the buyer would have paid anyway
get the same reminder-driven time and pay at the earlier of it and their own time. An order
paid after a reminder is "recovered" (gross); it is incremental when its own self-pay time is
at or after its close, after the run's end, or never (see sim.operations.result).

Common random numbers: the unpaid, recovery, response and self-pay draws are made up front
for every row of the book, in a fixed order, so reminders on and off meet the same buyers who
would self-pay and at the same times. Every reminder, payment and closing is written to `log`
as (hours, kind, customer, order).

`PaymentDesk` runs these rules with one SimPy process per unpaid order (the reference);
`settle_payments` runs them, with stock, in one compiled loop (`sim.operations.kernels.payments`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Generator, Iterable

import numpy as np
import simpy

from sim.config.operations import Payment
from sim.operations.orders import CLOSED, PAID, UNPAID, OrderBook

REMIND, PAY, CLOSE = "remind", "pay", "close"
KINDS = (REMIND, PAY, CLOSE)  # log kind codes 0, 1, 2


@dataclass(frozen=True)
class PaymentDraws:
    """The payment random numbers of every book row, drawn up front in a fixed order.

    `self_pay_after`: hours from placing to paying unprompted, inf for buyers who would not.
    """

    u_unpaid: np.ndarray
    u_recover: np.ndarray
    u_response: np.ndarray
    self_pay_after: np.ndarray

    @classmethod
    def draw(cls, config: Payment, rng: np.random.Generator, n: int) -> PaymentDraws:
        u_unpaid, u_recover, u_response = rng.random(n), rng.random(n), rng.random(n)
        # both arrays are drawn for every row, so self-payers do not depend on the reminders
        self_pay_after = np.where(rng.random(n) < config.self_pay_share,
                                  rng.exponential(config.self_pay_minutes / 60.0, n), np.inf)
        return cls(u_unpaid, u_recover, u_response, self_pay_after)


@dataclass(frozen=True, eq=False)
class PaymentLog:
    """Every reminder, payment and closing in event order: hours, kind code (index into
    KINDS), customer id, order row. Iterates as (hours, kind, customer, order) tuples."""

    time: np.ndarray
    kind: np.ndarray
    customer: np.ndarray
    order: np.ndarray

    @classmethod
    def from_records(cls, records: Iterable[tuple[float, str, int, int]]) -> PaymentLog:
        rows = list(records)
        code = {k: c for c, k in enumerate(KINDS)}
        return cls(np.array([r[0] for r in rows], dtype=float),
                   np.array([code[r[1]] for r in rows], dtype=np.int8),
                   np.array([r[2] for r in rows], dtype=np.int64), np.array([r[3] for r in rows], dtype=np.int64))

    def of(self, kind: str) -> np.ndarray:
        """Mask of the entries of one kind (REMIND, PAY or CLOSE)."""
        return self.kind == KINDS.index(kind)

    def __len__(self) -> int:
        return len(self.time)

    def __iter__(self):
        for t, k, c, j in zip(self.time.tolist(), self.kind.tolist(), self.customer.tolist(), self.order.tolist()):
            yield t, KINDS[k], c, j

    def __eq__(self, other) -> bool:
        if not isinstance(other, PaymentLog):
            return NotImplemented
        return all(np.array_equal(getattr(self, f), getattr(other, f)) for f in ("time", "kind", "customer", "order"))

    __hash__ = None


class PaymentDesk:
    """Payment state of every order in `book`; random draws are made up front per row.

    Fills `book.reminded` and `book.self_pay_time` (absolute hours the buyer would pay an
    unpaid order unprompted, inf when not before its close timer).
    """

    def __init__(self, env: simpy.Environment, config: Payment, book: OrderBook,
                 rng: np.random.Generator, on_paid: Callable[[int], None],
                 on_closed: Callable[[int], None]):
        self.env, self.cfg, self.book = env, config, book
        self.on_paid, self.on_closed = on_paid, on_closed
        d = PaymentDraws.draw(config, rng, len(book.time))
        self.u_unpaid, self.u_recover, self.u_response = d.u_unpaid, d.u_recover, d.u_response
        self.self_pay_after = d.self_pay_after
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
            self.book.self_pay_time[i] = self.book.time[i] + self.self_pay_after[i]
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
        responds = self.u_recover[i] < self.cfg.reminder.recovery
        for j in covered:
            self.log.append((self.env.now, REMIND, buyer, j))
            self.book.reminded[j] = True
            # a buyer who would pay j anyway pays at the earlier of the two times
            if responds or np.isfinite(self.book.self_pay_time[j]):
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
        self.open_by_buyer[int(book.customer[i])].discard(i)
        self.log.append((self.env.now, CLOSE, int(book.customer[i]), i))
        self.on_closed(i)


def settle_payments(book: OrderBook, config: Payment, draws: PaymentDraws,
                    units: np.ndarray | None, until: float) -> tuple[PaymentLog, np.ndarray, np.ndarray, np.ndarray]:
    """PaymentDesk's rules with stock (StockRoom) for every filled row of `book`, in one compiled loop.

    Rows are placed in time order (at equal times in row order: the engine's rows come before
    those bought after a chat, which are appended in the order they were bought); `units` by role
    or None for unlimited. Fills the book's status, paid_time, end_time, reminded and
    self_pay_time. Returns the log, the rows in the order they were paid, and the lowest stock
    and the stock-out hour by role.
    """
    from sim.operations import kernels

    n = book.size
    time, role = book.time[:n], book.role[:n]
    sequence = np.argsort(time, kind="stable")  # at equal times the engine's rows come first
    buyers, buyer = np.unique(book.customer[:n], return_inverse=True)
    buyer_rows = np.argsort(buyer, kind="stable")
    buyer_start = np.searchsorted(buyer[buyer_rows], np.arange(len(buyers) + 1))
    limited = np.zeros(4, dtype=np.bool_) if units is None else np.ones(4, dtype=np.bool_)
    stock = np.zeros(4) if units is None else np.asarray(units, dtype=float)
    rem = config.reminder
    (status, paid_time, end_time, reminded, self_pay_time, log_t, log_k, log_i, n_log, paid_order, n_paid,
     lowest, stockout) = kernels.payments(
        sequence, time, buyer, role, buyer_start, buyer_rows, draws.u_unpaid[:n], draws.u_recover[:n],
        draws.u_response[:n], draws.self_pay_after[:n], config.close_hours_by_role(),
        float(config.unpaid_share), bool(rem.enabled), rem.delay_minutes / 60.0, float(rem.recovery),
        rem.response_minutes / 60.0, stock, limited, float(until))
    book.status[:n], book.paid_time[:n], book.end_time[:n] = status, paid_time, end_time
    book.reminded[:n], book.self_pay_time[:n] = reminded, self_pay_time
    rows = log_i[:n_log]
    log = PaymentLog(log_t[:n_log].copy(), log_k[:n_log].copy(), book.customer[rows], rows.copy())
    return log, paid_order[:n_paid].copy(), (None if units is None else lowest), stockout
