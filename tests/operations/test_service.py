"""Chat desk: per-agent concurrency limit, hourly staffing, abandonment."""

import numpy as np
import pytest

from sim.config.operations import HandleTime, Service
from sim.operations.service import simulate_chats, simulate_chats_reference

BOTH = pytest.mark.parametrize("simulate_chats", [simulate_chats, simulate_chats_reference],
                               ids=["compiled", "simpy"])


@BOTH
def test_agents_never_exceed_chat_limit(simulate_chats):
    """Overloaded morning, a staffing cut at hour 2 while agents hold chats, then recovery."""
    rng = np.random.default_rng(8)
    cfg = Service(chats_per_agent=3, patience_minutes=5.0,
                  handle_time=HandleTime(mean_minutes=8.0))
    arrivals = np.sort(rng.uniform(0, 6, 3000))
    agents = np.array([20, 20, 4, 4, 12, 12, 12, 12])
    log = simulate_chats(arrivals, agents, cfg, rng)
    assert max(log.peak_per_agent.values()) <= 3
    # rebuild concurrency per agent from the log at every answer instant
    served = ~np.isnan(log.answered)
    for a in np.unique(log.agent[served]):
        m = served & (log.agent == a)
        start, end = log.answered[m], log.ended[m]
        busy = (start[:, None] >= start[None, :]) & (start[:, None] < end[None, :])
        assert busy.sum(axis=1).max() <= 3
    # nobody is answered by an agent who is off duty at that hour
    hour = np.floor(log.answered[served]).astype(int)
    assert np.all(log.agent[served] < agents[hour])
    # every chat either answered or abandoned
    assert np.all(served ^ ~np.isnan(log.abandoned))


@BOTH
def test_zero_agents_means_waiting_until_the_next_shift(simulate_chats):
    rng = np.random.default_rng(1)
    cfg = Service(chats_per_agent=1, patience_minutes=None, handle_time=HandleTime(mean_minutes=1.0))
    log = simulate_chats(np.array([0.5, 0.6]), np.array([0, 0, 1, 1]), cfg, rng)
    assert np.all(log.answered >= 2.0)
