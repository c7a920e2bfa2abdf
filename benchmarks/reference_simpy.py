"""The package against a straightforward SimPy model of the same core, and scaling with workers.

Run by hand (not in CI):

    python benchmarks/reference_simpy.py                 # 10k and 100k side by side, 1M package only
    python benchmarks/reference_simpy.py --sizes 10000   # quicker

The reference is written the way a first SimPy model usually is: one process per customer,
drawing the time to the next purchase from the customer's rate (thinning against the peak of
the calendar multiplier), a dropout coin after each purchase, and an hourly process adding
newcomers. It uses the same scenario, the same calendar multipliers and the same laws, so
both should give the same expected orders and GMV; the script checks that over replications
before timing anything.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import simpy

import sim
from sim.model.calendar import Calendar
from sim.model.customers import draw_traits
from sim.simulation.replication import simulate_replication
from sim.config.loader import scenario_from_dict


def scenario(size: int, replications: int = 1):
    """60 days with the event day and newcomers, no marketing (the core model)."""
    return scenario_from_dict({
        "version": 1, "name": "bench", "calendar": {"start_day": -30, "end_day": 29},
        "population": {"size": size}, "traffic": {"daily_visitors": size // 10},
        "run": {"replications": replications, "seed": 1},
    })


def reference_replication(s, seed: int) -> dict[str, float]:
    """One replication with one SimPy process per customer."""
    rng = np.random.default_rng(seed)
    cal = Calendar.from_scenario(s)
    peak = cal.buying.max()
    env = simpy.Environment(initial_time=cal.start)
    totals = {"orders": 0, "gmv": 0.0}
    shape = s.population.spend.p

    def multiplier(t: float) -> float:
        return cal.buying[min(int(t - cal.start), cal.hours - 1)]

    def customer(lam: float, p: float, value: float, first_value: float | None):
        if first_value is not None:
            record(env.now, first_value)
        while True:
            yield env.timeout(rng.exponential(1.0 / (lam * peak)))
            if rng.random() < multiplier(env.now) / peak:  # thinning: accept with g(t) / peak
                record(env.now, value * rng.gamma(shape) / shape)
                if rng.random() < p:
                    return

    def record(t: float, value: float) -> None:
        discount = value * (s.economics.event_discount if 0 <= t < 24 else 0.0)
        totals["orders"] += 1
        totals["gmv"] += value - discount

    def newcomers():
        for h in range(cal.hours):
            for _ in range(rng.binomial(rng.poisson(cal.visitors[h]), cal.conversion[h])):
                t = draw_traits(s, 1, rng)
                first = t.value[0] * rng.gamma(shape) / shape
                env.process(delayed(rng.uniform(0, 1), t.lam[0], t.dropout[0], t.value[0], first))
            yield env.timeout(1.0)

    def delayed(wait, lam, p, value, first):
        yield env.timeout(wait)
        yield env.process(customer(lam, p, value, first))

    base = draw_traits(s, s.population.size, rng)
    for i in range(s.population.size):
        env.process(customer(base.lam[i], base.dropout[i], base.value[i], None))
    env.process(newcomers())
    env.run(until=cal.end)
    return totals


def package_replication(s, rep: int) -> dict[str, float]:
    m = simulate_replication(s, rep).metrics[0]
    return {"orders": m["orders"], "gmv": m["gmv"]}


def check_totals(size: int, reps: int) -> None:
    """Mean orders and GMV of both models, with standard errors: they should agree."""
    s = scenario(size)
    ref = [reference_replication(s, 1000 + r) for r in range(reps)]
    pkg = [package_replication(s, r) for r in range(reps)]
    print(f"Expected totals at {size:,} customers over {reps} replications (mean +- standard error):")
    for key in ("orders", "gmv"):
        a = np.array([r[key] for r in ref])
        b = np.array([r[key] for r in pkg])
        se = np.sqrt(a.var(ddof=1) / reps + b.var(ddof=1) / reps)
        print(f"  {key:>6}: reference {a.mean():>12,.0f} +- {a.std(ddof=1) / np.sqrt(reps):>8,.0f}   "
              f"package {b.mean():>12,.0f} +- {b.std(ddof=1) / np.sqrt(reps):>8,.0f}   "
              f"difference {(b.mean() - a.mean()) / se:+.1f} s.e.")


def best_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--package-only", type=int, nargs="*", default=[1_000_000])
    parser.add_argument("--check-reps", type=int, default=20)
    parser.add_argument("--scaling-reps", type=int, default=6)
    parser.add_argument("--scaling-size", type=int, default=500_000)
    args = parser.parse_args()

    check_totals(10_000, args.check_reps)
    print("\nOne replication, seconds (best of runs):")
    print(f"{'customers':>10} {'reference':>10} {'package':>10} {'ratio':>8}")
    for size in args.sizes:
        s = scenario(size)
        pkg = best_time(lambda: package_replication(s, 0), 3)
        ref = best_time(lambda: reference_replication(s, 0), 1)
        print(f"{size:>10,} {ref:>10.2f} {pkg:>10.3f} {ref / pkg:>7.0f}x")
    for size in args.package_only:
        s = scenario(size)
        print(f"{size:>10,} {'-':>10} {best_time(lambda: package_replication(s, 0), 2):>10.3f}")

    print(f"\n{args.scaling_reps} replications of {args.scaling_size:,} customers by number of local workers:")
    s = scenario(args.scaling_size, args.scaling_reps)
    one = best_time(lambda: sim.run(s, workers=1), 1)
    for workers in (1, 2):
        t = one if workers == 1 else best_time(lambda: sim.run(s, workers=workers), 1)
        print(f"  {workers} worker(s): {t:6.2f} s   speed-up {one / t:4.2f}")


if __name__ == "__main__":
    main()
