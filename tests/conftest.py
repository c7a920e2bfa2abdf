"""Shared fixtures: small scenarios built in code."""

from __future__ import annotations

import pytest

from sim.scenario_file import scenario_from_dict

QUIET_TRAFFIC = {"repeat_multiplier": 1.0, "preheat_multiplier": 1.0, "afterglow": [], "hourly_shape": "flat"}


def make_scenario(**sections):
    """A valid scenario with the given sections replaced (dicts as in YAML)."""
    raw = {"version": 1, "name": "test", "population": {"size": 2000}, "run": {"replications": 3, "seed": 7}}
    raw.update(sections)
    return scenario_from_dict(raw)


@pytest.fixture
def small_scenario():
    return make_scenario()
