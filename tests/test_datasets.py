"""The bundled data sets load with the documented shapes and columns."""

from __future__ import annotations

import pandas as pd

from sim.io.datasets import HILLSTROM_COLUMNS, load_cdnow, load_hillstrom


def test_cdnow_full_log() -> None:
    df = load_cdnow()
    assert list(df.columns) == ["customer_id", "date", "cds", "amount"]
    assert len(df) == 69_659
    assert df["customer_id"].nunique() == 23_570
    assert pd.api.types.is_datetime64_any_dtype(df["date"])
    assert df["date"].min() == pd.Timestamp("1997-01-01")
    assert df["date"].max() == pd.Timestamp("1998-06-30")
    assert (df["amount"] >= 0).all()


def test_cdnow_sample() -> None:
    df = load_cdnow(sample=True)
    assert list(df.columns) == ["customer_id", "date", "cds", "amount"]
    assert len(df) == 6_919
    assert df["customer_id"].nunique() == 2_357
    first = df.iloc[0]
    assert first["customer_id"] == 4
    assert first["date"] == pd.Timestamp("1997-01-01")
    assert first["cds"] == 2 and abs(first["amount"] - 29.33) < 1e-9


def test_cdnow_sample_is_subset_of_full_log() -> None:
    full = load_cdnow()
    sample = load_cdnow(sample=True)
    assert set(sample["customer_id"]) <= set(full["customer_id"])


def test_hillstrom() -> None:
    df = load_hillstrom()
    assert list(df.columns) == HILLSTROM_COLUMNS
    assert len(df) == 64_000
    assert set(df["segment"]) == {"Mens E-Mail", "Womens E-Mail", "No E-Mail"}
    assert set(df["zip_code"]) == {"Urban", "Surburban", "Rural"}
    assert df["visit"].isin([0, 1]).all() and df["conversion"].isin([0, 1]).all()
