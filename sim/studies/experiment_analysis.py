"""A real experiment's export: every arm against the control, with a sample-ratio check."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from sim.analysis import Guardrail, SRMResult, compare_arms, srm
from sim.io.experiment_export import read_experiment
from sim.studies.comparison import InputError, check_level


def parse_guardrail(text: str) -> tuple[str, Guardrail]:
    """`COLUMN:MARGIN[:higher|:lower]` (the command line's --guardrail) as (column, Guardrail).

    The margin is positive, in the column's units; `:higher` when higher is better. Raises
    `InputError` otherwise.
    """
    column, _, rest = text.partition(":")
    margin, _, direction = rest.partition(":")
    try:
        value = float(margin)
    except ValueError:
        value = float("nan")
    if not column or not value > 0 or direction not in ("", "higher", "lower"):
        raise InputError(f"--guardrail {text!r}: write COLUMN:MARGIN with a positive margin in the column's "
                         "units, e.g. unsubscribed:0.002 (add :higher when higher is better)")
    return column, Guardrail(value, higher_is_better=direction == "higher")


def parse_ratio(text: str) -> tuple[str, tuple[str, str]]:
    """`NAME=NUMERATOR/DENOMINATOR` (--ratio) as (name, (numerator, denominator)); `InputError` otherwise."""
    name, sep, parts = text.partition("=")
    numerator, slash, denominator = parts.partition("/")
    if not (sep and slash and name.strip() and numerator.strip() and denominator.strip()):
        raise InputError(f"--ratio {text!r}: expected NAME=NUMERATOR/DENOMINATOR, e.g. aov=spend/orders")
    return name.strip(), (numerator.strip(), denominator.strip())


def parse_split(text: str) -> tuple[str, float]:
    """`ARM=SHARE` (--split, one per arm) as (arm, share); `InputError` when SHARE is not a number."""
    name, _, share = text.rpartition("=")
    try:
        return name.strip(), float(share)
    except ValueError:
        raise InputError(f"--split {text!r}: write ARM=SHARE, e.g. 'No E-Mail=0.5'") from None


def parse_splits(items: Sequence[str]) -> dict[str, float]:
    """All `--split ARM=SHARE` options as {arm: share}; the shares must add up to 1 (within 0.01),
    so a typo is not silently normalised away."""
    shares = dict(parse_split(text) for text in items)
    if shares and abs(sum(shares.values()) - 1.0) > 0.01:
        listed = ", ".join(f"{a}={v:g}" for a, v in shares.items())
        raise InputError(f"--split shares must add up to 1, one per arm; {listed} add up to "
                         f"{sum(shares.values()):g}")
    return shares


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
    cap: float | None = None,
) -> ExperimentAnalysis:
    """Compare every arm of an experiment export with the control (`sim.analysis.compare`).

    0/1 columns are rates (score z-test, Newcombe interval), others money per customer: Welch's
    t with a permutation p-value and the interval that agrees with it (2,000 or more shuffles of
    the arm labels, drawn with `seed`; exact in A/A tests however heavy the tail), or Welch's t
    table when CUPED-adjusted by `covariate`. `cap` (a quantile in (0, 1), e.g. 0.99) compares
    capped means instead: every amount above that percentile of all arms together is lowered
    to it, and the row's method states the cap. `guardrails` maps a column to the margin it may
    worsen by (see `sim.analysis.Guardrail`). `planned_shares` is the planned split for the
    sample-ratio check (arm -> share, normalised); default equal shares. `ratios` maps a name
    to (numerator, denominator) columns for ratio metrics such as average order value (delta
    method, customers as units). `bootstrap` ("percentile" or "bca", resampled with `seed`)
    replaces the interval of money metrics; kept for old scripts, not recommended: on heavy
    tails these intervals exclude 0 in 9-17 % of A/A tests. Other arguments as in
    `compare_run`. Raises `DataError` for any problem with the file, before computing.
    """
    check_level(alpha, adjust)
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
    if cap is not None and not 0 < cap < 1:
        raise InputError(f"--cap is a percentile as a share of customers, e.g. 0.99 or 0.999, not {cap:g}")
    if cap is not None and (covariate is not None or bootstrap is not None):
        raise InputError("--cap compares capped means by its own test: leave out --covariate and --bootstrap")
    values = list(dict.fromkeys([*metrics, *([covariate] if covariate else []), *guards,
                                 *(c for pair in ratios.values() for c in pair)]))
    exp = read_experiment(path, arm, values, control=control, expected_arms=list(shares), encoding=encoding)
    if shares and set(shares) != set(exp.counts):
        extra = ", ".join(repr(a) for a in exp.counts if a not in shares)
        raise InputError(f"the planned split leaves out arm(s) {extra}; give a share for every arm")
    try:
        table = compare_arms(exp.table, arm, control, list(metrics), covariate=covariate, ratios=ratios,
                             guardrails=guards, alpha=alpha, adjust=adjust, interval=bootstrap,
                             rng=np.random.default_rng(seed), cap=cap)
    except ValueError as err:
        if cap is None or isinstance(err, InputError):
            raise
        raise InputError(f"--cap {cap:g}: {err}") from None  # a cap that would flatten a metric
    check = srm(exp.table, arm, shares or None)
    planned = shares or {a: 1.0 for a in exp.counts}
    total = sum(planned.values())
    return ExperimentAnalysis(table=table, srm=check, counts=exp.counts,
                              planned_shares={a: planned[a] / total for a in exp.counts}, path=exp.path)
