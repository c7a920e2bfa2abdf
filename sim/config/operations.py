"""The `operations:` section of a scenario: payment, service chats, warehouse and stock.

Time unit is hours (minutes or seconds where the field name says so); money is yuan.
Product roles are indexed 0..3 in the order of `ROLES`.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field, field_validator

from sim.config.base import Section

from sim.vocabulary import ROLES

Share = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
# A value for each hour of the day (24 numbers) or one value for every hour.
HourlySchedule = NonNegative | Annotated[list[NonNegative], Field(min_length=24, max_length=24)]


class _Model(Section):
    pass


class ByRole(_Model):
    """One number per product role (traffic drivers, profit, marginal, potential items)."""

    traffic: NonNegative
    profit: NonNegative
    marginal: NonNegative
    potential: NonNegative

    def as_array(self) -> np.ndarray:
        """Values in role-index order, as floats."""
        return np.array([getattr(self, r) for r in ROLES], dtype=float)


class Reminder(_Model):
    """Automated payment reminder (催付), sent once per buyer while an order is unpaid."""

    enabled: bool = Field(True, description="send reminders at all")
    delay_minutes: Annotated[float, Field(ge=0.0, le=24 * 60)] = Field(
        10.0, description="minutes after the order is placed; must beat the shortest close timer"
    )
    recovery: Share = Field(
        0.30,
        description="share of reminded buyers who would not have paid by themselves and pay because of the "
        "reminder (incremental); 'over 30 %' is reported for all reminded orders later paid, so 0.30 is generous",
    )
    response_minutes: Annotated[float, Field(gt=0.0)] = Field(
        15.0, description="mean minutes from reminder to payment for buyers who pay on it (exponential, cut at close)"
    )
    channel: Literal["sms", "wangwang", "push", "in_site"] = "sms"
    cost: NonNegative = Field(0.05, description="yuan per reminder sent")


class Payment(_Model):
    """Unpaid orders: who does not pay at once, who pays later unprompted, when orders close, reminders."""

    unpaid_share: Share = Field(0.22, description="share of placed orders not paid at once (over 20 % reported)")
    close_after_hours: Annotated[float, Field(gt=0.0)] | ByRole = Field(
        24.0, description="hours until an unpaid order closes; one value or by role (flash items: 0.5)"
    )
    self_pay_share: Share = Field(
        0.4,
        description="share of unpaid orders whose buyer pays later unprompted, reminder or not. An assumption: "
        "no holdout figure is published; shop operators commonly report a third to a half of unpaid orders "
        "paid by the buyers themselves within the close window, and 0.4 is the middle (see sim.operations.payment)",
    )
    self_pay_minutes: Annotated[float, Field(gt=0.0)] = Field(
        30.0, description="mean minutes to an unprompted payment (exponential; after close means never)"
    )
    reminder: Reminder = Field(default_factory=Reminder)

    def close_hours_by_role(self) -> np.ndarray:
        """Close timer in hours for each role index."""
        c = self.close_after_hours
        return c.as_array() if isinstance(c, ByRole) else np.full(len(ROLES), float(c))


class HandleTime(_Model):
    """Minutes an agent spends on one chat."""

    mean_minutes: Annotated[float, Field(gt=0.0)] = 6.0
    distribution: Literal["lognormal", "exponential"] = "lognormal"
    cv: Annotated[float, Field(gt=0.0, le=5.0)] = Field(0.8, description="coefficient of variation (lognormal only)")


class Service(_Model):
    """Pre-purchase customer-service chats (Wangwang): agents, waiting, abandonment, sales."""

    inquiries_per_order: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        1.3,
        description="inquiries per order, used only when no inquiry times are given; with the default "
        "conversions about 40 % of sales pass through service, as reported for Double 11",
    )
    chats_per_agent: Annotated[int, Field(ge=1, le=10)] = Field(3, description="chats one agent holds at once")
    handle_time: HandleTime = Field(default_factory=HandleTime)
    patience_minutes: Annotated[float, Field(gt=0.0)] | None = Field(
        3.0, description="mean minutes a customer waits before leaving (exponential); null = never leaves"
    )
    conversion_served: Share = Field(0.5, description="share of answered inquiries that buy")
    conversion_abandoned: Share = Field(0.15, description="share of abandoned inquiries that still buy")
    order_value: Annotated[float, Field(gt=0.0)] | None = Field(
        None, description="yuan per order bought after a chat; null = drawn from the day's orders (200 if none)"
    )
    agents: HourlySchedule = Field(10.0, description="agents on duty by hour of day (24 values) or constant")
    target_seconds: Annotated[float, Field(gt=0.0)] = Field(20.0, description="answer within this many seconds")
    target_service_level: Share = Field(0.8, description="share to answer within target_seconds")
    agent_hour_cost: NonNegative = Field(25.0, description="yuan per agent-hour")

    @field_validator("agents")
    @classmethod
    def _whole_agents(cls, v: float | list[float]) -> float | list[float]:
        vals = v if isinstance(v, list) else [v]
        if any(x != int(x) for x in vals):
            raise ValueError("agents must be whole numbers")
        return v


class Warehouse(_Model):
    """Pick/pack of paid orders with hourly capacity from the staff schedule."""

    staff: HourlySchedule = Field(
        [0.0] * 8 + [20.0] * 14 + [0.0] * 2,
        description="pick/pack staff by hour of day (24 values) or constant; default 20 from 08:00 to 22:00",
    )
    picks_per_staff_hour: Annotated[float, Field(gt=0.0)] = Field(12.0, description="orders one person packs per hour")
    promise_hours: Annotated[float, Field(gt=0.0)] = Field(48.0, description="promised hours from payment to shipping")
    target_on_time: Share = Field(0.95, description="share to ship within the promise (for capacity planning)")
    staff_hour_cost: NonNegative = Field(20.0, description="yuan per staff-hour")


class Stock(_Model):
    """Units on hand by product role; one order takes one unit, reserved when placed."""

    units: ByRole | None = Field(None, description="units by role; null = unlimited")
    safety_stock_share: Share = Field(
        0.1, description="extra units above forecast demand when planning ('rather sell out than overstock')"
    )


class Operations(_Model):
    """Event-day operations; every sub-section has documented defaults."""

    enabled: bool = False
    horizon_days: Annotated[float, Field(gt=0.0, le=60.0)] = Field(
        10.0, description="days after start_hour that operations run; orders not done by then are 'waiting'"
    )
    payment: Payment = Field(default_factory=Payment)
    service: Service = Field(default_factory=Service)
    warehouse: Warehouse = Field(default_factory=Warehouse)
    stock: Stock = Field(default_factory=Stock)


def hourly(schedule: float | list[float], hours: np.ndarray) -> np.ndarray:
    """Schedule value for each absolute hour index (hour of day = hour mod 24)."""
    if isinstance(schedule, list):
        return np.asarray(schedule, dtype=float)[np.mod(hours, 24).astype(int)]
    return np.full(len(hours), float(schedule))
