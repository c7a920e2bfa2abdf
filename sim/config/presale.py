"""The `presale:` section of a scenario: deposits paid weeks before, balances paid on day 0.

Tmall-style pre-sale (预售): from `start_day` (15 Oct for 11.11, day -27) customers may pay a
deposit on an item; warm-up games (from 1 Nov, day -10) make deposits more frequent. The
balance is paid on the event day, when the order's full value (at the event price) becomes
GMV; a deposit whose balance is never paid is kept by the shop and the order is not shipped.
Off unless `enabled: true`. Played in the engine by `sim.forecast.deposits.PresalePlugin`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from sim.config.base import Section

Share = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]


class Presale(Section):
    """Deposit window, deposit intensity and the share of balances paid on day 0."""


    enabled: bool = False
    start_day: int = Field(-27, description="first day deposits are taken (15 Oct for 11.11)")
    end_day: int = Field(-1, description="last day deposits are taken; balances are paid on day 0")
    deposit_intensity: NonNegative = Field(
        0.5, description="deposits per customer per hour as a multiple of the customer's ordinary purchase rate")
    warmup_day: int = Field(-10, description="warm-up games from this day (1 Nov for 11.11)")
    warmup_multiplier: NonNegative = Field(2.0, description="deposit intensity during the warm-up vs before")
    deposit_share: Share = Field(0.2, description="deposit as a share of the item's list price")
    balance_rate: Share = Field(0.85, description="share of deposits whose balance is paid on day 0")

    @model_validator(mode="after")
    def _window(self) -> Presale:
        if not self.start_day <= self.end_day < 0:
            raise ValueError("the deposit window must satisfy start_day <= end_day < 0 (balances are paid on day 0)")
        return self
