"""The package against a straightforward SimPy model of the same core, and scaling with workers.

Run by hand (not in CI):

    python benchmarks/reference_simpy.py                 # 10k and 100k side by side, 1M package only
    python benchmarks/reference_simpy.py --sizes 10000   # quicker

The reference is written the way a first SimPy model usually is: one process per customer,
drawing the time to the next purchase from the customer's rate (thinning against the peak of
the calendar multiplier), a dropout coin after each purchase, and newcomers starting their
process at their joining hour with their first order. It plays the customers the package draws
(the base, some of whom dropped out before the start, and the newcomers) with the same
calendar multipliers and laws and no pre-heat waiting, so both should give the same expected
orders and GMV (the event discount at its mean factor over product roles); the script checks
that over replications before timing anything.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import simpy

import sim
from sim.model.calendar import Calendar
from sim.simulation.replication import draw_world, simulate_replication
from sim.config.loader import scenario_from_dict


def scenario(size: int, replications: int = 1):
    """60 days with the event day and newcomers, no marketing (the core model)."""
    return scenario_from_dict({
        "version": 1, "name": "bench", "calendar": {"start_day": -30, "end_day": 29},
        "population": {"size": size}, "traffic": {"daily_visitors": size // 10, "preheat_days": 0},
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

    roles = s.products.roles.values()  # the event discount's mean factor over product roles (profit items: none)
    factor = sum(r.share * (0.0 if name == "profit" else r.discount_factor)
                 for name, r in zip(s.products.roles, roles)) / sum(r.share for r in roles)

    def record(t: float, value: float) -> None:
        discount = value * factor * (s.economics.event_discount if 0 <= t < 24 else 0.0)
        totals["orders"] += 1
        totals["gmv"] += value - discount

    def delayed(wait, lam, p, value, first):
        yield env.timeout(wait)
        yield env.process(customer(lam, p, value, first))

    # The same customers as the package's: the base (some dropped out before the start) and the
    # newcomers with their joining hours and first orders, drawn from the same laws.
    world = draw_world(s, cal, s.run.seed, seed)
    pop = world.population
    for i in range(len(pop)):
        if pop.acquired[i]:
            env.process(delayed(pop.joined[i] - cal.start, pop.lam[i], pop.dropout[i], pop.value[i],
                                world.first_value[i]))
        elif pop.remaining[i] > 0:
            env.process(customer(pop.lam[i], pop.dropout[i], pop.value[i], None))
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
