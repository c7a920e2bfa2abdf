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


@dataclass(frozen=True)
class Requirement:
    """The level of one lever that reaches the target with the chosen probability.

    `scale` multiplies the lever (others at their simulated values); `needed` is the lever's
    simulated median times `scale`.
    """

    lever: str
    current: float
    needed: float
    scale: float


def requirements(outcomes: pd.DataFrame, target: float, probability: float) -> list[Requirement]:
    """Traffic, conversion or order value needed for P(GMV >= target) = probability.

    Assumption: GMV is proportional to each lever with the others held at their simulated
    values, so multiplying one lever by s multiplies every replication's GMV by s. Then
    P(s x GMV >= target) = probability when s = target / Q(1 - probability), Q the GMV
    quantile; the same s applies to whichever lever is moved.
    """
    q = float(quantiles(outcomes["gmv"], [1.0 - probability])[0])
    scale = target / q if q > 0 else float("inf")
    out = []
    for lever in COMPONENTS:
        current = float(np.nanmedian(outcomes[lever]))
        out.append(Requirement(lever, current, current * scale, scale))
    return out


def summary_rows(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Mean, P10, P50, P90 of GMV, its components and the other event-day figures."""
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
        rows.append({"section": section, "quantity": name, "unit": unit, "mean": float(np.mean(x)) if len(x) else np.nan,
                     "p10": p10, "p50": p50, "p90": p90})
    return pd.DataFrame(rows)
