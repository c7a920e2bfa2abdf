"""Replications x policies (x sweep points), on any backend, optionally saved as they finish.

Each replication's randomness is keyed by (seed, replication), so the numbers are the same
whatever the backend, the number of workers and the order replications finish in.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from sim.simulation import backends
from sim.studies.comparison import compare_run
from sim.errors import SimError
from sim.simulation.replication import ReplicationOutput, simulate_replication
from sim.store.results import RunResult
from sim.store.run_folder import RunFolder, finish, part_name
from sim.config.scenario import Scenario
from sim.simulation.sweep import Point, expand

class RunStopped(SimError):
    """A run stopped before the end (interrupted, a replication failed twice, a lost cluster).

    Its finished replications are saved in `folder`, which `resume` completes.
    """

    def __init__(self, folder: Path, done: int, total: int, cause: BaseException):
        self.folder, self.done, self.total = folder, done, total
        self.interrupted = isinstance(cause, KeyboardInterrupt)
        why = "interrupted" if self.interrupted else str(cause)
        super().__init__(f"run stopped ({why}); {done} of {total} replications are saved in {folder}; "
                         f"finish it with: sim run --resume {folder}")


ProgressCallback = Callable[[int, int], None]
"""Called as progress(done, total) as replications finish."""


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run(scenario: Scenario, replications: int | None = None, seed: int | None = None,
        workers: int | None = 1, scheduler: str | None = None, progress: ProgressCallback | None = None,
        results_dir: str | Path | None = None, sweep: dict[str, list] | None = None) -> RunResult:
    """Simulate every policy (and sweep point) for every replication.

    workers: local processes (None = all cores); scheduler: a Dask scheduler address or
    'local' for a new LocalCluster (overrides workers). With `results_dir`, each finished
    replication is saved at once in an incomplete run folder that `resume` can finish; the
    folder gets its final name when the run completes (RunResult.folder).
    """
    scenario = scenario.with_run(replications=replications, seed=seed)
    workers = default_workers() if workers is None and scheduler is None else workers
    points = expand(scenario, sweep)
    grid = _sweep_of(scenario, sweep)
    manifest = RunResult.base_manifest(scenario, grid, workers, scheduler)
    folder = RunFolder.create(Path(results_dir), scenario, grid, manifest) if results_dir else None
    return _execute(scenario, points, folder, workers, scheduler, progress, elapsed=0.0)


def resume(folder: str | Path, workers: int | None = 1, scheduler: str | None = None,
           progress: ProgressCallback | None = None) -> RunResult:
    """Finish an interrupted run folder without redoing its finished replications."""
    from sim.config.loader import scenario_from_dict

    run_folder = RunFolder.open(Path(folder))
    workers = default_workers() if workers is None and scheduler is None else workers
    scenario = scenario_from_dict(run_folder.scenario_raw(), source=run_folder.path / "scenario.yaml")
    elapsed = float(run_folder.manifest().get("wall_seconds", 0.0))
    return _execute(scenario, expand(scenario), run_folder, workers, scheduler, progress, elapsed)


def _sweep_of(scenario: Scenario, sweep: dict | None) -> dict:
    return dict(scenario.sweep) | dict(sweep or {})


def _execute(scenario: Scenario, points: list[Point], folder: RunFolder | None, workers: int | None,
             scheduler: str | None, progress: ProgressCallback | None, elapsed: float) -> RunResult:
    n, seed = scenario.run.replications, scenario.run.seed
    started = time.perf_counter()
    keys = [(p.index, rep) for p in points for rep in range(n)]
    done_parts = folder.finished() if folder else set()
    todo = [k for k in keys if part_name(*k) not in done_parts]
    calls = [(simulate_replication, (points[p].scenario, rep, seed)) for p, rep in todo]

    def describe(i: int) -> str:
        p, rep = todo[i]
        where = f" at sweep point {points[p].values}" if points[p].values else ""
        return (f"replication {rep}{where} (seed {seed}; reproduce with "
                f"sim.simulation.replication.simulate_replication(scenario, {rep}, {seed}))")

    outputs: dict[tuple[int, int], ReplicationOutput] = {}
    done = len(keys) - len(todo)
    if progress:
        progress(done, len(keys))
    try:
        for i, output in backend(calls, describe, workers, scheduler, len(todo)):
            key = todo[i]
            if folder:
                folder.save(key[0], output)
            else:
                outputs[key] = output
            done += 1
            if progress:
                progress(done, len(keys))
    except (KeyboardInterrupt, SimError) as exc:
        if folder is None:
            raise
        folder.write_manifest({**folder.manifest(), "wall_seconds": elapsed + time.perf_counter() - started})
        raise RunStopped(folder.path, done, len(keys), exc) from exc
    if folder:
        outputs = {k: folder.load(*k) for k in keys}
    wall = elapsed + time.perf_counter() - started
    result = _assemble(scenario, points, keys, outputs, wall, workers, scheduler)
    if len(scenario.policies) > 1 and scenario.run.replications > 1 and not result.sweep:
        result.comparison = compare_run(result)
    if folder:
        result.write_into(folder.path)
        finish(folder.path)
        result.folder = folder.complete()
    return result


def backend(calls, describe, workers: int | None, scheduler: str | None, count: int):
    """The backend for `count` tasks: Dask if a scheduler is given, else local processes or serial."""
    if scheduler:
        return backends.dask(calls, describe, scheduler)
    workers = default_workers() if workers is None else workers
    if workers <= 1 or count <= 1:
        return backends.serial(calls, describe)
    return backends.processes(calls, describe, min(workers, count))


def _assemble(scenario: Scenario, points: list[Point], keys: list[tuple[int, int]],
              outputs: dict[tuple[int, int], ReplicationOutput], wall: float, workers, scheduler) -> RunResult:
    """One table of each kind, with the sweep point and swept values as leading columns."""
    swept = list(points[0].values)

    def tag(frame: pd.DataFrame, point: Point) -> pd.DataFrame:
        if not swept:
            return frame
        frame = frame.copy()
        for pos, path in enumerate(["point", *swept]):
            frame.insert(pos, path, point.index if path == "point" else point.values[path])
        return frame

    reps, daily, tables = [], [], {}
    for key in keys:
        out, point = outputs[key], points[key[0]]
        reps.append(tag(pd.DataFrame(out.metrics), point))
        daily.append(tag(out.daily, point))
        for name, table in out.tables.items():
            tables.setdefault(name, []).append(tag(table, point))
    sweep_values = {path: sorted({p.values[path] for p in points}, key=str) for path in swept}
    return RunResult(
        scenario, pd.concat(reps, ignore_index=True), pd.concat(daily, ignore_index=True),
        wall_seconds=wall, workers=workers, scheduler=scheduler,
        tables={k: pd.concat(v, ignore_index=True) for k, v in tables.items()}, sweep=sweep_values,
    )
