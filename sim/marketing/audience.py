"""Selecting an action's audience from the population's columns."""

from __future__ import annotations

import numpy as np

from sim.config.marketing import Audience
from sim.model.customers import SEGMENT_INDEX, Customers


def select(audience: Audience, pop: Customers, t: float, categories: list[str],
           among: np.ndarray | None = None) -> np.ndarray:
    """Indices of customers who had joined by hour t and match every filter of `audience`, in
    increasing order; only customers `among` (increasing indices) if given."""
    def column(values: np.ndarray) -> np.ndarray:
        return values if among is None else values[among]

    mask = column(pop.joined) <= t
    if audience.segments is not None:
        mask &= np.isin(column(pop.segment), [SEGMENT_INDEX[s] for s in audience.segments])
    if audience.categories is not None:
        mask &= np.isin(column(pop.category), [categories.index(c) for c in audience.categories])
    if audience.customers == "new":
        mask &= column(pop.is_new)
    elif audience.customers == "returning":
        mask &= ~column(pop.is_new)
    if audience.min_days_since_purchase is not None or audience.max_days_since_purchase is not None:
        age = (t - column(pop.last_order)) / 24.0
        if audience.min_days_since_purchase is not None:
            mask &= age >= audience.min_days_since_purchase
        if audience.max_days_since_purchase is not None:
            mask &= age <= audience.max_days_since_purchase
    return np.flatnonzero(mask) if among is None else among[mask]
