import numpy as np
import pytest
from scipy import stats

from sim.analysis import compare_means, kim_nelson, paired_difference


def _normal_arms(means, sd, rng):
    means = np.asarray(means, float)

    def sample(arms, rep):
        return rng.normal(means[arms], sd)

    return sample


def test_kn_constants_by_hand():
    rng = np.random.default_rng(0)
    r = kim_nelson(_normal_arms([1.0, 0, 0, 0], 1.0, rng), 4, delta=0.5, alpha=0.05, n0=10)
    eta = 0.5 * ((2 * 0.05 / 3) ** (-2 / 9) - 1)
    assert r.eta == pytest.approx(eta)
    assert r.h2 == pytest.approx(2 * eta * 9)


def test_kn_probability_of_correct_selection():
    rng = np.random.default_rng(20010701)
    delta, trials, correct, spent = 0.5, 1000, 0, []
    for _ in range(trials):
        # slippage configuration: the best arm ahead of three equal arms by exactly delta
        r = kim_nelson(_normal_arms([delta, 0, 0, 0], 1.0, rng), 4, delta=delta, alpha=0.05, n0=10)
        correct += r.best == 0
        spent.append(sum(r.replications))
        assert len(r.eliminated) == 3 and not r.stopped_at_max
    # KN is slightly conservative here (about 0.96 over 7,000 trials); 1,000 trials give
    # a standard error near 0.006.
    assert correct / trials >= 0.95, correct / trials
    assert np.mean(spent) < 4 * 200  # sequential elimination spends far fewer than a fixed design


def test_kn_history_and_minimisation():
    rng = np.random.default_rng(5)
    r = kim_nelson(_normal_arms([5.0, 3.0, 0.0], 1.0, rng), 3, delta=0.5,
                   larger_is_better=False)
    assert r.best == 2
    assert {arm for arm, _ in r.eliminated} == {0, 1}
    stage = dict(r.eliminated)
    assert all(r.replications[arm] == stage[arm] for arm in (0, 1))
    assert r.means[2] == pytest.approx(0.0, abs=1.0)


def test_kn_cap_stops_early():
    rng = np.random.default_rng(6)
    r = kim_nelson(_normal_arms([0, 0, 0], 1.0, rng), 3, delta=0.01, max_replications=15)
    assert r.stopped_at_max and max(r.replications) == 15


def test_paired_difference_matches_scipy_and_benefits_from_crn():
    rng = np.random.default_rng(12)
    shared = rng.normal(1000, 200, 40)  # replication-level noise common to both arms
    a = shared + 30 + rng.normal(0, 10, 40)
    b = shared + rng.normal(0, 10, 40)
    r = paired_difference(a, b)
    ref = stats.ttest_rel(a, b)
    ci = ref.confidence_interval()
    assert (r.statistic, r.p_value, r.df) == pytest.approx((ref.statistic, ref.pvalue, ref.df))
    assert (r.ci_low, r.ci_high) == pytest.approx((ci.low, ci.high))
    d = a - b
    half = stats.t.ppf(0.975, 39) * d.std(ddof=1) / np.sqrt(40)
    assert (r.ci_low, r.ci_high) == pytest.approx((d.mean() - half, d.mean() + half))
    unpaired = compare_means(a, b)
    assert r.ci_high - r.ci_low < 0.2 * (unpaired.ci_high - unpaired.ci_low)
