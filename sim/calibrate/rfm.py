"""RFM scores (quintiles) and the five RFM groups used by the population.

R = days since the last purchase, F = transactions in the window, M = spend in the window
(Hughes 1994, "Strategic Database Marketing"). Scores are quintiles 1-5 of the percentile rank
(ties share a score; R is reversed so that recent buyers score high). A customer is "high" on an
axis when her score is above that axis's mean score, the usual eight-cell RFM split; the four
high-spend cells are the important groups and everyone with low spend is general.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

GROUPS = ("important_value", "important_development", "important_retention",
          "important_maintenance", "general")

# (recent, frequent) -> group, for customers with high M
_IMPORTANT = {
    (True, True): "important_value",
    (True, False): "important_development",
    (False, True): "important_retention",
    (False, False): "important_maintenance",
}


def quintile_scores(values: pd.Series, higher_is_better: bool = True) -> pd.Series:
    """Scores 1-5 from the average percentile rank; tied values get the same score."""
    pct = values.rank(method="average", pct=True, ascending=higher_is_better)
    return np.clip(np.ceil(pct * 5), 1, 5).astype(int)


def rfm_table(recency_days: pd.Series, frequency: pd.Series, monetary: pd.Series) -> pd.DataFrame:
    """R, F, M scores and group per customer (index of the inputs)."""
    scores = pd.DataFrame({
        "r_score": quintile_scores(recency_days, higher_is_better=False),
        "f_score": quintile_scores(frequency),
        "m_score": quintile_scores(monetary),
    })
    recent = scores["r_score"] > scores["r_score"].mean()
    frequent = scores["f_score"] > scores["f_score"].mean()
    big = scores["m_score"] > scores["m_score"].mean()
    group = [_IMPORTANT[(r, f)] if m else "general"
             for r, f, m in zip(recent, frequent, big)]
    scores["rfm_group"] = pd.Categorical(group, categories=GROUPS)
    return scores


def group_shares(groups: pd.Series) -> dict[str, float]:
    """Share of customers in each of the five groups (all keys present, summing to 1)."""
    counts = groups.value_counts().reindex(GROUPS, fill_value=0)
    shares = counts / counts.sum()
    return {g: float(s) for g, s in shares.items()}
