"""`sim optimize`: a noise-aware search with common random numbers, confirmed by Kim-Nelson."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

import sim
from sim.config.loader import scenario_from_dict
from sim.errors import ScenarioError
from sim.studies.optimize import optimize
from sim.studies.search import evaluate, parse_params

PATH = "policies.coupon.waves.0.coupon.discount"


def interior(replications: int = 6):
    """A coupon whose depth has an interior optimum in net profit (about 35-45 yuan off 100)."""
    return scenario_from_dict({
        "version": 1, "name": "interior", "calendar": {"start_day": -20, "end_day": 10},
        "population": {"size": 5000, "categories": {"all": {"share": 1.0, "cycle_days": 30, "order_value": 150}}},
        "traffic": {"daily_visitors": 0}, "channels": {"sms": {"response": 0.0}},
        "policies": {"coupon": {"waves": [{"day": -15, "hour": 10, "channel": "sms", "coupon": {
            "threshold": 100, "discount": 20, "valid_for_days": 10, "lift": 30}}]}},
        "run": {"replications": replications, "seed": 5}})


def test_the_search_lands_near_the_best_grid_point_with_fewer_evaluations(tmp_path):
    scenario = interior()
    params = parse_params([f"{PATH}=2:98"], scenario)
    grid = [[d] for d in range(5, 96, 5)]
    table = evaluate(scenario, params, grid, "net_profit")
    by_point = table.pivot(index="replication", columns="point", values="net_profit")
    best_grid = int(by_point.mean().idxmax())
    found = optimize(scenario, params, "net_profit", trials=12, replications=6, results_dir=tmp_path)
    assert found.trials[found.trials.stage == "search"].shape[0] == 12 < len(grid)
    chosen = evaluate(scenario, params, [[found.best[PATH]]], "net_profit")["net_profit"].to_numpy()
    paired = by_point[best_grid].to_numpy() - chosen  # same replications, same customers
    se = paired.std(ddof=1) / np.sqrt(len(paired))
    assert paired.mean() <= 2 * se, (found.best, grid[best_grid], paired.mean(), se)
    assert 20 <= found.best[PATH] <= 70
    assert found.best_low <= found.best_mean <= found.best_high
    assert found.selection is not None and found.selection.alpha == 0.05


def test_the_folder_holds_trials_a_runnable_best_scenario_and_a_report(tmp_path):
    found = optimize(interior(3), parse_params([f"{PATH}=5:90", "policies.coupon.waves.0.hour=0:23:int"],
                                               interior(3)),
                     "net_profit", trials=6, replications=3, results_dir=tmp_path)
    folder = found.folder
    trials = (folder / "trials.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert trials == ["point", "stage", PATH, "policies.coupon.waves.0.hour", "replications", "mean", "se"]
    best = yaml.safe_load((folder / "best.yaml").read_text(encoding="utf-8"))
    assert best["policies"]["coupon"]["waves"][0]["coupon"]["discount"] == pytest.approx(found.best[PATH])
    assert isinstance(best["policies"]["coupon"]["waves"][0]["hour"], int)
    sim.load_scenario(folder / "best.yaml")
    current = found.trials[found.trials.stage == "current"]
    assert len(current) <= 1 and found.current == {PATH: 20.0, "policies.coupon.waves.0.hour": 10}
    low, high = found.gain[1], found.gain[2]
    assert low <= found.gain[0] <= high
    assert (folder / "report.html").is_file() and (folder / "search_path.png").is_file()


@pytest.mark.parametrize("item,message", [
    (f"{PATH}=50:10", "LO < HI"),
    ("policies.coupon.waves.0.coupon.nothing=1:2", "no field"),
    ("policies.coupon.waves.0.channel=1:2", "not a number"),
    (f"{PATH}=a:b", "must be numbers"),
    (f"{PATH}=10:200", "invalid scenario"),
    (f"{PATH}", "expected PATH=LO:HI"),
])
def test_bad_ranges_are_refused_before_anything_runs(item, message):
    with pytest.raises(ScenarioError) as caught:
        parse_params([item], interior())
    assert message in str(caught.value)


def test_an_interrupted_search_resumes_to_the_same_result(tmp_path):
    from sim.studies.optimize import SearchStopped, resume_optimize

    scenario = interior(3)
    params = parse_params([f"{PATH}=5:90"], scenario)
    whole = optimize(scenario, params, "net_profit", trials=10, replications=3, results_dir=tmp_path / "a")

    def interrupt(done, total):
        if done >= 18:  # after the second batch of four points
            raise KeyboardInterrupt

    with pytest.raises(SearchStopped) as stopped:
        optimize(scenario, params, "net_profit", trials=10, replications=3, results_dir=tmp_path / "b",
                 progress=interrupt)
    folder = stopped.value.folder
    assert folder.name.endswith(".incomplete") and "sim optimize --resume" in str(stopped.value)
    saved = (folder / "trials.csv").read_text(encoding="utf-8").count("\n") - 1
    assert 0 < saved < 10
    finished = resume_optimize(folder)
    assert finished.best == whole.best and finished.best_mean == whole.best_mean
    assert finished.trials.drop(columns="point").equals(whole.trials.drop(columns="point"))
    assert not folder.exists() and finished.folder.is_dir()


def test_the_command_line_searches_refuses_bad_ranges_and_resumes_only_a_search(tmp_path):
    from typer.testing import CliRunner

    from cli import app

    scenario = tmp_path / "interior.yaml"
    scenario.write_text(yaml.safe_dump(interior(3).model_dump(mode="json", by_alias=True)), encoding="utf-8")
    runner = CliRunner()
    done = runner.invoke(app, ["optimize", str(scenario), "--param", f"{PATH}=5:90", "--trials", "6", "-n", "3",
                               "--results", str(tmp_path / "out")], env={"COLUMNS": "80"})
    assert done.exit_code == 0, done.output
    assert "Best for coupon on net_profit: discount =" in done.output and "current values" in done.output
    assert all(len(line) <= 80 for line in done.output.splitlines() if "━" not in line)
    for bad, message in (([f"{PATH}=90:5"], "LO < HI"), (["policies.coupon.nothing=1:2"], "no field"),
                         ([], "at least one --param")):
        args = sum((["--param", b] for b in bad), [])
        refused = runner.invoke(app, ["optimize", str(scenario), *args, "--results", str(tmp_path / "no")])
        assert refused.exit_code == 2 and message in refused.output, refused.output
        assert not (tmp_path / "no").exists()
    folder = next((tmp_path / "out").iterdir())
    again = runner.invoke(app, ["optimize", "--resume", str(folder)])
    assert again.exit_code == 2 and "not an interrupted optimize folder (it is complete)" in again.output
