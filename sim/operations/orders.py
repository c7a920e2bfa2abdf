"""Orders as arrays: the engine's input and the book that operations fill in.

Times are hours (day 0 = the event day starts at 0.0), values yuan, roles 0..3 (see ROLES).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

# Order status codes in OrderBook.status.
UNPAID, PAID, SHIPPED, CLOSED, NO_STOCK, NOT_PLACED = 0, 1, 2, 3, 4, 5
# Where an order came from.
FROM_ENGINE, FROM_SERVICE = 0, 1


@dataclass(frozen=True)
class Orders:
    """The day's orders: placement time (hours), buyer id, value (yuan), product role index."""

    time: np.ndarray
    customer: np.ndarray
    value: np.ndarray
    role: np.ndarray

    @classmethod
    def coerce(cls, orders: Orders | Mapping[str, np.ndarray]) -> Orders:
        """Accept an Orders or a dict of the four arrays; check lengths and roles."""
        if not isinstance(orders, Orders):
            orders = cls(**{k: orders[k] for k in ("time", "customer", "value", "role")})
        t = np.asarray(orders.time, dtype=float)
        out = cls(t, np.asarray(orders.customer, dtype=np.int64),
                  np.asarray(orders.value, dtype=float), np.asarray(orders.role, dtype=np.int64))
        if not len(out.customer) == len(out.value) == len(out.role) == len(t):
            raise ValueError("order arrays must have the same length")
        if len(t) and (out.role.min() < 0 or out.role.max() > 3):
            raise ValueError("order roles must be 0..3")
        return out


class OrderBook:
    """Per-order state, preallocated for the engine's orders plus any bought after a chat.

    Rows [0, n_engine) are the engine's orders; chat purchases are appended with `add`.
    Unset times are NaN.
    """

    def __init__(self, orders: Orders, spare: int):
        n = len(orders.time) + spare
        self.size = len(orders.time)
        self.time = _filled(n, np.nan, orders.time)
        self.customer = _filled(n, -1, orders.customer).astype(np.int64)
        self.value = _filled(n, 0.0, orders.value)
        self.role = _filled(n, 0, orders.role).astype(np.int64)
        self.source = np.full(n, FROM_ENGINE, dtype=np.int8)
        self.status = np.full(n, NOT_PLACED, dtype=np.int8)
        self.paid_time = np.full(n, np.nan)
        self.ship_time = np.full(n, np.nan)
        self.end_time = np.full(n, np.nan)  # closing time of cancelled orders
        self.reminded = np.zeros(n, dtype=bool)  # a reminder covered it while unpaid
        self.self_pay_time = np.full(n, np.inf)  # when the buyer would pay it unprompted; inf = not before close

    def add(self, time: float, customer: int, value: float, role: int) -> int:
        """Append an order bought after a chat; returns its row."""
        i = self.size
        self.time[i], self.customer[i], self.value[i], self.role[i] = time, customer, value, role
        self.source[i] = FROM_SERVICE
        self.size += 1
        return i

    def view(self) -> dict[str, np.ndarray]:
        """The filled rows as a dict of arrays (copies)."""
        n = self.size
        names = ("time", "customer", "value", "role", "source", "status",
                 "paid_time", "ship_time", "end_time", "reminded", "self_pay_time")
        return {k: getattr(self, k)[:n].copy() for k in names}


def _filled(n: int, fill: float, head: np.ndarray) -> np.ndarray:
    out = np.full(n, fill, dtype=float)
    out[: len(head)] = head
    return out
