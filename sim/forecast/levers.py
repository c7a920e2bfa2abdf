"""What it takes: the traffic, conversion or order value at which event-day GMV reaches a
target with a chosen chance, each found by re-simulating the scenario input behind it.

Levers and the inputs they move (one at a time, the rest of the scenario as given):
  traffic    -> traffic.event_multiplier: day-0 new visitors; other days unchanged
  conversion -> traffic.event_conversion: day-0 share of new visitors who order (the
                ordinary days' conversion barely moves day 0); a share, so at most 1
  aov        -> every category's order_value (the price level)
Bounds: input x0.2..x5, and event_conversion up to 1 (conversion's only upper bound).

Search. Every trial re-simulates with the forecast's seed and replications (common random
numbers). The chance at input factor f is a smoothed estimate: P(GMV >= target) = p where
mean GMV at f x Q(1 - p) of the shape = target; the shape is every replication's GMV over its
run's mean, pooled over the base run and the trials so far (20 more replications a trial),
Q the Weibull quantile. The gap log(that / target) is solved by Newton steps in log f with
the slope of log mean GMV between the two points nearest the root, kept inside the bracket
found so far (else bisected) and the bounds; the first trial is f = target / Q(1 - p) of the
base run, as if GMV were proportional to the input. |gap| <= TOLERANCE ends the search,
MAX_RUNS at most.
Why smoothed: only order value keeps the random numbers aligned exactly. Visitors and first
orders are drawn in turn from one acquisition stream, so any change in traffic or conversion
re-draws newcomers' later numbers (each replication's GMV jitters ~1.6 % on double11_target
for a 0.1 % change) and the raw share is not monotone in the input; a run's mean is (~0.4 %).
`achieved` is the raw share of the found trial's own replications reaching the target,
Wilson 95 %: a check of the smoothed estimate on fresh numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.config.scenario import Scenario
from sim.config.variants import derive
from sim.forecast.decomposition import quantiles, target_chance, target_scale
from sim.forecast.sensitivity import scale_order_value, traffic_scaler

Simulate = Callable[[Scenario], pd.DataFrame]
"""Re-simulates a scenario (the forecast's seed and replications) and returns event_outcomes."""

BOUNDS = (0.2, 5.0)  # input factors searched
TOLERANCE = 0.005  # stop when |gap| <= this (0.5 % of GMV)
NO_EFFECT = 0.01  # mean GMV within 1 % of the base run's at the bound: the lever does nothing
MAX_RUNS = 6  # re-simulations per lever at most (typically 1-3)
UNITS = {"traffic": "visitors", "conversion": "orders per visitor", "aov": "yuan per order"}


def day0_conversion(s: Scenario) -> float:
    t = s.traffic
    return t.conversion if t.event_conversion is None else t.event_conversion


def scale_event_conversion(s: Scenario, f: float) -> Scenario:
    return derive(s, {"traffic.event_conversion": min(day0_conversion(s) * f, 1.0)}, "needed conversion")


def _order_value(s: Scenario) -> float:
    return sum(c.share * c.order_value for c in s.population.categories.values())


@dataclass(frozen=True)
class Lever:
    """A lever of GMV (a column of event_outcomes), the input that moves it and the input's cap
    (None: only BOUNDS). value: the input now (x an ordinary day, a share, or yuan: the
    categories' share-weighted order value)."""

    name: str
    input: str
    value: Callable[[Scenario], float]
    scale: Callable[[Scenario, float], Scenario]
    cap: float | None = None
    cap_reason: str = ""

    def high(self, scenario: Scenario) -> float:
        """Largest input factor searched."""
        v = self.value(scenario)
        return self.cap / v if self.cap is not None and v > 0 else BOUNDS[1]


LEVERS = (
    Lever("traffic", "traffic.event_multiplier", lambda s: s.traffic.event_multiplier,
          traffic_scaler("event_multiplier")),
    Lever("conversion", "traffic.event_conversion", day0_conversion, scale_event_conversion, 1.0,
          "conversion would exceed 100 %"),
    Lever("aov", "categories' order_value", _order_value, scale_order_value),
)


@dataclass(frozen=True)
class Requirement:
    """One lever's level that reaches the target with the chosen chance.

    current: the lever's simulated P50; needed: its P50 re-simulated at the found input (nan
    when not feasible); scale: factor on the input (at the bound when not feasible);
    achieved: share of that run's replications reaching the target, Wilson 95 % interval.
    """

    lever: str
    current: float
    needed: float
    scale: float
    input: str = ""
    input_value: float = float("nan")
    achieved: float = float("nan")
    achieved_low: float = float("nan")
    achieved_high: float = float("nan")
    feasible: bool = True
    reason: str = ""
    runs: int = 0
    gmv_ratio: float = float("nan")  # mean event-day GMV at the input found / in the base run
    note: str = ""


@dataclass(frozen=True)
class Trial:
    """One run: the log of its mean event-day GMV (yuan) and each replication's GMV / that mean."""

    log_mean: float
    shape: np.ndarray


def trial(outcomes: pd.DataFrame) -> Trial:
    gmv = outcomes["gmv"].to_numpy(dtype=float)
    mean = float(gmv.mean())
    return Trial(math.log(mean) if mean > 0 else -math.inf, gmv / mean if mean > 0 else np.zeros_like(gmv))


def gaps(points: dict[float, Trial], level: float, target: float) -> dict[float, float]:
    """log(smoothed Q(level) / target) at each point: its mean GMV x the level-quantile of the
    shapes pooled over all points (Weibull); -inf where that quantile is 0."""
    q = float(quantiles(np.concatenate([p.shape for p in points.values()]), [level])[0])
    return {u: p.log_mean + math.log(q / target) if q > 0 else -math.inf for u, p in points.items()}


def find_factor(evaluate: Callable[[float], Trial], base: Trial, level: float, target: float, low: float,
                high: float, tol: float = TOLERANCE, max_runs: int = MAX_RUNS) -> tuple[float, str, dict]:
    """The input factor f in [low, high] whose smoothed gap is 0 (see module doc).

    evaluate(f) re-simulates at f; base is the run at f = 1. Returns (f, status, gaps {f: gap}):
    status 'found' (|gap| <= tol), 'below' (short at `high`), 'above' (past the target even at
    `low`), 'stopped' (max_runs spent or noise-bound, root bracketed; f the closest trial) or
    'short' (max_runs spent, never reached).
    """
    a, b = math.log(low), math.log(high)
    points = {0.0: base}  # log f -> Trial; the base run is not a trial
    u = min(max(-gaps(points, level, target)[0.0], a), b)  # first as if GMV were proportional
    for _ in range(max_runs):
        points[u] = evaluate(math.exp(u))
        g = gaps(points, level, target)
        if abs(g[u]) <= tol or (g[u] < 0 and u >= b) or (g[u] > 0 and u <= a):
            status = "found" if abs(g[u]) <= tol else ("below" if g[u] < 0 else "above")
            return math.exp(u), status, {math.exp(v): x for v, x in g.items() if v != 0.0 or v == u}
        u = _next(points, g, a, b)
        if u is None:
            break
    g = gaps(points, level, target)
    best = min((v for v in g if v != 0.0 or len(g) == 1), key=lambda v: abs(g[v]))
    status = "stopped" if min(g.values()) < 0 < max(g.values()) else "short"
    return math.exp(best), status, {math.exp(v): x for v, x in g.items() if v != 0.0}


def _next(points: dict[float, Trial], g: dict[float, float], a: float, b: float) -> float | None:
    """Newton step from the point nearest the root, slope from the two nearest; kept inside
    the bracket (else bisected) and [a, b]. None when noise inverts the bracket."""
    below = [u for u, x in g.items() if x < 0]
    above = [u for u, x in g.items() if x > 0]
    left, right = max(below, default=a), min(above, default=b)
    if left >= right:
        return None
    near = sorted((u for u in g if math.isfinite(g[u])), key=lambda u: abs(g[u]))[:2]
    guess = math.nan
    if len(near) == 2:
        u1, u2 = near
        slope = (points[u1].log_mean - points[u2].log_mean) / (u1 - u2)
        guess = u1 - g[u1] / slope if slope > NO_EFFECT else math.nan
    if left < guess < right:
        return guess
    if below and above:
        return (left + right) / 2
    return b if below else a  # no usable step outside the bracket: try the bound


def _requirement(lever: Lever, scenario: Scenario, base: pd.DataFrame, target: float, factor: float,
                 status: str, runs: int, outcomes: pd.DataFrame) -> Requirement:
    chance = target_chance(outcomes["gmv"], target)
    response = trial(outcomes).log_mean - trial(base).log_mean
    feasible = status in ("found", "above", "stopped")
    reason, note = "", ""
    if not feasible and math.isfinite(response) and abs(response) < NO_EFFECT:
        reason = "the lever has no effect within the bounds"
    elif status == "below" and lever.cap is not None and lever.value(scenario) > 0:
        reason = lever.cap_reason
    elif status == "below":
        reason = f"out of reach within x{factor:g} of {lever.input}"
    elif status == "short":
        reason = f"not reached in {runs} re-simulations (mean GMV x{math.exp(response):.3f} at x{factor:.3g})"
    elif status == "above":
        note = f"target reached even at x{factor:g} (the lower bound)"
    elif status == "stopped":
        note = f"closest of {runs} re-simulations (noise-bound)"
    return Requirement(lever.name, float(np.nanmedian(base[lever.name])),
                       float(np.nanmedian(outcomes[lever.name])) if feasible else float("nan"), factor,
                       lever.input, lever.value(lever.scale(scenario, factor)), chance.probability, chance.ci_low,
                       chance.ci_high, feasible, reason, runs, math.exp(response), note)


def search(scenario: Scenario, base: pd.DataFrame, target: float, probability: float, simulate: Simulate,
           levers: tuple[Lever, ...] = LEVERS, done: Callable[[int], None] | None = None) -> list[Requirement]:
    """Each lever's needed level, re-simulated (see module doc); `done(runs)` after each lever.

    base: the base run's event_outcomes (same seed and replications as `simulate`).
    """
    start, level = trial(base), 1.0 - probability
    out = []
    for lever in levers:
        runs: dict[float, pd.DataFrame] = {1.0: base}

        def evaluate(f: float, lever=lever, runs=runs) -> Trial:
            runs[f] = simulate(lever.scale(scenario, f))
            return trial(runs[f])

        gap = gaps({0.0: start}, level, target)[0.0]
        if not math.isfinite(gap):
            out.append(Requirement(lever.name, float(np.nanmedian(base[lever.name])), float("nan"), float("nan"),
                                   lever.input, feasible=False, reason="no event-day GMV in the base run"))
        else:
            factor, status = 1.0, "found"
            if abs(gap) > TOLERANCE:
                factor, status, _ = find_factor(evaluate, start, level, target, BOUNDS[0],
                                                max(lever.high(scenario), 1.0))
            out.append(_requirement(lever, scenario, base, target, factor, status, len(runs) - 1, runs[factor]))
        if done:
            done(len(runs) - 1)
    return out


def proportional(scenario: Scenario, base: pd.DataFrame, target: float, probability: float,
                 levers: tuple[Lever, ...] = LEVERS) -> list[Requirement]:
    """Without re-simulation: every lever x s, assuming GMV proportional to it (not checked)."""
    s = target_scale(base["gmv"], target, probability)
    out = []
    for lever in levers:
        current = float(np.nanmedian(base[lever.name]))
        inside = BOUNDS[0] <= s <= max(lever.high(scenario), 1.0)
        reason = "" if inside else (lever.cap_reason if lever.cap is not None else f"beyond x{BOUNDS[1]:g}")
        out.append(Requirement(lever.name, current, current * s, s, lever.input, lever.value(scenario) * s,
                               feasible=inside, reason=reason,
                               note="not re-simulated: GMV assumed proportional to the lever"))
    return out

