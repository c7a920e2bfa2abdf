"""Searching a policy's parameters for the best value of a metric, and confirming the winner.

1. Search: Optuna's TPE sampler (seeded) proposes points in batches; each point is simulated
   for `replications` replications with the scenario's seed, so every point meets the same
   customers (common random numbers) and the sampler compares points, not luck. The value
   told to the sampler is the mean over those replications.
2. Refine: the best few distinct points get three times the replications (the first ones
   are the same worlds again), which re-ranks them on less noise.
3. Confirm: those points become policies of one scenario and Kim and Nelson's sequential
   selection (`sim select`) picks the best, with probability at least 1 - alpha whenever it
   leads by `delta` or more. The winner's interval is the t-interval over its refined
   replications.

The folder written holds trials.csv (one row per evaluated point and stage: parameter
values, replications, mean and standard error), best.yaml (the whole scenario with the
winner's values, ready for `sim run`), manifest.json and the charts and report drawn when it
is finished.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import stats

from sim.analysis.selection import SelectionResult
from sim.config.scenario import Scenario
from sim.config.variants import derive, raw
from sim.errors import SimError
from sim.store.atomic import atomic_folder, mark
from sim.store.run_folder import finish
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
    wall_seconds: float = 0.0
    folder: Path | None = field(default=None)

    def best_scenario(self) -> Scenario:
        """The whole scenario with the winner's values (every policy kept)."""
        return derive(self.scenario, self.best, "best point")


def optimize(scenario: Scenario, params: Sequence[Param], metric: str = "net_profit", policy: str | None = None,
             trials: int = 30, replications: int = 5, seed: int | None = None, delta: float | None = None,
             alpha: float = 0.05, workers: int | None = 1, scheduler: str | None = None,
             progress: Progress | None = None, results_dir: str | Path | None = "results") -> Optimum:
    """Search `params` of `policy` for the best `metric` (see module); write the folder under `results_dir`."""
    import optuna

    check_metric(metric)
    if trials < 4:
        raise SimError(f"--trials {trials}: at least 4 points are needed to search")
    if replications < 2:
        raise SimError(f"--replications {replications}: at least 2 are needed for a standard error")
    started = time.perf_counter()
    focused, policy = focus(scenario, policy, replications, seed)
    larger = not lower_is_better(metric)
    seed = focused.run.seed
    total = trials * replications + REFINE_TOP * REFINE_FACTOR * replications
    done = 0

    def step(count: int) -> Progress:
        def update(k: int, _: int) -> None:
            if progress:
                progress(min(done + k, total), total)
        return update

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed % 2**32, n_startup_trials=max(4, trials // 3))
    study = optuna.create_study(direction="maximize" if larger else "minimize", sampler=sampler)
    rows = []
    while len(study.trials) < trials:
        batch = [study.ask() for _ in range(min(BATCH, trials - len(study.trials)))]
        points = [[_suggest(t, p) for p in params] for t in batch]
        table = evaluate(focused, params, points, metric, workers, scheduler, step(len(points)), len(rows))
        done += len(points) * replications
        for t, (point, group) in zip(batch, table.groupby("point", sort=True)):
            values = group[metric].to_numpy()
            study.tell(t, float(values.mean()))
            rows.append(_row(params, group, metric, point, "search"))
    search = pd.DataFrame(rows)
    finalists = _distinct_best(search, params, larger)
    refined = evaluate(derive(focused, {"run.replications": replications * REFINE_FACTOR}, "refinement"), params,
                       [[f[p.path] for p in params] for f in finalists], metric, workers, scheduler,
                       step(len(finalists)), len(rows))
    done = total
    refined_rows = [_row(params, g, metric, i, "refine") for i, g in refined.groupby("point", sort=True)]
    refined_table = pd.DataFrame(refined_rows)
    selection, winner = _confirm(focused, policy, params, finalists, refined_table, metric, larger, delta, alpha)
    best_rows = refined[refined["point"] == refined_table["point"].iloc[winner]][metric].to_numpy()
    mean, se = float(best_rows.mean()), float(best_rows.std(ddof=1) / np.sqrt(len(best_rows)))
    half = float(stats.t.ppf(1 - alpha / 2, len(best_rows) - 1)) * se
    trials_table = pd.concat([search, refined_table], ignore_index=True)
    result = Optimum(scenario=scenario, policy=policy, metric=metric, params=list(params), trials=trials_table,
                     best=finalists[winner], best_mean=mean, best_low=mean - half, best_high=mean + half,
                     selection=selection, finalists=finalists, larger_is_better=larger,
                     evaluations=int(trials_table["replications"].sum()))
    result.wall_seconds = time.perf_counter() - started
    if results_dir is not None:
        result.folder = write_optimum(result, results_dir)
    return result


def _suggest(trial, p: Param) -> float:
    if p.integer:
        return trial.suggest_int(p.path, int(np.ceil(p.low)), int(np.floor(p.high)))
    return trial.suggest_float(p.path, p.low, p.high)


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


def write_optimum(result: Optimum, results_dir: str | Path) -> Path:
    """The folder `<results_dir>/<scenario>-optimize-<time>/` (atomic), charts and report drawn when finished."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    final = Path(results_dir) / f"{result.scenario.name}-optimize-{stamp}"
    best_raw = raw(result.best_scenario())
    manifest = {"scenario": result.scenario.name, "study": "optimize", "policy": result.policy,
                "metric": result.metric, "larger_is_better": result.larger_is_better,
                "params": [{"path": p.path, "low": p.low, "high": p.high, "integer": p.integer} for p in result.params],
                "best": result.best, "best_mean": result.best_mean, "best_interval": [result.best_low, result.best_high],
                "evaluations": result.evaluations, "wall_seconds": round(result.wall_seconds, 3)}
    if result.selection is not None:
        manifest["selection"] = {"alpha": result.selection.alpha, "delta": result.selection.delta,
                                 "replications": list(result.selection.replications),
                                 "stopped_at_max": result.selection.stopped_at_max}
    Path(results_dir).mkdir(parents=True, exist_ok=True)
    with atomic_folder(final) as tmp:
        mark(tmp, "optimize")
        result.trials.to_csv(tmp / "trials.csv", index=False)
        (tmp / "best.yaml").write_text(yaml.safe_dump(best_raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, default=float), encoding="utf-8")
        finish(tmp)
    return final
