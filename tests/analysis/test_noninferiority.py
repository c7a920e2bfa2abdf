import numpy as np
import pytest
from statsmodels.stats import proportion as smp
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from sim.analysis import noninferiority_means, noninferiority_proportions


def test_optout_guardrail_matches_statsmodels():
    # opt-out 1.2 % vs 1.0 %, margin half a point: H1 diff < 0.005
    r = noninferiority_proportions(120, 10000, 100, 10000, margin=0.005)
    ref = smp.test_proportions_2indep(120, 10000, 100, 10000, value=0.005,
                                      method="score", alternative="smaller")
    assert (r.statistic, r.p_value) == pytest.approx((ref.statistic, ref.pvalue), rel=1e-12)
    low, high = smp.confint_proportions_2indep(120, 10000, 100, 10000, method="newcomb", alpha=0.10)
    assert (r.ci_low, r.ci_high) == pytest.approx((low, high))
    assert r.non_inferior and r.ci_high < 0.005


def test_harmful_arm_is_inferior():
    r = noninferiority_proportions(190, 10000, 100, 10000, margin=0.005)
    assert not r.non_inferior and r.ci_high > 0.005


def test_higher_is_better_rate_uses_lower_margin():
    r = noninferiority_proportions(950, 10000, 1000, 10000, margin=0.02, higher_is_better=True)
    ref = smp.test_proportions_2indep(950, 10000, 1000, 10000, value=-0.02,
                                      method="score", alternative="larger")
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-12)
    assert r.non_inferior


def test_means_guardrail_matches_statsmodels_and_closed_form():
    rng = np.random.default_rng(4)
    a, c = rng.normal(99.5, 30, 4000), rng.normal(100, 30, 4000)
    r = noninferiority_means(a, c, margin=2.0)
    cm = CompareMeans(DescrStatsW(a), DescrStatsW(c))
    stat, p, _ = cm.ttest_ind(value=-2.0, alternative="larger", usevar="unequal")
    assert (r.statistic, r.p_value) == pytest.approx((stat, p), rel=1e-12)
    se = np.sqrt(a.var(ddof=1) / a.size + c.var(ddof=1) / c.size)
    assert r.statistic == pytest.approx((a.mean() - c.mean() + 2.0) / se, rel=1e-10)
    # the one-sided test and the 90 % interval agree
    assert r.non_inferior == (r.ci_low > -2.0)


def test_negative_margin_rejected():
    with pytest.raises(ValueError):
        noninferiority_proportions(1, 10, 1, 10, margin=-0.01)
