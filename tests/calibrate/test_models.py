"""Fitted models against published CDNOW estimates and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import hyp2f1

from sim.calibrate import bgnbd, gamma_gamma, pareto_nbd
from sim.calibrate.holdout import score_holdout


def _cols(summary):
    c = summary.customers
    return c["x"], c["t_x"], c["T"]


def test_bgnbd_matches_published_cdnow_sample(sample_summary) -> None:
    # Fader, Hardie & Lee (2005): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4
    fit = bgnbd.fit(*_cols(sample_summary))
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert fit.params[name] == pytest.approx(value, abs=0.0015), name
    assert fit.loglik == pytest.approx(-9582.4, abs=0.1)
    assert all(0 < se < fit.params[k] for k, se in fit.se.items())


def test_pareto_nbd_matches_published_cdnow_sample(sample_summary) -> None:
    # Fader & Hardie's notes: r = 0.55, alpha = 10.58, s = 0.61, beta = 11.67
    fit = pareto_nbd.fit(*_cols(sample_summary))
    published = {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67}
    for name, value in published.items():
        assert fit.params[name] == pytest.approx(value, abs=0.01), name
    assert fit.loglik == pytest.approx(-9595.0, abs=0.1)


def test_gamma_gamma_matches_published_cdnow_sample(sample_summary) -> None:
    # Fader, Hardie & Lee (2005, "RFM and CLV"): p = 6.25, q = 3.74, gamma = 15.44; 946 repeaters
    c = sample_summary.customers
    fit = gamma_gamma.fit(c["gg_x"], c["gg_mean"])
    assert fit.n == 946
    for name, value in {"p": 6.25, "q": 3.74, "gamma": 15.44}.items():
        assert fit.params[name] == pytest.approx(value, abs=0.01), name
    assert gamma_gamma.frequency_value_correlation(c["gg_x"], c["gg_mean"]) == pytest.approx(
        0.11, abs=0.01)


def test_full_log_holdout_underforecast(full_summary) -> None:
    # The plain BG/NBD forecast of holdout repeat transactions is about 14 % low on CDNOW.
    bg = tuple(bgnbd.fit(*_cols(full_summary)).params.values())
    pn = tuple(pareto_nbd.fit(*_cols(full_summary)).params.values())
    h = score_holdout(full_summary, bg, pn)
    assert h.actual == int(full_summary.customers["x_holdout"].sum())
    assert -0.16 < h.error_bgnbd < -0.12
    assert list(h.by_frequency["frequency"]) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert h.by_frequency["customers"].sum() == 23_570
    cal = h.cumulative[h.cumulative["period_type"] == "calibration"]
    assert len(cal) == 39 and cal["actual"].iloc[-1] == full_summary.customers["x"].sum()


def test_conditional_expectation_equals_direct_formula() -> None:
    # FHL (2005, eq. 10) as printed, against the Pfaff-transformed version used in the module.
    r, alpha, a, b = params = (0.243, 4.414, 0.793, 2.426)
    x, t_x, T, t = np.array([0, 1, 4, 10.0]), np.array([0, 5, 20, 30.0]), 35.0, 39.0
    head = (a + b + x - 1) / (a - 1)
    tail = ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1,
                                                               t / (alpha + T + t))
    delta = np.where(x > 0, a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
    direct = head * (1 - tail) / (1 + delta)
    assert np.allclose(bgnbd.conditional_expected_purchases(params, t, x, t_x, T), direct)
    unconditional = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r
                                             * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
    assert bgnbd.expected_purchases(params, t) == pytest.approx(unconditional)


def test_large_counts_stay_finite() -> None:
    x, t_x, T = np.array([800.0, 2000.0]), np.array([50.0, 51.0]), np.array([52.0, 52.0])
    bg = (0.243, 4.414, 0.793, 2.426)
    pn = (0.55, 10.58, 0.61, 11.67)
    for values in (bgnbd.loglik(bg, x, t_x, T), bgnbd.conditional_expected_purchases(bg, 52, x, t_x, T),
                   pareto_nbd.loglik(pn, x, t_x, T), pareto_nbd.p_alive(pn, x, t_x, T),
                   pareto_nbd.loglik((0.55, 1.0, 0.61, 80.0), x, t_x, T)):
        assert np.all(np.isfinite(values))
