"""The decision table: each policy against the control, with the verdict in words.

Taken from `comparison.csv` when `sim compare` wrote one, else computed here the same way:
paired t over replications (policies share random numbers), p-values adjusted by Holm.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim import vocabulary
from sim.report.console import fmt_count, is_count, unsigned_zero
from sim.report.contents import RunContents

METRICS = ("orders", "gmv", "gross_profit", "net_profit", "repurchase_rate", "marketing_spend")
"""Compared when present in the replications table, in this order."""


NAMES = {
    "orders": ("orders", "订单数"), "gmv": ("GMV", "成交额"), "gross_profit": ("gross profit", "毛利"),
    "net_profit": ("net profit", "净利润"), "repurchase_rate": ("repurchase rate", "复购率"),
    "marketing_spend": ("marketing spend", "营销费用"), "buyers": ("buyers", "买家数"),
    "messages": ("messages", "消息数"), "coupon_cost": ("coupon cost", "优惠券成本"),
    "churned": ("customers churned", "流失客户"), "opt_outs": ("opt-outs", "退订"),
    "incremental_gmv": ("incremental GMV over the holdout", "增量成交额"),
    "roms": ("ROMS: incremental GMV per ¥ spent", "营销回报"),
    "new_buyers": ("new buyers", "新客"), "paid_first_orders": ("first orders from ads", "广告新客首单"),
    "ad_spend": ("ad spend", "广告费用"), "referred_buyers": ("referred buyers", "推荐新客"),
    "referral_cost": ("referral cost", "推荐成本"),
}


def metric_name(metric: str) -> str:
    english, chinese = NAMES.get(metric, (metric.replace("_", " "), ""))
    return f"{english} {chinese}".strip()


def decision_table(run: RunContents, alpha: float = 0.05) -> pd.DataFrame:
    """Rows (arm, metric, ...) in `sim.analysis.COLUMNS` order plus `verdict`; empty with one policy."""
    if "comparison" in run.csvs and {"arm", "metric", "decision"} <= set(run.csvs["comparison"].columns):
        table = run.csvs["comparison"].copy()
        table["arm"] = table["arm"].astype(str)
    else:
        table = _compute(run, alpha)
    if table.empty:
        return table.assign(verdict=pd.Series(dtype=str))
    n = int((table["role"] == "primary").sum()) if "role" in table else len(table)
    table["verdict"] = [verdict(r, n) for r in table.itertuples()]
    return table.reset_index(drop=True)


def _compute(run: RunContents, alpha: float) -> pd.DataFrame:
    reps = run.replications
    metrics = [m for m in METRICS if m in reps and pd.api.types.is_numeric_dtype(reps[m])]
    if len(run.policies) < 2 or not metrics or "replication" not in reps or reps["replication"].nunique() < 2:
        return pd.DataFrame()  # nothing to decide from a single replication
    from sim.analysis import compare_replications  # SciPy and statsmodels, only without a comparison.csv
    from sim.studies.comparison import lower_is_better

    control = run.control
    table = compare_replications(reps, "policy", control, metrics, paired=True, alpha=alpha,
                                 lower_is_better=[m for m in metrics if lower_is_better(m)])
    order = {p: i for i, p in enumerate(run.policies)}
    return table.sort_values("arm", key=lambda s: s.map(order), kind="stable")


def format_value(value: float, metric: str, signed: bool = False) -> str:
    """Money (a metric in yuan, by `sim.vocabulary`) as ¥ with thousands separators, rates in %
    (points when signed), counts as `fmt_count` (one decimal at most), other numbers plain; a value
    that rounds to zero has no sign."""
    if value is None or not math.isfinite(value):
        return "–"
    sign = "+" if signed else ""
    if metric.endswith("rate") or metric.endswith("share"):
        return unsigned_zero(f"{value * 100:{sign}.2f}").replace("-", "−") + (" pt" if signed else " %")
    money = vocabulary.metric(metric).unit == "yuan"
    if is_count(metric) and not money:
        text = fmt_count(abs(value))
    elif value == 0 or abs(value) >= 100:  # nothing spent is ¥0, not ¥0.00
        text = f"{abs(value):,.0f}"
    else:  # other small numbers read better without trailing zeros; money keeps its fen
        text = f"{abs(value):,.2f}" if money else f"{abs(value):,.2f}".rstrip("0").rstrip(".")
    neg = "−" if value < 0 else ("+" if signed else "")
    return unsigned_zero(f"{neg}¥{text}" if money else f"{neg}{text}")


def format_p(p: float) -> str:
    if p is None or not math.isfinite(p):
        return "–"
    return "<0.0001" if p < 0.0001 else f"{p:.4f}"


def verdict(r, comparisons: int) -> str:
    """One sentence: what the policy does to the metric, and whether chance can explain it."""
    name = NAMES.get(r.metric, (r.metric.replace("_", " "),))[0]
    diff = float(r.difference)
    lift = float(r.lift) if r.lift is not None and np.isfinite(r.lift) else float("nan")
    change = format_value(diff, r.metric, signed=True) + (f", {lift:+.1%}" if np.isfinite(lift) else "")
    direction = "raises" if diff > 0 else "lowers"
    holds = f"holds after adjusting for the {comparisons} comparisons" if comparisons > 1 else "is clear of chance"
    if r.decision in ("better", "worse"):
        return f"{r.decision.capitalize()}: {direction} {name} ({change}); the difference {holds}."
    if r.decision in ("non-inferior", "inferior"):
        return f"{r.decision.capitalize()} on {name} ({change})."
    if diff == 0 and float(r.ci_low) == 0 and float(r.ci_high) == 0:
        return f"The same {name} in every replication: the policy does not touch it."
    return f"No detectable difference in {name} ({change}) once p is adjusted for the {comparisons} comparisons."
