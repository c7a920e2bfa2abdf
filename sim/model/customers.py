"""Customers as columns: one numpy array per attribute, one row per customer.

Existing customers follow the BG/NBD buy-till-you-die laws (Fader, Hardie and Lee 2005):
purchase rate lambda ~ Gamma(r, alpha) per week and, after each purchase, dropout with
probability p ~ Beta(a, b). The number of purchases a customer has left before dropping out
is therefore Geometric(p); we draw it once and count it down, which is exact and cheap.
Order values follow Gamma-Gamma: a customer's mean value is p_s / nu with nu ~ Gamma(q, gamma).

Segments are a partition of these latent draws, so the population as a whole keeps the
BG/NBD laws while each RFM group behaves as its name says: the important groups are the
highest spenders; among them the frequent ones have the highest rates, and the "recent"
ones (value, development) the lowest dropout risk.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from sim.model.calendar import Calendar
from sim.config.scenario import Scenario
from sim.vocabulary import SEGMENTS

HOURS_PER_WEEK = 168.0
SEGMENT_INDEX = {name: i for i, name in enumerate(SEGMENTS)}


@dataclass
class Traits:
    """Latent per-customer draws shared by the base and by newly acquired buyers."""

    lam: np.ndarray  # purchases per hour on an ordinary day
    dropout: np.ndarray  # probability of dropping out after each purchase
    value: np.ndarray  # mean order value at list price, yuan
    category: np.ndarray  # index into scenario.population.categories
    remaining: np.ndarray  # purchases left before dropout (>= 1 means alive)
    sensitivity: np.ndarray  # coupon sensitivity, mean 1


@dataclass
class Customers:
    """Per-customer state during one simulated replication (all arrays of equal length)."""

    lam: np.ndarray
    dropout: np.ndarray
    value: np.ndarray
    category: np.ndarray
    remaining: np.ndarray
    sensitivity: np.ndarray  # coupon sensitivity, mean 1
    segment: np.ndarray  # index into SEGMENTS
    is_new: np.ndarray  # bought only once before the calendar start, or acquired during it
    acquired: np.ndarray  # joined during the simulated calendar
    joined: np.ndarray  # hour the customer became a customer (calendar start for the base)
    last_order: np.ndarray  # hour of the latest order (before the start for the base)
    orders: np.ndarray = field(default=None)  # orders placed during the simulation
    boost: np.ndarray = field(default=None)  # marketing multiplier on the purchase rate

    def __post_init__(self) -> None:
        n = len(self.lam)
        if self.orders is None:
            self.orders = np.zeros(n, dtype=np.int64)
        if self.boost is None:
            self.boost = np.ones(n)

    def __len__(self) -> int:
        return len(self.lam)

    @property
    def alive(self) -> np.ndarray:
        return self.remaining > 0

    def copy(self) -> Customers:
        return Customers(**{f.name: getattr(self, f.name).copy() for f in fields(self)})

    @classmethod
    def concat(cls, parts: list[Customers]) -> Customers:
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)})


Population = Customers  # the name before 0.2; kept for one release


def category_multipliers(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Rate and value multipliers per category.

    Rates scale with 1 / cycle_days, normalised so that the share-weighted mean multiplier is 1:
    the population's mean purchase rate stays r / alpha whatever the category mix. Values scale
    so that each category's mean order value equals its `order_value`.
    """
    cats = list(scenario.population.categories.values())
    share = np.array([c.share for c in cats])
    inv_cycle = np.array([1.0 / c.cycle_days for c in cats])
    rate = inv_cycle / np.dot(share, inv_cycle)
    sp = scenario.population.spend
    mean_value = sp.p * sp.gamma / (sp.q - 1.0)
    value = np.array([c.order_value for c in cats]) / mean_value
    return rate, value


def draw_traits(scenario: Scenario, n: int, rng: np.random.Generator) -> Traits:
    """Draw n customers' latent rate, dropout, value level, category and purchases left."""
    pop = scenario.population
    shares = np.array([c.share for c in pop.categories.values()])
    cumulative = np.cumsum(shares / shares.sum())
    category = np.minimum(np.searchsorted(cumulative, rng.random(n), side="right"), len(shares) - 1).astype(np.int16)
    rate_mult, value_mult = category_multipliers(scenario)
    b = pop.buying
    lam = rng.gamma(b.r, 1.0 / b.alpha, size=n) / HOURS_PER_WEEK * rate_mult[category]
    dropout = np.clip(rng.beta(b.a, b.b, size=n), 1e-12, 1.0)
    s = pop.spend
    nu = rng.gamma(s.q, 1.0 / s.gamma, size=n)
    value = s.p / nu * value_mult[category]
    remaining = rng.geometric(dropout).astype(np.int64)
    k = pop.coupon_sensitivity
    sensitivity = rng.gamma(k, 1.0 / k, size=n)
    return Traits(lam, dropout, value, category, remaining, sensitivity)


def draw_base(scenario: Scenario, calendar: Calendar, rng: np.random.Generator) -> Customers:
    """The existing customer base at the calendar start: alive, each with a past last order."""
    n = scenario.population.size
    t = draw_traits(scenario, n, rng)
    segment = assign_segments(t, scenario.population.segments, rng)
    recent = np.isin(segment, [SEGMENT_INDEX["important_value"], SEGMENT_INDEX["important_development"]])
    lapsed = np.isin(segment, [SEGMENT_INDEX["important_retention"], SEGMENT_INDEX["important_maintenance"]])
    lo = np.where(recent, 0.0, np.where(lapsed, 90.0, 0.0))
    hi = np.where(recent, 60.0, 365.0)
    recency_days = lo + (hi - lo) * rng.random(n)
    noisy_rate = t.lam * rng.lognormal(0.0, 1.0, n)
    is_new = np.zeros(n, dtype=bool)
    is_new[_top(np.arange(n), noisy_rate, int(round(scenario.population.new_share * n)))] = True
    return Customers(
        lam=t.lam, dropout=t.dropout, value=t.value, category=t.category, remaining=t.remaining,
        sensitivity=t.sensitivity, segment=segment, is_new=is_new, acquired=np.zeros(n, dtype=bool),
        joined=np.full(n, calendar.start), last_order=calendar.start - 24.0 * recency_days,
    )


def assign_segments(t: Traits, shares: dict[str, float], rng: np.random.Generator) -> np.ndarray:
    """Partition customers into RFM groups by spend (M), rate (F) and dropout risk (R)."""
    n = len(t.lam)
    c = dict(zip(SEGMENTS, _counts(np.array([shares[s] for s in SEGMENTS]), n)))
    segment = np.full(n, SEGMENT_INDEX["general"], dtype=np.int8)
    important = _top(np.arange(n), -t.value, n - c["general"])
    frequent = _top(important, -t.lam, c["important_value"] + c["important_retention"])
    occasional = np.setdiff1d(important, frequent, assume_unique=True)
    for group, recent, lapsed in ((frequent, "important_value", "important_retention"),
                                  (occasional, "important_development", "important_maintenance")):
        low_risk = _top(group, t.dropout, c[recent])
        segment[group] = SEGMENT_INDEX[lapsed]
        segment[low_risk] = SEGMENT_INDEX[recent]
    return segment


def _top(idx: np.ndarray, key: np.ndarray, k: int) -> np.ndarray:
    """The k members of idx with the smallest key (linear-time selection, not a sort)."""
    if k <= 0:
        return idx[:0]
    if k >= len(idx):
        return idx
    return idx[np.argpartition(key[idx], k - 1)[:k]]


def _counts(shares: np.ndarray, n: int) -> np.ndarray:
    """Integer counts summing to n, proportional to shares (largest remainder)."""
    raw = shares / shares.sum() * n
    counts = np.floor(raw).astype(int)
    counts[np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]] += 1
    return counts


@dataclass(frozen=True)
class Arrivals:
    """New buyers who join during the calendar: who, when, and their first order."""

    traits: Customers
    first_value: np.ndarray  # list value of the first order, yuan
    visitors_by_hour: np.ndarray


def draw_arrivals(scenario: Scenario, calendar: Calendar, rng: np.random.Generator,
                  important_value_level: float) -> Arrivals:
    """Visitors hour by hour, the share who convert, and the new customers they become.

    A first order above `important_value_level` (the base's spend cut for the important
    groups) makes the newcomer important-development (recent, high spend, not frequent).
    """
    visitors = rng.poisson(calendar.visitors)
    buyers = rng.binomial(visitors, calendar.conversion)
    hour = np.repeat(np.arange(calendar.hours), buyers)
    joined = calendar.start + hour + rng.uniform(0.0, 1.0, len(hour))
    m = len(hour)
    t = draw_traits(scenario, m, rng)
    # The first order is not a repeat purchase: it does not use up a dropout chance.
    first_value = t.value * rng.gamma(scenario.population.spend.p, 1.0, m) / scenario.population.spend.p
    segment = np.where(first_value >= important_value_level,
                       SEGMENT_INDEX["important_development"], SEGMENT_INDEX["general"]).astype(np.int8)
    pop = Customers(
        lam=t.lam, dropout=t.dropout, value=t.value, category=t.category, remaining=t.remaining,
        sensitivity=t.sensitivity, segment=segment, is_new=np.ones(m, dtype=bool), acquired=np.ones(m, dtype=bool),
        joined=joined, last_order=joined.copy(),
    )
    return Arrivals(pop, first_value, visitors)


def important_value_level(base: Customers) -> float:
    """The smallest mean order value among the base's important groups (inf if none)."""
    important = base.segment != SEGMENT_INDEX["general"]
    return float(base.value[important].min()) if important.any() else float("inf")
