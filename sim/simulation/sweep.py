"""Parameter sweeps: a grid of scenario variants from `sweep:` or `--set path=v1,v2`.

A sweep maps dotted field paths (as written in the YAML, with list positions as numbers, e.g.
`policies.three_waves.waves.1.coupon.discount`) to the values to try. The grid is their
cartesian product; every point is validated like a scenario file of its own.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import yaml

from sim.errors import ScenarioError
from sim.config.scenario import Scenario


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
    base = scenario.model_dump(mode="json", by_alias=True, exclude_none=False)
    base["sweep"] = {}
    if not sweep:
        return [Point(0, {}, scenario.model_copy(update={"sweep": {}}))]
    paths = list(sweep)
    points = []
    for i, combo in enumerate(itertools.product(*(sweep[p] for p in paths))):
        raw = yaml.safe_load(yaml.safe_dump(base))  # a deep copy of plain data
        for path, value in zip(paths, combo):
            _set(raw, path, value)
        points.append(Point(i, dict(zip(paths, combo)), _validate(raw, paths)))
    return points


def _set(raw: dict, path: str, value: Any) -> None:
    parts = path.split(".")
    node: Any = raw
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ScenarioError("sweep", [f"{path}: {'.'.join(parts[:depth]) or 'scenario'} has no item {part}"])
            key: Any = int(part)
        elif isinstance(node, dict):
            if part not in node and not last:
                raise ScenarioError("sweep", [f"{path}: {'.'.join(parts[:depth]) or 'scenario'} has no field {part!r}"])
            key = part
        else:
            raise ScenarioError("sweep", [f"{path}: {'.'.join(parts[:depth])} is a value, not a section"])
        if last:
            node[key] = value
        else:
            node = node[key]


def _validate(raw: dict, paths: list[str]) -> Scenario:
    from sim.config.loader import scenario_from_dict

    try:
        return scenario_from_dict(raw, source="sweep")
    except ScenarioError as exc:
        raise ScenarioError(f"sweep over {', '.join(paths)}", exc.problems) from None
