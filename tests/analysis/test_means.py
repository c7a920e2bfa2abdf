import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from sim.analysis import compare_means, compare_ratios, ratio_estimate, welch_pvalues


def _spend(rng, n, p_buy=0.1, scale=200.0):
    """Per-customer spend: mostly zeros, lognormal amounts for buyers."""
    return rng.binomial(1, p_buy, n) * rng.lognormal(np.log(scale), 0.8, n)


@pytest.fixture()
def arms():
    rng = np.random.default_rng(7)
    return _spend(rng, 3000, 0.12), _spend(rng, 2800, 0.10)


def test_welch_matches_scipy_and_statsmodels(arms):
    a, c = arms
    r = compare_means(a, c)
    ref = stats.ttest_ind(a, c, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert (r.statistic, r.p_value, r.df) == pytest.approx((ref.statistic, ref.pvalue, ref.df), rel=1e-10)
    assert (r.ci_low, r.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-10)
    cm = CompareMeans(DescrStatsW(a), DescrStatsW(c))
    assert (r.ci_low, r.ci_high) == pytest.approx(cm.tconfint_diff(usevar="unequal"), rel=1e-10)


def test_welch_closed_form(arms):
    a, c = arms
    va, vc = a.var(ddof=1) / a.size, c.var(ddof=1) / c.size
    t = (a.mean() - c.mean()) / np.sqrt(va + vc)
    df = (va + vc) ** 2 / (va**2 / (a.size - 1) + vc**2 / (c.size - 1))
    r = compare_means(a, c)
    assert r.statistic == pytest.approx(t, rel=1e-10)
    assert r.df == pytest.approx(df, rel=1e-10)
    half = stats.t.ppf(0.975, df) * np.sqrt(va + vc)
    assert (r.ci_low, r.ci_high) == pytest.approx((r.difference - half, r.difference + half), rel=1e-10)


def test_lift_and_its_delta_interval(arms):
    a, c = arms
    r = compare_means(a, c)
    assert r.lift == pytest.approx(a.mean() / c.mean() - 1)
    assert r.lift_ci_low < r.lift < r.lift_ci_high


@pytest.mark.parametrize("kind,method", [("bca", "BCa"), ("percentile", "percentile")])
def test_bootstrap_interval_matches_scipy(arms, kind, method):
    a, c = arms
    r = compare_means(a, c, interval=kind, rng=np.random.default_rng(3), n_resamples=999)
    ref = stats.bootstrap((a, c), lambda x, y, axis: x.mean(axis) - y.mean(axis),
                          n_resamples=999, method=method, rng=np.random.default_rng(3))
    assert (r.ci_low, r.ci_high) == pytest.approx(
        (ref.confidence_interval.low, ref.confidence_interval.high), rel=1e-10)
    t = compare_means(a, c)
    assert r.ci_low == pytest.approx(t.ci_low, abs=0.25 * (t.ci_high - t.ci_low))


def test_bootstrap_needs_a_generator(arms):
    with pytest.raises(ValueError):
        compare_means(*arms, interval="bca")


def test_aa_false_positive_rate_of_welch():
    rng = np.random.default_rng(11)
    reps, n = 2000, 1000
    a = _spend(rng, (reps, n))
    c = _spend(rng, (reps, n))
    fpr = np.mean(welch_pvalues(a, c) < 0.05)
    assert 0.035 <= fpr <= 0.065, fpr
    assert welch_pvalues(a[:3], c[:3]) == pytest.approx([compare_means(x, y).p_value for x, y in zip(a[:3], c[:3])])


def test_ratio_estimate_closed_form():
    gmv = np.array([100.0, 0.0, 250.0, 80.0, 40.0])
    orders = np.array([1.0, 0.0, 2.0, 1.0, 1.0])
    r = ratio_estimate(gmv, orders)
    ratio = gmv.sum() / orders.sum()
    # Linearised form: se = sd(y - R x) / (sqrt(n) * mean(x)).
    se = np.std(gmv - ratio * orders, ddof=1) / (np.sqrt(5) * orders.mean())
    assert r.estimate == pytest.approx(94.0)
    assert r.se == pytest.approx(se, rel=1e-12)
    assert r.ci_high - r.estimate == pytest.approx(stats.norm.ppf(0.975) * se)


def test_ratio_se_agrees_with_bootstrap():
    rng = np.random.default_rng(5)
    orders = rng.poisson(0.6, 4000).astype(float)
    gmv = orders * rng.gamma(4.0, 50.0, 4000)
    r = ratio_estimate(gmv, orders)
    ref = stats.bootstrap((gmv, orders), lambda y, x, axis: y.sum(axis) / x.sum(axis),
                          paired=True, n_resamples=1000, rng=np.random.default_rng(1), method="percentile")
    assert r.se == pytest.approx(ref.standard_error, rel=0.1)


def test_compare_ratios_combines_independent_arms():
    rng = np.random.default_rng(9)
    o_a, o_c = rng.poisson(0.7, 2000).astype(float), rng.poisson(0.6, 2100).astype(float)
    g_a, g_c = o_a * rng.gamma(4, 55, 2000), o_c * rng.gamma(4, 50, 2100)
    r = compare_ratios(g_a, o_a, g_c, o_c)
    a, c = ratio_estimate(g_a, o_a), ratio_estimate(g_c, o_c)
    assert r.difference == pytest.approx(a.estimate - c.estimate)
    assert r.se == pytest.approx(np.hypot(a.se, c.se))
    assert r.p_value == pytest.approx(2 * stats.norm.sf(abs(r.difference / r.se)))
