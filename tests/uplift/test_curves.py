"""Uplift and Qini curves, AUUC and the Qini coefficient against scikit-uplift's own functions."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from sim.uplift.curves import auuc, calibration, qini_coefficient, qini_curve, uplift_curve

sklift = pytest.importorskip("sklift.metrics")


def _experiment(n: int, seed: int, ties: bool = False):
    rng = np.random.default_rng(seed)
    treated = rng.integers(0, 2, n)
    x = rng.normal(size=n)
    y = (rng.random(n) < 0.1 + 0.12 * treated * (x > 0)).astype(int)
    score = x + 0.5 * rng.normal(size=n)
    return y, treated, np.round(score, 1) if ties else score


@pytest.mark.parametrize("n,seed,ties", [(300, 1, False), (300, 2, True), (5000, 3, False), (5000, 4, True)])
def test_normalised_areas_agree_with_scikit_uplift(n, seed, ties):
    y, treated, score = _experiment(n, seed, ties)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected_qini = sklift.qini_auc_score(y, score, treated)
        expected_auuc = sklift.uplift_auc_score(y, score, treated)
        x_q, v_q = sklift.qini_curve(y, score, treated)
        x_u, v_u = sklift.uplift_curve(y, score, treated)
    assert qini_coefficient(y, treated, score) == pytest.approx(expected_qini, rel=1e-12)
    assert auuc(y, treated, score) == pytest.approx(expected_auuc, rel=1e-12)
    np.testing.assert_allclose(qini_curve(y, treated, score), (x_q, v_q))
    np.testing.assert_allclose(uplift_curve(y, treated, score), (x_u, v_u))


def test_the_true_effect_ranks_better_than_noise_and_perfect_is_one():
    y, treated, score = _experiment(20000, 5)
    noise = np.random.default_rng(6).random(len(y))
    assert qini_coefficient(y, treated, score) > 0.1
    assert abs(qini_coefficient(y, treated, noise)) < 0.05
    assert qini_coefficient(y, treated, np.where(treated == 1, y, -y)) == pytest.approx(1.0)


def test_deciles_recover_a_known_step_in_the_effect():
    y, treated, score = _experiment(40000, 7)
    deciles = calibration(y, treated, score)
    assert [d.decile for d in deciles] == list(range(1, 11))
    top, bottom = deciles[0], deciles[-1]
    assert top.observed == pytest.approx(0.12, abs=4 * top.observed_se)
    assert bottom.observed == pytest.approx(0.0, abs=4 * bottom.observed_se)


def test_gain_share_is_one_for_the_oracle_zero_for_noise_and_negative_reversed():
    from sim.studies.uplift_check import gain_share

    rng = np.random.default_rng(8)
    true = rng.exponential(1.0, 5000) * (rng.random(5000) < 0.2)
    assert gain_share(true, true) == pytest.approx(1.0)
    assert gain_share(-true, true) < 0
    assert abs(gain_share(rng.random(5000), true)) < 0.1
