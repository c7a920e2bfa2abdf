"""Customers' own purchases, drawn once per world for the whole calendar.

A customer's own buying is a Poisson process of rate lambda_i in the calendar's buying clock G
(see sim.model.calendar), so over the calendar they have Poisson(lambda_i (G(end) - G(start_i)))
purchases, placed uniformly in G. Drawing them once, before any policy acts,
makes them the same in every policy whatever hours a policy's engine steps at (common random
numbers without a shared step grid); the engine then keeps or drops each one as the customer's
state says (purchases left before dropping out, purchases pulled forward earlier, churn).

Shoppers in the pre-heat withhold (1 - preheat_multiplier) of their intensity: the purchases
that withheld intensity would have produced are placed on days 0-1 instead, less
`preheat_lost_share` of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.calendar import Calendar
from sim.model.customers import Customers


@dataclass(frozen=True)
class Purchases:
    """Purchases as columns, sorted by hour: customer index, hour and list value (yuan)."""

    customer: np.ndarray
    time: np.ndarray
    value: np.ndarray

    def __len__(self) -> int:
        return len(self.time)

    def between(self, t0: float, t1: float) -> slice:
        """The rows placed in [t0, t1)."""
        return slice(int(np.searchsorted(self.time, t0, "left")), int(np.searchsorted(self.time, t1, "left")))

    @classmethod
    def empty(cls) -> Purchases:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0))


def order_values(pop: Customers, who: np.ndarray, spend_shape: float, rng: np.random.Generator) -> np.ndarray:
    """List values of orders: the customer's mean value times Gamma(p, p) noise, yuan."""
    return pop.value[who] * rng.gamma(spend_shape, 1.0, len(who)) / spend_shape


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_ROUND = np.uint64(0xD1B54A32D192ED03)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: a well-mixed 64-bit hash of each entry."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def keyed_uniforms(key: int, who: np.ndarray, k: int) -> np.ndarray:
    """The k-th uniform in (0, 1) of each customer `who` under `key`, whatever else is drawn.

    A counter-based draw: it depends only on (key, customer, k), so a customer's k-th purchase
    gap is the same however many purchases anyone has in the calendar.
    """
    with np.errstate(over="ignore"):
        x = np.uint64(key) + who.astype(np.uint64) * _GOLDEN + np.uint64(k) * _ROUND
        return ((_mix(x) >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0 ** -53


BLOCK = 1 << 17
"""Customers whose purchase gaps are drawn together: a block's columns stay in the CPU cache."""


def _gaps(key: int, g: np.ndarray, lam: np.ndarray, end: float, first: int, last: int, offset: int,
          found_who: list, found_g: list) -> None:
    """Purchases of customers first..last-1 from their clock positions `g` (advanced in place) to
    `end`, gap by gap: appends who bought and where on the clock, round by round."""
    active = first + np.flatnonzero((lam[first:last] > 0) & (g[first:last] < end))
    k = 0
    while active.size:
        k += 1
        g[active] -= np.log(keyed_uniforms(key, active + offset, k)) / lam[active]
        active = active[g[active] < end]
        found_who.append(active)
        found_g.append(g[active])


def draw_purchases(pop: Customers, calendar: Calendar, spend_shape: float, lost_share: float,
                   seed: np.random.SeedSequence, offset: int = 0) -> tuple[Purchases, Purchases]:
    """Every customer's own purchases from joining (or the start) to the end, and those
    withheld in the pre-heat and placed on days 0-1 instead (less `lost_share` of them).

    Purchases are a Poisson process of rate lambda_i on the undamped clock (buying plus waiting
    clock), generated gap by gap from counter-based uniforms, so a change of the calendar after
    hour t leaves every purchase before t as it was (common random numbers across calendar
    variants). One falling in the pre-heat is withheld with the hour's waiting share, so what
    the pre-heat loses is what days 0-1 gain, to the purchase. Values and the withholding are
    drawn in time order from `seed`'s generator. `offset` is added to the customer indices
    (for customers appended to a population).
    """
    gaps, rest = seed.spawn(2)
    key = int(gaps.generate_state(1, np.uint64)[0])
    rng = np.random.default_rng(rest)
    x = np.arange(calendar.hours + 1, dtype=float)
    clock = calendar.cum_buying + calendar.cum_waiting
    g = np.interp(np.maximum(pop.joined, calendar.start) - calendar.start, x, clock)
    found_who, found_g = [], []
    for first in range(0, len(pop), BLOCK):
        _gaps(key, g, pop.lam, clock[-1], first, min(first + BLOCK, len(pop)), offset, found_who, found_g)
    who = np.concatenate(found_who) if found_who else np.zeros(0, dtype=np.int64)
    position = np.concatenate(found_g) if found_g else np.zeros(0)
    rising = np.concatenate([[True], np.diff(clock) > 0])
    time = calendar.start + np.interp(position, clock[rising], x[rising])
    order = np.argsort(time, kind="stable")
    who, time = who[order], time[order]
    value = order_values(pop, who, spend_shape, rng)
    hour = np.clip((time - calendar.start).astype(np.int64), 0, calendar.hours - 1)
    per_hour = np.diff(clock)
    waiting = np.divide(np.diff(calendar.cum_waiting), per_hour, out=np.zeros(calendar.hours), where=per_hour > 0)
    chance = rng.random((len(who), 3))  # withheld?, lost?, placed when on days 0-1
    withheld = chance[:, 0] < waiting[hour]
    moved = withheld & (chance[:, 1] >= lost_share)
    g_event0, g_event1 = calendar.clock(0.0), calendar.clock(48.0)
    later = calendar.clock_inverse(g_event0 + chance[moved, 2] * (g_event1 - g_event0))
    own = ~withheld
    keep = later < calendar.end
    return (Purchases(who[own] + offset, time[own], value[own]),
            Purchases(who[moved][keep] + offset, later[keep], value[moved][keep]))
