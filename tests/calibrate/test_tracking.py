"""The engine's simulation of a calibrated cohort against the closed form and the actual holdout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from cli import app
from sim.calibrate import bgnbd, tracking
from sim.calibrate.population_file import per_week
from sim.calibrate.tracking import Cohort, Season, default_season, parse_season, \
    simulate_cohort, track
from sim.calibrate.transactions import summarise, to_transactions
from sim.errors import DataError
from sim.config.loader import scenario_from_dict

TRUE = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.4}  # per week
CURVE_TOLERANCE = 0.03  # relative, on cumulative repeat transactions from week 8 on


def synthetic_log(n: int, seed: int) -> pd.DataFrame:
    """Orders of n customers who first buy in a 12-week window and then follow BG/NBD."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2020-01-01")
    horizon = 78 * 7.0
    first = rng.integers(0, 84, n).astype(float)
    lam = rng.gamma(TRUE["r"], 1.0 / TRUE["alpha"], n) / 7.0  # per day
    p = rng.beta(TRUE["a"], TRUE["b"], n)
    rows = []
    for i in range(n):
        rows.append((i, first[i]))
        t = first[i] + 1.0  # the clock starts at the end of the first-purchase day
        while True:
            t += rng.exponential(1.0 / lam[i]) if lam[i] > 0 else np.inf
            if t >= horizon:
                break
            rows.append((i, t - 1.0))
            if rng.random() < p[i]:
                break
    ids, days = zip(*rows)
    return pd.DataFrame({"customer_id": ids,
                         "time": start + pd.to_timedelta(np.floor(days), unit="D"),
                         "amount": 10.0})


@pytest.fixture(scope="module")
def synthetic_summary():
    orders = synthetic_log(10000, seed=7)
    return summarise(to_transactions(orders), pd.Timestamp("2020-09-29"))


def test_simulation_tracks_closed_form_curve_without_season(synthetic_summary) -> None:
    t = track(synthetic_summary, TRUE, fit_default=False, replications=20, seed=3)
    curve = t.cumulative[t.cumulative["period"] >= 8]
    rel = curve["simulated"] / curve["bgnbd"] - 1
    assert np.abs(rel).max() < CURVE_TOLERANCE, rel.describe()
    assert t.baseline.holdout_mean == pytest.approx(t.expected, rel=CURVE_TOLERANCE)
    assert (curve["simulated_low"] <= curve["simulated"]).all()
    assert (curve["simulated"] <= curve["simulated_high"]).all()
    assert t.seasonal is None and t.calendar_suggestion() is None
    # the synthetic log comes from the same laws, so the simulated holdout is near the actual
    assert abs(t.error_simulated) < 0.06


def test_same_seed_same_curve_and_season_raises_it(synthetic_summary) -> None:
    cohort = Cohort.from_summary(synthetic_summary)
    a = simulate_cohort(cohort, TRUE, (), replications=2, seed=5)
    b = simulate_cohort(cohort, TRUE, (), replications=2, seed=5)
    np.testing.assert_array_equal(a.runs, b.runs)
    surge = simulate_cohort(cohort, TRUE, [Season(30, 60, 2.0)], replications=2, seed=5)
    assert surge.holdout_mean > a.holdout_mean
    before = cohort.grid_day < 30
    np.testing.assert_array_equal(surge.runs[:, before], a.runs[:, before])
    with pytest.raises(ValueError):
        simulate_cohort(cohort, TRUE, [Season(30, 60)], replications=1)


def test_least_squares_recovers_a_known_surge(synthetic_summary) -> None:
    """Against a curve simulated with a x2 surge (same draws), the fit finds about 2."""
    cohort = Cohort.from_summary(synthetic_summary)
    days, before = tracking._window_grid(cohort, 35, 90)
    probe = Cohort(cohort.first_day, np.append(days, before), 90, cohort.calibration_end)

    def curve(m):
        c = simulate_cohort(probe, TRUE, [Season(35, 90, m)], replications=1, seed=11).mean
        return c[:-1] - c[-1]

    assert tracking._least_squares(curve, curve(2.0), (0.0, 10.0)) == pytest.approx(2.0, abs=0.05)


def test_cdnow_sample_simulation_matches_forecast_and_fitted_season_helps(sample_summary) -> None:
    c = sample_summary.customers
    fit = bgnbd.fit(c["x"], c["t_x"], c["T"])
    bg = tuple(fit.params.values())
    forecast = float(np.sum(bgnbd.conditional_expected_purchases(
        bg, sample_summary.holdout_length, c["x"], c["t_x"], c["T"])))
    t = track(sample_summary, per_week(fit.params, 7.0), bg, forecast, replications=20, seed=1)
    # both well below the actual holdout (the year-end season is in it), and close together
    assert t.error_forecast < -0.08 and t.error_simulated < -0.08
    assert t.baseline.holdout_mean == pytest.approx(t.forecast, rel=0.03)
    assert t.seasonal is not None and t.seasonal.fitted
    (window,) = t.seasonal.season
    assert window.dates(t.calibration_end) == (pd.Timestamp("1997-11-01"), pd.Timestamp("1997-12-24"))
    assert 1.05 < window.multiplier < 2.0
    assert abs(t.error_seasonal) < abs(t.error_simulated)
    suggestion = t.calendar_suggestion()
    scenario_from_dict({"version": 1, "name": "check",
                        "calendar": {"start_day": 0, "end_day": 100,
                                     "season": suggestion["season"]}})


def test_parse_season_and_default_window() -> None:
    s = parse_season("1997-11-01:1997-12-24:1.5")
    assert s.multiplier == 1.5 and s.days(pd.Timestamp("1997-09-30")) == (32, 85)
    assert parse_season("1997-11-01:1997-12-24:fit").fit
    for bad in ("1997-11-01:1997-12-24", "x:1997-12-24:2", "1997-12-24:1997-11-01:2",
                "1997-11-01:1997-12-24:-1", "1997-11-01:1997-12-24:lots"):
        with pytest.raises(DataError):
            parse_season(bad)
    assert default_season(pd.Timestamp("1997-09-30"), pd.Timestamp("1998-06-30")).start == \
        pd.Timestamp("1997-11-01")
    assert default_season(pd.Timestamp("1998-01-31"), pd.Timestamp("1998-06-30")) is None


def test_cli_prints_simulated_error_and_writes_season(sample_csv, tmp_path) -> None:
    out = tmp_path / "cal"
    res = CliRunner().invoke(app, [
        "calibrate", str(sample_csv), "--customer", "customer_id", "--date", "date",
        "--amount", "amount", "--calibration-end", "1997-09-30", "--out", str(out),
        "--season", "1997-11-01:1997-12-24:1.3", "--replications", "5"])
    assert res.exit_code == 0, res.output
    assert "Simulated" in res.output and "x 1.3" in res.output
    doc = yaml.safe_load((out / "population.yaml").read_text(encoding="utf-8"))
    assert doc["calendar_suggestion"]["season"] == [
        {"start_day": 32, "end_day": 85, "multiplier": 1.3}]
    assert doc["calendar_suggestion"]["fitted"] is False
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "simulation, no season" in report and "calendar: {season:" in report
    table = pd.read_csv(out / "holdout_cumulative.csv")
    assert {"actual", "bgnbd", "simulated", "simulated_low", "seasonal_high"} <= set(table)
    bad = CliRunner().invoke(app, [
        "calibrate", str(sample_csv), "--customer", "customer_id", "--date", "date",
        "--amount", "amount", "--out", str(tmp_path / "x"), "--season", "1997-11-01:1997-12-24:2"])
    assert bad.exit_code == 2 and "calibration end" in bad.output
