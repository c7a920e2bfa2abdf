"""The forecast: decomposition, the worked example, interval coverage, pre-sale, backtest, CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

import sim
from cli import app
from sim.studies.forecast import forecast
from sim.forecast.backtest import read_actuals
from sim.simulation.replication import simulate_replication
from tests.conftest import make_scenario

TINY = {"calendar": {"start_day": -3, "end_day": 0}, "population": {"size": 300},
        "traffic": {"daily_visitors": 100}}


def test_decomposition_multiplies_back_to_gmv_in_every_replication():
    s = make_scenario(population={"size": 3000}, traffic={"daily_visitors": 1000},
                      presale={"enabled": True}, calendar={"start_day": -30, "end_day": 2})
    fc = forecast(s, target=1e5, replications=8, seed=2, sensitivity=False, resimulate=False)
    o = fc.outcomes
    np.testing.assert_allclose(o["traffic"] * o["conversion"] * o["aov"], o["gmv"], rtol=1e-12)
    table = fc.table()
    assert {"gmv", "traffic", "conversion", "aov"} <= set(table["quantity"])
    assert [r.lever for r in fc.required] == ["traffic", "conversion", "aov"]


def test_worked_example_50m_scaled_down_by_100():
    """2 M visitors x 10 % x 250 = 50 M, scaled by 1/100: 20,000 visitors, target 500,000.

    One existing customer, only the event day, no repeat buying on it, one category with a
    mean order value of 250 and no event discount. Tolerance: P50 within 3 % of 500,000
    (2,000 orders of Gamma-Gamma values give about 2 % standard deviation).
    """
    s = make_scenario(
        calendar={"start_day": 0, "end_day": 0}, population={
            "size": 1, "categories": {"apparel": {"share": 1.0, "cycle_days": 30, "order_value": 250}}},
        traffic={"daily_visitors": 20_000, "event_multiplier": 1.0, "conversion": 0.10, "repeat_multiplier": 0.0},
        economics={"event_discount": 0.0})
    fc = forecast(s, target=500_000, replications=20, seed=11, sensitivity=False, resimulate=False)
    p10, p50, p90 = fc.gmv_quantiles()
    assert p50 == pytest.approx(500_000, rel=0.03)
    med = fc.outcomes.median()
    assert med["traffic"] == pytest.approx(20_000, rel=0.01)
    assert med["conversion"] == pytest.approx(0.10, abs=0.003)
    assert med["aov"] == pytest.approx(250, rel=0.03)
    assert 0.1 < fc.chance.probability < 0.9
    assert p10 < 500_000 < p90


def test_p10_p90_covers_a_fresh_replication_about_80_percent_of_the_time():
    """40 forecasts of 30 replications, each checked against replication 30 of its seed.

    Binomial tolerance: covered count within the central 99.9 % of Binomial(40, 0.8).
    """
    s = make_scenario(**TINY)
    covered = 0
    runs = 40
    for seed in range(runs):
        fc = forecast(s, replications=30, seed=1000 + seed, sensitivity=False)
        p10, _, p90 = fc.gmv_quantiles()
        fresh = simulate_replication(s, 30, 1000 + seed).tables["hourly"]["gmv"].sum()
        covered += p10 <= fresh <= p90
    lo, hi = stats.binom.ppf([0.0005, 0.9995], runs, 0.8)
    assert lo <= covered <= hi, covered


def test_presale_moves_gmv_to_the_event_day_and_leaves_some_balances_unpaid():
    base = {"population": {"size": 5000}, "traffic": {"daily_visitors": 500},
            "calendar": {"start_day": -30, "end_day": 3}}
    off = sim.run(make_scenario(**base), replications=4, seed=5)
    on = sim.run(make_scenario(**base, presale={"enabled": True, "balance_rate": 0.8}), replications=4, seed=5)

    def gmv(r, days, column="gmv"):
        return r.daily[r.daily["day"].between(*days)].groupby("replication")[column].sum().mean()

    reps = on.replications
    assert (reps["presale_deposits"] > 0).all() and (reps["presale_balances_unpaid"] > 0).all()
    assert (reps["presale_deposits_kept"] > 0).all()
    paid_share = reps["presale_balances_paid"].sum() / reps["presale_deposits"].sum()
    assert 0.6 < paid_share < 0.84  # 0.8 of deposits pay, less drop-outs; binomial noise about 0.015
    # the balances' GMV lands on day 0; deposits are not GMV on the pre-sale days
    lift = gmv(on, (0, 0)) - gmv(off, (0, 0))
    assert lift == pytest.approx(reps["presale_gmv"].mean(), rel=0.25)
    # natural orders on the pre-sale days are the same draws; their values are redrawn (noise ~3 %)
    assert gmv(on, (-27, -1), "orders") == pytest.approx(gmv(off, (-27, -1), "orders"), rel=0.02)
    assert gmv(on, (-27, -1)) == pytest.approx(gmv(off, (-27, -1)), rel=0.10)


def test_presale_must_lie_inside_the_calendar():
    with pytest.raises(sim.ScenarioError, match="presale"):
        make_scenario(calendar={"start_day": -10, "end_day": 3}, presale={"enabled": True, "start_day": -27})


def _actuals(tmp_path, truth, days=(-14, 0)):
    r = sim.run(truth, replications=6, seed=99)
    d = r.daily[r.daily["day"].between(*days)].groupby("day")[["visitors", "orders", "gmv"]].mean().reset_index()
    path = tmp_path / "last_year.csv"
    d.to_csv(path, index=False)
    return path


def test_backtest_recovers_levels_and_reports_holdout_error(tmp_path):
    calendar = {"start_day": -20, "end_day": 2}
    scenario = make_scenario(calendar=calendar, population={"size": 6000}, traffic={"daily_visitors": 1000})
    truth = make_scenario(calendar=calendar, traffic={"daily_visitors": 1300}, population={
        "size": 6000, "categories": {"apparel": {"share": 1.0, "cycle_days": 30, "order_value": 240}}})
    path = _actuals(tmp_path, truth)
    fc = forecast(scenario, replications=6, seed=1, sensitivity=False, actuals=path, holdout_days=2)
    b = fc.backtest
    assert b.factors["daily_visitors"] == pytest.approx(1.3, rel=0.03)
    errors = b.errors().set_index("metric")
    assert list(errors.index) == ["visitors", "orders", "gmv"] and (errors["days"] == 2).all()
    assert errors.loc["visitors", "mape"] < 0.05
    assert errors.loc["gmv", "mape"] < 0.25
    assert b.days["held_out"].sum() == 2 * 3


@pytest.mark.parametrize("text, message", [
    ("day,visitors,orders\n0,1,1\n", "missing column"),
    ("day,visitors,orders,gmv\n0,1,x,3\n-1,2,2,2\n", "line(s) 2"),
    ("day,visitors,orders,gmv\n0,1,1,3\n0,2,2,2\n", "more than once"),
    ("day,visitors,orders,gmv\n-90,1,1,3\n0,2,2,2\n", "outside"),
    ("", "cannot read"),
])
def test_bad_actuals_raise_data_errors(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(sim.DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_actuals(path, (-30, 30))


SMALL = """version: 1
name: small
calendar: {start_day: -12, end_day: 2}
population: {size: 1500}
traffic: {daily_visitors: 500}
presale: {enabled: true, start_day: -12}
run: {replications: 4, seed: 3}
"""


def test_cli_writes_a_forecast_folder(tmp_path):
    scenario = tmp_path / "small.yaml"
    scenario.write_text(SMALL)
    actual = tmp_path / "actual.csv"
    pd.DataFrame({"day": range(-8, 1), "visitors": 500.0, "orders": 30.0, "gmv": 5000.0}).to_csv(actual, index=False)
    result = CliRunner().invoke(app, ["forecast", str(scenario), "--target", "20000", "--sensitivity-replications",
                                      "2", "--backtest", str(actual), "--holdout-days", "2",
                                      "--results", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "P50" in result.output and "Target" in result.output and "Backtest" in result.output
    assert "achieved" in result.output and "Works alone:" in result.output and "Check:" not in result.output
    (folder,) = (tmp_path / "out").iterdir()
    assert folder.name.startswith("small-forecast-")
    for name in ("forecast.csv", "kpi_plan.csv", "fan_chart.png", "tornado.png", "backtest.csv", "sensitivity.csv"):
        assert (folder / name).stat().st_size > 0, name
    table = pd.read_csv(folder / "forecast.csv")
    needed = table[table["section"] == "required_at_p80"]
    assert list(needed["quantity"]) == ["traffic", "conversion", "aov"]
    assert needed[["achieved", "achieved_low", "achieved_high", "feasible"]].notna().all().all()
    assert {"reason", "input", "input_value", "runs"} <= set(table.columns)
    plan = pd.read_csv(folder / "kpi_plan.csv")
    assert set(plan["scope"]) == {"day", "event_hour"} and (plan["p10"] <= plan["p90"]).all()


def test_cli_bad_backtest_csv_exits_2_without_a_folder(tmp_path):
    scenario = tmp_path / "small.yaml"
    scenario.write_text(SMALL)
    bad = tmp_path / "bad.csv"
    bad.write_text("day,visits\n0,1\n")
    result = CliRunner().invoke(app, ["forecast", str(scenario), "--backtest", str(bad),
                                      "--results", str(tmp_path / "out")])
    assert result.exit_code == 2 and "missing column" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
