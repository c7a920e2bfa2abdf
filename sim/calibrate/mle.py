"""Maximum likelihood on log-parameters, with standard errors from the numerical Hessian.

All models here have positive parameters; optimising their logarithms keeps them positive and
makes the problem better conditioned. Standard errors come from the inverse of the observed
information (the Hessian of the negative log-likelihood in log space) and the delta method.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from sim.errors import DataError


class NoFiniteMaximum(DataError):
    """The likelihood has no finite maximum: `runaway` names the parameters that run off,
    e.g. ["q -> infinity"] (empty when the likelihood itself is not finite)."""

    def __init__(self, message: str, runaway: list[str]):
        super().__init__(message)
        self.runaway = list(runaway)


@dataclass(frozen=True)
class FitResult:
    """Estimates, standard errors (NaN when the Hessian is singular) and fit statistics."""

    model: str
    params: dict[str, float]
    se: dict[str, float]
    loglik: float
    n: int
    converged: bool

    @property
    def aic(self) -> float:
        return 2 * len(self.params) - 2 * self.loglik

    @property
    def fitted(self) -> bool:
        """False for the placeholder of a model that could not be fitted (no parameters)."""
        return bool(self.params)


def not_fitted(model: str, n: int) -> FitResult:
    """A placeholder for a model the data could not fit: no parameters, NaN log-likelihood."""
    return FitResult(f"{model} (not fitted)", {}, {}, float("nan"), n, False)


def numerical_hessian(f: Callable[[np.ndarray], float], x: np.ndarray,
                      step: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian of a scalar function."""
    k = len(x)
    h = np.empty((k, k))
    eye = np.eye(k) * step
    for i in range(k):
        for j in range(i, k):
            fpp = f(x + eye[i] + eye[j])
            fpm = f(x + eye[i] - eye[j])
            fmp = f(x - eye[i] + eye[j])
            fmm = f(x - eye[i] - eye[j])
            h[i, j] = h[j, i] = (fpp - fpm - fmp + fmm) / (4 * step * step)
    return h


def _standard_errors(total_nll: Callable[[np.ndarray], float], theta: np.ndarray) -> np.ndarray:
    """Delta-method standard errors of exp(theta) from the log-space Hessian."""
    hess = numerical_hessian(total_nll, theta)
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return np.full(len(theta), np.nan)
    var = np.diag(cov)
    with np.errstate(invalid="ignore"):
        return np.where(var > 0, np.exp(theta) * np.sqrt(np.abs(var)), np.nan)


def fit_positive(model: str, names: Sequence[str],
                 loglik: Callable[[np.ndarray], np.ndarray], start: Sequence[float],
                 n: int) -> FitResult:
    """Maximise sum(loglik(params)) over positive params, starting from `start`.

    `loglik` maps the parameter vector (natural scale) to per-observation log-likelihoods
    (weighted already if observations are grouped). Raises NoFiniteMaximum (a DataError) if
    there is no finite optimum.
    """
    def mean_nll(theta: np.ndarray) -> float:
        value = -np.sum(loglik(np.exp(theta))) / n
        return float(value) if np.isfinite(value) else 1e10

    theta0 = np.log(np.asarray(start, dtype=float))
    first = optimize.minimize(mean_nll, theta0, method="Nelder-Mead",
                              options={"xatol": 1e-6, "fatol": 1e-10, "maxiter": 4000})
    res = optimize.minimize(mean_nll, first.x, method="BFGS", options={"gtol": 1e-9})
    best = res if res.fun <= first.fun else first
    if not np.isfinite(best.fun) or best.fun >= 1e10:
        raise NoFiniteMaximum(f"{model}: the likelihood is not finite for this data", [])
    runaway = [f"{k} -> {'infinity' if t > 0 else '0'}" for k, t in zip(names, best.x)
               if abs(t) > 30]
    if runaway:
        raise NoFiniteMaximum(f"{model}: no finite maximum likelihood estimate "
                              f"({', '.join(runaway)}); the data cannot identify this model "
                              "(too short a history, or too little variation between customers)",
                              runaway)
    se = _standard_errors(lambda t: mean_nll(t) * n, best.x)
    params = np.exp(best.x)
    return FitResult(model, dict(zip(names, map(float, params))),
                     dict(zip(names, map(float, se))), float(-best.fun * n), n,
                     bool(res.success or first.success))
