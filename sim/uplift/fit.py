"""Learning each customer's response to each arm of a past campaign test.

For every arm against the control and every outcome: customers are split once into a
training and a validation part (stratified by arm, seeded); each candidate method is fitted
on the training part and the one with the highest Qini coefficient on the validation part is
kept (`method="auto"`), or the method given is used. The kept method is refitted on all
customers for use, and `bootstrap` more times on customers resampled within each arm, which
is the uncertainty the predictions, the targeting and the simulation carry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.errors import SimError
from sim.uplift.diagnostics import Validation, validate
from sim.uplift.encoding import Encoding, learn_encoding
from sim.uplift.learners import METHODS, UpliftModel, fit_uplift
from sim.uplift.curves import qini_coefficient
from sim.uplift.table import CampaignTable, read_campaign

Progress = Callable[[int, int], None]


@dataclass
class ArmResponse:
    """The learned response of one arm for one outcome, with its bootstrap refits."""

    arm: str
    outcome: str
    kind: str
    method: str
    model: UpliftModel
    bootstrap: list[UpliftModel]
    validation: Validation


@dataclass
class ResponseModel:
    """Everything learned from one campaign test (what `sim response fit` writes)."""

    source: str
    sha256: str
    arm_column: str
    control: str
    arms: tuple[str, ...]
    outcomes: dict[str, str]
    encoding: Encoding
    responses: dict[tuple[str, str], ArmResponse]
    customers: dict[str, int]
    seed: int
    validation_share: float
    method: str
    folder: Path | None = field(default=None, compare=False)

    @property
    def features(self) -> list[str]:
        return self.encoding.names

    def response(self, arm: str, outcome: str) -> ArmResponse:
        if arm not in self.arms:
            raise SimError(f"the response model has no arm {arm!r}; its arms: {', '.join(self.arms)}")
        if outcome not in self.outcomes:
            raise SimError(f"the response model has no outcome {outcome!r}; its outcomes: {', '.join(self.outcomes)}")
        return self.responses[(arm, outcome)]


def fit_response(export: str | Path, *, arm: str, control: str, outcomes: Sequence[str],
                 features: Sequence[str], id_column: str | None = None, method: str = "auto",
                 validation_share: float = 0.3, bootstrap: int = 30, seed: int = 0,
                 encoding: str | None = None, progress: Progress | None = None) -> ResponseModel:
    """Fit the response of every arm and outcome of the test in `export` (a CSV file)."""
    if method != "auto" and method not in METHODS:
        raise SimError(f"--method {method!r}: expected auto or one of {', '.join(METHODS)}")
    if not 0.05 <= validation_share <= 0.5:
        raise SimError(f"--validation-share {validation_share:g}: expected a share between 0.05 and 0.5")
    if not 2 <= bootstrap <= 1000:
        raise SimError(f"--bootstrap {bootstrap}: expected between 2 and 1000 refits")
    table = read_campaign(export, arm, control, outcomes, features, id_column, encoding)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # small trees: threads cost more than they give, far more on a busy machine
        return fit_table(table, method, validation_share, bootstrap, seed, progress)


def fit_table(table: CampaignTable, method: str = "auto", validation_share: float = 0.3, bootstrap: int = 30,
              seed: int = 0, progress: Progress | None = None) -> ResponseModel:
    """Fit every arm and outcome of a checked campaign table (see module); `fit_response` reads one first."""
    enc = learn_encoding(table.features)
    X = enc.transform(table.features)
    rng = np.random.default_rng(seed)
    held = _validation_rows(table.arm, validation_share, rng)
    methods = list(METHODS) if method == "auto" else [method]
    steps = _Steps(progress, len(table.arms) * len(table.kinds) * (len(methods) + 1 + bootstrap))
    responses = {}
    for a_index, arm in enumerate(table.arms):
        rows = np.flatnonzero((table.arm == arm) | (table.arm == table.control))
        for o_index, outcome in enumerate(table.kinds):
            key = int(np.random.SeedSequence([seed, a_index, o_index]).generate_state(1)[0] % 2**31)
            responses[(arm, outcome)] = _fit_arm(table, X, enc, arm, outcome, rows, held[rows], methods,
                                                 bootstrap, key, rng, steps)
    counts = {str(k): int(v) for k, v in zip(*np.unique(table.arm, return_counts=True))}
    return ResponseModel(source=str(table.path), sha256=table.sha256, arm_column=table.arm_column,
                         control=table.control, arms=table.arms, outcomes=dict(table.kinds), encoding=enc,
                         responses=responses, customers=counts, seed=seed, validation_share=validation_share,
                         method=method)


def _fit_arm(table: CampaignTable, X: np.ndarray, enc: Encoding, arm: str, outcome: str, rows: np.ndarray,
             held: np.ndarray, methods: list[str], bootstrap: int, key: int, rng: np.random.Generator,
             steps: _Steps) -> ArmResponse:
    """One arm and outcome: candidates scored on the validation rows, the kept one refitted and resampled."""
    y, kind = table.outcomes[outcome].to_numpy(), table.kinds[outcome]
    treated = table.arm[rows] == arm
    train, valid = rows[~held], rows[held]
    scores, fitted = {}, {}
    for m in methods:
        fitted[m] = fit_uplift(m, kind, X[train], y[train], treated[~held], seed=key)
        scores[m] = qini_coefficient(y[valid], treated[held], fitted[m].uplift(X[valid]))
        steps.tick()
    chosen = max(methods, key=lambda m: (np.nan_to_num(scores[m], nan=-np.inf), -methods.index(m)))
    check = validate(fitted[chosen], X[valid], y[valid], treated[held], enc.groups(), key, scores)
    model = fit_uplift(chosen, kind, X[rows], y[rows], treated, seed=key)
    steps.tick()
    refits = []
    for b in range(bootstrap):
        pick = _resample_rows(rng, rows, treated)
        refits.append(fit_uplift(chosen, kind, X[pick], y[pick], table.arm[pick] == arm, seed=key + b + 1))
        steps.tick()
    return ArmResponse(arm, outcome, kind, chosen, model, refits, check)


class _Steps:
    """Counts fits done for a progress callback."""

    def __init__(self, progress: Progress | None, total: int):
        self.progress, self.total, self.done = progress, total, 0

    def tick(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)


def _validation_rows(arm: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """True for the customers kept for validation: `share` of each arm, at random."""
    held = np.zeros(len(arm), dtype=bool)
    for label in np.unique(arm):
        members = np.flatnonzero(arm == label)
        held[rng.choice(members, size=int(round(share * len(members))), replace=False)] = True
    return held


def _resample_rows(rng: np.random.Generator, rows: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """A bootstrap resample of `rows` with each arm's size kept."""
    return np.concatenate([rng.choice(rows[treated], size=int(treated.sum())),
                           rng.choice(rows[~treated], size=int((~treated).sum()))])
