"""A calibrated population simulates the shop's own customers, each from its BG/NBD posterior.

On CDNOW (calibration to 1997-09-30, a 39-week calendar from day 0 with no newcomers and no
calendar shape) the simulated repeat orders must be the closed-form conditional expectation,
computed here independently of sim.calibrate.bgnbd.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.special import hyp2f1

from sim import streams
from sim.calibrate.api import calibrate
from sim.config.loader import load_scenario
from sim.config.variants import derive
from sim.errors import ScenarioError
from sim.io.datasets import load_cdnow
from sim.model.calendar import Calendar
from sim.model.customers import draw_base
from sim.simulation.replication import draw_world, play, simulate_replication
from sim.vocabulary import SEGMENTS

WEEKS = 39
REPLICATIONS = 100  # per-customer means: the Poisson-Geometric noise of 30 runs alone keeps r near 0.98
QUIET = {"daily_visitors": 0, "repeat_multiplier": 1, "preheat_days": 0, "afterglow": [], "hourly_shape": "flat"}


def conditional_expected(r, alpha, a, b, x, t_x, T, t):
    """E[Y(t) | x, t_x, T] (Fader, Hardie and Lee 2005, eq. 10), written out as printed."""
    z = t / (alpha + T + t)
    head = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x)
                                        * hyp2f1(r + x, b + x, a + b + x - 1, z))
    odds = np.where(x > 0, a / np.maximum(b + x - 1, 1e-300) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
    return head / (1 + odds)


def probability_alive(r, alpha, a, b, x, t_x, T):
    odds = np.where(x > 0, a / np.maximum(b + x - 1, 1e-300) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
    return 1 / (1 + odds)


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    """The full CDNOW log calibrated to 1997-09-30 into a fresh folder; returns that folder."""
    root = tmp_path_factory.mktemp("cdnow")
    orders = load_cdnow(sample=False)
    orders["date"] = orders["date"].dt.strftime("%Y-%m-%d")
    orders.to_csv(root / "orders.csv", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        calibrate(root / "orders.csv", "customer_id", "date", "amount", calibration_end="1997-09-30",
                  out_dir=root / "calibrated", simulate=False)
    return root


def write_scenario(root, name="real", **population):
    doc = {"version": 1, "name": name, "calendar": {"start_day": 0, "end_day": WEEKS * 7 - 1},
           "population": {"from": "calibrated/population.yaml", **population},
           "traffic": QUIET, "policies": {"none": {}}, "run": {"replications": 2, "seed": 11}}
    path = root / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def expected(calibrated):
    """Per customer: the history in weeks, P(alive) and expected purchases in the 39 weeks."""
    table = pd.read_csv(calibrated / "calibrated" / "customers.csv")
    b = yaml.safe_load((calibrated / "calibrated" / "population.yaml").read_text())["buying"]
    x, t_x, T = (table[c].to_numpy(dtype=float) for c in ("x", "t_x", "T"))  # weeks (unit: week)
    prm = (b["r"], b["alpha"], b["a"], b["b"])
    return table.assign(p_alive_check=probability_alive(*prm, x, t_x, T),
                        expected_check=conditional_expected(*prm, x, t_x, T, WEEKS))


@pytest.fixture(scope="module")
def simulated(calibrated):
    """Mean orders per customer over REPLICATIONS runs, and each run's alive_start."""
    s = load_scenario(write_scenario(calibrated))
    cal = Calendar.from_scenario(s)
    n = s.population.size
    counts, alive = np.zeros(n), []
    for k in range(REPLICATIONS):
        world = draw_world(s, cal, s.run.seed, k)
        alive.append(int((world.population.remaining[:n] > 0).sum()))
        engine, _, _ = play(s, cal, world, "none", s.run.seed, k, [], reuse_world=True)
        assert not engine.pop.acquired.any()
        counts += engine.pop.orders[:n]
    return counts / REPLICATIONS, np.array(alive)


def test_the_closed_forms_agree_with_calibration(expected):
    assert expected["expected_check"].sum() == pytest.approx(16_874, rel=0.001)  # the README's forecast
    # customers.csv uses the unrounded fit, population.yaml six decimals
    np.testing.assert_allclose(expected["expected_check"], expected["expected_purchases"], rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(expected["p_alive_check"], expected["p_alive"], rtol=1e-5)


def test_the_population_is_the_calibrated_customers(calibrated, expected):
    s = load_scenario(write_scenario(calibrated))
    assert s.population.draw == "customers" and s.population.size == len(expected) == 23_570


def test_simulated_repeat_orders_are_the_conditional_expectation(simulated, expected):
    mean, _ = simulated
    target = expected["expected_check"].to_numpy()
    assert mean.sum() == pytest.approx(target.sum(), rel=0.02)
    assert np.corrcoef(mean, target)[0, 1] >= 0.99


def test_alive_at_the_start_is_the_sum_of_p_alive(calibrated, simulated, expected):
    _, alive = simulated
    assert alive.mean() == pytest.approx(expected["p_alive_check"].sum(), rel=0.02)
    record = simulate_replication(load_scenario(write_scenario(calibrated)), 0).metrics[0]
    assert record["alive_start"] == pytest.approx(expected["p_alive_check"].sum(), rel=0.02)
    assert record["alive_start"] + record["new_buyers"] == record["alive_end"] + record["churned"]


def test_customers_carry_their_history(calibrated, expected):
    s = load_scenario(write_scenario(calibrated))
    base = draw_base(s, Calendar.from_scenario(s), streams.generator(3, 0, streams.POPULATION))
    x = expected["x"].to_numpy()
    assert np.array_equal(base.is_new, x == 0)
    assert np.array_equal(np.array(SEGMENTS)[base.segment], expected["rfm_group"].to_numpy())
    recency_days = -base.last_order / 24.0
    np.testing.assert_allclose(recency_days, expected["recency_days"], atol=1e-6)
    dead = base.remaining == 0
    assert dead.any() and (x[dead] > 0).all()  # only repeat buyers can have dropped out
    assert (base.remaining[~dead] >= 1).all() and not base.alive[dead].any()


def test_a_different_size_resamples_customers(calibrated, expected):
    s = load_scenario(write_scenario(calibrated, "resampled", size=50_000))
    base = draw_base(s, Calendar.from_scenario(s), streams.generator(3, 0, streams.POPULATION))
    assert len(base) == 50_000
    share_new = float(base.is_new.mean())
    assert share_new == pytest.approx(float((expected["x"] == 0).mean()), abs=0.01)
    assert float((base.remaining > 0).mean()) == pytest.approx(expected["p_alive"].mean(), abs=0.01)


def test_draw_mixing_keeps_the_fitted_laws(calibrated):
    s = load_scenario(write_scenario(calibrated, "mixing", draw="mixing"))
    assert s.population.draw == "mixing" and s.population.size == 23_570
    plain = derive(s, {"population.customers_table": None, "population.from": None})
    cal = Calendar.from_scenario(s)
    a = draw_base(s, cal, streams.generator(3, 0, streams.POPULATION))
    b = draw_base(plain, cal, streams.generator(3, 0, streams.POPULATION))
    assert np.array_equal(a.lam, b.lam) and np.array_equal(a.segment, b.segment)
    counts = np.bincount(a.segment, minlength=len(SEGMENTS)) / len(a)
    np.testing.assert_allclose(counts, [s.population.segments[g] for g in SEGMENTS], atol=1e-4)


def test_draw_customers_needs_a_customers_table(calibrated):
    folder = calibrated / "calibrated"
    doc = yaml.safe_load((folder / "population.yaml").read_text())
    bare = {k: v for k, v in doc.items() if k not in ("customers_table", "checksum")}
    (folder / "bare.yaml").write_text(yaml.safe_dump(bare))
    path = write_scenario(calibrated, "bare", draw="customers")
    path.write_text(path.read_text().replace("calibrated/population.yaml", "calibrated/bare.yaml"))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert "population.draw" in str(err.value) and "bare.yaml" in str(err.value)
    default = write_scenario(calibrated, "bare_default")
    default.write_text(default.read_text().replace("calibrated/population.yaml", "calibrated/bare.yaml"))
    assert load_scenario(default).population.draw == "mixing"  # no table: the fitted laws


def test_an_edited_customers_table_is_refused_naming_what_was_expected(calibrated):
    folder = calibrated / "calibrated"
    table = folder / "customers.csv"
    sha = yaml.safe_load((folder / "population.yaml").read_text())["customers_table"]["sha256"]
    original = table.read_bytes()
    try:
        table.write_bytes(original + b"\n")
        with pytest.raises(ScenarioError) as err:
            load_scenario(write_scenario(calibrated, "edited"))
        assert "customers.csv was edited after calibration" in str(err.value) and sha in str(err.value)
    finally:
        table.write_bytes(original)


def test_a_million_posterior_draws_take_well_under_a_second(calibrated):
    s = load_scenario(write_scenario(calibrated, "million", size=1_000_000))
    cal = Calendar.from_scenario(s)
    seconds = []
    for k in range(3):
        t0 = time.perf_counter()
        base = draw_base(s, cal, streams.generator(3, k, streams.POPULATION))
        seconds.append(time.perf_counter() - t0)
    assert len(base) == 1_000_000 and base.sensitivity.mean() == pytest.approx(1.0, abs=0.01)
    assert min(seconds) < 1.0, seconds


def test_a_daily_calibration_with_categories_is_converted_to_weeks(sample_csv, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        calibrate(sample_csv, "customer_id", "date", "amount", category="category", unit="day",
                  calibration_end="1997-09-30", out_dir=tmp_path / "calibrated", simulate=False)
    s = load_scenario(write_scenario(tmp_path, "daily"))
    table = pd.read_csv(tmp_path / "calibrated" / "customers.csv")
    assert s.population.customers_table.unit_days == 1.0
    cal = Calendar.from_scenario(s)
    alive = []
    for k in range(20):
        base = draw_base(s, cal, streams.generator(3, k, streams.POPULATION))
        alive.append((base.remaining > 0).sum())
    names = np.array(list(s.population.categories))
    assert np.array_equal(names[base.category], table["category"].to_numpy())
    np.testing.assert_allclose(-base.last_order / 24.0, table["recency_days"], atol=1e-6)
    assert np.mean(alive) == pytest.approx(table["p_alive"].sum(), rel=0.02)  # p_alive fitted in days
