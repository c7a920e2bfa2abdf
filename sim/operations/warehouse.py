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


def ship_times(paid_times: np.ndarray, config: Warehouse, start_hour: float, hours: int) -> np.ndarray:
    """Run the packing line alone for orders paid at `paid_times` (hours); NaN = not shipped."""
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
