"""Checking a fitted response on customers it was not fitted on (the validation split).

For one arm and outcome: the normalised AUUC and Qini coefficient with bootstrap intervals
(validation customers resampled), the uplift and Qini curves with 95 % bands, predicted
against observed lift by decile of predicted uplift, the observed average lift against the
mean prediction, and which features drive the predicted uplift (permutation importance: how
much the predictions move when one feature's values are shuffled among customers).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from sim.uplift.curves import GRID, auuc, calibration, on_grid, qini_coefficient, qini_curve, uplift_curve
from sim.uplift.learners import UpliftModel

CURVE_DRAWS = 200
"""Bootstrap resamples of the validation customers for curve bands and intervals."""


@dataclass
class Validation:
    """What the validation split says of one arm-outcome model (plain numbers, for YAML)."""

    customers: int
    auuc: float
    auuc_low: float
    auuc_high: float
    qini: float
    qini_low: float
    qini_high: float
    observed_lift: float
    observed_lift_se: float
    predicted_lift: float
    candidates: dict[str, float] = field(default_factory=dict)
    deciles: list[dict[str, float]] = field(default_factory=list)
    importance: dict[str, float] = field(default_factory=dict)
    curves: dict[str, list[float]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Everything but the curves (which go to the report, not response.yaml)."""
        return {k: v for k, v in asdict(self).items() if k != "curves"}


def validate(model: UpliftModel, X: np.ndarray, y: np.ndarray, treated: np.ndarray,
             groups: dict[str, list[int]], seed: int, candidates: dict[str, float]) -> Validation:
    """Score `model` on validation customers X, y (`treated` True for the arm)."""
    score = model.uplift(X)
    rng = np.random.default_rng(seed)
    draws = [_resample(rng, treated) for _ in range(CURVE_DRAWS)]
    qinis = np.array([qini_coefficient(y[i], treated[i], score[i]) for i in draws])
    auucs = np.array([auuc(y[i], treated[i], score[i]) for i in draws])
    curves = {}
    for name, curve in (("uplift", uplift_curve), ("qini", qini_curve)):
        bands = np.array([on_grid(curve, y[i], treated[i], score[i]) for i in draws])
        curves[name] = on_grid(curve, y, treated, score).tolist()
        curves[f"{name}_low"] = np.nanpercentile(bands, 2.5, axis=0).tolist()
        curves[f"{name}_high"] = np.nanpercentile(bands, 97.5, axis=0).tolist()
    curves["share"] = GRID.tolist()
    t, c = y[treated], y[~treated]
    return Validation(
        customers=len(y),
        auuc=auuc(y, treated, score), auuc_low=_pct(auucs, 2.5), auuc_high=_pct(auucs, 97.5),
        qini=qini_coefficient(y, treated, score), qini_low=_pct(qinis, 2.5), qini_high=_pct(qinis, 97.5),
        observed_lift=float(t.mean() - c.mean()),
        observed_lift_se=float(np.sqrt(t.var(ddof=1) / len(t) + c.var(ddof=1) / len(c))),
        predicted_lift=float(score.mean()),
        candidates=candidates,
        deciles=[asdict(d) for d in calibration(y, treated, score)],
        importance=importance(model, X, groups, seed),
        curves=curves,
    )


def importance(model: UpliftModel, X: np.ndarray, groups: dict[str, list[int]], seed: int) -> dict[str, float]:
    """Share of the total movement of predicted uplift when each feature alone is shuffled."""
    rng = np.random.default_rng(seed)
    base = model.uplift(X)
    moved = {}
    for name, cols in groups.items():
        shuffled = X.copy()
        shuffled[:, cols] = X[rng.permutation(len(X))][:, cols]
        moved[name] = float(np.mean(np.abs(model.uplift(shuffled) - base)))
    total = sum(moved.values())
    return {k: (v / total if total > 0 else 0.0) for k, v in sorted(moved.items(), key=lambda kv: -kv[1])}


def _resample(rng: np.random.Generator, treated: np.ndarray) -> np.ndarray:
    """Indices of a bootstrap resample that keeps each arm's size."""
    arms = [np.flatnonzero(treated), np.flatnonzero(~treated)]
    return np.concatenate([rng.choice(a, size=len(a)) for a in arms])


def _pct(values: np.ndarray, q: float) -> float:
    finite = values[np.isfinite(values)]
    return float(np.percentile(finite, q)) if len(finite) else float("nan")

