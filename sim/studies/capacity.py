"""Event-day capacity from a scenario: chat agents by hour and warehouse staff.

`plan_capacity` simulates the event day of one policy for a few replications, then
1. takes the mean chat arrivals of each hour over the replications as that hour's rate and
   sizes agents with `plan_agents` (Erlang C, then a simulated search). The mean, not a high
   quantile, because the search and the day run already draw Poisson arrivals around the rate;
   the replications' 90th percentile is reported beside it to show the spread between days;
2. simulates the same days again with the planned agents (service quality changes how many
   chats buy, so the warehouse load depends on it). An hour whose chats, pooled over the
   replications, fall short of the target there (arrivals burst above the hour's mean, queues
   carry over from the hour before) gets one more agent and the days are replayed, up to
   `REPLAYS` times, so the service level reported is the one the final schedule achieved.
   The schedule is also run on as many other simulated days, which it was not fitted to, and
   their service level is reported beside (`fresh`);
3. sizes warehouse staff with `plan_staff` on each replication's paid orders and keeps the
   largest, so the shipping promise is kept on every simulated day.
Operations are simulated whether or not the scenario enables them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from sim import streams
from sim.model.calendar import Calendar
from sim.errors import SimError
from sim.model.measures import order_table
from sim.model.orders import OrderTable
from sim.operations.capacity import StaffPlan, erlang_note, plan_agents, plan_staff
from sim.config.operations import Operations, hourly
from sim.operations.orders import PAID, SHIPPED
from sim.operations.play import run_event_day, with_policy
from sim.operations.result import OperationsResult
from sim.simulation.replication import change_hours, draw_world, play
from sim.store.atomic import atomic_folder
from sim.store.run_folder import finish
from sim.config.scenario import Scenario

CAPACITY_FILE = "capacity.csv"
CHART_FILE = "load_vs_capacity.png"
_UNIT_SECONDS = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
REPLAYS = 8
"""Top-ups of the schedule at most, each followed by a replay of the simulated days."""
_SUMMARY = ("service_level", "abandonment_rate", "mean_wait_s", "service_sales_share",
            "sales_lost_to_waiting", "orders_placed", "paid_orders", "paid_gmv")


class CapacityError(SimError):
    """A capacity request that cannot be worked out as given (duration, level, policy, folder)."""


def parse_duration(text: str) -> float:
    """Seconds in a duration written as a number and a unit: 20s, 2m, 1.5h, 2d."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-z]+)\s*", str(text))
    unit = match.group(2).lower() if match else ""
    if unit not in _UNIT_SECONDS:
        raise CapacityError(f"{text!r} is not a duration: write a number with a unit s, m, h or d, "
                            "e.g. 20s, 2m, 48h, 2d")
    seconds = float(match.group(1)) * _UNIT_SECONDS[unit]
    if seconds <= 0:
        raise CapacityError(f"{text!r}: a duration must be longer than zero")
    return seconds


@dataclass(frozen=True)
class CapacityPlan:
    """Agents and staff for the event day, and what the plan achieves in simulation.

    `hourly` (one row per hour 0-23 of day 0): arrivals (mean chats), arrivals_p90,
    offered_load (erlangs), erlang_agents, sim_agents (stationary search), agents (the plan:
    sim_agents plus those added after replaying the day), chats_per_agent, capacity_chats,
    erlang_service_level, sim_service_level (stationary hour), day_service_level (chat-only
    day run), achieved_service_level (full operations run with the planned agents, pooled over
    replications), cost (agents, yuan), paid_orders (mean), staff, pack_capacity (orders/h),
    note. `achieved`: means over replications of the full run with the planned agents.
    """

    scenario: str
    policy: str
    replications: int
    service_level: float
    answer_within_seconds: float
    ship_within_hours: float
    hourly: pd.DataFrame
    staff: StaffPlan
    achieved: dict[str, float]
    replays: int = 0
    """Rounds of agents added after replaying the days (at most REPLAYS)."""
    fresh: dict[str, float] | None = None
    """The final schedule on as many other simulated days: service_level, abandonment_rate,
    mean_wait_s (means over the days) and short_hours (day-0 hours below the target)."""

    @property
    def agent_hours(self) -> int:
        return int(self.hourly["agents"].sum())

    @property
    def erlang_agent_hours(self) -> int:
        return int(self.hourly["erlang_agents"].sum())

    @property
    def agent_cost(self) -> float:
        return float(self.hourly["cost"].sum())

    def write(self, out: str | Path | None = None, results_dir: str | Path = "results") -> Path:
        """Write capacity.csv and the chart to `out` (default results/<scenario>-capacity-<time>)."""
        final = Path(out) if out is not None else Path(results_dir) / (
            f"{self.scenario}-capacity-{datetime.now().strftime('%Y%m%d-%H%M%S')}")
        check_out_folder(final)
        with atomic_folder(final) as tmp:
            self.hourly.to_csv(tmp / CAPACITY_FILE, index=False)
            finish(tmp)  # draws the chart (sim.report.study_charts)
        return final


def check_out_folder(folder: str | Path) -> None:
    """Raise CapacityError if `folder` exists and is not an empty folder."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise CapacityError(f"{folder} already exists and is not an empty folder; choose another --out")


def plan_capacity(scenario: Scenario, service_level: float = 0.8, answer_within_seconds: float = 20.0,
                  ship_within_hours: float | None = None, replications: int = 5, seed: int | None = None,
                  policy: str | None = None, progress=None) -> CapacityPlan:
    """Agents by hour and warehouse staff for the event day of `policy` (default: the first).

    `service_level` of chats answered within `answer_within_seconds`; paid orders shipped
    within `ship_within_hours` (default: operations.warehouse.promise_hours) for a share
    operations.warehouse.target_on_time of them. Seed defaults to run.seed. `progress(done,
    total)` is called as the steps finish (simulated days and sized hours).
    """
    name = _checked(scenario, service_level, answer_within_seconds, ship_within_hours, replications, policy)
    seed = scenario.run.seed if seed is None else seed
    config = _targets(scenario.operations, service_level, answer_within_seconds, ship_within_hours)
    config = with_policy(config, scenario.policies[name])
    total, done = 5 * replications + 24, 0

    def step(result=None):
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)
        return result

    if progress is not None:
        progress(0, total)
    orders = [step(_event_orders(scenario, name, seed, rep)) for rep in range(replications)]
    first = [step(run_event_day(o, config, seed, rep)) for rep, o in enumerate(orders)]
    arrivals = np.array([_day0(r, "chat_arrivals") for r in first], dtype=float)
    table = plan_agents(arrivals.mean(axis=0), config.service, streams.generator(seed, 0, streams.OPERATIONS, 1),
                        on_hour=lambda h: step())
    table.insert(2, "arrivals_p90", np.quantile(arrivals, 0.9, axis=0))
    agents = table["sim_agents"].to_numpy(int)
    for replay in range(REPLAYS + 1):
        planned = config.model_copy(update={"service": config.service.model_copy(
            update={"agents": [float(a) for a in agents]})})
        second = [step(run_event_day(o, planned, seed, rep)) for rep, o in enumerate(orders)]
        short = _achieved(second) < service_level
        if not short.any() or replay == REPLAYS:
            break
        agents = agents + short
        total += replications
    staff = _plan_staff(second, planned)
    other = [step(run_event_day(step(_event_orders(scenario, name, seed, replications + rep)), planned, seed,
                                replications + rep)) for rep in range(replications)]
    return CapacityPlan(scenario.name, name, replications, service_level, answer_within_seconds,
                        planned.warehouse.promise_hours, _with_results(table, agents, second, staff, planned),
                        staff, {k: float(np.nanmean([r.metrics()[k] for r in second])) for k in _SUMMARY}, replay,
                        _fresh(other, service_level))


def _fresh(results: list[OperationsResult], service_level: float) -> dict[str, float]:
    """How the schedule serves days it was not fitted to: the summary's service measures (means
    over the days, as in `achieved`) and the day-0 hours below the target (pooled over the days)."""
    fresh = {k: float(np.nanmean([r.metrics()[k] for r in results]))
             for k in ("service_level", "abandonment_rate", "mean_wait_s")}
    return fresh | {"short_hours": int((_achieved(results) < service_level).sum())}


def _achieved(results: list[OperationsResult]) -> np.ndarray:
    """Share of each day-0 hour's chats answered within the target, pooled over replications
    (NaN for an hour without chats)."""
    arrived = sum(_day0(r, "chat_arrivals") for r in results)
    within = sum(_day0(r, "answered_within_target") for r in results)
    return np.where(arrived > 0, within / np.maximum(arrived, 1), np.nan)


def _checked(scenario: Scenario, level: float, within: float, ship: float | None, replications: int,
             policy: str | None) -> str:
    if not 0.0 < level < 1.0:
        raise CapacityError(f"service level {level:g} must lie strictly between 0 and 1, e.g. 0.8")
    if not within > 0 or (ship is not None and not ship > 0):
        raise CapacityError("answer and shipping times must be longer than zero")
    if replications < 1:
        raise CapacityError("at least one replication is needed")
    name = policy or next(iter(scenario.policies))
    if name not in scenario.policies:
        raise CapacityError(f"unknown policy {name!r}; the scenario has {', '.join(scenario.policies)}")
    return name


def _targets(ops: Operations, level: float, within_seconds: float, ship_hours: float | None) -> Operations:
    service = ops.service.model_copy(update={"target_service_level": level, "target_seconds": within_seconds})
    warehouse = ops.warehouse if ship_hours is None else ops.warehouse.model_copy(
        update={"promise_hours": ship_hours})
    return ops.model_copy(update={"enabled": True, "service": service, "warehouse": warehouse})


def _event_orders(scenario: Scenario, name: str, seed: int, replication: int) -> OrderTable:
    """The engine's order table of one policy and replication (the whole calendar)."""
    calendar = Calendar.from_scenario(scenario)
    world = draw_world(scenario, calendar, seed, replication)
    engine, _, _ = play(scenario, calendar, world, name, seed, replication, change_hours(scenario, name))
    return order_table(engine, scenario, scenario.policies[name].discount_profit_items,
                       scenario.policies[name].bundles)


def _day0(result: OperationsResult, column: str) -> np.ndarray:
    h = result.hourly
    return h.loc[(h["hour"] >= 0) & (h["hour"] < 24), column].to_numpy()


def _plan_staff(results: list[OperationsResult], config: Operations) -> StaffPlan:
    plans = []
    for r in results:
        paid = np.isin(r.orders["status"], (PAID, SHIPPED))
        try:
            plans.append(plan_staff(np.sort(r.orders["paid_time"][paid]), config.warehouse, 0.0,
                                    config.horizon_days))
        except ValueError:
            w = config.warehouse
            raise CapacityError(
                f"no warehouse staff level ships {w.target_on_time:.0%} of paid orders within "
                f"{w.promise_hours:g} h on the staffed hours of operations.warehouse.staff; allow a "
                "longer --ship-within or staff more hours of the day") from None
    return max(plans, key=lambda p: p.staff)


def _with_results(table: pd.DataFrame, agents: np.ndarray, results: list[OperationsResult], staff: StaffPlan,
                  config: Operations) -> pd.DataFrame:
    """Add the planned agents, what the full run with them achieved, and the warehouse plan by hour."""
    out = table.drop(columns="note")
    added = agents - out["sim_agents"].to_numpy(int)
    out.insert(out.columns.get_loc("sim_agents") + 1, "agents", agents)
    out["capacity_chats"] = agents * out["chats_per_agent"]
    out["cost"] = agents * config.service.agent_hour_cost
    note = [erlang_note(r, config.service) for r in out.itertuples()]
    note = [n + ("; " if n else "") + f"+{a} on replay" if a else n for n, a in zip(note, added)]
    out["achieved_service_level"] = _achieved(results)
    out["paid_orders"] = np.mean([_day0(r, "paid") for r in results], axis=0)
    staffed = hourly(config.warehouse.staff, np.arange(24)) > 0
    out["staff"] = np.where(staffed, staff.staff, 0)
    out["pack_capacity"] = out["staff"] * config.warehouse.picks_per_staff_hour
    below = out["achieved_service_level"] < config.service.target_service_level
    out["note"] = [n + ("; " if n else "") + "below target: backlog or burst" if b else n
                   for n, b in zip(note, below)]
    return out
