"""Orders as columns: the engine's log while it runs, and the finished table with money columns."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np


@dataclass
class OrderLog:
    """Orders as columns, appended stretch by stretch."""

    customer: list
    time: list
    value: list  # list price, yuan (after any top-up to a coupon threshold)
    coupon: list  # coupon discount, yuan
    first: list  # the customer's first order ever (acquisition)
    induced: list  # booked ahead (a pre-sale balance, a purchase deferred to the event day)
    stimulated: list  # added by a marketing lift: would not have happened without it

    @classmethod
    def empty(cls) -> OrderLog:
        return cls([], [], [], [], [], [], [])

    def add(self, customer: np.ndarray, time: np.ndarray, value: np.ndarray, coupon: np.ndarray,
            first: bool = False, induced: np.ndarray | bool = False, stimulated: np.ndarray | bool = False) -> None:
        self.customer.append(customer)
        self.time.append(time)
        self.value.append(value)
        self.coupon.append(coupon)
        self.first.append(np.full(len(customer), first))
        self.induced.append(np.broadcast_to(np.asarray(induced, dtype=bool), (len(customer),)))
        self.stimulated.append(np.broadcast_to(np.asarray(stimulated, dtype=bool), (len(customer),)))

    def arrays(self) -> dict[str, np.ndarray]:
        """All orders sorted by time, as a dict of equal-length arrays."""
        types = {"customer": np.int64, "time": float, "value": float, "coupon": float, "first": bool, "induced": bool,
                 "stimulated": bool}
        out = {k: np.concatenate(getattr(self, k)) if getattr(self, k) else np.zeros(0, dtype=t)
               for k, t in types.items()}
        order = np.argsort(out["time"], kind="stable")
        return {k: v[order] for k, v in out.items()}


@dataclass(frozen=True)
class OrderTable:
    """One replication's orders of one policy, sorted by time; equal-length columns, money in yuan."""

    customer: np.ndarray  # int64 index into the engine's customers
    time: np.ndarray  # hour placed
    value: np.ndarray  # list value
    coupon: np.ndarray  # coupon discount
    first: np.ndarray  # bool: the customer's first order ever (acquisition)
    induced: np.ndarray  # bool: booked ahead (a pre-sale balance, a purchase deferred to the event day)
    stimulated: np.ndarray  # bool: added by a marketing lift (the counterfactual difference)
    role: np.ndarray  # int8 index into ROLES
    discount: np.ndarray  # event discount
    paid: np.ndarray  # value - coupon - discount
    profit: np.ndarray  # value x margin - coupon - discount
    bundled: np.ndarray  # list value added by the bundle layers the order took (0 for none), yuan

    def __len__(self) -> int:
        return len(self.time)

    def __getitem__(self, column: str) -> np.ndarray:
        """A column by name, as in a DataFrame."""
        if column not in self.columns():
            raise KeyError(column)
        return getattr(self, column)

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def select(self, mask: np.ndarray) -> OrderTable:
        """The orders where `mask` holds."""
        return OrderTable(**{c: getattr(self, c)[mask] for c in self.columns()})
