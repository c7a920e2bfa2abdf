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

With marketing on, both play three SMS waves (day -20, a day -3 send that acts on day 0, and
day 5) to every customer who has joined, on a channel without opt-outs, fatigue or
pull-forward, so that the reference can stay simple: a wave process at the send hour reaches
each customer with the channel's reach, and raises the reached customers' purchase intensity
by (1 + L) over the effect window, L solved from the channel's response on a reference customer
(the package's documented rule, written out again here). Thinning is against the calendar's
peak times (1 + the largest sum of L of overlapping effect windows).
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


WAVES = [{"day": -20, "hour": 12, "intent": "order"}, {"day": -3, "hour": 12, "intent": "cart"},
         {"day": 5, "hour": 12, "intent": "order"}]
SMS = {"cost": 0.05, "reach": 0.95, "response": 0.03, "opt_out_per_touch": 0.0, "churn_per_touch": 0.0,
       "fatigue_decay": 1.0, "pull_forward": 0.0, "response_hours": 48}


def scenario(size: int, replications: int = 1, marketing: bool = False):
    """60 days with the event day and newcomers: the core model, or with three SMS waves."""
    spec = {
        "version": 1, "name": "bench", "calendar": {"start_day": -30, "end_day": 29},
        "population": {"size": size}, "traffic": {"daily_visitors": size // 10, "preheat_days": 0},
        "run": {"replications": replications, "seed": 1},
    }
    if marketing:
        spec["channels"] = {"sms": SMS}
        spec["policies"] = {"three_waves": {"holdout": 0.0, "waves": [dict(w, channel="sms") for w in WAVES]}}
    return scenario_from_dict(spec)


def wave_lifts(s, cal: Calendar) -> list[tuple[float, float, float, float, float]]:
    """(send hour, window start, window end, lift L, reach) of each wave of the scenario's policy.

    L makes `response` of reference customers (rate r / alpha per week, still active) buy because
    of the touch: exp(-X) - exp(-X (1 + L)) = response, X their expected purchases in the window.
    """
    out = []
    for policy in s.policies.values():
        for wave in policy.waves:
            ch = s.channels[wave.channel]
            assert ch.opt_out_per_touch == ch.churn_per_touch == ch.pull_forward == 0.0 and ch.fatigue_decay == 1.0
            start, end = wave.effect_window(ch.response_hours)
            expected = s.population.buying.r / s.population.buying.alpha / 168.0 * (cal.clock(end) - cal.clock(start))
            lift = -np.log(np.exp(-expected) - ch.response) / expected - 1.0
            out.append((wave.hour_abs, start, end, float(lift), ch.reach))
    return out


def reference_replication(s, seed: int) -> dict[str, float]:
    """One replication with one SimPy process per customer (and one per wave)."""
    rng = np.random.default_rng(seed)
    cal = Calendar.from_scenario(s)
    waves = wave_lifts(s, cal)
    # g(t) (1 + lift) is at most the calendar's peak times 1 + the largest sum of overlapping lifts
    most = max([sum(w[3] for w in waves if w[1] <= v[1] < w[2]) for v in waves], default=0.0)
    peak = cal.buying.max() * (1.0 + most)
    env = simpy.Environment(initial_time=cal.start)
    totals = {"orders": 0, "gmv": 0.0}
    shape = s.population.spend.p
    world = draw_world(s, cal, s.run.seed, seed)
    pop = world.population
    lift = np.zeros(len(pop))
    buying = np.zeros(len(pop), dtype=bool)  # joined and not dropped out

    def multiplier(t: float) -> float:
        return cal.buying[min(int(t - cal.start), cal.hours - 1)]

    def customer(i: int, lam: float, p: float, value: float, first_value: float | None):
        buying[i] = True
        if first_value is not None:
            record(env.now, first_value)
        while True:
            yield env.timeout(rng.exponential(1.0 / (lam * peak)))
            if rng.random() < multiplier(env.now) * (1.0 + lift[i]) / peak:  # thinning
                record(env.now, value * rng.gamma(shape) / shape)
                if rng.random() < p:
                    buying[i] = False
                    return

    def wave(send: float, start: float, end: float, size: float, reach: float):
        yield env.timeout(send - env.now)
        reached = [i for i in range(len(pop)) if buying[i] and rng.random() < reach]
        yield env.timeout(start - env.now)
        for i in reached:
            lift[i] += size
        yield env.timeout(end - env.now)
        for i in reached:
            lift[i] -= size

    roles = s.products.roles.values()  # the event discount's mean factor over product roles (profit items: none)
    factor = sum(r.share * (0.0 if name == "profit" else r.discount_factor)
                 for name, r in zip(s.products.roles, roles)) / sum(r.share for r in roles)

    def record(t: float, value: float) -> None:
        discount = value * factor * (s.economics.event_discount if 0 <= t < 24 else 0.0)
        totals["orders"] += 1
        totals["gmv"] += value - discount

    def delayed(i, wait, lam, p, value, first):
        yield env.timeout(wait)
        yield env.process(customer(i, lam, p, value, first))

    # The same customers as the package's: the base (some dropped out before the start) and the
    # newcomers with their joining hours and first orders, drawn from the same laws.
    for i in range(len(pop)):
        if pop.acquired[i]:
            env.process(delayed(i, pop.joined[i] - cal.start, pop.lam[i], pop.dropout[i], pop.value[i],
                                world.first_value[i]))
        elif pop.remaining[i] > 0:
            env.process(customer(i, pop.lam[i], pop.dropout[i], pop.value[i], None))
    for w in waves:
        env.process(wave(*w))
    env.run(until=cal.end)
    return totals


def package_replication(s, rep: int) -> dict[str, float]:
    m = simulate_replication(s, rep).metrics[0]
    return {"orders": m["orders"], "gmv": m["gmv"]}


MODES = {False: "no marketing", True: "three waves"}


def check_totals(size: int, reps: int, marketing: bool) -> None:
    """Mean orders and GMV of both models, with standard errors: they should agree."""
    s = scenario(size, marketing=marketing)
    ref = [reference_replication(s, 1000 + r) for r in range(reps)]
    pkg = [package_replication(s, r) for r in range(reps)]
    print(f"Expected totals at {size:,} customers over {reps} replications, {MODES[marketing]} "
          "(mean +- standard error):")
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
    parser.add_argument("--scaling-reps", type=int, default=8)
    parser.add_argument("--scaling-size", type=int, default=500_000)
    args = parser.parse_args()

    for marketing in (False, True):
        check_totals(10_000, args.check_reps, marketing)
    print("\nOne replication, seconds (best of runs):")
    print(f"{'marketing':<13} {'customers':>10} {'reference':>10} {'package':>10} {'ratio':>8}")
    for marketing in (False, True):
        for size in args.sizes:
            s = scenario(size, marketing=marketing)
            pkg = best_time(lambda: package_replication(s, 0), 3)
            ref = best_time(lambda: reference_replication(s, 0), 1)
            print(f"{MODES[marketing]:<13} {size:>10,} {ref:>10.2f} {pkg:>10.3f} {ref / pkg:>7.0f}x")
        for size in args.package_only:
            s = scenario(size, marketing=marketing)
            print(f"{MODES[marketing]:<13} {size:>10,} {'-':>10} "
                  f"{best_time(lambda: package_replication(s, 0), 2):>10.3f}")

    print(f"\n{args.scaling_reps} replications of {args.scaling_size:,} customers (sim.run, simulation only):")
    s = scenario(args.scaling_size, args.scaling_reps)
    sim.run(s, workers=2)  # compiles and caches the kernels once, as any earlier run would have
    one = best_time(lambda: sim.run(s, workers=1), 2)
    for name, options in (("1 worker", {"workers": 1}), ("2 workers", {"workers": 2}),
                          ("Dask LocalCluster", {"scheduler": "local"})):
        t = one if options == {"workers": 1} else best_time(lambda: sim.run(s, **options), 2)
        print(f"  {name:<18} {t:6.2f} s   speed-up {one / t:4.2f}")
    print(f"  LocalCluster start-up and shut-down: {best_time(dask_start_up, 2):.2f} s")


def dask_start_up() -> None:
    """The cost of `--scheduler local` before any task: a cluster of forked workers, and its end."""
    from dask.distributed import Client, LocalCluster

    from sim.simulation.backends import _forked_dask_workers

    with _forked_dask_workers():
        cluster = LocalCluster(processes=True, threads_per_worker=1, dashboard_address=None)
    Client(cluster).close()
    cluster.close()


if __name__ == "__main__":
    main()
