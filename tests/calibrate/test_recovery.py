"""Parameter recovery on data simulated from known BG/NBD and Gamma-Gamma parameters."""

from __future__ import annotations

import numpy as np

from sim.calibrate import bgnbd, gamma_gamma


def simulate_bgnbd(rng: np.random.Generator, n: int, r: float, alpha: float, a: float, b: float,
                   T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and t_x for n customers observed for T after their first purchase (FHL 2005 story).

    Repeat purchases follow a Poisson process with rate lambda ~ Gamma(r, rate alpha); after each
    repeat purchase the customer drops out with probability p ~ Beta(a, b), so she makes at most
    J ~ Geometric(p) repeat purchases. The x-th of N uniform arrival times is T * Beta(x, N-x+1).
    """
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    arrivals = rng.poisson(lam * T)
    x = np.minimum(arrivals, rng.geometric(p))
    t_x = np.zeros(n)
    pos = x > 0
    t_x[pos] = T[pos] * rng.beta(x[pos], arrivals[pos] - x[pos] + 1)
    return x, t_x


def test_bgnbd_recovers_known_parameters() -> None:
    rng = np.random.default_rng(20051111)
    true = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}
    T = rng.uniform(26.0, 52.0, 5000)
    x, t_x = simulate_bgnbd(rng, 5000, *true.values(), T)
    fit = bgnbd.fit(x, t_x, T)
    # tolerance: three standard errors from the inverse Hessian
    for name, value in true.items():
        assert abs(fit.params[name] - value) < 3 * fit.se[name], (name, fit.params, fit.se)


def test_gamma_gamma_recovers_known_parameters() -> None:
    rng = np.random.default_rng(15)
    p, q, gamma = 6.0, 4.0, 15.0
    n = 5000
    nu = rng.gamma(q, 1.0 / gamma, n)
    x = rng.integers(1, 8, n)
    m = rng.gamma(p * x, 1.0 / nu) / x  # mean of x Gamma(p, nu) values
    fit = gamma_gamma.fit(x, m)
    for name, value in {"p": p, "q": q, "gamma": gamma}.items():
        assert abs(fit.params[name] - value) < 3 * fit.se[name], (name, fit.params, fit.se)
    assert abs(gamma_gamma.frequency_value_correlation(x, m)) < 0.1
