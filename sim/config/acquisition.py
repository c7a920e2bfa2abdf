"""Paid traffic: ad channels that buy new visitors with a saturating, carried-over response.

Each channel spends `daily_spend` yuan on each day of `days` (the whole calendar if absent).
Spend is carried over with geometric adstock, A_d = spend_d + adstock x A_(d-1), so a day's
effect lasts into the following days, also after the last day of spend. The day's paid visitors
follow a Hill saturation curve of the adstocked spend,

    visitors_d = max_visitors x A_d^shape / (A_d^shape + half_spend^shape),

so doubling spend brings less than twice the visitors, and `half_spend` brings half of
`max_visitors`. Visitors arrive over the day by the calendar's hourly traffic shape and convert
at `conversion` (the calendar's new-visitor conversion if absent); rival promotions lower their
conversion as they lower other new visitors' (they do not lower visitors already paid for).

The conventions are those of marketing-mix tools, so a curve fitted there can be typed in
(convert its spend and response scales to yuan per day and visitors per day first):
- Robyn: `thetas` (geometric adstock, carried as here) -> adstock; `alphas` -> shape; the
  inflexion point that `gammas` places in the channel's spend range -> half_spend.
- PyMC-Marketing: `GeometricAdstock` `alpha` -> adstock; `HillSaturation` `slope` -> shape,
  `kappa` -> half_spend, `beta` (the channel's ceiling) -> max_visitors.
- Meridian: `alpha_m` -> adstock, `ec_m` -> half_spend, `slope_m` -> shape.
Meridian, and PyMC-Marketing with `normalize=True`, average the carried spend (weights summing
to 1) where this model adds it up; under steady spend their half-saturation point is then
half_spend x (1 - adstock).
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import Field, model_validator

from sim.config.base import Section

Share = Annotated[float, Field(ge=0.0, le=1.0)]
FIELDS = ("daily_spend", "max_visitors", "half_spend", "shape", "adstock", "days", "conversion")


class AdChannel(Section):
    """One paid-traffic channel (through-train search ads, display ads, ...)."""

    daily_spend: Annotated[float, Field(ge=0.0, description="yuan per day of spend")] = 0.0
    max_visitors: Annotated[float, Field(ge=0.0, description="visitors per day at saturation")]
    half_spend: Annotated[float, Field(gt=0.0, description="adstocked yuan per day that brings half of max_visitors")]
    shape: Annotated[float, Field(gt=0.0, le=10.0, description="Hill exponent (1: concave from the start)")] = 1.0
    adstock: Annotated[float, Field(ge=0.0, lt=1.0, description="share of a day's effect carried into the next")] = 0.0
    days: tuple[int, int] | None = Field(None, description="[first, last] day of spend; the whole calendar if absent")
    conversion: Share | None = Field(None, description="paid visitors' conversion; the calendar's if absent")

    @model_validator(mode="after")
    def _ordered_days(self) -> AdChannel:
        if self.days is not None and self.days[1] < self.days[0]:
            raise ValueError(f"days: {list(self.days)} must be [first, last] with first <= last")
        return self

    def spend_by_day(self, days: np.ndarray) -> np.ndarray:
        """Yuan spent on each calendar day."""
        first, last = self.days if self.days is not None else (days[0], days[-1])
        return np.where((days >= first) & (days <= last), self.daily_spend, 0.0)

    def visitors_by_day(self, days: np.ndarray) -> np.ndarray:
        """Expected paid visitors on each calendar day (adstocked spend through the Hill curve)."""
        spend = self.spend_by_day(days)
        carried = np.zeros(len(days))
        level = 0.0
        for i, s in enumerate(spend):
            level = s + self.adstock * level
            carried[i] = level
        powered = carried ** self.shape
        return self.max_visitors * powered / (powered + self.half_spend ** self.shape)


class AdOverride(Section):
    """A policy's changes to a scenario's ad channel: any of its fields."""

    daily_spend: Annotated[float, Field(ge=0.0)] | None = None
    max_visitors: Annotated[float, Field(ge=0.0)] | None = None
    half_spend: Annotated[float, Field(gt=0.0)] | None = None
    shape: Annotated[float, Field(gt=0.0, le=10.0)] | None = None
    adstock: Annotated[float, Field(ge=0.0, lt=1.0)] | None = None
    days: tuple[int, int] | None = None
    conversion: Share | None = None


def resolve(channels: dict[str, AdChannel], overrides: dict[str, AdOverride], where: str) -> dict[str, AdChannel]:
    """The scenario's ad channels with a policy's overrides applied (ValueError naming the field)."""
    out = dict(channels)
    for name, change in overrides.items():
        if name not in channels:
            raise ValueError(f"{where}.{name}: unknown ad channel {name!r}; define it under acquisition.{name} "
                             f"(expected one of {sorted(channels)})")
        merged: dict[str, Any] = {**channels[name].model_dump(), **change.model_dump(exclude_none=True)}
        try:
            out[name] = AdChannel.model_validate(merged)
        except ValueError as exc:
            raise ValueError(f"{where}.{name}: {exc}") from None
    return out


def check_days(channels: dict[str, AdChannel], start_day: int, end_day: int, where: str) -> None:
    """Raise ValueError if a channel's days fall outside the calendar."""
    for name, ch in channels.items():
        if ch.days is not None and not (start_day <= ch.days[0] and ch.days[1] <= end_day):
            raise ValueError(f"{where}.{name}.days: {list(ch.days)} lie outside the calendar {start_day}..{end_day}")
