"""A one-price shop: Gamma-Gamma cannot be identified, so order values are pooled, and BG/NBD,
Pareto/NBD, the population file and a scenario on it all still work.

The export is the CDNOW 1/10 sample with one order per customer and day (CDNOW's same-day
purchases merged, as `calibrate` merges them anyway), every order 25.00 or, in the second case,
25.00 plus less than half a cent either way.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import sim
from cli import app
from sim.calibrate import CalibrationWarning, calibrate, gamma_gamma, load_population_file, spend
from sim.calibrate.mle import FitResult, NoFiniteMaximum
from sim.calibrate.transactions import summarise, to_transactions
from sim.io.datasets import load_cdnow

PRICE = 25.0
CAL_END = "1997-09-30"
BASE = ["--customer", "customer_id", "--date", "date", "--amount", "amount"]
PHRASE = "the Gamma-Gamma spend model cannot be identified"


def _daily_orders() -> pd.DataFrame:
    """The CDNOW sample with same-day purchases as one order (original amounts summed)."""
    df = load_cdnow(sample=True)
    df = df.groupby(["customer_id", "date"], as_index=False)["amount"].sum()
    df["date"] = df["date"].dt.strftime("%Y-%m-%d")
    return df


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """Order files: original amounts, one price (25.00) and one price give or take < 0.5 cent."""
    root = tmp_path_factory.mktemp("one_price")
    df = _daily_orders()
    df.to_csv(root / "original.csv", index=False)
    df.assign(amount="25.00").to_csv(root / "one_price.csv", index=False)
    jitter = np.random.default_rng(25).uniform(-0.0049, 0.0049, len(df))
    df.assign(amount=np.round(PRICE + jitter, 4)).to_csv(root / "sub_cent.csv", index=False,
                                                          float_format="%.4f")
    return root


def _calibrate(path, out=None, **options):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = calibrate(path, "customer_id", "date", "amount", calibration_end=CAL_END,
                           out_dir=out or path.with_suffix(""), simulate=False, **options)
    return result, [str(w.message) for w in caught if issubclass(w.category, CalibrationWarning)]


@pytest.fixture(scope="module")
def original(exports):
    result, notes = _calibrate(exports / "original.csv", write=False)
    assert result.spend_fallback is None and not [n for n in notes if PHRASE in n]  # real amounts
    return result


@pytest.fixture(scope="module", params=["one_price", "sub_cent"])
def pooled(request, exports):
    """(file stem, result, CalibrationWarning texts) of a calibration through the Python API."""
    result, notes = _calibrate(exports / f"{request.param}.csv")
    return request.param, result, notes


def test_the_export_is_one_price(exports):
    amounts = pd.read_csv(exports / "sub_cent.csv")["amount"]
    assert amounts.max() - amounts.min() < 0.01 and amounts.nunique() > 50
    assert set(pd.read_csv(exports / "one_price.csv")["amount"]) == {PRICE}


def test_api_calibrates_with_pooled_order_values(pooled, original, exports):
    name, result, notes = pooled
    pairs = ((result.bgnbd, original.bgnbd), (result.pareto_nbd, original.pareto_nbd))
    for fit, reference in pairs:
        assert fit.params.keys() == reference.params.keys()
        for key, value in reference.params.items():
            assert fit.params[key] == pytest.approx(value, rel=1e-6, abs=1e-6), (fit.model, key)
    assert [n for n in notes if PHRASE in n] == notes and len(notes) == 1
    assert "every customer's expected order value is the shop's mean order value, 25.00" in notes[0]
    assert result.warnings == notes

    doc = load_population_file(exports / name / "population.yaml")
    fallback = doc["spend_fallback"]
    assert fallback["mean_order_value"] == pytest.approx(PRICE, abs=0.005)
    assert fallback["reason"].startswith("every repeat purchase has the same value" if name ==
                                         "one_price" else "repeat purchase values differ by less")
    assert doc["notes"] == notes
    s = doc["spend"]
    assert s["q"] > 1 and s["p"] * s["gamma"] / (s["q"] - 1) == pytest.approx(
        fallback["mean_order_value"], rel=1e-6)
    assert all(v is None for v in doc["spend_se"].values()) and doc["loglik"]["gamma_gamma"] is None
    assert doc["buying"] == pytest.approx(original.population["buying"], abs=1e-6)
    assert doc["pareto_nbd"] is not None

    customers = pd.read_csv(exports / name / "customers.csv")
    np.testing.assert_allclose(customers["expected_order_value"], fallback["mean_order_value"])
    np.testing.assert_allclose(customers["expected_value"],
                               customers["expected_purchases"] * fallback["mean_order_value"])
    report = (exports / name / "report.md").read_text(encoding="utf-8")
    assert "Order value: pooled fallback" in report and PHRASE in report


def test_cli_calibrates_and_prints_the_warning_once(exports, original):
    out = exports / "cli"
    res = CliRunner().invoke(app, ["calibrate", str(exports / "one_price.csv"), *BASE, "--out",
                                   str(out), "--calibration-end", CAL_END, "--replications", "2"])
    assert res.exit_code == 0, res.output
    assert res.output.count(PHRASE) == 1, res.output
    assert "every repeat purchase has the same value, 25.00" in res.output
    assert "Traceback" not in res.output
    doc = load_population_file(out / "population.yaml")
    assert doc["spend_fallback"]["mean_order_value"] == PRICE
    assert doc["buying"] == pytest.approx(original.population["buying"], abs=1e-6)
    assert (out / "holdout_cumulative.csv").is_file()


def _scenario(folder, name: str, **population) -> sim.Scenario:
    """A quiet 13-week scenario on the calibrated customers: no newcomers, no discounts."""
    doc = {"version": 1, "name": name, "calendar": {"start_day": 0, "end_day": 90},
           "population": {"from": f"{name}/population.yaml", **population},
           "traffic": {"daily_visitors": 0, "repeat_multiplier": 1, "preheat_days": 0,
                       "afterglow": [], "hourly_shape": "flat"},
           "economics": {"event_discount": 0.0}, "policies": {"none": {}},
           "run": {"replications": 2, "seed": 5}}
    path = folder / f"{name}_{'_'.join(population.values()) or 'customers'}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return sim.load_scenario(path)


def test_a_scenario_on_the_pooled_population_runs_at_the_price(pooled, exports):
    name, result, _ = pooled
    scenario = _scenario(exports, name)
    assert scenario.population.draw == "customers" and scenario.population.size == 2357
    run = sim.run(scenario, replications=2)
    reps = run.replications
    assert len(reps) == 2 and reps["orders"].min() > 100
    mean_value = reps["gmv"].sum() / reps["orders"].sum()  # list price: no discount, no coupons
    assert mean_value == pytest.approx(PRICE, rel=0.02)
    mixing = _scenario(exports, name, draw="mixing")  # the fitted laws: the pooled spend law
    s = mixing.population.spend
    assert s.p * s.gamma / (s.q - 1) == pytest.approx(PRICE, abs=0.005)
    assert [c.order_value for c in mixing.population.categories.values()] == pytest.approx(
        [PRICE], abs=0.005)
    reps = sim.run(mixing, replications=1).replications
    assert reps["gmv"].sum() / reps["orders"].sum() == pytest.approx(PRICE, rel=0.02)


def test_merged_same_day_orders_still_pool_at_the_mean_transaction_value(tmp_path):
    # Every CDNOW row at 25.00 but same-day rows merged: transactions of 25, 50, 75, ...
    # Customers' means then cannot differ by model (q -> infinity): no finite maximum.
    df = load_cdnow(sample=True).assign(amount=PRICE)
    df["date"] = df["date"].dt.strftime("%Y-%m-%d")
    df.to_csv(tmp_path / "rows.csv", index=False)
    result, notes = _calibrate(tmp_path / "rows.csv", write=False)
    assert len(notes) == 1 and "no finite maximum (q -> infinity" in notes[0]
    summary = summarise(to_transactions(load_cdnow(sample=True).rename(columns={"date": "time"})),
                        pd.Timestamp(CAL_END))
    in_cal = summary.transactions["day"] <= summary.cal_end
    orders = load_cdnow(sample=True)
    expected = PRICE * (orders["date"] <= CAL_END).sum() / in_cal.sum()
    assert result.spend_fallback["mean_order_value"] == pytest.approx(expected, abs=1e-6)
    assert result.spend_fallback["mean_order_value"] > PRICE


def test_a_failed_pareto_nbd_is_a_warning(exports, monkeypatch):
    def refuse(*_):
        raise NoFiniteMaximum("Pareto/NBD: no finite maximum likelihood estimate (s -> 0)",
                              ["s -> 0"])

    monkeypatch.setattr(sim.calibrate.api.pareto_nbd, "fit", refuse)
    out = exports / "no_pareto"
    res = CliRunner().invoke(app, ["calibrate", str(exports / "one_price.csv"), *BASE, "--out",
                                   str(out), "--calibration-end", CAL_END, "--replications", "2"])
    assert res.exit_code == 0, res.output
    assert res.output.count("Pareto/NBD, the comparison model, could not be fitted") == 1
    assert res.output.count(PHRASE) == 1
    doc = load_population_file(out / "population.yaml")
    assert doc["pareto_nbd"] is None and doc["loglik"]["pareto_nbd"] is None
    assert len(doc["notes"]) == 2 and doc["buying"]["r"] > 0
    assert "Pareto/NBD forecast not fitted" in (out / "report.md").read_text(encoding="utf-8")
    assert pd.read_csv(out / "holdout_by_frequency.csv")["pareto_nbd"].isna().all()


def _summary(customers: int, repeat_values: list[float]):
    """Customers buying once at 10.0; the first len(repeat_values) also once more at that value."""
    rows = [(i, "2024-01-01", 10.0) for i in range(customers)]
    rows += [(i, "2024-02-01", v) for i, v in enumerate(repeat_values)]
    tx = pd.DataFrame(rows, columns=["customer_id", "time", "amount"])
    tx["time"] = pd.to_datetime(tx["time"])
    return summarise(to_transactions(tx))


def test_too_few_repeat_buyers_pool_all_order_values():
    model = spend.fit_spend(_summary(40, [20.0, 30.0, 40.0, 50.0, 60.0]))
    assert model.fallback["reason"].startswith("only 5 customer(s) have a repeat purchase")
    assert model.pooled_mean == pytest.approx((40 * 10.0 + 200.0) / 45)
    assert model.fit.model == spend.POOLED_MODEL and math.isnan(model.fit.loglik)


def test_real_order_values_keep_the_gamma_gamma_fit(sample_summary):
    model = spend.fit_spend(sample_summary)
    assert model.fallback is None and model.note is None
    assert model.fit.params["p"] == pytest.approx(6.25, abs=0.01)


@pytest.mark.parametrize("params, se, reason", [
    ({"p": 6.0, "q": 3e11, "gamma": 1e12}, {"p": 1.0, "q": 1.0, "gamma": 1.0},
     "extreme values (q = 3e+11)"),
    ({"p": 6.0, "q": 3.0, "gamma": 15.0}, {"p": 1.0, "q": float("nan"), "gamma": 1.0},
     "standard errors of q are not finite"),
    ({"p": 6.0, "q": 0.8, "gamma": 15.0}, {"p": 1.0, "q": 0.1, "gamma": 1.0}, "infinite mean"),
    ({"p": 6.0, "q": 3.0, "gamma": 15.0}, {"p": 1.0, "q": 0.1, "gamma": 1.0}, None),
])
def test_unusable_fits_are_recognised(params, se, reason):
    problem = spend._fit_problem(FitResult("Gamma-Gamma", params, se, -1.0, 100, True))
    assert (problem is None) if reason is None else (reason in problem)


def test_pooled_parameters_give_everyone_the_mean():
    values = np.array([24.0, 25.0, 26.0, 25.0])
    prm = gamma_gamma.pooled_params(values, max_repeats=12)
    assert gamma_gamma.population_mean_value(tuple(prm.values())) == pytest.approx(25.0, rel=1e-12)
    assert prm["p"] == pytest.approx(25.0 ** 2 / np.var(values))
    x, m = np.array([0, 1, 12]), np.array([np.nan, 1000.0, 1.0])
    posterior = gamma_gamma.conditional_expected_value(tuple(prm.values()), x, m)
    np.testing.assert_allclose(posterior, 25.0, rtol=gamma_gamma.POOLED_OWN_WEIGHT * 40)
    assert gamma_gamma.pooled_params([25.0] * 5, 3)["p"] == gamma_gamma.POOLED_P_MAX
