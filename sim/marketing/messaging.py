"""Sending a message: reach, cost, fatigue, opt-out, and how strongly it lifts each customer."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.config.channels import Channel


@dataclass
class ChannelStats:
    """Running totals for one channel; cost in yuan."""

    messages: int = 0
    cost: float = 0.0
    opt_outs: int = 0
    responses: int = 0  # stimulated orders attributed to the channel (last touch), filled when measured
    churned: int = 0


@dataclass
class Send:
    """One message to a set of customers, decided before the random draws."""

    channel_name: str
    channel: Channel
    reached: np.ndarray  # customers the message actually reaches
    t: float


@dataclass
class Outcome:
    """What one send did: how strongly each reached customer's buying is lifted, who opted
    out, who was driven away."""

    weight: np.ndarray  # per reached customer: segment factor x fatigue damping of the lift
    opted_out: np.ndarray
    churned: np.ndarray


@dataclass
class Mailbox:
    """Per-customer messaging state: opt-outs by channel and a decaying count of recent touches."""

    size: int
    opted_out: dict[str, np.ndarray] = field(default_factory=dict)
    stats: dict[str, ChannelStats] = field(default_factory=dict)
    fatigue: np.ndarray = field(init=False)
    fatigue_at: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.fatigue = np.zeros(self.size)
        self.fatigue_at = np.zeros(self.size)

    def grow(self, n: int) -> None:
        """Room for customers who joined since: no touches yet, not opted out."""
        extra = n - self.size
        if extra <= 0:
            return
        self.fatigue = np.concatenate([self.fatigue, np.zeros(extra)])
        self.fatigue_at = np.concatenate([self.fatigue_at, np.zeros(extra)])
        self.opted_out = {k: np.concatenate([v, np.zeros(extra, dtype=bool)]) for k, v in self.opted_out.items()}
        self.size = n

    def reachable(self, channel: str, customers: np.ndarray) -> np.ndarray:
        """Customers who have not opted out of `channel`."""
        out = self.opted_out.get(channel)
        return customers if out is None else customers[~out[customers]]

    def recent_touches(self, customers: np.ndarray, t: float, window_days: float) -> np.ndarray:
        """Touches in about the last `window_days`, as an exponentially decaying count."""
        return self.fatigue[customers] * np.exp(-(t - self.fatigue_at[customers]) / (24.0 * window_days))

    def deliver(self, send: Send, response_scale: np.ndarray, alive: np.ndarray, u: np.ndarray) -> Outcome:
        """Play one send with uniforms u (3 x population): lift weights, opt-out, churn.

        `response_scale` multiplies the channel's lift for each reached customer (segment
        factors); recent touches damp it; only customers still buying (`alive`) churn.
        Costs are per message reached. (u[0] is kept for the response stream's layout.)
        """
        ch, reached = send.channel, send.reached
        recent = self.recent_touches(reached, send.t, ch.fatigue_window_days)
        weight = response_scale * ch.fatigue_decay ** recent
        opted = reached[u[1, reached] < np.minimum(ch.opt_out_per_touch * (1.0 + recent), 1.0)]
        worn = recent >= ch.fatigue_threshold
        churned = reached[worn & (u[2, reached] < ch.churn_per_touch) & alive[reached]]
        self.fatigue[reached] = recent + 1.0
        self.fatigue_at[reached] = send.t
        self.opted_out.setdefault(send.channel_name, np.zeros(self.size, dtype=bool))[opted] = True
        s = self.stats.setdefault(send.channel_name, ChannelStats())
        s.messages += len(reached)
        s.cost += len(reached) * ch.cost
        s.opt_outs += len(opted)
        s.churned += len(churned)
        return Outcome(weight, opted, churned)
