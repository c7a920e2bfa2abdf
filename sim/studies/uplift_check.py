"""Testing uplift targeting where every customer's true effect is known: a simulated campaign test.

In one simulated world each customer is played twice with the same random numbers: with the
policy and without it (the control). The difference of the two outcomes is the customer's
true effect in that world. A random half gets the policy, as in a real test; the response is
learned from that test (sim.uplift, on 70 % of the customers, the method chosen as
`sim response fit` chooses it) and scored on the other 30 % against the true effects:

- rank correlation (Spearman) of the predicted uplift with the true effect;
- the true gain captured: customers sorted by predicted uplift, the cumulated true effect of
  the top k, its area above random targeting as a share of the oracle's (sorted by the true
  effect): 0 random, 1 perfect;
- profit: contacting those whose margin x predicted uplift exceeds the cost per contact,
  against the oracle (contacting exactly those whose true effect pays) and against
  contacting everyone; the profit lost is the oracle's minus the model's.

The outcome is GMV per customer over the calendar (yuan); the margin is the scenario's and
the cost per contact the policy's marketing spend per customer sent to.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim import streams
from sim.config.scenario import Scenario
from sim.config.variants import derive
from sim.marketing.learned import DERIVED, LearnedFeatures
from sim.model.calendar import Calendar
from sim.model.measures import order_table
from sim.simulation.replication import change_hours, draw_world, play
from sim.studies.comparison import InputError, default_control
from sim.uplift.fit import fit_table
from sim.uplift.table import CampaignTable
from sim.vocabulary import SEGMENTS

SCORE_SHARE = 0.3
"""Customers kept out of the fit to score it."""


@dataclass(frozen=True)
class UpliftScore:
    """How a response learned from a simulated test ranks the true effects, and what targeting earns."""

    policy: str
    control: str
    method: str
    features: tuple[str, ...]
    customers: int
    scored: int
    true_lift: float
    rank_correlation: float
    gain_share: float
    cost: float
    margin: float
    contacted: dict[str, float]
    profit: dict[str, float]

    @property
    def profit_lost(self) -> float:
        return self.profit["oracle"] - self.profit["model"]


def score_uplift(scenario: Scenario, replication: int = 0, seed: int | None = None, policy: str | None = None,
                 control: str | None = None, method: str = "auto", bootstrap: int = 5) -> UpliftScore:
    """Learn the response of `policy` against `control` from a simulated test and score it (see module)."""
    seed = scenario.run.seed if seed is None else seed
    names = list(scenario.policies)
    control = default_control(names) if control is None else control
    policy = policy or next((n for n in names if n != control and not scenario.policies[n].is_empty()), None)
    if policy is None or policy not in scenario.policies or policy == control:
        raise InputError(f"--policy {policy!r}: expected a policy other than the control {control!r}, "
                         f"one of {', '.join(n for n in names if n != control)}")
    if control not in scenario.policies:
        raise InputError(f"--control {control!r}: not a policy of the scenario; expected one of {', '.join(names)}")
    variant = derive(scenario, {f"policies.{policy}.holdout": 0.0}, "uplift check")
    calendar = Calendar.from_scenario(variant)
    world = draw_world(variant, calendar, seed, replication)
    hours = change_hours(variant)
    treated_gmv, spend, sent = _played(variant, calendar, world, policy, seed, replication, hours)
    control_gmv, _, _ = _played(variant, calendar, world, control, seed, replication, hours)
    n = len(treated_gmv)
    effect = treated_gmv - control_gmv
    rng = streams.generator(seed, replication, streams.EXPERIMENT, 1)
    treated = rng.random(n) < 0.5
    scored = rng.random(n) < SCORE_SHARE
    observed = np.where(treated, treated_gmv, control_gmv)
    features = _features(variant, world, seed, replication, calendar.start)
    fit = ~scored
    table = CampaignTable(path=Path(f"<simulated test of {policy}>"), sha256="", arm_column="arm",
                          arm=np.where(treated[fit], policy, control), control=control, arms=(policy,),
                          outcomes=pd.DataFrame({"gmv": observed[fit]}), kinds={"gmv": "money"},
                          features=features[fit].reset_index(drop=True), ids=np.arange(int(fit.sum())).astype(str))
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        model = fit_table(table, method, 0.3, bootstrap, seed)
        X = model.encoding.transform(features[scored].reset_index(drop=True))
        predicted = model.response(policy, "gmv").model.uplift(X)
    margin = float(np.mean(variant.margin_by_category()))
    cost = spend / sent if sent else 0.0
    true = effect[scored]
    return UpliftScore(policy=policy, control=control, method=model.responses[(policy, "gmv")].method,
                       features=tuple(features.columns), customers=n, scored=int(scored.sum()),
                       true_lift=float(effect.mean()), rank_correlation=_spearman(predicted, true),
                       gain_share=gain_share(predicted, true), cost=cost, margin=margin,
                       **_targeting(predicted, true, margin, cost))


def _played(scenario: Scenario, calendar: Calendar, world, name: str, seed: int, replication: int,
            hours: list[float]) -> tuple[np.ndarray, float, int]:
    """GMV per customer of one policy acting on everyone, its marketing spend and customers sent to."""
    engine, _, made = play(scenario, calendar, world, name, seed, replication, hours)
    orders = order_table(engine, scenario, scenario.policies[name].discount_profit_items,
                         scenario.policies[name].bundles)
    gmv = np.bincount(orders.customer, weights=orders.paid, minlength=len(engine.pop))
    runtimes = [p for plugins in made for p in plugins if hasattr(p, "mailbox")]
    spend = sum(s.cost for rt in runtimes for s in rt.mailbox.stats.values())
    spend += sum(s.cost for rt in runtimes for s in rt.coupons.stats.values())
    sent = int(sum(np.isfinite(rt.first_exposed).sum() for rt in runtimes))
    return gmv, float(spend), sent


def _features(scenario: Scenario, world, seed: int, replication: int, t: float) -> pd.DataFrame:
    """Each customer's features at the calendar start: the simulation's and the customer table's."""
    pop = world.population
    columns = {
        "recency_days": np.maximum(t - pop.last_order, 0.0) / 24.0,
        "spend": pop.value,
        "rfm_group": np.array(SEGMENTS, dtype=object)[pop.segment],
        "category": np.array(list(scenario.population.categories), dtype=object)[pop.category],
        "new": pop.is_new.astype(float),
    }
    learned = LearnedFeatures(scenario, seed, replication)
    if learned.table is not None:
        rows = learned.rows(len(pop))
        for name in learned.table.columns:
            if name not in DERIVED:
                columns[name] = learned.table[name].to_numpy()[rows]
    table = pd.DataFrame(columns)
    varying = [c for c in table.columns if table[c].nunique() > 1]
    return table[varying].astype(str)


def gain_share(predicted: np.ndarray, true: np.ndarray) -> float:
    """Area of the true-gain curve above random, ranked by `predicted`, as a share of the oracle's."""
    def area(order: np.ndarray) -> float:
        gained = np.cumsum(true[order])
        return float(gained.sum() - 0.5 * len(true) * true.sum())

    best = area(np.argsort(-true, kind="stable"))
    return area(np.argsort(-predicted, kind="stable")) / best if best > 0 else float("nan")


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def _targeting(predicted: np.ndarray, true: np.ndarray, margin: float, cost: float) -> dict:
    gain = margin * true - cost
    chosen = {"model": margin * predicted > cost, "oracle": gain > 0, "everyone": np.ones(len(true), dtype=bool),
              "nobody": np.zeros(len(true), dtype=bool)}
    return {"contacted": {k: float(v.mean()) for k, v in chosen.items()},
            "profit": {k: float(gain[v].sum()) for k, v in chosen.items()}}
