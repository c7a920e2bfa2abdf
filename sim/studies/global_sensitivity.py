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
(common random numbers) and taking the mean of the metric. The points are simulated in
batches saved as they finish, so `resume_sensitivity` completes an interrupted study with the
same result.
"""

from __future__ import annotations

import json
import os
import shutil
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
from sim.simulation.runner import RunStopped
from sim.store.atomic import write_text
from sim.store.run_folder import INCOMPLETE, finish
from sim.studies.search import Param, check_metric, evaluate, focus, parse_params

METHODS = ("morris", "sobol")
DEFAULT_SAMPLES = {"morris": 10, "sobol": 64}
LEVELS = 4  # Morris grid levels; a step is LEVELS / (2 (LEVELS - 1)) = 2/3 of a range
CONF_LEVEL = 0.95
COLUMNS = {"morris": ("mu_star", "mu_star_conf", "sigma"), "sobol": ("S1", "S1_conf", "ST", "ST_conf")}
RANKED_BY = {"morris": "mu_star", "sobol": "ST"}
BATCH = 32  # points simulated between two saves of points.csv
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
        return {"scenario": self.scenario.name, "study": "sensitivity", "status": "complete",
                **settings(self.scenario, self.policy, self.params, self.metric, self.method, self.samples),
                "points": len(self.points), "wall_seconds": round(self.wall_seconds, 3)}

    def write(self, results_dir: str | Path = "results") -> Path:
        """Write <results_dir>/<scenario>-sensitivity-<time>/, named so only once it is whole."""
        self.folder = self.complete(start_folder(Path(results_dir), self.scenario, settings(
            self.scenario, self.policy, self.params, self.metric, self.method, self.samples)))
        return self.folder

    def complete(self, folder: Path) -> Path:
        """Write the tables and manifest into an incomplete folder, draw its chart, drop the suffix."""
        write_text(folder / "sensitivity.csv", self.indices.to_csv(index=False))
        write_text(folder / "points.csv", self.points.to_csv(index=False))
        write_text(folder / "manifest.json", json.dumps(self.manifest(), indent=2) + "\n")
        finish(folder)  # draws sensitivity.png (sim.report.study_charts)
        final = folder.with_name(folder.name.removesuffix(INCOMPLETE))
        os.replace(folder, final)
        return final


class SensitivityStopped(RunStopped):
    """A study stopped before the end; its finished points are saved for `sim sensitivity --resume`."""

    def __init__(self, folder: Path, done: int, total: int, cause: BaseException):
        super().__init__(folder, done, total, cause, "sensitivity", "points")


def sensitivity(scenario: Scenario, params: Sequence[str | Param], metric: str = "net_profit",
                method: str = "morris", samples: int | None = None, seed: int | None = None,
                replications: int | None = None, policy: str | None = None, workers: int | None = 1,
                scheduler: str | None = None, progress: Callable[[int, int], None] | None = None,
                results_dir: str | Path | None = "results",
                _resumed: tuple[Path, pd.DataFrame | None] | None = None) -> Sensitivity:
    """Morris or Sobol indices of `metric` (per replication, averaged over `replications`) of
    one policy (default: the first) over the ranges of `params` (`PATH=LO:HI[:int]` or Param).

    samples: Morris trajectories or Sobol N (default 10 or 64); seed (default run.seed) seeds
    the simulation and SALib. progress(done, total) counts points. Every input is checked
    before anything runs (SimError). Unless `results_dir` is None the folder is
    `<scenario>-sensitivity-<time>.incomplete/` while the points are simulated, with every
    finished batch in points.csv, so `resume_sensitivity` can finish it after an interruption.
    """
    started = time.perf_counter()
    samples = check_method(method, samples)
    check_metric(metric)
    focused, name = focus(scenario, policy, replications, seed)
    chosen = parse_params([p if isinstance(p, str) else as_text(p) for p in params], focused)
    space = problem([p.path for p in chosen], [(p.low, p.high) for p in chosen])
    total = point_count(method, len(chosen), samples)
    folder, saved = _resumed if _resumed else (None, None)
    tables = [] if saved is None or saved.empty else [saved]
    if saved is not None:
        _check_saved(saved, chosen, design(method, space, samples, rngs(focused.run.seed)[0]), folder)
    elif results_dir is not None:
        check_results_dir(Path(results_dir))
        folder = start_folder(Path(results_dir), focused, settings(focused, name, chosen, metric, method, samples))

    def outputs(x: np.ndarray) -> np.ndarray:
        return _simulate(focused, chosen, x, metric, tables, folder, workers, scheduler, progress)["mean"].to_numpy()

    try:
        indices, _, _ = study(method, space, outputs, samples, focused.run.seed)
    except KeyError:  # from evaluate: every batch records the same metrics, so nothing is saved
        if folder is not None and _resumed is None:
            shutil.rmtree(folder, ignore_errors=True)
        raise SimError(f"--metric {metric}: not recorded for this scenario (is its feature enabled?)") from None
    except (KeyboardInterrupt, SimError) as exc:
        if folder is None:
            raise
        raise SensitivityStopped(folder, sum(len(t) for t in tables), total, exc) from exc
    result = Sensitivity(focused, name, metric, method, samples, chosen, indices, pd.concat(tables, ignore_index=True))
    result.wall_seconds = time.perf_counter() - started
    if folder is not None:
        try:
            result.folder = result.complete(folder)
        except (KeyboardInterrupt, SimError) as exc:
            raise SensitivityStopped(folder, total, total, exc) from exc
    return result


def _simulate(focused: Scenario, params: Sequence[Param], x: np.ndarray, metric: str, tables: list[pd.DataFrame],
              folder: Path | None, workers, scheduler, progress) -> pd.DataFrame:
    """The point table of design `x`: the points in `tables` kept, the rest simulated BATCH at a time.

    Points are simulated in the design's order, so those saved are always its first rows;
    each batch is appended to `tables` and to the folder's points.csv as soon as it is done.
    """
    reps, total = focused.run.replications, len(x)
    done = sum(len(t) for t in tables)
    while done < total:
        batch = x[done:done + BATCH]
        counted = None if progress is None else (lambda k, _all, at=done: progress(at + k // reps, total))
        table = evaluate(focused, params, batch.tolist(), metric, workers, scheduler, counted, done)
        tables.append(point_table(table, params, metric))
        done += len(batch)
        if folder is not None:
            write_text(folder / "points.csv", pd.concat(tables, ignore_index=True).to_csv(index=False))
    return pd.concat(tables, ignore_index=True)


def settings(scenario: Scenario, policy: str, params: Sequence[Param], metric: str, method: str,
             samples: int) -> dict:
    """What re-creates a study's design and simulations: saved in its manifest."""
    return {"policy": policy, "metric": metric, "method": method, "samples": samples,
            "seed": scenario.run.seed, "replications": scenario.run.replications,
            "params": [{"path": p.path, "low": p.low, "high": p.high, "integer": p.integer} for p in params]}


def start_folder(results_dir: Path, scenario: Scenario, chosen: dict) -> Path:
    """A new `<scenario>-sensitivity-<time>.incomplete/` with the scenario and the study's settings."""
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    name, i = f"{scenario.name}-sensitivity-{stamp}", 1
    while (results_dir / name).exists() or (results_dir / f"{name}{INCOMPLETE}").exists():
        i += 1  # two studies within a second
        name = f"{scenario.name}-sensitivity-{stamp}-{i}"
    folder = results_dir / f"{name}{INCOMPLETE}"
    folder.mkdir()
    write_text(folder / "scenario.yaml", yaml.safe_dump(raw(scenario), sort_keys=False, allow_unicode=True))
    write_text(folder / "manifest.json", json.dumps({"scenario": scenario.name, "study": "sensitivity",
                                                      "status": "incomplete", "settings": chosen}, indent=2) + "\n")
    return folder


def read_interrupted(folder: str | Path) -> tuple[Scenario, dict]:
    """The scenario and settings of an interrupted study's folder; SimError if it is not one."""
    from sim.config.loader import scenario_from_dict

    folder = Path(folder)
    if not folder.is_dir():
        raise SimError(f"{folder}: no such folder")
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        text = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        raise SimError(f"{folder}: not an interrupted sensitivity folder (no readable manifest.json and "
                       "scenario.yaml)") from None
    manifest = manifest if isinstance(manifest, dict) else {}
    renamed = not folder.name.endswith(INCOMPLETE)  # a complete manifest in a .incomplete folder: stopped at the end
    if manifest.get("study") != "sensitivity" or manifest.get("status") not in ("incomplete", "complete") \
            or manifest.get("status") == "complete" and renamed:
        raise SimError(f"{folder}: not an interrupted sensitivity folder"
                       + (" (it is complete)" if manifest.get("status") == "complete" else ""))
    chosen = manifest.get("settings", manifest)  # a complete manifest holds the settings at its top
    return scenario_from_dict(text, source=folder / "scenario.yaml"), chosen


def resume_sensitivity(folder: str | Path, workers: int | None = 1, scheduler: str | None = None,
                       progress: Callable[[int, int], None] | None = None) -> Sensitivity:
    """Finish an interrupted study: the same design from its saved settings, only the missing points simulated."""
    folder = Path(folder)
    scenario, chosen = read_interrupted(folder)
    saved = folder / "points.csv"
    try:
        params = [Param(**p) for p in chosen["params"]]
        args = [chosen[key] for key in ("metric", "method", "samples", "seed", "replications", "policy")]
        points = pd.read_csv(saved) if saved.is_file() else None
    except (KeyError, TypeError, ValueError, pd.errors.ParserError):
        raise SimError(f"{folder}: its manifest.json or points.csv is damaged; it cannot be resumed") from None
    return sensitivity(scenario, params, *args, workers=workers, scheduler=scheduler, progress=progress,
                       results_dir=None, _resumed=(folder, points))


def _check_saved(saved: pd.DataFrame, params: Sequence[Param], x: np.ndarray, folder: Path) -> None:
    """SimError unless the saved points are the first points of the design the settings give."""
    columns = [p.path for p in params]
    ok = len(saved) <= len(x) and set(columns) <= set(saved.columns)
    if ok and len(saved):
        expected = np.array([[p.value(v) for p, v in zip(params, row)] for row in x[:len(saved)]], dtype=float)
        ok = np.allclose(saved[columns].to_numpy(dtype=float), expected, rtol=1e-12, atol=0)
    if not ok:
        raise SimError(f"{folder}: its points.csv does not match the settings in its manifest.json")


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
