import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats import proportion as smp
from statsmodels.stats.multitest import multipletests

from sim.analysis import (
    COLUMNS,
    Guardrail,
    compare,
    compare_means_cuped,
    compare_ratios,
    compare_replications,
    is_proportion,
    paired_difference,
    srm,
)

CONTROL = "No E-Mail"
METRICS = ["visit", "conversion", "spend"]


@pytest.fixture(scope="module")
def table(hillstrom):
    return compare(hillstrom, "segment", CONTROL, METRICS)


def _arms(df, arm):
    return df[df.segment == arm], df[df.segment == CONTROL]


def test_table_shape_and_kinds(table):
    assert list(table.columns) == COLUMNS
    assert len(table) == 6
    kinds = dict(zip(table.metric, table.kind))
    assert kinds == {"visit": "proportion", "conversion": "proportion", "spend": "mean"}


def test_visit_rows_equal_statsmodels(hillstrom, table):
    for arm in ("Womens E-Mail", "Mens E-Mail"):
        a, c = _arms(hillstrom, arm)
        row = table[(table.arm == arm) & (table.metric == "visit")].iloc[0]
        args = (a.visit.sum(), len(a), c.visit.sum(), len(c))
        low, high = smp.confint_proportions_2indep(*args, method="newcomb")
        _, p = smp.proportions_ztest([args[0], args[2]], [args[1], args[3]])
        assert (row.ci_low, row.ci_high) == pytest.approx((low, high), rel=1e-12)
        assert row.p_value == pytest.approx(p, rel=1e-8)
        assert row.difference == pytest.approx(a.visit.mean() - c.visit.mean())
        assert row.lift == pytest.approx(a.visit.mean() / c.visit.mean() - 1)
        assert row.decision == "better"


def test_spend_rows_are_welch_t_with_a_permutation_p(hillstrom, table):
    a, c = _arms(hillstrom, "Womens E-Mail")
    row = table[(table.arm == "Womens E-Mail") & (table.metric == "spend")].iloc[0]
    ref = stats.ttest_ind(a.spend, c.spend, equal_var=False)
    assert row.difference == pytest.approx(a.spend.mean() - c.spend.mean(), rel=1e-12)
    # Welch p 0.0011; the permutation p (>= 2,000 shuffles, seed 0) agrees within Monte Carlo error.
    assert row.p_value == pytest.approx(ref.pvalue, abs=5e-4)
    assert "permutation p" in row.method
    ci = ref.confidence_interval()
    # the permutation quantile of |t| is 1.96 within Monte Carlo error (about 0.03): se 0.13 -> 0.004
    assert (row.ci_low, row.ci_high) == pytest.approx((ci.low, ci.high), abs=0.01)
    welch = compare(hillstrom, "segment", CONTROL, ["spend"], test="welch")
    w = welch[welch.arm == "Womens E-Mail"].iloc[0]
    assert w.p_value == pytest.approx(ref.pvalue, rel=1e-8)
    assert (w.ci_low, w.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-10)
    again = compare(hillstrom, "segment", CONTROL, METRICS)
    assert again.p_value.to_numpy() == pytest.approx(table.p_value.to_numpy(), rel=1e-12)  # seeded


def test_holm_adjustment_over_all_rows(table):
    _, adj, _, _ = multipletests(table.p_value, method="holm")
    assert table.p_adjusted.to_numpy() == pytest.approx(adj, rel=1e-12)


def test_bh_option(hillstrom):
    t = compare(hillstrom, "segment", CONTROL, METRICS, adjust="bh")
    _, adj, _, _ = multipletests(t.p_value, method="fdr_bh")
    assert t.p_adjusted.to_numpy() == pytest.approx(adj, rel=1e-12)


def test_cuped_and_ratio_rows(hillstrom):
    t = compare(hillstrom, "segment", CONTROL, ["spend"], covariate="history",
                ratios={"spend_per_conversion": ("spend", "conversion")})
    a, c = _arms(hillstrom, "Womens E-Mail")
    row = t[(t.arm == "Womens E-Mail") & (t.metric == "spend")].iloc[0]
    ref = compare_means_cuped(a.spend.to_numpy(float), a.history.to_numpy(float),
                              c.spend.to_numpy(float), c.history.to_numpy(float)).comparison
    assert (row.difference, row.ci_low, row.p_value) == pytest.approx((ref.difference, ref.ci_low, ref.p_value))
    assert "CUPED" in row.method
    ratio = t[(t.arm == "Womens E-Mail") & (t.metric == "spend_per_conversion")].iloc[0]
    r = compare_ratios(a.spend.to_numpy(float), a.conversion.to_numpy(float),
                       c.spend.to_numpy(float), c.conversion.to_numpy(float))
    assert ratio.kind == "ratio"
    assert (ratio.estimate_arm, ratio.ci_high) == pytest.approx((r.estimate_arm, r.ci_high))


def test_default_metrics_skip_labels_and_covariate(hillstrom):
    t = compare(hillstrom[["segment", "visit", "spend", "history"]], "segment", CONTROL, covariate="history")
    assert set(t.metric) == {"visit", "spend"}


def test_guardrails():
    rng = np.random.default_rng(1)
    n = 20000
    df = pd.DataFrame({
        "arm": np.repeat(["control", "sms", "sms_daily"], n),
        "buy": rng.binomial(1, np.repeat([0.05, 0.06, 0.06], n)),
        "opt_out": rng.binomial(1, np.repeat([0.010, 0.011, 0.030], n)),
    })
    t = compare(df, "arm", "control", guardrails={"opt_out": 0.005})
    g = t[t.role == "guardrail"].set_index("arm")
    assert g.loc["sms", "decision"] == "non-inferior"
    assert g.loc["sms_daily", "decision"] == "inferior"
    primary = t[t.role == "primary"]
    assert set(primary.metric) == {"buy"}
    _, adj, _, _ = multipletests(g.p_value, method="holm")
    assert g.p_adjusted.to_numpy() == pytest.approx(adj)
    t2 = compare(df, "arm", "control", guardrails={"buy": Guardrail(0.002, higher_is_better=True)})
    assert (t2[t2.role == "guardrail"].decision == "non-inferior").all()


def test_lower_is_better_flips_decision():
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"arm": np.repeat(["c", "t"], 5000),
                       "wait_minutes": np.r_[rng.exponential(10, 5000), rng.exponential(8, 5000)]})
    assert compare(df, "arm", "c").decision.iloc[0] == "worse"
    assert compare(df, "arm", "c", lower_is_better=["wait_minutes"]).decision.iloc[0] == "better"


def test_compare_replications_paired():
    rng = np.random.default_rng(3)
    shared = rng.normal(5e5, 5e4, 30)
    df = pd.DataFrame({
        "replication": np.tile(np.arange(30), 2),
        "policy": np.repeat(["no_waves", "three_waves"], 30),
        "gmv": np.r_[shared + rng.normal(0, 1e3, 30), shared + 4e3 + rng.normal(0, 1e3, 30)],
    })
    t = compare_replications(df, "policy", "no_waves", ["gmv"])
    ref = paired_difference(df.gmv[30:].to_numpy(), df.gmv[:30].to_numpy())
    row = t.iloc[0]
    assert (row.difference, row.ci_low, row.ci_high, row.p_value) == pytest.approx(
        (ref.mean_difference, ref.ci_low, ref.ci_high, ref.p_value))
    assert row.decision == "better"
    unpaired = compare_replications(df, "policy", "no_waves", ["gmv"], paired=False).iloc[0]
    assert unpaired.decision == "no detectable difference"


def test_srm_on_hillstrom_and_bad_split(hillstrom):
    assert not srm(hillstrom, "segment").mismatch
    df = pd.DataFrame({"arm": ["a"] * 10400 + ["b"] * 9600})
    assert srm(df, "arm").mismatch
    assert not srm(df, "arm", {"a": 0.52, "b": 0.48}).mismatch


def test_is_proportion():
    assert is_proportion(np.array([0, 1, 1, 0]))
    assert is_proportion(pd.Series([True, False]))
    assert not is_proportion(np.array([0, 1, 2]))
    assert not is_proportion(np.array([0.0, 0.5]))


def test_unknown_control_raises(hillstrom):
    with pytest.raises(ValueError):
        compare(hillstrom, "segment", "Nobody", METRICS)
