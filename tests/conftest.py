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


def shared_orders(scenario, seed: int, replication: int) -> dict:
    """Each policy played as a run plays it (one world, the policy's own change hours): the
    orders of the customers every policy has (customer, hour, value) and how many newcomers
    the policy brought."""
    from sim.model.calendar import Calendar
    from sim.simulation.replication import change_hours, draw_world, play

    cal = Calendar.from_scenario(scenario)
    world = draw_world(scenario, cal, seed, replication)
    out = {}
    for name in scenario.policies:
        engine, _, _ = play(scenario, cal, world, name, seed, replication, change_hours(scenario, name))
        o = engine.orders.arrays()
        mine = o["customer"] < engine.n_world
        out[name] = ([o[k][mine] for k in ("customer", "time", "value")], len(engine.pop) - engine.n_world)
    return out


@pytest.fixture
def small_scenario():
    return make_scenario()
