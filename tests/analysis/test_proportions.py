import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats import proportion as smp
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint, proportions_ztest

from sim.analysis import compare_proportions, rate_interval, ztest_pvalues

Z = stats.norm.ppf(0.975)


def _wilson(count, n, z=Z):
    p = count / n
    centre = p + z**2 / (2 * n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return (centre - half) / (1 + z**2 / n), (centre + half) / (1 + z**2 / n)


def test_rate_interval_is_wilson_closed_form():
    r = rate_interval(37, 500)
    low, high = _wilson(37, 500)
    assert r.estimate == pytest.approx(0.074)
    assert (r.ci_low, r.ci_high) == pytest.approx((low, high), rel=1e-12)
    assert (r.ci_low, r.ci_high) == pytest.approx(proportion_confint(37, 500, method="wilson"))


def test_difference_matches_statsmodels_and_newcombe_by_hand():
    r = compare_proportions(180, 1500, 140, 1520)
    low, high = confint_proportions_2indep(180, 1500, 140, 1520, method="newcomb")
    assert (r.ci_low, r.ci_high) == pytest.approx((low, high), rel=1e-12)
    # Newcombe (1998) method 10 from the two Wilson intervals.
    p1, p2 = 180 / 1500, 140 / 1520
    l1, u1 = _wilson(180, 1500)
    l2, u2 = _wilson(140, 1520)
    d = p1 - p2
    assert r.difference == pytest.approx(d)
    assert r.ci_low == pytest.approx(d - np.hypot(p1 - l1, u2 - p2), rel=1e-10)
    assert r.ci_high == pytest.approx(d + np.hypot(u1 - p1, p2 - l2), rel=1e-10)


def test_lift_interval_is_statsmodels_ratio_interval_minus_one():
    r = compare_proportions(180, 1500, 140, 1520)
    low, high = confint_proportions_2indep(180, 1500, 140, 1520, method="log-adjusted", compare="ratio")
    assert r.lift == pytest.approx((180 / 1500) / (140 / 1520) - 1)
    assert (r.lift_ci_low, r.lift_ci_high) == pytest.approx((low - 1, high - 1), rel=1e-12)


def test_z_test_matches_statsmodels_and_pooled_closed_form():
    r = compare_proportions(180, 1500, 140, 1520)
    stat, p = proportions_ztest([180, 140], [1500, 1520])
    assert (r.statistic, r.p_value) == pytest.approx((stat, p), rel=1e-10)
    pooled = 320 / 3020
    z = (180 / 1500 - 140 / 1520) / np.sqrt(pooled * (1 - pooled) * (1 / 1500 + 1 / 1520))
    assert r.statistic == pytest.approx(z, rel=1e-10)
    assert r.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-10)


def test_one_sided_test_matches_statsmodels():
    r = compare_proportions(180, 1500, 140, 1520, alternative="larger")
    ref = smp.test_proportions_2indep(180, 1500, 140, 1520, method="score",
                                  alternative="larger", correction=False)
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-12)


def test_array_form_equals_scalar_form():
    c1, c2 = np.array([180, 20, 55]), np.array([140, 25, 55])
    n1, n2 = np.array([1500, 300, 800]), np.array([1520, 310, 790])
    p = ztest_pvalues(c1, n1, c2, n2)
    expected = [compare_proportions(*args).p_value for args in zip(c1, n1, c2, n2)]
    assert p == pytest.approx(expected, rel=1e-10)


def test_aa_false_positive_rate_of_z_test():
    rng = np.random.default_rng(20261111)
    reps, n, rate = 4000, 2000, 0.08
    c_arm = rng.binomial(n, rate, size=reps)
    c_ctrl = rng.binomial(n, rate, size=reps)
    fpr = np.mean(ztest_pvalues(c_arm, np.full(reps, n), c_ctrl, np.full(reps, n)) < 0.05)
    assert 0.035 <= fpr <= 0.065, fpr


@settings(max_examples=60, deadline=None)
@given(
    n1=st.integers(20, 5000), n2=st.integers(20, 5000),
    f1=st.floats(0.01, 0.99), f2=st.floats(0.01, 0.99),
)
def test_intervals_contain_their_estimates(n1, n2, f1, f2):
    c1, c2 = max(round(f1 * n1), 5), max(round(f2 * n2), 5)
    r = compare_proportions(c1, n1, c2, n2)
    assert r.ci_low <= r.difference <= r.ci_high
    assert -1 <= r.ci_low and r.ci_high <= 1
    assert r.lift_ci_low <= r.lift <= r.lift_ci_high
    assert 0 <= r.p_value <= 1
