"""A run folder being written: each finished replication is saved at once, so a run can resume.

While a run is going, its folder is `results/<scenario>-<timestamp>.incomplete/` with the
resolved scenario, a manifest saying `"status": "incomplete"` and one sub-folder per finished
(grid point, replication) under `parts/`. When every part is there, the final tables are
written, the parts are removed and the folder is renamed to `results/<scenario>-<timestamp>/`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from sim.errors import SimError
from sim.store import INCOMPLETE
from sim.store.atomic import write_text
from sim.simulation.replication import ReplicationOutput
from sim.simulation.runner import part_name
from sim.config.scenario import Scenario


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


def incomplete_folder(results_dir: Path, base: str) -> Path:
    """A new, unused `results_dir/<base>-<time>.incomplete` path (numbered if the second is taken)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    name, i = f"{base}-{stamp}", 1
    while (results_dir / name).exists() or (results_dir / f"{name}{INCOMPLETE}").exists():
        i += 1
        name = f"{base}-{stamp}-{i}"
    return results_dir / f"{name}{INCOMPLETE}"


class RunFolderError(SimError):
    """A run folder cannot be written, or a folder given to --resume is not a resumable run."""


_PART = re.compile(r"p\d{4}-r\d{6}")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class RunFolder:
    """The on-disk state of a run in progress."""

    def __init__(self, path: Path):
        self.path = Path(path)

    @classmethod
    def create(cls, results_dir: Path, scenario: Scenario, sweep: dict, manifest: dict) -> RunFolder:
        """A new incomplete run folder under `results_dir`; RunFolderError if it cannot be written."""
        try:
            return cls._create(Path(results_dir), scenario, sweep, manifest)
        except OSError as exc:
            raise RunFolderError(f"{results_dir}: cannot write a run folder there "
                                 f"({exc.strerror or exc})") from None

    @classmethod
    def _create(cls, results_dir: Path, scenario: Scenario, sweep: dict, manifest: dict) -> RunFolder:
        if results_dir.exists() and not results_dir.is_dir():
            raise NotADirectoryError(20, "it is a file, not a folder")
        folder = cls(incomplete_folder(results_dir, scenario.name))
        (folder.path / "parts").mkdir(parents=True)
        raw = scenario.model_dump(mode="json", by_alias=True, exclude_none=False)
        raw["sweep"] = sweep
        text = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
        write_text(folder.path / "scenario.yaml", text)
        folder.write_manifest({**manifest, "status": "incomplete", "scenario_sha256": _sha256(text)})
        return folder

    @classmethod
    def open(cls, path: Path) -> RunFolder:
        """An interrupted run, for --resume."""
        folder = cls(Path(path))
        manifest = folder.path / "manifest.json"
        if not manifest.is_file():
            raise RunFolderError(f"{path}: not an interrupted run folder (no manifest.json)")
        if not (folder.path / "parts").is_dir():
            done = json.loads(manifest.read_text(encoding="utf-8")).get("status") == "complete"
            raise RunFolderError(f"{path}: this run is already complete" if done
                                 else f"{path}: not an interrupted run folder (no parts/)")
        folder.verify()
        return folder

    def verify(self) -> None:
        """Refuse to resume a folder whose scenario was edited or whose saved parts are damaged."""
        expected = self.manifest().get("scenario_sha256")
        text = (self.path / "scenario.yaml").read_text(encoding="utf-8") \
            if (self.path / "scenario.yaml").is_file() else ""
        if expected is not None and _sha256(text) != expected:
            raise RunFolderError(f"{self.path / 'scenario.yaml'}: changed since the run started; resuming "
                                 "would mix two scenarios in one run. Start a new run with the edited scenario")
        for name in sorted(self.finished()):
            part = self.path / "parts" / name
            if not _PART.fullmatch(name):
                raise RunFolderError(f"{part}: not a part this package writes; remove it and resume")
            for table in ("replications", "daily"):
                try:
                    pq.read_metadata(part / f"{table}.parquet")
                except (OSError, pa.ArrowException) as exc:
                    raise RunFolderError(f"{part}: damaged ({table}.parquet: {exc}); delete that folder and "
                                         "resume to simulate it again") from None

    def manifest(self) -> dict:
        return json.loads((self.path / "manifest.json").read_text(encoding="utf-8"))

    def write_manifest(self, manifest: dict) -> None:
        write_text(self.path / "manifest.json", json.dumps(manifest, indent=2))

    def stopped(self, wall_seconds: float) -> None:
        """The run stopped early: keep the time spent, for the resumed run's total (if it fits)."""
        try:
            self.write_manifest({**self.manifest(), "wall_seconds": wall_seconds})
        except OSError:
            pass  # a full disk: the saved parts are what matters, and they are whole

    def scenario_raw(self) -> dict:
        return yaml.safe_load((self.path / "scenario.yaml").read_text(encoding="utf-8"))

    def finished(self) -> set[str]:
        return {p.name for p in (self.path / "parts").iterdir() if p.is_dir() and not p.name.startswith(".")}

    def _write_part(self, point: int, output: ReplicationOutput) -> None:
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

    def save(self, point: int, output: ReplicationOutput) -> None:
        """Save one finished replication whole; a failure to write (disk full, read-only) is a
        RunFolderError naming the folder, so the run stops resumably."""
        try:
            self._write_part(point, output)
        except OSError as exc:
            shutil.rmtree(self.path / "parts" / f".{part_name(point, output.replication)}", ignore_errors=True)
            raise RunFolderError(f"{self.path}: cannot save replication {output.replication} "
                                 f"({exc.strerror or exc})") from None

    def load(self, point: int, replication: int) -> ReplicationOutput:
        part = self.path / "parts" / part_name(point, replication)
        tables = {p.stem: pd.read_parquet(p) for p in part.glob("*.parquet")}
        metrics = tables.pop("replications").to_dict("records")
        return ReplicationOutput(replication, metrics, tables.pop("daily"), tables)

    def complete(self) -> Path:
        """Rename the folder to its final name, then drop the parts (now copied into the tables)."""
        final = self.path.with_name(self.path.name.removesuffix(INCOMPLETE))
        os.replace(self.path, final)
        self.path = final
        shutil.rmtree(final / "parts", ignore_errors=True)
        return final
