"""`sim report FOLDER` end to end."""

from __future__ import annotations

from typer.testing import CliRunner

from cli import app

runner = CliRunner()


def test_sim_report_rebuilds_the_page(preheat_copy):
    (preheat_copy / "report.html").write_text("stale", encoding="utf-8")
    result = runner.invoke(app, ["report", str(preheat_copy)])
    assert result.exit_code == 0, result.output
    assert "report.html" in result.output
    html = (preheat_copy / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and 'id="decisions"' in html


def test_sim_report_on_a_folder_that_is_not_a_run_exits_2(tmp_path):
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a run folder" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["report", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "no such run folder" in result.output


SWEEP = """version: 1
name: small_sweep
population: {size: 1500}
traffic: {daily_visitors: 400}
policies:
  sms_wave: {holdout: 0.1, waves: [{day: -2, hour: 12, channel: sms}]}
  no_waves: {}
run: {replications: 2, seed: 5}
"""


def test_a_sweep_folder_reports_its_grid(tmp_path):
    scenario = tmp_path / "sweep.yaml"
    scenario.write_text(SWEEP, encoding="utf-8")
    made = runner.invoke(app, ["sweep", str(scenario), "--set", "traffic.conversion=0.01,0.02",
                               "--results", str(tmp_path / "results"), "--workers", "1"])
    assert made.exit_code == 0, made.output
    (folder,) = (tmp_path / "results").iterdir()
    result = runner.invoke(app, ["report", str(folder)])
    assert result.exit_code == 0, result.output
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert 'id="sweep"' in html and 'alt="Sweep grid"' in html and "grid point 0" in html
    assert html.count('data-metric="gmv"') == 1  # the decision table of the first grid point


def test_report_loads_neither_the_simulation_nor_the_scenario_models(preheat_copy):
    """Rebuilding a run folder's report reads its tables and draws: no simulation modules, no
    pydantic scenario models (a fresh interpreter, looking at sys.modules)."""
    from tests.test_startup import loaded_after

    simulation = ("simpy", "sim.simulation.runner", "sim.simulation.replication", "sim.model.engine",
                  "sim.config.scenario", "sim.store.run_folder")
    code = ("import cli\n"
            f"try:\n    cli.app(['report', {str(preheat_copy)!r}])\nexcept SystemExit as stop:\n    found = stop.code\n"
            f"found = [found, [m for m in {simulation!r} if m in sys.modules]]")
    assert loaded_after(code)["found"] == [0, []]
