"""How features plug into a replication: engine plugins and the features that make them.

Two levels, both narrow:

- a `Plugin` acts inside one engine run. It sees the engine only through `EngineView` (the
  clock, the customers, the streams' keys and four actions) and may change purchase rates
  (`intensity`), order values and discounts (`redeem`) and bring policy-dependent newcomers
  (`arrivals`).
- a `Feature` (marketing, pre-sale, operations, ...) makes a policy's plugins before the run
  and measures the finished run: metrics for the replication's record, detail tables and any
  cost paid out of profit. Features register themselves (`register`); the replication plays
  whatever is registered, so the core never imports a feature.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:  # types only: plugins.py sits below the engine it describes
    import pandas as pd
    import simpy

    from sim.config.scenario import Scenario
    from sim.model.calendar import Calendar
    from sim.model.customers import Customers
    from sim.model.orders import OrderTable


class EngineView(Protocol):
    """What a plugin may read and do during a run."""

    env: simpy.Environment  # the SimPy clock, in hours since the calendar's epoch
    calendar: Calendar
    pop: Customers  # per-customer state; plugins read it (the engine changes it)
    pulled_forward: int  # stimulated purchases so far taken from customers' later purchases
    waited: int  # purchases deferred from the pre-heat and placed on days 0-1
    first_value: np.ndarray  # list value of each newcomer's first order, yuan
    seed: int
    replication: int

    def advance(self, t1: float) -> None:
        """Bring everyone's orders up to hour t1 (call before acting on the population)."""

    def order_later(self, customer: np.ndarray, time: np.ndarray, natural: bool = False,
                    value: np.ndarray | None = None) -> None:
        """Book orders customers will place at the given hours, if still active then."""

    def churn(self, customer: np.ndarray, t: float) -> None:
        """Customers stop buying from hour t on."""

    def joined_between(self, t0: float, t1: float) -> np.ndarray:
        """Increasing indices of the newcomers who joined in [t0, t1)."""


@dataclass(frozen=True)
class Newcomers:
    """Customers a plugin brings during a stretch: their traits and first orders."""

    customers: Customers  # joined within the stretch, `acquired` set
    first_value: np.ndarray  # list value of each one's first order, yuan
    first_coupon: np.ndarray | None = None  # discount on that first order (at most its value), yuan


class Plugin:
    """Something that acts on the population during a run. The defaults do nothing.

    `start` registers SimPy processes; `lift` may return a marketing lift on the stretch
    starting at hour t0 for some of the n customers: (customers in increasing order, multiplier
    >= 1, pull-forward share); the purchases a lift adds are "stimulated" and that share of
    them is taken from the customer's later purchases; `redeem` may change new orders' list
    values and return a discount per order (yuan); `arrivals` may return newcomers who join
    in [t0, t1) because of what the policy does (paid traffic, referrals); they are appended
    to the population, and `grown` tells every plugin its new size.
    """

    def start(self, engine: EngineView) -> None:
        pass

    def lift(self, t0: float, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        return None

    def redeem(self, customer: np.ndarray, time: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        return value, None

    def arrivals(self, t0: float, t1: float) -> Newcomers | None:
        return None

    def grown(self, n: int) -> None:
        """Newcomers were appended: the population now has n customers."""


@dataclass(frozen=True)
class Setting:
    """What a feature knows before one policy's run of one replication."""

    scenario: Scenario
    calendar: Calendar
    policy: str  # the policy's name in scenario.policies
    customers: Customers  # this run's own copy
    holdout_draw: np.ndarray  # uniform per customer; below a policy's holdout share = held out
    visitors: np.ndarray  # visitors per hour of the calendar
    seed: int
    replication: int
    members: np.ndarray | None = None  # in a customer-level experiment, who gets this policy


@dataclass
class Measured:
    """A feature's share of one policy's record in one replication."""

    metrics: dict[str, float] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # detail tables by name
    cost: float = 0.0  # paid out of gross profit (messages, ads), yuan


class Feature(Protocol):
    """A capability that plugs into every replication."""

    name: str
    tables: tuple[str, ...]  # the detail tables `measure` returns, always all of them

    def plugins(self, setting: Setting) -> list[Plugin]:
        """The plugins of this policy's run (empty if the feature is off for it)."""

    def measure(self, setting: Setting, engine: EngineView, orders: OrderTable,
                plugins: list[Plugin]) -> Measured:
        """Metrics, tables and cost of the finished run, from this feature's own plugins."""


_FEATURES: dict[str, Feature] = {}


def register(feature: Feature) -> Feature:
    """Add a feature to every replication from now on (once per name; order = registration)."""
    _FEATURES.setdefault(feature.name, feature)
    return feature


def features() -> list[Feature]:
    """The registered features, in the order they registered."""
    return list(_FEATURES.values())

