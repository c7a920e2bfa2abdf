"""Strategies tested as the real experiment would be: customers randomised inside one world.

`sim.run` compares policies across simulated worlds (every policy sees everyone). Here,
instead, one simulated world is split: each customer is randomly assigned to one policy's
arm, each policy acts only on its own customers (keeping its holdout out), and the outcome
is one row per customer, analysed exactly as a real A/B export would be. Its power is the
real test's power, which is what `holdout_power` measures for a range of holdout sizes.
`select_best` picks the best policy across worlds with Kim and Nelson's sequential procedure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from sim import streams
from sim.analysis import compare_arms, compare_means, compare_proportions, kim_nelson, srm
from sim.analysis.selection import SelectionResult
from sim.model.calendar import Calendar
from sim.model.engine import Engine
from sim.marketing.runtime import PolicyRuntime
from sim.model.measures import order_table
from sim.model.orders import OrderTable
from sim.simulation.replication import change_hours, draw_world, simulate_replication
from sim.config.scenario import Scenario
from sim.config.variants import derive
from sim.studies.comparison import InputError, default_control
from sim.vocabulary import METRICS

OUTCOMES = ("repurchased", "orders", "gmv", "net_profit")
"""Per customer over the calendar: bought at least once (0/1), orders, GMV and net profit, yuan."""

PRE_PERIOD_HOURS = 26 * 168.0  # the half year before the calendar: a CUPED covariate


@dataclass(frozen=True)
class ExperimentResult:
    """One randomised world: the per-customer table, the comparison and the sample-ratio check."""

    customers: pd.DataFrame
    comparison: pd.DataFrame
    srm: object
    control: str

    @property
    def counts(self) -> dict[str, int]:
        """Customers per arm, in the order of the sample-ratio check (sorted by name)."""
        return self.customers["arm"].value_counts().sort_index().to_dict()


def play_split(scenario: Scenario, replication: int, seed: int | None = None,
               shares: dict[str, float] | None = None) -> pd.DataFrame:
    """Simulate one world with customers randomised to policy arms; one row per customer.

    Columns: arm, held_out (inside the arm's holdout), exposed (received or was held out of at
    least one action), segment, new (joined during the calendar), pre_spend (spend in the half
    year before, yuan), and OUTCOMES. Raises `InputError` for levers a customer-level split
    cannot randomise (bundles, referral offers, a policy's own ad spend).
    """
    for name, policy in scenario.policies.items():
        levers = [k for k, on in (("bundles", policy.bundles), ("referral", policy.referral),
                                  ("acquisition", policy.acquisition)) if on]
        if levers:
            raise InputError(f"policies.{name}.{levers[0]}: a customer-level split randomises the shop's existing "
                             "customers and cannot split this lever (it acts on orders or brings new customers); "
                             "compare the policies with `sim run` instead")
    seed = scenario.run.seed if seed is None else seed
    names = list(scenario.policies)
    weights = np.array([(shares or {}).get(n, 1.0) for n in names], dtype=float)
    calendar = Calendar.from_scenario(scenario)
    world = draw_world(scenario, calendar, seed, replication)
    pop = world.population
    rng = streams.generator(seed, replication, streams.EXPERIMENT)
    arm = rng.choice(len(names), size=len(pop), p=weights / weights.sum())
    runtimes = [PolicyRuntime(scenario, n, scenario.policies[n], pop.sensitivity, world.holdout_draw, arm == i)
                for i, n in enumerate(names) if not scenario.policies[n].is_empty()]
    engine = Engine(calendar, pop, world.first_value, scenario.population.spend.p, seed, replication, runtimes)
    engine.run(change_hours(scenario))
    discounted = np.array([scenario.policies[n].discount_profit_items for n in names])[arm]
    orders = order_table(engine, scenario, discounted)
    return _customer_table(engine, orders, runtimes, names, arm, rng)


def _customer_table(engine: Engine, orders: OrderTable, runtimes: list[PolicyRuntime], names: list[str],
                    arm: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    pop, n = engine.pop, len(engine.pop)
    joined = pop.joined < engine.calendar.end
    held_out = np.zeros(n, dtype=bool)
    exposed = np.zeros(n, dtype=bool)
    message_cost = np.zeros(n)
    for rt in runtimes:
        mine = rt.members
        seen = np.isfinite(rt.first_exposed) & mine
        exposed |= seen
        held_out |= rt.held_out & mine
        sent = seen & ~rt.held_out
        if sent.any():
            message_cost[sent] = sum(s.cost for s in rt.mailbox.stats.values()) / sent.sum()
    count = np.bincount(orders.customer, minlength=n)
    pre_orders = rng.poisson(pop.lam * PRE_PERIOD_HOURS) * (~pop.acquired)
    table = pd.DataFrame({
        "arm": np.array(names, dtype=object)[arm],
        "held_out": held_out.astype(np.int8),
        "exposed": exposed.astype(np.int8),
        "segment": pop.segment,
        "new": pop.acquired.astype(np.int8),
        "pre_spend": pre_orders * pop.value,
        "repurchased": (count > 0).astype(np.int8),
        "orders": count,
        "gmv": np.bincount(orders.customer, weights=orders.paid, minlength=n),
        "net_profit": np.bincount(orders.customer, weights=orders.profit, minlength=n) - message_cost,
    })
    return table[joined].reset_index(drop=True)


def run_experiment(scenario: Scenario, replication: int = 0, seed: int | None = None, control: str | None = None,
                   metrics: tuple[str, ...] = OUTCOMES, alpha: float = 0.05, adjust: str = "holm",
                   covariate: str | None = "pre_spend") -> ExperimentResult:
    """Randomise one world's customers to the policies and test every arm against the control.

    Raises `InputError` when the scenario has fewer than two policies.
    """
    if len(scenario.policies) < 2:
        raise InputError("the scenario needs at least two policies to split its customers between")
    customers = play_split(scenario, replication, seed)
    control = default_control(list(scenario.policies)) if control is None else control
    table = compare_arms(customers, "arm", control, list(metrics), covariate=covariate, alpha=alpha, adjust=adjust)
    return ExperimentResult(customers, table, srm(customers, "arm"), control)


def holdout_test(scenario: Scenario, policy: str, holdout: float, replication: int, seed: int,
                 metric: str, alpha: float) -> dict:
    """One world where `policy` acts on everyone but a `holdout` share: the in-world test's result."""
    variant = derive(scenario, {"policies": {policy: scenario.policies[policy]}, f"policies.{policy}.holdout": holdout},
                     f"holdout test of {policy}")
    customers = play_split(variant, replication, seed)
    seen = customers[customers.exposed == 1]
    treated, held = seen[seen.held_out == 0][metric], seen[seen.held_out == 1][metric]
    if metric == "repurchased":
        res = compare_proportions(int(treated.sum()), len(treated), int(held.sum()), len(held), alpha=alpha)
    else:
        res = compare_means(treated.to_numpy(float), held.to_numpy(float), alpha=alpha)
    return {"holdout": holdout, "replication": replication, "n_assigned": len(treated), "n_held_out": len(held),
            "rate_assigned": float(treated.mean()), "rate_held_out": float(held.mean()),
            "difference": res.difference, "p_value": res.p_value,
            "detected": bool(res.p_value < alpha and res.difference > 0)}


def check_power_inputs(scenario: Scenario, policy: str | None, holdouts: list[float] | str,
                       metric: str = "repurchased") -> tuple[str, list[float]]:
    """`holdout_power`'s checks: the tested policy (default: the first with actions) and the holdout
    shares as floats, or `InputError` (the command line calls it before its progress bar)."""
    marketing = [n for n, p in scenario.policies.items() if not p.is_empty()]
    policy = policy or (marketing[0] if marketing else None)
    if policy not in scenario.policies or scenario.policies[policy].is_empty():
        raise InputError(f"--policy must name a policy with actions; these have some: {', '.join(marketing)}")
    if metric not in OUTCOMES:
        raise InputError(f"--metric must be one of {', '.join(OUTCOMES)}")
    try:
        shares = [float(h) for h in (holdouts.split(",") if isinstance(holdouts, str) else holdouts)]
    except (TypeError, ValueError):
        raise InputError(f"--holdouts: expected numbers like 0.05,0.1, got {holdouts!r}") from None
    if not all(0 < h < 1 for h in shares):
        raise InputError("--holdouts: every share must lie strictly between 0 and 1")
    return policy, shares


def holdout_power(scenario: Scenario, policy: str | None, holdouts: list[float] | str,
                  replications: int | None = None, seed: int | None = None, metric: str = "repurchased",
                  alpha: float = 0.05, workers: int | None = 1, progress=None,
                  scheduler: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulation-based power of the policy-vs-holdout test for each holdout share.

    `policy` must have actions (None: the first that has some); `holdouts` are shares in
    (0, 1), a list or a comma-separated string such as "0.05,0.1"; `metric` one of OUTCOMES;
    `workers` None uses all cores. Raises `InputError` otherwise.

    Returns (summary, per-replication results). The summary gives, per holdout share, the
    share of replications in which the policy's effect was detected (two-sided test at
    `alpha`, effect positive) with a Wilson interval, the mean effect, and for rates the
    analytic power of a two-proportion z-test at the simulated rates and group sizes;
    `summary.attrs["policy"]` names the tested policy.
    """
    from sim.analysis import rate_interval

    policy, holdouts = check_power_inputs(scenario, policy, holdouts, metric)
    n = scenario.run.replications if replications is None else replications
    seed = scenario.run.seed if seed is None else seed
    tasks = [(holdout_test, (scenario, policy, h, rep, seed, metric, alpha)) for h in holdouts for rep in range(n)]
    from sim.simulation.runner import backend

    describe = lambda i: f"holdout {tasks[i][1][2]} replication {tasks[i][1][3]} (seed {seed})"  # noqa: E731
    rows = []
    for i, row in backend(tasks, describe, workers, scheduler, len(tasks)):
        rows.append(row)
        if progress:
            progress(len(rows), len(tasks))
    per_rep = pd.DataFrame(rows).sort_values(["holdout", "replication"]).reset_index(drop=True)
    summary = []
    for h, g in per_rep.groupby("holdout"):
        ci = rate_interval(int(g.detected.sum()), len(g), alpha=0.05)
        analytic = np.nan
        if metric == "repurchased":
            effect = proportion_effectsize(g.rate_assigned.mean(), g.rate_held_out.mean())
            analytic = NormalIndPower().power(effect, nobs1=g.n_assigned.mean(), alpha=alpha,
                                              ratio=g.n_held_out.mean() / g.n_assigned.mean())
        summary.append({"holdout": h, "replications": len(g), "power": g.detected.mean(),
                        "power_ci_low": ci.ci_low, "power_ci_high": ci.ci_high,
                        "mean_difference": g.difference.mean(), "n_held_out": g.n_held_out.mean(),
                        "analytic_power": analytic})
    summary = pd.DataFrame(summary)
    summary.attrs["policy"] = policy
    return summary, per_rep


def _policy_metric(scenario: Scenario, names: tuple[str, ...], replication: int, seed: int, metric: str) -> np.ndarray:
    subset = derive(scenario, {"policies": {n: scenario.policies[n] for n in names}}, "policy subset")
    rows = simulate_replication(subset, replication, seed).metrics
    if metric not in rows[0]:
        raise InputError(f"--metric {metric!r} is not recorded for this scenario (its feature is not "
                         f"enabled); recorded: {', '.join(m for m in rows[0] if m in METRICS)}")
    return np.array([row[metric] for row in rows])


def select_best(scenario: Scenario, metric: str = "net_profit", delta: float = 1000.0, alpha: float = 0.05,
                n0: int = 10, max_replications: int | None = None,
                larger_is_better: bool = True) -> tuple[SelectionResult, list[str]]:
    """Kim-Nelson selection of the best policy on `metric`, with common random numbers.

    Keeps adding replications to the policies still in contention and stops with the best
    chosen with probability at least 1 - alpha when it leads by `delta` or more. Raises
    `InputError` for fewer than two policies or a metric outside `sim.vocabulary.METRICS`.
    """
    if len(scenario.policies) < 2:
        raise InputError("the scenario needs at least two policies to choose between")
    if metric not in METRICS:
        raise InputError(f"--metric must be one of {', '.join(METRICS)}")
    names = list(scenario.policies)
    seed = scenario.run.seed

    def sample(arms: np.ndarray, rep: int) -> np.ndarray:
        return _policy_metric(scenario, tuple(names[a] for a in arms), rep, seed, metric)

    result = kim_nelson(sample, len(names), delta=delta, alpha=alpha, n0=n0,
                        max_replications=max_replications, larger_is_better=larger_is_better)
    return result, names
