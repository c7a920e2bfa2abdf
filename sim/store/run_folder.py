"""A run folder being written: each finished replication is saved at once, so a run can resume.

While a run is going, its folder is `results/<scenario>-<timestamp>.incomplete/` with the
resolved scenario, a manifest saying `"status": "incomplete"` and one sub-folder per finished
(grid point, replication) under `parts/`. When every part is there, the final tables are
written, the parts are removed and the folder is renamed to `results/<scenario>-<timestamp>/`.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pandas as pd
import yaml

from sim.errors import SimError
from sim.store.atomic import write_text
from sim.simulation.replication import ReplicationOutput
from sim.simulation.runner import part_name
from sim.config.scenario import Scenario

INCOMPLETE = ".incomplete"

FolderWriter = Callable[[Path], object]
"""Writes something more into a run folder whose tables are written, before it is complete."""

_FINISHERS: list[FolderWriter] = []


def on_finish(writer: FolderWriter) -> FolderWriter:
    """Register a writer called on every run folder just before it is complete (the report).

    Presentation lives above the store, so it registers itself here instead of the store
    importing it; `sim/__init__.py` registers the HTML report.
    """
    if writer not in _FINISHERS:
        _FINISHERS.append(writer)
    return writer


def finish(folder: Path) -> None:
    """Run every registered writer on a folder whose tables and manifest are written."""
    for writer in _FINISHERS:
        writer(folder)


class RunFolderError(SimError):
    """A folder given to --resume is not a resumable run."""


class RunFolder:
    """The on-disk state of a run in progress."""

    def __init__(self, path: Path):
        self.path = Path(path)

    @classmethod
    def create(cls, results_dir: Path, scenario: Scenario, sweep: dict, manifest: dict) -> RunFolder:
        results_dir = Path(results_dir)
        results_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        name, i = f"{scenario.name}-{stamp}", 1
        while (results_dir / name).exists() or (results_dir / f"{name}{INCOMPLETE}").exists():
            i += 1
            name = f"{scenario.name}-{stamp}-{i}"
        folder = cls(results_dir / f"{name}{INCOMPLETE}")
        (folder.path / "parts").mkdir(parents=True)
        raw = scenario.model_dump(mode="json", by_alias=True, exclude_none=False)
        raw["sweep"] = sweep
        write_text(folder.path / "scenario.yaml", yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))
        folder.write_manifest({**manifest, "status": "incomplete"})
        return folder

    @classmethod
    def open(cls, path: Path) -> RunFolder:
        """An interrupted run, for --resume."""
        folder = cls(Path(path))
        manifest = folder.path / "manifest.json"
        if not manifest.is_file():
            raise RunFolderError(f"{path}: not an interrupted run folder (no manifest.json)")
        if json.loads(manifest.read_text(encoding="utf-8")).get("status") != "incomplete":
            raise RunFolderError(f"{path}: this run is already complete")
        if not (folder.path / "parts").is_dir():
            raise RunFolderError(f"{path}: not an interrupted run folder (no parts/)")
        return folder

    def manifest(self) -> dict:
        return json.loads((self.path / "manifest.json").read_text(encoding="utf-8"))

    def write_manifest(self, manifest: dict) -> None:
        write_text(self.path / "manifest.json", json.dumps(manifest, indent=2))

    def stopped(self, wall_seconds: float) -> None:
        """The run stopped early: keep the time spent, for the resumed run's total."""
        self.write_manifest({**self.manifest(), "wall_seconds": wall_seconds})

    def scenario_raw(self) -> dict:
        return yaml.safe_load((self.path / "scenario.yaml").read_text(encoding="utf-8"))

    def finished(self) -> set[str]:
        return {p.name for p in (self.path / "parts").iterdir() if p.is_dir() and not p.name.startswith(".")}

    def save(self, point: int, output: ReplicationOutput) -> None:
        """Save one finished replication; the part appears whole or not at all."""
        name = part_name(point, output.replication)
        tmp = self.path / "parts" / f".{name}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        pd.DataFrame(output.metrics).to_parquet(tmp / "replications.parquet", index=False)
        output.daily.to_parquet(tmp / "daily.parquet", index=False)
        for key, table in output.tables.items():
            table.to_parquet(tmp / f"{key}.parquet", index=False)
        os.replace(tmp, self.path / "parts" / name)

    def load(self, point: int, replication: int) -> ReplicationOutput:
        part = self.path / "parts" / part_name(point, replication)
        tables = {p.stem: pd.read_parquet(p) for p in part.glob("*.parquet")}
        metrics = tables.pop("replications").to_dict("records")
        return ReplicationOutput(replication, metrics, tables.pop("daily"), tables)

    def complete(self) -> Path:
        """Drop the parts and rename the folder to its final name."""
        shutil.rmtree(self.path / "parts")
        final = self.path.with_name(self.path.name.removesuffix(INCOMPLETE))
        os.replace(self.path, final)
        self.path = final
        return final
