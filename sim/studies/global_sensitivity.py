"""`sensitivity`: which inputs drive a policy's result, by global sensitivity analysis (SALib).

The forecast's tornado moves one input at a time around the scenario as given; here every
input moves over its whole range together with the others:

- Morris elementary effects: trajectories on a 4-level grid, each step moving one input by 2/3
  of its range. mu* is the mean absolute change of the metric per step (the metric's units),
  sigma the spread of those changes (large against mu* when the input interacts with others
  or acts non-linearly); mu*_conf is the half-width of a 95 % bootstrap interval of mu*.
- Sobol indices from Saltelli's sample: S1 is the share of the metric's variance over the
  ranges explained by the input alone, ST the share it explains with its interactions; both
  with the half-width of a 95 % bootstrap interval.

The core (`design`, `analyse`, `study`) works on any function of a sample matrix; `sensitivity`
applies it to a scenario, simulating each point for a few replications with the same seed
(common random numbers) and taking the mean of the metric.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.config.scenario import Scenario
from sim.config.variants import raw
from sim.errors import SimError
from sim.store.atomic import atomic_folder
from sim.store.run_folder import finish
from sim.studies.search import Param, check_metric, evaluate, focus, parse_params

METHODS = ("morris", "sobol")
DEFAULT_SAMPLES = {"morris": 10, "sobol": 64}
LEVELS = 4  # Morris grid levels; a step is LEVELS / (2 (LEVELS - 1)) = 2/3 of a range
CONF_LEVEL = 0.95
COLUMNS = {"morris": ("mu_star", "mu_star_conf", "sigma"), "sobol": ("S1", "S1_conf", "ST", "ST_conf")}
RANKED_BY = {"morris": "mu_star", "sobol": "ST"}
Outputs = Callable[[np.ndarray], np.ndarray]


def check_method(method: str, samples: int | None = None) -> int:
    """The base sample count for `method` (its default when None); SimError if either is unusable."""
    if method not in METHODS:
        raise SimError(f"--method {method!r}: expected morris or sobol")
    samples = DEFAULT_SAMPLES[method] if samples is None else samples
    if samples < 2:
        raise SimError(f"--samples {samples}: needs at least 2 ({'trajectories' if method == 'morris' else 'N'})")
    return samples


def point_count(method: str, inputs: int, samples: int) -> int:
    """Points a study simulates: N (D + 1) for Morris, N (D + 2) for Sobol without second order."""
    return samples * (inputs + (1 if method == "morris" else 2))


def problem(names: Sequence[str], bounds: Sequence[tuple[float, float]]) -> dict:
    """SALib's description of the inputs."""
    return {"num_vars": len(names), "names": list(names), "bounds": [list(map(float, b)) for b in bounds]}


def rngs(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Independent generators for the sample and for the bootstrap of the indices."""
    sample, analysis = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(sample), np.random.default_rng(analysis)


def design(method: str, space: dict, samples: int, rng: np.random.Generator) -> np.ndarray:
    """The sample matrix (one row per point, one column per input) from SALib's sampler."""
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(space, samples, num_levels=LEVELS, seed=rng)
    from SALib.sample import sobol

    return sobol.sample(space, samples, calc_second_order=False, seed=rng)


def analyse(method: str, space: dict, x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """SALib's indices of outputs `y` at points `x`: one row per input, the most influential first."""
    if method == "morris":
        from SALib.analyze import morris

        found = morris.analyze(space, x, y, num_levels=LEVELS, conf_level=CONF_LEVEL, seed=rng)
    else:
        from SALib.analyze import sobol

        found = sobol.analyze(space, y, calc_second_order=False, conf_level=CONF_LEVEL, seed=rng)
    bounds = np.asarray(space["bounds"], dtype=float)
    table = pd.DataFrame({"param": space["names"], "low": bounds[:, 0], "high": bounds[:, 1]})
    for column in COLUMNS[method]:
        table[column] = np.asarray(found[column], dtype=float)
    return table.sort_values(RANKED_BY[method], ascending=False, kind="stable").reset_index(drop=True)


def study(method: str, space: dict, outputs: Outputs, samples: int,
          seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Sample the inputs, evaluate `outputs` on the sample matrix, analyse: (indices, x, y)."""
    draw, boot = rngs(seed)
    x = design(method, space, samples, draw)
    y = np.asarray(outputs(x), dtype=float)
    return analyse(method, space, x, y, boot), x, y


@dataclass
class Sensitivity:
    """What `sensitivity` found: the indices, every simulated point and the folder written."""

    scenario: Scenario  # reduced to the policy, with the replications and seed used
    policy: str
    metric: str
    method: str
    samples: int
    params: list[Param]
    indices: pd.DataFrame  # sensitivity.csv
    points: pd.DataFrame  # points.csv: values, replications, mean and se of the metric
    wall_seconds: float = 0.0
    folder: Path | None = None

    @property
    def seed(self) -> int:
        return self.scenario.run.seed

    @property
    def replications(self) -> int:
        return self.scenario.run.replications

    def manifest(self) -> dict:
        return {"scenario": self.scenario.name, "study": "sensitivity", "policy": self.policy,
                "metric": self.metric, "method": self.method, "samples": self.samples, "seed": self.seed,
                "replications": self.replications, "points": len(self.points),
                "params": [{"path": p.path, "low": p.low, "high": p.high, "integer": p.integer} for p in self.params],
                "wall_seconds": round(self.wall_seconds, 3)}

    def write(self, results_dir: str | Path = "results") -> Path:
        """Write <results_dir>/<scenario>-sensitivity-<time>/ whole; its chart is drawn as it is finished."""
        base = Path(results_dir) / f"{self.scenario.name}-sensitivity-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
        final, i = base, 1
        while final.exists():  # two studies within a second
            i += 1
            final = base.with_name(f"{base.name}-{i}")
        with atomic_folder(final) as tmp:
            self.indices.to_csv(tmp / "sensitivity.csv", index=False)
            self.points.to_csv(tmp / "points.csv", index=False)
            (tmp / "scenario.yaml").write_text(yaml.safe_dump(raw(self.scenario), sort_keys=False,
                                                              allow_unicode=True), encoding="utf-8")
            (tmp / "manifest.json").write_text(json.dumps(self.manifest(), indent=2) + "\n", encoding="utf-8")
            finish(tmp)  # draws sensitivity.png (sim.report.study_charts)
        self.folder = final
        return final


def sensitivity(scenario: Scenario, params: Sequence[str | Param], metric: str = "net_profit",
                method: str = "morris", samples: int | None = None, seed: int | None = None,
                replications: int | None = None, policy: str | None = None, workers: int | None = 1,
                scheduler: str | None = None, progress: Callable[[int, int], None] | None = None,
                results_dir: str | Path | None = "results") -> Sensitivity:
    """Morris or Sobol indices of `metric` (per replication, averaged over `replications`) of
    one policy (default: the first) over the ranges of `params` (`PATH=LO:HI[:int]` or Param).

    samples: Morris trajectories or Sobol N (default 10 or 64); seed (default run.seed) seeds
    the simulation and SALib. progress(done, total) counts points. Writes the folder unless
    `results_dir` is None. Every input is checked before anything runs (SimError).
    """
    started = time.perf_counter()
    samples = check_method(method, samples)
    check_metric(metric)
    focused, name = focus(scenario, policy, replications, seed)
    chosen = parse_params([p if isinstance(p, str) else as_text(p) for p in params], focused)
    if results_dir is not None:
        check_results_dir(Path(results_dir))
    reps = focused.run.replications
    total = point_count(method, len(chosen), samples)
    rows: list[pd.DataFrame] = []

    def outputs(x: np.ndarray) -> np.ndarray:
        counted = None if progress is None else (lambda done, _all: progress(done // reps, total))
        try:
            table = evaluate(focused, chosen, x.tolist(), metric, workers, scheduler, counted)
        except KeyError:
            raise SimError(f"--metric {metric}: not recorded for this scenario (is its feature enabled?)") from None
        rows.append(table)
        return table.groupby("point")[metric].mean().reindex(range(len(x))).to_numpy()

    space = problem([p.path for p in chosen], [(p.low, p.high) for p in chosen])
    indices, _, _ = study(method, space, outputs, samples, focused.run.seed)
    result = Sensitivity(focused, name, metric, method, samples, chosen, indices, point_table(rows[0], chosen, metric))
    result.wall_seconds = time.perf_counter() - started
    if results_dir is not None:
        result.write(results_dir)
    return result


def point_table(table: pd.DataFrame, params: Sequence[Param], metric: str) -> pd.DataFrame:
    """One row per point: the values simulated, replications, mean and standard error of the metric."""
    grouped = table.groupby("point", sort=True)
    out = grouped[[p.path for p in params]].first().reset_index()
    values = grouped[metric]
    out["replications"] = values.size().to_numpy()
    out["mean"] = values.mean().to_numpy()
    out["se"] = (values.std(ddof=1) / np.sqrt(values.size())).to_numpy()
    return out


def as_text(param: Param) -> str:
    """A Param as the `PATH=LO:HI[:int]` option that gives it."""
    return f"{param.path}={param.low!r}:{param.high!r}" + (":int" if param.integer else "")


def check_results_dir(results_dir: Path) -> None:
    """SimError if the folder for results is a file (before anything is simulated)."""
    if results_dir.exists() and not results_dir.is_dir():
        raise SimError(f"--results {results_dir}: is a file, not a folder")
