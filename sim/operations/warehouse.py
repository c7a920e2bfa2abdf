"""Pick/pack of paid orders in payment order, with hourly capacity from the staff schedule.

The staff on duty in an hour work as one pick line at their combined rate (staff x picks per
staff-hour orders per hour); an order needs one unit of that work. Work started in one hour
carries on at the next hour's rate, and hours with no staff pass without shipping.
"""

from __future__ import annotations

from typing import Generator

import numpy as np
import simpy

from sim.config.operations import Warehouse, hourly
from sim.operations.orders import SHIPPED, OrderBook, Orders


class PickCalendar:
    """Cumulative pick capacity (orders) from `start` hour to `start + hours`."""

    def __init__(self, config: Warehouse, start: float, hours: int):
        self.start = float(np.floor(start))
        self.hour_index = np.arange(int(self.start), int(self.start) + hours)
        self.rate = hourly(config.staff, self.hour_index) * config.picks_per_staff_hour
        self.cum = np.concatenate([[0.0], np.cumsum(self.rate)])

    def work_done(self, t: float) -> float:
        """Orders of capacity available between the calendar start and hour `t`."""
        x = min(max(t - self.start, 0.0), len(self.rate))
        k = min(int(x), len(self.rate) - 1)
        return self.cum[k] + (x - k) * self.rate[k]

    def finish(self, t: float, work: float = 1.0) -> float:
        """Hour at which `work` orders started at hour `t` are done (inf past the calendar)."""
        target = self.work_done(t) + work
        if target > self.cum[-1]:
            return np.inf
        k = int(np.searchsorted(self.cum, target, side="left")) - 1
        k = min(max(k, 0), len(self.rate) - 1)
        return max(t, self.start + k + (target - self.cum[k]) / self.rate[k])

    def work_done_at(self, t: np.ndarray) -> np.ndarray:
        """`work_done` for an array of hours."""
        x = np.clip(np.asarray(t, dtype=float) - self.start, 0.0, len(self.rate))
        k = np.minimum(x.astype(np.int64), len(self.rate) - 1)
        return self.cum[k] + (x - k) * self.rate[k]

    def hour_of_work(self, work: np.ndarray) -> np.ndarray:
        """Hour at which cumulative capacity reaches each `work` (orders, >= 1); inf past the calendar.

        Work done exactly as a shift ends ships at that moment (`finish` in exact arithmetic).
        """
        work = np.asarray(work, dtype=float)
        k = np.clip(np.searchsorted(self.cum, work, side="left") - 1, 0, len(self.rate) - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = self.start + k + (work - self.cum[k]) / self.rate[k]
        return np.where(work > self.cum[-1], np.inf, t)


class PackingLine:
    """FIFO queue of paid orders and the process that ships them."""

    def __init__(self, env: simpy.Environment, config: Warehouse, book: OrderBook, hours: int):
        self.env, self.book = env, book
        self.calendar = PickCalendar(config, env.now, hours)
        self.queue = simpy.Store(env)

    def receive(self, i: int) -> None:
        """A paid order joins the pick/pack queue."""
        self.queue.put(i)

    def pick_pack(self) -> Generator:
        """Take orders in payment order and ship each when its unit of work is done."""
        env = self.env
        while True:
            i = yield self.queue.get()
            done = self.calendar.finish(env.now)
            if not np.isfinite(done):
                return
            yield env.timeout(done - env.now)
            self.book.status[i], self.book.ship_time[i] = SHIPPED, env.now


def ship_in_order(paid: np.ndarray, calendar: PickCalendar, end: float) -> np.ndarray:
    """Ship hours of orders packed one after another in the given order (PackingLine's rule).

    `paid` hours in the order the orders joined the queue; NaN = not shipped before `end`.
    Order k starts at the later of its payment and the previous shipment and needs one order
    of capacity, so in capacity units c_k = max(W(paid_k), c_(k-1)) + 1 with W the cumulative
    capacity: c_k = k + 1 + max over j <= k of (W(paid_j) - j), a running maximum.
    """
    paid = np.asarray(paid, dtype=float)
    if not len(paid):
        return np.zeros(0)
    k = np.arange(len(paid), dtype=float)
    work = np.maximum.accumulate(calendar.work_done_at(paid) - k) + k + 1.0
    ship = np.maximum(calendar.hour_of_work(work), paid)
    return np.where(ship < end, ship, np.nan)


def ship_times(paid_times: np.ndarray, config: Warehouse, start_hour: float, hours: int) -> np.ndarray:
    """Ship hours of orders paid at `paid_times` (hours) by the packing line alone; NaN = not shipped."""
    order = np.argsort(paid_times, kind="stable")
    t = np.asarray(paid_times, dtype=float)[order]
    out = np.full(len(t), np.nan)
    out[order] = ship_in_order(t, PickCalendar(config, start_hour, hours), start_hour + hours)
    return out


def ship_times_reference(paid_times: np.ndarray, config: Warehouse, start_hour: float,
                         hours: int) -> np.ndarray:
    """`ship_times` with a SimPy packing line (one event per order): the reference it is tested against."""
    order = np.argsort(paid_times, kind="stable")
    t = np.asarray(paid_times, dtype=float)[order]
    n = len(t)
    book = OrderBook(Orders(t, np.arange(n), np.zeros(n), np.zeros(n, dtype=np.int64)), spare=0)
    env = simpy.Environment(initial_time=start_hour)
    line = PackingLine(env, config, book, hours)

    def arrivals() -> Generator:
        for i in range(n):
            if t[i] > env.now:
                yield env.timeout(t[i] - env.now)
            line.receive(i)

    env.process(arrivals())
    env.process(line.pick_pack())
    env.run(until=start_hour + hours)
    out = np.full(n, np.nan)
    out[order] = book.ship_time[:n]
    return out
