"""A policy arm: scheduled waves, triggered programmes, coupons and a holdout.

These are validated descriptions; `sim.marketing.runtime` plays them on a population.
Days are relative to the event day (day 0); hours are hours of the day (0-23).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Protocol

import numpy as np
from pydantic import Field, model_validator

from sim.config.acquisition import AdOverride, check_days, resolve
from sim.config.base import Section
from sim.config.learned import AssignmentAudience, LearnedResponse, UpliftAudience

from sim.vocabulary import SEGMENTS



class ScenarioParts(Protocol):
    """What a policy reads of the scenario it belongs to (`sim.config.scenario.Scenario`)."""

    channels: dict[str, Any]
    acquisition: dict[str, Any]
    population: Any
    calendar: Any

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Hour = Annotated[int, Field(ge=0, le=23)]


class _Model(Section):
    pass


class Audience(_Model):
    """Who an action is for. Every filter given must hold; opted-out customers are always skipped."""

    segments: list[str] | None = None
    categories: list[str] | None = None
    customers: Literal["all", "new", "returning"] = "all"
    min_days_since_purchase: Annotated[float, Field(ge=0.0)] | None = None
    max_days_since_purchase: Annotated[float, Field(ge=0.0)] | None = None
    uplift: UpliftAudience | None = None
    assignment: AssignmentAudience | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Audience:
        low, high = self.min_days_since_purchase, self.max_days_since_purchase
        if low is not None and high is not None and low > high:
            raise ValueError(f"min_days_since_purchase ({low:g}) is above max_days_since_purchase ({high:g}): "
                             "no customer could be in this audience")
        if self.segments is not None and not self.segments or self.categories is not None and not self.categories:
            raise ValueError("an empty list of segments or categories selects nobody; leave it out for everyone")
        return self


class Coupon(_Model):
    """A threshold coupon ("299 minus 30"): `discount` yuan off an order of at least `threshold`.

    Valid either on absolute days `valid_days: [first, last]` or for `valid_for_days` whole days
    after it is sent. At most `budget / discount` coupons are issued (budget / the deepest
    tier's discount for a tiered coupon), so redemptions can never cost more than `budget`. A
    holder's response and buying rise with their coupon sensitivity times the depth
    (discount / threshold, of the first tier) times `lift`; a holder whose basket falls short
    of the threshold by at most `top_up` of it tops it up to the threshold.

    `tiers: [[199, 20], [299, 40], [399, 60]]` makes a tiered threshold coupon: an order takes
    the highest tier it reaches, or falls short of by at most `top_up` of that tier's threshold
    (the basket is then topped up to it); thresholds and discounts must increase.
    """

    threshold: Annotated[float, Field(ge=0.0)] | None = None
    discount: Annotated[float, Field(gt=0.0)] | None = None
    tiers: list[tuple[Annotated[float, Field(ge=0.0)], Annotated[float, Field(gt=0.0)]]] | None = None
    valid_days: tuple[int, int] | None = None
    valid_for_days: Annotated[int, Field(ge=1)] = 7
    per_customer: Annotated[int, Field(ge=1)] = 1
    budget: Annotated[float, Field(gt=0.0)] | None = None
    lift: Annotated[float, Field(ge=0.0)] = 5.0
    top_up: Share = 0.3

    @model_validator(mode="after")
    def _sensible(self) -> Coupon:
        if self.tiers is not None:
            self._check_tiers()
        elif self.threshold is None or self.discount is None:
            raise ValueError("give threshold and discount, or tiers: [[threshold, discount], ...]")
        if self.discount >= self.threshold:
            raise ValueError(f"discount ({self.discount:g} yuan) must be smaller than threshold "
                             f"({self.threshold:g} yuan), or orders would be paid nothing or less; a coupon "
                             "without a threshold: give the smallest order it may be used on")
        if self.valid_days and self.valid_days[1] < self.valid_days[0]:
            raise ValueError("valid_days must be [first, last] with first <= last")
        return self

    def _check_tiers(self) -> None:
        tiers = self.tiers
        if not tiers:
            raise ValueError("tiers: give at least one [threshold, discount]")
        if any(b[0] <= a[0] or b[1] <= a[1] for a, b in zip(tiers, tiers[1:])):
            raise ValueError(f"tiers: {[list(t) for t in tiers]} must increase in both threshold and discount "
                             "(e.g. [[199, 20], [299, 40], [399, 60]])")
        for t, d in tiers:
            if d >= t:
                raise ValueError(f"tiers: a discount of {d:g} yuan on a threshold of {t:g} would make orders free")
        first = tuple(tiers[0])
        for name, value, own in (("threshold", first[0], self.threshold), ("discount", first[1], self.discount)):
            if own is not None and own != value:
                raise ValueError(f"{name} ({own:g}) differs from the first tier's ({value:g}); give tiers alone")
        object.__setattr__(self, "threshold", first[0])
        object.__setattr__(self, "discount", first[1])

    @property
    def deepest_discount(self) -> float:
        return max(d for _, d in self.tiers) if self.tiers else self.discount

    @property
    def depth(self) -> float:
        return self.discount / self.threshold if self.threshold else 1.0

    @property
    def max_issued(self) -> float:
        return np.inf if self.budget is None else float(np.floor(self.budget / self.deepest_discount))

    def window(self, sent_at: float) -> tuple[float, float]:
        """Validity [start, end) in hours for a coupon sent at hour `sent_at`."""
        if self.valid_days is not None:
            return max(24.0 * self.valid_days[0], sent_at), 24.0 * (self.valid_days[1] + 1)
        return sent_at, sent_at + 24.0 * self.valid_for_days


class Wave(_Model):
    """A scheduled send at `day`/`hour` to an audience through a channel, maybe with a coupon.

    `intent: cart` (the default for pre-heat days -10..-1) makes its lift act on day 0 (the
    responders add to cart and order on the event day); `intent: order` makes it act in the
    channel's `response_hours` after the send.
    """

    day: int
    hour: Hour = 10
    channel: str = "sms"
    audience: Audience = Field(default_factory=Audience)
    coupon: Coupon | None = None
    intent: Literal["auto", "order", "cart"] = "auto"
    pull_forward: Share | None = Field(None, description="overrides the channel's pull_forward")
    response: LearnedResponse | None = Field(None, description="a learned response instead of the channel's")
    name: str | None = None

    @property
    def hour_abs(self) -> float:
        return 24.0 * self.day + self.hour

    @property
    def converts_on_event_day(self) -> bool:
        return self.intent == "cart" or (self.intent == "auto" and -10 <= self.day < 0)

    def effect_window(self, response_hours: float) -> tuple[float, float]:
        """Hours [start, end) in which this wave lifts its customers' buying."""
        if self.converts_on_event_day and self.hour_abs < 0:
            return 0.0, 24.0
        return self.hour_abs, self.hour_abs + response_hours


class Programme(_Model):
    """A triggered sequence: on a trigger, send every `every_days` up to `cycles` times.

    Triggers: `first_purchase` (a newcomer's first order on `trigger_days`, paying at least
    `min_spend`), `new_buyer` (any newcomer), `inactive` (no purchase for `inactive_days`).
    The first send is `after_days` after the trigger; with `stop_on_purchase` the sequence
    ends once the customer buys again. Checked daily at `hour`.
    """

    name: str
    trigger: Literal["first_purchase", "new_buyer", "inactive"]
    trigger_days: tuple[int, int] | None = None
    min_spend: Annotated[float, Field(ge=0.0)] = 0.0
    inactive_days: Annotated[float, Field(gt=0.0)] = 60.0
    audience: Audience = Field(default_factory=Audience)
    after_days: Annotated[int, Field(ge=0)] = 0
    every_days: Annotated[int, Field(ge=1)] = 30
    cycles: Annotated[int, Field(ge=1)] = 1
    stop_on_purchase: bool = True
    channel: str = "sms"
    coupon: Coupon | None = None
    hour: Hour = 10
    pull_forward: Share | None = Field(None, description="overrides the channel's pull_forward")
    response: LearnedResponse | None = Field(None, description="a learned response instead of the channel's")


class Reward(_Model):
    """Referral rewards, yuan: `inviter` to the customer who shared, `invitee` off the friend's first order."""

    inviter: Annotated[float, Field(ge=0.0)] = 0.0
    invitee: Annotated[float, Field(ge=0.0)] = 0.0


class RedPacket(_Model):
    """A shared red packet: the inviter's reward grows by `per_friend` yuan for each friend who
    opens the share (each further friend who buys, with `pay_on: first_order`), up to `cap`."""

    per_friend: Annotated[float, Field(gt=0.0)]
    cap: Annotated[float, Field(gt=0.0)]


INVITEE_CONVERSION = 0.0722
"""Iyengar and Park's field test: recipients of a friend's referral coupon bought at 7.22 %."""


class Referral(_Model):
    """A referral offer (coupons forwarded to friends, red packets shared to grow them).

    On `day` at `hour` the offer reaches the audience (through `channel` as a message, or shown
    in the shop to active customers if no channel is given); `share_rate` of those reached share
    it within a day, each with Poisson(`invitees_per_share`) friends who open it over the next
    day and arrive as new visitors; `invitee_conversion` of them place a first order and join
    the population. Rewards are paid when the friend's first order is placed (`pay_on:
    first_order`: the inviter per friend who buys) or on sharing (`pay_on: share`: the inviter
    once per share); the invitee's reward comes off their first order, never below zero. Once
    `budget` would be exceeded the offer closes: later rewards are not paid and later friends
    do not come.
    """

    day: int
    hour: Hour = 10
    audience: Audience = Field(default_factory=Audience)
    channel: str | None = None
    share_rate: Share
    invitees_per_share: Annotated[float, Field(gt=0.0, le=100.0)]
    invitee_conversion: Share = INVITEE_CONVERSION
    reward: Reward = Field(default_factory=Reward)
    pay_on: Literal["first_order", "share"] = "first_order"
    red_packet: RedPacket | None = None
    budget: Annotated[float, Field(gt=0.0)] | None = None
    name: str = "referral"

    @property
    def hour_abs(self) -> float:
        return 24.0 * self.day + self.hour


MAX_BUNDLE_LAYERS = 3


class Bundle(_Model):
    """A related-item offer on the order page: `take_rate` of orders add it, raising their list
    value by `value_uplift` (a share of the order's value), at the bundle's own `margin` if given
    (else the order's)."""

    take_rate: Share
    value_uplift: Annotated[float, Field(ge=0.0, le=5.0)]
    margin: Share | None = None


class Policy(_Model):
    """One arm of the comparison. An empty policy is the do-nothing control.

    `holdout` is the share of customers randomly kept out of every action of this policy
    (customer-level randomisation, the same customers for every policy of a replication).
    `discount_profit_items` extends the event discount to profit items, which are otherwise
    sold at full price.
    `bundles` are related-item offers (at most three layers) that raise the value of the
    orders taking them (sim.model.measures.order_table).
    `payment_reminders` switches automated payment reminders (催付) on or off for this arm, so
    two arms can compare them; None keeps `operations.payment.reminder.enabled`. It has effect
    only when the scenario's operations are enabled, and the holdout does not apply to it.
    """

    holdout: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    waves: list[Wave] = Field(default_factory=list)
    programmes: list[Programme] = Field(default_factory=list)
    discount_profit_items: bool = False
    payment_reminders: bool | None = None
    bundles: list[Bundle] = Field(default_factory=list, description="related-item offers, at most three layers")
    referral: Referral | None = None
    acquisition: dict[str, AdOverride] = Field(default_factory=dict, description="changes to the ad channels")

    @model_validator(mode="after")
    def _few_bundle_layers(self) -> Policy:
        if len(self.bundles) > MAX_BUNDLE_LAYERS:
            raise ValueError(f"bundles: {len(self.bundles)} layers; related-item offers work with no more than "
                             f"{MAX_BUNDLE_LAYERS} layers, each different (more crowd the order page and split "
                             "attention), so give at most three")
        return self

    def check_against(self, scenario: ScenarioParts, name: str) -> None:
        """Raise ValueError if an action falls outside the scenario (days, channels, filters)."""
        cal = scenario.calendar
        for i, wave in enumerate(self.waves):
            where = f"policies.{name}.waves.{i}"
            if not cal.start_day <= wave.day <= cal.end_day:
                raise ValueError(f"{where}.day: day {wave.day} is outside the calendar {cal.start_day}..{cal.end_day}")
            _check_refs(scenario, where, wave.channel, wave.audience, wave.coupon)
        for i, prog in enumerate(self.programmes):
            where = f"policies.{name}.programmes.{i}"
            _check_refs(scenario, where, prog.channel, prog.audience, prog.coupon)
            if prog.trigger_days and not (cal.start_day <= prog.trigger_days[0] <= prog.trigger_days[1] <= cal.end_day):
                raise ValueError(f"{where}.trigger_days: {list(prog.trigger_days)} must be an ordered pair inside the calendar")
        if self.referral is not None:
            ref, where = self.referral, f"policies.{name}.referral"
            if not cal.start_day <= ref.day <= cal.end_day:
                raise ValueError(f"{where}.day: day {ref.day} is outside the calendar {cal.start_day}..{cal.end_day}")
            _check_refs(scenario, where, ref.channel, ref.audience, None)
        ads = resolve(scenario.acquisition, self.acquisition, f"policies.{name}.acquisition")
        check_days({k: ads[k] for k in self.acquisition}, cal.start_day, cal.end_day, f"policies.{name}.acquisition")

    def change_hours(self, scenario: ScenarioParts) -> list[float]:
        """Hours at which this policy may change some customer's buying intensity."""
        hours = []
        for wave in self.waves:
            hours.append(wave.hour_abs)
            hours.extend(wave.effect_window(scenario.channels[wave.channel].response_hours))
            if wave.coupon:
                hours.extend(wave.coupon.window(wave.hour_abs))
        if self.referral is not None:
            hours.append(self.referral.hour_abs)
        cal = scenario.calendar
        for prog in self.programmes:
            span = scenario.channels[prog.channel].response_hours
            hours.extend(24.0 * d + prog.hour + lag for d in range(cal.start_day, cal.end_day + 1) for lag in (0.0, span))
            if prog.coupon and prog.coupon.valid_days:
                hours.extend(prog.coupon.window(cal.start_hour))
        return hours

    def is_empty(self) -> bool:
        """No action of its own: no waves, programmes, referral or changes to the ad channels."""
        return not self.waves and not self.programmes and self.referral is None and not self.acquisition


def _check_refs(scenario: ScenarioParts, where: str, channel: str | None, audience: Audience,
                coupon: Coupon | None) -> None:
    if channel is not None and channel not in scenario.channels:
        raise ValueError(f"{where}.channel: unknown channel {channel!r}; expected one of {sorted(scenario.channels)}")
    for seg in audience.segments or []:
        if seg not in SEGMENTS:
            raise ValueError(f"{where}.audience.segments: unknown segment {seg!r}; expected some of {list(SEGMENTS)}")
    for cat in audience.categories or []:
        if cat not in scenario.population.categories:
            raise ValueError(f"{where}.audience.categories: unknown category {cat!r}; "
                             f"expected some of {list(scenario.population.categories)}")
    cal = scenario.calendar
    if coupon and coupon.valid_days and not (cal.start_day <= coupon.valid_days[0] and coupon.valid_days[1] <= cal.end_day):
        raise ValueError(f"{where}.coupon.valid_days: {list(coupon.valid_days)} lie outside the calendar "
                         f"{cal.start_day}..{cal.end_day}")
