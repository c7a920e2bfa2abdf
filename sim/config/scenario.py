"""The scenario file: a validated model of the YAML a strategist writes.

Built once by `load_scenario`; everything downstream receives typed, valid objects and
never re-checks. Time unit is hours with day 0 = the event day (Double 11); days are
integers relative to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from sim.config.acquisition import AdChannel, check_days, resolve
from sim.config.base import Section

from sim.config.channels import DEFAULT_CHANNELS, Channel
from sim.config.competition import Competition
from sim.config.marketing import Policy
from sim.config.operations import Operations
from sim.config.presale import Presale
from sim.vocabulary import ROLES, SEGMENTS


Share = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]


class _Model(Section):
    pass


class SeasonWindow(_Model):
    """A stretch of days in which existing customers buy at `multiplier` times their rate."""

    start_day: int
    end_day: int
    multiplier: Annotated[float, Field(ge=0.0)]

    @model_validator(mode="after")
    def _ordered(self) -> SeasonWindow:
        if self.end_day < self.start_day:
            raise ValueError("end_day must not be before start_day")
        return self


class CalendarSettings(_Model):
    """Simulated days [start_day, end_day] inclusive; day 0 is the event day."""

    start_day: int = -30
    end_day: int = 30
    season: list[SeasonWindow] = Field(default_factory=list)

    @model_validator(mode="after")
    def _spans_event(self) -> CalendarSettings:
        if not self.start_day <= 0 <= self.end_day:
            raise ValueError("the calendar must contain the event day: start_day <= 0 <= end_day")
        for w in self.season:
            if w.start_day < self.start_day or w.end_day > self.end_day:
                raise ValueError(
                    f"season window days {w.start_day}..{w.end_day} lie outside the calendar "
                    f"{self.start_day}..{self.end_day}"
                )
        return self

    @property
    def start_hour(self) -> float:
        return 24.0 * self.start_day

    @property
    def end_hour(self) -> float:
        return 24.0 * (self.end_day + 1)

    @property
    def days(self) -> int:
        return self.end_day - self.start_day + 1


class Category(_Model):
    """A product category: its share of customers, relative repurchase cycle and order value."""

    share: Share
    cycle_days: Positive = Field(description="typical days between purchases of an active buyer")
    order_value: Positive = Field(description="mean order value at list price, yuan")
    margin: Share | None = Field(None, description="gross margin; defaults to economics.margin")


class Buying(_Model):
    """BG/NBD heterogeneity: purchase rate ~ Gamma(r, alpha) per week, dropout ~ Beta(a, b)."""

    r: Positive = 0.243
    alpha: Positive = 4.414
    a: Positive = 0.793
    b: Positive = 2.426


class Spend(_Model):
    """Gamma-Gamma order value: value ~ Gamma(p, nu), nu ~ Gamma(q, gamma); needs q > 1."""

    p: Positive = 6.0
    q: Annotated[float, Field(gt=1.0)] = 4.0
    gamma: Positive = 15.0


DEFAULT_SEGMENTS = {
    "important_value": 0.05,
    "important_development": 0.10,
    "important_retention": 0.08,
    "important_maintenance": 0.12,
    "general": 0.65,
}

DEFAULT_CATEGORIES = {
    "apparel": Category(share=0.35, cycle_days=45, order_value=180, margin=0.45),
    "cosmetics": Category(share=0.25, cycle_days=30, order_value=220, margin=0.55),
    "baby": Category(share=0.20, cycle_days=20, order_value=150, margin=0.30),
    "electronics": Category(share=0.10, cycle_days=180, order_value=900, margin=0.15),
    "food": Category(share=0.10, cycle_days=14, order_value=80, margin=0.25),
}


class CustomersTable(_Model):
    """The per-customer table of a calibrated population file (`customers.csv`; set by the loader).

    `file` is the table's path, `sha256` its content hash as calibration wrote it, and
    `unit_days` the length in days of the time unit of its t_x and T columns.
    """

    file: Path
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    unit_days: Positive = 7.0


class PopulationSettings(_Model):
    """Existing customers at the calendar start, and the mixing laws new buyers share.

    `draw: customers` (the default when the population file has a customers table) simulates
    the calibrated customers themselves, each from its posterior given its history; a `size`
    other than the table's count resamples them with replacement. `draw: mixing` draws
    customers from the mixing laws (`buying`, `spend`, `segments`, `categories`).
    """

    from_: Path | None = Field(None, alias="from", description="a population file from sim calibrate")
    size: Annotated[int, Field(gt=0)] = 10_000
    new_share: Share = Field(0.3, description="share of the base that has bought only once")
    segments: dict[str, Share] = Field(default_factory=lambda: dict(DEFAULT_SEGMENTS))
    categories: dict[str, Category] = Field(default_factory=lambda: dict(DEFAULT_CATEGORIES))
    buying: Buying = Field(default_factory=Buying)
    spend: Spend = Field(default_factory=Spend)
    coupon_sensitivity: Positive = Field(
        2.0, description="Gamma shape of customers' coupon sensitivity (mean 1); smaller = more varied")
    coupon_value_elasticity: Annotated[float, Field(ge=0.0)] = Field(
        0.5, description="sensitivity ~ (mean order value)^-e, renormalised to mean 1: lower-value "
                         "customers respond more to coupons; 0 = independent of value")
    customers_table: CustomersTable | None = Field(
        None, description="the calibrated customers (filled in from the population file)")
    features: Path | None = Field(
        None, description="a customer table (CSV) whose rows give simulated customers the features a learned "
                          "response reads; each customer takes a row at random (in order when the sizes match)")
    features_id: str | None = Field(
        None, description="the customer table's id column (matches sim target's assignment ids); default: "
                          "row numbers from 1")
    draw: Literal["customers", "mixing"] = Field(
        "mixing", description="customers: the calibrated customers one by one; mixing: draws from the "
                              "mixing laws (default customers when there is a customers table)")

    @model_validator(mode="before")
    @classmethod
    def _default_draw(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("draw") is None:
            data = {**data, "draw": "customers" if data.get("customers_table") is not None else "mixing"}
        return data

    @field_validator("draw")
    @classmethod
    def _draw_needs_table(cls, v: str, info: ValidationInfo) -> str:
        if v == "customers" and info.data.get("customers_table") is None:
            source = info.data.get("from_")
            named = f"the population file {source} has no customers table" if source else \
                "there is no population file with a customers table (population.from)"
            raise ValueError(f"draw: customers simulates calibrated customers one by one, but {named}; "
                             "calibrate again with sim calibrate, or use draw: mixing")
        return v

    @field_validator("segments")
    @classmethod
    def _known_segments(cls, v: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(v) - set(SEGMENTS))
        if unknown:
            raise ValueError(f"unknown segment(s) {unknown}; expected some of {list(SEGMENTS)}")
        _check_sum("segment shares", v.values())
        return {s: float(v.get(s, 0.0)) for s in SEGMENTS}

    @field_validator("categories")
    @classmethod
    def _category_shares(cls, v: dict[str, Category]) -> dict[str, Category]:
        if not v:
            raise ValueError("at least one category is needed")
        _check_sum("category shares", (c.share for c in v.values()))
        return v


def _check_sum(what: str, values) -> None:
    total = float(sum(values))
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"{what} must sum to 1, got {total:.6g}")


HOURLY_SHAPES = ("double11", "ordinary", "flat")


class Traffic(_Model):
    """Visitors who are not yet customers, and the calendar's shape of demand."""

    daily_visitors: Annotated[float, Field(ge=0.0)] = 20_000
    conversion: Share = Field(0.01, description="share of visitors who place a first order")
    event_conversion: Share | None = Field(None, description="day-0 conversion; default conversion")
    event_multiplier: Annotated[float, Field(ge=0.0)] = Field(12.0, description="day-0 visitors vs an ordinary day")
    repeat_multiplier: Annotated[float, Field(ge=0.0)] = Field(
        4.0, description="day-0 buying intensity of existing customers vs an ordinary day"
    )
    hourly_shape: Literal["double11", "ordinary", "flat"] | Annotated[list[Annotated[float, Field(ge=0.0)]], Field(min_length=24, max_length=24)] = "double11"
    preheat_days: Annotated[int, Field(ge=0)] = Field(7, description="days before day 0 in which shoppers wait")
    preheat_multiplier: Annotated[float, Field(ge=0.0)] = Field(0.8, description="buying intensity while waiting")
    preheat_lost_share: Share = Field(
        0.1, description="share of the purchases shoppers defer in the pre-heat that never happen; the rest "
                         "are placed on days 0-1")
    afterglow: list[Annotated[float, Field(ge=0.0)]] = Field(
        default_factory=lambda: [1.8, 1.3, 1.1], description="multipliers on days 1, 2, ... after the event"
    )

    @field_validator("hourly_shape")
    @classmethod
    def _shape_has_mass(cls, v):
        if isinstance(v, list) and sum(v) <= 0:
            raise ValueError("hourly_shape weights must not all be zero")
        return v


class Economics(_Model):
    """Money: gross margin on list price and the event-day discount."""

    margin: Share = 0.35
    event_discount: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.15


class ProductRole(_Model):
    """A product role's share of order value, its margin relative to the category's, and its discount."""

    share: Share
    margin_factor: Annotated[float, Field(ge=0.0)] = 1.0
    discount_factor: Annotated[float, Field(ge=0.0)] = 1.0


DEFAULT_ROLES = {
    # Traffic drivers: deep discounts for everyone, thin margins.
    "traffic": ProductRole(share=0.30, margin_factor=0.5, discount_factor=1.5),
    # Profit items: rarely discounted (a policy option), they hold the repeat buyers.
    "profit": ProductRole(share=0.40, margin_factor=1.3, discount_factor=1.0),
    # Marginal items: poor sellers used in promotions and to win back one-time buyers.
    "marginal": ProductRole(share=0.15, margin_factor=0.8, discount_factor=1.2),
    "potential": ProductRole(share=0.15, margin_factor=1.0, discount_factor=1.0),
}


class Products(_Model):
    """Order value split by product role (traffic driver, profit, marginal, potential)."""

    roles: dict[str, ProductRole] = Field(default_factory=lambda: dict(DEFAULT_ROLES))

    @field_validator("roles")
    @classmethod
    def _all_roles(cls, v: dict[str, ProductRole]) -> dict[str, ProductRole]:
        if set(v) != set(ROLES):
            raise ValueError(f"roles must be exactly {list(ROLES)}")
        _check_sum("role shares", (r.share for r in v.values()))
        return {k: v[k] for k in ROLES}


class Run(_Model):
    replications: Annotated[int, Field(ge=1, le=100_000)] = 20
    seed: Annotated[int, Field(ge=0)] = 20261111


class Scenario(_Model):
    """A whole scenario: population, calendar, traffic, economics, policies to compare, run settings."""

    version: Literal[1]
    name: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.\-]+$")]
    question: str = ""
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)
    population: PopulationSettings = Field(default_factory=PopulationSettings)
    traffic: Traffic = Field(default_factory=Traffic)
    economics: Economics = Field(default_factory=Economics)
    products: Products = Field(default_factory=Products)
    channels: dict[str, Channel] = Field(default_factory=lambda: dict(DEFAULT_CHANNELS))
    policies: dict[str, Policy] = Field(default_factory=lambda: {"baseline": Policy()})
    operations: Operations = Field(default_factory=Operations)
    presale: Presale = Field(default_factory=Presale)
    competition: Competition = Field(default_factory=Competition)
    acquisition: dict[str, AdChannel] = Field(default_factory=dict, description="paid-traffic channels by name")
    run: Run = Field(default_factory=Run)
    sweep: dict[str, Annotated[list[Any], Field(min_length=1)]] = Field(
        default_factory=dict, description="field path -> values to try; the run covers their grid")
    _source: str | None = PrivateAttr(None)  # the file it was read from, for messages about variants

    @property
    def source(self) -> str | None:
        """The scenario file this scenario (or the scenario it was derived from) was read from."""
        return self._source

    @field_validator("channels", mode="before")
    @classmethod
    def _channel_defaults(cls, v):
        """A scenario's `channels:` overrides fields of the documented defaults."""
        merged: dict = {k: c.model_dump() for k, c in DEFAULT_CHANNELS.items()}
        for name, fields in (v or {}).items():
            base = merged.get(name, DEFAULT_CHANNELS["sms"].model_dump())
            merged[name] = {**base, **fields} if isinstance(fields, dict) else fields
        return merged

    @field_validator("channels")
    @classmethod
    def _channel_segments(cls, v: dict[str, Channel]) -> dict[str, Channel]:
        for name, ch in v.items():
            unknown = sorted(set(ch.segment_response) - set(SEGMENTS))
            if unknown:
                raise ValueError(f"channel {name}: unknown segment(s) {unknown} in segment_response")
        return v

    @field_validator("policies")
    @classmethod
    def _some_policy(cls, v: dict[str, Policy]) -> dict[str, Policy]:
        if not v:
            raise ValueError("at least one policy is needed (an empty one, `baseline: {}`, is fine)")
        return v

    @model_validator(mode="after")
    def _policies_fit_calendar(self) -> Scenario:
        for name, policy in self.policies.items():
            policy.check_against(self, name)
        outside = sorted(d for d in self.competition.intensity
                         if not self.calendar.start_day <= d <= self.calendar.end_day)
        if outside:
            raise ValueError(f"competition.intensity: day(s) {outside} lie outside the calendar "
                             f"{self.calendar.start_day}..{self.calendar.end_day}")
        check_days(self.acquisition, self.calendar.start_day, self.calendar.end_day, "acquisition")
        if self.presale.enabled and self.presale.start_day < self.calendar.start_day:
            raise ValueError(f"presale.start_day {self.presale.start_day} lies before calendar.start_day "
                             f"{self.calendar.start_day}: the pre-sale must be part of the calendar")
        return self

    def ad_channels(self, policy: str) -> dict[str, AdChannel]:
        """The ad channels as policy `policy` runs them (its overrides applied), by name."""
        return resolve(self.acquisition, self.policies[policy].acquisition, f"policies.{policy}.acquisition")

    def actions(self):
        """(field path, wave or programme) of every action of every policy."""
        for name, policy in self.policies.items():
            yield from ((f"policies.{name}.waves.{i}", w) for i, w in enumerate(policy.waves))
            yield from ((f"policies.{name}.programmes.{j}", p) for j, p in enumerate(policy.programmes))

    def margin_by_category(self) -> list[float]:
        """Gross margin of each category, in category order."""
        return [
            c.margin if c.margin is not None else self.economics.margin
            for c in self.population.categories.values()
        ]

    def with_run(self, replications: int | None = None, seed: int | None = None) -> Scenario:
        """A copy with the run settings overridden where given (`sim.config.variants.derive`
        changes any field; this shortcut is kept for one release)."""
        run = self.run.model_copy(
            update={k: v for k, v in {"replications": replications, "seed": seed}.items() if v is not None}
        )
        return self.model_copy(update={"run": Run.model_validate(run.model_dump())})


Calendar, Population = CalendarSettings, PopulationSettings  # the names before 0.2; kept for one release
