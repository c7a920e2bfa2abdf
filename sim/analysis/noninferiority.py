"""Guardrails: show that an arm is not worse than control by more than a margin.

A guardrail (opt-out rate, complaint rate, refund amount) need not improve, but
it must not deteriorate by more than an agreed margin. The null hypothesis is
"the arm is worse by at least the margin"; rejecting it shows non-inferiority.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

__all__ = ["NonInferiorityResult", "noninferiority_proportions", "noninferiority_means"]


@dataclass(frozen=True)
class NonInferiorityResult:
    """One-sided test against a margin.

    `difference` is ``arm - control``. ``[ci_low, ci_high]`` is the two-sided
    ``1 - 2 alpha`` interval, whose bound on the harmful side lies inside the
    margin exactly when the one-sided level-alpha test is passed (for the
    Welch test; for proportions approximately, as the test is a score test and
    the interval Newcombe's). `non_inferior` is ``p_value < alpha``.
    """

    estimate_control: float
    estimate_arm: float
    difference: float
    margin: float
    ci_low: float
    ci_high: float
    statistic: float
    p_value: float
    alpha: float
    non_inferior: bool
    higher_is_better: bool
    method: str


def _null_and_alternative(margin: float, higher_is_better: bool) -> tuple[float, str]:
    """The boundary of the null and the direction of the one-sided alternative."""
    if margin < 0:
        raise ValueError("margin is a tolerated deterioration and must be >= 0")
    return (-margin, "larger") if higher_is_better else (margin, "smaller")


def noninferiority_proportions(
    count_arm: float,
    nobs_arm: float,
    count_control: float,
    nobs_control: float,
    *,
    margin: float,
    higher_is_better: bool = False,
    alpha: float = 0.05,
    method: str = "score",
) -> NonInferiorityResult:
    """Non-inferiority of a rate, with an absolute margin in proportion units.

    Example: the opt-out rate may not rise by more than 0.5 points:
    ``margin=0.005, higher_is_better=False`` (default) tests
    H0: p_arm - p_control >= 0.005 against H1: p_arm - p_control < 0.005.
    With ``higher_is_better=True`` the test is H0: diff <= -margin.

    Parameters
    ----------
    margin : tolerated deterioration, >= 0, absolute (0.005 = half a point).
    higher_is_better : direction of the guardrail. Default False (a rate of
        harm such as opt-outs).
    alpha : one-sided level. Default 0.05.
    method : ``test_proportions_2indep`` method. Default ``"score"``, the
        Farrington-Manning / Miettinen-Nurminen score test with the variance
        restricted to the null boundary.

    References
    ----------
    Farrington and Manning (1990). Test statistics and sample size formulae for
    comparative binomial trials with null hypothesis of non-zero risk
    difference or non-unity relative risk. Statistics in Medicine 9, 1447-1454.
    """
    value, alternative = _null_and_alternative(margin, higher_is_better)
    test = test_proportions_2indep(
        count_arm, nobs_arm, count_control, nobs_control, value=value,
        method=method, compare="diff", alternative=alternative,
    )
    low, high = confint_proportions_2indep(
        count_arm, nobs_arm, count_control, nobs_control,
        method="newcomb", compare="diff", alpha=2 * alpha,
    )
    p_arm, p_control = count_arm / nobs_arm, count_control / nobs_control
    return NonInferiorityResult(
        estimate_control=float(p_control), estimate_arm=float(p_arm),
        difference=float(p_arm - p_control), margin=margin,
        ci_low=float(low), ci_high=float(high), statistic=float(test.statistic),
        p_value=float(test.pvalue), alpha=alpha,
        non_inferior=bool(test.pvalue < alpha), higher_is_better=higher_is_better,
        method=f"{method} test vs margin; newcomb interval",
    )


def noninferiority_means(
    x_arm: np.ndarray,
    x_control: np.ndarray,
    *,
    margin: float,
    higher_is_better: bool = True,
    alpha: float = 0.05,
    usevar: str = "unequal",
) -> NonInferiorityResult:
    """Non-inferiority of a mean per customer, margin in the metric's units.

    Example: spend per customer may not fall by more than 2 yuan:
    ``margin=2.0, higher_is_better=True`` (default) tests
    H0: mean_arm - mean_control <= -2 against H1: > -2.

    Parameters
    ----------
    margin : tolerated deterioration, >= 0, in the metric's units (yuan).
    higher_is_better : direction. Default True (money).
    alpha : one-sided level. Default 0.05.
    usevar : ``"unequal"`` (default, Welch) or ``"pooled"``; the test is
        ``statsmodels`` ``CompareMeans.ttest_ind`` with ``value`` set to the margin.

    References
    ----------
    Wellek, S. (2010). Testing Statistical Hypotheses of Equivalence and
    Noninferiority, 2nd ed. Chapman & Hall/CRC.
    """
    value, alternative = _null_and_alternative(margin, higher_is_better)
    x_arm = np.asarray(x_arm, float)
    x_control = np.asarray(x_control, float)
    cm = CompareMeans(DescrStatsW(x_arm), DescrStatsW(x_control))
    stat, p_value, _ = cm.ttest_ind(alternative=alternative, usevar=usevar, value=value)
    low, high = cm.tconfint_diff(alpha=2 * alpha, usevar=usevar)
    return NonInferiorityResult(
        estimate_control=float(x_control.mean()), estimate_arm=float(x_arm.mean()),
        difference=float(x_arm.mean() - x_control.mean()), margin=margin,
        ci_low=float(low), ci_high=float(high), statistic=float(stat),
        p_value=float(p_value), alpha=alpha, non_inferior=bool(p_value < alpha),
        higher_is_better=higher_is_better, method=f"t-test usevar={usevar} vs margin",
    )
