"""Scoring customers with a fitted response: baseline, uplift and its bootstrap interval."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.uplift.fit import ResponseModel

LEVEL = 0.95
"""Coverage of uplift_low..uplift_high (percentiles of the bootstrap refits)."""


def uplift_draws(model: ResponseModel, X: np.ndarray, arm: str, outcome: str) -> np.ndarray:
    """Predicted uplift of each bootstrap refit: shape (refits, customers)."""
    return np.array([refit.uplift(X) for refit in model.response(arm, outcome).bootstrap])


def predict_uplift(model: ResponseModel, features: pd.DataFrame, ids: np.ndarray) -> pd.DataFrame:
    """One row per customer, arm and outcome: id, arm, outcome, baseline, uplift, uplift_low, uplift_high.

    `features` holds the model's feature columns as text ("" for missing), as read by
    `sim.uplift.table.read_customers`. Units are those of the outcome (probability for a
    rate, money per customer for an amount) over the test's observation window.
    """
    X = model.encoding.transform(features)
    tail = (1.0 - LEVEL) / 2.0 * 100.0
    parts = []
    for (arm, outcome), response in model.responses.items():
        draws = uplift_draws(model, X, arm, outcome)
        parts.append(pd.DataFrame({
            "id": ids, "arm": arm, "outcome": outcome,
            "baseline": response.model.baseline(X), "uplift": response.model.uplift(X),
            "uplift_low": np.percentile(draws, tail, axis=0),
            "uplift_high": np.percentile(draws, 100.0 - tail, axis=0),
        }))
    return pd.concat(parts, ignore_index=True)
