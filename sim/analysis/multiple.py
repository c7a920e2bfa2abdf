"""Many comparisons at once: adjusted p-values and the sample-ratio-mismatch check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests

__all__ = ["AdjustedPValues", "SRMResult", "adjust_pvalues", "sample_ratio_mismatch"]

_METHODS = {"holm": "holm", "bh": "fdr_bh", "fdr_bh": "fdr_bh", "bonferroni": "bonferroni"}


@dataclass(frozen=True)
class AdjustedPValues:
    """Adjusted p-values in the input order, and which hypotheses are rejected."""

    p_values: tuple[float, ...]
    p_adjusted: tuple[float, ...]
    reject: tuple[bool, ...]
    alpha: float
    method: str


@dataclass(frozen=True)
class SRMResult:
    """Sample-ratio-mismatch check: observed arm sizes against planned shares.

    `mismatch` is True when ``p_value < alpha``: the split is too far from the
    plan to be chance, and the comparison should not be trusted until the
    cause (assignment bug, lost logging) is found.
    """

    observed: tuple[int, ...]
    expected: tuple[float, ...]
    statistic: float
    p_value: float
    alpha: float
    mismatch: bool


def adjust_pvalues(
    p_values: Sequence[float], *, method: str = "holm", alpha: float = 0.05
) -> AdjustedPValues:
    """Adjust a family of p-values (every arm and metric compared to control).

    Parameters
    ----------
    p_values : raw p-values, any order; NaNs are kept as NaN and not counted.
    method : ``"holm"`` (default; controls the family-wise error rate, valid
        under any dependence), ``"bh"`` (Benjamini-Hochberg false discovery
        rate, valid under independence or positive dependence) or
        ``"bonferroni"``. Computed by ``statsmodels.stats.multitest.multipletests``.
    alpha : family level used for `reject`. Default 0.05.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    Scandinavian Journal of Statistics 6(2), 65-70.
    Benjamini and Hochberg (1995). Controlling the false discovery rate. JRSS B
    57(1), 289-300.
    """
    if method not in _METHODS:
        raise ValueError(f"unknown method {method!r}; use one of {sorted(_METHODS)}")
    p = np.asarray(p_values, float)
    adjusted = np.full(p.shape, np.nan)
    reject = np.zeros(p.shape, bool)
    ok = ~np.isnan(p)
    if ok.any():
        reject[ok], adjusted[ok], _, _ = multipletests(p[ok], alpha=alpha, method=_METHODS[method])
    return AdjustedPValues(
        p_values=tuple(map(float, p)), p_adjusted=tuple(map(float, adjusted)),
        reject=tuple(map(bool, reject)), alpha=alpha, method=_METHODS[method],
    )


def sample_ratio_mismatch(
    counts: Sequence[int], planned_shares: Sequence[float] | None = None,
    *, alpha: float = 0.001,
) -> SRMResult:
    """Chi-square goodness-of-fit test of arm sizes to the planned split.

    Parameters
    ----------
    counts : customers assigned to each arm.
    planned_shares : planned share of each arm (normalised to sum to 1).
        Default: equal shares.
    alpha : threshold for flagging a mismatch. Default 0.001, strict because
        the check runs on every experiment and a false alarm stops an analysis.

    References
    ----------
    Fabijan et al. (2019). Diagnosing sample ratio mismatch in online
    controlled experiments. KDD '19, 2156-2164.
    """
    observed = np.asarray(counts, float)
    shares = np.ones_like(observed) if planned_shares is None else np.asarray(planned_shares, float)
    expected = observed.sum() * shares / shares.sum()
    stat, p_value = stats.chisquare(observed, expected)
    return SRMResult(
        observed=tuple(int(c) for c in observed), expected=tuple(map(float, expected)),
        statistic=float(stat), p_value=float(p_value), alpha=alpha,
        mismatch=bool(p_value < alpha),
    )
