"""Planning a test: customers per arm for an effect, or the effect a size can detect."""

from __future__ import annotations

from dataclasses import dataclass

from sim.analysis import (
    detectable_effect_means,
    detectable_effect_proportions,
    sample_size_means,
    sample_size_proportions,
)
from sim.studies.comparison import InputError

@dataclass(frozen=True)
class Plan:
    """A planned test: customers per arm and the effect they can detect.

    `kind` is "proportion" (`baseline` rate, `mde` in absolute points, 0.01 = one point) or
    "mean" (`sd` and `mde` in yuan per customer). `solved_for` says which of `n_per_arm` and
    `mde` was computed; `alpha_per_comparison` is `alpha` split over the arms - 1 comparisons.
    """

    kind: str
    solved_for: str
    n_per_arm: int
    total: int
    mde: float
    baseline: float | None
    sd: float | None
    arms: int
    alpha: float
    alpha_per_comparison: float
    power: float
    effect_size: float
    method: str


def _check_plan(baseline, mde, n, sd, alpha, power, arms) -> str:
    if (mde is None) == (n is None):
        raise InputError("give exactly one of mde (to get the customers per arm) and n "
                         "(to get the detectable effect)")
    if sd is not None and baseline is not None:
        raise InputError("give baseline for a rate or sd for a money metric, not both")
    if sd is None and baseline is None:
        raise InputError("give baseline (the control's rate) or sd (the spread of a money metric)")
    for name, value in (("alpha", alpha), ("power", power)):
        if not 0 < value < 1:
            raise InputError(f"{name} must be between 0 and 1, got {value:g}")
    if arms < 2:
        raise InputError(f"arms counts the control too, so it is at least 2, got {arms}")
    if n is not None and n < 2:
        raise InputError(f"n is customers per arm, at least 2, got {n}")
    if mde is not None and mde == 0:
        raise InputError("mde must not be 0")
    if sd is not None:
        if not sd > 0:
            raise InputError(f"sd must be positive, got {sd:g}")
        return "mean"
    if not 0 < baseline < 1:
        raise InputError(f"baseline is a rate strictly between 0 and 1, got {baseline:g}")
    if mde is not None and not 0 < baseline + mde < 1:
        raise InputError(f"baseline + mde = {baseline:g} + {mde:g} = {baseline + mde:g} is not a "
                         "rate strictly between 0 and 1 (mde is in absolute points: 0.01 = one point)")
    return "proportion"


def plan(
    *,
    baseline: float | None = None,
    mde: float | None = None,
    n: int | None = None,
    sd: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    arms: int = 2,
) -> Plan:
    """Customers per arm for an effect `mde`, or the effect detectable with `n` per arm.

    Give `baseline` (control rate) for a 0/1 outcome or `sd` (per-customer standard
    deviation, yuan) for a money metric, and exactly one of `mde` and `n`. Two-sided tests at
    family level `alpha` (Bonferroni over the arms - 1 comparisons with the control) with
    `power` per comparison: `sim.analysis.sample_size_proportions` (normal approximation,
    Cohen's h) and `sample_size_means` (t-test, Cohen's d) and their reverses. The detectable
    effect of a rate is the rise above `baseline`.
    """
    kind = _check_plan(baseline, mde, n, sd, alpha, power, arms)
    kw = dict(alpha=alpha, power=power, arms=arms)
    solved_for = "n" if n is None else "mde"
    if solved_for == "mde":
        try:
            mde = (detectable_effect_means(n, sd, **kw) if kind == "mean"
                   else detectable_effect_proportions(n, baseline, **kw))
        except ValueError as exc:
            raise InputError(str(exc)) from None
    size = sample_size_means(sd, mde, **kw) if kind == "mean" else sample_size_proportions(baseline, mde, **kw)
    n_per_arm = size.n_per_arm if n is None else int(n)
    return Plan(kind=kind, solved_for=solved_for, n_per_arm=n_per_arm, total=n_per_arm * arms,
                mde=float(mde), baseline=baseline, sd=sd, arms=arms, alpha=alpha,
                alpha_per_comparison=size.alpha_per_comparison, power=power,
                effect_size=size.effect_size, method=size.method)
