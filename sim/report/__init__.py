"""The run report: one self-contained HTML page with charts, `report.html` in the run folder.

    from sim.report import write_report
    write_report("results/double11_preheat-20261111-090000")   # -> Path of report.html

Each section appears only when the folder has its data, so the report grows with the run.
The page is built in `sim.report.page`, loaded (with matplotlib and pandas) on first use, so
the console modules of this package load without them.
"""

from __future__ import annotations

import importlib

__all__ = ["REPORT_FILE", "NotARunFolder", "build_report", "write_report"]

REPORT_FILE = "report.html"


def __getattr__(name: str):
    """The page's public names; the package's modules (`sim.report.charts`) load as every
    subpackage's do (see `sim._submodules_on_demand`)."""
    if name in ("NotARunFolder", "build_report", "write_report"):
        return getattr(importlib.import_module("sim.report.page"), name)
    raise AttributeError(f"module 'sim.report' has no attribute {name!r}")
