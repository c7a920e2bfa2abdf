"""Calibrate a customer population from an order log.

One module per fitted model (`bgnbd`, `pareto_nbd`, `gamma_gamma`; `spend` decides between
Gamma-Gamma and a pooled order value), the order reader (`orders`),
the transaction-log summary (`transactions`), RFM scoring (`rfm`), holdout checks (`holdout`),
the population file (`population_file`) and the report (`report`); `calibrate` ties them up.
"""

from sim.calibrate.api import CalibrationResult, CalibrationWarning, calibrate
from sim.calibrate.population_file import load_population_file

__all__ = ["CalibrationResult", "CalibrationWarning", "calibrate", "load_population_file"]
