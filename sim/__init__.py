"""sim: simulate retention and promotion strategies on a copy of your customers.

    import sim
    scenario = sim.load_scenario("scenarios/double11_preheat.yaml")
    result = sim.run(scenario, replications=10)
    result.summary()          # pandas DataFrame: policy, metric, mean, 95 % interval
    result.write("results")   # the run folder

`import sim` is light: the names below load their modules when first used, and pandas, SciPy,
matplotlib and the other heavy libraries only load with what needs them.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable
from types import ModuleType

from sim.version import __version__  # noqa: F401
from sim.errors import DataError, ScenarioError, SimError
from sim import _compat

_compat.install()

_LAZY = {
    "RunResult": "sim.store.results", "load_run": "sim.store.results", "summarize": "sim.store.results",
    "sweep": "sim.simulation.sweep", "RunStopped": "sim.simulation.runner",
    "resume": "sim.studies.run", "run": "sim.studies.run",
    "Scenario": "sim.config.scenario",
    "load_scenario": "sim.config.loader", "scenario_from_dict": "sim.config.loader",
    "fit_response": "sim.studies.response", "predict_response": "sim.studies.response",
    "target_customers": "sim.studies.response", "load_response": "sim.uplift.model_file",
}
"""Public name -> the module that defines it (or is it), imported on first use."""

_SUBPACKAGES = {"analysis", "calibrate", "config", "forecast", "io", "marketing", "model", "operations", "report",
                "simulation", "store", "studies", "uplift"}


def __getattr__(name: str):
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        value = module if name == "sweep" else getattr(module, name)  # sim.sweep is the module
    elif name in _SUBPACKAGES:
        value = importlib.import_module(f"sim.{name}")
    else:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | _SUBPACKAGES)


# What must be in place whenever a module is used is registered as that module is imported:
# the features' scenario checks before a scenario is validated, the features (marketing,
# forecast, operations, always in this order, which fixes the order of their metrics and tables)
# before a replication is simulated, the run report before a run folder is finished, the
# response report before a response folder is written.

CHECKS = ("sim.marketing.checks",)
FEATURES = ("sim.marketing.feature", "sim.forecast.feature", "sim.operations.feature")
_registering = 0  # feature modules being imported now


def _import_all(names: tuple[str, ...]) -> None:
    for name in names:
        importlib.import_module(name)


def _register_features() -> None:
    if not _registering:
        _import_all(FEATURES)


def _feature(exec_module: Callable[[ModuleType], None], module: ModuleType) -> None:
    """Import a feature module after the features before it, whichever is imported first."""
    global _registering
    _registering += 1
    try:
        for earlier in FEATURES[:FEATURES.index(module.__name__)]:
            importlib.import_module(earlier)
        exec_module(module)
    finally:
        _registering -= 1


def _write_report(folder):
    """Every folder a study writes gets its charts, and every run folder its report.html
    (matplotlib loads only when one is drawn)."""
    from pathlib import Path

    from sim.report import write_report
    from sim.report.study_charts import draw_study_charts

    draw_study_charts(folder)
    if (Path(folder) / "replications.parquet").is_file():
        write_report(folder)
    if (Path(folder) / "trials.csv").is_file():
        from sim.report.optimize import write_optimize_report

        write_optimize_report(folder)


def _write_response_report(model, path):
    """A response model folder gets its report.html (matplotlib loads only then)."""
    from sim.report.uplift import write_response_report

    write_response_report(model, path)


def _then(register: Callable[[ModuleType], object]) -> Callable:
    def load(exec_module: Callable[[ModuleType], None], module: ModuleType) -> None:
        exec_module(module)
        register(module)
    return load


def _submodules_on_demand(package: ModuleType) -> None:
    """A subpackage imports its modules when first named, so `sim.studies.comparison.compare_run`
    works after `import sim` alone, as it did when `import sim` imported nearly everything.
    A package's own `__getattr__` (lazy public names) is asked first."""
    own = vars(package).get("__getattr__")

    def __getattr__(name: str):
        if own is not None:
            try:
                return own(name)
            except AttributeError:
                pass
        if not name.startswith("__"):
            try:
                return importlib.import_module(f"{package.__name__}.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{package.__name__}.{name}":
                    raise
        raise AttributeError(f"module {package.__name__!r} has no attribute {name!r}")

    package.__getattr__ = __getattr__


_ON_IMPORT: dict[str, Callable[[Callable[[ModuleType], None], ModuleType], None]] = {
    **{f"sim.{name}": _then(_submodules_on_demand) for name in _SUBPACKAGES},
    **dict.fromkeys(FEATURES, _feature),
    "sim.config.loader": _then(lambda module: _import_all(CHECKS)),
    "sim.simulation.replication": _then(lambda module: _register_features()),
    "sim.store.run_folder": _then(lambda module: module.on_finish(_write_report)),
    "sim.studies.response": _then(lambda module: module.on_report(_write_response_report)),
}
"""Module -> how it is loaded: load(its own exec_module, the module)."""


class _Registering(importlib.abc.Loader):
    """Loads a module with its registration around its own loader."""

    def __init__(self, loader, load: Callable):
        self.loader, self.load = loader, load

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        self.load(self.loader.exec_module, module)

    def __getattr__(self, attr: str):  # get_source, get_filename, ... as the module's own loader
        return getattr(self.loader, attr)


class _Registrations(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        load = _ON_IMPORT.get(fullname)
        if load is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _Registering(spec.loader, load)
        return spec


if not any(isinstance(finder, _Registrations) for finder in sys.meta_path):
    sys.meta_path.insert(0, _Registrations())


__all__ = [
    "fit_response", "load_response", "predict_response", "target_customers",
    "DataError", "RunResult", "RunStopped", "resume", "sweep", "Scenario", "ScenarioError", "SimError", "load_run", "load_scenario",
    "run", "scenario_from_dict", "summarize",
]
