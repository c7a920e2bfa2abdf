"""Paid traffic as an engine plugin: the visitors each ad channel buys and the customers they become.

Each channel draws from a stream of its own (keyed by its place among the scenario's ad
channels), so a channel with the same settings brings the same newcomers under every policy
and nobody else's draws change (common random numbers). The newcomers buy by the population's
mixing laws, like the shop's other new customers.
"""

from __future__ import annotations

import numpy as np

from sim import streams
from sim.config.acquisition import AdChannel
from sim.config.scenario import Scenario
from sim.model.calendar import Calendar
from sim.model.customers import Customers, draw_newcomers, important_value_level
from sim.model.plugins import EngineView, Newcomers, Plugin


def hourly_visitors(channel: AdChannel, calendar: Calendar, days: np.ndarray) -> np.ndarray:
    """Expected paid visitors in each hour: the day's visitors spread by the calendar's traffic shape."""
    per_day = channel.visitors_by_day(days)
    traffic = calendar.visitors.reshape(len(days), 24)
    total = traffic.sum(axis=1, keepdims=True)
    shape = np.divide(traffic, total, out=np.full_like(traffic, 1.0 / 24.0), where=total > 0)
    return (per_day[:, None] * shape).ravel()


class PaidTraffic(Plugin):
    """One policy's ad channels during one replication: spend, visitors and newcomers."""

    def __init__(self, scenario: Scenario, channels: dict[str, AdChannel], calendar: Calendar):
        self.scenario, self.channels, self.calendar = scenario, channels, calendar
        cal = scenario.calendar
        self.days = np.arange(cal.start_day, cal.end_day + 1)
        self.spend = {name: float(ch.spend_by_day(self.days).sum()) for name, ch in channels.items()}
        self.visitors: dict[str, int] = {}
        self.first_orders: dict[str, int] = {}
        self.customers = np.zeros(0, dtype=np.int64)  # engine indices of the newcomers brought
        self.channel_of = np.zeros(0, dtype=np.int64)  # index into `channels` of each of them
        self._new: Customers | None = None
        self._first_value = np.zeros(0)
        self._from = np.zeros(0, dtype=np.int64)
        self._given = 0  # newcomers handed to the engine so far
        self._pending = 0

    def start(self, engine: EngineView) -> None:
        cal, names = self.calendar, sorted(self.scenario.acquisition)
        level = important_value_level(engine.pop)
        rival = np.repeat(np.asarray(self.scenario.competition.factors(self.days)[1]), 24)
        parts, values, origin, joined_all = [], [], [], []
        for k, (name, ch) in enumerate(self.channels.items()):
            rng = streams.generator(engine.seed, engine.replication, streams.PAID, names.index(name))
            visitors = rng.poisson(hourly_visitors(ch, cal, self.days))
            conversion = cal.conversion if ch.conversion is None else ch.conversion * rival
            buyers = rng.binomial(visitors, conversion)
            hour = np.repeat(np.arange(cal.hours), buyers)
            joined = cal.start + hour + rng.uniform(0.0, 1.0, len(hour))
            new, first_value = draw_newcomers(self.scenario, joined, rng, level)
            self.visitors[name], self.first_orders[name] = int(visitors.sum()), len(hour)
            parts.append(new)
            values.append(first_value)
            origin.append(np.full(len(hour), k))
            joined_all.append(joined)
        order = np.argsort(np.concatenate(joined_all), kind="stable")
        merged = Customers.concat(parts)
        self._new = merged.take(order)
        self._first_value = np.concatenate(values)[order]
        self._from = np.concatenate(origin)[order]

    def arrivals(self, t0: float, t1: float) -> Newcomers | None:
        if self._new is None:
            return None
        stop = int(np.searchsorted(self._new.joined, t1, side="left"))
        lo, self._pending = self._given, stop - self._given
        if self._pending <= 0:
            self._pending = 0
            return None
        self._given = stop
        part = self._new.take(slice(lo, stop))
        self.channel_of = np.concatenate([self.channel_of, self._from[lo:stop]])
        return Newcomers(part, self._first_value[lo:stop])

    def grown(self, n: int) -> None:
        if self._pending:
            self.customers = np.concatenate([self.customers, np.arange(n - self._pending, n)])
            self._pending = 0

    def metrics(self, paid_by_customer: np.ndarray) -> dict[str, float]:
        """paid_visitors, paid_first_orders, ad_spend and paid_gmv (the newcomers' orders, yuan)."""
        return {"paid_visitors": float(sum(self.visitors.values())),
                "paid_first_orders": float(sum(self.first_orders.values())),
                "ad_spend": float(sum(self.spend.values())),
                "paid_gmv": float(paid_by_customer[self.customers].sum())}

    def table(self, paid_by_customer: np.ndarray) -> list[dict]:
        """One row per channel: spend, visitors, first orders, cost per first order, GMV, yuan."""
        rows = []
        for k, name in enumerate(self.channels):
            mine = self.customers[self.channel_of == k]
            first = self.first_orders[name]
            rows.append({"channel": name, "spend": self.spend[name], "visitors": float(self.visitors[name]),
                         "first_orders": float(first),
                         "cost_per_first_order": self.spend[name] / first if first else np.nan,
                         "gmv": float(paid_by_customer[mine].sum())})
        return rows
