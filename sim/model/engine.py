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
        from scipy import stats  # rare: only means above _SMALL_MEAN

        n[big] = stats.poisson.ppf(u[big], mean[big]).astype(np.int64)
        small = np.flatnonzero(~big)
        m, us = mean[small], u[small]
    else:  # the usual case: no copies of the whole population
        small, m, us = None, mean, u
    term = np.exp(-m)
    active = np.flatnonzero(us > term)
    if not active.size:
        return n
    # Only customers with at least one purchase go on: the CDF is summed term by term for them.
    m, us = m[active], us[active]
    term = term[active]
    cdf = term.copy()
    place = active if small is None else small[active]
    k, live = 0, np.arange(len(active))
    while live.size and k < 1000:
        k += 1
        term[live] *= m[live] / k
        cdf[live] += term[live]
        n[place[live]] = k
        live = live[us[live] > cdf[live]]
    return n


def _rank_within(counts: np.ndarray) -> np.ndarray:
    """0, 1, ..., k-1 for each group of k repeated entries (np.repeat's layout)."""
    total = int(counts.sum())
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total) - starts


class Engine:
    """Simulates one policy over the calendar on a private copy of the population."""

    def __init__(self, calendar: Calendar, population: Customers, first_value: np.ndarray,
                 spend_shape: float, seed: int, replication: int, plugins: Sequence[Plugin] = (),
                 preheat_lost_share: float = 0.0):
        self.env = simpy.Environment(initial_time=calendar.start)
        self.calendar = calendar
        self.pop = population
        self.first_value = first_value  # indexed by customer; used for acquired customers
        self.first_coupon = np.zeros(len(population))  # discount on a newcomer's first order, yuan
        self.n_world = len(population)  # customers every policy has; a policy's newcomers come after
        self.spend_shape = spend_shape
        self.seed = seed
        self.replication = replication
        self.plugins = list(plugins)
        self.drawn_to = calendar.start
        self.orders = OrderLog.empty()
        self.churned_at = np.full(len(population), np.nan)
        self.owed = np.zeros(len(population), dtype=np.int64)  # later purchases pulled forward
        self.pulled_forward = 0
        self.waited = 0
        self.preheat_lost_share = preheat_lost_share
        self._pending: list[tuple[np.ndarray, np.ndarray, bool]] = []
        self._arrivals: tuple[int, np.ndarray, np.ndarray] | None = None  # (population size, newcomers by joining hour)

    def run(self, change_hours: list[float]) -> None:
        """Run the SimPy calendar to the end, stepping the population at each change hour."""
        self.env.process(self._calendar(change_hours))
        for plugin in self.plugins:
            plugin.start(self)
        self.env.run(until=self.calendar.end)
        self.advance(self.calendar.end)

    def order_later(self, customer: np.ndarray, time: np.ndarray, natural: bool = False) -> None:
        """Book orders that customers will place at the given hours, if still active then.

        `natural` orders are the customer's own purchases placed later (they use up a dropout
        chance); the others are extra (a pre-sale balance).
        """
        keep = time < self.calendar.end
        if keep.any():
            self._pending.append((customer[keep], time[keep], natural))

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
        """Draw every customer's orders and dropouts from `drawn_to` up to hour t1.

        Customers a policy brought in (beyond the world's `n_world`) draw from streams of their
        own, so everyone else's draws are the same under every policy (common random numbers).
        """
        t0 = self.drawn_to
        if t1 <= t0:
            return
        self._admit(t0, t1)
        key = int(round((t0 - self.calendar.start) * 60))  # the stretch's start minute names its streams
        pop, n = self.pop, len(self.pop)
        self._first_orders(t0, t1)
        self._pending_orders(t1, key)
        boosts, lift, pull = [], None, None
        for plugin in self.plugins:
            boost = plugin.intensity(t0)
            if boost is not None:
                boosts.append(boost)
            lifted = plugin.lift(t0, n)
            if lifted is not None:
                lift = lifted[0] if lift is None else lift * lifted[0]
                pull = lifted[1]
        live = (pop.remaining > 0) & (pop.joined < t1)
        self._stretch(0, np.flatnonzero(live[:self.n_world]), t0, t1, (key,), boosts, lift, pull)
        if n > self.n_world:
            self._stretch(self.n_world, self.n_world + np.flatnonzero(live[self.n_world:]), t0, t1,
                          (key, streams.NEWCOMERS), boosts, lift, pull)
        self.drawn_to = t1

    def _stretch(self, first: int, idx: np.ndarray, t0: float, t1: float, keys: tuple[int, ...],
                 boosts: list[np.ndarray], lift_all: np.ndarray | None, pull_all: np.ndarray | None) -> None:
        """Draw the orders of customers `idx` (all at or after index `first`) in [t0, t1) from
        the streams named by `keys`; each customer's uniform is its place after `first`."""
        pop = self.pop
        seed, rep = self.seed, self.replication
        last = self.n_world if first == 0 else len(pop)
        u_all = streams.generator(seed, rep, streams.PURCHASES, *keys).random(last - first)
        rng = streams.generator(seed, rep, streams.ORDERS, *keys)
        joined = pop.joined[idx]
        late = np.flatnonzero(joined > t0)  # joined inside the stretch: they start at their joining hour
        g_start = np.full(len(idx), float(self.calendar.clock(t0)))
        g_start[late] = self.calendar.clock(joined[late])
        span = float(self.calendar.clock(t1)) - g_start
        rate = pop.lam[idx]
        for boost in boosts:
            rate = rate * boost[idx]
        lift = None if lift_all is None else lift_all[idx]
        u = u_all[idx - first]
        natural = poisson_inverse(u, rate * span)
        total = natural.copy()
        if lift is not None:
            up = np.flatnonzero(lift > 1.0)
            total[up] = poisson_inverse(u[up], rate[up] * lift[up] * span[up])
        if t1 <= 0.0:  # the pre-heat: shoppers wait for the sale
            mean = rate * span if lift is None else rate * span * lift
            self._defer_waiting(idx, u, rate, mean, total, np.maximum(joined, t0), t1, keys)
        # From here on only customers with an order in the stretch matter.
        some = np.flatnonzero(total)
        idx, natural, total, g_start, span = idx[some], natural[some], total[some], g_start[some], span[some]
        pull = None if pull_all is None else pull_all[idx]
        owed = self.owed[idx]
        repaid = np.minimum(owed, natural)
        self.owed[idx] -= repaid
        stimulated = total - natural
        natural = np.minimum(natural - repaid, pop.remaining[idx])
        pulled = np.zeros_like(stimulated)
        srng = streams.generator(seed, rep, streams.STIMULATED, *keys)
        has = np.flatnonzero(stimulated > 0)
        if has.size:
            pulled[has] = np.minimum(srng.binomial(stimulated[has], pull[has]), pop.remaining[idx[has]] - natural[has])
            self.owed[idx[has]] += pulled[has]
            self.pulled_forward += int(pulled.sum())
        # Natural orders first (their values and times are the same under every policy), then
        # the stimulated ones from a stream of their own; pulled-forward ones use a dropout chance.
        who = np.repeat(idx, natural)
        g0 = np.repeat(g_start, natural)
        times = self.calendar.clock_inverse(g0 + rng.random(len(who)) * (np.repeat(span, natural)))
        values = self._values(who, rng)
        s_who = np.repeat(idx[has], stimulated[has])
        s_g0 = np.repeat(g_start[has], stimulated[has])
        s_times = self.calendar.clock_inverse(s_g0 + srng.random(len(s_who)) * np.repeat(span[has], stimulated[has]))
        s_values = self._values(s_who, srng)
        s_uses = np.repeat(pulled[has], stimulated[has]) > _rank_within(stimulated[has])
        who, times = np.concatenate([who, s_who]), np.concatenate([times, s_times])
        uses = np.concatenate([np.ones(len(values), bool), s_uses])
        keep = self._before_dropout(idx, natural + pulled, who, times, uses)
        self._record(who[keep], times[keep], np.concatenate([values, s_values])[keep],
                     stimulated=np.concatenate([np.zeros(len(values), bool), np.ones(len(s_who), bool)])[keep],
                     uses_chance=uses[keep])

    def _before_dropout(self, idx: np.ndarray, used: np.ndarray, who: np.ndarray, times: np.ndarray,
                        uses: np.ndarray) -> np.ndarray:
        """Mask of the stretch's orders placed before their customer dropped out in it.

        A customer who uses their last purchase chance in the stretch drops out right after
        that order; purely stimulated orders drawn later in the stretch do not happen.
        """
        if uses.all():  # no purely stimulated orders in the stretch: nothing to drop
            return uses
        ends = (used >= self.pop.remaining[idx]) & (used > 0)
        last = idx[ends]
        if not last.size:
            return np.ones(len(who), dtype=bool)
        dies_at = np.full(len(self.pop), np.inf)
        dying = np.isin(who, last) & uses
        dies_at[last] = -np.inf
        np.maximum.at(dies_at, who[dying], times[dying])
        return uses | (times <= dies_at[who])

    def _values(self, who: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """List values of new orders: the customer's mean value times Gamma(p, p) noise, yuan."""
        return self.pop.value[who] * rng.gamma(self.spend_shape, 1.0, len(who)) / self.spend_shape

    def _defer_waiting(self, idx: np.ndarray, u: np.ndarray, rate: np.ndarray, mean: np.ndarray,
                       total: np.ndarray, start: np.ndarray, t1: float, keys: tuple[int, ...]) -> None:
        """Turn the purchases pre-heat shoppers withhold into orders on days 0-1 (less those lost).

        Coupled by the same uniforms: the deferred purchases are those the customer would add
        at the undamped intensity (`mean` is the stretch's expected purchases, `total` its count).
        """
        if t1 > 0.0:
            return
        wait = self.calendar.waiting_clock(t1) - self.calendar.waiting_clock(start)
        some = np.flatnonzero(wait > 0)
        if not some.size:
            return
        deferred = poisson_inverse(u[some], mean[some] + rate[some] * wait[some]) - total[some]
        rng = streams.generator(self.seed, self.replication, streams.WAITING, *keys)
        kept = rng.binomial(np.maximum(deferred, 0), 1.0 - self.preheat_lost_share)
        self.waited += int(kept.sum())
        who = np.repeat(idx[some], kept)
        cal = self.calendar
        g0, g1 = cal.clock(0.0), cal.clock(48.0)
        self.order_later(who, cal.clock_inverse(g0 + rng.random(len(who)) * (g1 - g0)), natural=True)

    def _record(self, who: np.ndarray, times: np.ndarray, values: np.ndarray, *, induced: bool = False,
                stimulated: np.ndarray | bool = False, uses_chance: np.ndarray | bool = True) -> None:
        """Book repeat orders: coupons, counts, dropout and last-order times.

        `uses_chance` marks the orders that use up one of the customer's purchases before
        dropping out: natural ones and pulled-forward ones, not purely incremental ones.
        """
        pop = self.pop
        coupon = np.zeros(len(who))
        for plugin in self.plugins:
            values, off = plugin.redeem(who, times, values)
            if off is not None:
                coupon += off
        self.orders.add(who, times, values, coupon, induced=induced, stimulated=stimulated)
        uses = np.broadcast_to(np.asarray(uses_chance), who.shape)
        np.add.at(pop.remaining, who[uses], -1)
        np.add.at(pop.orders, who, 1)
        np.maximum.at(pop.last_order, who, times)
        buyers = np.unique(who)
        died = buyers[pop.remaining[buyers] == 0]
        self.churned_at[died] = pop.last_order[died]

    def _pending_orders(self, t1: float, key: int) -> None:
        """Realise booked orders due before t1, one per customer per round, while customers last."""
        if not self._pending:
            return
        customer = np.concatenate([c for c, _, _ in self._pending])
        time = np.concatenate([t for _, t, _ in self._pending])
        natural = np.concatenate([np.full(len(c), k) for c, _, k in self._pending])
        due = time < t1
        rest = ~due
        self._pending = [(customer[rest], time[rest], natural[rest])] if rest.any() else []
        world = customer < self.n_world
        for part, keys in ((due & world, (key, 1)), (due & ~world, (key, 1, streams.NEWCOMERS))):
            if part.any():
                self._realise(customer[part], time[part], natural[part],
                              streams.generator(self.seed, self.replication, streams.ORDERS, *keys))

    def _realise(self, customer: np.ndarray, time: np.ndarray, natural: np.ndarray, rng: np.random.Generator) -> None:
        while customer.size:
            _, first = np.unique(customer, return_index=True)
            who, when, kind = customer[first], time[first], natural[first]
            active = self.pop.remaining[who] > 0
            if active.any():
                who, when, kind = who[active], when[active], kind[active]
                self._record(who, when, self._values(who, rng), induced=True, uses_chance=kind)
            rest = np.ones(len(customer), dtype=bool)
            rest[first] = False
            customer, time, natural = customer[rest], time[rest], natural[rest]

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
            self.owed = np.concatenate([self.owed, np.zeros(len(new.customers), dtype=np.int64)])
            coupon = np.zeros(len(new.customers)) if new.first_coupon is None else new.first_coupon
            self.first_coupon = np.concatenate([self.first_coupon, coupon])
            for each in self.plugins:
                each.grown(len(self.pop))

    def joined_between(self, t0: float, t1: float) -> np.ndarray:
        """Increasing indices of the newcomers who joined in [t0, t1) (from a sorted index of arrivals)."""
        pop = self.pop
        if self._arrivals is None or self._arrivals[0] != len(pop):  # made again when newcomers were added
            acquired = np.flatnonzero(pop.acquired)
            order = acquired[np.argsort(pop.joined[acquired], kind="stable")]
            self._arrivals = (len(pop), order, pop.joined[order])
        _, order, joined = self._arrivals
        return np.sort(order[np.searchsorted(joined, t0, "left"):np.searchsorted(joined, t1, "left")])

    def _first_orders(self, t0: float, t1: float) -> None:
        """Newcomers' first orders at their joining hours in [t0, t1)."""
        pop = self.pop
        new = self.joined_between(t0, t1)
        if new.size:
            self.orders.add(new, pop.joined[new], self.first_value[new], self.first_coupon[new], first=True)
            pop.orders[new] += 1
