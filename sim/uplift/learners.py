"""Meta-learners of a customer's response with and without a touch (scikit-learn estimators).

Two learners estimate, from a randomised test, each customer's baseline mu0(x) (the outcome
without the touch) and uplift tau(x) = mu1(x) - mu0(x):

- T-learner (two models): mu0 fitted on the control arm, mu1 on the treated arm.
- X-learner (Kuenzel, Sekhon, Bickel and Yu 2019, PNAS 116:4156): after the two models, the
  imputed effects D1 = Y1 - mu0(X1) and D0 = mu1(X0) - Y0 are regressed on x in each arm, and
  tau(x) = g tau0(x) + (1 - g) tau1(x) with g the treated share (a constant in a randomised test).

Each has two bases: `linear` (L2-regularised logistic regression for 0/1 rates, ridge
regression for money) and `boosting` (histogram gradient boosting with small trees). Uplift
is clipped so the treated response stays a probability (rates) or non-negative (money).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

METHODS = ("t-linear", "t-boosting", "x-linear", "x-boosting")
"""Method names as typed on the command line and stored in response.yaml."""


def base_model(base: str, kind: str, seed: int, effect: bool = False) -> Any:
    """An unfitted scikit-learn estimator: `kind` rate (classifier) or money; `effect` for X's stage 2."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, Ridge

    if base == "linear":
        return Ridge(alpha=10.0) if effect or kind == "money" else LogisticRegression(C=1.0, max_iter=2000)
    trees = dict(max_iter=60, learning_rate=0.08, max_leaf_nodes=8, min_samples_leaf=200,
                 l2_regularization=1.0, early_stopping=False, random_state=seed)
    if effect or kind == "money":
        return HistGradientBoostingRegressor(**trees)
    return HistGradientBoostingClassifier(**trees)


def _mean(model: Any, X: np.ndarray, kind: str) -> np.ndarray:
    """Expected outcome: the probability of 1 for a rate, the prediction for money."""
    if kind == "rate":
        if len(getattr(model, "classes_", [0, 1])) < 2:
            return np.full(len(X), float(model.classes_[0]))
        return model.predict_proba(X)[:, 1]
    return model.predict(X)


class _Constant:
    """A model of an outcome that never varied in a training arm (e.g. nobody converted)."""

    def __init__(self, value: float):
        self.value = value

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.full(len(X), self.value)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return np.column_stack([np.full(len(X), 1 - self.value), np.full(len(X), self.value)])


def _fit(model: Any, X: np.ndarray, y: np.ndarray) -> Any:
    if np.ptp(y) == 0:
        return _Constant(float(y[0]) if len(y) else 0.0)
    return model.fit(X, y)


@dataclass
class UpliftModel:
    """A fitted meta-learner for one arm against the control and one outcome."""

    method: str
    kind: str
    mu0: Any
    mu1: Any
    tau0: Any = None
    tau1: Any = None
    treated_share: float = 0.5

    def baseline(self, X: np.ndarray) -> np.ndarray:
        """Expected outcome without the touch (probability, or money per customer)."""
        return np.clip(_mean(self.mu0, X, self.kind), 0.0, 1.0 if self.kind == "rate" else None)

    def uplift(self, X: np.ndarray) -> np.ndarray:
        """Expected outcome with the touch minus without (points of probability, or money)."""
        base = self.baseline(X)
        if self.method.startswith("t-"):
            raw = _mean(self.mu1, X, self.kind) - base
        else:
            g = self.treated_share
            raw = g * self.tau0.predict(X) + (1.0 - g) * self.tau1.predict(X)
        high = 1.0 - base if self.kind == "rate" else None
        return np.clip(raw, -base, high)


def fit_uplift(method: str, kind: str, X: np.ndarray, y: np.ndarray, treated: np.ndarray,
               seed: int = 0) -> UpliftModel:
    """Fit `method` (one of METHODS) on customers X with outcome y; `treated` is True for the arm."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    learner, base = method.split("-")
    X0, y0, X1, y1 = X[~treated], y[~treated], X[treated], y[treated]
    mu0 = _fit(base_model(base, kind, seed), X0, y0)
    mu1 = _fit(base_model(base, kind, seed + 1), X1, y1)
    model = UpliftModel(method, kind, mu0, mu1, treated_share=float(treated.mean()))
    if learner == "x":
        d1 = y1 - _mean(mu0, X1, kind)
        d0 = _mean(mu1, X0, kind) - y0
        model.tau1 = _fit(base_model(base, kind, seed + 2, effect=True), X1, d1)
        model.tau0 = _fit(base_model(base, kind, seed + 3, effect=True), X0, d0)
    return model
