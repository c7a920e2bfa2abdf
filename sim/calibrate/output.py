"""Write a calibration's files into a folder atomically: all of them or none."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sim.calibrate.population_file import write_population_file
from sim.calibrate.report import write_calibration_report
from sim.calibrate.transactions import UNIT_DAYS
from sim.config.loader import file_sha256, population_checksum
from sim.store.atomic import MARKER, atomic_folder, mark

if TYPE_CHECKING:
    from sim.calibrate.result import CalibrationResult

POPULATION_FILE = "population.yaml"
CUSTOMERS_FILE = "customers.csv"


def _write_all(result: CalibrationResult, folder: Path) -> None:
    result.customers.to_csv(folder / CUSTOMERS_FILE, index_label="customer_id")
    doc = {k: v for k, v in result.population.items() if k not in ("checksum", "customers_table")}
    doc["customers_table"] = {"file": CUSTOMERS_FILE, "sha256": file_sha256(folder / CUSTOMERS_FILE),
                              "unit_days": UNIT_DAYS[result.unit]}
    doc["checksum"] = population_checksum(doc)
    result.population.clear()
    result.population.update(doc)
    write_population_file(folder / POPULATION_FILE, doc)
    write_calibration_report(result, folder)


def write_atomically(result: CalibrationResult, out_dir: Path) -> list[str]:
    """Write into a temporary sibling folder, then rename it to `out_dir` (replacing an earlier
    calibration there; `check_destination` has refused anything else). Returns the file names."""
    out_dir = out_dir.resolve()
    with atomic_folder(out_dir, replace=True) as tmp:
        _write_all(result, tmp)
        mark(tmp, "calibrate")
        names = sorted(p.name for p in tmp.iterdir() if p.name != MARKER)
    return names
