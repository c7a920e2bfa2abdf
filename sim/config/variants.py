"""Scenario variants: the one way to change scenario fields and re-validate the result.

Sweeps, forecasts, sensitivity analyses, optimisers and run overrides all change a scenario
through `derive`, so every variant passes the same checks as a scenario file: a variant the
file format would refuse is refused here too, with the changed paths named.

Paths are dotted, as written in the YAML, with list positions as numbers
(`policies.three_waves.waves.1.coupon.discount`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from sim.config.scenario import Scenario
from sim.errors import ScenarioError


def raw(scenario: Scenario) -> dict:
    """The scenario as plain data, in the file's field names."""
    return scenario.model_dump(mode="json", by_alias=True, exclude_none=False)


def derive(scenario: Scenario, changes: Mapping[str, Any], what: str = "variant") -> Scenario:
    """A re-validated copy of `scenario` with each dotted path set to its value.

    Values may be plain data or parts of a scenario (pydantic models). `what` names the
    variant in errors (e.g. "sweep over traffic.conversion"). Raises ScenarioError naming
    the path when it does not exist or the result is not a valid scenario.
    """
    from sim.config.loader import scenario_from_dict

    if scenario.source:
        what = f"{scenario.source} ({what})"
    data = copy.deepcopy(raw(scenario))
    for path, value in changes.items():
        set_path(data, path, _plain(value), what)
    try:
        derived = scenario_from_dict(data, source=what)
    except ScenarioError as exc:
        raise ScenarioError(what, exc.problems) from None
    derived._source = scenario.source
    return derived


def get_path(data: Mapping, path: str) -> Any:
    """The value at a dotted path of plain scenario data."""
    node: Any = data
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def set_path(data: dict, path: str, value: Any, what: str = "variant") -> None:
    """Set a dotted path in plain scenario data; a missing section or list item is an error."""
    parts = path.split(".")
    node: Any = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(parts[:depth]) or "scenario"
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ScenarioError(what, [f"{path}: {where} has no item {part}"])
            key: Any = int(part)
        elif isinstance(node, dict):
            if part not in node and not last:
                raise ScenarioError(what, [f"{path}: {where} has no field {part!r}"])
            key = part
        else:
            raise ScenarioError(what, [f"{path}: {where} is a value, not a section"])
        if last:
            node[key] = value
        else:
            node = node[key]


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=False)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
