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

The base starts honestly: not everyone is still alive. Each base customer's recency (days
since the last order) comes from its segment; a customer with repeat purchases (not `is_new`)
either dropped out right after that last purchase or survived it and has not bought since.
Given its lambda and p the BG/NBD odds are p : (1 - p) exp(-lambda * recency), so it is alive
with probability (1 - p) e^{-lambda R} / ((1 - p) e^{-lambda R} + p); one-time buyers (x = 0)
have had no dropout chance and are alive. The survivors' purchases left stay Geometric(p)
(memoryless: the purchases already made do not change what is left), the others have none.
For the default scenario 30.5 % of the base has dropped out at the start (measured over 20
replications of 10,000 customers: none of the one-time buyers, 43.6 % of the others; by segment
important value 9 %, development 3 %, retention 72 %, maintenance 20 %, general 33 %). So the
lapsed frequent buyers (retention) are mostly gone, as their recency says.

Coupon sensitivity is Gamma(k, 1/k) noise times (value / v_ref)^-e with e =
`coupon_value_elasticity`: lower-value customers are more price-sensitive. v_ref is the power
mean that makes the mean sensitivity 1 under the mixing laws (e = 0: independent of value).

A calibrated population (`draw: customers`, see `draw_calibrated_base`) is instead the shop's
own customers, each drawn from the posterior given its history.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

import numpy as np

from sim.model.calendar import Calendar
from sim.config.customers_table import customer_records
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

    def __post_init__(self) -> None:
        n = len(self.lam)
        if self.orders is None:
            self.orders = np.zeros(n, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.lam)

    @property
    def alive(self) -> np.ndarray:
        return self.remaining > 0

    def copy(self) -> Customers:
        return Customers(**{f.name: getattr(self, f.name).copy() for f in fields(self)})

    def take(self, rows: np.ndarray | slice) -> Customers:
        """The customers at `rows` (indices, a mask or a slice), as a new table."""
        return Customers(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})

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
    sensitivity = rng.gamma(k, 1.0 / k, size=n) * _value_factor(value, pop.coupon_value_elasticity,
                                                                  _mean_value_power(scenario))
    return Traits(lam, dropout, value, category, remaining, sensitivity)


def _mean_value_power(scenario: Scenario) -> float:
    """E[V^-e] of the mean order value V under the mixing laws (categories included).

    V = p_s / nu * m_c with nu ~ Gamma(q, gamma) and m_c the category's value multiplier, so
    E[V^-e] = (p_s gamma)^-e Gamma(q + e) / Gamma(q) sum_c share_c m_c^-e.
    """
    pop = scenario.population
    e, s = pop.coupon_value_elasticity, pop.spend
    shares = np.array([c.share for c in pop.categories.values()])
    _, value_mult = category_multipliers(scenario)
    mix = float(np.dot(shares / shares.sum(), value_mult ** -e))
    return (s.p * s.gamma) ** -e * math.exp(math.lgamma(s.q + e) - math.lgamma(s.q)) * mix


def _value_factor(value: np.ndarray, e: float, mean_power: float) -> np.ndarray:
    """(value / v_ref)^-e with v_ref = mean_power^(-1/e): mean 1 when mean_power = E[V^-e]."""
    if e == 0.0:
        return np.ones(len(value))
    return np.exp(-e * np.log(value)) / mean_power


def draw_base(scenario: Scenario, calendar: Calendar, rng: np.random.Generator) -> Customers:
    """The existing customer base at the calendar start, each with a past last order.

    With `population.draw: customers` these are the calibrated customers themselves
    (`draw_calibrated_base`); otherwise draws from the mixing laws, some of whom have already
    dropped out (see the module docstring).
    """
    if scenario.population.draw == "customers":
        return draw_calibrated_base(scenario, calendar, rng)
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
    alive = rng.random(n) < np.where(is_new, 1.0, survival(t.lam, t.dropout, 24.0 * recency_days))
    return Customers(
        lam=t.lam, dropout=t.dropout, value=t.value, category=t.category, remaining=np.where(alive, t.remaining, 0),
        sensitivity=t.sensitivity, segment=segment, is_new=is_new, acquired=np.zeros(n, dtype=bool),
        joined=np.full(n, calendar.start), last_order=calendar.start - 24.0 * recency_days,
    )


def survival(lam: np.ndarray, dropout: np.ndarray, hours_since: np.ndarray) -> np.ndarray:
    """P(alive) of a customer with a repeat purchase `hours_since` ago and none since.

    lam per hour, dropout p: the odds of surviving that purchase and buying nothing since
    against dropping out at it are (1 - p) exp(-lam * hours) : p.
    """
    stay = (1.0 - dropout) * np.exp(-lam * hours_since)
    return stay / (stay + dropout)


def p_alive(r: float, alpha: float, a: float, b: float, x: np.ndarray, t_x: np.ndarray,
            T: np.ndarray) -> np.ndarray:
    """BG/NBD P(alive | x, t_x, T) (Fader, Hardie and Lee 2005, eq. 11); alpha, t_x, T in one unit.

    1 / (1 + a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x)) for x > 0, 1 for x = 0.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        log_odds = np.log(a) - np.log(b + x - 1.0) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(x > 0, 1.0 / (1.0 + np.exp(np.minimum(log_odds, 700.0))), 1.0)


def draw_calibrated_base(scenario: Scenario, calendar: Calendar, rng: np.random.Generator) -> Customers:
    """The calibrated customers (the population file's customers table), each from its posterior.

    Per customer with history (x repeat purchases, the last at t_x, observed for T weeks) and
    the file's BG/NBD r, alpha, a, b (per week): alive with P(alive | x, t_x, T); if alive,
    lambda ~ Gamma(r + x, alpha + T) per week and p ~ Beta(a, b + x), purchases left
    Geometric(p); if dead, lambda ~ Gamma(r + x, alpha + t_x), p ~ Beta(a + 1, b + x - 1) and
    none left. Mean order value p_s / nu with nu ~ Gamma(q + p_s x', gamma + x' m) from the
    customer's x' positive repeat orders of mean m (the prior Gamma(q, gamma) when x' = 0).
    The last order is T - t_x before the calendar start; RFM group, is_new (x = 0) and the
    category (when the table has one; else drawn by the category shares) are carried over.
    No category multipliers: each customer's own rate and value are known.

    A `population.size` equal to the table's count simulates every customer once, in table
    order; any other size resamples customers with replacement (uniformly).
    """
    pop = scenario.population
    t = pop.customers_table
    rec = customer_records(str(t.file), t.sha256, float(t.unit_days))
    n, m = pop.size, len(rec.x)
    rows = np.arange(m) if n == m else rng.integers(0, m, size=n)
    x, t_x, T = rec.x[rows], rec.t_x[rows], rec.T[rows]
    b = pop.buying
    alive = rng.random(n) < p_alive(b.r, b.alpha, b.a, b.b, x, t_x, T)
    dead = (~alive).astype(float)
    lam = rng.gamma(b.r + x, 1.0 / (b.alpha + np.where(alive, T, t_x))) / HOURS_PER_WEEK
    dropout = np.clip(rng.beta(b.a + dead, b.b + x - dead), 1e-12, 1.0)
    remaining = np.where(alive, rng.geometric(dropout), 0).astype(np.int64)
    s = pop.spend
    gx, gm = rec.gg_x[rows], rec.gg_mean[rows]
    value = s.p / rng.gamma(s.q + s.p * gx, 1.0 / (s.gamma + gx * gm))
    k, e = pop.coupon_sensitivity, pop.coupon_value_elasticity
    factor = _value_factor(value, e, 1.0)
    sensitivity = rng.gamma(k, 1.0 / k, size=n) * factor / factor.mean()
    return Customers(
        lam=lam, dropout=dropout, value=value, category=_categories(scenario, rec, rows, rng),
        remaining=remaining, sensitivity=sensitivity, segment=rec.segment[rows], is_new=x == 0,
        acquired=np.zeros(n, dtype=bool), joined=np.full(n, calendar.start),
        last_order=calendar.start - HOURS_PER_WEEK * (T - t_x),
    )


def _categories(scenario: Scenario, rec, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each calibrated customer's category index; a name the scenario lacks maps to the first."""
    names = list(scenario.population.categories)
    if rec.category is None:
        shares = np.array([c.share for c in scenario.population.categories.values()])
        return rng.choice(len(names), size=len(rows), p=shares / shares.sum()).astype(np.int16)
    lookup = np.array([names.index(c) if c in names else 0 for c in rec.category_names] or [0], dtype=np.int16)
    return lookup[rec.category[rows]]


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
    """Visitors hour by hour, the share who convert, and the new customers they become."""
    visitors = rng.poisson(calendar.visitors)
    buyers = rng.binomial(visitors, calendar.conversion)
    hour = np.repeat(np.arange(calendar.hours), buyers)
    joined = calendar.start + hour + rng.uniform(0.0, 1.0, len(hour))
    pop, first_value = draw_newcomers(scenario, joined, rng, important_value_level)
    return Arrivals(pop, first_value, visitors)


def draw_newcomers(scenario: Scenario, joined: np.ndarray, rng: np.random.Generator,
                   important_value_level: float) -> tuple[Customers, np.ndarray]:
    """New customers joining at hours `joined`, by the population's mixing laws, and the list
    value of each one's first order (yuan).

    A first order above `important_value_level` (the base's spend cut for the important
    groups) makes the newcomer important-development (recent, high spend, not frequent).
    """
    m = len(joined)
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
    return pop, first_value


def important_value_level(base: Customers) -> float:
    """The smallest mean order value among the base's important groups (inf if none); customers
    acquired during the calendar are left out."""
    important = (base.segment != SEGMENT_INDEX["general"]) & ~base.acquired
    return float(base.value[important].min()) if important.any() else float("inf")
