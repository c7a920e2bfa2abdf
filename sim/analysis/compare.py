"""The comparison table: every arm against the control on every metric.

One row per (arm, metric). Rates (0/1 columns) get Newcombe intervals and the
pooled z-test, money columns Welch's t with a permutation p-value (Welch's t
table with CUPED when a covariate is given; optionally capped), ratio metrics
the delta method; guardrails get a non-inferiority test instead. P-values
are adjusted over the family of primary rows and, separately, over guardrails.
"""

from __future__ import annotations

import warnings

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from sim.analysis.capped import Cap, choose_cap, compare_means_capped
from sim.analysis.cuped import compare_means_cuped
from sim.analysis.means import compare_means, compare_ratios
from sim.analysis.multiple import SRMResult, adjust_pvalues, sample_ratio_mismatch
from sim.analysis.noninferiority import noninferiority_means, noninferiority_proportions
from sim.analysis.proportions import compare_proportions
from sim.analysis.selection import paired_difference

__all__ = ["Guardrail", "COLUMNS", "is_proportion", "compare_arms", "compare", "compare_replications", "srm"]

COLUMNS = [
    "arm", "control", "metric", "kind", "role", "n_control", "n_arm",
    "estimate_control", "estimate_arm", "difference", "lift", "ci_low", "ci_high",
    "p_value", "p_adjusted", "decision", "method",
]


@dataclass(frozen=True)
class Guardrail:
    """A metric that must not deteriorate by more than `margin` (absolute units).

    `higher_is_better` False (default) suits harm rates such as opt-outs.
    """

    margin: float
    higher_is_better: bool = False


def is_proportion(values: pd.Series | np.ndarray) -> bool:
    """True if every non-missing value is 0 or 1 (booleans included)."""
    v = pd.Series(values).dropna()
    return bool(len(v)) and bool(v.isin([0, 1]).all())


def _row(arm, control, metric, kind, role, n_c, n_a, res, method, lift=None) -> dict:
    return {
        "arm": arm, "control": control, "metric": metric, "kind": kind, "role": role,
        "n_control": n_c, "n_arm": n_a, "estimate_control": res.estimate_control,
        "estimate_arm": res.estimate_arm, "difference": res.difference,
        "lift": res.lift if lift is None else lift, "ci_low": res.ci_low,
        "ci_high": res.ci_high, "p_value": res.p_value, "method": method,
    }


def _money(ya, yc, alpha, test, interval, rng, cap: Cap | None):
    """A money metric without covariate; capped when `cap` is given."""
    if cap is None:
        return compare_means(ya, yc, alpha=alpha, test=test, interval=interval, rng=rng)
    if interval not in (None, "t" if test == "welch" else "permutation"):
        raise ValueError("a capped mean takes its test's own interval; leave `interval` unset")
    return compare_means_capped(ya, yc, cap=cap, alpha=alpha, test=test, rng=rng)


def _caps(df: pd.DataFrame, metrics, cap, covariate) -> dict[str, Cap]:
    """The cap of each capped money metric, over every arm of the experiment together."""
    if cap is None:
        return {}
    if covariate is not None:
        raise ValueError("capped means are not CUPED-adjusted: give `cap` or `covariate`, not both")
    wanted = ({m: {"value": float(v)} for m, v in cap.items()} if isinstance(cap, Mapping)
              else {m: {"quantile": float(cap)} for m in metrics})
    return {m: choose_cap(df[m].to_numpy(float), **how) for m, how in wanted.items()
            if m in metrics and not is_proportion(df[m])}


def _primary_row(arm, control, metric, a: pd.DataFrame, c: pd.DataFrame,
                 covariate: str | None, alpha: float, interval: str | None = None,
                 rng: np.random.Generator | None = None, test: str = "permutation",
                 cap: Cap | None = None) -> dict:
    ya, yc = a[metric].to_numpy(float), c[metric].to_numpy(float)
    if is_proportion(pd.concat([a[metric], c[metric]])):
        r = compare_proportions(ya.sum(), ya.size, yc.sum(), yc.size, alpha=alpha)
        return _row(arm, control, metric, "proportion", "primary", yc.size, ya.size, r, r.method)
    if covariate is not None and np.ptp(np.concatenate([a[covariate], c[covariate]]).astype(float)) == 0:
        warnings.warn(f"{covariate} is the same for every customer: CUPED skipped for {metric}", stacklevel=4)
        r = _money(ya, yc, alpha, test, interval, rng, cap)
        return _row(arm, control, metric, "mean", "primary", yc.size, ya.size, r,
                    f"CUPED skipped: {covariate} is constant; {r.method}")
    if covariate is not None:
        cu = compare_means_cuped(ya, a[covariate].to_numpy(float), yc,
                                 c[covariate].to_numpy(float), alpha=alpha)
        method = (f"CUPED on {covariate} (theta={cu.theta:.4g}, variance reduction "
                  f"{cu.variance_reduction:.2%}); Welch")
        return _row(arm, control, metric, "mean", "primary", yc.size, ya.size, cu.comparison, method)
    r = _money(ya, yc, alpha, test, interval, rng, cap)
    return _row(arm, control, metric, "mean", "primary", yc.size, ya.size, r, r.method)


def _guardrail_row(arm, control, metric, a: pd.DataFrame, c: pd.DataFrame,
                   g: Guardrail, alpha: float) -> dict:
    ya, yc = a[metric].to_numpy(float), c[metric].to_numpy(float)
    kw = dict(margin=g.margin, higher_is_better=g.higher_is_better, alpha=alpha)
    if is_proportion(pd.concat([a[metric], c[metric]])):
        r, kind = noninferiority_proportions(ya.sum(), ya.size, yc.sum(), yc.size, **kw), "proportion"
    else:
        r, kind = noninferiority_means(ya, yc, **kw), "mean"
    lift = r.estimate_arm / r.estimate_control - 1 if r.estimate_control else np.nan
    return _row(arm, control, metric, kind, "guardrail", yc.size, ya.size, r,
                f"{r.method} (margin {g.margin:g})", lift=lift)


def _ratio_row(arm, control, name, cols, a, c, alpha) -> dict:
    num, den = cols
    r = compare_ratios(a[num].to_numpy(float), a[den].to_numpy(float),
                       c[num].to_numpy(float), c[den].to_numpy(float), alpha=alpha)
    return _row(arm, control, name, "ratio", "primary", len(c), len(a), r, r.method)


def _replication_row(arm, control, metric, wide: pd.DataFrame, paired: bool, alpha: float) -> dict:
    """One row from per-replication values (columns are arms, rows replications).

    A metric that cannot be tested (one replication, or the same difference in every
    replication, e.g. a cost no policy changes) gets NaN or infinite statistics, quietly: the
    table shows them as such, so numpy's and SciPy's warnings about them would only alarm."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return _replication_values(arm, control, metric, wide, paired, alpha)


def _replication_values(arm, control, metric, wide: pd.DataFrame, paired: bool, alpha: float) -> dict:
    if paired:
        both = wide[[arm, control]].dropna()
        ya, yc = both[arm].to_numpy(float), both[control].to_numpy(float)
    else:
        ya, yc = wide[arm].dropna().to_numpy(float), wide[control].dropna().to_numpy(float)
    res = compare_means(ya, yc, alpha=alpha)
    if not paired:
        return _row(arm, control, metric, "mean", "primary", yc.size, ya.size, res, res.method)
    diff = paired_difference(ya, yc, alpha=alpha)
    row = _row(arm, control, metric, "mean", "primary", yc.size, ya.size, res,
               "paired t (common random numbers)")
    row.update(difference=diff.mean_difference, ci_low=diff.ci_low, ci_high=diff.ci_high,
               p_value=diff.p_value)
    return row


def _decide(table: pd.DataFrame, alpha: float, adjust: str, lower_is_better: Sequence[str]) -> pd.DataFrame:
    if table.empty:
        return pd.DataFrame(columns=COLUMNS)
    table["p_adjusted"] = np.nan
    table["decision"] = ""
    for role in ("primary", "guardrail"):
        rows = table.index[table["role"] == role]
        if len(rows):
            table.loc[rows, "p_adjusted"] = adjust_pvalues(table.loc[rows, "p_value"], method=adjust).p_adjusted
    primary = table["role"] == "primary"
    sig = primary & (table["p_adjusted"] < alpha)
    good = (table["difference"] > 0) ^ table["metric"].isin(list(lower_is_better))
    table.loc[primary, "decision"] = "no detectable difference"
    table.loc[sig & good, "decision"] = "better"
    table.loc[sig & ~good, "decision"] = "worse"
    guard = table["role"] == "guardrail"
    table.loc[guard, "decision"] = np.where(table.loc[guard, "p_adjusted"] < alpha, "non-inferior", "inferior")
    return table


def compare_arms(
    df: pd.DataFrame,
    arm_col: str,
    control: str,
    metrics: Sequence[str] | None = None,
    *,
    covariate: str | None = None,
    ratios: Mapping[str, tuple[str, str]] | None = None,
    guardrails: Mapping[str, Guardrail | float] | None = None,
    lower_is_better: Sequence[str] = (),
    alpha: float = 0.05,
    adjust: str = "holm",
    interval: str | None = None,
    rng: np.random.Generator | None = None,
    test: str = "permutation",
    cap: float | Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Compare every arm with `control`, one row per (arm, metric); columns `COLUMNS`.

    Parameters
    ----------
    df : one row per customer: the arm label in `arm_col`, metric columns.
    arm_col, control : arm column and the control arm's label.
    metrics : primary metric columns. Default: every numeric column except
        `arm_col`, `covariate`, ratio parts and guardrails. 0/1 columns are
        rates (kind "proportion"), others money per customer (kind "mean").
    covariate : pre-period column; if given, mean metrics are CUPED-adjusted
        with it (rates are not). Default None.
    ratios : ``{name: (numerator_col, denominator_col)}`` ratio metrics such
        as average order value, analysed with customers as units (delta method).
    guardrails : ``{column: Guardrail(margin, higher_is_better)}``; a bare
        number is ``Guardrail(margin)`` (a harm rate). Decision
        "non-inferior"/"inferior" from a one-sided test at `alpha`.
    lower_is_better : primary metrics where a decrease is good.
    alpha : level for intervals (two-sided) and decisions. Default 0.05.
    adjust : ``"holm"`` (default) or ``"bh"``, applied over all primary rows
        together and over all guardrail rows together.
    test : p-value of money metrics without a covariate: ``"permutation"``
        (default: Welch's t referred to 2,000 shuffles of the arm labels, exact
        in A/A tests whatever the tail) or ``"welch"`` (Welch's t table, which
        on heavy-tailed spend rejects only about 3 % of A/A tests at 5 %). See
        :func:`sim.analysis.means.compare_means`. CUPED rows use the t table.
    interval : interval of those metrics; default None, the test's own (which
        agrees with its p-value). ``"t"`` forces Welch's t interval; the
        bootstrap ``"percentile"`` and ``"bca"`` are kept for old scripts but
        not recommended (on heavy tails they exclude 0 in 9-17 % of A/A tests).
    rng : numpy Generator for shuffles and resamples; default one seeded 0, so
        a table is reproducible.
    cap : capped (winsorised) means of money metrics without a covariate: a
        number in (0, 1) caps every customer's amount at that quantile of both
        arms together (0.99: the 99th percentile over all arms, one cap per
        metric); a mapping ``{metric: cap}`` gives absolute caps in each
        metric's units (metrics not in it are not capped). The row's `method`
        states the cap's value and percentile, and its estimates are of the
        capped means (:mod:`sim.analysis.capped`). Not with a `covariate`.

    Decisions for primary rows: "better"/"worse" when the adjusted p-value is
    below `alpha`, else "no detectable difference".
    """
    ratios = dict(ratios or {})
    guards = {k: v if isinstance(v, Guardrail) else Guardrail(float(v)) for k, v in (guardrails or {}).items()}
    if metrics is None:
        skip = {arm_col, covariate, *guards, *(c for pair in ratios.values() for c in pair)}
        metrics = [c for c in df.select_dtypes(include=["number", "bool"]).columns if c not in skip]
    groups = {k: g for k, g in df.groupby(arm_col, sort=True)}
    if control not in groups:
        raise ValueError(f"control arm {control!r} not found in column {arm_col!r}")
    c = groups[control]
    rng = np.random.default_rng(0) if rng is None else rng
    caps = _caps(df[df[arm_col].isin(list(groups))], metrics, cap, covariate)
    rows = []
    for arm, a in groups.items():
        if arm == control:
            continue
        rows += [_primary_row(arm, control, m, a, c, covariate, alpha, interval, rng, test, caps.get(m))
                 for m in metrics]
        rows += [_ratio_row(arm, control, n, cols, a, c, alpha) for n, cols in ratios.items()]
        rows += [_guardrail_row(arm, control, m, a, c, g, alpha) for m, g in guards.items()]
    table = _decide(pd.DataFrame(rows), alpha, adjust, lower_is_better)
    return table[COLUMNS].reset_index(drop=True)


def compare_replications(
    df: pd.DataFrame,
    arm_col: str,
    control: str,
    metrics: Sequence[str],
    *,
    replication_col: str = "replication",
    paired: bool = True,
    lower_is_better: Sequence[str] = (),
    alpha: float = 0.05,
    adjust: str = "holm",
) -> pd.DataFrame:
    """Comparison table from simulation output: one row per (arm, replication).

    With ``paired=True`` (default; replications share random numbers across
    arms) each arm is compared to control through within-replication
    differences (paired t, :func:`sim.analysis.selection.paired_difference`);
    with ``paired=False`` by Welch's t. Kind is "mean" (a replication's value
    is itself an average or total). Other arguments as in :func:`compare`.
    """
    wide = df.pivot(index=replication_col, columns=arm_col, values=list(metrics))
    rows = [
        _replication_row(arm, control, m, wide[m], paired, alpha)
        for arm in sorted(df[arm_col].unique()) if arm != control
        for m in metrics
    ]
    table = _decide(pd.DataFrame(rows), alpha, adjust, lower_is_better)
    return table[COLUMNS].reset_index(drop=True)


def srm(
    df: pd.DataFrame, arm_col: str, planned_shares: Mapping[str, float] | None = None,
    *, alpha: float = 0.001,
) -> SRMResult:
    """Sample-ratio-mismatch check of a per-customer table (arms in sorted order).

    `planned_shares` maps arm label to planned share; default equal shares.
    See :func:`sim.analysis.multiple.sample_ratio_mismatch` (default alpha 0.001).
    """
    counts = df[arm_col].value_counts().sort_index()
    shares = None if planned_shares is None else [planned_shares[a] for a in counts.index]
    return sample_ratio_mismatch(counts.to_numpy(), shares, alpha=alpha)


compare = compare_arms  # the name before 0.2; kept for one release
