"""Shared fixtures for the analysis tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

SHARED_HILLSTROM = Path("/work/shared/data/hillstrom/hillstrom.csv")


def _load_hillstrom() -> pd.DataFrame:
    """The packaged loader if available, else the shared CSV."""
    try:
        from sim.io.datasets import load_hillstrom

        return load_hillstrom()
    except (ImportError, FileNotFoundError, OSError):
        if not SHARED_HILLSTROM.exists():
            pytest.skip("Hillstrom data not available")
        return pd.read_csv(SHARED_HILLSTROM)


@pytest.fixture(scope="session")
def hillstrom() -> pd.DataFrame:
    return _load_hillstrom()
