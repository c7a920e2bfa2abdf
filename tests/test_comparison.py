"""Comparing the policies of a run: paired differences over replications, `sim compare`."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

import sim
from cli import app
from sim.studies.comparison import COMPARISON_FILE, compare_run, default_control, default_metrics, lower_is_better
from sim.errors import DataError
from sim.config.loader import scenario_from_dict

runner = CliRunner()


def small_run(policies: dict, replications: int = 4) -> sim.RunResult:
    return sim.run(scenario_from_dict({
        "version": 1, "name": "cmp", "population": {"size": 1500}, "traffic": {"daily_visitors": 300},
        "calendar": {"start_day": -10, "end_day": 10}, "policies": policies,
        "run": {"replications": replications, "seed": 11},
    }))


@pytest.fixture(scope="module")
def twin_folder(tmp_path_factory):
    """A run folder with two identical do-nothing policies."""
    return small_run({"sms": {}, "no_marketing": {}}).write(tmp_path_factory.mktemp("results"))


def test_default_control_and_metrics():
    assert default_control(["three_waves", "no_waves", "two_waves"]) == "no_waves"
    assert default_control(["a", "Baseline"]) == "Baseline"
    assert default_control(["a", "b"]) == "a"
    assert default_metrics(["orders", "gmv", "gross_profit", "repurchase_rate", "net_profit", "aov"]) == \
        ["orders", "gmv", "gross_profit", "repurchase_rate", "net_profit"]
    assert lower_is_better("coupon_cost") and lower_is_better("churned") and lower_is_better("opt_outs")
    assert not lower_is_better("gmv") and not lower_is_better("incremental_net_profit")


def test_identical_policies_differ_by_exactly_zero(twin_folder):
    table = compare_run(twin_folder)
    assert set(table["arm"]) == {"sms"} and set(table["control"]) == {"no_marketing"}
    assert list(table["metric"][:4]) == ["orders", "gmv", "gross_profit", "repurchase_rate"]
    assert (table["difference"] == 0).all() and (table["ci_low"] == 0).all() and (table["ci_high"] == 0).all()
    assert (table["decision"] == "no detectable difference").all()
    assert (table["n_control"] == 4).all()


def test_paired_numbers_match_scipy():
    run = small_run({"a": {}, "b": {}}, replications=6)
    rng = np.random.default_rng(5)
    reps = run.replications.copy()
    shift = np.where(reps["policy"] == "b", 40.0 + rng.normal(0, 5, len(reps)), 0.0)
    reps["net_profit"] = reps["gross_profit"] + shift            # any numeric column works
    reps["message_cost"] = np.where(reps["policy"] == "b", 0.0, 30.0) + rng.normal(0, 1, len(reps))
    run.replications = reps
    table = compare_run(run, control="a", metrics=["net_profit", "message_cost"], adjust="bh")
    wide = reps.pivot(index="replication", columns="policy", values="net_profit")
    ref = stats.ttest_rel(wide["b"], wide["a"])
    ci = ref.confidence_interval(0.95)
    row = table.set_index("metric").loc["net_profit"]
    assert row["difference"] == pytest.approx((wide["b"] - wide["a"]).mean(), rel=1e-12)
    assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-12)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-12)
    assert row["decision"] == "better"
    # a cost that falls is an improvement
    assert table.set_index("metric").loc["message_cost", "decision"] == "better"


def test_compare_run_rejects_what_it_cannot_compare(twin_folder, tmp_path):
    with pytest.raises(DataError, match="policies: sms, no_marketing"):
        compare_run(twin_folder, control="holdout")
    with pytest.raises(DataError, match="no metric 'revenue'.*metrics: visitors"):
        compare_run(twin_folder, metrics=["gmv", "revenue"])
    with pytest.raises(DataError, match="not a run folder"):
        compare_run(tmp_path)
    with pytest.raises(DataError, match="single policy"):
        compare_run(small_run({"only": {}}, replications=2))


def test_cli_compare_prints_and_writes_comparison_csv(twin_folder):
    result = runner.invoke(app, ["compare", str(twin_folder), "--metrics", "orders,gmv", "--adjust", "bh"])
    assert result.exit_code == 0, result.output
    assert "sms vs no_marketing" in result.output and "none detected" in result.output
    written = pd.read_csv(twin_folder / COMPARISON_FILE)
    assert list(written["metric"]) == ["orders", "gmv"] and (written["difference"] == 0).all()
    assert not [p for p in twin_folder.iterdir() if p.name.startswith(".")]  # no temp file left


def test_cli_compare_errors_exit_2_without_traceback(twin_folder, tmp_path):
    for args, expected in (([str(twin_folder), "--control", "zz"], "no policy 'zz'"),
                           ([str(twin_folder), "--metrics", "nope"], "no metric 'nope'"),
                           ([str(tmp_path / "missing")], "not a run folder"),
                           ([str(twin_folder), "--adjust", "sidak"], "unknown p-value adjustment")):
        result = runner.invoke(app, ["compare", *args])
        assert result.exit_code == 2, result.output
        assert expected in result.output and "Traceback" not in result.output
