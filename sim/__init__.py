"""sim: simulate retention and promotion strategies on a copy of your customers.

    import sim
    scenario = sim.load_scenario("scenarios/double11_preheat.yaml")
    result = sim.run(scenario, replications=10)
    result.summary()          # pandas DataFrame: policy, metric, mean, 95 % interval
    result.write("results")   # the run folder
"""

from sim.version import __version__  # noqa: E402, F401
from sim.errors import DataError, ScenarioError, SimError  # noqa: E402
from sim.store.results import RunResult, load_run, summarize  # noqa: E402
from sim.simulation import sweep  # noqa: E402
from sim.simulation.runner import RunStopped  # noqa: E402
from sim.studies.run import resume, run  # noqa: E402
from sim.config.scenario import Scenario  # noqa: E402
from sim.config.loader import load_scenario, scenario_from_dict  # noqa: E402
from sim import _compat  # noqa: E402
from sim.marketing import feature as _marketing  # noqa: E402, F401  (registers, in this order)
from sim.forecast import feature as _forecast  # noqa: E402, F401
from sim.operations import feature as _operations  # noqa: E402, F401
from sim.store import run_folder as _run_folder  # noqa: E402
from sim.studies import response as _response  # noqa: E402
from sim.studies.response import fit_response, predict_response, target_customers  # noqa: E402
from sim.uplift.model_file import load_response  # noqa: E402

_compat.install()


@_run_folder.on_finish
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

@_response.on_report
def _write_response_report(model, path):
    """A response model folder gets its report.html (matplotlib loads only then)."""
    from sim.report.uplift import write_response_report

    write_response_report(model, path)


__all__ = [
    "fit_response", "load_response", "predict_response", "target_customers",
    "DataError", "RunResult", "RunStopped", "resume", "sweep", "Scenario", "ScenarioError", "SimError", "load_run", "load_scenario",
    "run", "scenario_from_dict", "summarize",
]
