"""Competitors' own promotions: days on which rival sales pull new shoppers away.

`intensity` maps a day (relative to day 0) to a level in [0, 1]: 0 is no rival promotion,
1 the strongest. On such a day the shop's new visitors are multiplied by
1 - traffic_elasticity x level and their conversion by 1 - conversion_elasticity x level;
existing customers keep their own buying (their rates already come from the shop's history).
The elasticities are assumptions to set from one's own past: defaults say that the strongest
rival day costs 40 % of new visitors and 20 % of their conversion.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sim.config.base import Section

Level = Annotated[float, Field(ge=0.0, le=1.0)]


class Competition(Section):
    """Rival promotions by day and how strongly they take new shoppers away."""

    intensity: dict[int, Level] = Field(default_factory=dict, description="day -> rival promotion level, 0..1")
    traffic_elasticity: Level = Field(0.4, description="share of new visitors lost at level 1")
    conversion_elasticity: Level = Field(0.2, description="share of new visitors' conversion lost at level 1")

    def factors(self, days) -> tuple[list[float], list[float]]:
        """Per calendar day, the multipliers of new visitors and of their conversion."""
        levels = [self.intensity.get(int(d), 0.0) for d in days]
        return ([1.0 - self.traffic_elasticity * x for x in levels],
                [1.0 - self.conversion_elasticity * x for x in levels])
