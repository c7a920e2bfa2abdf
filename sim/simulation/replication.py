"""One replication: draw the world once, then play every policy on its own copy of it.

The base, the newcomers and the holdout draw come from streams that do not depend on the
policy, so all policies of a replication face the same customers, visitors and holdout
(common random numbers). The features registered in `sim.model.plugins` (marketing, the
pre-sale, operations, ...) make each policy's engine plugins and measure its finished run.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim import streams
from sim.model.calendar import Calendar
from sim.model.engine import Engine
from sim.model.measures import daily, headline, order_table
from sim.model.plugins import Plugin, Setting, features
from sim.model.customers import Customers, draw_arrivals, draw_base, important_value_level
from sim.model.purchases import Purchases, draw_purchases
from sim.simulation.heap import LARGE, keep_freed_memory
from sim.config.scenario import Scenario


@dataclass(frozen=True)
class ReplicationOutput:
    """Headline metrics (one dict per policy), the daily series and detail tables of one replication."""

    replication: int
    metrics: list[dict]
    daily: pd.DataFrame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def change_hours(scenario: Scenario, policy: str | None = None) -> list[float]:
    """Hours at which policy `policy` (any policy, if None) changes intensities.

    Customers' own purchases do not depend on these hours, so each policy steps only at its own.
    """
    hours: set[float] = {0.0}  # the event day starts a stretch: purchases deferred in the pre-heat land after it
    for name, each in scenario.policies.items():
        if policy is None or name == policy:
            hours.update(each.change_hours(scenario))
    return sorted(hours)


@dataclass(frozen=True)
class World:
    """Everything about a replication that does not depend on the policy."""

    population: Customers  # the base, then the newcomers in order of arrival
    first_value: np.ndarray  # list value of each newcomer's first order (0 for the base)
    visitors: np.ndarray  # visitors per hour of the calendar
    holdout_draw: np.ndarray  # uniform per customer; below a policy's holdout share = held out
    purchases: Purchases  # everyone's own purchases over the calendar
    deferred: Purchases  # purchases withheld in the pre-heat, placed on days 0-1


def draw_world(scenario: Scenario, calendar: Calendar, seed: int, replication: int) -> World:
    base = draw_base(scenario, calendar, streams.generator(seed, replication, streams.POPULATION))
    arrivals = draw_arrivals(scenario, calendar, streams.generator(seed, replication, streams.ACQUISITION),
                             important_value_level(base))
    pop = Customers.concat([base, arrivals.traits])
    first_value = np.concatenate([np.zeros(len(base)), arrivals.first_value])
    holdout = streams.generator(seed, replication, streams.HOLDOUT).random(len(pop))
    p = scenario.population.spend.p
    purchases, deferred = draw_purchases(pop, calendar, p, scenario.traffic.preheat_lost_share,
                                         streams.sequence(seed, replication, streams.PURCHASES))
    return World(pop, first_value, arrivals.visitors_by_hour, holdout, purchases, deferred)


def play(scenario: Scenario, calendar: Calendar, world: World, name: str, seed: int, replication: int,
         hours: list[float], reuse_world: bool = False) -> tuple[Engine, Setting, list[list[Plugin]]]:
    """Run one policy on a private copy of the world (or on the world itself, if it is not needed again).

    Returns the finished engine, what the features knew before the run and each registered
    feature's plugins, in the order of `features()`.
    """
    pop = world.population if reuse_world else world.population.copy()
    setting = Setting(scenario, calendar, name, pop, world.holdout_draw, world.visitors, seed, replication)
    made = [feature.plugins(setting) for feature in features()]
    engine = Engine(calendar, pop, world.first_value, scenario.population.spend.p, seed, replication,
                    [plugin for plugins in made for plugin in plugins],
                    preheat_lost_share=scenario.traffic.preheat_lost_share, purchases=world.purchases,
                    deferred=world.deferred)
    engine.run(hours)
    return engine, setting, made


def free_policy(customers: int) -> None:
    """Free the policy just played (its engine, plugins and copy of the world, 200-300 bytes a
    customer) before the next is made. SimPy processes still waiting past the calendar's end
    hold them in reference cycles, which only the cycle collector frees; at a large population
    that is worth its 15-30 ms, or peak memory grows with the number of policies."""
    if customers >= LARGE:
        gc.collect()


COUNTERFACTUAL = ("orders", "gmv", "net_profit")
"""Headline metrics also reported against the counterfactual, as incremental_<name>_cf."""


def without_actions(scenario: Scenario, name: str) -> Scenario | None:
    """The scenario with policy `name`'s waves and programmes removed (None if it has none)."""
    policy = scenario.policies[name]
    if policy.is_empty():
        return None
    bare = policy.model_copy(update={"waves": [], "programmes": [], "holdout": 0.0, "referral": None, "acquisition": {}})
    return scenario.model_copy(update={"policies": {**scenario.policies, name: bare}})


def counterfactuals(scenario: Scenario, calendar: Calendar, world: World, seed: int,
                    replication: int) -> dict[str, dict[str, float] | str]:
    """Each policy's headline in the same world without its actions (common random numbers).

    Policies whose settings other than the actions agree share one counterfactual; where the
    scenario has that counterfactual as a policy of its own (a do-nothing control), the value
    is that policy's name, and its headline is used rather than playing the world again.
    """
    def key(policy) -> str:
        return policy.model_copy(update={"holdout": 0.0}).model_dump_json()

    controls = {key(p): name for name, p in scenario.policies.items() if p.is_empty()}
    out: dict[str, dict[str, float] | str] = {}
    done: dict[str, dict[str, float]] = {}
    for name in scenario.policies:
        bare = without_actions(scenario, name)
        if bare is None:
            continue
        k = key(bare.policies[name])
        if k in controls:
            out[name] = controls[k]
            continue
        if k not in done:
            engine, _, _ = play(bare, calendar, world, name, seed, replication, change_hours(bare, name))
            orders = order_table(engine, bare, bare.policies[name].discount_profit_items, bare.policies[name].bundles)
            done[k] = headline(engine, orders, world.visitors, 0.0)
            del engine, orders
            free_policy(len(world.population))
        out[name] = done[k]
    return out


def simulate_replication(scenario: Scenario, replication: int, seed: int | None = None) -> ReplicationOutput:
    """Simulate every policy of the scenario for one replication."""
    with keep_freed_memory(scenario.population.size):
        return _simulate_replication(scenario, replication, seed)


def _simulate_replication(scenario: Scenario, replication: int, seed: int | None) -> ReplicationOutput:
    seed = scenario.run.seed if seed is None else seed
    calendar = Calendar.from_scenario(scenario)
    world = draw_world(scenario, calendar, seed, replication)
    rows, frames = [], []
    tables: dict[str, list[pd.DataFrame]] = {name: [] for feature in features() for name in feature.tables}
    last = list(scenario.policies)[-1]
    without = counterfactuals(scenario, calendar, world, seed, replication)
    for name, policy in scenario.policies.items():
        engine, setting, made = play(scenario, calendar, world, name, seed, replication,
                                     change_hours(scenario, name), reuse_world=name == last)
        orders = order_table(engine, scenario, policy.discount_profit_items, policy.bundles)
        measured = [feature.measure(setting, engine, orders, plugins) for feature, plugins in zip(features(), made)]
        record = {"replication": replication, "policy": name,
                  **headline(engine, orders, world.visitors, sum(m.cost for m in measured))}
        tagged = {"daily": daily(calendar, orders, world.visitors)}
        for m in measured:
            record.update(m.metrics)
            tagged.update(m.tables)
        rows.append(record)
        for frame in tagged.values():
            frame.insert(0, "policy", name)
            frame.insert(0, "replication", replication)
        frames.append(tagged.pop("daily"))
        for key, frame in tagged.items():
            tables.setdefault(key, []).append(frame)
        del engine, setting, made, orders, measured
        free_policy(len(world.population))
    by_policy = {row["policy"]: row for row in rows}
    for row in rows:
        base = without.get(row["policy"])
        base = by_policy[base] if isinstance(base, str) else base
        row.update({f"incremental_{m}_cf": row[m] - base[m] if base else 0.0 for m in COUNTERFACTUAL})
    return ReplicationOutput(replication, rows, pd.concat(frames, ignore_index=True),
                             {k: pd.concat(v, ignore_index=True) for k, v in tables.items() if v})
