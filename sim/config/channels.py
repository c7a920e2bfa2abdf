"""Channels: what a touch costs, whom it reaches, how many respond, and how it wears people out."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sim.config.base import Section

Share = Annotated[float, Field(ge=0.0, le=1.0)]


class Channel(Section):
    """One marketing channel. Money in yuan per touch; probabilities per touch.

    A touch raises the reached customer's own purchase intensity: for `response_hours` after
    the send (on day 0 for a pre-heat "cart" send) the customer buys at (1 + L) times their
    usual rate, and every order comes from that one process (see sim.marketing.response).
    `response` is the marketer's number: the share of reached active *reference* customers
    (the population's mean purchase rate, an ordinary day) who buy in that window because of
    the message; L is solved from it. Customers who buy more often respond more, customers
    who have dropped out never do, and `segment_response` scales L per RFM group.
    `pull_forward` is the share of stimulated purchases taken from the same customer's later
    purchases, which then do not happen (the post-promotion dip); the van Heerde, Leeflang
    and Wittink (2004) decomposition of promotion bumps puts purchase acceleration at about a
    third, the default.

    Each touch opts the customer out of the channel with probability `opt_out_per_touch`
    times (1 + touches in the last `fatigue_window_days`), and each recent touch beyond
    `fatigue_threshold` makes the customer stop buying altogether with probability
    `churn_per_touch` (heavy over-messaging). Recent touches also damp the lift by
    `fatigue_decay` each.
    """

    cost: Annotated[float, Field(ge=0.0)] = 0.05
    reach: Share = 0.9
    response: Share = 0.02
    segment_response: dict[str, Annotated[float, Field(ge=0.0)]] = Field(default_factory=dict)
    opt_out_per_touch: Share = 0.002
    churn_per_touch: Share = 0.0
    fatigue_threshold: Annotated[int, Field(ge=0)] = 3
    fatigue_window_days: Annotated[float, Field(gt=0.0)] = 7.0
    fatigue_decay: Share = 0.85
    response_hours: Annotated[float, Field(gt=0.0)] = 48.0
    pull_forward: Share = 1.0 / 3.0


# Documented defaults; a scenario's `channels:` section overrides any field of any channel.
DEFAULT_CHANNELS: dict[str, Channel] = {
    "sms": Channel(cost=0.05, reach=0.95, response=0.03, opt_out_per_touch=0.002, churn_per_touch=0.002),
    "edm": Channel(cost=0.01, reach=0.60, response=0.008, opt_out_per_touch=0.001, churn_per_touch=0.0),
    "push": Channel(cost=0.0, reach=0.60, response=0.01, opt_out_per_touch=0.004, churn_per_touch=0.001),
    "insite": Channel(cost=0.0, reach=0.40, response=0.015, opt_out_per_touch=0.0, churn_per_touch=0.0),
    "wangwang": Channel(cost=0.2, reach=0.50, response=0.05, opt_out_per_touch=0.003, churn_per_touch=0.001,
                        response_hours=24.0),
    "phone": Channel(cost=2.0, reach=0.70, response=0.08, opt_out_per_touch=0.02, churn_per_touch=0.005,
                     fatigue_threshold=1, response_hours=72.0),
}


def resolve_channels(overrides: dict[str, dict]) -> dict[str, Channel]:
    """Defaults updated by a scenario's `channels:` section (new channels start from sms defaults)."""
    out = dict(DEFAULT_CHANNELS)
    for name, fields in overrides.items():
        base = out.get(name, DEFAULT_CHANNELS["sms"])
        out[name] = Channel.model_validate({**base.model_dump(), **fields})
    return out
