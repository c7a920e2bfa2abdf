"""Limits a scenario must keep before anything runs: sizes that would crash or hang a run.

A scenario beyond them is refused with the reason and what would fit, instead of starting a
run that fails an hour later and leaves an incomplete folder that cannot be resumed.
Memory is an estimate: the per-customer arrays of the world and of one policy's copy, and
the order log, against the memory of this machine.
"""

from __future__ import annotations

import math
import os

from sim.config.scenario import Scenario

MAX_CUSTOMERS = 50_000_000  # base plus expected newcomers
MAX_DAYS = 3_660  # ten years of calendar
MAX_SWEEP_POINTS = 10_000
BYTES_PER_CUSTOMER = 400  # ~20 float64/int arrays, world plus one policy's working copy
BYTES_PER_ORDER = 120  # the engine's log and the order table's ten columns
USABLE_MEMORY = 0.8  # share of the machine's memory a run may plan to use


def machine_memory() -> int | None:
    """Physical memory of this machine in bytes, if the system says."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def expected_size(scenario: Scenario) -> tuple[float, float]:
    """(customers, orders) a replication is expected to hold: base plus newcomers, their orders."""
    days = scenario.calendar.end_day - scenario.calendar.start_day + 1
    traffic = scenario.traffic
    newcomers = traffic.daily_visitors * days * traffic.conversion
    customers = scenario.population.size + newcomers
    # Orders: a generous two per customer per month of calendar, plus the first orders.
    orders = customers * (1.0 + 2.0 * days / 30.0)
    return customers, orders


def problems(scenario: Scenario, memory: int | None = None) -> list[str]:
    """What in the scenario is beyond the limits, one line each (empty when it fits)."""
    found = []
    days = scenario.calendar.end_day - scenario.calendar.start_day + 1
    if days > MAX_DAYS:
        found.append(f"calendar: {days:,} days is beyond the limit of {MAX_DAYS:,} (ten years)")
    points = math.prod(len(v) for v in scenario.sweep.values()) if scenario.sweep else 1
    if points > MAX_SWEEP_POINTS:
        found.append(f"sweep: {points:,} grid points is beyond the limit of {MAX_SWEEP_POINTS:,}; "
                     "sweep fewer values or split the grid into several runs")
    customers, orders = expected_size(scenario)
    if customers > MAX_CUSTOMERS:
        found.append(f"population.size: about {customers:,.0f} customers (base and newcomers) is beyond "
                     f"the limit of {MAX_CUSTOMERS:,}; simulate a sample and scale the money figures")
        return found
    memory = machine_memory() if memory is None else memory
    need = customers * BYTES_PER_CUSTOMER + orders * BYTES_PER_ORDER
    if memory and need > USABLE_MEMORY * memory:
        per_customer = need / customers
        fits = int(USABLE_MEMORY * memory / per_customer)
        found.append(f"population.size: a replication needs about {need / 2**30:,.1f} GiB of memory "
                     f"(estimate) and this machine has {memory / 2**30:,.1f} GiB; about {fits:,} customers "
                     "(base and newcomers) fit")
    return found
