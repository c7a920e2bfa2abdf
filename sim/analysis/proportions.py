"""Rates: single-rate intervals and comparisons of two independent proportions.

Counts are customers with the outcome (visited, converted, opted out) and `nobs`
the customers in each arm. "Arm" is the treated group and "control" the reference,
so every difference is ``arm - control`` and every ratio ``arm / control``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    test_proportions_2indep,
)

__all__ = [
    "RateInterval",
    "ProportionComparison",
    "rate_interval",
    "compare_proportions",
    "ztest_pvalues",
]


@dataclass(frozen=True)
class RateInterval:
    """A single rate with its confidence interval."""

    estimate: float
    ci_low: float
    ci_high: float
    count: float
    nobs: float
    alpha: float
    method: str


@dataclass(frozen=True)
class ProportionComparison:
    """Arm versus control on a 0/1 outcome.

    `difference` is ``p_arm - p_control`` (absolute, in proportion units) and
    `lift` is ``p_arm / p_control - 1``; each has its own interval. `statistic`
    and `p_value` belong to the test of ``difference == 0``.
    """

    estimate_control: float
    estimate_arm: float
    difference: float
    ci_low: float
    ci_high: float
    lift: float
    lift_ci_low: float
    lift_ci_high: float
    statistic: float
    p_value: float
    alpha: float
    alternative: str
    method: str


def rate_interval(
    count: float, nobs: float, *, alpha: float = 0.05, method: str = "wilson"
) -> RateInterval:
    """Confidence interval for one rate (e.g. a holdout's natural repurchase rate).

    Parameters
    ----------
    count, nobs : customers with the outcome, customers observed.
    alpha : two-sided level; the interval covers with probability ``1 - alpha``.
        Default 0.05.
    method : any method of ``statsmodels.stats.proportion.proportion_confint``.
        Default ``"wilson"``, the score interval, which keeps its coverage near
        rates of 0 or 1 where the Wald interval does not.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. JASA 22(158), 209-212.
    Brown, Cai and DasGupta (2001). Interval estimation for a binomial
    proportion. Statistical Science 16(2), 101-133.
    """
    low, high = proportion_confint(count, nobs, alpha=alpha, method=method)
    return RateInterval(
        estimate=float(count / nobs),
        ci_low=float(low),
        ci_high=float(high),
        count=float(count),
        nobs=float(nobs),
        alpha=alpha,
        method=method,
    )


def compare_proportions(
    count_arm: float,
    nobs_arm: float,
    count_control: float,
    nobs_control: float,
    *,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    diff_method: str = "newcomb",
    ratio_method: str = "log-adjusted",
    test_method: str = "score",
    correction: bool = False,
) -> ProportionComparison:
    """Difference and relative lift of two rates, with intervals and a z-test.

    Parameters
    ----------
    count_arm, nobs_arm, count_control, nobs_control : counts and sizes.
    alpha : level of both (two-sided) intervals. Default 0.05.
    alternative : ``"two-sided"`` (default), ``"larger"`` (arm above control)
        or ``"smaller"``; applies to the test only.
    diff_method : interval for the difference. Default ``"newcomb"``, the
        hybrid score interval built from the two Wilson intervals (Newcombe
        1998, method 10).
    ratio_method : interval for ``p_arm / p_control``; the lift interval is
        this interval minus one. Default ``"log-adjusted"`` (log risk ratio
        with 0.5 added to counts, Fagerland et al. 2015).
    test_method : method of ``test_proportions_2indep``. Default ``"score"``;
        with ``correction=False`` (default) it is the classic two-proportion
        z-test with the pooled variance, identical to ``proportions_ztest``.
    correction : Miettinen-Nurminen ``n / (n - 1)`` variance factor for the
        score test. Default False.

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between
    independent proportions: comparison of eleven methods. Statistics in
    Medicine 17(8), 873-890.
    Fagerland, Lydersen and Laake (2015). Recommended confidence intervals for
    two independent binomial proportions. SMMR 24(2), 224-254.
    Miettinen and Nurminen (1985). Comparative analysis of two rates.
    Statistics in Medicine 4(2), 213-226.
    """
    test = test_proportions_2indep(
        count_arm, nobs_arm, count_control, nobs_control,
        value=0, method=test_method, compare="diff",
        alternative=alternative, correction=correction,
    )
    d_low, d_high = confint_proportions_2indep(
        count_arm, nobs_arm, count_control, nobs_control,
        method=diff_method, compare="diff", alpha=alpha,
    )
    r_low, r_high = confint_proportions_2indep(
        count_arm, nobs_arm, count_control, nobs_control,
        method=ratio_method, compare="ratio", alpha=alpha,
    )
    p_arm = count_arm / nobs_arm
    p_control = count_control / nobs_control
    lift = p_arm / p_control - 1 if p_control > 0 else np.nan
    statistic, p_value = float(test.statistic), float(test.pvalue)
    if np.isnan(p_value) and count_arm * nobs_control == count_control * nobs_arm:
        # Both rates 0 or both 1: no variance and no difference, hence no evidence of one.
        statistic, p_value = 0.0, 1.0
    return ProportionComparison(
        estimate_control=float(p_control),
        estimate_arm=float(p_arm),
        difference=float(p_arm - p_control),
        ci_low=float(d_low),
        ci_high=float(d_high),
        lift=float(lift),
        lift_ci_low=float(r_low - 1),
        lift_ci_high=float(r_high - 1),
        statistic=statistic,
        p_value=p_value,
        alpha=alpha,
        alternative=alternative,
        method=f"diff={diff_method}; ratio={ratio_method}; test={test_method}",
    )


def ztest_pvalues(
    count_arm: np.ndarray,
    nobs_arm: np.ndarray,
    count_control: np.ndarray,
    nobs_control: np.ndarray,
    *,
    alternative: str = "two-sided",
) -> np.ndarray:
    """P-values of the pooled two-proportion z-test for many comparisons at once.

    The array form of the test in :func:`compare_proportions` (score method,
    no correction), for simulation studies of error rates and power.
    """
    test = test_proportions_2indep(
        np.asarray(count_arm, float), np.asarray(nobs_arm, float),
        np.asarray(count_control, float), np.asarray(nobs_control, float),
        value=0, method="score", compare="diff",
        alternative=alternative, correction=False,
    )
    return np.asarray(test.pvalue, float)
