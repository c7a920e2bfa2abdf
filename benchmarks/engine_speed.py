"""Wall time and peak memory of one replication of the engine, by population size.

Run by hand (not in CI):  python benchmarks/engine_speed.py [--sizes 100000 1000000]
Scenario: a 60-day calendar (days -30..29) with the Double 11 surge, newcomers from traffic,
one policy with no marketing. Peak memory is the process's maximum resident set size.
"""

from __future__ import annotations

import argparse
import resource
import time

from sim.simulation.replication import simulate_replication
from sim.config.loader import scenario_from_dict


def scenario(size: int):
    return scenario_from_dict({
        "version": 1, "name": "bench",
        "calendar": {"start_day": -30, "end_day": 29},
        "population": {"size": size},
        "traffic": {"daily_visitors": size // 10},
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    simulate_replication(scenario(1000), 0)  # warm up imports and caches
    print(f"{'customers':>10} {'best s':>8} {'orders':>10} {'peak RSS MB':>12}")
    for size in args.sizes:
        s = scenario(size)
        times = []
        for rep in range(args.repeats):
            start = time.perf_counter()
            out = simulate_replication(s, rep)
            times.append(time.perf_counter() - start)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{size:>10,} {min(times):>8.3f} {out.metrics[0]['orders']:>10,.0f} {peak:>12.0f}")


if __name__ == "__main__":
    main()
