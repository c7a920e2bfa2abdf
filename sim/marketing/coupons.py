"""Coupons held by customers: issuing under a budget cap, and redeeming on orders."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.config.marketing import Coupon


@dataclass
class CouponStats:
    """Running totals for one coupon definition; cost is the discount actually redeemed, yuan."""

    issued: int = 0
    redeemed: int = 0
    cost: float = 0.0
    top_up: float = 0.0  # list value added by holders topping their basket up to a threshold, yuan
    tiers: dict[float, list] = field(default_factory=dict)  # tier threshold -> [redeemed, cost]


@dataclass
class CouponBook:
    """One coupon slot per customer: the latest unexpired, unredeemed coupon they hold.

    A customer is only issued a coupon when the slot is free (none held, or the held one has
    expired or been used) and they have received fewer than the definition's `per_customer`.
    """

    sensitivity: np.ndarray  # per customer, mean 1
    threshold: np.ndarray = field(init=False)
    discount: np.ndarray = field(init=False)
    start: np.ndarray = field(init=False)
    end: np.ndarray = field(init=False)
    lift: np.ndarray = field(init=False)  # multiplier on response and buying while held
    top_up: np.ndarray = field(init=False)
    spec: np.ndarray = field(init=False)
    stats: dict[str, CouponStats] = field(default_factory=dict)
    _received: dict[str, np.ndarray] = field(default_factory=dict)
    _tiers: dict[int, np.ndarray] = field(default_factory=dict)  # spec -> rows of (threshold, discount)

    def __post_init__(self) -> None:
        n = len(self.sensitivity)
        self.threshold, self.discount, self.lift, self.top_up = (np.zeros(n) for _ in range(4))
        self.start, self.end = np.full(n, np.inf), np.full(n, -np.inf)
        self.spec = np.full(n, -1, dtype=np.int32)
        self._names: list[str] = []
        self._issued = np.zeros(n, dtype=bool)  # ever issued a coupon
        self._holders: np.ndarray | None = np.zeros(0, dtype=np.int64)  # its indices, made again after an issue

    def grow(self, sensitivity: np.ndarray) -> None:
        """Room for customers who joined since (holding no coupon); `sensitivity` covers everyone."""
        extra = len(sensitivity) - len(self.sensitivity)
        if extra <= 0:
            return
        self.sensitivity = sensitivity

        def pad(a: np.ndarray, fill) -> np.ndarray:
            return np.concatenate([a, np.full(extra, fill, dtype=a.dtype)])
        self.threshold, self.discount, self.lift, self.top_up = (pad(a, 0.0) for a in
                                                                 (self.threshold, self.discount, self.lift, self.top_up))
        self.start, self.end, self.spec = pad(self.start, np.inf), pad(self.end, -np.inf), pad(self.spec, -1)
        self._received = {k: pad(v, 0) for k, v in self._received.items()}
        self._issued = pad(self._issued, False)

    def issue(self, name: str, coupon: Coupon, customers: np.ndarray, sent_at: float,
              order: np.ndarray) -> np.ndarray:
        """Give `coupon` to as many of `customers` as allowed, in the random `order` given.

        Returns the customers who received one. Never issues more than budget / discount.
        """
        stats = self.stats.setdefault(name, CouponStats())
        received = self._received.setdefault(name, np.zeros(len(self.sensitivity), dtype=np.int32))
        if name not in self._names:
            self._names.append(name)
            tiers = coupon.tiers or [(coupon.threshold, coupon.discount)]
            self._tiers[self._names.index(name)] = np.array(tiers, dtype=float)
            stats.tiers = {float(t): [0, 0.0] for t, _ in tiers}
        free = (self.end[customers] <= sent_at) | (self.spec[customers] < 0)
        eligible = free & (received[customers] < coupon.per_customer)
        candidates = customers[eligible]
        room = coupon.max_issued - stats.issued
        if len(candidates) > room:  # the budget binds: the first in the random order get one
            candidates = candidates[np.argsort(order[eligible], kind="stable")[: max(int(room), 0)]]
        if len(candidates) > 1 and (np.diff(candidates) < 0).any():
            candidates = np.sort(candidates)  # increasing indices: the writes below stay in cache
        start, end = coupon.window(sent_at)
        self.threshold[candidates] = coupon.threshold
        self.discount[candidates] = coupon.discount
        self.start[candidates], self.end[candidates] = start, end
        self.lift[candidates] = 1.0 + coupon.lift * coupon.depth * self.sensitivity[candidates]
        self.top_up[candidates] = coupon.top_up
        self.spec[candidates] = self._names.index(name)
        received[candidates] += 1
        stats.issued += len(candidates)
        self._issued[candidates] = True
        self._holders = None
        return candidates

    def holding(self, t: float) -> np.ndarray:
        """Mask of customers holding a coupon valid at hour t."""
        return (self.start <= t) & (t < self.end)

    def lifting(self, t: float) -> tuple[np.ndarray, np.ndarray] | None:
        """Holders of a coupon valid at hour t (increasing indices) and the coupon's buying
        multiplier for each; None if nobody holds one."""
        if self._holders is None:
            self._holders = np.flatnonzero(self._issued)
        held = self._holders[(self.start[self._holders] <= t) & (t < self.end[self._holders])]
        return (held, self.lift[held]) if held.size else None

    def redeem(self, customer: np.ndarray, time: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Apply held coupons to orders: the first qualifying order of each holder uses it.

        An order qualifies while the coupon is valid if its value reaches the threshold, or
        falls short by at most `top_up` of it, in which case the basket is topped up to the
        threshold. A tiered coupon gives the highest tier the order qualifies for in this way.
        Returns (values after top-up, coupon discount per order).
        """
        value = value.copy()
        discount = np.zeros(len(customer))
        valid = (self.start[customer] <= time) & (time < self.end[customer])
        reach = value >= self.threshold[customer] * (1.0 - self.top_up[customer])
        candidates = np.flatnonzero(valid & reach)
        if candidates.size == 0:
            return value, discount
        candidates = candidates[np.argsort(time[candidates], kind="stable")]
        _, first = np.unique(customer[candidates], return_index=True)
        use = candidates[first]
        who = customer[use]
        for spec_id in np.unique(self.spec[who]):
            stats = self.stats[self._names[spec_id]]
            mine = self.spec[who] == spec_id
            orders, holders = use[mine], who[mine]
            tiers = self._tiers[int(spec_id)]
            reach = value[orders, None] >= tiers[None, :, 0] * (1.0 - self.top_up[holders, None])
            tier = reach.shape[1] - 1 - np.argmax(reach[:, ::-1], axis=1)  # the highest tier reached
            stats.top_up += float(np.maximum(tiers[tier, 0] - value[orders], 0.0).sum())
            value[orders] = np.maximum(value[orders], tiers[tier, 0])
            discount[orders] = tiers[tier, 1]
            stats.redeemed += int(mine.sum())
            stats.cost += float(discount[orders].sum())
            for k, (threshold, _) in enumerate(tiers):
                taken = tier == k
                stats.tiers[float(threshold)][0] += int(taken.sum())
                stats.tiers[float(threshold)][1] += float(discount[orders][taken].sum())
        self.end[who] = -np.inf  # used up
        self.spec[who] = -1
        return value, discount
