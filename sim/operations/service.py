"""Customer-service chats: agents holding several chats each, hourly staffing, abandonment.

A chat waits in one FIFO queue for a free place with an on-duty agent (at most
`chats_per_agent` chats per agent at once), is handled for a random time and ends. A customer
whose patience runs out first leaves. When the schedule cuts agents at an hour boundary the
agents who go off duty finish the chats they hold but take no new ones.
Times are hours; handle time and patience are drawn in minutes from the config and converted.

`simulate_chats` and `run_chats` run these rules in one compiled loop
(`sim.operations.kernels.chat_desk`); `ChatDesk` and `simulate_chats_reference` run them with
one SimPy process per chat, the reference the loop is tested against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Generator

import numpy as np
import simpy

from sim.config.operations import Service


class AgentPool:
    """Agents on duty and the chats each holds; chats wait FIFO for a free place."""

    def __init__(self, env: simpy.Environment, limit: int, max_agents: int):
        self.env, self.limit = env, limit
        self.load = np.zeros(max(max_agents, 1), dtype=np.int64)
        self.on_duty = 0
        self.waiting: dict[simpy.Event, None] = {}  # insertion-ordered FIFO with O(1) removal
        self.peak_per_agent: dict[int, int] = {}   # hour -> most chats any agent held
        self.peak_busy: dict[int, int] = {}        # hour -> most chats held at once

    def request(self) -> simpy.Event:
        """An event that succeeds with an agent index once a place is free."""
        ev = self.env.event()
        self.waiting[ev] = None
        self._dispatch()
        return ev

    def cancel(self, ev: simpy.Event) -> None:
        """Withdraw a request that has not been granted (the customer left)."""
        self.waiting.pop(ev, None)

    def release(self, agent: int) -> None:
        """A chat with `agent` ended."""
        self.load[agent] -= 1
        self._dispatch()

    def set_agents(self, n: int) -> None:
        """Agents 0..n-1 are on duty from now."""
        self.on_duty = int(n)
        self._dispatch()

    def _dispatch(self) -> None:
        while self.waiting and self.on_duty > 0:
            agent = int(np.argmin(self.load[: self.on_duty]))
            if self.load[agent] >= self.limit:
                return
            ev = next(iter(self.waiting))
            del self.waiting[ev]
            self.load[agent] += 1
            self._track(agent)
            ev.succeed(agent)

    def _track(self, agent: int) -> None:
        h = int(np.floor(self.env.now))
        self.peak_per_agent[h] = max(self.peak_per_agent.get(h, 0), int(self.load[agent]))
        self.peak_busy[h] = max(self.peak_busy.get(h, 0), int(self.load.sum()))


@dataclass(frozen=True)
class ChatLog:
    """One row per chat: arrival, answer, end of handling or abandonment (hours), agent (-1)."""

    arrival: np.ndarray
    answered: np.ndarray
    ended: np.ndarray
    abandoned: np.ndarray
    agent: np.ndarray
    peak_per_agent: dict[int, int]
    peak_busy: dict[int, int]

    def waits(self) -> np.ndarray:
        """Hours waited: until answer, or until leaving; NaN if still waiting at the end."""
        return np.where(np.isnan(self.answered), self.abandoned, self.answered) - self.arrival


class ChatDesk:
    """The chat processes for one day: staffing, arrivals and each customer's chat."""

    def __init__(self, env: simpy.Environment, config: Service, arrivals: np.ndarray,
                 agents_by_hour: np.ndarray, rng: np.random.Generator,
                 on_end: Callable[[int, bool], None] | None = None):
        self.env, self.cfg, self.on_end = env, config, on_end
        self.arrival = np.sort(np.asarray(arrivals, dtype=float))
        n = len(self.arrival)
        self.handle, self.patience = draw_chat_hours(config, rng, n)
        self.agents_by_hour = np.asarray(agents_by_hour, dtype=np.int64)
        self.first_hour = int(np.floor(env.now))
        max_agents = int(self.agents_by_hour.max()) if len(self.agents_by_hour) else 0
        self.pool = AgentPool(env, config.chats_per_agent, max_agents)
        self.answered = np.full(n, np.nan)
        self.ended = np.full(n, np.nan)
        self.abandoned = np.full(n, np.nan)
        self.agent = np.full(n, -1, dtype=np.int64)

    def start(self) -> None:
        """Register the staffing and arrival processes with the environment."""
        self.env.process(self.staffing())
        self.env.process(self.chat_arrivals())

    def staffing(self) -> Generator:
        """Set the agents on duty at each hour boundary."""
        for k, n in enumerate(self.agents_by_hour):
            self.pool.set_agents(n)
            yield self.env.timeout(max(self.first_hour + k + 1 - self.env.now, 0.0))

    def chat_arrivals(self) -> Generator:
        """Start each customer's chat at its arrival time."""
        for k, t in enumerate(self.arrival):
            if t > self.env.now:
                yield self.env.timeout(t - self.env.now)
            self.env.process(self.chat(k))

    def chat(self, k: int) -> Generator:
        """One customer: wait for an agent or leave when patience runs out; then be served."""
        env = self.env
        req = self.pool.request()
        if not req.triggered:
            if np.isfinite(self.patience[k]):
                yield req | env.timeout(self.patience[k])
            else:
                yield req
        if not req.triggered:
            self.pool.cancel(req)
            self.abandoned[k] = env.now
            self._end(k, False)
            return
        self.agent[k], self.answered[k] = req.value, env.now
        yield env.timeout(self.handle[k])
        self.pool.release(int(req.value))
        self.ended[k] = env.now
        self._end(k, True)

    def _end(self, k: int, served: bool) -> None:
        if self.on_end is not None:
            self.on_end(k, served)

    def log(self) -> ChatLog:
        """What happened to each chat (arrays in arrival order)."""
        return ChatLog(self.arrival, self.answered, self.ended, self.abandoned, self.agent,
                       dict(self.pool.peak_per_agent), dict(self.pool.peak_busy))


def draw_handle_hours(config: Service, rng: np.random.Generator, n: int) -> np.ndarray:
    """Handle times in hours: exponential, or lognormal with the configured mean and cv."""
    mean = config.handle_time.mean_minutes / 60.0
    if config.handle_time.distribution == "exponential":
        return rng.exponential(mean, n)
    sigma2 = np.log1p(config.handle_time.cv ** 2)
    return rng.lognormal(np.log(mean) - sigma2 / 2.0, np.sqrt(sigma2), n)


def draw_chat_hours(config: Service, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Handle time and patience (hours; inf = never leaves) of n chats, in this draw order."""
    handle = draw_handle_hours(config, rng, n)
    patience = (np.full(n, np.inf) if config.patience_minutes is None
                else rng.exponential(config.patience_minutes / 60.0, n))
    return handle, patience


def run_chats(arrivals: np.ndarray, agents_by_hour: np.ndarray, config: Service, handle: np.ndarray,
              patience: np.ndarray, start_hour: float = 0.0, until: float = np.inf) -> ChatLog:
    """The chat desk's rules (as ChatDesk) in one compiled loop, for drawn handle times and patience.

    `arrivals` sorted, hours; `agents_by_hour` from floor(start_hour); events at or after
    `until` (hours) do not happen.
    """
    from sim.operations import kernels

    arrival = np.ascontiguousarray(arrivals, dtype=float)
    answered, ended, abandoned, agent, by_agent, total = kernels.chat_desk(
        arrival, np.ascontiguousarray(handle, dtype=float), np.ascontiguousarray(patience, dtype=float),
        np.ascontiguousarray(agents_by_hour, dtype=np.int64), int(np.floor(start_hour)), float(start_hour),
        int(config.chats_per_agent), float(until))
    served = ~np.isnan(answered)
    hour = np.floor(answered[served]).astype(np.int64)
    return ChatLog(arrival, answered, ended, abandoned, agent,
                   _peaks(hour, by_agent[served]), _peaks(hour, total[served]))


def _peaks(hour: np.ndarray, value: np.ndarray) -> dict[int, int]:
    """Hour -> largest value among the entries of that hour."""
    if not len(hour):
        return {}
    order = np.lexsort((value, hour))
    h, v = hour[order], value[order]
    last = np.r_[h[1:] != h[:-1], True]
    return {int(a): int(b) for a, b in zip(h[last], v[last])}


def simulate_chats(arrivals: np.ndarray, agents_by_hour: np.ndarray, config: Service,
                   rng: np.random.Generator, start_hour: float = 0.0) -> ChatLog:
    """Run the chat desk alone for hourly agent counts from `start_hour` (compiled loop)."""
    arrival = np.sort(np.asarray(arrivals, dtype=float))
    handle, patience = draw_chat_hours(config, rng, len(arrival))
    return run_chats(arrival, agents_by_hour, config, handle, patience, start_hour)


def simulate_chats_reference(arrivals: np.ndarray, agents_by_hour: np.ndarray, config: Service,
                             rng: np.random.Generator, start_hour: float = 0.0) -> ChatLog:
    """`simulate_chats` with one SimPy process per chat: the reference the compiled loop is
    tested against (same draws, same rules)."""
    env = simpy.Environment(initial_time=start_hour)
    desk = ChatDesk(env, config, arrivals, agents_by_hour, rng)
    desk.start()
    env.run()
    return desk.log()
