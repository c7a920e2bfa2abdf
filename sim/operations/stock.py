"""Stock by product role and the order intake that reserves it.

One order takes one unit of its role, reserved when the order is placed and returned when an
unpaid order closes. An order that finds no unit is a lost sale (status NO_STOCK).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Generator

import numpy as np
import simpy

from sim.config.operations import Stock
from sim.vocabulary import ROLES
from sim.operations.orders import NO_STOCK, OrderBook


@dataclass(frozen=True)
class StockOutcome:
    """Stock by role after a run: units at the start and the lowest level (None = unlimited),
    and the hour the first order found none (NaN if never)."""

    initial: np.ndarray | None
    lowest: np.ndarray | None
    stockout_time: np.ndarray


class StockRoom:
    """Units on hand per role as SimPy Containers; None means unlimited."""

    def __init__(self, env: simpy.Environment, config: Stock):
        self.env = env
        units = config.units.as_array() if config.units is not None else None
        self.bins = [None if units is None else
                     simpy.Container(env, capacity=max(float(u), 1.0), init=float(u)) for u in
                     (units if units is not None else [None] * len(ROLES))]
        self.initial = units
        self.lowest = units.copy() if units is not None else None
        self.stockout_time = np.full(len(ROLES), np.nan)

    def take(self, role: int) -> bool:
        """Reserve one unit of `role`; False when sold out."""
        box = self.bins[role]
        if box is None:
            return True
        if box.level < 1:
            if np.isnan(self.stockout_time[role]):
                self.stockout_time[role] = self.env.now
            return False
        box.get(1)  # a Container get with enough level succeeds at once
        self.lowest[role] = min(self.lowest[role], box.level)
        return True

    def give_back(self, role: int) -> None:
        """Return a unit reserved by an order that closed unpaid."""
        if self.bins[role] is not None:
            self.bins[role].put(1)

    def levels(self) -> np.ndarray:
        """Units on hand by role (inf when unlimited)."""
        return np.array([np.inf if b is None else b.level for b in self.bins])


def order_intake(env: simpy.Environment, book: OrderBook, n: int, stock: StockRoom,
                 place: Callable[[int], None]) -> Generator:
    """Walk the engine's first `n` orders in time order; reserve stock and pass them on."""
    for i in np.argsort(book.time[:n], kind="stable"):
        wait = book.time[i] - env.now
        if wait > 0:
            yield env.timeout(wait)
        admit(book, int(i), stock, place)


def admit(book: OrderBook, i: int, stock: StockRoom, place: Callable[[int], None]) -> None:
    """Place order `i` if its role has stock, else mark it a lost sale."""
    if stock.take(int(book.role[i])):
        place(i)
    else:
        book.status[i] = NO_STOCK
