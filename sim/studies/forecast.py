"""`forecast`: event-day GMV against a target, what it takes to reach it, the KPI plan,
sensitivity and an optional backtest, written as a forecast folder.

The event-day figures and their decomposition are defined in `sim.forecast.event_day`;
quantiles and the target chance in `sim.forecast.decomposition`; the re-simulated search for
the needed traffic, conversion and order value in `sim.forecast.levers`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.forecast.backtest import Backtest, backtest as run_backtest, read_actuals
from sim.forecast.decomposition import TargetChance, event_outcomes, quantiles, summary_rows, target_chance
from sim.forecast.kpi import kpi_plan
from sim.forecast.levers import LEVERS, MAX_RUNS, UNITS, Requirement, proportional, search
from sim.forecast.sensitivity import main_inputs, tornado
from sim.store.results import RunResult
from sim.studies.run import run
from sim.config.scenario import Scenario
from sim.config.variants import derive

Progress = Callable[[int, int], None]


@dataclass
class Forecast:
    """What `forecast` found; `table()` is forecast.csv and `write()` the forecast folder."""

    scenario: Scenario
    policy: str
    outcomes: pd.DataFrame  # per replication: traffic, conversion, aov, gmv, ... (event day)
    plan: pd.DataFrame
    target: float | None = None
    probability: float = 0.8
    chance: TargetChance | None = None
    required: list[Requirement] = field(default_factory=list)  # traffic, conversion, aov (sim.forecast.levers)
    resimulated: bool = False  # required found by re-simulation, not assumed proportional
    tornado: pd.DataFrame | None = None
    baseline_gmv: float = float("nan")  # mean event-day GMV, yuan
    backtest: Backtest | None = None
    run: RunResult | None = None  # the base run the forecast is read from

    def gmv_quantiles(self) -> np.ndarray:
        return quantiles(self.outcomes["gmv"])

    def table(self) -> pd.DataFrame:
        """Quantiles of GMV and its decomposition (with intervals), target chance, needed levers."""
        rows = summary_rows(self.outcomes).to_dict("records")
        if self.chance is not None:
            c = self.chance
            rows.append({"section": "target", "quantity": "target", "unit": "yuan", "value": c.target})
            rows.append({"section": "target", "quantity": "probability", "unit": "share of replications",
                         "value": c.probability, "ci_low": c.ci_low, "ci_high": c.ci_high, "note": c.method})
        section = f"required_at_p{self.probability * 100:.0f}"
        for r in self.required:
            note = r.note or (f"{r.input} x scale, re-simulated alone: {len(self.outcomes)} replications a run, "
                              f"same seed, {r.runs} run(s); value: the lever's P50 there; achieved: that run's "
                              "share reaching the target (Wilson 95 %)")
            rows.append({"section": section, "quantity": r.lever, "unit": UNITS[r.lever], "value": r.needed,
                         "p50": r.current, "scale": r.scale, "input": r.input, "input_value": r.input_value,
                         "achieved": r.achieved, "achieved_low": r.achieved_low, "achieved_high": r.achieved_high,
                         "feasible": r.feasible, "reason": r.reason, "runs": r.runs, "gmv_ratio": r.gmv_ratio,
                         "note": note})
        return pd.DataFrame(rows)

    def write(self, results_dir: str | Path = "results") -> Path:
        """Write results/<scenario>-forecast-<timestamp>/: the base run's folder plus the forecast files
        (their charts are drawn as the folder is finished)."""
        return self.run.write(results_dir, label="forecast", extras=self._write_files)

    def _write_files(self, folder: Path) -> None:
        self.table().to_csv(folder / "forecast.csv", index=False)
        self.outcomes.to_csv(folder / "event_day.csv", index=False)
        self.plan.to_csv(folder / "kpi_plan.csv", index=False)
        if self.tornado is not None and len(self.tornado):
            self.tornado.assign(baseline_gmv=self.baseline_gmv).to_csv(folder / "sensitivity.csv", index=False)
        if self.backtest is not None:
            self.backtest.days.to_csv(folder / "backtest.csv", index=False)


def one_policy(scenario: Scenario, policy: str | None = None) -> tuple[Scenario, str]:
    """The scenario reduced to one policy (default: the first), without sweeps."""
    name = policy or next(iter(scenario.policies))
    if name not in scenario.policies:
        from sim.errors import ScenarioError
        raise ScenarioError(scenario.name, [f"no policy {name!r}; the scenario has {list(scenario.policies)}"])
    return derive(scenario, {"policies": {name: scenario.policies[name]}, "sweep": {}}, f"policy {name}"), name


def _without_operations(scenario: Scenario) -> Scenario:
    """Operations do not change GMV placed; re-simulations skip them for speed."""
    ops = getattr(scenario, "operations", None)
    if ops is None or not getattr(ops, "enabled", False):
        return scenario
    return derive(scenario, {"operations.enabled": False}, "forecast without operations")


class _Runs:
    """Runs scenarios with one seed and one progress bar over all runs."""

    def __init__(self, seed: int, workers: int | None, total: int, progress: Progress | None,
                 scheduler: str | None = None):
        self.seed, self.workers, self.total, self.progress, self.done = seed, workers, total, progress, 0
        self.scheduler = scheduler

    def __call__(self, scenario: Scenario, replications: int) -> RunResult:
        offset = self.done

        def update(done: int, _total: int) -> None:
            if self.progress:
                self.progress(offset + done, self.total)

        result = run(scenario, replications=replications, seed=self.seed, workers=self.workers,
                     scheduler=self.scheduler, progress=update)
        self.done = offset + replications
        return result

    def skip(self, replications: int) -> None:
        """Planned replications not needed after all: the total drops, and the bar shows it now,
        so a forecast whose last runs were skipped still ends at N/N."""
        self.total -= replications
        if self.progress:
            self.progress(self.done, self.total)


def forecast(scenario: Scenario, target: float | None = None, probability: float = 0.8,
             replications: int | None = None, seed: int | None = None, workers: int | None = 1,
             scheduler: str | None = None,
             policy: str | None = None, sensitivity: bool = True, sensitivity_replications: int | None = None,
             step: float = 0.10, resimulate: bool = True, actuals: str | Path | pd.DataFrame | None = None,
             holdout_days: int = 3, progress: Progress | None = None, check_traffic: bool | None = None) -> Forecast:
    """Forecast event-day GMV of one policy (default: the first) and, with a target, its chance.

    replications/seed default to the scenario's run settings. probability: the chance at
    which the needed traffic, conversion and order value are found; resimulate: find each by
    re-simulating its input with the same seed and replications (`sim.forecast.levers`; at
    most MAX_RUNS runs per lever), else scale all three as if GMV were proportional.
    check_traffic: the old name of `resimulate`. sensitivity: re-simulate each main input at
    ±step with the same seed (`sensitivity_replications` each, default the replications).
    actuals: last year's daily figures (CSV path or frame) for a backtest holding out the
    last `holdout_days`.
    """
    resimulate = resimulate if check_traffic is None else check_traffic
    scenario, name = one_policy(scenario, policy)
    n = replications or scenario.run.replications
    seed = scenario.run.seed if seed is None else seed
    n_sens = sensitivity_replications or n
    inputs = main_inputs(scenario) if sensitivity else []
    cal = (scenario.calendar.start_day, scenario.calendar.end_day)
    if actuals is not None and not isinstance(actuals, pd.DataFrame):
        actuals = read_actuals(actuals, cal)
    search_runs = MAX_RUNS * len(LEVERS) if resimulate and target is not None else 0
    total = (n * (1 + search_runs + 2 * (actuals is not None))
             + (2 * len(inputs) + (n_sens != n)) * n_sens * bool(inputs))
    runs = _Runs(seed, workers, total, progress, scheduler)

    result = runs(scenario, n)
    outcomes = event_outcomes(result.tables["hourly"], result.replications)
    plan = kpi_plan(result.daily, result.tables["hourly"], result.tables.get("operations_hourly"))
    fc = Forecast(scenario, name, outcomes, plan, target=target, probability=probability,
                  baseline_gmv=float(outcomes["gmv"].mean()), run=result)
    quick = _without_operations(scenario)
    if target is not None:
        fc.chance = target_chance(outcomes["gmv"], target)
        if resimulate:
            def spent(used: int) -> None:  # the progress bar's total shrinks by the runs not needed
                runs.skip((MAX_RUNS - used) * n)

            fc.required = search(quick, outcomes, target, probability,
                                 lambda s: event_outcomes(runs(s, n).tables["hourly"]), done=spent)
            fc.resimulated = True
        else:
            fc.required = proportional(scenario, outcomes, target, probability)
    if inputs:
        # the same seed and replications as the variants, so only the input differs
        baseline = fc.baseline_gmv if n_sens == n else _mean_event_gmv(runs(quick, n_sens))
        fc.tornado = tornado(quick, lambda s: _mean_event_gmv(runs(s, n_sens)), baseline, step, inputs)
        fc.baseline_gmv = baseline
    if actuals is not None:
        fc.backtest = run_backtest(quick, actuals, holdout_days, lambda s: runs(s, n).daily)
    return fc


def _mean_event_gmv(result: RunResult) -> float:
    return float(result.daily.loc[result.daily["day"] == 0, "gmv"].mean())
