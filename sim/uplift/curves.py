"""How well a predicted uplift ranks customers: uplift and Qini curves, AUUC, Qini coefficient.

On a randomised test, customers are sorted by predicted uplift (highest first) and, for the
top k, with n_t(k), n_c(k) treated and control customers and Y_t(k), Y_c(k) their summed
outcomes:

- uplift curve U(k) = (Y_t/n_t - Y_c/n_c) * k: extra outcome if the top k were treated;
- Qini curve Q(k) = Y_t - Y_c * n_t/n_c (Radcliffe 2007): extra outcome among the treated of
  the top k.

Customers with equal scores enter together. A score's area under a curve, less the area under
the straight line of random targeting, divided by the same for the perfect ranking (treated
customers with the outcome first, control customers with the outcome last) gives the
normalised AUUC and Qini coefficient: 0 is no better than random, 1 perfect. These are the
conventions of scikit-uplift (`uplift_auc_score`, `qini_auc_score` with negative effects), to
which the tests compare; for money outcomes the same perfect ranking orders by amount.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GRID = np.linspace(0.0, 1.0, 51)
"""Shares of customers targeted at which curves are tabulated and banded."""


def _cumulated(y: np.ndarray, treated: np.ndarray, score: np.ndarray):
    order = np.argsort(-score, kind="mergesort")
    y, treated, score = y[order], treated[order].astype(float), score[order]
    ends = np.r_[np.flatnonzero(np.diff(score)), len(score) - 1]
    n_t = np.cumsum(treated)[ends]
    y_t = np.cumsum(y * treated)[ends]
    y_c = np.cumsum(y * (1.0 - treated))[ends]
    k = ends + 1.0
    return k, n_t, k - n_t, y_t, y_c


def uplift_curve(y: np.ndarray, treated: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(customers targeted k, extra outcome U(k)), starting at (0, 0)."""
    k, n_t, n_c, y_t, y_c = _cumulated(np.asarray(y, float), np.asarray(treated, bool), np.asarray(score, float))
    rate_t = np.divide(y_t, n_t, out=np.zeros_like(y_t), where=n_t > 0)
    rate_c = np.divide(y_c, n_c, out=np.zeros_like(y_c), where=n_c > 0)
    return np.r_[0.0, k], np.r_[0.0, (rate_t - rate_c) * k]


def qini_curve(y: np.ndarray, treated: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(customers targeted k, Qini Q(k)), starting at (0, 0)."""
    k, n_t, n_c, y_t, y_c = _cumulated(np.asarray(y, float), np.asarray(treated, bool), np.asarray(score, float))
    ratio = np.divide(n_t, n_c, out=np.zeros_like(n_t), where=n_c > 0)
    return np.r_[0.0, k], np.r_[0.0, y_t - y_c * ratio]


def _area(x: np.ndarray, v: np.ndarray) -> float:
    return float(np.sum(np.diff(x) * (v[1:] + v[:-1]) / 2.0))


def _normalised(curve, y: np.ndarray, treated: np.ndarray, score: np.ndarray, perfect: np.ndarray) -> float:
    x, v = curve(y, treated, score)
    xp, vp = curve(y, treated, perfect)
    random = 0.5 * xp[-1] * vp[-1]
    best = _area(xp, vp) - random
    return (_area(x, v) - random) / best if best != 0 else float("nan")


def auuc(y: np.ndarray, treated: np.ndarray, score: np.ndarray) -> float:
    """Normalised area under the uplift curve (0 random, 1 perfect).

    For a 0/1 outcome the perfect ranking puts treated responders and control non-responders
    first, then, of the rest, the larger of control responders or treated non-responders last.
    """
    y, treated = np.asarray(y, float), np.asarray(treated, bool)
    if np.isin(y, (0.0, 1.0)).all():
        hit = y == 1.0
        second = y if np.sum(hit & ~treated) > np.sum(~hit & treated) else treated.astype(float)
        perfect = 2.0 * (hit == treated) + second
    else:
        perfect = np.where(treated, y, -y)
    return _normalised(uplift_curve, y, treated, score, perfect)


def qini_coefficient(y: np.ndarray, treated: np.ndarray, score: np.ndarray) -> float:
    """Normalised area under the Qini curve (0 random, 1 perfect, negative effects allowed)."""
    y, treated = np.asarray(y, float), np.asarray(treated, bool)
    return _normalised(qini_curve, y, treated, score, np.where(treated, y, -y))


def on_grid(curve, y: np.ndarray, treated: np.ndarray, score: np.ndarray) -> np.ndarray:
    """A curve per customer, at the shares of GRID: value(k)/n at k = share * n."""
    x, v = curve(y, treated, score)
    return np.interp(GRID * x[-1], x, v) / max(x[-1], 1.0)


@dataclass(frozen=True)
class Decile:
    """Predicted against observed uplift in one tenth of customers ranked by predicted uplift."""

    decile: int
    customers: int
    predicted: float
    observed: float
    observed_se: float


def calibration(y: np.ndarray, treated: np.ndarray, score: np.ndarray, groups: int = 10) -> list[Decile]:
    """Observed lift (treated mean - control mean, with its standard error) by decile of score.

    Decile 1 holds the highest predicted uplift.
    """
    y, treated, score = np.asarray(y, float), np.asarray(treated, bool), np.asarray(score, float)
    order = np.argsort(-score, kind="mergesort")
    out = []
    for i, part in enumerate(np.array_split(order, groups), start=1):
        t, c = y[part][treated[part]], y[part][~treated[part]]
        if len(t) < 2 or len(c) < 2:
            continue
        se = float(np.sqrt(t.var(ddof=1) / len(t) + c.var(ddof=1) / len(c)))
        out.append(Decile(i, len(part), float(score[part].mean()), float(t.mean() - c.mean()), se))
    return out
