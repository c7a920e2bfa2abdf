"""The capped (winsorised) mean: heavy-tailed revenue compared with its largest amounts capped.

A handful of very large orders decide the plain mean of spend per customer, so its
variance is large and tests on it have little power. Experimentation platforms cap each
customer's amount at a high percentile of both arms together (often the 99th or 99.9th)
and compare the capped means. The cap is computed from the pooled data, which does not
depend on the arm labels, so a permutation test of the capped values is still exact under
an A/A test. The estimate is then the difference in *capped* spend per customer, smaller
than the plain difference and stated with its cap: it answers "did the arm change what
typical customers spend", not the total.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from sim.analysis.means import MeanComparison, compare_means

__all__ = ["Cap", "choose_cap", "compare_means_capped"]


@dataclass(frozen=True)
class Cap:
    """Where amounts are capped.

    `value` is the cap (the metric's units, e.g. yuan); `quantile` the share of the pooled
    customers (every arm the cap was computed from) at or below it (0.99 = the 99th
    percentile); `share_capped` the share above it, whose amounts were lowered to `value`.
    """

    value: float
    quantile: float
    share_capped: float

    def describe(self) -> str:
        """E.g. ``capped at 41.3 (99th percentile of the pooled arms; 1 % of customers capped)``."""
        return (f"capped at {self.value:.4g} ({100 * self.quantile:.4g}th percentile of the pooled arms; "
                f"{100 * self.share_capped:.2g} % of customers capped)")


def choose_cap(
    *arms: np.ndarray, quantile: float | None = 0.99, value: float | None = None,
) -> Cap:
    """The cap at `quantile` of the pooled values (default the 99th percentile), or at `value`.

    Parameters
    ----------
    arms : each arm's values, one per customer (zeros included), in yuan; pool every arm
        of the experiment so that all comparisons share one cap.
    quantile : share in (0, 1) of pooled customers at or below the cap. Ignored when
        `value` is given.
    value : an absolute cap in the values' units; its `quantile` is then the share of
        pooled customers at or below it.

    Raises ValueError when the cap would fall at or below the most common value (with 99 %
    of customers spending nothing the 99th percentile is 0, and capping there would flatten
    the metric): the message gives the share of customers at that value.
    """
    pooled = np.concatenate([np.asarray(x, float) for x in arms])
    if value is None:
        if quantile is None or not 0 < quantile < 1:
            raise ValueError(f"the cap quantile must lie strictly between 0 and 1, not {quantile!r}")
        value = float(np.quantile(pooled, quantile))
        q = float(quantile)
    else:
        value = float(value)
        q = float(np.mean(pooled <= value))
    values, counts = np.unique(pooled, return_counts=True)
    mode = values[np.argmax(counts)]
    if value <= mode:
        share = counts.max() / pooled.size
        raise ValueError(f"a cap of {value:.4g} ({100 * q:.4g}th percentile) is at or below {mode:g}, the value "
                         f"of {share:.1%} of customers; capping there would flatten the metric: "
                         f"cap above the {100 * share:.3g}th percentile")
    return Cap(value=value, quantile=q, share_capped=float(np.mean(pooled > value)))


def compare_means_capped(
    x_arm: np.ndarray,
    x_control: np.ndarray,
    *,
    quantile: float | None = 0.99,
    value: float | None = None,
    cap: Cap | None = None,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    test: str = "permutation",
    rng: np.random.Generator | None = None,
    n_permutations: int = 2000,
) -> MeanComparison:
    """Compare capped spend per customer: amounts above the cap (see :func:`choose_cap`) are set to it.

    The cap is `cap` if given (e.g. chosen over all arms of the experiment), else chosen
    from these two arms at `quantile` (default 0.99) or at the absolute `value`.

    The comparison of the capped values is :func:`sim.analysis.means.compare_means` with
    `test` (default ``"permutation"``, which needs `rng`; ``"welch"`` for the t table) and
    its own interval. Estimates, difference and interval are of the *capped* means (yuan per
    customer); the result's `cap` and `method` state the cap's value and percentile.

    On heavy-tailed spend (95 % zeros, lognormal sigma 2, 5,000 customers an arm) and 30 %
    more buyers in the arm, the test of the 99th-percentile-capped mean detects the change
    in 59 % of 2,000 experiments against 15 % for the plain mean, both by the permutation
    test at a 5 % A/A rate (``tests/analysis/test_capped.py``).

    References
    ----------
    Kohavi, R., Tang, D. and Xu, Y. (2020). Trustworthy Online Controlled Experiments.
    Cambridge University Press, chapter 18 (capping a metric to reduce its variance).
    """
    cap = cap or choose_cap(x_arm, x_control, quantile=quantile, value=value)
    arm = np.minimum(np.asarray(x_arm, float), cap.value)
    ctrl = np.minimum(np.asarray(x_control, float), cap.value)
    res = compare_means(arm, ctrl, alpha=alpha, alternative=alternative, test=test, rng=rng,
                        n_permutations=n_permutations)
    return replace(res, cap=cap.value, method=f"{cap.describe()}; {res.method}")
