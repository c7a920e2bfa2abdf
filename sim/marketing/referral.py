"""Referral offers: who shares, the friends who open a share and buy, and what the rewards cost.

Shares happen within a day of the offer, friends open a share within a day of it, and friends
who buy join the population with their first order at that moment. Rewards are settled in time
order; once the next would take the total past `budget` the offer closes: rewards from then
on are not paid and friends arriving from then on do not come. Draws come from the referral's
own streams, so nobody else's buying changes (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import streams
from sim.config.marketing import Referral
from sim.config.scenario import Scenario
from sim.model.customers import draw_newcomers
from sim.model.plugins import Newcomers

DAY = 24.0  # hours in which those reached share, and in which friends open a share


@dataclass
class ReferralOutcome:
    """What one referral offer did in one replication (money in yuan)."""

    reached: int
    shares: int
    invitees: int  # friends who opened a share before the offer closed and the calendar ended
    newcomers: Newcomers  # friends who bought, in order of their first order
    inviter_cost: float
    invitee_cost: float
    closed_at: float  # hour the budget closed the offer (inf if it never did)

    @property
    def cost(self) -> float:
        return self.inviter_cost + self.invitee_cost


def play_referral(ref: Referral, scenario: Scenario, reached: np.ndarray, t: float, end: float,
                  n_customers: int, level: float, seed: int, replication: int) -> ReferralOutcome:
    """The shares of customers `reached` at hour t, their friends and the rewards, up to hour `end`.

    `level` is the base's spend cut for the important groups (see `draw_newcomers`).
    """
    def stream(k: int) -> np.random.Generator:
        return streams.generator(seed, replication, streams.REFERRAL, k)

    u = stream(0).random(n_customers)
    sharers = reached[u[reached] < ref.share_rate]
    shared_at = t + stream(1).random(len(sharers)) * DAY
    friends = stream(2).poisson(ref.invitees_per_share, len(sharers))
    sharer_of = np.repeat(np.arange(len(sharers)), friends)
    rng = stream(3)
    opened_at = np.repeat(shared_at, friends) + rng.random(len(sharer_of)) * DAY
    buys = rng.random(len(sharer_of)) < ref.invitee_conversion
    buys &= opened_at < end
    buyer = np.flatnonzero(buys)
    new, first_value = draw_newcomers(scenario, opened_at[buyer], stream(4), level)
    invitee_reward = np.minimum(ref.reward.invitee, first_value)

    times, costs = [opened_at[buyer]], [invitee_reward]
    inviter_time, inviter_cost = _inviter_rewards(ref, shared_at, sharer_of, opened_at, buys, end)
    times.append(inviter_time)
    costs.append(inviter_cost)
    closed_at = _closing_time(np.concatenate(times), np.concatenate(costs), ref.budget)

    come = opened_at[buyer] < closed_at
    order = np.argsort(opened_at[buyer][come], kind="stable")
    picked = np.flatnonzero(come)[order]
    part = new.take(picked)
    paid = inviter_time < closed_at
    return ReferralOutcome(
        reached=len(reached), shares=len(sharers),
        invitees=int(np.count_nonzero((opened_at < closed_at) & (opened_at < end))),
        newcomers=Newcomers(part, first_value[picked], invitee_reward[picked]),
        inviter_cost=float(inviter_cost[paid].sum()), invitee_cost=float(invitee_reward[picked].sum()),
        closed_at=closed_at)


def _inviter_rewards(ref: Referral, shared_at: np.ndarray, sharer_of: np.ndarray, opened_at: np.ndarray,
                     buys: np.ndarray, end: float) -> tuple[np.ndarray, np.ndarray]:
    """When each inviter reward falls due and what it costs (yuan), before any budget closes."""
    r = ref.reward.inviter
    if ref.red_packet is None:
        if ref.pay_on == "share":
            due = shared_at < end
            return shared_at[due], np.full(int(due.sum()), r)
        return opened_at[buys], np.full(int(buys.sum()), r)
    packet = ref.red_packet
    counted = buys if ref.pay_on == "first_order" else opened_at < shared_at[sharer_of] + DAY
    k = np.bincount(sharer_of[counted], minlength=len(shared_at))
    value = np.minimum(r + packet.per_friend * k, packet.cap)
    settle = shared_at + DAY
    if ref.pay_on == "first_order":
        first_buy = np.full(len(shared_at), np.inf)
        np.minimum.at(first_buy, sharer_of[buys], opened_at[buys])
        settle = np.maximum(settle, first_buy)
    due = (settle < end) & ((k > 0) | (ref.pay_on == "share"))
    return settle[due], value[due]


def _closing_time(times: np.ndarray, costs: np.ndarray, budget: float | None) -> float:
    """The hour of the first reward that would take the total past `budget` (inf if none does)."""
    if budget is None or not len(times):
        return np.inf
    order = np.argsort(times, kind="stable")
    over = np.flatnonzero(np.cumsum(costs[order]) > budget + 1e-9)
    return float(times[order][over[0]]) if over.size else np.inf


def referral_metrics(outcome: ReferralOutcome | None, customers: np.ndarray,
                     paid_by_customer: np.ndarray) -> dict[str, float]:
    """referral_shares, referral_invitees, referred_buyers, referral_cost and referred_gmv (yuan)."""
    if outcome is None:
        return {"referral_shares": 0.0, "referral_invitees": 0.0, "referred_buyers": 0.0,
                "referral_cost": 0.0, "referred_gmv": 0.0}
    return {"referral_shares": float(outcome.shares), "referral_invitees": float(outcome.invitees),
            "referred_buyers": float(len(customers)), "referral_cost": outcome.cost,
            "referred_gmv": float(paid_by_customer[customers].sum())}
