"""What the report reads from a run folder: every file optional but the replications.

The scenario is read as plain YAML rather than re-validated, so a report can still be made
of a folder written by another version of the package.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from sim.errors import DataError

REQUIRED = ("scenario.yaml", "replications.parquet")


class NotARunFolder(DataError):
    """A folder that is missing, or is not a run folder written by `sim run`."""


@dataclass
class RunContents:
    """The files of one run folder as a scenario dict, a manifest dict and DataFrames."""

    path: Path
    scenario: dict
    manifest: dict
    replications: pd.DataFrame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # parquet files by stem
    csvs: dict[str, pd.DataFrame] = field(default_factory=dict)    # csv files by stem
    images: list[Path] = field(default_factory=list)

    def table(self, name: str) -> pd.DataFrame | None:
        """A parquet table by stem (daily, channels, ...) if present and not empty."""
        t = self.tables.get(name)
        return t if t is not None and len(t) else None

    @property
    def policies(self) -> list[str]:
        """Policies in scenario order, then any others found in the replications."""
        present = list(dict.fromkeys(self.replications["policy"].astype(str)))
        declared = [str(p) for p in (self.scenario.get("policies") or {})]
        return [p for p in declared if p in present] + [p for p in present if p not in declared]

    @property
    def control(self) -> str:
        """The control of comparison.csv when `sim compare` wrote one, else `default_control`."""
        written = self.csvs.get("comparison")
        if written is not None and "control" in written and len(written):
            name = str(written["control"].iloc[0])
            if name in self.policies:
                return name
        from sim.studies.comparison import default_control  # with the statistics, only when needed

        return default_control(self.policies)

    @property
    def swept(self) -> list[str]:
        """Columns of a sweep's swept paths (empty for an ordinary run)."""
        if "point" not in self.replications:
            return []
        paths = list((self.manifest.get("sweep") or {}).keys())
        return [c for c in paths if c in self.replications] or \
            [c for c in self.replications.columns if "." in c]

    def points(self) -> list[tuple[int, str]]:
        """(point, 'path=value, ...') of each grid point of a sweep, in order."""
        if "point" not in self.replications:
            return []
        first = self.replications.drop_duplicates("point").sort_values("point")
        return [(int(r["point"]), ", ".join(f"{c.split('.')[-1]}={r[c]:g}" if isinstance(r[c], (int, float))
                                            else f"{c.split('.')[-1]}={r[c]}" for c in self.swept))
                for _, r in first.iterrows()]

    def at_point(self, point: int) -> RunContents:
        """The run restricted to one grid point of a sweep: every table with a `point` column filtered."""
        def keep(t: pd.DataFrame) -> pd.DataFrame:
            return t[t["point"] == point].reset_index(drop=True) if "point" in t else t

        csvs = {k: v for k, v in self.csvs.items() if k != "comparison" or "point" in v}
        return RunContents(self.path, self.scenario, self.manifest, keep(self.replications),
                         {k: keep(v) for k, v in self.tables.items()}, {k: keep(v) for k, v in csvs.items()},
                         self.images)

    def policy_spec(self, name: str) -> dict:
        return (self.scenario.get("policies") or {}).get(name) or {}


def read_run_contents(folder: str | Path) -> RunContents:
    """Read a run folder; NotARunFolder if it is missing or lacks the scenario or replications."""
    path = Path(folder)
    if not path.is_dir():
        raise NotARunFolder(f"{path}: no such run folder")
    missing = [name for name in REQUIRED if not (path / name).is_file()]
    if missing:
        raise NotARunFolder(f"{path}: not a run folder written by `sim run` (missing {', '.join(missing)})")
    try:
        scenario = yaml.safe_load((path / "scenario.yaml").read_text(encoding="utf-8")) or {}
        replications = pd.read_parquet(path / "replications.parquet")
        manifest_file = path / "manifest.json"
        manifest = json.loads(manifest_file.read_text(encoding="utf-8")) if manifest_file.is_file() else {}
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise NotARunFolder(f"{path}: cannot read the run folder ({exc})") from exc
    if not isinstance(scenario, dict) or "policy" not in replications or replications.empty:
        raise NotARunFolder(f"{path}: the scenario or the replications table is not a run's")
    replications["policy"] = replications["policy"].astype(str)
    return RunContents(
        path=path, scenario=scenario, manifest=manifest, replications=replications,
        tables={p.stem: _read(pd.read_parquet, p) for p in sorted(path.glob("*.parquet"))
                if p.stem != "replications"},
        csvs={p.stem: _read(pd.read_csv, p) for p in sorted(path.glob("*.csv"))},
        images=sorted(path.glob("*.png")),
    )


def _read(reader, path: Path) -> pd.DataFrame:
    """A table, or an empty one when a side file cannot be read (the report notes its absence)."""
    try:
        return reader(path)
    except (OSError, ValueError, pd.errors.ParserError):
        return pd.DataFrame()
