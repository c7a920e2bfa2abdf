"""Capped (winsorised) means of heavy-tailed spend: the cap is stated, A/A rate 5 %, more power."""

import numpy as np
import pandas as pd
import pytest

from sim.analysis import Cap, choose_cap, compare, compare_means, compare_means_capped, permutation_welch

N = 5000  # customers per arm


def heavy_spend(rng, size, rate=0.05):
    """95 % spend nothing (with `rate` 0.05); buyers' amounts lognormal(0, 2) yuan."""
    return np.where(rng.random(size) < rate, rng.lognormal(0.0, 2.0, size), 0.0)


def test_cap_at_a_pooled_percentile_or_a_value():
    a, c = np.arange(100.0), np.arange(100.0, 200.0)
    cap = choose_cap(a, c, quantile=0.99)
    assert cap.value == pytest.approx(np.quantile(np.r_[a, c], 0.99))
    assert cap.share_capped == pytest.approx(0.01)
    assert cap.describe() == "capped at 197 (99th percentile of the pooled arms; 1 % of customers capped)"
    given = choose_cap(a, c, value=150.0)
    assert (given.value, given.quantile, given.share_capped) == (150.0, pytest.approx(151 / 200), 49 / 200)
    with pytest.raises(ValueError, match="between 0 and 1"):
        choose_cap(a, c, quantile=99)


def test_a_cap_that_would_flatten_the_metric_is_refused():
    spend = np.r_[np.zeros(995), np.linspace(10, 500, 5)]  # 99.5 % spend nothing
    with pytest.raises(ValueError, match="99.5% of customers"):
        choose_cap(spend, spend, quantile=0.99)
    assert choose_cap(spend, spend, quantile=0.999).value > 0


def test_capped_comparison_is_the_comparison_of_capped_values():
    rng = np.random.default_rng(1)
    a, c = heavy_spend(rng, 3000, rate=0.07), heavy_spend(rng, 3000)
    res = compare_means_capped(a, c, quantile=0.99, rng=np.random.default_rng(2))
    cap = choose_cap(a, c, quantile=0.99)
    ref = compare_means(np.minimum(a, cap.value), np.minimum(c, cap.value), test="permutation",
                        rng=np.random.default_rng(2))
    assert res.cap == cap.value
    assert (res.difference, res.ci_low, res.p_value) == pytest.approx((ref.difference, ref.ci_low, ref.p_value))
    assert res.method.startswith(f"capped at {cap.value:.4g} (99th percentile")
    welch = compare_means_capped(a, c, value=20.0, test="welch")
    assert welch.cap == 20.0 and "t-test" in welch.method


def test_capped_test_has_five_percent_aa_rate_and_more_power_on_heavy_tails():
    """Capped at the pooled 99th percentile against the plain mean, both by the permutation test.

    A/A: 1,000 tests of 5,000 customers an arm; the permutation test of capped values is
    exact (the cap does not depend on the labels), so the rate is 0.0498 with a binomial
    standard error of 0.0069: [0.035, 0.065] is +-2.2 of them; the plain test's A/A rate is
    checked in test_permutation.py. Power: 300 tests with 30 % more buyers (6.5 % against
    5 %); 2,000 tests measured 0.55 capped against 0.15 plain, so capped > plain + 0.25
    leaves more than 6 standard errors of room.
    """
    rng = np.random.default_rng(99)
    kw = dict(rng=rng, n_permutations=200, max_permutations=200)

    def capped_test(a, c):
        cap = choose_cap(a, c, quantile=0.99).value
        return permutation_welch(np.minimum(a, cap), np.minimum(c, cap), **kw).p_value < 0.05

    aa = np.mean([capped_test(heavy_spend(rng, N), heavy_spend(rng, N)) for _ in range(1000)])
    assert 0.035 <= aa <= 0.065, aa
    plain = capped = 0
    for _ in range(300):
        a, c = heavy_spend(rng, N, 0.065), heavy_spend(rng, N)
        plain += permutation_welch(a, c, **kw).p_value < 0.05
        capped += capped_test(a, c)
    assert capped / 300 > plain / 300 + 0.25, (plain / 300, capped / 300)


def test_compare_table_states_the_cap():
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"arm": np.repeat(["control", "sms", "app"], 4000),
                       "spend": np.r_[heavy_spend(rng, 4000), heavy_spend(rng, 4000, 0.08), heavy_spend(rng, 4000)],
                       "bought": rng.binomial(1, 0.1, 12000)})
    table = compare(df, "arm", "control", ["spend", "bought"], cap=0.99).set_index(["arm", "metric"])
    cap = choose_cap(df.spend.to_numpy(), quantile=0.99)  # one cap over all arms
    for arm in ("sms", "app"):
        assert table.loc[(arm, "spend"), "method"].startswith(f"capped at {cap.value:.4g} (99th percentile")
        capped = df.assign(spend=np.minimum(df.spend, cap.value))
        assert table.loc[(arm, "spend"), "difference"] == pytest.approx(
            capped[capped.arm == arm].spend.mean() - capped[capped.arm == "control"].spend.mean())
    assert table.loc[("sms", "spend"), "decision"] == "better"
    assert "capped" not in table.loc[("sms", "bought"), "method"]  # rates are not capped
    given = compare(df, "arm", "control", ["spend"], cap={"spend": 30.0})
    assert given.method.str.startswith("capped at 30 (").all()
    with pytest.raises(ValueError, match="not both"):
        compare(df.assign(pre=1.0 + rng.random(12000)), "arm", "control", ["spend"], covariate="pre", cap=0.99)
    assert isinstance(choose_cap(df.spend.to_numpy()), Cap)


def test_analyze_experiment_caps_and_refuses_bad_caps(tmp_path):
    from sim.studies.comparison import InputError
    from sim.studies.experiment_analysis import analyze_experiment

    rng = np.random.default_rng(6)
    path = tmp_path / "export.csv"
    spend = np.r_[heavy_spend(rng, 3000), heavy_spend(rng, 3000, 0.08)]
    pd.DataFrame({"arm": np.repeat(["control", "sms"], 3000), "spend": spend,
                  "rare": np.r_[np.zeros(5990), np.ones(10) * 50.0],
                  "pre": rng.random(6000)}).to_csv(path, index=False)
    res = analyze_experiment(path, "arm", "control", ["spend"], cap=0.99)
    cap = choose_cap(spend, quantile=0.99)
    assert res.table.method.iloc[0].startswith(f"capped at {cap.value:.4g} (99th percentile")
    for bad, message in ((1.5, "share of customers"), (0.99, "at or below 0")):
        with pytest.raises(InputError, match=message):
            analyze_experiment(path, "arm", "control", ["spend", "rare"], cap=bad)
    with pytest.raises(InputError, match="covariate"):
        analyze_experiment(path, "arm", "control", ["spend"], cap=0.99, covariate="pre")
