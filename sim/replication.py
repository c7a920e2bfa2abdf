"""One replication: draw the world once, then play every policy on its own copy of it.

The base and the newcomers are drawn from streams that do not depend on the policy, so all
policies of a replication face the same customers and visitors (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim import streams
from sim.calendar import Calendar
from sim.engine import Engine
from sim.metrics import daily, headline, order_table
from sim.population import Population, draw_arrivals, draw_base, important_value_level
from sim.scenario import Scenario


@dataclass(frozen=True)
class ReplicationOutput:
    """Headline metrics (one dict per policy) and the daily series of one replication."""

    replication: int
    metrics: list[dict]
    daily: pd.DataFrame


def change_hours(scenario: Scenario) -> list[float]:
    """Hours at which any policy changes intensities; shared by all policies of a run."""
    hours: set[float] = set()
    for policy in scenario.policies.values():
        hours.update(policy.change_hours(scenario))
    return sorted(hours)


def draw_world(scenario: Scenario, calendar: Calendar, seed: int, replication: int):
    """The replication's customers (base then newcomers), first-order values and visitors."""
    base = draw_base(scenario, calendar, streams.generator(seed, replication, streams.POPULATION))
    arrivals = draw_arrivals(scenario, calendar, streams.generator(seed, replication, streams.ACQUISITION),
                             important_value_level(base))
    world = Population.concat([base, arrivals.traits])
    first_value = np.concatenate([np.zeros(len(base)), arrivals.first_value])
    return world, first_value, arrivals.visitors_by_hour


def simulate_replication(scenario: Scenario, replication: int, seed: int | None = None) -> ReplicationOutput:
    """Simulate every policy of the scenario for one replication."""
    seed = scenario.run.seed if seed is None else seed
    calendar = Calendar.from_scenario(scenario)
    world, first_value, visitors = draw_world(scenario, calendar, seed, replication)
    hours = change_hours(scenario)
    margins = np.asarray(scenario.margin_by_category())
    rows, frames = [], []
    for name in scenario.policies:
        engine = Engine(calendar, world.copy(), first_value, scenario.population.spend.p, seed, replication)
        engine.run(hours)
        orders = order_table(engine, margins)
        rows.append({"replication": replication, "policy": name, **headline(engine, orders, visitors)})
        frame = daily(calendar, orders, visitors)
        frame.insert(0, "policy", name)
        frame.insert(0, "replication", replication)
        frames.append(frame)
    return ReplicationOutput(replication, rows, pd.concat(frames, ignore_index=True))
