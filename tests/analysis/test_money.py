import numpy as np
import pytest
from scipy import stats

from sim.analysis import customer_profit, incremental_profit


def test_customer_profit_formula():
    p = customer_profit(np.array([0.0, 300.0]), 0.35, message_cost=0.05, coupon_cost=np.array([0.0, 30.0]))
    assert p == pytest.approx([-0.05, 300 * 0.35 - 0.05 - 30.0])


def test_incremental_profit_scales_the_per_customer_interval():
    rng = np.random.default_rng(8)
    rev_a = rng.binomial(1, 0.12, 5000) * rng.gamma(3, 70, 5000)
    rev_c = rng.binomial(1, 0.10, 5000) * rng.gamma(3, 70, 5000)
    arm = customer_profit(rev_a, 0.35, message_cost=0.05, coupon_cost=np.where(rev_a > 0, 10.0, 0.0))
    ctrl = customer_profit(rev_c, 0.35)
    r = incremental_profit(arm, ctrl, audience_size=200_000, test="welch")
    ref = stats.ttest_ind(arm, ctrl, equal_var=False)
    ci = ref.confidence_interval()
    assert r.per_customer == pytest.approx(arm.mean() - ctrl.mean())
    assert r.total == pytest.approx(200_000 * (arm.mean() - ctrl.mean()))
    assert (r.ci_low, r.ci_high) == pytest.approx((200_000 * ci.low, 200_000 * ci.high))
    assert r.p_value == pytest.approx(ref.pvalue)
    default = incremental_profit(arm, ctrl, audience_size=200_000)  # permutation p, seeded
    assert "permutation" in default.method and default.total == pytest.approx(r.total)
    assert default.p_value == pytest.approx(ref.pvalue, abs=0.02)
    assert (default.ci_low, default.ci_high) == pytest.approx((r.ci_low, r.ci_high), rel=0.05)
