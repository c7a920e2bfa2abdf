"""Playing a policy inside the engine: SimPy processes for its waves and programmes.

A wave process sleeps until its hour, brings the population up to date, selects its
audience, holds out the policy's holdout share, and sends. A programme process wakes daily,
enrols customers on its trigger and sends each enrolled customer's next cycle when due. A
referral process offers its audience a referral; the friends who buy join the population
(see sim.marketing.referral).
Sends reach customers, issue coupons, lift the reached customers' own buying for the send's
effect window (see sim.marketing.response), and may opt customers out or drive them away
(see sim.marketing.messaging).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import streams
from sim.model.engine import Engine, Plugin
from sim.marketing.audience import select
from sim.marketing.coupons import CouponBook
from sim.marketing.learned import LearnedFeatures, assignment_audience, learned_lift, uplift_audience
from sim.marketing.messaging import Mailbox, Send
from sim.marketing.referral import ReferralOutcome, play_referral
from sim.model.customers import important_value_level
from sim.model.plugins import Newcomers
from sim.marketing.response import Lifts, lift_for, reference_purchases
from sim.config.learned import LearnedResponse
from sim.config.marketing import Audience, Coupon, Policy, Programme, Referral, Wave
from sim.config.scenario import Scenario
from sim.vocabulary import SEGMENTS

_WAVE, _PROGRAMME, _REFERRAL = 0, 1, 2


@dataclass(frozen=True)
class Touch:
    """Customers a send reached and lifted, from `effect_start` on (for attributing orders)."""

    action: str
    channel: str
    effect_start: float
    customers: np.ndarray
    cart: bool


@dataclass(frozen=True)
class Exposure:
    """One send of one action: customers assigned to receive it and their held-out twins."""

    action: str
    channel: str
    t: float
    assigned: np.ndarray
    held_out: np.ndarray


class PolicyRuntime(Plugin):
    """The state of one policy during one replication, played as an engine plugin."""

    def __init__(self, scenario: Scenario, name: str, policy: Policy, sensitivity: np.ndarray,
                 holdout_draw: np.ndarray, members: np.ndarray | None = None):
        self.scenario, self.name, self.policy = scenario, name, policy
        n = len(sensitivity)
        self.held_out = holdout_draw < policy.holdout
        self.members = members  # customers this policy may act on (None: everyone)
        self.mailbox = Mailbox(n)
        self.coupons = CouponBook(sensitivity)
        self.exposures: list[Exposure] = []
        self.first_exposed = np.full(n, np.inf)
        self.lifts = Lifts()
        self.touches: list[Touch] = []
        self.cart_orders = 0  # stimulated day-0 orders after pre-heat sends (set when measured)
        self.coupon_pull = np.zeros(n)  # pull-forward share of the held coupon's extra buying
        self.engine: Engine | None = None
        self.referral: ReferralOutcome | None = None
        self.referred = np.zeros(0, dtype=np.int64)  # engine indices of the friends who bought
        self._referred_given = 0
        self._pending = 0
        self._categories = list(scenario.population.categories)

    # --- the engine's side of the protocol -------------------------------------------------
    def start(self, engine: Engine) -> None:
        self.engine = engine
        self.learned = LearnedFeatures(self.scenario, engine.seed, engine.replication)
        for i, wave in enumerate(self.policy.waves):
            engine.env.process(self._wave(i, wave))
        for j, prog in enumerate(self.policy.programmes):
            engine.env.process(self._programme(j, prog))
        if self.policy.referral is not None:
            engine.env.process(self._referral(self.policy.referral))

    def arrivals(self, t0: float, t1: float) -> Newcomers | None:
        """The referred friends whose first order falls in [t0, t1)."""
        if self.referral is None:
            return None
        new = self.referral.newcomers
        lo = self._referred_given
        hi = int(np.searchsorted(new.customers.joined, t1, side="left"))
        if hi <= lo:
            return None
        self._referred_given, self._pending = hi, hi - lo
        cut = new.customers.take(slice(lo, hi))
        return Newcomers(cut, new.first_value[lo:hi], new.first_coupon[lo:hi])

    def grown(self, n: int) -> None:
        """Give customers who joined since (paid traffic, referred friends) room in the policy's state."""
        if self._pending:
            self.referred = np.concatenate([self.referred, np.arange(n - self._pending, n)])
            self._pending = 0
        self.held_out = _pad(self.held_out, n, False).astype(bool)
        if self.members is not None:
            self.members = _pad(self.members, n, False).astype(bool)
        self.first_exposed = _pad(self.first_exposed, n, np.inf)
        self.coupon_pull = _pad(self.coupon_pull, n, 0.0)
        self.mailbox.grow(n)
        self.coupons.grow(self.engine.pop.sensitivity)

    def lift(self, t0: float, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Message lifts times coupon lifts at hour t0, with their pull-forward share, for the
        customers lifted (increasing indices)."""
        message = self.lifts.at(t0, n)
        coupon = self.coupons.lifting(t0)
        if coupon is None or message is None:
            return message if coupon is None else (coupon[0], coupon[1], self.coupon_pull[coupon[0]])
        member = np.zeros(n, dtype=bool)
        member[message[0]] = True
        member[coupon[0]] = True
        who = np.flatnonzero(member)  # the union, in order, without sorting
        c, m = np.zeros(len(who)), np.zeros(len(who))
        c_pull, m_pull = np.zeros(len(who)), np.zeros(len(who))
        ic, im = np.searchsorted(who, coupon[0]), np.searchsorted(who, message[0])
        c[ic], c_pull[ic] = coupon[1] - 1.0, self.coupon_pull[coupon[0]]
        m[im], m_pull[im] = message[1] - 1.0, message[2]
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(c + m > 0, (c * c_pull + m * m_pull) / (c + m), 0.0)
        return who, (1.0 + c) * (1.0 + m), share

    def redeem(self, customer, time, value):
        return self.coupons.redeem(customer, time, value)

    # --- processes --------------------------------------------------------------------------
    def _wave(self, i: int, wave: Wave):
        """Sleep until the wave's hour, then send it."""
        env = self.engine.env
        yield env.timeout(max(wave.hour_abs - env.now, 0.0))
        self.engine.advance(env.now)
        audience = self._select(wave.audience, env.now)
        channel = self.scenario.channels[wave.channel]
        window = wave.effect_window(channel.response_hours)
        pull = channel.pull_forward if wave.pull_forward is None else wave.pull_forward
        self._send(wave.name or f"wave{i + 1}_d{wave.day}", wave.channel, audience, wave.coupon,
                   window, pull, key=(_WAVE, i), learned=wave.response)

    def _programme(self, j: int, prog: Programme):
        """Wake daily: enrol on the trigger, stop on purchase, send the cycles that are due.

        Each day touches only the customers concerned: those meeting the trigger and those
        enrolled (the inactive trigger still looks at everyone in its audience).
        """
        env = self.engine.env
        n = len(self.engine.pop)
        enrolled_at = np.full(n, np.nan)
        next_due = np.full(n, np.inf)
        sent = np.zeros(n, dtype=np.int32)
        enrolled = np.zeros(0, dtype=np.int64)  # increasing indices
        cal = self.scenario.calendar
        for day in range(cal.start_day, cal.end_day + 1):
            t = 24.0 * day + prog.hour
            yield env.timeout(t - env.now)
            self.engine.advance(t)
            pop, n = self.engine.pop, len(self.engine.pop)
            if n > len(sent):
                enrolled_at, next_due = _pad(enrolled_at, n, np.nan), _pad(next_due, n, np.inf)
                sent = _pad(sent, n, 0).astype(np.int32)
            new, when = self._triggered(prog, day, t)
            new = new[np.isnan(enrolled_at[new])]
            enrolled_at[new] = when[new] if when is not None else t
            next_due[new] = enrolled_at[new] + 24.0 * prog.after_days
            if new.size:
                enrolled = np.union1d(enrolled, new)
            if prog.stop_on_purchase:
                next_due[enrolled[pop.last_order[enrolled] > enrolled_at[enrolled]]] = np.inf
            due = enrolled[(next_due[enrolled] <= t + 1e-9) & (sent[enrolled] < prog.cycles)]
            sent[due] += 1
            next_due[due] += 24.0 * prog.every_days
            channel = self.scenario.channels[prog.channel]
            pull = channel.pull_forward if prog.pull_forward is None else prog.pull_forward
            self._send(prog.name, prog.channel, due, prog.coupon, (t, t + channel.response_hours), pull,
                       key=(_PROGRAMME, j, day - cal.start_day), learned=prog.response)

    def _triggered(self, prog: Programme, day: int, t: float) -> tuple[np.ndarray, np.ndarray | None]:
        """Customers meeting the programme's trigger at hour t, and when they met it."""
        pop = self.engine.pop
        if prog.trigger_days is not None:
            lo, hi = 24.0 * prog.trigger_days[0], 24.0 * (prog.trigger_days[1] + 1)
        else:
            lo, hi = -np.inf, np.inf
        if prog.trigger == "inactive":
            if not lo <= t < hi:
                return np.zeros(0, dtype=np.int64), None
            candidates = self._select(prog.audience, t)
            idle = (t - pop.last_order[candidates]) / 24.0 >= prog.inactive_days
            return candidates[idle], None
        candidates = self._select(prog.audience, t, among=self.engine.joined_between(lo, min(hi, t + 1e-9)))
        if prog.trigger == "first_purchase" and prog.min_spend > 0:
            paid = self.engine.first_value[candidates] * (1.0 - self.engine.calendar.discount_at(pop.joined[candidates]))
            candidates = candidates[paid >= prog.min_spend]
        return candidates, pop.joined

    def _select(self, audience: Audience, t: float, among: np.ndarray | None = None) -> np.ndarray:
        """Customers matching the audience's filters at hour t (of those `among`, if given), then
        its assignment and uplift ranking if any."""
        chosen = select(audience, self.engine.pop, t, self._categories, among)
        if audience.assignment is not None:
            chosen = assignment_audience(audience.assignment, self.learned, self.engine.pop, chosen)
        if audience.uplift is not None:
            chosen = uplift_audience(audience.uplift, self.learned, self.engine.pop, chosen, t)
        return chosen

    # --- one send ---------------------------------------------------------------------------
    def _send(self, action: str, channel_name: str, audience: np.ndarray, coupon: Coupon | None,
              window: tuple[float, float], pull: float, key: tuple[int, ...],
              learned: LearnedResponse | None = None) -> None:
        engine, pop, t = self.engine, self.engine.pop, self.engine.env.now
        if self.members is not None:
            audience = audience[self.members[audience]]
        audience = self.mailbox.reachable(channel_name, audience)
        held = self.held_out[audience]
        assigned = audience[~held]
        self.exposures.append(Exposure(action, channel_name, t, assigned, audience[held]))
        np.minimum.at(self.first_exposed, audience, t)
        if assigned.size == 0:
            return
        channel = self.scenario.channels[channel_name]
        u = self._uniforms(key)
        reached = assigned[u[0, assigned] < channel.reach]
        if coupon is not None:
            got = self.coupons.issue(action, coupon, reached, t, order=u[4, reached])
            self.coupon_pull[got] = pull
        scale = self._segment_scale(channel_name)[pop.segment[reached]] if learned is None else np.ones(len(reached))
        outcome = self.mailbox.deliver(Send(channel_name, channel, reached, t), scale, pop.remaining > 0, u[1:4])
        if learned is None:
            buying = self.scenario.population.buying
            lift = lift_for(channel.response, reference_purchases(engine.calendar, buying.r / buying.alpha, window))
        else:
            expected = pop.lam[reached] * float(engine.calendar.clock(window[1]) - engine.calendar.clock(window[0]))
            lift = learned_lift(learned, self.learned, pop, reached, t, expected)
        self.lifts.add(reached, lift * outcome.weight, window, pull)
        self.touches.append(Touch(action, channel_name, window[0], reached, window[0] > t))
        engine.churn(outcome.churned, t)

    def _referral(self, ref: Referral):
        """Sleep until the offer's hour, then offer it to the audience's active customers."""
        engine = self.engine
        yield engine.env.timeout(max(ref.hour_abs - engine.env.now, 0.0))
        engine.advance(engine.env.now)
        t, pop = engine.env.now, engine.pop
        audience = self._select(ref.audience, t)
        if self.members is not None:
            audience = audience[self.members[audience]]
        if ref.channel is not None:
            audience = self.mailbox.reachable(ref.channel, audience)
        held = self.held_out[audience]
        self.exposures.append(Exposure(ref.name, ref.channel or "shop", t, audience[~held], audience[held]))
        reached = audience[~held]
        if ref.channel is not None:
            channel = self.scenario.channels[ref.channel]
            u = self._uniforms((_REFERRAL,))
            reached = reached[u[0, reached] < channel.reach]
            outcome = self.mailbox.deliver(Send(ref.channel, channel, reached, t), np.ones(len(reached)),
                                           pop.remaining > 0, u[1:4])
            engine.churn(outcome.churned, t)
        reached = reached[pop.remaining[reached] > 0]  # only customers still buying share
        self.referral = play_referral(ref, self.scenario, reached, t, engine.calendar.end, len(pop),
                                      important_value_level(pop), engine.seed, engine.replication)

    def _uniforms(self, key: tuple[int, ...]) -> np.ndarray:
        """Five uniforms per customer for one send; customers the policy brought in draw theirs
        from a stream of their own, so everyone else's are the same under every policy."""
        engine = self.engine
        u = streams.generator(engine.seed, engine.replication, streams.MARKETING, *key).random((5, engine.n_world))
        extra = len(engine.pop) - engine.n_world
        if extra > 0:
            more = streams.generator(engine.seed, engine.replication, streams.MARKETING, *key, streams.NEWCOMERS)
            u = np.concatenate([u, more.random((5, extra))], axis=1)
        return u

    def _segment_scale(self, channel_name: str) -> np.ndarray:
        factors = self.scenario.channels[channel_name].segment_response
        return np.array([factors.get(s, 1.0) for s in SEGMENTS])


def _pad(values: np.ndarray, n: int, fill: float) -> np.ndarray:
    """`values` extended to n customers with `fill` (for customers who joined since)."""
    return values if len(values) >= n else np.concatenate([values, np.full(n - len(values), fill)])
