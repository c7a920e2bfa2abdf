"""Meta-learners recover known effects: per-group closed forms and a simulated heterogeneous effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.uplift.encoding import learn_encoding
from sim.uplift.learners import METHODS, fit_uplift


def test_t_linear_on_one_categorical_feature_equals_the_per_group_difference_in_means():
    rng = np.random.default_rng(0)
    n = 60000
    group = rng.choice(["a", "b", "c"], n)
    treated = rng.random(n) < 0.5
    base = pd.Series(group).map({"a": 0.05, "b": 0.10, "c": 0.20}).to_numpy()
    effect = pd.Series(group).map({"a": 0.00, "b": 0.03, "c": 0.08}).to_numpy()
    y = (rng.random(n) < base + treated * effect).astype(float)
    enc = learn_encoding(pd.DataFrame({"g": group}))
    X = enc.transform(pd.DataFrame({"g": group}))
    model = fit_uplift("t-linear", "rate", X, y, treated)
    up, bl = model.uplift(X), model.baseline(X)
    for g in "abc":
        m = group == g
        observed = y[m & treated].mean() - y[m & ~treated].mean()
        assert up[m][0] == pytest.approx(observed, abs=2e-3)
        assert bl[m][0] == pytest.approx(y[m & ~treated].mean(), abs=1e-3)


def _heterogeneous(n: int, seed: int):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    channel = rng.choice(["web", "phone"], n)
    treated = rng.random(n) < 0.5
    p0 = 1 / (1 + np.exp(-(-2.0 + 0.5 * x2)))
    tau = 0.06 * (x1 > 0) + 0.03 * (channel == "web")
    y = (rng.random(n) < p0 + treated * tau).astype(float)
    feats = pd.DataFrame({"x1": x1.astype(str), "x2": x2.astype(str), "channel": channel})
    return feats, y, treated, tau


@pytest.mark.parametrize("method", METHODS)
def test_every_method_ranks_a_known_heterogeneous_effect(method):
    feats, y, treated, tau = _heterogeneous(30000, 1)
    enc = learn_encoding(feats)
    X = enc.transform(feats)
    model = fit_uplift(method, "rate", X, y, treated, seed=3)
    predicted = model.uplift(X)
    corr = np.corrcoef(predicted, tau)[0, 1]
    assert corr > 0.6, f"{method}: correlation with the true effect {corr:.2f}"
    observed = y[treated].mean() - y[~treated].mean()  # the unbiased average effect of this sample
    assert predicted.mean() == pytest.approx(observed, abs=0.004)
    assert np.all(model.baseline(X) + predicted <= 1.0 + 1e-12) and np.all(model.baseline(X) + predicted >= -1e-12)


def test_money_outcomes_keep_treated_spend_non_negative():
    feats, y, treated, _ = _heterogeneous(8000, 2)
    spend = y * np.random.default_rng(4).lognormal(4, 1, len(y))
    enc = learn_encoding(feats)
    X = enc.transform(feats)
    for method in METHODS:
        model = fit_uplift(method, "money", X, spend, treated)
        assert np.all(model.baseline(X) + model.uplift(X) >= -1e-9)


def test_encoding_handles_missing_values_rare_and_unseen_levels():
    train = pd.DataFrame({"age": ["30", "", "40", "50"] * 10, "city": ["A"] * 25 + ["B"] * 14 + [""]})
    enc = learn_encoding(train)
    assert enc.columns == ["age", "age=(missing)", "city=A", "city=(other)"]
    new = pd.DataFrame({"age": ["", "35"], "city": ["Z", "A"]})
    X = enc.transform(new)
    raw = X * np.array(enc.scale) + np.array(enc.mean)
    np.testing.assert_allclose(raw[0], [40.0, 1.0, 0.0, 1.0])
    np.testing.assert_allclose(raw[1], [35.0, 0.0, 1.0, 0.0])
    assert type(enc).from_dict(enc.to_dict()) == enc
