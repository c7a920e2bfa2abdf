"""Shared fixtures: small scenarios built in code."""

from __future__ import annotations

import os

import pytest

# The command line's consoles are made at import and would keep an exported terminal width;
# tests set the width they need per command (CliRunner's env), so the user's must not leak in.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)
from hypothesis import settings

# Property tests draw the same examples on every run, so a suite that passed passes again.
settings.register_profile("deterministic", derandomize=True, deadline=None)
settings.load_profile("deterministic")

from sim.config.loader import scenario_from_dict

QUIET_TRAFFIC = {"repeat_multiplier": 1.0, "preheat_multiplier": 1.0, "afterglow": [], "hourly_shape": "flat"}


def make_scenario(**sections):
    """A valid scenario with the given sections replaced (dicts as in YAML)."""
    raw = {"version": 1, "name": "test", "population": {"size": 2000}, "run": {"replications": 3, "seed": 7}}
    raw.update(sections)
    return scenario_from_dict(raw)


@pytest.fixture
def small_scenario():
    return make_scenario()
