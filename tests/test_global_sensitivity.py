"""`sim sensitivity`: SALib's indices through the study's own core, on a test function and a scenario."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from SALib.analyze import morris as salib_morris, sobol as salib_sobol
from SALib.test_functions import Ishigami
from typer.testing import CliRunner

import sim
from cli import app
from sim.config.variants import derive, raw
from sim.studies import global_sensitivity as gs

PI = np.pi
ISHIGAMI = gs.problem(["x1", "x2", "x3"], [(-PI, PI)] * 3)
S1_EXACT, ST_EXACT = [0.314, 0.442, 0.0], [0.558, 0.442, 0.244]  # a = 7, b = 0.1
DRIVER, NULL = "traffic.conversion=0.005:0.02", "channels.phone.cost=1:5"  # coupon_depth sends no calls


def test_sobol_on_ishigami_is_near_the_analytic_indices_and_is_salibs_own():
    indices, x, y = gs.study("sobol", ISHIGAMI, Ishigami.evaluate, 1024, seed=1)
    assert len(x) == gs.point_count("sobol", 3, 1024) == 1024 * 5
    got = indices.set_index("param").loc[["x1", "x2", "x3"]]
    assert np.allclose(got["S1"], S1_EXACT, atol=0.05) and np.allclose(got["ST"], ST_EXACT, atol=0.03)
    own = salib_sobol.analyze(ISHIGAMI, y, calc_second_order=False, seed=gs.rngs(1)[1])
    for column in ("S1", "S1_conf", "ST", "ST_conf"):
        assert np.allclose(got[column], own[column])
    assert list(indices["param"]) == ["x1", "x2", "x3"]  # largest ST first


def test_morris_on_ishigami_ranks_x1_and_x2_above_x3_and_is_salibs_own():
    indices, x, y = gs.study("morris", ISHIGAMI, Ishigami.evaluate, 200, seed=0)
    assert len(x) == gs.point_count("morris", 3, 200)
    assert indices["param"].iloc[-1] == "x3"
    got = indices.set_index("param").loc[["x1", "x2", "x3"]]
    own = salib_morris.analyze(ISHIGAMI, x, y, num_levels=gs.LEVELS, seed=gs.rngs(0)[1])
    for column in ("mu_star", "mu_star_conf", "sigma"):
        assert np.allclose(got[column], own[column])


def test_method_and_samples_are_checked():
    assert gs.check_method("morris") == 10 and gs.check_method("sobol") == 64
    for method, samples in (("fast", None), ("sobol", 1)):
        with pytest.raises(sim.SimError):
            gs.check_method(method, samples)


@pytest.fixture(scope="module")
def small():
    return derive(sim.load_scenario("scenarios/coupon_depth.yaml"), {"population.size": 3000}, "small")


@pytest.mark.parametrize("method,samples,index", [("morris", 4, "mu_star"), ("sobol", 4, "ST")])
def test_a_field_without_effect_scores_zero_and_the_driver_ranks_first(small, tmp_path, method, samples, index):
    discount = "policies.coupon_299_30.waves.0.coupon.discount=10:60"
    result = gs.sensitivity(small, [NULL, DRIVER, discount], metric="net_profit", method=method, samples=samples,
                            replications=2, results_dir=tmp_path)
    table = result.indices.set_index("param")
    assert result.indices["param"].iloc[0] == "traffic.conversion"
    assert abs(table.loc["channels.phone.cost", index]) < 1e-9 * table.loc["traffic.conversion", index]
    assert len(result.points) == gs.point_count(method, 3, samples) and (result.points["replications"] == 2).all()
    files = {p.name for p in result.folder.iterdir()}
    assert {"sensitivity.csv", "points.csv", "manifest.json", "scenario.yaml", "sensitivity.png"} <= files
    assert "tornado.png" not in files


SCENARIO = raw(sim.load_scenario("scenarios/coupon_depth.yaml")) | {"population": {"size": 3000}}


def _cli(tmp_path, *args):
    scenario = tmp_path / "coupon_depth.yaml"
    scenario.write_text(yaml.safe_dump(SCENARIO, sort_keys=False))
    results = tmp_path / "results"
    got = CliRunner().invoke(app, ["sensitivity", str(scenario), *args, "--results", str(results), "-w", "1"],
                             env={"COLUMNS": "80"})
    return got, results


@pytest.mark.parametrize("args,message", [
    (["--param", "traffic.conversion=0.02:0.01", "--method", "morris"], "LO < HI"),
    (["--param", "traffic.nope=0.01:0.02", "--method", "morris"], "no field traffic.nope"),
    (["--param", "traffic.hourly_shape=1:2", "--method", "morris"], "not a number"),
    (["--param", "traffic.conversion=a:0.02", "--method", "morris"], "must be numbers"),
    (["--param", DRIVER, "--method", "fast"], "expected morris or sobol"),
    (["--param", DRIVER, "--method", "sobol", "--samples", "1"], "at least 2"),
    (["--param", DRIVER, "--method", "sobol", "--policy", "nope"], "not a policy"),
])
def test_bad_input_exits_2_with_one_message_and_writes_nothing(tmp_path, args, message):
    got, results = _cli(tmp_path, "--metric", "net_profit", *args)
    assert got.exit_code == 2 and message in got.output and "Traceback" not in got.output, got.output
    assert not results.exists()


def test_an_unknown_metric_exits_2(tmp_path):
    got, results = _cli(tmp_path, "--param", DRIVER, "--metric", "profit", "--method", "morris")
    assert got.exit_code == 2 and "not a recorded metric" in got.output and not results.exists()


def test_the_command_writes_the_folder_and_prints_the_indices(tmp_path):
    got, results = _cli(tmp_path, "--param", DRIVER, "--param", NULL, "--metric", "net_profit",
                        "--method", "morris", "--samples", "3", "-n", "1", "--seed", "5")
    assert got.exit_code == 0, got.output
    (folder,) = results.iterdir()
    assert folder.name.startswith("coupon_depth-sensitivity-")
    table = pd.read_csv(folder / "sensitivity.csv")
    assert list(table.columns) == ["param", "low", "high", "mu_star", "mu_star_conf", "sigma"]
    assert list(table["param"]) == ["traffic.conversion", "channels.phone.cost"]
    points = pd.read_csv(folder / "points.csv")
    assert {"traffic.conversion", "channels.phone.cost", "replications", "mean", "se"} <= set(points.columns)
    manifest = json.loads((folder / "manifest.json").read_text())
    expected = {"scenario": "coupon_depth", "policy": "coupon_299_30", "seed": 5, "metric": "net_profit",
                "method": "morris", "samples": 3, "replications": 1, "points": 9}
    assert {key: manifest[key] for key in expected} == expected and manifest["wall_seconds"] > 0
    assert "9 points" in got.output and str(folder) in got.output.replace("\n", "")
    assert max(len(line) for line in got.output.splitlines() if str(folder) not in line) <= 80  # a path may not fold


def test_an_interrupted_study_resumes_to_the_same_indices_and_points(small, tmp_path, monkeypatch):
    monkeypatch.setattr(gs, "BATCH", 4)
    settings = dict(metric="net_profit", method="sobol", samples=4, replications=2, seed=7)  # 16 points
    whole = gs.sensitivity(small, [DRIVER, NULL], results_dir=tmp_path / "a", **settings)

    def interrupt(done, total):
        if done >= 6:  # in the second batch of four points
            raise KeyboardInterrupt

    with pytest.raises(gs.SensitivityStopped) as stopped:
        gs.sensitivity(small, [DRIVER, NULL], results_dir=tmp_path / "b", progress=interrupt, **settings)
    folder = stopped.value.folder
    assert stopped.value.interrupted and folder.name.endswith(".incomplete")
    assert f"sim sensitivity --resume {folder}" in str(stopped.value)
    assert len(pd.read_csv(folder / "points.csv")) == 4
    simulated, evaluate = [], gs.evaluate
    monkeypatch.setattr(gs, "evaluate", lambda scenario, params, points, *rest: simulated.append(len(points))
                        or evaluate(scenario, params, points, *rest))
    finished = gs.resume_sensitivity(folder)
    assert simulated == [4, 4, 4]  # only the points not saved
    pd.testing.assert_frame_equal(finished.indices, whole.indices, check_exact=True)
    pd.testing.assert_frame_equal(finished.points, whole.points, check_exact=True)
    assert not folder.exists() and finished.folder == folder.with_name(folder.name.removesuffix(".incomplete"))
    assert {p.name for p in finished.folder.iterdir()} == {p.name for p in whole.folder.iterdir()}
    assert pd.read_csv(finished.folder / "sensitivity.csv").equals(pd.read_csv(whole.folder / "sensitivity.csv"))


def test_resume_refuses_a_complete_folder_and_anything_else(tmp_path):
    got, results = _cli(tmp_path, "--param", DRIVER, "--metric", "net_profit", "--method", "morris",
                        "--samples", "2", "-n", "1")
    assert got.exit_code == 0, got.output
    (folder,) = results.iterdir()
    for target, message in ((folder, "not an interrupted sensitivity folder (it is complete)"),
                            (tmp_path, "not an interrupted sensitivity folder")):
        again = CliRunner().invoke(app, ["sensitivity", "--resume", str(target)], env={"COLUMNS": "200"})
        assert again.exit_code == 2 and message in again.output and "Traceback" not in again.output, again.output
    both = CliRunner().invoke(app, ["sensitivity", "--resume", str(folder), "--metric", "gmv"])
    assert both.exit_code == 2 and "--resume takes the study's settings" in both.output
