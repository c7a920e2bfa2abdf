"""Replications x policies (x sweep points) on any backend, each saved to a sink as it finishes.

Each replication's randomness is keyed by (seed, replication), so the numbers are the same
whatever the backend, the number of workers and the order replications finish in. Where the
replications are kept (a run folder, so a run can resume) is the caller's: the runner only
talks to a `Sink`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pandas as pd

from sim.config.scenario import Scenario
from sim.errors import SimError
from sim.simulation import backends
from sim.simulation.backends import default_workers
from sim.simulation.heap import keep_freed_memory
from sim.simulation.replication import ReplicationOutput, simulate_replication
from sim.simulation.sweep import Point


class RunStopped(SimError):
    """A run stopped before the end (interrupted, a replication failed twice, a lost cluster).

    Its finished work is saved in `folder`, which `resume` completes; studies that resume
    the same way (a search, a sensitivity study) name their command and what they count.
    """

    def __init__(self, folder: Path, done: int, total: int, cause: BaseException, command: str = "run",
                 counted: str = "replications"):
        self.folder, self.done, self.total = folder, done, total
        self.interrupted = isinstance(cause, KeyboardInterrupt)
        why = "interrupted" if self.interrupted else str(cause)
        super().__init__(f"{command} stopped ({why}); {done} of {total} {counted} are saved in {folder}; "
                         f"finish it with: sim {command} --resume {folder}")


class Sink(Protocol):
    """Where finished replications go as they finish (a run folder in progress)."""

    path: Path

    def finished(self) -> set[str]:
        """Part names (`part_name`) already saved, which the run skips."""

    def save(self, point: int, output: ReplicationOutput) -> None: ...

    def load(self, point: int, replication: int) -> ReplicationOutput: ...

    def stopped(self, wall_seconds: float) -> None:
        """The run stops early; remember the time spent so far."""


ProgressCallback = Callable[[int, int], None]
"""Called as progress(done, total) as replications finish."""


def part_name(point: int, replication: int) -> str:
    """The name of one (grid point, replication) in a sink."""
    return f"p{point:04d}-r{replication:06d}"


@dataclass
class Simulated:
    """Every replication of a run, as tables: the sweep point and swept values lead each."""

    replications: pd.DataFrame
    daily: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    sweep: dict[str, list] = field(default_factory=dict)
    wall_seconds: float = 0.0


def execute(scenario: Scenario, points: list[Point], sink: Sink | None = None, workers: int | None = 1,
            scheduler: str | None = None, progress: ProgressCallback | None = None,
            elapsed: float = 0.0) -> Simulated:
    """Simulate every replication of every point not yet in `sink`; return them all.

    workers: local processes (None = all cores); scheduler: a Dask scheduler address or
    'local' for a new LocalCluster (overrides workers). `elapsed` is time already spent
    on this run (a resumed one), in seconds. Raises RunStopped, with what is saved in the
    sink, if the run stops early.
    """
    n, seed = scenario.run.replications, scenario.run.seed
    started = time.perf_counter()
    keys = [(p.index, rep) for p in points for rep in range(n)]
    done_parts = sink.finished() if sink else set()
    todo = [k for k in keys if part_name(*k) not in done_parts]
    calls = [(_replicate, (p, rep, seed)) for p, rep in todo]

    def describe(i: int) -> str:
        p, rep = todo[i]
        where = f" at sweep point {points[p].values}" if points[p].values else ""
        return (f"replication {rep}{where} (seed {seed}; reproduce with "
                f"sim.simulation.replication.simulate_replication(scenario, {rep}, {seed}))")

    outputs: dict[tuple[int, int], ReplicationOutput] = {}
    done = len(keys) - len(todo)
    if progress:
        progress(done, len(keys))
    with keep_freed_memory(max(p.scenario.population.size for p in points)):
        try:
            for i, output in backend(calls, describe, workers, scheduler, len(todo), [p.scenario for p in points]):
                key = todo[i]
                if sink:
                    sink.save(key[0], output)
                else:
                    outputs[key] = output
                done += 1
                if progress:
                    progress(done, len(keys))
        except (KeyboardInterrupt, SimError) as exc:
            if sink is None:
                raise
            sink.stopped(elapsed + time.perf_counter() - started)
            raise RunStopped(sink.path, done, len(keys), exc) from exc
    if sink:
        outputs = {k: sink.load(*k) for k in keys}
    simulated = _assemble(points, keys, outputs)
    simulated.wall_seconds = elapsed + time.perf_counter() - started
    return simulated


def _replicate(scenarios: list[Scenario], point: int, replication: int, seed: int) -> ReplicationOutput:
    """One replication of one grid point; the points' scenarios reach each worker once."""
    return simulate_replication(scenarios[point], replication, seed)


def backend(calls, describe, workers: int | None, scheduler: str | None, count: int, shared=None):
    """The backend for `count` tasks: Dask if a scheduler is given, else local processes or serial.

    With `shared`, each task (fn, args) is called as fn(shared, *args) and `shared` is sent to
    each worker once."""
    if scheduler:
        return backends.dask(calls, describe, scheduler, shared)
    workers = default_workers() if workers is None else workers
    if workers <= 1 or count <= 1:
        return backends.serial(calls, describe, shared)
    return backends.processes(calls, describe, min(workers, count), shared)


def _assemble(points: list[Point], keys: list[tuple[int, int]],
              outputs: dict[tuple[int, int], ReplicationOutput]) -> Simulated:
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
    return Simulated(pd.concat(reps, ignore_index=True), pd.concat(daily, ignore_index=True),
                     {k: pd.concat(v, ignore_index=True) for k, v in tables.items()}, sweep_values)
