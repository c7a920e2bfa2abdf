"""Money per customer: differences of means and of ratio metrics between two arms.

Every customer in an arm is one unit, including those who spent nothing, so
means are "yuan per customer". Differences are ``arm - control``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

__all__ = [
    "MeanComparison",
    "RatioEstimate",
    "RatioComparison",
    "compare_means",
    "welch_pvalues",
    "ratio_estimate",
    "compare_ratios",
]


@dataclass(frozen=True)
class MeanComparison:
    """Arm versus control on a per-customer amount.

    `difference` is ``mean_arm - mean_control`` with interval
    ``[ci_low, ci_high]`` from `interval_method`; `lift` is
    ``mean_arm / mean_control - 1`` with a delta-method interval.
    `statistic`, `df` and `p_value` are Welch's t-test of a zero difference.
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
    df: float
    p_value: float
    alpha: float
    alternative: str
    method: str


@dataclass(frozen=True)
class RatioEstimate:
    """A ratio of sums (e.g. average order value) with a delta-method interval."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    nobs: int


@dataclass(frozen=True)
class RatioComparison:
    """Difference of two ratio metrics, ``ratio_arm - ratio_control``."""

    estimate_control: float
    estimate_arm: float
    difference: float
    se: float
    ci_low: float
    ci_high: float
    lift: float
    statistic: float
    p_value: float
    alpha: float
    method: str


def _lift_interval(
    mean_a: float, var_mean_a: float, mean_c: float, var_mean_c: float, z: float
) -> tuple[float, float, float]:
    """Relative lift ``mean_a / mean_c - 1`` and its delta-method interval."""
    if mean_c == 0:
        return np.nan, np.nan, np.nan
    ratio = mean_a / mean_c
    se = np.sqrt(var_mean_a / mean_c**2 + ratio**2 * var_mean_c / mean_c**2)
    return ratio - 1, ratio - 1 - z * se, ratio - 1 + z * se


def _bootstrap_interval(
    x_arm: np.ndarray, x_control: np.ndarray, alpha: float, method: str,
    rng: np.random.Generator, n_resamples: int,
) -> tuple[float, float]:
    def diff(a: np.ndarray, c: np.ndarray, axis: int) -> np.ndarray:
        return a.mean(axis=axis) - c.mean(axis=axis)

    # Resample in batches so memory stays near 20 M floats whatever the arm size.
    batch = max(1, int(2e7 // (x_arm.size + x_control.size)))
    res = stats.bootstrap(
        (x_arm, x_control), diff, vectorized=True, n_resamples=n_resamples,
        batch=batch, confidence_level=1 - alpha, method=method, rng=rng,
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def compare_means(
    x_arm: np.ndarray,
    x_control: np.ndarray,
    *,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    usevar: str = "unequal",
    interval: str = "t",
    rng: np.random.Generator | None = None,
    n_resamples: int = 2000,
) -> MeanComparison:
    """Compare mean spend (or profit) per customer between an arm and control.

    Parameters
    ----------
    x_arm, x_control : one value per customer (zeros included), in yuan.
    alpha : level of the two-sided intervals. Default 0.05.
    alternative : ``"two-sided"`` (default), ``"larger"`` or ``"smaller"``;
        applies to the test only.
    usevar : ``"unequal"`` (default, Welch's t with Satterthwaite degrees of
        freedom) or ``"pooled"`` (Student's t).
    interval : interval for the difference: ``"t"`` (default, from the same
        t-test), or a bootstrap interval ``"percentile"`` or ``"bca"``
        (bias-corrected and accelerated) from ``scipy.stats.bootstrap``, which
        copes better with the heavy right tail of spend. Bootstrap needs `rng`.
    rng : numpy Generator for the bootstrap resamples.
    n_resamples : bootstrap resamples. Default 2000.

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when
    several different population variances are involved. Biometrika 34, 28-35.
    Efron, B. (1987). Better bootstrap confidence intervals. JASA 82, 171-185.
    """
    x_arm = np.asarray(x_arm, float)
    x_control = np.asarray(x_control, float)
    cm = CompareMeans(DescrStatsW(x_arm), DescrStatsW(x_control))
    stat, p_value, df = cm.ttest_ind(alternative=alternative, usevar=usevar)
    if interval == "t":
        low, high = cm.tconfint_diff(alpha=alpha, usevar=usevar)
    elif interval in ("percentile", "bca"):
        if rng is None:
            raise ValueError("a bootstrap interval needs a numpy Generator `rng`")
        method = "BCa" if interval == "bca" else "percentile"
        low, high = _bootstrap_interval(x_arm, x_control, alpha, method, rng, n_resamples)
    else:
        raise ValueError(f"unknown interval {interval!r}")
    mean_a, mean_c = x_arm.mean(), x_control.mean()
    var_a = x_arm.var(ddof=1) / x_arm.size
    var_c = x_control.var(ddof=1) / x_control.size
    lift, lift_low, lift_high = _lift_interval(
        mean_a, var_a, mean_c, var_c, stats.norm.ppf(1 - alpha / 2)
    )
    return MeanComparison(
        estimate_control=float(mean_c), estimate_arm=float(mean_a),
        difference=float(mean_a - mean_c), ci_low=float(low), ci_high=float(high),
        lift=float(lift), lift_ci_low=float(lift_low), lift_ci_high=float(lift_high),
        statistic=float(stat), df=float(df), p_value=float(p_value), alpha=alpha,
        alternative=alternative, method=f"t-test usevar={usevar}; interval={interval}",
    )


def welch_pvalues(
    x_arm: np.ndarray, x_control: np.ndarray, *, axis: int = -1,
    alternative: str = "two-sided",
) -> np.ndarray:
    """Welch t-test p-values for many comparisons at once (rows of 2-D arrays).

    The array form of the test in :func:`compare_means`, for simulation
    studies of error rates and power; computed by ``scipy.stats.ttest_ind``.
    """
    res = stats.ttest_ind(
        x_arm, x_control, axis=axis, equal_var=False, alternative=alternative
    )
    return np.asarray(res.pvalue, float)


def ratio_estimate(
    numerator: np.ndarray, denominator: np.ndarray, *, alpha: float = 0.05
) -> RatioEstimate:
    """Ratio of sums over customers, e.g. average order value = GMV / orders.

    The customer, not the order, is the independent unit, so the standard
    error comes from the delta method on the two per-customer means:
    ``var(R) = (var(y) - 2 R cov(y, x) + R^2 var(x)) / (n * mean(x)^2)``.

    Parameters
    ----------
    numerator, denominator : per-customer sums (yuan, orders), same length.
    alpha : level of the two-sided normal interval. Default 0.05.

    References
    ----------
    Deng, Knoblich and Lu (2018). Applying the delta method in metric
    analytics: a practical guide with novel ideas. KDD '18, 233-242.
    """
    y = np.asarray(numerator, float)
    x = np.asarray(denominator, float)
    n = y.size
    ratio = y.sum() / x.sum()
    cov = np.cov(y, x, ddof=1)
    var = (cov[0, 0] - 2 * ratio * cov[0, 1] + ratio**2 * cov[1, 1]) / (n * x.mean() ** 2)
    se = float(np.sqrt(var))
    z = stats.norm.ppf(1 - alpha / 2)
    return RatioEstimate(
        estimate=float(ratio), se=se, ci_low=float(ratio - z * se),
        ci_high=float(ratio + z * se), nobs=n,
    )


def compare_ratios(
    numerator_arm: np.ndarray,
    denominator_arm: np.ndarray,
    numerator_control: np.ndarray,
    denominator_control: np.ndarray,
    *,
    alpha: float = 0.05,
) -> RatioComparison:
    """Difference of a ratio metric between two independent arms.

    Each arm's ratio and standard error come from :func:`ratio_estimate`; the
    arms are independent, so variances add. Normal (z) interval and two-sided
    p-value at level `alpha` (default 0.05).

    References
    ----------
    Deng, Knoblich and Lu (2018), KDD '18, section 3.
    """
    arm = ratio_estimate(numerator_arm, denominator_arm, alpha=alpha)
    ctrl = ratio_estimate(numerator_control, denominator_control, alpha=alpha)
    diff = arm.estimate - ctrl.estimate
    se = float(np.hypot(arm.se, ctrl.se))
    z = stats.norm.ppf(1 - alpha / 2)
    stat = diff / se if se > 0 else np.nan
    return RatioComparison(
        estimate_control=ctrl.estimate, estimate_arm=arm.estimate,
        difference=float(diff), se=se, ci_low=float(diff - z * se),
        ci_high=float(diff + z * se), lift=float(arm.estimate / ctrl.estimate - 1),
        statistic=float(stat), p_value=float(2 * stats.norm.sf(abs(stat))),
        alpha=alpha, method="delta method, normal interval",
    )
