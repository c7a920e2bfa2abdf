"""Start-up stays light: `import sim`, `import cli` and `sim --help` load none of the heavy
libraries, which load only with the commands and functions that use them. Each check runs in
a fresh interpreter and looks at sys.modules (never at the clock)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "scipy.stats", "statsmodels", "matplotlib", "dask", "distributed", "sklearn", "optuna", "SALib")
SCENARIO = ROOT / "scenarios" / "double11_preheat.yaml"


def loaded_after(code: str) -> dict:
    """Run `code` in a new interpreter; the heavy libraries it loaded and what it left in `found`."""
    probe = (f"import json, sys\nfound = None\n{code}\n"
             f"print(json.dumps({{'heavy': [m for m in {HEAVY!r} if m in sys.modules], 'found': found}}))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_import_sim_loads_no_heavy_library():
    assert loaded_after("import sim")["heavy"] == []


def test_import_cli_and_help_load_no_heavy_library():
    code = ("import cli\n"
            "try:\n    cli.app(['--help'])\nexcept SystemExit:\n    pass\n"
            "try:\n    cli.app(['run', '--help'])\nexcept SystemExit:\n    pass")
    assert loaded_after(code)["heavy"] == []


def test_public_names_load_on_first_use():
    code = ("import sim, types\n"
            "found = sorted(name for name in sim.__all__ if isinstance(getattr(sim, name), types.ModuleType))")
    assert loaded_after(code)["found"] == ["sweep"]  # the rest are functions, classes and exceptions


def test_modules_are_reached_from_the_package_as_before():
    """The README's `sim.studies.comparison.compare_run(...)` and the like work after `import sim`."""
    code = ("import sim\n"
            "found = [callable(f) for f in (sim.studies.comparison.compare_run, sim.io.datasets.load_cdnow,\n"
            "         sim.simulation.replication.simulate_replication, sim.report.write_report,\n"
            "         sim.report.charts.png)]\n"
            "try:\n    sim.studies.no_such_module\nexcept AttributeError:\n    found.append('missing')")
    assert loaded_after(code)["found"] == [True, True, True, True, True, "missing"]


@pytest.mark.parametrize("first", ["sim.simulation.replication", "sim.config.loader", "sim.operations",
                                   "sim.forecast.feature", "sim.operations.feature", "sim.model.plugins"])
def test_features_are_registered_in_order_before_anything_simulates(first):
    """Whichever module a script imports first, a replication or a validation finds every
    feature (in the same order, which fixes the order of columns) and their checks."""
    code = (f"import {first}\n"
            "import sim.simulation.replication\n"
            "from sim.model.plugins import features\n"
            "from sim.config import loader\n"
            "found = [[f.name for f in features()], [f'{c.__module__}.{c.__name__}' for c in loader._CHECKS]]")
    names, checks = loaded_after(code)["found"]
    assert names == ["marketing", "forecast", "operations"]
    assert checks == ["sim.marketing.response.response_problems", "sim.marketing.checks.learned_problems"]


def test_run_folders_and_response_folders_get_their_reports():
    code = ("import sim.store.run_folder as rf, sim.studies.response as resp\n"
            "found = [[w.__name__ for w in rf._FINISHERS], [w.__name__ for w in resp._REPORT]]")
    assert loaded_after(code)["found"] == [["_write_report"], ["_write_response_report"]]


def test_validate_loads_no_chart_or_statistics_library():
    code = ("import cli\n"
            f"try:\n    cli.app(['validate', {str(SCENARIO)!r}])\nexcept SystemExit:\n    pass")
    heavy = loaded_after(code)["heavy"]
    assert not set(heavy) - {"pandas", "scipy.stats"}


def test_validate_loads_neither_pandas_nor_scipy_stats():
    code = ("import cli\n"
            f"try:\n    cli.app(['validate', {str(SCENARIO)!r}])\nexcept SystemExit:\n    pass")
    assert loaded_after(code)["heavy"] == []


def test_a_run_without_a_comparison_loads_no_statistics_library(tmp_path):
    """One policy: the summary's t quantile comes from scipy.special, so neither scipy.stats nor
    statsmodels (about 0.7 s of start-up) is loaded; a second policy brings them for the comparison."""
    quickstart = ROOT / "scenarios" / "quickstart.yaml"
    for scenario, expected in ((quickstart, []), (SCENARIO, ["scipy.stats", "statsmodels"])):
        code = ("import cli\n"
                f"try:\n    cli.app(['run', {str(scenario)!r}, '-n', '2', '--set', 'population.size=2000', "
                f"'--results', {str(tmp_path)!r}])\nexcept SystemExit as stop:\n    found = stop.code")
        done = loaded_after(code)
        assert done["found"] in (0, None)  # the run finished
        assert [m for m in done["heavy"] if m in ("scipy.stats", "statsmodels")] == expected


def test_validate_loads_the_checks_but_not_the_simulation():
    """A scenario is checked by the features' rules (sim.marketing.checks) without loading what
    only a simulation or a progress bar needs, nor, without a learned response, the uplift code."""
    runtime = ("simpy", "sim.marketing.runtime", "sim.marketing.feature", "sim.operations.play",
               "sim.forecast.feature", "sim.model.engine", "rich.progress", "sim.marketing.learned",
               "sim.uplift.fit")
    code = ("import cli\n"
            f"try:\n    cli.app(['validate', {str(SCENARIO)!r}])\nexcept SystemExit as stop:\n    code = stop.code\n"
            f"found = [code, [m for m in {runtime!r} if m in sys.modules], 'sim.marketing.checks' in sys.modules]")
    assert loaded_after(code)["found"] == [0, [], True]
