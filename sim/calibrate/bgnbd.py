"""BG/NBD model of repeat purchasing and dropout.

Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "'Counting Your Customers' the Easy Way:
An Alternative to the Pareto/NBD Model", Marketing Science 24(2), 275-284. While alive a
customer buys at Poisson rate lambda ~ Gamma(r, alpha); after each purchase she drops out with
probability p ~ Beta(a, b). Data per customer: x repeat transactions, the last at t_x, observed
for T since the first purchase (all in the same time unit).
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, gammaln, hyp2f1

from sim.calibrate.mle import FitResult, fit_positive

NAMES = ("r", "alpha", "a", "b")


def _dropout_log_ratio(params, x, t_x, T) -> np.ndarray:
    """log of a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x) for x > 0, -inf for x = 0."""
    r, alpha, a, b = params
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (np.log(a) - np.log(b + x - 1)
               + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)))
    return np.where(x > 0, out, -np.inf)


def loglik(params, x, t_x, T) -> np.ndarray:
    """Per-customer log-likelihood (FHL 2005, eq. 6), computed in log space."""
    r, alpha, a, b = params
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    head = (gammaln(r + x) - gammaln(r) + r * np.log(alpha)
            + betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + T))
    return head + np.logaddexp(0.0, _dropout_log_ratio(params, x, t_x, T))


def fit(x, t_x, T) -> FitResult:
    """Fit BG/NBD by maximum likelihood; identical (x, t_x, T) rows are grouped for speed."""
    data = np.column_stack([x, t_x, T]).astype(float)
    rows, weights = np.unique(data, axis=0, return_counts=True)
    gx, gtx, gT = rows.T
    mean_T = float(np.mean(T))
    start = (1.0, max(mean_T / 4.0, 1e-3), 1.0, 1.0)
    return fit_positive("BG/NBD", NAMES, lambda p: weights * loglik(p, gx, gtx, gT),
                        start, n=len(data))


def p_alive(params, x, t_x, T) -> np.ndarray:
    """Probability that each customer is still alive at T (FHL 2005, eq. 11)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    return 1.0 / (1.0 + np.exp(_dropout_log_ratio(params, x, t_x, T)))


def expected_purchases(params, t) -> np.ndarray:
    """E[X(t)]: expected purchases of a new customer in (0, t] (FHL 2005, eq. 7).

    Uses the Pfaff transform (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t)) =
    2F1(r, a-1; a+b-1; -t/alpha), which stays finite for long horizons.
    """
    r, alpha, a, b = params
    t = np.asarray(t, dtype=float)
    return (a + b - 1) / (a - 1) * (1.0 - hyp2f1(r, a - 1, a + b - 1, -t / alpha))


def conditional_expected_purchases(params, t, x, t_x, T) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected purchases in the next t units (FHL 2005, eq. 10).

    The factor ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t)) is written
    as 2F1(r+x, a-1; a+b+x-1; -t/(alpha+T)) (Pfaff), which avoids overflow for large x.
    """
    r, alpha, a, b = params
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    t = np.asarray(t, dtype=float)
    tail = hyp2f1(r + x, a - 1, a + b + x - 1, -t / (alpha + T))
    ratio = (a + b + x - 1) / (a - 1) * (1.0 - tail)
    return ratio * p_alive(params, x, t_x, T)
