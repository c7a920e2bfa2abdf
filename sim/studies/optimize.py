"""Searching a policy's parameters for the best value of a metric, and confirming the winner.

1. Search: Optuna's TPE sampler (seeded) proposes points in batches; each point is simulated
   for `replications` replications with the scenario's seed, so every point meets the same
   customers (common random numbers) and the sampler compares points, not luck. The value
   told to the sampler is the mean over those replications.
2. Refine: the best few distinct points, and the scenario's current values, get three times
   the replications (the first ones are the same worlds again), which re-ranks them on less
   noise.
3. Confirm: those points become policies of one scenario and Kim and Nelson's sequential
   selection (`sim select`) picks the best, with probability at least 1 - alpha whenever it
   leads by `delta` or more; the current values may win, which says "keep them". The
   winner's interval is the t-interval over its refined replications, and its gain over the
   current values a paired t-interval over the same replications.

The folder written holds trials.csv (one row per evaluated point and stage: parameter
values, replications, mean and standard error), best.yaml (the whole scenario with the
winner's values, ready for `sim run`), manifest.json and the charts and report drawn when it
is finished.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from sim.analysis.selection import SelectionResult
from sim.config.scenario import Scenario
from sim.config.variants import derive, get_path, raw
from sim.errors import SimError
from sim.simulation.runner import RunStopped
from sim.store.atomic import mark, write_text
from sim.store.run_folder import INCOMPLETE, finish, incomplete_folder
from sim.studies.experiment import select_best
from sim.studies.search import Param, Progress, check_metric, evaluate, focus
from sim.studies.comparison import lower_is_better

REFINE_TOP = 5
REFINE_FACTOR = 3
BATCH = 4


@dataclass
class Optimum:
    """The search, the refined finalists and the confirmed winner."""

    scenario: Scenario
    policy: str
    metric: str
    params: list[Param]
    trials: pd.DataFrame
    best: dict[str, float | int]
    best_mean: float
    best_low: float
    best_high: float
    selection: SelectionResult | None
    finalists: list[dict[str, float | int]]
    larger_is_better: bool
    evaluations: int
    current: dict[str, float | int] = field(default_factory=dict)
    gain: tuple[float, float, float] = (float("nan"),) * 3  # best - current: mean, 95 % low, high
    wall_seconds: float = 0.0
    folder: Path | None = field(default=None)

    def best_scenario(self) -> Scenario:
        """The whole scenario with the winner's values (every policy kept)."""
        return derive(self.scenario, self.best, "best point")


def optimize(scenario: Scenario, params: Sequence[Param], metric: str = "net_profit", policy: str | None = None,
             trials: int = 30, replications: int = 5, seed: int | None = None, delta: float | None = None,
             alpha: float = 0.05, workers: int | None = 1, scheduler: str | None = None,
             progress: Progress | None = None, results_dir: str | Path | None = "results",
             _resumed: tuple[Path, pd.DataFrame] | None = None) -> Optimum:
    """Search `params` of `policy` for the best `metric` (see module); write the folder under `results_dir`.

    The folder is `<scenario>-optimize-<time>.incomplete/` while the search runs, with every
    finished batch of points in trials.csv; `resume_optimize` finishes an interrupted one
    with the same result as an uninterrupted search.
    """
    check_metric(metric)
    if trials < 4:
        raise SimError(f"--trials {trials}: at least 4 points are needed to search")
    if replications < 2:
        raise SimError(f"--replications {replications}: at least 2 are needed for a standard error")
    started = time.perf_counter()
    focused, policy = focus(scenario, policy, replications, seed)
    larger = not lower_is_better(metric)
    settings = {"policy": policy, "metric": metric, "trials": trials, "replications": replications,
                "seed": focused.run.seed, "delta": delta, "alpha": alpha,
                "params": [{"path": p.path, "low": p.low, "high": p.high, "integer": p.integer} for p in params]}
    folder, rows = (_resumed[0], _resumed[1].to_dict("records")) if _resumed else (None, [])
    if folder is None and results_dir is not None:
        folder = _start_folder(Path(results_dir), scenario, settings)
    total = trials * replications + REFINE_TOP * REFINE_FACTOR * replications

    def after(offset: int) -> Progress:
        """Progress of one batch, counted in replications after the `offset` already done."""
        return lambda k, _: progress(min(offset + k, total), total) if progress else None

    try:
        rows = _search(focused, params, metric, trials, larger, rows, workers, scheduler, after, folder)
        search = pd.DataFrame(rows)
        finalists = _distinct_best(search, params, larger)
        current = {p.path: p.value(get_path(raw(focused), p.path)) for p in params}
        if current not in finalists:
            finalists.append(current)
        refined = evaluate(derive(focused, {"run.replications": replications * REFINE_FACTOR}, "refinement"),
                           params, [[f[p.path] for p in params] for f in finalists], metric, workers, scheduler,
                           after(trials * replications), len(rows))
    except (KeyboardInterrupt, SimError) as exc:
        if folder is None or isinstance(exc, SearchStopped):
            raise
        raise SearchStopped(folder, len(rows), trials, exc) from exc
    refined_table = pd.DataFrame([_row(params, g, metric, i, "current" if f == current else "refine")
                                  for f, (i, g) in zip(finalists, refined.groupby("point", sort=True))])
    selection, winner = _confirm(focused, policy, params, finalists, refined_table, metric, larger, delta, alpha)
    best_rows = refined[refined["point"] == refined_table["point"].iloc[winner]][metric].to_numpy()
    mean, se = float(best_rows.mean()), float(best_rows.std(ddof=1) / np.sqrt(len(best_rows)))
    t_value = float(stats.t.ppf(1 - alpha / 2, len(best_rows) - 1))
    half = t_value * se
    now = refined[refined["point"] == refined_table["point"].iloc[finalists.index(current)]][metric].to_numpy()
    paired = best_rows - now  # the same replications: the same customers
    gain_half = t_value * float(paired.std(ddof=1) / np.sqrt(len(paired)))
    trials_table = pd.concat([search, refined_table], ignore_index=True)
    result = Optimum(scenario=scenario, policy=policy, metric=metric, params=list(params), trials=trials_table,
                     best=finalists[winner], best_mean=mean, best_low=mean - half, best_high=mean + half,
                     selection=selection, finalists=finalists, larger_is_better=larger,
                     evaluations=int(trials_table["replications"].sum()), current=current,
                     gain=(float(paired.mean()), float(paired.mean()) - gain_half, float(paired.mean()) + gain_half))
    result.wall_seconds = time.perf_counter() - started
    if folder is not None:
        result.folder = complete_optimum(result, folder)
    return result


class SearchStopped(RunStopped):
    """A search stopped before the end; its finished points are saved for `sim optimize --resume`."""

    def __init__(self, folder: Path, done: int, total: int, cause: BaseException):
        super().__init__(folder, done, total, cause, "optimize", "points")


def _search(focused: Scenario, params: Sequence[Param], metric: str, trials: int, larger: bool, rows: list[dict],
            workers, scheduler, after, folder: Path | None) -> list[dict]:
    """Tell Optuna the points already evaluated, then ask, simulate and tell in batches until `trials`.

    The sampler is re-seeded from (seed, points so far) before each batch, so a resumed search
    proposes exactly the points an uninterrupted one would have.
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    seed = focused.run.seed
    study = optuna.create_study(direction="maximize" if larger else "minimize")
    dists = {p.path: _distribution(p) for p in params}
    for row in rows:
        study.add_trial(optuna.trial.create_trial(params={p.path: _native(p, row[p.path]) for p in params},
                                                  distributions=dists, value=float(row["mean"])))
    while len(study.trials) < trials:
        state = np.random.SeedSequence([seed, len(study.trials)]).generate_state(1)[0]
        study.sampler = optuna.samplers.TPESampler(seed=int(state), n_startup_trials=max(4, trials // 3))
        batch = [study.ask(dists) for _ in range(min(BATCH, trials - len(study.trials)))]
        points = [[t.params[p.path] for p in params] for t in batch]
        table = evaluate(focused, params, points, metric, workers, scheduler,
                         after(len(rows) * focused.run.replications), len(rows))
        for t, (point, group) in zip(batch, table.groupby("point", sort=True)):
            study.tell(t, float(group[metric].mean()))
            rows.append(_row(params, group, metric, point, "search"))
        if folder is not None:
            write_text(folder / "trials.csv", pd.DataFrame(rows).to_csv(index=False))
    return rows


def _distribution(p: Param):
    import optuna

    if p.integer:
        return optuna.distributions.IntDistribution(int(np.ceil(p.low)), int(np.floor(p.high)))
    return optuna.distributions.FloatDistribution(p.low, p.high)


def _native(p: Param, value) -> float | int:
    return int(value) if p.integer else float(value)


def _row(params: Sequence[Param], group: pd.DataFrame, metric: str, point: int, stage: str) -> dict:
    values = group[metric].to_numpy(dtype=float)
    return {"point": int(point), "stage": stage, **{p.path: group[p.path].iloc[0] for p in params},
            "replications": len(values), "mean": float(values.mean()),
            "se": float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else float("nan")}


def _distinct_best(search: pd.DataFrame, params: Sequence[Param], larger: bool) -> list[dict]:
    paths = [p.path for p in params]
    ranked = search.sort_values("mean", ascending=not larger).drop_duplicates(paths)
    return [{p.path: p.value(row[p.path]) for p in params} for _, row in ranked.head(REFINE_TOP).iterrows()]


def _confirm(focused: Scenario, policy: str, params, finalists: list[dict], refined: pd.DataFrame, metric: str,
             larger: bool, delta: float | None, alpha: float) -> tuple[SelectionResult | None, int]:
    """Kim-Nelson among the finalists; without two finalists, the refined best."""
    order = np.argsort(-refined["mean"].to_numpy() if larger else refined["mean"].to_numpy(), kind="stable")
    if len(finalists) < 2:
        return None, int(order[0])
    if delta is None:
        delta = max(float(refined["se"].max()), 1e-9)
    candidates = {f"point_{i}": derive(focused, values, f"finalist {i}").policies[policy]
                  for i, values in enumerate(finalists)}
    confirm = derive(focused, {"policies": candidates}, "finalists")
    result, names = select_best(confirm, metric, delta, alpha, n0=max(5, int(refined["replications"].min() // 3)),
                                max_replications=200, larger_is_better=larger)
    return result, int(result.best)  # finalists and policies share their order


def _start_folder(results_dir: Path, scenario: Scenario, settings: dict) -> Path:
    """A new `<scenario>-optimize-<time>.incomplete/` with the scenario and the search's settings."""
    folder = incomplete_folder(results_dir, f"{scenario.name}-optimize")
    folder.mkdir()
    mark(folder, "optimize")
    write_text(folder / "scenario.yaml", yaml.safe_dump(raw(scenario), sort_keys=False, allow_unicode=True))
    write_text(folder / "manifest.json", json.dumps({"scenario": scenario.name, "study": "optimize",
                                                      "status": "incomplete", "settings": settings}, indent=2))
    return folder


def resume_optimize(folder: str | Path, workers: int | None = 1, scheduler: str | None = None,
                    progress: Progress | None = None) -> Optimum:
    """Finish an interrupted search without re-simulating its saved points."""
    from sim.config.loader import scenario_from_dict
    from sim.studies.search import Param as _Param

    folder = Path(folder)
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        scenario = scenario_from_dict(yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8")),
                                      source=folder / "scenario.yaml")
    except (OSError, ValueError, yaml.YAMLError):
        raise SimError(f"{folder}: not an interrupted optimize folder (no readable manifest.json and "
                       "scenario.yaml)") from None
    if manifest.get("study") != "optimize" or manifest.get("status") != "incomplete":
        raise SimError(f"{folder}: not an interrupted optimize folder"
                       + (" (it is complete)" if manifest.get("status") == "complete" else ""))
    settings = manifest["settings"]
    params = [_Param(**p) for p in settings["params"]]
    saved = folder / "trials.csv"
    rows = pd.read_csv(saved) if saved.is_file() else pd.DataFrame()
    return optimize(scenario, params, settings["metric"], settings["policy"], settings["trials"],
                    settings["replications"], settings["seed"], settings["delta"], settings["alpha"], workers,
                    scheduler, progress, None, _resumed=(folder, rows))


def complete_optimum(result: Optimum, folder: Path) -> Path:
    """Write the search's tables and best.yaml, draw the report, then drop the .incomplete suffix."""
    best_raw = raw(result.best_scenario())
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest.update({"status": "complete", "policy": result.policy, "metric": result.metric,
                     "larger_is_better": result.larger_is_better, "params": manifest["settings"]["params"],
                     "best": result.best, "best_mean": result.best_mean,
                     "best_interval": [result.best_low, result.best_high], "evaluations": result.evaluations,
                     "current": result.current, "gain_over_current": list(result.gain),
                     "wall_seconds": round(result.wall_seconds, 3)})
    if result.selection is not None:
        manifest["selection"] = {"alpha": result.selection.alpha, "delta": result.selection.delta,
                                 "replications": list(result.selection.replications),
                                 "stopped_at_max": result.selection.stopped_at_max}
    write_text(folder / "trials.csv", result.trials.to_csv(index=False))
    write_text(folder / "best.yaml", yaml.safe_dump(best_raw, sort_keys=False, allow_unicode=True))
    write_text(folder / "manifest.json", json.dumps(manifest, indent=2, default=float))
    finish(folder)
    final = folder.with_name(folder.name.removesuffix(INCOMPLETE))
    os.replace(folder, final)
    return final
