"""A search space over scenario fields, and its points simulated with common random numbers.

`sim optimize` and `sim sensitivity` both take `--param PATH=LO:HI[:int]`: a dotted field path
as `sim sweep --set` takes it, a range, and `int` for whole numbers (a wave's day or hour).
Every path must hold a number in the scenario, the range must be increasing, and the scenario
must be valid at both ends; these are checked before anything runs. Points are simulated
through the runner with the scenario's seed, so every point of a study meets the same
customers in each replication and differences between points reflect the parameters, not
the noise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.config.scenario import Scenario
from sim.config.variants import derive, get_path, raw
from sim.errors import ScenarioError, SimError
from sim.simulation.runner import execute
from sim.simulation.sweep import Point
from sim.vocabulary import METRICS

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Param:
    """One searched field: its dotted path, its range [low, high] and whether it is whole."""

    path: str
    low: float
    high: float
    integer: bool = False

    def value(self, x: float) -> float | int:
        """A value of the range as the field takes it (whole numbers rounded)."""
        return int(round(x)) if self.integer else float(x)


def parse_params(items: Sequence[str], scenario: Scenario) -> list[Param]:
    """Read `PATH=LO:HI[:int]` options and check them against `scenario` (ScenarioError otherwise)."""
    if not items:
        raise ScenarioError("--param", ["give at least one --param PATH=LO:HI, e.g. "
                                        "policies.three_waves.waves.1.coupon.discount=10:50"])
    params, data = [], raw(scenario)
    for item in items:
        path, sep, rng = item.partition("=")
        parts = rng.split(":")
        if not sep or not path.strip() or len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "int"):
            raise ScenarioError("--param", [f"{item!r}: expected PATH=LO:HI or PATH=LO:HI:int"])
        try:
            low, high = float(parts[0]), float(parts[1])
        except ValueError:
            raise ScenarioError("--param", [f"{item!r}: LO and HI must be numbers"]) from None
        path = path.strip()
        if not np.isfinite([low, high]).all() or low >= high:
            raise ScenarioError("--param", [f"{item!r}: the range must have LO < HI (got {low:g} and {high:g})"])
        try:
            current = get_path(data, path)
        except (KeyError, IndexError, ValueError, TypeError):
            raise ScenarioError("--param", [f"{item!r}: the scenario has no field {path}"]) from None
        if isinstance(current, bool) or not isinstance(current, (int, float)):
            raise ScenarioError("--param", [f"{item!r}: {path} is {current!r}, not a number; only numeric "
                                            "fields can be searched"])
        param = Param(path, low, high, len(parts) == 3)
        for end in (low, high):
            derive(scenario, {path: param.value(end)}, f"--param {path}={param.value(end)}")
        params.append(param)
    if len({p.path for p in params}) < len(params):
        raise ScenarioError("--param", ["a path is given twice"])
    return params


def focus(scenario: Scenario, policy: str | None, replications: int | None = None,
          seed: int | None = None) -> tuple[Scenario, str]:
    """The scenario reduced to the one policy studied (the first if None), with run settings applied."""
    names = list(scenario.policies)
    policy = names[0] if policy is None else policy
    if policy not in scenario.policies:
        raise SimError(f"--policy {policy!r}: not a policy of the scenario; expected one of {', '.join(names)}")
    changes = {"policies": {policy: scenario.policies[policy]}, "sweep": {}}
    if replications is not None:
        changes["run.replications"] = replications
    if seed is not None:
        changes["run.seed"] = seed
    return derive(scenario, changes, f"study of {policy}"), policy


def check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise SimError(f"--metric {metric!r}: not a recorded metric; expected one of {', '.join(sorted(METRICS))}")


def evaluate(scenario: Scenario, params: Sequence[Param], points: Sequence[Sequence[float]], metric: str,
             workers: int | None = 1, scheduler: str | None = None, progress: Progress | None = None,
             first_index: int = 0) -> pd.DataFrame:
    """Simulate each point (one value per param) for the scenario's replications.

    Returns one row per point and replication: `point` (numbered from `first_index`), the
    parameter values, `replication` and the metric.
    """
    made = []
    for i, x in enumerate(points):
        values = {p.path: p.value(v) for p, v in zip(params, x)}
        made.append(Point(i, values, derive(scenario, values, "point " + ", ".join(f"{k}={v}" for k, v in values.items()))))
    table = execute(scenario, made, None, workers, scheduler, progress).replications
    out = pd.DataFrame({"point": (table["point"].to_numpy() if "point" in table else 0) + first_index},
                       index=table.index)
    for p in params:
        out[p.path] = table[p.path].to_numpy() if p.path in table else made[0].values[p.path]
    out["replication"] = table["replication"].to_numpy()
    out[metric] = table[metric].to_numpy(dtype=float)
    return out
