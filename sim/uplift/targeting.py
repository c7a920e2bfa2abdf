"""Choosing each customer's arm (or none) by expected incremental profit, under a budget.

A customer's expected incremental profit from arm a is margin * uplift_a(x) - cost_a, with
uplift in the value outcome (money per customer: margin is the share kept; a 0/1 rate:
margin is the yuan one unit earns). Without a budget each customer gets the arm with the
highest positive profit, or none. With a budget the choice maximises total profit subject
to total cost <= budget through its Lagrangian: each customer takes the arm maximising
profit - lambda * cost, with the smallest lambda >= 0 whose total cost fits (found by
bisection); this is optimal for the budget it spends and never exceeds it.

Every policy (the assignment, each arm for everyone, nobody) is valued with the full model
and with each bootstrap refit; the refits' 2.5-97.5 percentiles are its interval. The
assignment is chosen on the same model that values it, so its figure is optimistic by the
winner's curse; the bootstrap spread says how much the ranking can be trusted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import SimError
from sim.uplift.fit import ResponseModel
from sim.uplift.predict import uplift_draws

NONE = "none"


@dataclass(frozen=True)
class PolicyValue:
    """Expected incremental profit of one way of contacting the customers (yuan)."""

    policy: str
    profit: float
    profit_low: float
    profit_high: float
    cost: float
    within_budget: bool
    shares: dict[str, float]


@dataclass(frozen=True)
class Targeting:
    """The assignment (per customer) and the comparison of policies."""

    assignment: pd.DataFrame
    policies: list[PolicyValue]
    value_outcome: str
    margin: float
    budget: float | None


def target(model: ResponseModel, features: pd.DataFrame, ids: np.ndarray, costs: dict[str, float],
           value: str, margin: float = 1.0, budget: float | None = None) -> Targeting:
    """Assign each customer the arm with the best expected incremental profit (see module)."""
    _check(model, costs, value, margin, budget)
    arms = list(model.arms)
    X = model.encoding.transform(features)
    cost = np.array([costs.get(a, 0.0) for a in arms])
    gain = np.column_stack([margin * model.response(a, value).model.uplift(X) for a in arms])
    draws = np.stack([margin * uplift_draws(model, X, a, value) for a in arms], axis=-1)  # (B, n, arms)
    choice = _assign(gain - cost, cost, budget)
    profit = np.where(choice >= 0, np.take_along_axis(gain - cost, np.maximum(choice, 0)[:, None], 1)[:, 0], 0.0)
    value_of = np.where(choice >= 0, np.take_along_axis(gain, np.maximum(choice, 0)[:, None], 1)[:, 0], 0.0)
    labels = np.array(arms + [NONE], dtype=object)[np.where(choice >= 0, choice, len(arms))]
    paid = np.where(choice >= 0, cost[np.maximum(choice, 0)], 0.0)
    table = pd.DataFrame({"id": ids, "arm": labels, "expected_incremental_value": value_of,
                          "cost": paid, "expected_incremental_profit": profit})
    policies = [_value("assignment", choice, gain, draws, cost, budget, arms)]
    for j, a in enumerate(arms):
        policies.append(_value(f"{a} to all", np.full(len(X), j), gain, draws, cost, budget, arms))
    policies.append(_value("nobody", np.full(len(X), -1), gain, draws, cost, budget, arms))
    return Targeting(table, policies, value, margin, budget)


def _assign(profit: np.ndarray, cost: np.ndarray, budget: float | None) -> np.ndarray:
    """Index of each customer's arm, -1 for none (see module for the budget rule)."""
    def choose(lam: float) -> np.ndarray:
        score = profit - lam * cost
        best = np.argmax(score, axis=1)
        return np.where(score[np.arange(len(score)), best] > 0, best, -1)

    def spent(choice: np.ndarray) -> float:
        return float(np.where(choice >= 0, cost[np.maximum(choice, 0)], 0.0).sum())

    choice = choose(0.0)
    if budget is None or spent(choice) <= budget:
        return choice
    low, high = 0.0, 1.0
    while spent(choose(high)) > budget:
        high *= 2.0
    for _ in range(60):
        mid = (low + high) / 2.0
        low, high = (mid, high) if spent(choose(mid)) > budget else (low, mid)
    return choose(high)


def _value(name: str, choice: np.ndarray, gain: np.ndarray, draws: np.ndarray, cost: np.ndarray,
           budget: float | None, arms: list[str]) -> PolicyValue:
    on = choice >= 0
    pick = np.maximum(choice, 0)
    spend = float(cost[pick][on].sum())
    point = float(gain[np.arange(len(choice)), pick][on].sum()) - spend
    per_draw = draws[:, np.arange(len(choice)), pick][:, on].sum(axis=1) - spend
    shares = {a: float(np.mean(choice == j)) for j, a in enumerate(arms)}
    shares[NONE] = float(np.mean(~on))
    return PolicyValue(name, point, float(np.percentile(per_draw, 2.5)), float(np.percentile(per_draw, 97.5)),
                       spend, budget is None or spend <= budget + 1e-6, shares)


def _check(model: ResponseModel, costs: dict[str, float], value: str, margin: float, budget: float | None) -> None:
    unknown = sorted(set(costs) - set(model.arms))
    if unknown:
        raise SimError(f"--cost names arm(s) {', '.join(map(repr, unknown))} the response model lacks; "
                       f"its arms: {', '.join(model.arms)}")
    negative = {a: c for a, c in costs.items() if not np.isfinite(c) or c < 0}
    if negative:
        raise SimError(f"--cost {', '.join(f'{a}={c:g}' for a, c in negative.items())}: a cost is a yuan "
                       "amount of 0 or more per customer contacted")
    if value not in model.outcomes:
        raise SimError(f"--value {value!r}: the response model has outcomes {', '.join(model.outcomes)}")
    if not np.isfinite(margin) or margin <= 0:
        raise SimError(f"--margin {margin:g}: expected a positive number (share kept of money, or yuan per unit)")
    if budget is not None and (not np.isfinite(budget) or budget < 0):
        raise SimError(f"--budget {budget:g}: expected a yuan amount of 0 or more")
