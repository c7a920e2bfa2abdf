"""Gamma-Gamma model of average transaction value.

Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "RFM and CLV: Using Iso-Value Curves for
Customer Base Analysis", Journal of Marketing Research 42(4), 415-430, building on Colombo and
Jiang (1999). Each transaction value is Gamma(p, nu); nu ~ Gamma(q, gamma) across customers.
Fitted on the mean value m of each customer's x >= 1 repeat transactions. The model assumes
spend is independent of purchase frequency, so `frequency_value_correlation` should be checked.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from sim.calibrate.mle import FitResult, fit_positive
from sim.errors import DataError

NAMES = ("p", "q", "gamma")
STRONG_CORRELATION = 0.3
POOLED_P_MAX = 1e4  # order values within about 1 % (CV 1 / sqrt(p)) of the customer's mean
POOLED_OWN_WEIGHT = 1e-4  # largest weight a customer's own history gets in a pooled posterior


def loglik(params, x, m) -> np.ndarray:
    """Per-customer log-likelihood of the mean value m of x transactions (FHL 2005, eq. 3)."""
    p, q, gamma = params
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    px = p * x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(gamma)
            + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(gamma + x * m))


def fit(x, m) -> FitResult:
    """Fit Gamma-Gamma by maximum likelihood on customers with x >= 1 and m > 0."""
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    keep = (x >= 1) & (m > 0)
    if keep.sum() < 3:
        raise DataError("Gamma-Gamma: fewer than 3 customers with a positive repeat purchase")
    x, m = x[keep], m[keep]
    start = (1.0, 2.0, float(np.mean(m)))
    return fit_positive("Gamma-Gamma", NAMES, lambda prm: loglik(prm, x, m), start, n=len(x))


def frequency_value_correlation(x, m) -> float:
    """Pearson correlation between repeat frequency and mean value (customers with x >= 1)."""
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    keep = (x >= 1) & (m > 0)
    if keep.sum() < 3 or np.ptp(x[keep]) == 0 or np.ptp(m[keep]) == 0:
        return float("nan")
    return float(np.corrcoef(x[keep], m[keep])[0, 1])


def population_mean_value(params) -> float:
    """Mean transaction value across customers, p gamma / (q - 1) (infinite for q <= 1)."""
    p, q, gamma = params
    return p * gamma / (q - 1) if q > 1 else float("inf")


def conditional_expected_value(params, x, m) -> np.ndarray:
    """E[M | x, m]: expected value of a customer's future transactions (FHL 2005, eq. 5).

    Customers with no usable repeat transaction (x = 0) get the population mean.
    """
    p, q, gamma = params
    x, m = np.asarray(x, dtype=float), np.nan_to_num(np.asarray(m, dtype=float))
    value = p * (gamma + x * m) / (p * x + q - 1)
    return np.where(x > 0, value, population_mean_value(params))


def pooled_params(values, max_repeats: int) -> dict[str, float]:
    """Spend parameters (p, q, gamma) that give every customer the same mean order value.

    `values` are the order values to pool (currency units, all positive); `max_repeats` is the
    largest number of repeat values any customer has. The pooled mean is mean(values). Within a
    customer, values are Gamma(p, nu) with p = mean^2 / variance, the method-of-moments shape
    when customers do not differ (capped at POOLED_P_MAX, which also stands for no variation).
    q is so large that customers barely differ: the posterior E[M | x, m] = p (gamma + x m) /
    (p x + q - 1) gives a customer's own history the weight p x / (p x + q - 1) <= 1e-4 for
    x <= `max_repeats`, and gamma = mean (q - 1) / p makes p gamma / (q - 1) the pooled mean.
    """
    values = np.asarray(values, dtype=float)
    mean, var = float(np.mean(values)), float(np.var(values))
    p = POOLED_P_MAX if var <= 0 else min(mean * mean / var, POOLED_P_MAX)
    q = 1.0 + max(1.0, p * max_repeats) / POOLED_OWN_WEIGHT
    return {"p": p, "q": q, "gamma": mean * (q - 1.0) / p}
