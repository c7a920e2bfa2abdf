"""Comparison tables for runs and experiment exports, and the planning of a test.

The glue between inputs (a run folder, an experiment CSV, planning numbers) and the pure
statistics of `sim.analysis`: it picks the control and the metrics, checks that the request
makes sense, and writes `comparison.csv`. Columns of every table are `sim.analysis.COLUMNS`.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from sim.analysis import (
    Guardrail,
    SRMResult,
    compare,
    compare_replications,
    confidence_sequence_means,
    confidence_sequence_proportions,
    detectable_effect_means,
    detectable_effect_proportions,
    sample_size_means,
    is_proportion,
    sample_size_proportions,
    srm,
)
from sim.errors import DataError, SimError
from sim.io.experiment_export import read_experiment
from sim.store.results import RunResult, load_run

COMPARISON_FILE = "comparison.csv"

DEFAULT_METRICS = ("orders", "gmv", "gross_profit", "repurchase_rate")
"""Compared in every run; `OPTIONAL_METRICS` too when the run has them."""
OPTIONAL_METRICS = ("net_profit", "marketing_spend", "marketing_cost")

_CONTROL_NAMES = ("none", "nothing", "baseline", "control", "holdout")
_ADJUST = ("holm", "bh")


class InputError(SimError, ValueError):
    """Arguments that contradict each other or cannot describe a test (e.g. a rate above 1)."""


_WORSE_WHEN_HIGHER = ("opt_out", "closed", "abandon", "waiting", "lost", "unpaid", "cancelled", "wait_s",
                      "ship_hours", "days_to_clear", "backlog")


def lower_is_better(metric: str) -> bool:
    """Metrics that improve when they fall: costs and spending (*_cost, *_spend), messages, churn,
    opt-outs, and operations' closed, abandoned, waiting, lost, unpaid and cancelled orders, waits,
    shipping times and backlog."""
    name = metric.lower()
    return (name.endswith(("_cost", "_spend")) or name in ("cost", "messages", "churned")
            or any(word in name for word in _WORSE_WHEN_HIGHER))


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


def _check_level(alpha: float, adjust: str) -> None:
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
    _check_level(alpha, adjust)
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
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise DataError(f"{path}: cannot write ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            table.to_csv(handle, index=False)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise DataError(f"{path}: cannot write ({exc.strerror or exc})") from None
        raise
    return path


@dataclass(frozen=True)
class ExperimentAnalysis:
    """The comparison table of an experiment export and its sample-ratio check.

    `counts` is customers per arm (sorted); `srm` compares them with the planned split.
    """

    table: pd.DataFrame
    srm: SRMResult
    counts: dict[str, int]
    planned_shares: dict[str, float]
    path: Path


def analyze_experiment(
    path: str | Path,
    arm: str,
    control: str,
    metrics: Sequence[str],
    *,
    covariate: str | None = None,
    guardrails: Mapping[str, Guardrail | float] | None = None,
    planned_shares: Mapping[str, float] | None = None,
    alpha: float = 0.05,
    adjust: str = "holm",
    encoding: str | None = None,
    ratios: Mapping[str, tuple[str, str]] | None = None,
    bootstrap: str | None = None,
    seed: int = 0,
) -> ExperimentAnalysis:
    """Compare every arm of an experiment export with the control (`sim.analysis.compare`).

    0/1 columns are rates (score z-test, Newcombe interval), others money per customer (Welch,
    CUPED-adjusted when `covariate` is given). `guardrails` maps a column to the margin it may
    worsen by (see `sim.analysis.Guardrail`). `planned_shares` is the planned split for the
    sample-ratio check (arm -> share, normalised); default equal shares. `ratios` maps a name
    to (numerator, denominator) columns for ratio metrics such as average order value (delta
    method, customers as units). `bootstrap` ("percentile" or "bca", resampled with `seed`)
    replaces the t interval of money metrics for heavy tails. Other arguments as in
    `compare_run`. Raises `DataError` for any problem with the file, before computing.
    """
    _check_level(alpha, adjust)
    guards = dict(guardrails or {})
    if not metrics:
        raise InputError("give at least one metric column")
    if arm in (*metrics, covariate, *guards):
        raise InputError(f"the arm column {arm!r} cannot also be a metric, covariate or guardrail")
    if covariate is not None and covariate in metrics:
        raise InputError(f"the covariate {covariate!r} cannot also be a metric")
    shares = dict(planned_shares or {})
    if any(not s > 0 for s in shares.values()):
        raise InputError("planned shares must be positive")
    ratios = dict(ratios or {})
    if bootstrap not in (None, "percentile", "bca"):
        raise InputError(f"bootstrap must be percentile or bca, not {bootstrap!r}")
    values = list(dict.fromkeys([*metrics, *([covariate] if covariate else []), *guards,
                                 *(c for pair in ratios.values() for c in pair)]))
    exp = read_experiment(path, arm, values, control=control, expected_arms=list(shares), encoding=encoding)
    if shares and set(shares) != set(exp.counts):
        extra = ", ".join(repr(a) for a in exp.counts if a not in shares)
        raise InputError(f"the planned split leaves out arm(s) {extra}; give a share for every arm")
    table = compare(exp.table, arm, control, list(metrics), covariate=covariate, ratios=ratios,
                    guardrails=guards, alpha=alpha, adjust=adjust, interval=bootstrap or "t",
                    rng=np.random.default_rng(seed) if bootstrap else None)
    check = srm(exp.table, arm, shares or None)
    planned = shares or {a: 1.0 for a in exp.counts}
    total = sum(planned.values())
    return ExperimentAnalysis(table=table, srm=check, counts=exp.counts,
                              planned_shares={a: planned[a] / total for a in exp.counts}, path=exp.path)


@dataclass(frozen=True)
class Plan:
    """A planned test: customers per arm and the effect they can detect.

    `kind` is "proportion" (`baseline` rate, `mde` in absolute points, 0.01 = one point) or
    "mean" (`sd` and `mde` in yuan per customer). `solved_for` says which of `n_per_arm` and
    `mde` was computed; `alpha_per_comparison` is `alpha` split over the arms - 1 comparisons.
    """

    kind: str
    solved_for: str
    n_per_arm: int
    total: int
    mde: float
    baseline: float | None
    sd: float | None
    arms: int
    alpha: float
    alpha_per_comparison: float
    power: float
    effect_size: float
    method: str


def _check_plan(baseline, mde, n, sd, alpha, power, arms) -> str:
    if (mde is None) == (n is None):
        raise InputError("give exactly one of mde (to get the customers per arm) and n "
                         "(to get the detectable effect)")
    if sd is not None and baseline is not None:
        raise InputError("give baseline for a rate or sd for a money metric, not both")
    if sd is None and baseline is None:
        raise InputError("give baseline (the control's rate) or sd (the spread of a money metric)")
    for name, value in (("alpha", alpha), ("power", power)):
        if not 0 < value < 1:
            raise InputError(f"{name} must be between 0 and 1, got {value:g}")
    if arms < 2:
        raise InputError(f"arms counts the control too, so it is at least 2, got {arms}")
    if n is not None and n < 2:
        raise InputError(f"n is customers per arm, at least 2, got {n}")
    if mde is not None and mde == 0:
        raise InputError("mde must not be 0")
    if sd is not None:
        if not sd > 0:
            raise InputError(f"sd must be positive, got {sd:g}")
        return "mean"
    if not 0 < baseline < 1:
        raise InputError(f"baseline is a rate strictly between 0 and 1, got {baseline:g}")
    if mde is not None and not 0 < baseline + mde < 1:
        raise InputError(f"baseline + mde = {baseline:g} + {mde:g} = {baseline + mde:g} is not a "
                         "rate strictly between 0 and 1 (mde is in absolute points: 0.01 = one point)")
    return "proportion"


def plan(
    *,
    baseline: float | None = None,
    mde: float | None = None,
    n: int | None = None,
    sd: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    arms: int = 2,
) -> Plan:
    """Customers per arm for an effect `mde`, or the effect detectable with `n` per arm.

    Give `baseline` (control rate) for a 0/1 outcome or `sd` (per-customer standard
    deviation, yuan) for a money metric, and exactly one of `mde` and `n`. Two-sided tests at
    family level `alpha` (Bonferroni over the arms - 1 comparisons with the control) with
    `power` per comparison: `sim.analysis.sample_size_proportions` (normal approximation,
    Cohen's h) and `sample_size_means` (t-test, Cohen's d) and their reverses. The detectable
    effect of a rate is the rise above `baseline`.
    """
    kind = _check_plan(baseline, mde, n, sd, alpha, power, arms)
    kw = dict(alpha=alpha, power=power, arms=arms)
    solved_for = "n" if n is None else "mde"
    if solved_for == "mde":
        try:
            mde = (detectable_effect_means(n, sd, **kw) if kind == "mean"
                   else detectable_effect_proportions(n, baseline, **kw))
        except ValueError as exc:
            raise InputError(str(exc)) from None
    size = sample_size_means(sd, mde, **kw) if kind == "mean" else sample_size_proportions(baseline, mde, **kw)
    n_per_arm = size.n_per_arm if n is None else int(n)
    return Plan(kind=kind, solved_for=solved_for, n_per_arm=n_per_arm, total=n_per_arm * arms,
                mde=float(mde), baseline=baseline, sd=sd, arms=arms, alpha=alpha,
                alpha_per_comparison=size.alpha_per_comparison, power=power,
                effect_size=size.effect_size, method=size.method)



def monitor_experiment(
    path: str | Path,
    arm: str,
    control: str,
    metrics: Sequence[str],
    look: str,
    *,
    alpha: float = 0.05,
    encoding: str | None = None,
) -> pd.DataFrame:
    """Always-valid intervals of every arm against the control at each look of a live test.

    `look` is a numeric column saying when each customer's outcome was seen (a day number);
    each distinct value is one look, with everyone seen up to it. The intervals are
    confidence sequences (`sim.analysis.confidence_sequence_means` / `_proportions`): they
    hold at every look at once, so the test can be checked daily without inflating false
    positives. Returns one row per (arm, metric, look): customers seen per group, estimate,
    interval, and whether the interval excludes zero.
    """
    _check_level(alpha, "holm")
    if not metrics:
        raise InputError("give at least one metric column")
    if look in (arm, *metrics):
        raise InputError(f"the look column {look!r} cannot also be the arm or a metric")
    exp = read_experiment(path, arm, [*metrics, look], control=control, encoding=encoding)
    data = exp.table.sort_values(look, kind="stable")
    looks = np.unique(data[look].to_numpy(float))
    rows = []
    control_rows = data[data[arm] == control]
    for name, group in data.groupby(arm, sort=True):
        if name == control:
            continue
        n_arm = np.searchsorted(group[look].to_numpy(float), looks, side="right")
        n_control = np.searchsorted(control_rows[look].to_numpy(float), looks, side="right")
        usable = (n_arm >= 2) & (n_control >= 2)
        for metric in metrics:
            x_arm, x_control = group[metric].to_numpy(float), control_rows[metric].to_numpy(float)
            sequence = (confidence_sequence_proportions if is_proportion(data[metric])
                        else confidence_sequence_means)
            cs = sequence(x_arm, x_control, n_arm[usable], n_control[usable], alpha=alpha)
            for i, at in enumerate(looks[usable]):
                rows.append({"arm": name, "control": control, "metric": metric, "look": at,
                             "n_arm": cs.nobs_arm[i], "n_control": cs.nobs_control[i],
                             "estimate": cs.estimate[i], "ci_low": cs.ci_low[i], "ci_high": cs.ci_high[i],
                             "excludes_zero": not cs.ci_low[i] <= 0 <= cs.ci_high[i], "method": cs.method})
    return pd.DataFrame(rows)
