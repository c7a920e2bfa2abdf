"""Per-category shares, order values and repurchase cycles from an order log.

Each customer belongs to her main category (the one with most of her orders; ties go to the
category ordered first). The cycle is the median number of days between consecutive
transactions of that category's customers who bought again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def main_category(orders: pd.DataFrame) -> pd.Series:
    """The category of most of each customer's orders, indexed by customer_id."""
    counts = (orders.sort_values("time", kind="stable")
              .groupby(["customer_id", "category"], sort=False).size().reset_index(name="n"))
    best = counts.sort_values("n", ascending=False, kind="stable").drop_duplicates("customer_id")
    return best.set_index("customer_id")["category"]


def repeat_gaps(transactions: pd.DataFrame) -> pd.Series:
    """Days between consecutive transactions of the same customer, indexed by customer_id."""
    days = transactions["time"].dt.floor("D")
    gaps = days.groupby(transactions["customer_id"]).diff() / pd.Timedelta(days=1)
    gaps.index = transactions["customer_id"]
    return gaps.dropna()


def category_table(orders: pd.DataFrame, transactions: pd.DataFrame,
                   fallback_cycle_days: float) -> dict[str, dict[str, float]]:
    """{category: {share, order_value, cycle_days}} for the population file.

    share: of customers by main category; order_value: mean order amount in the category;
    cycle_days: median gap between repeat transactions of its customers, or the median over
    all customers (then `fallback_cycle_days`) when a category has no repeat buyers.
    """
    main = main_category(orders)
    gaps = repeat_gaps(transactions)
    overall = float(gaps.median()) if len(gaps) else float(fallback_cycle_days)
    shares = main.value_counts(normalize=True)
    values = orders.groupby("category")["amount"].mean()
    table = {}
    for name, share in shares.items():
        own = gaps[gaps.index.isin(main.index[main == name])]
        cycle = float(own.median()) if len(own) else overall
        table[str(name)] = {"share": float(share), "order_value": round(float(values[name]), 2),
                            "cycle_days": round(cycle if np.isfinite(cycle) else overall, 1)}
    return table
