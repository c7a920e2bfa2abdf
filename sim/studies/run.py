"""What each policy earns: a run of the scenario, saved as it goes, with the policies compared.

`run` and `resume` join the layers for the commonest question: the runner simulates, the
store keeps each finished replication in a run folder (so an interrupted run resumes) and,
with several policies, each is compared with the control.
"""

from __future__ import annotations

import time

from pathlib import Path

from sim.config.scenario import Scenario
from sim.config.variants import derive
from sim.simulation.runner import ProgressCallback, RunStopped, Simulated, default_workers, execute
from sim.simulation.sweep import expand
from sim.store.results import RunResult
from sim.store.run_folder import RunFolder, RunFolderError, finish
from sim.studies.comparison import compare_run


def run(scenario: Scenario, replications: int | None = None, seed: int | None = None,
        workers: int | None = 1, scheduler: str | None = None, progress: ProgressCallback | None = None,
        results_dir: str | Path | None = None, sweep: dict[str, list] | None = None) -> RunResult:
    """Simulate every policy (and sweep point) for every replication.

    workers: local processes (None = all cores); scheduler: a Dask scheduler address or
    'local' for a new LocalCluster (overrides workers). With `results_dir`, each finished
    replication is saved at once in an incomplete run folder that `resume` can finish; the
    folder gets its final name when the run completes (RunResult.folder).
    """
    overrides = {"run.replications": replications, "run.seed": seed}
    scenario = derive(scenario, {k: v for k, v in overrides.items() if v is not None}, "run options")
    workers = default_workers() if workers is None and scheduler is None else workers
    grid = dict(scenario.sweep) | dict(sweep or {})
    points = expand(scenario, sweep)  # every grid point is valid before a folder is made
    manifest = RunResult.base_manifest(scenario, grid, workers, scheduler)
    folder = RunFolder.create(Path(results_dir), scenario, grid, manifest) if results_dir else None
    simulated = execute(scenario, points, folder, workers, scheduler, progress)
    return _result(scenario, simulated, folder, workers, scheduler)


def resume(folder: str | Path, workers: int | None = 1, scheduler: str | None = None,
           progress: ProgressCallback | None = None) -> RunResult:
    """Finish an interrupted run folder without redoing its finished replications."""
    from sim.config.loader import scenario_from_dict

    run_folder = RunFolder.open(Path(folder))
    workers = default_workers() if workers is None and scheduler is None else workers
    scenario = scenario_from_dict(run_folder.scenario_raw(), source=run_folder.path / "scenario.yaml")
    elapsed = float(run_folder.manifest().get("wall_seconds", 0.0))
    simulated = execute(scenario, expand(scenario), run_folder, workers, scheduler, progress, elapsed)
    return _result(scenario, simulated, run_folder, workers, scheduler)


def _result(scenario: Scenario, simulated: Simulated, folder: RunFolder | None, workers: int | None,
            scheduler: str | None) -> RunResult:
    started = time.perf_counter()
    result = RunResult(scenario, simulated.replications, simulated.daily, wall_seconds=simulated.wall_seconds,
                       workers=workers, scheduler=scheduler, tables=simulated.tables, sweep=simulated.sweep)
    if len(scenario.policies) > 1 and scenario.run.replications > 1 and not result.sweep:
        result.comparison = compare_run(result)
    if folder:
        try:
            result.write_into(folder.path, status="incomplete")
            finish(folder.path)
            # The time a person waited: simulation, comparison, tables, charts and report.
            result.wall_seconds += time.perf_counter() - started
            folder.write_manifest({**folder.manifest(), "status": "complete",
                                   "wall_seconds": round(result.wall_seconds, 3)})
            result.folder = folder.complete()
        except OSError as exc:
            keys = [c for c in ("point", "replication") if c in result.replications]
            total = len(result.replications.drop_duplicates(keys))
            cause = RunFolderError(f"cannot write the run's tables or report ({exc.strerror or exc})")
            raise RunStopped(folder.path, total, total, cause) from None
    return result
