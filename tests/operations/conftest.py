"""Shared inputs for operations tests: a small synthetic event day."""

import numpy as np
import pytest


def event_day(rng: np.random.Generator, n: int, buyers: int | None = None) -> dict:
    """n orders over 24 h with a midnight rush; buyer ids, values (yuan), roles 0..3."""
    shape = np.r_[np.full(2, 5.0), np.full(6, 0.5), np.full(14, 1.5), np.full(2, 3.0)]
    hour = rng.choice(24, n, p=shape / shape.sum())
    return {"time": np.sort(hour + rng.random(n)),
            "customer": rng.integers(0, buyers, n) if buyers else np.arange(n),
            "value": rng.gamma(4.0, 50.0, n), "role": rng.integers(0, 4, n)}


@pytest.fixture
def make_day():
    return event_day
