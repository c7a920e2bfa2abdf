"""Shared fixtures: CDNOW summaries and small order files written to a temporary folder."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.calibrate.transactions import summarise, to_transactions
from sim.io.datasets import load_cdnow

CDNOW_CAL_END = pd.Timestamp("1997-09-30")


def cdnow_summary(sample: bool):
    orders = load_cdnow(sample).rename(columns={"date": "time"})
    return summarise(to_transactions(orders), CDNOW_CAL_END)


@pytest.fixture(scope="session")
def sample_summary():
    return cdnow_summary(sample=True)


@pytest.fixture(scope="session")
def full_summary():
    return cdnow_summary(sample=False)


@pytest.fixture()
def sample_csv(tmp_path):
    """The CDNOW 1/10 sample as an English CSV export, with a made-up category column."""
    df = load_cdnow(sample=True)
    df["date"] = df["date"].dt.strftime("%Y-%m-%d")
    df["category"] = np.where(df["customer_id"] % 3 == 0, "pop", "classical")
    path = tmp_path / "orders.csv"
    df.to_csv(path, index=False)
    return path
