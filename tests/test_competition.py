"""Competitor pressure: rival promotions lower new visitors and their conversion on the days named."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

import sim
from cli import app
from sim.config.variants import derive
from sim.model.calendar import Calendar
from tests.conftest import make_scenario

CALENDAR = {"start_day": -5, "end_day": 5}


def test_intensity_zero_changes_nothing():
    base = make_scenario(calendar=CALENDAR)
    quiet = derive(base, {"competition": {"intensity": {0: 0.0, 2: 0.0}}})
    a, b = sim.run(base, replications=2).replications, sim.run(quiet, replications=2).replications
    assert a.equals(b)


def test_visitors_and_conversion_fall_by_the_stated_factors_on_the_named_days_only():
    base = make_scenario(calendar=CALENDAR)
    rival = derive(base, {"competition": {"intensity": {0: 0.8, 2: 0.5}, "traffic_elasticity": 0.4,
                                          "conversion_elasticity": 0.25}})
    c0, c1 = Calendar.from_scenario(base), Calendar.from_scenario(rival)
    day = np.repeat(np.arange(-5, 6), 24)
    expected_visits = {0: 1 - 0.4 * 0.8, 2: 1 - 0.4 * 0.5}
    expected_conversion = {0: 1 - 0.25 * 0.8, 2: 1 - 0.25 * 0.5}
    for d in range(-5, 6):
        hours = day == d
        assert c1.visitors[hours].sum() == pytest.approx(c0.visitors[hours].sum() * expected_visits.get(d, 1.0))
        np.testing.assert_allclose(c1.conversion[hours], c0.conversion[hours] * expected_conversion.get(d, 1.0))
    np.testing.assert_array_equal(c1.buying, c0.buying)  # existing customers keep their own buying


def test_stronger_rivals_mean_fewer_new_buyers_and_the_same_for_every_policy():
    scenario = sim.load_scenario("scenarios/competitor_pressure.yaml")
    small = derive(scenario, {"population.size": 5000})
    levels = {}
    for level in (0.0, 1.0):
        run = sim.run(derive(small, {"competition.intensity.0": level}), replications=3).replications
        assert run.groupby("replication")["visitors"].nunique().eq(1).all()  # common to every policy
        levels[level] = run.groupby("policy")["new_buyers"].mean()
    assert (levels[1.0] < levels[0.0]).all()


@pytest.mark.parametrize("competition,message", [
    ({"intensity": {0: 1.5}}, "competition.intensity.0"),
    ({"intensity": {40: 0.5}}, "outside the calendar"),
    ({"traffic_elasticity": -0.1}, "competition.traffic_elasticity"),
    ({"conversion_elasticity": 2}, "competition.conversion_elasticity"),
])
def test_nonsense_pressure_is_refused_with_the_field(tmp_path, competition, message):
    import yaml

    raw = {"version": 1, "name": "bad", "calendar": CALENDAR, "population": {"size": 1000},
           "competition": competition}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and message in result.output, result.output
