"""One replication of one policy: a SimPy environment stepping a numpy population.

Between two changes of anyone's purchase intensity (a wave, an effect ending, a programme
check) every customer's intensity is lambda_i * boost_i * g(t) with g the calendar's hourly
multiplier. The engine therefore draws the whole population once per such stretch: a
Poisson count per customer for the stretch (by inverse transform, so a higher intensity
never gives fewer orders for the same uniform draw), capped by the purchases the customer
has left before dropping out, with order times placed by inverting the calendar clock.
SimPy holds the calendar: processes yield until the next change and call `advance`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import simpy
from scipy import stats

from sim import streams
from sim.model.calendar import Calendar
from sim.model.customers import Customers
from sim.model.orders import OrderLog
from sim.model.plugins import Plugin

_SMALL_MEAN = 30.0  # above this, invert the Poisson CDF with scipy (exp(-mean) loses precision)


def poisson_inverse(u: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Poisson(mean) counts from uniforms u by inverting the CDF; monotone in mean for fixed u."""
    n = np.zeros(len(u), dtype=np.int64)
    big = mean > _SMALL_MEAN
    if big.any():
        n[big] = stats.poisson.ppf(u[big], mean[big]).astype(np.int64)
    small = np.flatnonzero(~big)
    m = mean[small]
    term = np.exp(-m)
    cdf = term.copy()
    active = np.flatnonzero(u[small] > cdf)
    k = 0
    while active.size and k < 1000:
        k += 1
        term[active] *= m[active] / k
        cdf[active] += term[active]
        n[small[active]] = k
        active = active[u[small[active]] > cdf[active]]
    return n


class Engine:
    """Simulates one policy over the calendar on a private copy of the population."""

    def __init__(self, calendar: Calendar, population: Customers, first_value: np.ndarray,
                 spend_shape: float, seed: int, replication: int, plugins: Sequence[Plugin] = ()):
        self.env = simpy.Environment(initial_time=calendar.start)
        self.calendar = calendar
        self.pop = population
        self.first_value = first_value  # indexed by customer; used for acquired customers
        self.spend_shape = spend_shape
        self.seed = seed
        self.replication = replication
        self.plugins = list(plugins)
        self.drawn_to = calendar.start
        self.orders = OrderLog.empty()
        self.churned_at = np.full(len(population), np.nan)
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []

    def run(self, change_hours: list[float]) -> None:
        """Run the SimPy calendar to the end, stepping the population at each change hour."""
        self.env.process(self._calendar(change_hours))
        for plugin in self.plugins:
            plugin.start(self)
        self.env.run(until=self.calendar.end)
        self.advance(self.calendar.end)

    def order_later(self, customer: np.ndarray, time: np.ndarray) -> None:
        """Book orders that customers will place at the given hours, if still active then."""
        keep = time < self.calendar.end
        if keep.any():
            self._pending.append((customer[keep], time[keep]))

    def churn(self, customer: np.ndarray, t: float) -> None:
        """Customers stop buying from hour t on (e.g. driven away by over-messaging)."""
        gone = customer[self.pop.remaining[customer] > 0]
        self.pop.remaining[gone] = 0
        self.churned_at[gone] = t

    def _calendar(self, change_hours: list[float]):
        """The calendar process: wakes at every change hour and brings the population up to it."""
        for hour in sorted(h for h in set(change_hours) if self.calendar.start < h < self.calendar.end):
            yield self.env.timeout(hour - self.env.now)
            self.advance(self.env.now)

    def advance(self, t1: float) -> None:
        """Draw every customer's orders and dropouts from `drawn_to` up to hour t1."""
        t0 = self.drawn_to
        if t1 <= t0:
            return
        self._admit(t0, t1)
        key = int(round((t0 - self.calendar.start) * 60))  # the stretch's start minute names its streams
        u_all = streams.generator(self.seed, self.replication, streams.PURCHASES, key).random(len(self.pop))
        rng = streams.generator(self.seed, self.replication, streams.ORDERS, key)
        pop = self.pop
        self._first_orders(t0, t1)
        self._pending_orders(t1, rng)
        idx = np.flatnonzero((pop.remaining > 0) & (pop.joined < t1))
        g_start = self.calendar.clock(np.maximum(pop.joined[idx], t0))
        g_end = float(self.calendar.clock(t1))
        rate = pop.lam[idx]
        for plugin in self.plugins:
            boost = plugin.intensity(t0)
            if boost is not None:
                rate = rate * boost[idx]
        count = np.minimum(poisson_inverse(u_all[idx], rate * (g_end - g_start)), pop.remaining[idx])
        buyers, k = idx[count > 0], count[count > 0]
        who = np.repeat(buyers, k)
        g0 = np.repeat(g_start[count > 0], k)
        times = self.calendar.clock_inverse(g0 + rng.random(len(who)) * (g_end - g0))
        self._record(who, times, rng, buyers=buyers)
        self.drawn_to = t1

    def _record(self, who: np.ndarray, times: np.ndarray, rng: np.random.Generator, induced: bool = False,
                buyers: np.ndarray | None = None) -> None:
        """Book repeat orders: values, coupons, counts, dropout and last-order times.

        `buyers`, the distinct customers in `who`, saves a sort when the caller knows them.
        """
        pop = self.pop
        values = pop.value[who] * rng.gamma(self.spend_shape, 1.0, len(who)) / self.spend_shape
        coupon = np.zeros(len(who))
        for plugin in self.plugins:
            values, off = plugin.redeem(who, times, values)
            if off is not None:
                coupon += off
        self.orders.add(who, times, values, coupon, induced=induced)
        if not induced:
            # A response order does not use up a dropout chance: dropout-after-purchase belongs
            # to the natural buying process, and counting it would make marketing look like churn.
            np.add.at(pop.remaining, who, -1)
        np.add.at(pop.orders, who, 1)
        np.maximum.at(pop.last_order, who, times)
        buyers = np.unique(who) if buyers is None else buyers
        died = buyers[pop.remaining[buyers] == 0]
        self.churned_at[died] = pop.last_order[died]

    def _pending_orders(self, t1: float, rng: np.random.Generator) -> None:
        """Realise booked orders due before t1, one per customer per round, while customers last."""
        if not self._pending:
            return
        customer = np.concatenate([c for c, _ in self._pending])
        time = np.concatenate([t for _, t in self._pending])
        due = time < t1
        self._pending = [(customer[~due], time[~due])] if (~due).any() else []
        customer, time = customer[due], time[due]
        while customer.size:
            _, first = np.unique(customer, return_index=True)
            who, when = customer[first], time[first]
            active = self.pop.remaining[who] > 0
            if active.any():
                self._record(who[active], when[active], rng, induced=True)
            rest = np.ones(len(customer), dtype=bool)
            rest[first] = False
            customer, time = customer[rest], time[rest]

    def _admit(self, t0: float, t1: float) -> None:
        """Add the newcomers plugins bring in [t0, t1); their first orders follow at once."""
        for plugin in self.plugins:
            new = plugin.arrivals(t0, t1)
            if new is None or not len(new.customers):
                continue
            if not (new.customers.acquired.all() and ((new.customers.joined >= t0) & (new.customers.joined < t1)).all()):
                raise ValueError(f"{type(plugin).__name__}.arrivals: newcomers must be acquired and join in [t0, t1)")
            self.pop = Customers.concat([self.pop, new.customers])
            self.first_value = np.concatenate([self.first_value, new.first_value])
            self.churned_at = np.concatenate([self.churned_at, np.full(len(new.customers), np.nan)])

    def _first_orders(self, t0: float, t1: float) -> None:
        pop = self.pop
        new = np.flatnonzero(pop.acquired & (pop.joined >= t0) & (pop.joined < t1))
        if new.size:
            self.orders.add(new, pop.joined[new], self.first_value[new], np.zeros(len(new)), first=True)
            pop.orders[new] += 1
