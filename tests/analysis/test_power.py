import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize

from sim.analysis import (
    detectable_effect_means,
    detectable_effect_proportions,
    power_means,
    power_proportions,
    sample_size_means,
    sample_size_proportions,
    welch_pvalues,
    ztest_pvalues,
)


def test_sample_size_matches_statsmodels_and_closed_form():
    s = sample_size_proportions(0.10, 0.02)
    h = 2 * np.arcsin(np.sqrt(0.12)) - 2 * np.arcsin(np.sqrt(0.10))
    assert s.effect_size == pytest.approx(h)
    ref = NormalIndPower().solve_power(effect_size=h, alpha=0.05, power=0.8, ratio=1.0)
    assert s.n_exact == pytest.approx(ref, rel=1e-8)
    # normal approximation, other tail negligible: n = 2 ((z_{1-a/2} + z_{power}) / h)^2
    closed = 2 * ((stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) / h) ** 2
    assert s.n_exact == pytest.approx(closed, rel=1e-4)
    assert s.n_per_arm == int(np.ceil(ref)) and s.total == 2 * s.n_per_arm


def test_bonferroni_over_treatment_arms():
    s = sample_size_proportions(0.10, 0.02, arms=4)
    assert s.alpha_per_comparison == pytest.approx(0.05 / 3)
    ref = NormalIndPower().solve_power(effect_size=s.effect_size, alpha=0.05 / 3, power=0.8)
    assert s.n_exact == pytest.approx(ref, rel=1e-8)
    assert s.total == 4 * s.n_per_arm
    assert s.n_per_arm > sample_size_proportions(0.10, 0.02).n_per_arm


def test_detectable_effect_inverts_sample_size():
    n = sample_size_proportions(0.05, 0.01, arms=3).n_exact
    assert detectable_effect_proportions(n, 0.05, arms=3) == pytest.approx(0.01, rel=1e-5)
    h = NormalIndPower().solve_power(nobs1=5000, alpha=0.05, power=0.8)
    d = detectable_effect_proportions(5000, 0.03)
    assert proportion_effectsize(0.03 + d, 0.03) == pytest.approx(h, rel=1e-8)


def test_means_planning_matches_statsmodels():
    s = sample_size_means(sd=120.0, mde=10.0)
    ref = TTestIndPower().solve_power(effect_size=10 / 120, alpha=0.05, power=0.8)
    assert s.n_exact == pytest.approx(ref, rel=1e-8)
    assert detectable_effect_means(s.n_exact, 120.0) == pytest.approx(10.0, rel=1e-6)
    assert power_means(s.n_exact, 120.0, 10.0) == pytest.approx(0.8, rel=1e-6)


def test_simulated_power_of_z_test_matches_plan():
    rng = np.random.default_rng(99)
    baseline, mde, reps = 0.10, 0.02, 3000
    n = sample_size_proportions(baseline, mde, power=0.7, arms=3).n_per_arm
    planned = power_proportions(n, baseline, mde, arms=3)
    c_arm = rng.binomial(n, baseline + mde, reps)
    c_ctrl = rng.binomial(n, baseline, reps)
    p = ztest_pvalues(c_arm, np.full(reps, n), c_ctrl, np.full(reps, n))
    measured = np.mean(p < 0.05 / 2)
    assert measured == pytest.approx(planned, abs=0.05), (measured, planned)


def test_simulated_power_of_welch_matches_plan():
    rng = np.random.default_rng(100)
    sd, mde, reps = 50.0, 4.0, 2000
    n = sample_size_means(sd, mde, power=0.6).n_per_arm
    planned = power_means(n, sd, mde)
    a = rng.normal(100 + mde, sd, (reps, n))
    c = rng.normal(100, sd, (reps, n))
    measured = np.mean(welch_pvalues(a, c) < 0.05)
    assert measured == pytest.approx(planned, abs=0.05), (measured, planned)
