"""Replications x policies, in this process or in a pool of worker processes.

Each replication's randomness is keyed by (seed, replication), so the numbers are the same
whatever the number of workers and whatever order replications finish in.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed

import pandas as pd

from sim.replication import ReplicationOutput, simulate_replication
from sim.results import RunResult
from sim.scenario import Scenario

ProgressCallback = Callable[[int, int], None]
"""Called as progress(done, total) after each finished replication."""


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run(scenario: Scenario, replications: int | None = None, seed: int | None = None,
        workers: int = 1, progress: ProgressCallback | None = None) -> RunResult:
    """Simulate every policy for every replication and collect the results as DataFrames."""
    scenario = scenario.with_run(replications=replications, seed=seed)
    n, seed = scenario.run.replications, scenario.run.seed
    started = time.perf_counter()
    outputs = sorted(_outputs(scenario, n, seed, workers, progress), key=lambda o: o.replication)
    reps = pd.DataFrame([row for o in outputs for row in o.metrics])
    daily = pd.concat([o.daily for o in outputs], ignore_index=True)
    tables = {name: pd.concat([o.tables[name] for o in outputs], ignore_index=True) for name in outputs[0].tables}
    return RunResult(scenario, reps, daily, wall_seconds=time.perf_counter() - started, workers=workers,
                     tables=tables)


def _outputs(scenario: Scenario, n: int, seed: int, workers: int,
             progress: ProgressCallback | None) -> Iterator[ReplicationOutput]:
    done = 0
    if workers <= 1 or n == 1:
        for rep in range(n):
            yield simulate_replication(scenario, rep, seed)
            done += 1
            if progress:
                progress(done, n)
        return
    with ProcessPoolExecutor(max_workers=min(workers, n)) as pool:
        futures = [pool.submit(simulate_replication, scenario, rep, seed) for rep in range(n)]
        for future in as_completed(futures):
            yield future.result()
            done += 1
            if progress:
                progress(done, n)
