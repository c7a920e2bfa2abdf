"""A finished run: per-replication metrics, daily series, summaries, and the run folder."""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import stats

import sim
from sim.scenario import Scenario

HEADLINE = ("orders", "buyers", "gmv", "gross_profit", "net_profit", "repurchase_rate", "churned", "alive_end")
MARKETING_HEADLINE = ("marketing_spend", "coupons_redeemed", "opt_outs", "incremental_gmv", "roms")
"""The metrics shown in the console table (marketing ones when a policy markets); the files have all."""


def summarize(replications: pd.DataFrame, confidence: float = 0.95,
              metrics: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Mean and t-interval over replications of each metric, per policy.

    Returns one row per (policy, metric): n, mean, sd, ci_low, ci_high. Replications where a
    metric is undefined (NaN, e.g. lift without a holdout) are left out of its n; with fewer
    than two values the interval is NaN. Default metrics: every numeric column.
    """
    if metrics is None:
        metrics = tuple(c for c in replications.columns if c not in ("replication", "policy"))
    rows = []
    for policy, group in replications.groupby("policy", sort=False):
        for metric in metrics:
            x = group[metric].to_numpy(dtype=float)
            x = x[~np.isnan(x)]
            if len(x) == 0:
                rows.append({"policy": policy, "metric": metric, "n": 0, "mean": np.nan, "sd": np.nan,
                             "ci_low": np.nan, "ci_high": np.nan})
                continue
            n, mean = len(x), float(x.mean())
            sd = float(x.std(ddof=1)) if n > 1 else float("nan")
            half = stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / np.sqrt(n) if n > 1 else float("nan")
            rows.append({"policy": policy, "metric": metric, "n": n, "mean": mean, "sd": sd,
                         "ci_low": mean - half, "ci_high": mean + half})
    return pd.DataFrame(rows)


@dataclass
class RunResult:
    """Everything a run produced, as DataFrames; `write` saves it as a run folder."""

    scenario: Scenario
    replications: pd.DataFrame
    daily: pd.DataFrame
    wall_seconds: float
    workers: int = 1
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # channels, coupons, repurchase, ...

    def summary(self, confidence: float = 0.95) -> pd.DataFrame:
        return summarize(self.replications, confidence)

    def manifest(self) -> dict:
        return {
            "package": "sim",
            "version": sim.__version__,
            "scenario": self.scenario.name,
            "seed": self.scenario.run.seed,
            "replications": self.scenario.run.replications,
            "policies": list(self.scenario.policies),
            "workers": self.workers,
            "wall_seconds": round(self.wall_seconds, 3),
            "python": platform.python_version(),
            "created": datetime.now().isoformat(timespec="seconds"),
        }

    def write(self, results_dir: str | Path = "results") -> Path:
        """Write the run folder results/<scenario>-<timestamp>/ atomically; return its path."""
        results_dir = Path(results_dir)
        results_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        final = _unused(results_dir / f"{self.scenario.name}-{stamp}")
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=results_dir))
        try:
            self._write_files(tmp)
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return final

    def _write_files(self, folder: Path) -> None:
        scenario = self.scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
        (folder / "scenario.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False, allow_unicode=True),
                                              encoding="utf-8")
        self.replications.to_parquet(folder / "replications.parquet", index=False)
        self.daily.to_parquet(folder / "daily.parquet", index=False)
        self.summary().to_csv(folder / "summary.csv", index=False)
        for name, table in self.tables.items():
            table.to_parquet(folder / f"{name}.parquet", index=False)
        (folder / "manifest.json").write_text(json.dumps(self.manifest(), indent=2), encoding="utf-8")


def _unused(path: Path) -> Path:
    candidate, i = path, 1
    while candidate.exists():
        i += 1
        candidate = path.with_name(f"{path.name}-{i}")
    return candidate


def load_run(folder: str | Path) -> RunResult:
    """Read a run folder back (scenario, replications, daily)."""
    from sim.scenario_file import scenario_from_dict

    folder = Path(folder)
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
    )
