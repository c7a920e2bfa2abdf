"""Erlang formulas against closed forms, and the chat queue against Erlang C."""

import math

import numpy as np
import pytest

from sim.config.operations import HandleTime, Service
from sim.operations.erlang import erlang_b, erlang_c, mean_wait, min_servers, service_level
from sim.operations.service import simulate_chats


def direct_erlang_c(c: int, a: float) -> float:
    """Textbook sum form: (a^c/c!)(c/(c-a)) / (sum_{k<c} a^k/k! + (a^c/c!)(c/(c-a)))."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def test_textbook_values():
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9, abs=1e-12)   # exact: M/M/3 at 2 erlangs
    assert erlang_c(1, 0.7) == pytest.approx(0.7)                  # M/M/1: P(wait) = rho
    assert erlang_b(2, 1.0) == pytest.approx(0.2)                  # (1/2) / (1 + 1 + 1/2)
    assert mean_wait(1, 0.5, 1.0) == pytest.approx(1.0)            # M/M/1: rho/(mu - lambda)
    for c, a in [(6, 5.0), (10, 8.5), (30, 25.0)]:
        assert erlang_c(c, a) == pytest.approx(direct_erlang_c(c, a), rel=1e-10)


def test_large_and_overloaded():
    assert 0 < erlang_c(2000, 1950.0) < 1   # no overflow for thousands of servers
    assert erlang_c(5, 5.0) == 1.0 and mean_wait(5, 6.0, 1.0) == math.inf


def test_min_servers_meets_target_minimally():
    handle, target = 3 / 60, 20 / 3600
    c = min_servers(100.0, handle, target, 0.8)
    assert service_level(c, 5.0, handle, target) >= 0.8 > service_level(c - 1, 5.0, handle, target)
    assert c == 8


def test_simulated_queue_matches_erlang_c():
    """lambda = 100/h, exponential handle 3 min, 6 single-chat agents, no abandonment, 1000 h.

    Batch means over 20 batches of 50 h; the estimate must lie within 4 standard errors of
    Erlang C (P(wait) = 0.5875, mean wait = 1.7625 min), and the error bars must be tight.
    """
    rng = np.random.default_rng(2026)
    hours = 1000
    cfg = Service(chats_per_agent=1, patience_minutes=None, agents=6,
                  handle_time=HandleTime(mean_minutes=3.0, distribution="exponential"))
    arrivals = np.sort(rng.uniform(0, hours, rng.poisson(100 * hours)))
    log = simulate_chats(arrivals, np.full(hours + 50, 6), cfg, rng)
    waits = log.waits() * 60.0
    batch = np.minimum((log.arrival // 50).astype(int), 19)
    p_b = np.array([np.mean(waits[batch == b] > 0) for b in range(20)])
    w_b = np.array([np.mean(waits[batch == b]) for b in range(20)])
    for est, truth in [(p_b, erlang_c(6, 5.0)), (w_b, mean_wait(6, 5.0, 3.0))]:
        se = est.std(ddof=1) / np.sqrt(len(est))
        assert abs(est.mean() - truth) < 4 * se
        assert se < 0.05 * truth
    assert max(log.peak_per_agent.values()) == 1
