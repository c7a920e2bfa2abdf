import numpy as np
import pytest
import statsmodels.api as sm

from sim.analysis import compare_means, compare_means_cuped, cuped_theta


@pytest.fixture()
def experiment():
    rng = np.random.default_rng(21)
    n = 5000
    x_a, x_c = rng.gamma(2.0, 100.0, n), rng.gamma(2.0, 100.0, n)
    noise_sd = 100.0
    y_a = 0.5 * x_a + rng.normal(0, noise_sd, n) + 5.0
    y_c = 0.5 * x_c + rng.normal(0, noise_sd, n)
    return y_a, x_a, y_c, x_c


def test_theta_is_pooled_ols_slope(experiment):
    y_a, x_a, y_c, x_c = experiment
    y, x = np.concatenate([y_a, y_c]), np.concatenate([x_a, x_c])
    slope = sm.OLS(y, sm.add_constant(x)).fit().params[1]
    assert cuped_theta(y, x) == pytest.approx(slope, rel=1e-10)
    assert compare_means_cuped(y_a, x_a, y_c, x_c).theta == pytest.approx(slope, rel=1e-10)


def test_adjusted_comparison_is_welch_on_adjusted_values(experiment):
    y_a, x_a, y_c, x_c = experiment
    r = compare_means_cuped(y_a, x_a, y_c, x_c)
    xm = np.concatenate([x_a, x_c]).mean()
    ref = compare_means(y_a - r.theta * (x_a - xm), y_c - r.theta * (x_c - xm))
    assert r.comparison == ref
    assert r.unadjusted == compare_means(y_a, y_c)


def test_variance_reduction_is_squared_correlation(experiment):
    y_a, x_a, y_c, x_c = experiment
    r = compare_means_cuped(y_a, x_a, y_c, x_c)
    rho2 = np.corrcoef(np.concatenate([y_a, y_c]), np.concatenate([x_a, x_c]))[0, 1] ** 2
    # x has sd 141 and slope 0.5, noise sd 100: corr^2 = 5000 / 15000 = 1/3.
    assert r.variance_reduction == pytest.approx(rho2, abs=0.02)
    assert r.variance_reduction == pytest.approx(1 / 3, abs=0.03)
    assert r.comparison.ci_high - r.comparison.ci_low < r.unadjusted.ci_high - r.unadjusted.ci_low
    assert r.comparison.ci_low < 5.0 < r.comparison.ci_high


def test_cuped_on_hillstrom_spend(hillstrom):
    w = hillstrom[hillstrom.segment == "Womens E-Mail"]
    c = hillstrom[hillstrom.segment == "No E-Mail"]
    r = compare_means_cuped(w.spend.to_numpy(float), w.history.to_numpy(float),
                            c.spend.to_numpy(float), c.history.to_numpy(float))
    assert 0 < r.variance_reduction < 0.05  # past-year spend explains little of two weeks' spend
    assert r.comparison.difference == pytest.approx(r.unadjusted.difference, abs=0.05)
