"""Each policy of a run against the control, and the comparison.csv every comparison writes.

The glue between a run (or its folder) and the pure statistics of `sim.analysis`: it picks the
control and the metrics and checks that the request makes sense. The shared checks and the
writer are used by the experiment analysis and the live monitor too. Columns of every table
are `sim.analysis.COLUMNS`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from sim.errors import DataError, SimError
from sim.store.atomic import atomic_file
from sim.store.results import RunResult, load_run
from sim.vocabulary import metric

COMPARISON_FILE = "comparison.csv"

DEFAULT_METRICS = ("orders", "gmv", "gross_profit", "repurchase_rate")
"""Compared in every run; `OPTIONAL_METRICS` too when the run has them."""
OPTIONAL_METRICS = ("net_profit", "marketing_spend", "marketing_cost",
                    "ops_paid_gmv", "ops_recovered_gmv_incremental", "ops_reminder_cost")

_CONTROL_NAMES = ("none", "nothing", "baseline", "control", "holdout")
_ADJUST = ("holm", "bh")


class InputError(SimError, ValueError):
    """Arguments that contradict each other or cannot describe a test (e.g. a rate above 1)."""


def lower_is_better(metric_name: str) -> bool:
    """Metrics that improve when they fall (costs, churn, waits...), from the metric vocabulary."""
    return not metric(metric_name).higher_is_better


def default_control(policies: Sequence[str]) -> str:
    """The do-nothing policy by its name (no_*, none, nothing, baseline, control, holdout), else the first."""
    for name in policies:
        low = name.lower()
        if low in _CONTROL_NAMES or low.startswith(("no_", "no-")):
            return name
    return policies[0]


def default_metrics(columns: Sequence[str]) -> list[str]:
    """`DEFAULT_METRICS` and those of `OPTIONAL_METRICS` present in `columns`."""
    return [m for m in (*DEFAULT_METRICS, *OPTIONAL_METRICS) if m in columns]


def check_level(alpha: float, adjust: str) -> None:
    """Refuse a significance level outside (0, 1) or an unknown p-value adjustment."""
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1, got {alpha:g}")
    if adjust not in _ADJUST:
        raise InputError(f"unknown p-value adjustment {adjust!r}; use one of {', '.join(_ADJUST)}")


def _policies(run: RunResult) -> list[str]:
    present = list(dict.fromkeys(run.replications["policy"]))
    return [p for p in run.scenario.policies if p in present] + \
        [p for p in present if p not in run.scenario.policies]


def _metric_columns(reps: pd.DataFrame) -> list[str]:
    numeric = reps.select_dtypes(include=["number", "bool"]).columns
    return [c for c in numeric if c not in ("replication", "policy")]


def compare_run(
    run: RunResult | str | Path,
    control: str | None = None,
    metrics: Sequence[str] | None = None,
    *,
    alpha: float = 0.05,
    adjust: str = "holm",
) -> pd.DataFrame:
    """Every policy of a run against the control, on paired differences over replications.

    Policies of one replication face the same simulated customers (common random numbers), so
    each policy is compared with the control through its within-replication differences
    (paired t; `sim.analysis.compare_replications`).

    Parameters
    ----------
    run : a finished run or its folder.
    control : control policy. Default: `default_control` of the scenario's policies.
    metrics : any numeric columns of the replications table. Default: `default_metrics`.
    alpha : level of the two-sided intervals and of the decisions. Default 0.05.
    adjust : ``"holm"`` (default, family-wise) or ``"bh"`` (false discovery rate), over all
        rows of the table. Costs and churn (`lower_is_better`) are "better" when they fall.

    Returns one row per (policy, metric) in scenario order; columns `sim.analysis.COLUMNS`.
    """
    check_level(alpha, adjust)
    if not isinstance(run, RunResult):
        run = load_run(run)
    reps, policies = run.replications, _policies(run)
    if len(policies) < 2:
        raise DataError(f"the run has a single policy ({policies[0]!r}); nothing to compare it with")
    control = default_control(policies) if control is None else control
    if control not in policies:
        raise DataError(f"no policy {control!r} in the run; policies: {', '.join(policies)}")
    if reps["replication"].nunique() < 2:
        raise DataError("the run has a single replication; paired comparisons need at least 2")
    available = _metric_columns(reps)
    metrics = default_metrics(available) if metrics is None else list(dict.fromkeys(metrics))
    unknown = [m for m in metrics if m not in available]
    if unknown or not metrics:
        raise DataError(f"no metric {', '.join(repr(m) for m in unknown) or '(none given)'} in the "
                        f"run; metrics: {', '.join(available)}")
    # A metric constant over replications (e.g. no marketing spend) has no spread: NaN, not a warning.
    with np.errstate(invalid="ignore", divide="ignore"):
        from sim.analysis import compare_replications  # SciPy and statsmodels: loaded for a comparison only

        table = compare_replications(reps, "policy", control, metrics, paired=True, alpha=alpha, adjust=adjust,
                                     lower_is_better=[m for m in metrics if lower_is_better(m)])
    order = {p: i for i, p in enumerate(policies)}
    table = table.assign(_a=table["arm"].map(order), _m=table["metric"].map(metrics.index))
    return table.sort_values(["_a", "_m"], kind="stable").drop(columns=["_a", "_m"]).reset_index(drop=True)


def write_comparison(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a comparison table as CSV atomically (a reader never sees half a file)."""
    path = Path(path)
    if not path.parent.is_dir():
        raise DataError(f"{path.parent}: no such folder for {path.name}")
    try:
        with atomic_file(path) as tmp:
            table.to_csv(tmp, index=False)
    except OSError as exc:
        raise DataError(f"{path}: cannot write ({exc.strerror or exc})") from None
    return path
