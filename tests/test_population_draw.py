"""The parametric base starts honestly (some customers have dropped out) and coupon
sensitivity follows order value."""

from __future__ import annotations

import numpy as np
import pytest

from sim import streams
from sim.config.scenario import PopulationSettings
from sim.errors import ScenarioError
from sim.model.calendar import Calendar
from sim.model.customers import draw_base, draw_traits, survival
from sim.simulation.replication import simulate_replication
from sim.vocabulary import SEGMENTS
from tests.conftest import QUIET_TRAFFIC, make_scenario

SEG = {name: i for i, name in enumerate(SEGMENTS)}


def _base(s, rep=0):
    return draw_base(s, Calendar.from_scenario(s), streams.generator(s.run.seed, rep, streams.POPULATION))


def test_some_of_the_default_base_has_dropped_out():
    s = make_scenario(population={"size": 20_000})
    base = _base(s)
    dead = base.remaining == 0
    assert 0.2 < dead.mean() < 0.4  # 30.5 % over 20 replications of the default scenario
    assert not dead[base.is_new].any()  # one-time buyers have had no dropout chance
    assert (base.remaining[~dead] >= 1).all()


def test_segments_keep_their_meaning():
    base = _base(make_scenario(population={"size": 20_000}))
    dead = base.remaining == 0
    share = {g: dead[base.segment == SEG[g]].mean() for g in SEGMENTS}
    # recent groups are mostly alive; frequent buyers who stopped buying long ago mostly are not
    assert share["important_value"] < share["general"] < share["important_retention"]
    assert share["important_development"] < share["important_maintenance"] < share["important_retention"]


def test_survival_is_the_bgnbd_odds():
    lam, p, hours = np.array([0.01, 0.0]), np.array([0.2, 0.5]), np.array([100.0, 1e6])
    stay = (1 - p) * np.exp(-lam * hours)
    np.testing.assert_allclose(survival(lam, p, hours), stay / (stay + p))


def test_alive_start_counts_the_living_base():
    s = make_scenario(population={"size": 4000}, traffic={"daily_visitors": 1000})
    m = simulate_replication(s, 0).metrics[0]
    base = _base(s)
    assert m["alive_start"] == np.count_nonzero(base.remaining > 0) < 4000
    assert m["alive_start"] + m["new_buyers"] == m["alive_end"] + m["churned"]


def test_sensitivity_falls_with_order_value_and_keeps_mean_one():
    s = make_scenario(population={"size": 200_000})
    t = draw_traits(s, 200_000, np.random.default_rng(5))
    assert t.sensitivity.mean() == pytest.approx(1.0, abs=0.01)
    assert np.corrcoef(np.log(t.value), np.log(t.sensitivity))[0, 1] < -0.3
    low = t.value < np.median(t.value)
    assert t.sensitivity[low].mean() > 1.2 * t.sensitivity[~low].mean()


def test_elasticity_zero_is_the_independent_draw():
    """Same draws whatever the elasticity; e = 0 leaves the Gamma(k, 1/k) noise alone."""
    zero = make_scenario(population={"size": 1000, "coupon_value_elasticity": 0})
    half = make_scenario(population={"size": 1000})
    a = draw_traits(zero, 50_000, np.random.default_rng(5))
    b = draw_traits(half, 50_000, np.random.default_rng(5))
    for name in ("lam", "dropout", "value", "category", "remaining"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    ratio = b.sensitivity / a.sensitivity
    np.testing.assert_allclose(ratio * np.sqrt(a.value), (ratio * np.sqrt(a.value))[0])  # ∝ value^-0.5
    assert abs(np.corrcoef(a.value, a.sensitivity)[0, 1]) < 0.02
    assert a.sensitivity.mean() == pytest.approx(1.0, abs=0.02)


def test_the_elasticity_must_not_be_negative():
    with pytest.raises(ScenarioError) as err:
        make_scenario(population={"coupon_value_elasticity": -0.1})
    assert "coupon_value_elasticity" in str(err.value)


def test_draw_customers_needs_a_table():
    with pytest.raises(ScenarioError) as err:
        make_scenario(population={"draw": "customers"})
    assert "population.draw" in str(err.value)
    assert PopulationSettings().draw == "mixing"


def test_quiet_default_run_still_matches_the_alive_customers():
    """Orders of the base come only from customers alive at the start."""
    s = make_scenario(population={"size": 3000}, traffic={"daily_visitors": 0, **QUIET_TRAFFIC})
    m = simulate_replication(s, 0).metrics[0]
    assert m["returning_buyers"] <= m["alive_start"] < 3000
