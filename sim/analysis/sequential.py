"""Always-valid confidence sequences, so a running test can be looked at every day.

A fixed-sample interval checked daily excludes zero by chance far more often
than alpha. A confidence sequence covers the true difference at every look
simultaneously with probability ``1 - alpha``, so stopping at the first look
that excludes zero keeps the error rate at most alpha.

The boundary is the two-sided normal mixture: for an estimate with variance
``v`` and a normal mixing distribution of variance ``tau2`` on the effect,
the half-width is ``sqrt(v (1 + v / tau2) log((1 + tau2 / v) / alpha^2))``.
It is the interval form of the mixture sequential probability ratio test.
Variances are estimated from the data, which makes the guarantee asymptotic:
it holds as the arms grow, so with rare events the first look should wait
until there are enough events to estimate the variance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy.optimize import minimize_scalar

__all__ = [
    "ConfidenceSequence",
    "normal_mixture_halfwidth",
    "mixture_variance_for",
    "confidence_sequence_means",
    "confidence_sequence_proportions",
]


@dataclass(frozen=True)
class ConfidenceSequence:
    """Per-look estimates of ``arm - control`` with always-valid intervals.

    ``ci_low``/``ci_high`` are running intersections over looks so far (still
    valid, never widening). `first_exclusion` is the index of the first look
    whose interval excludes zero, or None.
    """

    nobs_arm: tuple[int, ...]
    nobs_control: tuple[int, ...]
    estimate: tuple[float, ...]
    ci_low: tuple[float, ...]
    ci_high: tuple[float, ...]
    alpha: float
    mixture_var: float
    first_exclusion: int | None
    method: str


def normal_mixture_halfwidth(
    variance: np.ndarray | float, *, alpha: float = 0.05, mixture_var: float
) -> np.ndarray:
    """Half-width of the two-sided normal-mixture boundary (vectorised).

    Parameters
    ----------
    variance : variance of the estimate at each look (e.g. ``s1^2/n1 + s2^2/n2``).
    alpha : error probability over all looks together. Default 0.05.
    mixture_var : variance ``tau2`` of the normal mixing distribution over
        effects; it sets where the boundary is tightest
        (see :func:`mixture_variance_for`).

    References
    ----------
    Robbins, H. (1970). Statistical methods related to the law of the iterated
    logarithm. Annals of Mathematical Statistics 41(5), 1397-1409.
    Howard, Ramdas, McAuliffe and Sekhon (2021). Time-uniform, nonparametric,
    nonasymptotic confidence sequences. Annals of Statistics 49(2), 1055-1080.
    Johari, Koomen, Pekelis and Walsh (2017). Peeking at A/B tests: why it
    matters, and what to do about it. KDD '17, 1517-1525.
    """
    v = np.asarray(variance, float)
    return np.sqrt(v * (1 + v / mixture_var) * np.log((1 + mixture_var / v) / alpha**2))


def mixture_variance_for(variance: float, *, alpha: float = 0.05) -> float:
    """Mixing variance that makes the boundary tightest when the estimate's variance is `variance`.

    Plan it from the final look (e.g. ``2 sd^2 / n_final``); the boundary is
    then narrowest there and only slightly wider elsewhere. Found by
    minimising the half-width over ``tau2 / variance`` numerically.
    """
    def width(log_r: float) -> float:
        r = np.exp(log_r)
        return (1 + 1 / r) * np.log((1 + r) / alpha**2)

    best = minimize_scalar(width, bounds=(-5.0, 10.0), method="bounded")
    return float(np.exp(best.x) * variance)


def _sequence(est: np.ndarray, var: np.ndarray, n_a: np.ndarray, n_c: np.ndarray,
              alpha: float, mixture_var: float, method: str) -> ConfidenceSequence:
    half = normal_mixture_halfwidth(var, alpha=alpha, mixture_var=mixture_var)
    low = np.maximum.accumulate(est - half)
    high = np.minimum.accumulate(est + half)
    excludes = np.flatnonzero((low > 0) | (high < 0))
    return ConfidenceSequence(
        nobs_arm=tuple(map(int, n_a)), nobs_control=tuple(map(int, n_c)),
        estimate=tuple(map(float, est)), ci_low=tuple(map(float, low)),
        ci_high=tuple(map(float, high)), alpha=alpha, mixture_var=float(mixture_var),
        first_exclusion=int(excludes[0]) if excludes.size else None, method=method,
    )


def _prefix_stats(x: np.ndarray, looks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance (ddof=1) of the first ``looks[j]`` values, for each look."""
    s1 = np.concatenate([[0.0], np.cumsum(x)])[looks]
    s2 = np.concatenate([[0.0], np.cumsum(x * x)])[looks]
    mean = s1 / looks
    return mean, (s2 - looks * mean**2) / (looks - 1)


def _looks(looks_arm: Sequence[int], looks_control: Sequence[int] | None) -> tuple[np.ndarray, np.ndarray]:
    n_a = np.asarray(looks_arm, int)
    n_c = n_a if looks_control is None else np.asarray(looks_control, int)
    if n_a.shape != n_c.shape or np.any(np.diff(n_a) < 0) or np.any(np.diff(n_c) < 0):
        raise ValueError("looks must be non-decreasing and the same count for both arms")
    if min(n_a.min(), n_c.min()) < 2:
        raise ValueError("every look needs at least two customers per arm")
    return n_a, n_c


def confidence_sequence_means(
    x_arm: np.ndarray,
    x_control: np.ndarray,
    looks_arm: Sequence[int],
    looks_control: Sequence[int] | None = None,
    *,
    alpha: float = 0.05,
    mixture_var: float | None = None,
) -> ConfidenceSequence:
    """Always-valid intervals for a difference in means, at each planned look.

    Parameters
    ----------
    x_arm, x_control : outcomes in arrival order.
    looks_arm, looks_control : customers per arm seen at each look (e.g. the
        count at the end of each day); `looks_control` defaults to `looks_arm`.
    alpha : error probability over all looks. Default 0.05.
    mixture_var : mixing variance; default None tunes it with
        :func:`mixture_variance_for` to the last look, from the variance of
        the estimate there, ``s_a^2/n_a + s_c^2/n_c`` over every customer seen
        so far (all looks), so the boundary is tightest where the data end.
        Only the spread enters the tuning, not the difference. Give it
        explicitly (planned from the final size) to keep one boundary while
        the test grows.

    The variance at each look is the unpooled ``s_a^2/n_a + s_c^2/n_c``.
    """
    n_a, n_c = _looks(looks_arm, looks_control)
    m_a, v_a = _prefix_stats(np.asarray(x_arm, float), n_a)
    m_c, v_c = _prefix_stats(np.asarray(x_control, float), n_c)
    if mixture_var is None:
        mixture_var = mixture_variance_for(v_a[-1] / n_a[-1] + v_c[-1] / n_c[-1], alpha=alpha)
    return _sequence(m_a - m_c, v_a / n_a + v_c / n_c, n_a, n_c, alpha, mixture_var,
                     "normal mixture, unpooled variance")


def confidence_sequence_proportions(
    x_arm: np.ndarray,
    x_control: np.ndarray,
    looks_arm: Sequence[int],
    looks_control: Sequence[int] | None = None,
    *,
    alpha: float = 0.05,
    mixture_var: float | None = None,
) -> ConfidenceSequence:
    """Always-valid intervals for a difference of two rates (0/1 outcomes).

    As :func:`confidence_sequence_means`, with the binomial variance
    ``p_a (1 - p_a) / n_a + p_c (1 - p_c) / n_c`` at each look. The
    default mixing variance is tuned to the last look from the rates over
    every customer seen so far, with ``max(p, 0.5 / n)`` so that no events
    yet still gives a usable plan.
    """
    n_a, n_c = _looks(looks_arm, looks_control)
    c_a = np.concatenate([[0.0], np.cumsum(np.asarray(x_arm, float))])[n_a]
    c_c = np.concatenate([[0.0], np.cumsum(np.asarray(x_control, float))])[n_c]
    p_a, p_c = c_a / n_a, c_c / n_c
    var = p_a * (1 - p_a) / n_a + p_c * (1 - p_c) / n_c
    if mixture_var is None:
        q_a = np.clip(p_a[-1], 0.5 / n_a[-1], 1 - 0.5 / n_a[-1])
        q_c = np.clip(p_c[-1], 0.5 / n_c[-1], 1 - 0.5 / n_c[-1])
        planned = q_a * (1 - q_a) / n_a[-1] + q_c * (1 - q_c) / n_c[-1]
        mixture_var = mixture_variance_for(planned, alpha=alpha)
    # A look with no events in either arm has zero variance; keep it uninformative.
    var = np.where(var > 0, var, np.inf)
    return _sequence(p_a - p_c, var, n_a, n_c, alpha, mixture_var,
                     "normal mixture, binomial variance")
