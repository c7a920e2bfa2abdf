"""Playing the pre-sale in the engine: deposits during the window, balances on day 0.

Each customer who has joined places deposits as a Poisson process at `deposit_intensity` x
their ordinary purchase rate (x `warmup_multiplier` from the warm-up day), so heavy buyers
pre-order more, as they buy more. Newcomers (visitors who converted) take part from the hour
they join. A deposit's balance is booked as an order at a day-0 hour drawn from the day's
buying curve (midnight rush); a share `1 - balance_rate` never pays, and a customer who has
dropped out by then does not pay either. The deposit is `deposit_share` of the customer's
mean list value; kept deposits are reported apart, not as GMV.
"""

from __future__ import annotations

import numpy as np

from sim import streams
from sim.model.calendar import Calendar
from sim.model.engine import Engine, Plugin
from sim.config.presale import Presale

_STREAM = 64  # a stream id of its own, clear of the named streams in sim.streams


class PresalePlugin(Plugin):
    """The pre-sale of one replication: who paid a deposit, when, and whose balance was paid."""

    def __init__(self, presale: Presale, calendar: Calendar):
        self.presale = presale
        self.calendar = calendar
        self.customer = np.zeros(0, dtype=np.int64)
        self.deposit_time = np.zeros(0)
        self.deposit = np.zeros(0)  # yuan
        self.balance_time = np.full(0, np.nan)  # booked day-0 hour; NaN = will not pay
        self.paid = np.zeros(0, dtype=bool)

    def start(self, engine: Engine) -> None:
        engine.env.process(self._deposit_window(engine))

    def _deposit_window(self, engine: Engine):
        """Open the deposit window, take every deposit of the window, book the balances."""
        opens = max(24.0 * self.presale.start_day, self.calendar.start)
        yield engine.env.timeout(max(opens - engine.env.now, 0.0))
        rng = streams.generator(engine.seed, engine.replication, _STREAM)
        self._take_deposits(engine, opens, rng)
        pay = rng.random(len(self.customer)) < self.presale.balance_rate
        cal = self.calendar
        g0, g1 = cal.clock(0.0), cal.clock(24.0)
        times = cal.clock_inverse(g0 + rng.random(int(pay.sum())) * (g1 - g0))
        self.balance_time = np.full(len(self.customer), np.nan)
        self.balance_time[pay] = times
        self.paid = np.zeros(len(self.customer), dtype=bool)
        engine.order_later(self.customer[pay], times)

    def _take_deposits(self, engine: Engine, opens: float, rng: np.random.Generator) -> None:
        p = self.presale
        closes = 24.0 * (p.end_day + 1)
        warm = min(max(24.0 * p.warmup_day, opens), closes)
        # Cumulative deposit weight: 1 per hour before the warm-up, warmup_multiplier after it.
        knots = np.array([opens, warm, closes])
        weight = np.array([0.0, warm - opens, warm - opens + p.warmup_multiplier * (closes - warm)])
        pop = engine.pop
        start = np.clip(pop.joined, opens, closes)
        w0 = np.interp(start, knots, weight)
        mean = pop.lam * p.deposit_intensity * (weight[-1] - w0)
        mean[pop.remaining <= 0] = 0.0
        count = rng.poisson(mean)
        who = np.repeat(np.arange(len(pop)), count)
        w = np.repeat(w0, count) + rng.random(len(who)) * (weight[-1] - np.repeat(w0, count))
        keep = np.concatenate([[True], np.diff(weight) > 0])
        self.customer = who
        self.deposit_time = np.interp(w, weight[keep], knots[keep])
        self.deposit = p.deposit_share * pop.value[who]

    def redeem(self, customer, time, value):
        """Mark balances as paid when their booked order is placed (values unchanged)."""
        if self.paid.size:
            booked = np.isin(self.balance_time, time)
            if booked.any():
                hit = booked & np.isin(self.customer, customer)
                self.paid |= hit
        return value, None

    def kept_deposits(self) -> float:
        """Yuan of deposits whose balance was never paid (kept by the shop, order not shipped)."""
        return float(self.deposit[~self.paid].sum())
