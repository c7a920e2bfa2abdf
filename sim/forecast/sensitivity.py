"""Which inputs move event-day GMV most: each main input moved by -x % and +x %, the rest kept.

Every variant is re-simulated with the same seed, so all variants meet the same random
numbers (common random numbers) and the differences reflect the input, not the noise.
The figure compared is mean event-day GMV over the replications (yuan).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from sim.config.scenario import Scenario
from sim.config.variants import derive

Rerun = Callable[[Scenario], float]
"""Simulates a scenario and returns its mean event-day GMV (yuan)."""


@dataclass(frozen=True)
class Input:
    """A scenario input that can be scaled: its name, its current value and how to scale it."""

    name: str
    value: float
    scale: Callable[[Scenario, float], Scenario]


def _section(scenario: Scenario, section: str, **values) -> Scenario:
    return derive(scenario, {f"{section}.{k}": v for k, v in values.items()}, f"sensitivity of {section}")


def traffic_scaler(field: str, cap: float | None = None):
    def scale(s: Scenario, f: float) -> Scenario:
        v = getattr(s.traffic, field) * f
        return _section(s, "traffic", **{field: min(v, cap) if cap else v})
    return scale


def scale_conversion(s: Scenario, f: float) -> Scenario:
    t = s.traffic
    event = None if t.event_conversion is None else min(t.event_conversion * f, 1.0)
    return _section(s, "traffic", conversion=min(t.conversion * f, 1.0), event_conversion=event)


def _buying(field: str):
    def scale(s: Scenario, f: float) -> Scenario:
        return _section(s, "population.buying", **{field: getattr(s.population.buying, field) * f})
    return scale


def scale_order_value(s: Scenario, f: float) -> Scenario:
    return derive(s, {f"population.categories.{k}.order_value": c.order_value * f
                      for k, c in s.population.categories.items()}, "sensitivity of order value")


def _event_discount(s: Scenario, f: float) -> Scenario:
    return _section(s, "economics", event_discount=min(s.economics.event_discount * f, 0.99))


def _presale(field: str, cap: float | None = None):
    def scale(s: Scenario, f: float) -> Scenario:
        v = getattr(s.presale, field) * f
        return _section(s, "presale", **{field: min(v, cap) if cap else v})
    return scale


def main_inputs(scenario: Scenario) -> list[Input]:
    """The inputs worth moving: traffic, conversion, event surge, buying, order value, discount, pre-sale."""
    t, b = scenario.traffic, scenario.population.buying
    mean_value = sum(c.share * c.order_value for c in scenario.population.categories.values())
    inputs = [
        Input("daily_visitors", t.daily_visitors, traffic_scaler("daily_visitors")),
        Input("conversion", t.conversion if t.event_conversion is None else t.event_conversion, scale_conversion),
        Input("event_multiplier", t.event_multiplier, traffic_scaler("event_multiplier")),
        Input("repeat_multiplier", t.repeat_multiplier, traffic_scaler("repeat_multiplier")),
        Input("buying.r", b.r, _buying("r")),
        Input("buying.alpha", b.alpha, _buying("alpha")),
        Input("order_value", mean_value, scale_order_value),
        Input("event_discount", scenario.economics.event_discount, _event_discount),
    ]
    if scenario.presale.enabled:
        inputs += [Input("presale.deposit_intensity", scenario.presale.deposit_intensity,
                         _presale("deposit_intensity")),
                   Input("presale.balance_rate", scenario.presale.balance_rate, _presale("balance_rate", 1.0))]
    return [i for i in inputs if i.value > 0]


def tornado(scenario: Scenario, rerun: Rerun, baseline_gmv: float, step: float = 0.10,
            inputs: list[Input] | None = None) -> pd.DataFrame:
    """Mean event-day GMV with each input at (1 - step) and (1 + step) of its value.

    Returns one row per input, largest swing first: input, value, gmv_low, gmv_high (yuan, at
    -step and +step), change_low, change_high (relative to `baseline_gmv`), swing = |high - low|.
    """
    rows = []
    for item in inputs if inputs is not None else main_inputs(scenario):
        low = rerun(item.scale(scenario, 1.0 - step))
        high = rerun(item.scale(scenario, 1.0 + step))
        rows.append({"input": item.name, "value": item.value, "step": step, "gmv_low": low, "gmv_high": high,
                     "change_low": low / baseline_gmv - 1.0, "change_high": high / baseline_gmv - 1.0,
                     "swing": abs(high - low)})
    table = pd.DataFrame(rows)
    return table.sort_values("swing", ascending=False, ignore_index=True) if len(table) else table
