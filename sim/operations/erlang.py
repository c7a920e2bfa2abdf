"""Erlang B and C formulas for an M/M/c queue (Poisson arrivals, exponential handling).

`servers` are chat slots (agents x chats per agent); load `a` = arrival rate x mean handle
time, in erlangs. Erlang B uses the recursion B(0)=1, B(k) = a B(k-1) / (k + a B(k-1)), which
never forms a^c / c! and is stable for thousands of servers; Erlang C follows from
C = c B / (c - a (1 - B)) (e.g. Gross and Harris, Fundamentals of Queueing Theory, ch. 2).
"""

from __future__ import annotations

import math


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of M/M/c/c with `servers` and offered `load` erlangs."""
    if servers < 0 or load < 0:
        raise ValueError("servers and load must be non-negative")
    b = 1.0
    for k in range(1, int(servers) + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits in M/M/c (1.0 when load >= servers)."""
    if load <= 0:
        return 0.0
    if servers <= load:
        return 1.0
    b = erlang_b(servers, load)
    return servers * b / (servers - load * (1.0 - b))


def mean_wait(servers: int, load: float, handle: float) -> float:
    """Mean wait in M/M/c, in the unit of `handle` (mean handle time); inf if overloaded."""
    if servers <= load:
        return math.inf
    return erlang_c(servers, load) * handle / (servers - load)


def service_level(servers: int, load: float, handle: float, target: float) -> float:
    """Share of arrivals answered within `target` (same unit as `handle`)."""
    if servers <= load:
        return 0.0
    return 1.0 - erlang_c(servers, load) * math.exp(-(servers - load) * target / handle)


def min_servers(rate: float, handle: float, target: float, level: float) -> int:
    """Fewest servers so that a share `level` is answered within `target`.

    `rate` arrivals per hour, `handle` and `target` in hours. Returns 0 when nobody arrives.
    """
    load = rate * handle
    if load <= 0:
        return 0
    c = max(1, math.floor(load) + 1)
    while service_level(c, load, handle, target) < level:
        c += 1
    return c
