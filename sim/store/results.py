"""A finished run: per-replication metrics, daily series, summaries, and the run folder."""

from __future__ import annotations

import json
import platform
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.errors import DataError
from sim.config.scenario import Scenario
from sim.store import run_folder
from sim.store.atomic import atomic_folder, write_text
from sim.version import __version__

HEADLINE = ("orders", "buyers", "gmv", "gross_profit", "net_profit", "repurchase_rate", "churned", "alive_end")
MARKETING_HEADLINE = ("marketing_spend", "coupons_redeemed", "opt_outs", "incremental_gmv", "roms")
PAID_HEADLINE = ("new_buyers", "paid_first_orders", "ad_spend")
REFERRAL_HEADLINE = ("referred_buyers", "referral_cost")
"""The metrics shown in the console table (marketing ones when a policy markets, paid traffic's
when there are ad channels, a referral's when a policy has one); the files have all."""


def summarize(replications: pd.DataFrame, confidence: float = 0.95,
              metrics: tuple[str, ...] | None = None, by: tuple[str, ...] = ("policy",)) -> pd.DataFrame:
    """Mean and t-interval over replications of each metric, per policy.

    Returns one row per group of `by` and metric: n, mean, sd, ci_low, ci_high. Replications where a
    metric is undefined (NaN, e.g. lift without a holdout) are left out of its n; with fewer
    than two values the interval is NaN. Default metrics: every numeric column.
    """
    if metrics is None:
        metrics = tuple(c for c in replications.columns
                        if c not in ("replication", *by) and pd.api.types.is_numeric_dtype(replications[c]))
    from scipy.special import stdtrit  # the t quantile scipy.stats.t.ppf computes, without its start-up

    rows = []
    for group_key, group in replications.groupby(list(by), sort=False):
        head = dict(zip(by, group_key))
        for metric in metrics:
            x = group[metric].to_numpy(dtype=float)
            x = x[~np.isnan(x)]
            if len(x) == 0:
                rows.append({**head, "metric": metric, "n": 0, "mean": np.nan, "sd": np.nan,
                             "ci_low": np.nan, "ci_high": np.nan})
                continue
            n, mean = len(x), float(x.mean())
            sd = float(x.std(ddof=1)) if n > 1 else float("nan")
            half = stdtrit(n - 1, 0.5 + confidence / 2) * sd / np.sqrt(n) if n > 1 else float("nan")
            rows.append({**head, "metric": metric, "n": n, "mean": mean, "sd": sd,
                         "ci_low": mean - half, "ci_high": mean + half})
    return pd.DataFrame(rows)


@dataclass
class RunResult:
    """Everything a run produced, as DataFrames; `write` saves it as a run folder.

    For a sweep, every table starts with a `point` column and one column per swept path,
    and `sweep` maps each path to the values tried.
    """

    scenario: Scenario
    replications: pd.DataFrame
    daily: pd.DataFrame
    wall_seconds: float
    workers: int | None = 1
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # channels, coupons, repurchase, ...
    scheduler: str | None = None
    sweep: dict[str, list] = field(default_factory=dict)
    folder: Path | None = None  # where the run was written, if it was
    comparison: pd.DataFrame | None = None  # each policy vs the control (sim.studies.comparison.compare_run)

    def summary(self, confidence: float = 0.95) -> pd.DataFrame:
        """Mean and 95 % interval per policy (and sweep point) and metric."""
        keys = ("point", *self.sweep, "policy") if self.sweep else ("policy",)
        return summarize(self.replications, confidence, by=keys)

    def sweep_table(self, metric: str = "net_profit", confidence: float = 0.95) -> pd.DataFrame:
        """One metric across the sweep grid: swept values, policy, mean and interval."""
        rows = self.summary(confidence)
        rows = rows[rows.metric == metric]
        table = rows[[*self.sweep, "policy", "mean", "ci_low", "ci_high"]].reset_index(drop=True)
        table.attrs["metric"] = metric
        return table

    @staticmethod
    def base_manifest(scenario: Scenario, sweep: dict, workers: int | None, scheduler: str | None) -> dict:
        return {
            "package": "sim",
            "version": __version__,
            "scenario": scenario.name,
            "seed": scenario.run.seed,
            "replications": scenario.run.replications,
            "policies": list(scenario.policies),
            "sweep": sweep,
            "workers": workers,
            "scheduler": scheduler,
            "python": platform.python_version(),
            "created": datetime.now().isoformat(timespec="seconds"),
        }

    def manifest(self) -> dict:
        return {**self.base_manifest(self.scenario, self.sweep, self.workers, self.scheduler),
                "wall_seconds": round(self.wall_seconds, 3), "status": "complete"}

    def write(self, results_dir: str | Path = "results", label: str = "",
              extras: Callable[[Path], None] | None = None) -> Path:
        """Write the run folder results/<scenario>[-label]-<timestamp>/ atomically; return its path.

        `extras(folder)` may add files of its own (a forecast's tables and charts) before the
        report is built, so the report shows them too.
        """
        results_dir = Path(results_dir)
        results_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        final = _unused(results_dir / f"{self.scenario.name}{'-' + label if label else ''}-{stamp}")
        with atomic_folder(final) as tmp:
            raw = self.scenario.model_dump(mode="json", by_alias=True, exclude_none=False)
            raw["sweep"] = self.sweep
            (tmp / "scenario.yaml").write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True),
                                               encoding="utf-8")
            self.write_into(tmp)
            if extras is not None:
                extras(tmp)
            run_folder.finish(tmp)  # the report reads the folder just written
        self.folder = final
        return final

    def write_into(self, folder: Path, status: str = "complete") -> None:
        """Write the tables, summary and manifest into an existing folder (manifest last).

        A run folder in progress keeps `status="incomplete"` until its report is written too.
        """
        self.replications.to_parquet(folder / "replications.parquet", index=False)
        self.daily.to_parquet(folder / "daily.parquet", index=False)
        self.summary().to_csv(folder / "summary.csv", index=False)
        if self.sweep:
            self.sweep_table().to_csv(folder / "sweep.csv", index=False)
        if self.comparison is not None:
            self.comparison.to_csv(folder / "comparison.csv", index=False)
        self._copy_calibration_charts(folder)
        for name, table in self.tables.items():
            table.to_parquet(folder / f"{name}.parquet", index=False)
        previous = folder / "manifest.json"
        kept = {k: v for k, v in json.loads(previous.read_text(encoding="utf-8")).items()
                if k == "scenario_sha256"} if previous.is_file() else {}
        write_text(previous, json.dumps({**self.manifest(), **kept, "status": status}, indent=2))


    def _copy_calibration_charts(self, folder: Path) -> None:
        """A calibrated population's tracking charts travel with the run, for its report."""
        source = self.scenario.population.from_
        if source is None:
            return
        for chart in ("holdout_cumulative.png", "holdout_by_frequency.png"):
            path = Path(source).parent / chart
            if path.is_file():
                shutil.copyfile(path, folder / f"calibration_{chart}")


def _unused(path: Path) -> Path:
    candidate, i = path, 1
    while candidate.exists():
        i += 1
        candidate = path.with_name(f"{path.name}-{i}")
    return candidate


def load_run(folder: str | Path) -> RunResult:
    """Read a run folder back (scenario, tables, manifest); DataError if it is not one."""
    from sim.config.loader import scenario_from_dict

    folder = Path(folder)
    missing = [f for f in ("scenario.yaml", "manifest.json", "replications.parquet") if not (folder / f).is_file()]
    if not folder.is_dir() or missing:
        what = "no such folder" if not folder.is_dir() else f"missing {', '.join(missing)}"
        raise DataError(f"{folder}: not a run folder written by `sim run` ({what})")
    raw = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return RunResult(
        scenario=scenario_from_dict(raw, source=folder / "scenario.yaml"),
        replications=pd.read_parquet(folder / "replications.parquet"),
        daily=pd.read_parquet(folder / "daily.parquet"),
        tables={p.stem: pd.read_parquet(p) for p in folder.glob("*.parquet")
                if p.stem not in ("replications", "daily")},
        wall_seconds=manifest.get("wall_seconds", 0.0),
        workers=manifest.get("workers", 1),
        scheduler=manifest.get("scheduler"),
        sweep=manifest.get("sweep") or {},
        folder=folder,
    )
