"""Day-0 orders per second through payment, chats and the warehouse, and the capacity study's time.

Run by hand (not in CI):  python benchmarks/operations_speed.py [--sizes 20000 100000 500000]
Orders: a synthetic event day with a midnight rush (as in the operations tests), 0.8 buyers
per order, 1.3 chats per order, three chats per agent with agents sized to each hour's load,
warehouse staff sized to ship the day within the horizon. "reference" is the SimPy model with
one process per order and per chat (`simulate_operations_reference`), "compiled" the default
path (`simulate_operations`); both make the same draws, and the script checks that they agree
on the service level and paid orders before timing. The reference is slow (about 10,000
orders/s), so it runs only up to --reference-max orders. Capacity: `sim capacity
scenarios/double11_operations.yaml` as plan_capacity, 5 replications, after one warm-up run.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from sim.config.loader import load_scenario
from sim.operations import Operations, simulate_operations, simulate_operations_reference
from sim.studies.capacity import plan_capacity

ROOT = Path(__file__).resolve().parent.parent
SHAPE = np.r_[np.full(2, 5.0), np.full(6, 0.5), np.full(14, 1.5), np.full(2, 3.0)]  # orders by hour


def event_day(n: int, seed: int = 1) -> dict[str, np.ndarray]:
    """n orders over 24 h with a midnight rush: hours, buyer ids, values (yuan), roles 0..3."""
    rng = np.random.default_rng(seed)
    hour = rng.choice(24, n, p=SHAPE / SHAPE.sum())
    return {"time": np.sort(hour + rng.random(n)), "customer": rng.integers(0, int(0.8 * n), n),
            "value": rng.gamma(4.0, 50.0, n), "role": rng.integers(0, 4, n)}


def config(n: int) -> Operations:
    """Agents for each hour's offered load (6-minute chats, 3 per agent); staff to pack the day in 14 h."""
    chats = 1.3 * n * SHAPE / SHAPE.sum()
    agents = np.ceil(chats * 0.1 / 3).tolist()
    staff = [0.0] * 8 + [float(np.ceil(n / 12 / 14 * 1.1))] * 14 + [0.0] * 2
    return Operations.model_validate({"enabled": True, "horizon_days": 5, "service": {"agents": agents},
                                      "warehouse": {"staff": staff}})


def orders_per_second(simulate, n: int, repeats: int) -> tuple[float, dict[str, float]]:
    orders, cfg = event_day(n), config(n)
    best, metrics = np.inf, {}
    for _ in range(repeats):
        start = time.perf_counter()
        metrics = simulate(orders, None, cfg, np.random.default_rng(2)).metrics()
        best = min(best, time.perf_counter() - start)
    return n / best, metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000, 500_000])
    parser.add_argument("--reference-max", type=int, default=100_000,
                        help="largest size also run on the SimPy reference")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    simulate_operations(event_day(2000), None, config(2000), np.random.default_rng(0))  # load compiled code
    print(f"{'orders':>9} {'reference/s':>12} {'compiled/s':>11} {'speed-up':>9} {'service level':>14}")
    for n in args.sizes:
        fast, m = orders_per_second(simulate_operations, n, args.repeats)
        ref = ""
        up = ""
        if n <= args.reference_max:
            slow, m_ref = orders_per_second(simulate_operations_reference, n, 1)
            if m_ref["service_level"] != m["service_level"] or m_ref["paid_orders"] != m["paid_orders"]:
                raise SystemExit(f"the two paths disagree at {n} orders: {m_ref} vs {m}")
            ref, up = f"{slow:>12,.0f}", f"{fast / slow:>8.0f}x"
        print(f"{n:>9,} {ref:>12} {fast:>11,.0f} {up:>9} {m['service_level']:>14.3f}")
    scenario = load_scenario(ROOT / "scenarios" / "double11_operations.yaml")
    plan_capacity(scenario, replications=1)  # warm-up
    start = time.perf_counter()
    plan = plan_capacity(scenario, 0.8, 20.0, 48.0, replications=5)
    print(f"capacity study (double11_operations, 5 replications): {time.perf_counter() - start:.1f} s, "
          f"{plan.agent_hours} agent-hours, {plan.staff.staff} staff")


if __name__ == "__main__":
    main()
