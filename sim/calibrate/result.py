"""What a calibration produced: the fitted models, the population document and the scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.calibrate.holdout import Holdout
from sim.calibrate.mle import FitResult
from sim.calibrate.tracking import Tracking


@dataclass
class CalibrationResult:
    """Everything `calibrate` produced; `customers` has one row per calibration-period customer.

    `gamma_gamma` holds pooled parameters (NaN standard errors and log-likelihood) when
    `spend_fallback` is set; `pareto_nbd` has no parameters when it could not be fitted.
    """

    out_dir: Path
    population: dict
    bgnbd: FitResult
    pareto_nbd: FitResult
    gamma_gamma: FitResult
    customers: pd.DataFrame
    holdout: Holdout | None
    unit: str
    frequency_value_correlation: float
    warnings: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    tracking: Tracking | None = None
    spend_fallback: dict | None = None  # why order values are pooled (population spend_fallback)
