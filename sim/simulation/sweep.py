"""Parameter sweeps: a grid of scenario variants from `sweep:` or `--set path=v1,v2`.

A sweep maps dotted field paths (as written in the YAML, with list positions as numbers, e.g.
`policies.three_waves.waves.1.coupon.discount`) to the values to try. The grid is their
cartesian product; every point is validated like a scenario file of its own.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import yaml

from sim.errors import ScenarioError
from sim.config.scenario import Scenario
from sim.config.limits import MAX_SWEEP_POINTS
from sim.config.variants import derive


@dataclass(frozen=True)
class Point:
    """One grid point: its number, the swept values, and the scenario they make."""

    index: int
    values: dict[str, Any]
    scenario: Scenario


def parse_sets(items: list[str]) -> dict[str, list[Any]]:
    """Read `path=v1,v2,...` options; values are parsed as YAML scalars (numbers, true, text)."""
    sweep: dict[str, list[Any]] = {}
    for item in items:
        path, sep, values = item.partition("=")
        if not sep or not path.strip() or not values.strip():
            raise ScenarioError("--set", [f"{item!r}: expected PATH=VALUE[,VALUE...], e.g. population.size=1000,2000"])
        sweep[path.strip()] = [yaml.safe_load(v) for v in values.split(",")]
    return sweep


def expand(scenario: Scenario, sweep: dict[str, list[Any]] | None = None) -> list[Point]:
    """The grid of scenario variants; a scenario without a sweep is a grid of one point."""
    sweep = dict(scenario.sweep) | dict(sweep or {})
    if not sweep:
        return [Point(0, {}, scenario.model_copy(update={"sweep": {}}))]
    paths = list(sweep)
    what = f"sweep over {', '.join(paths)}"
    where = f"{scenario.source} ({what})" if scenario.source else what
    points = math.prod(len(v) for v in sweep.values())
    if points > MAX_SWEEP_POINTS:
        raise ScenarioError(where, [f"{points:,} grid points is beyond the limit of {MAX_SWEEP_POINTS:,}; "
                                   "sweep fewer values or split the grid into several runs"])
    return [Point(i, dict(zip(paths, combo)), derive(scenario, {"sweep": {}, **dict(zip(paths, combo))}, what))
            for i, combo in enumerate(itertools.product(*(sweep[p] for p in paths)))]
