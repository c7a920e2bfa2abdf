"""One replication of one policy: a SimPy environment stepping a numpy population.

Customers' own purchases are drawn once per world for the whole calendar
(sim.model.purchases), so they are the same in every policy whatever hours its engine steps
at. The engine steps from one change of this policy's intensities to the next (a wave, an
effect ending, a programme check) and in each stretch keeps the own purchases of customers
still buying (up to the purchases they have left before dropping out, after repaying any
pulled forward earlier) and adds the purchases a marketing lift stimulates, drawn for the
lifted customers only. SimPy holds the calendar: processes yield until the next change and
call `advance`.
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
from sim.model.purchases import Purchases, draw_purchases, order_values

_PENDING = 1  # ORDERS stream key of the values of orders booked without one


def _rank_within(counts: np.ndarray) -> np.ndarray:
    """0, 1, ..., k-1 for each group of k repeated entries (np.repeat's layout)."""
    total = int(counts.sum())
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total) - starts


class Engine:
    """Simulates one policy over the calendar on a private copy of the population.

    `purchases` and `deferred` are the world's own and pre-heat-deferred purchases (drawn here
    from the run's streams if not given; they must be the same for every policy of a world).
    """

    def __init__(self, calendar: Calendar, population: Customers, first_value: np.ndarray,
                 spend_shape: float, seed: int, replication: int, plugins: Sequence[Plugin] = (),
                 preheat_lost_share: float = 0.0, purchases: Purchases | None = None,
                 deferred: Purchases | None = None):
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
        self.preheat_lost_share = preheat_lost_share
        if purchases is None or deferred is None:
            purchases, deferred = draw_purchases(population, calendar, spend_shape, preheat_lost_share,
                                                 streams.sequence(seed, replication, streams.PURCHASES))
        self._own = [purchases]  # the world's, then one block per batch of newcomers
        self._read = [0]  # rows of each block already played
        self.waited = len(deferred)
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray, bool]] = []
        self._bookings = 0
        self.order_later(deferred.customer, deferred.time, natural=True, value=deferred.value)
        self._arrivals: tuple[int, np.ndarray, np.ndarray] | None = None  # (population size, newcomers by joining hour)

    def run(self, change_hours: list[float]) -> None:
        """Run the SimPy calendar to the end, stepping the population at each change hour."""
        self.env.process(self._calendar(change_hours))
        for plugin in self.plugins:
            plugin.start(self)
        self.env.run(until=self.calendar.end)
        self.advance(self.calendar.end)

    def order_later(self, customer: np.ndarray, time: np.ndarray, natural: bool = False,
                    value: np.ndarray | None = None) -> None:
        """Book orders that customers will place at the given hours, if still active then.

        `natural` orders are the customer's own purchases placed later (they use up a dropout
        chance); the others are extra (a pre-sale balance). Without `value` (list values, yuan)
        values are drawn now from a stream named by the booking's place in this run.
        """
        if value is None:
            self._bookings += 1
            rng = streams.generator(self.seed, self.replication, streams.ORDERS, _PENDING, self._bookings)
            value = order_values(self.pop, customer, self.spend_shape, rng)
        keep = time < self.calendar.end
        if keep.any():
            self._pending.append((customer[keep], time[keep], value[keep], natural))

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
        """Play every customer's orders and dropouts from `drawn_to` up to hour t1."""
        t0 = self.drawn_to
        if t1 <= t0:
            return
        self._admit(t0, t1)
        key = int(round((t0 - self.calendar.start) * 60))  # the stretch's start minute names its streams
        self._first_orders(t0, t1)
        lifted = None
        for plugin in self.plugins:
            lifted = _combine(lifted, plugin.lift(t0, len(self.pop)))
        own, place, own_left = self._own_purchases(t0, t1)
        extra = tuple(np.concatenate(x) for x in zip(self._due(t1), self._stimulated(t0, t1, key, lifted, own_left)))
        # Customers with only own purchases here keep them up to the purchases they have left;
        # the others' orders are merged in time order first.
        marked = np.zeros(len(self.pop), dtype=bool)
        marked[extra[0]] = True
        mixed = marked[own[0]]
        simple = ~mixed & (place < self.pop.remaining[own[0]])
        c, t, v, uses, induced, stim = (np.concatenate([o[mixed], e]) for o, e in zip(own, extra))
        keep = self._before_dropout(c, t, uses)
        c, t, v, uses, induced, stim = (np.concatenate([o[simple], e[keep]]) for o, e in
                                        zip(own, (c, t, v, uses, induced, stim)))
        self._record(c, t, v, induced=induced, stimulated=stim, uses_chance=uses)
        self.drawn_to = t1

    def _own_purchases(self, t0: float, t1: float) -> tuple[tuple, np.ndarray, np.ndarray]:
        """Customers' own purchases in [t0, t1) less those repaying purchases pulled forward earlier.

        Returns them as order columns (customer, hour, value, uses a chance, induced,
        stimulated), each one's place among its customer's kept ones (0 for the first), and per
        customer (all of them) how many own purchases are left here, at most the purchases
        they have left before dropping out.
        """
        pop = self.pop
        n = len(pop)
        parts = []
        for b, block in enumerate(self._own):
            rows = block.between(t0, t1)
            start = max(rows.start, self._read[b])
            self._read[b] = rows.stop
            if rows.stop > start:
                parts.append((block.customer[start:rows.stop], block.time[start:rows.stop], block.value[start:rows.stop]))
        left = np.zeros(n, dtype=np.int64)
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return _columns(empty, np.zeros(0), np.zeros(0), True, False, False), empty, left
        c, t, v = (np.concatenate(x) for x in zip(*parts))  # each customer's in time order
        counts = np.bincount(c, minlength=n)
        k = counts[c]
        rank = np.zeros(len(c), dtype=np.int64)
        several = np.flatnonzero(k > 1)  # most customers buy at most once in a stretch: sort only the others
        if several.size:
            order = several[np.argsort(c[several], kind="stable")]
            grouped = c[order]
            starts = np.flatnonzero(np.concatenate([[True], grouped[1:] != grouped[:-1]]))
            rank[order] = _rank_within(np.diff(np.append(starts, len(grouped))))
        first = rank == 0
        who = c[first]
        live = pop.remaining[who] > 0
        repaid = np.where(live, np.minimum(self.owed[who], counts[who]), 0)
        self.owed[who] -= repaid
        left[who] = np.where(live, np.minimum(counts[who] - repaid, np.maximum(pop.remaining[who], 0)), 0)
        skip = np.zeros(n, dtype=np.int64)
        skip[who] = repaid
        # A customer's next own purchases after a pulled-forward one were made earlier.
        place = rank - skip[c]
        take = place >= 0
        return _columns(c[take], t[take], v[take], True, False, False), place[take], left

    def _stimulated(self, t0: float, t1: float, key: int, lifted, own_left: np.ndarray) -> tuple:
        """The purchases a lift stimulates in [t0, t1), as order columns.

        A customer lifted by a factor L buys Poisson(lambda (L - 1) dG) more; `pull` of them
        are taken from the customer's later purchases (they use a dropout chance and are
        repaid by the next own purchases), the rest are purely incremental.
        """
        pop = self.pop
        if lifted is None:
            return _columns(np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0), False, False, True)
        who, lift, pull = lifted
        ok = (lift > 1.0) & (pop.remaining[who] > 0) & (pop.joined[who] < t1)
        who, lift, pull = who[ok], lift[ok], pull[ok]
        g_start = self.calendar.clock(np.maximum(pop.joined[who], t0))
        span = float(self.calendar.clock(t1)) - g_start
        srng = streams.generator(self.seed, self.replication, streams.STIMULATED, key)
        extra = srng.poisson(pop.lam[who] * (lift - 1.0) * span)
        has = extra > 0
        who, extra, pull, g_start, span = who[has], extra[has], pull[has], g_start[has], span[has]
        pulled = np.maximum(np.minimum(srng.binomial(extra, pull), pop.remaining[who] - own_left[who]), 0)
        self.owed[who] += pulled
        self.pulled_forward += int(pulled.sum())
        s_who = np.repeat(who, extra)
        times = self.calendar.clock_inverse(np.repeat(g_start, extra) + srng.random(len(s_who)) * np.repeat(span, extra))
        values = order_values(pop, s_who, self.spend_shape, srng)
        uses = np.repeat(pulled, extra) > _rank_within(extra)
        return _columns(s_who, times, values, uses, False, True)

    def _due(self, t1: float) -> tuple:
        """Booked orders due before t1, as order columns."""
        if not self._pending:
            return _columns(np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0), True, True, False)
        customer, time, value, natural = (np.concatenate(x) for x in zip(
            *[(c, t, v, np.full(len(c), k)) for c, t, v, k in self._pending]))
        due = time < t1
        rest = ~due
        self._pending = [(customer[rest], time[rest], value[rest], natural[rest])] if rest.any() else []
        return _columns(customer[due], time[due], value[due], natural[due], True, False)

    def _before_dropout(self, who: np.ndarray, times: np.ndarray, uses: np.ndarray) -> np.ndarray:
        """Mask of the stretch's orders placed while their customer was still buying.

        In time order, each customer's orders happen while fewer of the purchases they had left
        have been used than they had: an order using their last one is placed and they drop
        out right after it; later orders (own, booked or stimulated) do not happen.
        """
        if not len(who):
            return np.zeros(0, dtype=bool)
        order = np.lexsort((times, who))
        w, u = who[order], uses[order].astype(np.int64)
        group = np.concatenate([[True], w[1:] != w[:-1]])
        cum = np.cumsum(u)
        start = np.maximum.accumulate(np.where(group, cum - u, 0))
        before = cum - u - start  # chances used by the customer's earlier orders in the stretch
        keep = np.empty(len(who), dtype=bool)
        keep[order] = before < self.pop.remaining[w]
        return keep

    def _record(self, who: np.ndarray, times: np.ndarray, values: np.ndarray, *, induced: np.ndarray | bool = False,
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
        died = who[pop.remaining[who] == 0]
        self.churned_at[died] = pop.last_order[died]

    def _admit(self, t0: float, t1: float) -> None:
        """Add the newcomers plugins bring in [t0, t1); their first orders follow at once, and
        their own purchases are drawn from a stream of this stretch (they are the policy's)."""
        for i, plugin in enumerate(self.plugins):
            new = plugin.arrivals(t0, t1)
            if new is None or not len(new.customers):
                continue
            if not (new.customers.acquired.all() and ((new.customers.joined >= t0) & (new.customers.joined < t1)).all()):
                raise ValueError(f"{type(plugin).__name__}.arrivals: newcomers must be acquired and join in [t0, t1)")
            offset = len(self.pop)
            key = int(round((t0 - self.calendar.start) * 60))
            own, deferred = draw_purchases(new.customers, self.calendar, self.spend_shape, self.preheat_lost_share,
                                           streams.sequence(self.seed, self.replication, streams.PURCHASES,
                                                            streams.NEWCOMERS, key, i), offset)
            self._own.append(own)
            self._read.append(0)
            self.pop = Customers.concat([self.pop, new.customers])
            self.first_value = np.concatenate([self.first_value, new.first_value])
            self.churned_at = np.concatenate([self.churned_at, np.full(len(new.customers), np.nan)])
            self.owed = np.concatenate([self.owed, np.zeros(len(new.customers), dtype=np.int64)])
            coupon = np.zeros(len(new.customers)) if new.first_coupon is None else new.first_coupon
            self.first_coupon = np.concatenate([self.first_coupon, coupon])
            self.waited += len(deferred)
            self.order_later(deferred.customer, deferred.time, natural=True, value=deferred.value)
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


def _columns(who, times, values, uses, induced, stimulated) -> tuple:
    """Order columns with the flags broadcast to one per order."""
    n = len(who)
    return (who, times, values, np.broadcast_to(np.asarray(uses, dtype=bool), (n,)),
            np.broadcast_to(np.asarray(induced, dtype=bool), (n,)), np.broadcast_to(np.asarray(stimulated, dtype=bool), (n,)))


def _combine(a, b):
    """Two plugins' lifts on the same stretch: multipliers multiply, pull-forward is the later one's."""
    if a is None or b is None:
        return a if b is None else b
    who = np.union1d(a[0], b[0])
    lift, pull = np.ones(len(who)), np.zeros(len(who))
    ia, ib = np.searchsorted(who, a[0]), np.searchsorted(who, b[0])
    lift[ia] *= a[1]
    lift[ib] *= b[1]
    pull[ia] = a[2]
    pull[ib] = b[2]
    return who, lift, pull
