"""Event-day GMV over replications: quantiles, chance of a target, and sales = traffic x
conversion x average order value, each with its own interval.

Quantiles use Weibull plotting positions (the k-th smallest of n values estimates the
k / (n + 1) quantile; Hyndman and Fan 1996, definition 6), so the P10-P90 band of n
replications is an 80 % prediction interval for one more replication: a new value falls
between the k-th and m-th smallest of n exchangeable values with probability (m - k) / (n + 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

LEVELS = (0.1, 0.5, 0.9)
COMPONENTS = ("traffic", "conversion", "aov")
"""The three levers of sales; GMV = traffic x conversion x aov in every replication."""


def quantiles(x, levels=LEVELS, method: str = "weibull") -> np.ndarray:
    """Quantiles of x at `levels` (default P10, P50, P90) by Weibull plotting positions."""
    return np.quantile(np.asarray(x, dtype=float), levels, method=method)


def event_outcomes(hourly: pd.DataFrame, replications: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per replication of event-day figures from the hourly table of one policy.

    Columns: visitors (new), returning (existing customers who ordered), traffic, orders,
    gmv (yuan), conversion = orders / traffic, aov = gmv / orders (yuan). With the pre-sale,
    the replication's pre-sale metrics are joined on.
    """
    day = hourly.groupby("replication")[["visitors", "returning", "traffic", "orders", "first_orders", "gmv"]].sum()
    day["conversion"] = day["orders"] / day["traffic"].where(day["traffic"] > 0)
    day["aov"] = day["gmv"] / day["orders"].where(day["orders"] > 0)
    day = day.reset_index()
    if replications is not None:
        extra = [c for c in replications.columns if c.startswith("presale_")]
        if extra:
            day = day.merge(replications[["replication", *extra]], on="replication", how="left")
    return day


@dataclass(frozen=True)
class TargetChance:
    """Share of replications reaching the target, with a Wilson interval over replications."""

    target: float
    probability: float
    ci_low: float
    ci_high: float
    n: int
    method: str = "share of replications with event-day GMV >= target; Wilson 95 % interval"


def target_chance(gmv, target: float, alpha: float = 0.05) -> TargetChance:
    """How likely event-day GMV reaches `target` (yuan), estimated from replications."""
    gmv = np.asarray(gmv, dtype=float)
    hits = int(np.count_nonzero(gmv >= target))
    lo, hi = proportion_confint(hits, len(gmv), alpha=alpha, method="wilson")
    return TargetChance(float(target), hits / len(gmv), float(lo), float(hi), len(gmv))


def target_scale(gmv, target: float, probability: float) -> float:
    """s = target / Q(1 - probability) of GMV: multiplying every replication's GMV by s makes
    P(GMV >= target) = probability (Weibull quantile; inf without GMV)."""
    q = float(quantiles(gmv, [1.0 - probability])[0])
    return target / q if q > 0 else float("inf")


def quantile_interval(x, level: float, alpha: float = 0.05) -> tuple[float, float]:
    """Distribution-free (1 - alpha) interval for the `level` quantile: order statistics
    X(j) <= q <= X(k) with Binomial(n, level) coverage >= 1 - alpha. An end needing more
    replications than there are is nan (P10 and P90 need 36 for 95 %)."""
    x = np.sort(np.asarray(x, dtype=float))
    n = len(x)
    if n == 0:
        return float("nan"), float("nan")
    j = int(stats.binom.ppf(alpha / 2, n, level))  # P(B < j) <= alpha / 2
    k = int(stats.binom.ppf(1 - alpha / 2, n, level)) + 1  # P(B >= k) <= alpha / 2
    low = float(x[j - 1]) if j >= 1 else float("nan")
    high = float(x[k - 1]) if k <= n else float("nan")
    return low, high


def summary_rows(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Mean, P10, P50, P90 of GMV, its components and the other event-day figures, with each
    quantile's distribution-free 95 % interval (p10_low, p10_high, ...; see quantile_interval)."""
    units = {"gmv": "yuan", "traffic": "visitors", "conversion": "orders per visitor", "aov": "yuan per order",
             "orders": "orders", "visitors": "new visitors", "returning": "existing customers",
             "first_orders": "orders", "presale_deposits": "deposits", "presale_deposit_value": "yuan",
             "presale_balances_paid": "orders", "presale_balances_unpaid": "deposits",
             "presale_deposits_kept": "yuan", "presale_gmv": "yuan"}
    rows = []
    for name, unit in units.items():
        if name not in outcomes:
            continue
        x = outcomes[name].to_numpy(dtype=float)
        x = x[~np.isnan(x)]
        p10, p50, p90 = quantiles(x) if len(x) else (np.nan,) * 3
        section = "presale" if name.startswith("presale_") else (
            "decomposition" if name in COMPONENTS else "event_day")
        row = {"section": section, "quantity": name, "unit": unit, "mean": float(np.mean(x)) if len(x) else np.nan,
               "p10": p10, "p50": p50, "p90": p90}
        for level in LEVELS:
            key = f"p{level * 100:.0f}"
            row[f"{key}_low"], row[f"{key}_high"] = quantile_interval(x, level)
        rows.append(row)
    return pd.DataFrame(rows)
