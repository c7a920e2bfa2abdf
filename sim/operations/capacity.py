"""Capacity planning: chat agents by hour, warehouse staff and stock with safety stock.

Agents: for each hour's arrival rate, Erlang C gives the chat places (agents x chats per
agent) that answer `target_service_level` within `target_seconds` in a stationary M/M/c queue.
The simulation then searches, starting from that answer, the fewest agents whose stationary
run of `eval_hours` at that rate meets the target (same random numbers for every candidate).
Finally the whole day is simulated with the chosen schedule, where queues carry over hours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.config.operations import Service, Warehouse, hourly
from sim.operations.erlang import min_servers, service_level
from sim.operations.service import simulate_chats
from sim.operations.warehouse import ship_times

if TYPE_CHECKING:
    import pandas as pd


def plan_agents(arrivals_by_hour: np.ndarray, config: Service, rng: np.random.Generator,
                eval_hours: float = 100.0, start_hour: int = 0, on_hour=None) -> pd.DataFrame:
    """Fewest agents per hour meeting the service-level target; one row per hour.

    `arrivals_by_hour`: expected chats in each hour. Columns: hour, arrivals, offered_load
    (erlangs), erlang_agents, sim_agents, chats_per_agent, capacity_chats, erlang_service_level,
    sim_service_level (stationary), day_service_level (whole day), cost (yuan), note.
    `on_hour(h)`, if given, is called after each hour is sized (for a progress bar).
    """
    import pandas as pd
    rates = np.asarray(arrivals_by_hour, dtype=float)
    handle = config.handle_time.mean_minutes / 60.0
    target = config.target_seconds / 3600.0
    cache: dict[float, tuple[int, int, float]] = {}
    rows = []
    for h, lam in enumerate(rates):
        if lam not in cache:
            cache[lam] = _search_hour(lam, config, rng, eval_hours)
        if on_hour is not None:
            on_hour(h)
        e_agents, s_agents, s_level = cache[lam]
        k = config.chats_per_agent
        rows.append({"hour": start_hour + h, "arrivals": lam, "offered_load": lam * handle,
                     "erlang_agents": e_agents, "sim_agents": s_agents,
                     "chats_per_agent": k, "capacity_chats": s_agents * k,
                     "erlang_service_level": service_level(e_agents * k, lam * handle, handle, target),
                     "sim_service_level": s_level,
                     "cost": s_agents * config.agent_hour_cost})
    table = pd.DataFrame(rows)
    table["day_service_level"] = _day_levels(rates, table["sim_agents"].to_numpy(), config, rng, start_hour)
    table["note"] = [_note(r, config) for r in table.itertuples()]
    return table


def _search_hour(lam: float, config: Service, rng: np.random.Generator,
                 eval_hours: float) -> tuple[int, int, float]:
    """(Erlang agents, simulated agents, simulated service level) for a steady rate lam/h."""
    handle = config.handle_time.mean_minutes / 60.0
    k = config.chats_per_agent
    places = min_servers(lam, handle, config.target_seconds / 3600.0, config.target_service_level)
    start = math.ceil(places / k)
    if lam <= 0:
        return 0, 0, 1.0
    seed = int(rng.integers(2**63))
    level = {n: _steady_level(lam, n, config, seed, eval_hours) for n in (start,)}
    n = start
    if level[n] >= config.target_service_level:
        while n > 1 and _cached(level, n - 1, lam, config, seed, eval_hours) >= config.target_service_level:
            n -= 1
    else:
        while level[n] < config.target_service_level:
            n += 1
            _cached(level, n, lam, config, seed, eval_hours)
    return start, n, level[n]


def _cached(level: dict, n: int, lam: float, config: Service, seed: int, hours: float) -> float:
    if n not in level:
        level[n] = _steady_level(lam, n, config, seed, hours)
    return level[n]


def _steady_level(lam: float, agents: int, config: Service, seed: int, hours: float) -> float:
    """Share answered within target in a stationary run of `hours` at lam chats/hour."""
    rng = np.random.default_rng(seed)  # same stream for every candidate: common random numbers
    arr = np.sort(rng.uniform(0.0, hours, rng.poisson(lam * hours)))
    log = simulate_chats(arr, np.full(int(np.ceil(hours)) + 1, agents), config, rng)
    return _share_within(log.waits(), log.answered, config)


def _share_within(waits: np.ndarray, answered: np.ndarray, config: Service) -> float:
    ok = ~np.isnan(answered) & (waits * 3600.0 <= config.target_seconds)
    return float(ok.mean()) if len(ok) else 1.0


def _day_levels(rates: np.ndarray, agents: np.ndarray, config: Service,
                rng: np.random.Generator, start_hour: int) -> np.ndarray:
    """Service level by arrival hour when the day runs with the schedule (queues carry over)."""
    counts = rng.poisson(rates)
    arr = np.sort(np.concatenate([h + rng.random(c) for h, c in enumerate(counts)])) + start_hour
    sched = np.concatenate([agents, np.full(24, agents[-1] if len(agents) else 0)])
    log = simulate_chats(arr, sched, config, rng, start_hour=float(start_hour))
    hour = np.floor(log.arrival - start_hour).astype(int)
    ok = ~np.isnan(log.answered) & (log.waits() * 3600.0 <= config.target_seconds)
    n = np.bincount(hour, minlength=len(rates))[: len(rates)]
    good = np.bincount(hour, weights=ok, minlength=len(rates))[: len(rates)]
    return np.where(n > 0, good / np.maximum(n, 1), np.nan)


def _note(row, config: Service) -> str:
    """Why the simulated answer differs from Erlang C, and the chat places it gives (whether the
    day falls short is noted beside the achieved level, by `sim.studies.capacity`)."""
    notes = [erlang_note(row, config)] if row.sim_agents != row.erlang_agents else []
    if config.chats_per_agent > 1 and row.erlang_agents:
        notes.append(f"{row.capacity_chats} places ({config.chats_per_agent} per agent)")
    return "; ".join(notes)


def erlang_note(row, config: Service) -> str:
    """Why a row's simulated agents (`sim_agents`) differ from Erlang C's (`erlang_agents`), or ''."""
    diff = row.sim_agents - row.erlang_agents
    if diff < 0:
        return f"{diff} vs Erlang C: " + ("leavers shorten the queue" if config.patience_minutes else "sampling noise")
    if diff > 0:
        return f"+{diff} vs Erlang C: " + ("variable handle times" if config.handle_time.distribution == "lognormal"
                                           else "sampling noise")
    return ""


@dataclass(frozen=True)
class StaffPlan:
    """Warehouse headcount on each staffed hour and what it achieves."""

    staff: int
    staff_hours: float
    cost: float
    on_time_share: float
    ship_hours_p95: float


def plan_staff(paid_times: np.ndarray, config: Warehouse, start_hour: float = 0.0,
               horizon_days: float = 10.0, max_staff: int = 10_000) -> StaffPlan:
    """Fewest staff on each staffed hour (hours with staff > 0 in `config`) that ship
    `target_on_time` of orders (paid at `paid_times`, hours) within `promise_hours`."""
    shape = np.asarray(hourly(config.staff, np.arange(24)) > 0, dtype=float)
    hours = int(np.ceil(horizon_days * 24))

    def trial(n: int) -> tuple[float, np.ndarray]:
        cfg = config.model_copy(update={"staff": list(shape * n)})
        waits = ship_times(paid_times, cfg, start_hour, hours) - paid_times
        return float(np.mean(waits <= config.promise_hours)), waits

    lo, hi = 0, 1
    while trial(hi)[0] < config.target_on_time:
        lo, hi = hi, hi * 2
        if hi > max_staff:
            raise ValueError("no staff level up to max_staff meets the shipping target")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if trial(mid)[0] >= config.target_on_time else (mid, hi)
    share, waits = trial(hi)
    staff_hours = float(hi * shape.sum() * horizon_days)
    shipped = waits[~np.isnan(waits)]
    return StaffPlan(hi, staff_hours, staff_hours * config.staff_hour_cost, share,
                     float(np.quantile(shipped, 0.95)) if len(shipped) else np.nan)


def plan_stock(demand_by_role: np.ndarray, safety_stock_share: float) -> np.ndarray:
    """Units to hold by role: forecast demand (units) plus the safety share, rounded up."""
    units = np.asarray(demand_by_role, dtype=float) * (1.0 + safety_stock_share)
    return np.ceil(np.round(units, 9)).astype(int)  # round first: 100 * 1.1 is 110.00000000000001
