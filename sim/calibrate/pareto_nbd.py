"""Pareto/NBD model of repeat purchasing and dropout.

Schmittlein, D. C., Morrison, D. G. and Colombo, R. (1987), "Counting Your Customers: Who Are
They and What Will They Do Next?", Management Science 33(1), 1-24; likelihood in the form of
Fader, P. S. and Hardie, B. G. S. (2005), "A Note on Deriving the Pareto/NBD Model and Related
Expressions". While alive a customer buys at Poisson rate lambda ~ Gamma(r, alpha); her lifetime
is exponential with rate mu ~ Gamma(s, beta).
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln, hyp2f1

from sim.calibrate.mle import FitResult, fit_positive

NAMES = ("r", "alpha", "s", "beta")


def _log_a0(params, x, t_x, T) -> np.ndarray:
    """log A0 of Fader & Hardie (2005, eq. 19-20); -inf when t_x == T.

    Each term 2F1(r+s+x, k; r+s+x+1; z) / (max(alpha, beta) + t)^(r+s+x) is kept in log space,
    with the Pfaff transform 2F1(c-1, k; c; z) = (1-z)^-k 2F1(k, 1; c; z/(z-1)) so that large
    counts x (k = r+x when beta > alpha) do not overflow.
    """
    r, alpha, s, beta = params
    rsx = r + s + x
    if alpha >= beta:
        big, small, second = alpha, beta, s + 1
    else:
        big, small, second = beta, alpha, r + x

    def term(t):
        log_1mz = np.log(small + t) - np.log(big + t)
        w = -(big - small) / (small + t)
        return (np.log(hyp2f1(second, 1.0, rsx + 1, w)) - second * log_1mz
                - rsx * np.log(big + t))

    hi, lo = term(t_x), term(T)
    with np.errstate(divide="ignore"):
        return hi + np.log1p(-np.minimum(np.exp(lo - hi), 1.0))


def _log_terms(params, x, t_x, T) -> tuple[np.ndarray, np.ndarray]:
    """log of the 'alive at T' and 'died in (t_x, T]' parts of the likelihood, less the head."""
    r, alpha, s, beta = params
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    died = np.log(s) - np.log(r + s + x) + _log_a0(params, x, t_x, T)
    return alive, died


def loglik(params, x, t_x, T) -> np.ndarray:
    """Per-customer log-likelihood (Fader & Hardie 2005, eq. 22)."""
    r, alpha, s, beta = params
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive, died = _log_terms(params, x, t_x, T)
    return head + np.logaddexp(alive, died)


def fit(x, t_x, T) -> FitResult:
    """Fit Pareto/NBD by maximum likelihood; identical (x, t_x, T) rows are grouped."""
    data = np.column_stack([x, t_x, T]).astype(float)
    rows, weights = np.unique(data, axis=0, return_counts=True)
    gx, gtx, gT = rows.T
    mean_T = float(np.mean(T))
    start = (1.0, max(mean_T / 4.0, 1e-3), 1.0, max(mean_T, 1e-3))
    return fit_positive("Pareto/NBD", NAMES, lambda p: weights * loglik(p, gx, gtx, gT),
                        start, n=len(data))


def p_alive(params, x, t_x, T) -> np.ndarray:
    """Probability that each customer is still alive at T (Fader & Hardie 2005, eq. 24)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    alive, died = _log_terms(params, x, t_x, T)
    return 1.0 / (1.0 + np.exp(died - alive))


def expected_purchases(params, t) -> np.ndarray:
    """E[X(t)] for a new customer (Schmittlein et al. 1987, eq. 17)."""
    r, alpha, s, beta = params
    t = np.asarray(t, dtype=float)
    if np.isclose(s, 1.0):
        return r * beta / alpha * np.log1p(t / beta)
    return r * beta / (alpha * (s - 1)) * (1.0 - (beta / (beta + t)) ** (s - 1))


def conditional_expected_purchases(params, t, x, t_x, T) -> np.ndarray:
    """E[Y(t) | x, t_x, T] over the next t units (Fader & Hardie 2005, eq. 26)."""
    r, alpha, s, beta = params
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    t = np.asarray(t, dtype=float)
    rate = (r + x) * (beta + T) / (alpha + T)
    if np.isclose(s, 1.0):
        span = np.log1p(t / (beta + T))
    else:
        span = (1.0 - ((beta + T) / (beta + T + t)) ** (s - 1)) / (s - 1)
    return rate * span * p_alive(params, x, t_x, T)
