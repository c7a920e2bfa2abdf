"""How a touch changes buying: a lift on the customer's own purchase intensity.

A send reaches customer i at hour t and, over its effect window [a, b) (the channel's
`response_hours` after the send, or day 0 for a pre-heat "cart" send), multiplies the
customer's intensity lambda_i * g(s) by (1 + L * w_i). Orders then come from that one
Poisson process, coupled to the natural one by the same uniform draw, so a customer who would
have bought anyway buys once, and the extra orders are the counterfactual difference.

L is solved from the marketer's `response` on a reference customer: one with the
population's mean purchase rate r / alpha who is still active. Over the window the reference
customer expects Lambda = (r / alpha) * (G(b) - G(a)) purchases (G, the calendar clock), and
buys at least once because of the message with probability
exp(-Lambda) - exp(-Lambda (1 + L)) = response, hence L = -ln(exp(-Lambda) - response) / Lambda - 1.
A customer's weight w_i is the channel's segment factor times `fatigue_decay` per recent
touch. Since the lift multiplies lambda_i, a weekly buyer responds far more often than a
near-dormant one, and a customer who has dropped out (no purchases left) never responds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.config.scenario import Scenario
from sim.model.calendar import Calendar

HOURS_PER_WEEK = 168.0


def reference_purchases(calendar: Calendar, rate_per_week: float, window: tuple[float, float]) -> float:
    """Purchases a reference customer (rate per week) expects in the window [a, b) hours."""
    a, b = window
    return rate_per_week / HOURS_PER_WEEK * float(calendar.clock(b) - calendar.clock(a))


def lift_for(response: float, expected: float) -> float:
    """The intensity lift L that makes `response` of reference customers buy because of a touch.

    `expected` is the reference customer's expected purchases in the window. Raises
    ValueError when even an infinite lift could not reach the response (it exceeds the share
    who would not have bought anyway).
    """
    if response <= 0.0 or expected <= 0.0:
        return 0.0
    none = np.exp(-expected)
    if response >= none:
        raise ValueError(f"a response of {response:.3g} is more than the {none:.3g} of reference customers who "
                         "would not buy in the window anyway")
    return float(-np.log(none - response) / expected - 1.0)


def response_problems(scenario: Scenario) -> list[str]:
    """One line per send whose channel `response` no lift could reach in its effect window."""
    calendar = Calendar.from_scenario(scenario)
    rate = scenario.population.buying.r / scenario.population.buying.alpha
    found = []
    for name, policy in scenario.policies.items():
        sends = [(f"waves.{i}", w.channel, [w.effect_window(scenario.channels[w.channel].response_hours)])
                 for i, w in enumerate(policy.waves) if w.response is None]
        for j, prog in enumerate(policy.programmes):
            if prog.response is not None:
                continue
            span = scenario.channels[prog.channel].response_hours
            days = range(scenario.calendar.start_day, scenario.calendar.end_day + 1)
            sends.append((f"programmes.{j}", prog.channel, [(24.0 * d + prog.hour, 24.0 * d + prog.hour + span)
                                                            for d in days]))
        for where, channel, windows in sends:
            response = scenario.channels[channel].response
            for window in windows:
                try:
                    lift_for(response, reference_purchases(calendar, rate, window))
                except ValueError as exc:
                    found.append(f"policies.{name}.{where}: channels.{channel}.response: {exc}; "
                                 "expected a smaller response or a shorter response_hours")
                    break
    return found


@dataclass
class Lifts:
    """Active lifts of one policy's sends: per send the customers, their lift and window."""

    _sends: list[tuple[np.ndarray, np.ndarray, float, float, float]] = field(default_factory=list)

    def add(self, customers: np.ndarray, lift: np.ndarray, window: tuple[float, float], pull_forward: float) -> None:
        """Customers' buying is (1 + lift) times higher in [window) (lift >= 0 per customer)."""
        keep = lift > 0
        if keep.any() and window[1] > window[0]:
            self._sends.append((customers[keep], lift[keep], window[0], window[1], pull_forward))

    def at(self, t0: float, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(customers, intensity multiplier, pull-forward share) of the lifted customers among n
        at hour t0; None if no lift is on."""
        self._sends = [s for s in self._sends if s[3] > t0]
        active = [s for s in self._sends if s[2] <= t0]
        if not active:
            return None
        if len(active) == 1:  # one send: its customers are already distinct
            customers, lift, _, _, share = active[0]
            if len(customers) > 1 and (np.diff(customers) < 0).any():  # a ranked audience: put in order
                order = np.argsort(customers)
                customers, lift = customers[order], lift[order]
            return customers, 1.0 + lift, np.full(len(customers), share)
        size = sum(len(s[0]) for s in active)
        if size > n // 8:  # many lifted: add up over everyone rather than sort
            excess, pulled = np.zeros(n), np.zeros(n)
            for customers, lift, _, _, share in active:
                excess += np.bincount(customers, weights=lift, minlength=n)
                pulled += np.bincount(customers, weights=lift * share, minlength=n)
            who = np.flatnonzero(excess > 0)
            return who, 1.0 + excess[who], pulled[who] / excess[who]
        customers = np.concatenate([s[0] for s in active])
        lift = np.concatenate([s[1] for s in active])
        share = np.concatenate([np.full(len(s[0]), s[4]) for s in active])
        who, where = np.unique(customers, return_inverse=True)
        excess = np.bincount(where, weights=lift, minlength=len(who))
        pulled = np.bincount(where, weights=lift * share, minlength=len(who))
        return who, 1.0 + excess, pulled / excess
