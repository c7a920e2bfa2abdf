"""Learned responses in a simulation: customer features, predicted uplift and the lift it implies.

A simulated customer's features come from two places:
- the population's customer table (`population.features`, a CSV): each customer takes one
  row, drawn at random from its own stream (common to every policy), or row i for base
  customer i when the table has exactly the population's size;
- the simulation itself: `recency_days` (days since the last order at the send), `frequency`
  (orders placed so far in the simulation), `spend` (the customer's mean order value, yuan),
  `rfm_group`, `category` and `new` (1 for a one-time or newly acquired buyer).

The model's uplift in a 0/1 outcome is the share of customers sent to who buy in the window
because of the send. Only customers still active can buy, so the uplift of an active
customer is divided by the share of the send's customers still active, which keeps the
send's expected extra buyers equal to the model's; a negative predicted uplift counts as
none (a send never removes a customer's own purchases). Each replication draws one of the
model's bootstrap refits for the response (so the run's intervals include not knowing the
response exactly), while audiences are chosen by the point estimate, as a marketer would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from functools import lru_cache
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from sim import streams
from sim.config.learned import AssignmentAudience, LearnedResponse, UpliftAudience
from sim.config.scenario import Scenario
from sim.errors import DataError
from sim.model.customers import Customers
from sim.uplift.fit import ResponseModel
from sim.uplift.model_file import load_response, read_description
from sim.uplift.table import blank_missing
from sim.vocabulary import SEGMENTS

DERIVED = ("recency_days", "frequency", "spend", "rfm_group", "category", "new")
"""Features every simulated customer has, whatever the population."""

_FEATURES_STREAM_DRAW, _FEATURES_STREAM_REFIT = 0, 1

if TYPE_CHECKING:
    import pandas as pd


@lru_cache(maxsize=8)
def model_at(folder: str) -> ResponseModel:
    """A fitted response, read once per process."""
    return load_response(folder)


@lru_cache(maxsize=4)
def feature_table(file: str) -> pd.DataFrame:
    """A population's customer table as text columns ("" for missing), read once per process."""
    import pandas as pd
    try:
        table = pd.read_csv(file, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise DataError(f"{file}: cannot be read as a customer table ({exc})") from None
    if table.empty:
        raise DataError(f"{file}: the customer table has no rows")
    return pd.DataFrame({c: blank_missing(table[c]) for c in table.columns})


@lru_cache(maxsize=64)
def _encoded_column(folder: str, file: str, name: str) -> np.ndarray:
    """One feature of the whole customer table, encoded as the model in `folder` encodes it."""
    return model_at(folder).encoding.block(name, feature_table(file)[name])


@lru_cache(maxsize=8)
def assigned_rows(file: str, arm: str, table_file: str, id_column: str | None) -> np.ndarray:
    """Mask over the customer table's rows: those an assignment file (from sim target) gives `arm`.

    Rows are matched by the table's `id_column`, or by row numbers from 1 without one (as
    sim target numbers rows). Read once per process, so a daily programme pays nothing more.
    """
    import pandas as pd
    try:
        assignment = pd.read_csv(file, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise DataError(f"{file}: cannot be read as an assignment ({exc})") from None
    if not {"id", "arm"} <= set(assignment.columns):
        raise DataError(f"{file}: an assignment needs the columns id and arm (as sim target writes them)")
    ids = assignment["id"].str.strip()[assignment["arm"].str.strip() == arm]
    table = feature_table(table_file)
    rows = table[id_column].to_numpy(dtype=str) if id_column else np.arange(1, len(table) + 1).astype(str)
    return np.isin(rows, ids.to_numpy(dtype=str))  # text arrays: numpy compares object arrays pair by pair


def problems(scenario: Scenario) -> list[str]:
    """One line per learned response, uplift or assignment audience that cannot be used in this scenario."""
    have = set(DERIVED)
    pop = scenario.population
    if pop.features is not None:
        file = pop.features
        if not Path(file).is_file():
            return [f"population.features: customer table {file} not found"]
        have |= set(feature_table(str(file)).columns)
        if pop.features_id is not None and pop.features_id not in have:
            return [f"population.features_id: {file} has no column {pop.features_id!r}"]
    found = _assignment_problems(scenario)
    for where, ref in _references(scenario):
        try:
            described = read_description(ref.from_)
        except DataError as exc:
            found.append(f"{where}.from: {exc}")
            continue
        if ref.arm not in described["arms"]:
            found.append(f"{where}.arm: the model {ref.from_} has no arm {ref.arm!r}; its arms: "
                         f"{', '.join(described['arms'])}")
        kind = described["outcomes"].get(ref.outcome)
        if kind is None or (kind != "rate" and isinstance(ref, LearnedResponse)):
            what = "is money, not a 0/1 outcome" if kind else "is not one of its outcomes"
            allowed = [o for o, k in described["outcomes"].items() if k == "rate" or isinstance(ref, UpliftAudience)]
            found.append(f"{where}.outcome: {ref.outcome!r} {what}; expected one of {', '.join(allowed) or 'none'}")
        lacking = [f for f in described["features"] if f not in have]
        if lacking:
            source = (f"the customer table {scenario.population.features}" if scenario.population.features
                      else "a population without a customer table (population.features)")
            found.append(f"{where}.from: the model was fitted with feature(s) {', '.join(lacking)} that {source} "
                         f"lacks; simulated customers have {', '.join(sorted(have))}")
    return found


def _assignment_problems(scenario: Scenario) -> list[str]:
    found = []
    for where, action in scenario.actions():
        spec = action.audience.assignment
        if spec is None:
            continue
        where = f"{where}.audience.assignment"
        if scenario.population.features is None:
            found.append(f"{where}: an assignment names customers of a customer table; give the table as "
                         "population.features (and its id column as population.features_id)")
            continue
        if not Path(spec.file).is_file():
            found.append(f"{where}.file: {spec.file} not found")
            continue
        try:
            chosen = assigned_rows(str(spec.file), spec.arm, str(scenario.population.features),
                                   scenario.population.features_id)
        except DataError as exc:
            found.append(f"{where}.file: {exc}")
            continue
        if not chosen.any():
            found.append(f"{where}.arm: {spec.file} gives arm {spec.arm!r} to no customer of "
                         f"{scenario.population.features}; check the arm and the id column (population.features_id)")
    return found


def _references(scenario: Scenario):
    for where, action in scenario.actions():
        if action.response is not None:
            yield f"{where}.response", action.response
        if action.audience.uplift is not None:
            yield f"{where}.audience.uplift", action.audience.uplift


class LearnedFeatures:
    """Features and predicted uplift of one replication's customers (shared by its sends)."""

    def __init__(self, scenario: Scenario, seed: int, replication: int):
        self.scenario = scenario
        file = scenario.population.features
        self.table = feature_table(str(file)) if file is not None else None
        self.seed, self.replication = seed, replication
        self._rows = np.zeros(0, dtype=np.int64)

    def refit(self, model: ResponseModel, arm: str, outcome: str):
        """This replication's draw among the model's bootstrap refits (the same for every policy)."""
        refits = model.response(arm, outcome).bootstrap
        rng = streams.generator(self.seed, self.replication, streams.FEATURES, _FEATURES_STREAM_REFIT)
        return refits[int(rng.integers(len(refits)))]

    def matrix(self, model: ResponseModel, pop: Customers, who: np.ndarray, t: float) -> np.ndarray:
        """The model's encoded features of customers `who` at hour t (table columns encoded once)."""
        import pandas as pd
        blocks = []
        for name in model.features:
            if self.table is not None and name in self.table.columns:
                blocks.append(_encoded_column(str(model.folder), str(self.scenario.population.features),
                                              name)[self.rows(len(pop))[who]])
            else:
                blocks.append(model.encoding.block(name, pd.Series(self._derived(name, pop, who, t))))
        return np.column_stack(blocks)

    def rows(self, n: int) -> np.ndarray:
        """Customer table row of each of the first n customers (drawn once, extended as customers join)."""
        if len(self._rows) < n:
            m = len(self.table)
            rng = streams.generator(self.seed, self.replication, streams.FEATURES, _FEATURES_STREAM_DRAW)
            rows = rng.integers(0, m, size=n)
            if m == self.scenario.population.size:
                rows[:m] = np.arange(m)
            self._rows = rows
        return self._rows

    def _derived(self, name: str, pop: Customers, who: np.ndarray, t: float) -> np.ndarray:
        if name == "recency_days":
            return np.maximum(t - pop.last_order[who], 0.0) / 24.0
        if name == "frequency":
            return pop.orders[who].astype(float)
        if name == "spend":
            return pop.value[who]
        if name == "rfm_group":
            return np.array(SEGMENTS, dtype=object)[pop.segment[who]]
        if name == "category":
            return np.array(list(self.scenario.population.categories), dtype=object)[pop.category[who]]
        return pop.is_new[who].astype(float)


def assignment_audience(spec: AssignmentAudience, features: LearnedFeatures, pop: Customers,
                        who: np.ndarray) -> np.ndarray:
    """The candidates `who` whose customer-table row the assignment file gives `spec.arm`."""
    if len(who) == 0:
        return who
    pop_settings = features.scenario.population
    chosen = assigned_rows(str(spec.file), spec.arm, str(pop_settings.features), pop_settings.features_id)
    return who[chosen[features.rows(len(pop))[who]]]


def uplift_audience(spec: UpliftAudience, features: LearnedFeatures, pop: Customers, who: np.ndarray,
                    t: float) -> np.ndarray:
    """The part of the candidates `who` the audience's model ranks as it says (point estimate)."""
    if len(who) == 0:
        return who
    model = model_at(str(spec.from_))
    X = features.matrix(model, pop, who, t)
    with threadpool_limits(1):
        score = model.response(spec.arm, spec.outcome).model.uplift(X)
        others = [model.response(a, spec.outcome).model.uplift(X) for a in model.arms if a != spec.arm] if spec.best else []
    keep = np.ones(len(who), dtype=bool)
    if spec.best:
        for other in others:
            keep &= score > other
    if spec.min_uplift is not None:
        keep &= score >= spec.min_uplift
    if spec.top < 1.0:
        cut = int(round(spec.top * len(who)))
        ranked = np.argsort(-score, kind="stable")[:cut]
        top = np.zeros(len(who), dtype=bool)
        top[ranked] = True
        keep &= top
    return who[keep]


def learned_lift(spec: LearnedResponse, features: LearnedFeatures, pop: Customers, who: np.ndarray, t: float,
                 expected: np.ndarray) -> np.ndarray:
    """Intensity lift L of each reached customer in `who` from the model's uplift (see module).

    `expected` is each customer's own expected purchases in the send's window without the
    send; an active customer with uplift tau then buys because of the send with probability
    tau / (share active), exactly: exp(-E) - exp(-E (1 + L)) = that probability.
    """
    if len(who) == 0:
        return np.zeros(0)
    model = model_at(str(spec.from_))
    with threadpool_limits(1):
        tau = features.refit(model, spec.arm, spec.outcome).uplift(features.matrix(model, pop, who, t))
    tau = np.maximum(tau, 0.0)
    active = pop.remaining[who] > 0
    share = active.mean()
    if share == 0:
        return np.zeros(len(who))
    none = np.exp(-expected)
    wanted = np.minimum(tau / share, none * (1.0 - 1e-9))
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = -np.log(none - wanted) / expected - 1.0
    return np.where(active & (expected > 0) & (wanted > 0), lift, 0.0)
