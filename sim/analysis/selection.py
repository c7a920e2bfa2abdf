"""Choosing the best of several policies from simulation replications.

Policies (arms) are simulated with common random numbers: replication ``r``
of every arm uses the same random streams, so arms are compared within a
replication and the noise they share cancels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import stats

__all__ = ["SelectionResult", "PairedDifference", "kim_nelson", "paired_difference"]

SampleFn = Callable[[np.ndarray, int], np.ndarray]


@dataclass(frozen=True)
class SelectionResult:
    """Outcome of a ranking-and-selection run.

    `best` is the chosen arm; `replications[i]` the replications spent on arm
    i; `means[i]` its sample mean over them; `eliminated` lists
    ``(arm, replications when eliminated)`` in elimination order. With
    probability at least ``1 - alpha`` the chosen arm is the best whenever the
    best mean exceeds every other by at least `delta`.
    """

    best: int
    replications: tuple[int, ...]
    means: tuple[float, ...]
    eliminated: tuple[tuple[int, int], ...]
    delta: float
    alpha: float
    n0: int
    eta: float
    h2: float
    stopped_at_max: bool
    method: str


@dataclass(frozen=True)
class PairedDifference:
    """Mean of within-replication differences ``a - b`` with a t interval."""

    mean_difference: float
    ci_low: float
    ci_high: float
    statistic: float
    p_value: float
    df: float
    n: int
    alpha: float


def _kn_constants(k: int, alpha: float, n0: int) -> tuple[float, float]:
    """Kim-Nelson eta and h^2 = 2 eta (n0 - 1)."""
    eta = 0.5 * ((2 * alpha / (k - 1)) ** (-2 / (n0 - 1)) - 1)
    return eta, 2 * eta * (n0 - 1)


def _screen(sums: np.ndarray, r: int, alive: np.ndarray, s2: np.ndarray,
            h2: float, delta: float) -> np.ndarray:
    """Arms in `alive` that survive the screen at stage `r` (boolean mask)."""
    mean = sums / r
    w = np.maximum(0.0, delta / (2 * r) * (h2 * s2 / delta**2 - r))
    gap = mean[:, None] - mean[None, :] + w
    ok = np.where(alive[None, :], gap >= 0, True).all(axis=1)
    return alive & ok


def kim_nelson(
    sample: SampleFn,
    k: int,
    *,
    delta: float,
    alpha: float = 0.05,
    n0: int = 10,
    max_replications: int | None = None,
    larger_is_better: bool = True,
) -> SelectionResult:
    """Kim-Nelson fully sequential selection of the arm with the best mean.

    Parameters
    ----------
    sample : ``sample(arms, rep)`` returns one output per arm in `arms`
        (integer array) for replication number `rep` (0, 1, ...). Using
        common random numbers for the same `rep` is allowed and helps.
    k : number of arms, >= 2.
    delta : indifference zone, in the output's units: a difference smaller
        than this is not worth telling apart.
    alpha : 1 - probability of correct selection. Default 0.05.
    n0 : first-stage replications per arm, >= 2. Default 10.
    max_replications : optional cap per arm; if reached, the surviving arm
        with the best mean is taken and `stopped_at_max` is True (the
        guarantee then no longer holds). Default None (no cap; the procedure
        ends by itself after at most about ``h2 * max S^2 / delta^2``).
    larger_is_better : Default True; False selects the smallest mean.

    Notes
    -----
    First stage: n0 replications of every arm; ``S^2_il`` is the variance of
    the differences of arms i and l. Then, after each further replication of
    every surviving arm, arm i is eliminated if its mean falls below another
    survivor's by more than ``W_il(r) = max(0, delta/(2r) (h2 S^2_il/delta^2 - r))``.

    References
    ----------
    Kim, S.-H. and Nelson, B. L. (2001). A fully sequential procedure for
    indifference-zone selection in simulation. ACM TOMACS 11(3), 251-273.
    """
    if k < 2 or n0 < 2:
        raise ValueError("need k >= 2 arms and n0 >= 2 first-stage replications")
    sign = 1.0 if larger_is_better else -1.0
    eta, h2 = _kn_constants(k, alpha, n0)
    arms = np.arange(k)
    first = np.array([sign * np.asarray(sample(arms, r), float) for r in range(n0)])
    cov = np.cov(first, rowvar=False, ddof=1)
    s2 = np.diag(cov)[:, None] + np.diag(cov)[None, :] - 2 * cov
    sums, reps = first.sum(axis=0), np.full(k, n0)
    alive, r, history = np.ones(k, bool), n0, []
    while True:
        survivors = _screen(sums, r, alive, s2, h2, delta)
        history += [(int(i), r) for i in np.flatnonzero(alive & ~survivors)]
        alive = survivors
        capped = max_replications is not None and r >= max_replications
        if alive.sum() == 1 or capped:
            break
        live = np.flatnonzero(alive)
        sums[live] += sign * np.asarray(sample(live, r), float)
        reps[live] += 1
        r += 1
    means = sums / reps
    best = int(np.flatnonzero(alive)[np.argmax(means[alive])])
    return SelectionResult(
        best=best, replications=tuple(map(int, reps)),
        means=tuple(float(sign * m) for m in means), eliminated=tuple(history),
        delta=delta, alpha=alpha, n0=n0, eta=float(eta), h2=float(h2),
        stopped_at_max=bool(alive.sum() > 1), method="Kim-Nelson (2001) KN",
    )


def paired_difference(
    a: np.ndarray, b: np.ndarray, *, alpha: float = 0.05, alternative: str = "two-sided"
) -> PairedDifference:
    """Compare two arms over common-random-number replications.

    `a[r]` and `b[r]` are the outputs of replication r of each arm; the
    interval and test use the paired differences (``scipy.stats.ttest_rel``),
    which is what makes common random numbers pay off. `alpha` default 0.05
    (two-sided interval), `alternative` default ``"two-sided"`` for the test.
    """
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    res = stats.ttest_rel(a, b, alternative=alternative)
    ci = stats.ttest_rel(a, b).confidence_interval(confidence_level=1 - alpha)
    return PairedDifference(
        mean_difference=float(np.mean(a - b)), ci_low=float(ci.low), ci_high=float(ci.high),
        statistic=float(res.statistic), p_value=float(res.pvalue), df=float(res.df),
        n=int(a.size), alpha=alpha,
    )
