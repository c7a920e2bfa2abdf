"""A policy arm: the named set of marketing actions a scenario compares."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from sim.scenario import Scenario


class Policy(BaseModel):
    """One arm of the comparison. An empty policy is the do-nothing control."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def check_against(self, scenario: Scenario, name: str) -> None:
        """Raise ValueError if an action falls outside the scenario (days, channels)."""

    def change_hours(self, scenario: Scenario) -> list[float]:
        """Hours at which this policy changes some customer's buying intensity."""
        return []
