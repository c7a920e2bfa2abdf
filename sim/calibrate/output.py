"""Write a calibration's files into a folder atomically: all of them or none."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sim.calibrate.population_file import write_population_file
from sim.calibrate.report import write_calibration_report

if TYPE_CHECKING:
    from sim.calibrate.result import CalibrationResult

POPULATION_FILE = "population.yaml"
CUSTOMERS_FILE = "customers.csv"


def _write_all(result: CalibrationResult, folder: Path) -> None:
    write_population_file(folder / POPULATION_FILE, result.population)
    result.customers.to_csv(folder / CUSTOMERS_FILE, index_label="customer_id")
    write_calibration_report(result, folder)


def write_atomically(result: CalibrationResult, out_dir: Path) -> list[str]:
    """Write into a temporary sibling folder, then rename it to `out_dir` (replacing it).

    Returns the names of the files written.
    """
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        _write_all(result, tmp)
        names = sorted(p.name for p in tmp.iterdir())
        old = None
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old.", dir=out_dir.parent))
            out_dir.rename(old / out_dir.name)
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return names
