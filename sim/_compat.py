"""Old module paths from before the package was layered keep importing, with a warning.

`import sim.scenario` and the like still work for one release: a finder maps each old
dotted name to its new home and registers the new module under the old name too.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

MOVED = {
    "sim.calendar": "sim.model.calendar",
    "sim.population": "sim.model.customers",
    "sim.engine": "sim.model.engine",
    "sim.metrics": "sim.model.measures",
    "sim.replication": "sim.simulation.replication",
    "sim.backends": "sim.simulation.backends",
    "sim.sweep": "sim.simulation.sweep",
    "sim.run_folder": "sim.store.run_folder",
    "sim.results": "sim.store.results",
    "sim.exports": "sim.io.csv_tables",
    "sim.experiment_file": "sim.io.experiment_export",
    "sim.datasets": "sim.io.datasets",
    "sim.experiment": "sim.studies.experiment",
    "sim.scenario": "sim.config.scenario",
    "sim.scenario_file": "sim.config.loader",
    "sim.marketing.channels": "sim.config.channels",
    "sim.marketing.policy": "sim.config.marketing",
    "sim.operations.config": "sim.config.operations",
    "sim.forecast.presale": "sim.config.presale",
    "sim.forecast.api": "sim.studies.forecast",
    "sim.forecast.charts": "sim.report.study_charts",
    "sim.operations.charts": "sim.report.study_charts",
    "sim.operations.planning": "sim.studies.capacity",
}

SPLIT = {
    "sim.runner": ("sim.simulation.runner", "sim.studies.run"),
    "sim.comparison": ("sim.studies.comparison", "sim.studies.experiment_analysis",
                       "sim.studies.test_plan", "sim.studies.monitor"),
}
"""Old modules whose contents now live in several: the old name offers all their public names."""


class _Alias(importlib.abc.Loader):
    def __init__(self, target: str):
        self.target = target

    def create_module(self, spec):
        warnings.warn(f"{spec.name} moved to {self.target}; import it from there",
                      DeprecationWarning, stacklevel=3)
        module = importlib.import_module(self.target)
        self.own_spec = module.__spec__
        return module

    def exec_module(self, module) -> None:
        # The import system stamped the alias's spec on the real module: give it back its own.
        module.__spec__ = self.own_spec


class _Union(importlib.abc.Loader):
    def __init__(self, targets: tuple[str, ...]):
        self.targets = targets

    def create_module(self, spec):
        warnings.warn(f"{spec.name} moved to {', '.join(self.targets)}; import from there",
                      DeprecationWarning, stacklevel=3)
        return None

    def exec_module(self, module) -> None:
        for target in self.targets:
            new = importlib.import_module(target)
            module.__dict__.update({k: v for k, v in vars(new).items() if not k.startswith("__")})


class MovedModules(importlib.abc.MetaPathFinder):
    """Finds the old names in MOVED and SPLIT and loads the modules at their new paths."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED:
            return importlib.util.spec_from_loader(fullname, _Alias(MOVED[fullname]))
        if fullname in SPLIT:
            return importlib.util.spec_from_loader(fullname, _Union(SPLIT[fullname]))
        return None


def install() -> None:
    if not any(isinstance(finder, MovedModules) for finder in sys.meta_path):
        sys.meta_path.append(MovedModules())
