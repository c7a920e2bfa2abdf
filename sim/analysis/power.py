"""Planning: sample size per arm, detectable effect and power.

With several treatment arms each compared to one control, the level is split
Bonferroni-style over the ``arms - 1`` comparisons, so the family-wise error
stays at most `alpha` (Holm, used in the analysis, is never less powerful).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.optimize import brentq
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize

__all__ = [
    "SampleSize",
    "comparison_alpha",
    "sample_size_proportions",
    "detectable_effect_proportions",
    "power_proportions",
    "sample_size_means",
    "detectable_effect_means",
    "power_means",
]


@dataclass(frozen=True)
class SampleSize:
    """Customers needed per arm (`n_per_arm`, rounded up) for a planned test.

    `effect_size` is the standardized effect (Cohen's h for rates, d for
    means); `alpha_per_comparison` is `alpha` after the Bonferroni split.
    """

    n_per_arm: int
    n_exact: float
    total: int
    arms: int
    effect_size: float
    alpha: float
    alpha_per_comparison: float
    power: float
    method: str


def comparison_alpha(alpha: float, arms: int) -> float:
    """Level of each arm-vs-control test: ``alpha / (arms - 1)`` (Bonferroni)."""
    if arms < 2:
        raise ValueError("need at least two arms (one control, one treatment)")
    return alpha / (arms - 1)


def _cohens_h(baseline: float, mde: float) -> float:
    if not 0 < baseline + mde < 1:
        raise ValueError("baseline + mde must be a rate strictly between 0 and 1")
    return abs(float(proportion_effectsize(baseline + mde, baseline)))


def _sample_size(engine, effect: float, alpha: float, power: float, arms: int,
                 alternative: str, method: str) -> SampleSize:
    a = comparison_alpha(alpha, arms)
    n = float(engine.solve_power(effect_size=effect, alpha=a, power=power,
                                 ratio=1.0, alternative=alternative))
    n_arm = math.ceil(n)
    return SampleSize(n_per_arm=n_arm, n_exact=n, total=n_arm * arms, arms=arms,
                      effect_size=effect, alpha=alpha, alpha_per_comparison=a,
                      power=power, method=method)


def sample_size_proportions(
    baseline: float, mde: float, *, alpha: float = 0.05, power: float = 0.8,
    arms: int = 2, alternative: str = "two-sided",
) -> SampleSize:
    """Customers per arm to detect an absolute change `mde` from rate `baseline`.

    Parameters
    ----------
    baseline : control rate (e.g. 0.03 repurchase rate in the holdout).
    mde : absolute minimum detectable effect (0.005 = half a point); may be
        negative for a drop.
    alpha : family-wise level over all arms. Default 0.05.
    power : probability of detecting `mde` in one comparison. Default 0.8.
    arms : arms including the control. Default 2.
    alternative : ``"two-sided"`` (default) or ``"larger"``.

    Uses ``statsmodels`` ``NormalIndPower`` on Cohen's h =
    ``2 asin(sqrt(p1)) - 2 asin(sqrt(p0))``, equal arm sizes.

    References
    ----------
    Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences,
    2nd ed., chapter 6.
    """
    return _sample_size(NormalIndPower(), _cohens_h(baseline, mde), alpha, power,
                        arms, alternative, "normal, Cohen's h, Bonferroni over arms-1")


def power_proportions(
    n_per_arm: float, baseline: float, mde: float, *, alpha: float = 0.05,
    arms: int = 2, alternative: str = "two-sided",
) -> float:
    """Power of one arm-vs-control comparison of rates (arguments as above)."""
    return float(NormalIndPower().power(
        _cohens_h(baseline, mde), nobs1=n_per_arm, alpha=comparison_alpha(alpha, arms),
        ratio=1.0, alternative=alternative))


def detectable_effect_proportions(
    n_per_arm: float, baseline: float, *, alpha: float = 0.05, power: float = 0.8,
    arms: int = 2, alternative: str = "two-sided",
) -> float:
    """Smallest absolute rise above `baseline` detectable with `n_per_arm` customers.

    Solves Cohen's h from ``NormalIndPower``, then finds the rate ``p1 >
    baseline`` with that h by a root finder (``scipy.optimize.brentq``) and
    returns ``p1 - baseline``. Defaults as in :func:`sample_size_proportions`.
    """
    h = float(NormalIndPower().solve_power(
        effect_size=None, nobs1=n_per_arm, alpha=comparison_alpha(alpha, arms),
        power=power, ratio=1.0, alternative=alternative))
    gap = lambda d: float(proportion_effectsize(baseline + d, baseline)) - h  # noqa: E731
    top = 1 - baseline - 1e-12
    if gap(top) < 0:
        raise ValueError("no rise above the baseline is detectable with this sample")
    return float(brentq(gap, 0.0, top, xtol=1e-12))


def sample_size_means(
    sd: float, mde: float, *, alpha: float = 0.05, power: float = 0.8,
    arms: int = 2, alternative: str = "two-sided",
) -> SampleSize:
    """Customers per arm to detect a change `mde` in a mean with standard deviation `sd`.

    `sd` is the per-customer standard deviation (yuan), assumed equal in both
    arms; the effect is Cohen's ``d = mde / sd`` and the size comes from
    ``statsmodels`` ``TTestIndPower`` (t-test with equal arms). Other
    arguments and defaults as in :func:`sample_size_proportions`.
    """
    return _sample_size(TTestIndPower(), abs(mde) / sd, alpha, power, arms,
                        alternative, "t-test, Cohen's d, Bonferroni over arms-1")


def power_means(
    n_per_arm: float, sd: float, mde: float, *, alpha: float = 0.05,
    arms: int = 2, alternative: str = "two-sided",
) -> float:
    """Power of one arm-vs-control t-test of means (arguments as above)."""
    return float(TTestIndPower().power(
        abs(mde) / sd, nobs1=n_per_arm, alpha=comparison_alpha(alpha, arms),
        ratio=1.0, alternative=alternative))


def detectable_effect_means(
    n_per_arm: float, sd: float, *, alpha: float = 0.05, power: float = 0.8,
    arms: int = 2, alternative: str = "two-sided",
) -> float:
    """Smallest change in a mean (units of `sd`'s metric) detectable with `n_per_arm`."""
    d = float(TTestIndPower().solve_power(
        effect_size=None, nobs1=n_per_arm, alpha=comparison_alpha(alpha, arms),
        power=power, ratio=1.0, alternative=alternative))
    return d * sd
