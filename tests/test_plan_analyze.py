"""`sim analyze` on a real experiment export and `sim plan`, checked against statsmodels and scipy."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats import proportion as smp
from typer.testing import CliRunner

import sim.io.datasets
from cli import app
from sim.analysis import Guardrail
from sim.studies.comparison import InputError
from sim.studies.experiment_analysis import analyze_experiment
from sim.studies.test_plan import plan

runner = CliRunner()
CONTROL = "No E-Mail"
ANALYZE = ["--arm", "segment", "--control", CONTROL, "--metric", "visit", "--metric", "conversion",
           "--metric", "spend"]


@pytest.fixture(scope="module")
def hillstrom():
    return sim.io.datasets.load_hillstrom()


@pytest.fixture(scope="module")
def hillstrom_csv(hillstrom, tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "hillstrom.csv"
    hillstrom.to_csv(path, index=False)
    return path


def _analyze(csv, out, *extra):
    result = runner.invoke(app, ["analyze", str(csv), *ANALYZE, *extra, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result, pd.read_csv(out).set_index(["arm", "metric"])


def test_hillstrom_rates_and_spend_match_statsmodels_and_scipy(hillstrom, hillstrom_csv, tmp_path):
    result, table = _analyze(hillstrom_csv, tmp_path / "comparison.csv")
    assert len(table) == 6 and set(table.index.get_level_values("arm")) == {"Mens E-Mail", "Womens E-Mail"}
    control = hillstrom[hillstrom.segment == CONTROL]
    for arm, metric in (("Mens E-Mail", "visit"), ("Womens E-Mail", "conversion")):
        treated = hillstrom[hillstrom.segment == arm]
        counts = (treated[metric].sum(), len(treated), control[metric].sum(), len(control))
        test = smp.test_proportions_2indep(*counts, method="score", correction=False)
        low, high = smp.confint_proportions_2indep(*counts, method="newcomb", compare="diff")
        row = table.loc[(arm, metric)]
        assert row["kind"] == "proportion"
        assert row["difference"] == pytest.approx(treated[metric].mean() - control[metric].mean(), rel=1e-12)
        assert row["p_value"] == pytest.approx(test.pvalue, rel=1e-9)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), rel=1e-12)
    womens = hillstrom[hillstrom.segment == "Womens E-Mail"]
    welch = stats.ttest_ind(womens.spend, control.spend, equal_var=False)
    ci = welch.confidence_interval(0.95)
    row = table.loc[("Womens E-Mail", "spend")]
    # money: Welch's t referred to label shuffles (exact under A/A whatever the tail), close to Welch here
    assert "permutation p" in row["method"]
    assert row["p_value"] == pytest.approx(welch.pvalue, abs=5e-4)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high), abs=0.01)
    # every row is better at the 5 % level after Holm; the split matches the plan
    assert (table["decision"] == "better").all()
    counts = hillstrom.segment.value_counts().sort_index()
    assert "no mismatch" in " ".join(result.output.split())  # the sentence is wrapped at 80 columns
    assert f"p = {stats.chisquare(counts).pvalue:.4f}" in result.output


def test_hillstrom_with_covariate_is_cuped_on_history(hillstrom, hillstrom_csv, tmp_path):
    _, table = _analyze(hillstrom_csv, tmp_path / "cuped.csv", "--covariate", "history")
    mens, control = (hillstrom[hillstrom.segment == s] for s in ("Mens E-Mail", CONTROL))
    both = pd.concat([mens, control])
    theta = np.cov(both.spend, both.history)[0, 1] / np.var(both.history, ddof=1)
    adjust = lambda d: d.spend - theta * (d.history - both.history.mean())  # noqa: E731
    welch = stats.ttest_ind(adjust(mens), adjust(control), equal_var=False)
    row = table.loc[("Mens E-Mail", "spend")]
    assert row["method"].startswith("CUPED on history")
    assert row["p_value"] == pytest.approx(welch.pvalue, rel=1e-9)
    assert row["difference"] == pytest.approx(adjust(mens).mean() - adjust(control).mean(), rel=1e-9)
    # rates are not adjusted
    assert table.loc[("Mens E-Mail", "visit"), "method"].startswith("diff=newcomb")


def test_analyze_api_guardrail_and_split(hillstrom_csv):
    guard = {"conversion": Guardrail(0.001, higher_is_better=True)}
    res = analyze_experiment(hillstrom_csv, "segment", CONTROL, ["visit"], guardrails=guard,
                             planned_shares={"No E-Mail": 1, "Mens E-Mail": 1, "Womens E-Mail": 2}, adjust="bh")
    assert res.srm.mismatch and res.planned_shares["Womens E-Mail"] == pytest.approx(0.5)
    guard = res.table[res.table.role == "guardrail"]
    assert len(guard) == 2 and set(guard.decision) == {"non-inferior"}


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("content, args, expected", [
    (None, [], "file not found"),
    ("", [], "the file is empty"),
    ("arm,y,spend\n", [], "header but no customers"),
    ("arm,y\nA,1\nB,0\n", [], "no column 'spend'; available columns: 'arm', 'y'"),
    ("arm,y,spend\nA,1,3\nA,0,n/a\nB,1,2\nB,0,oops\n", [], "column 'spend' has 2 non-numeric value(s), "
                                                         "first: line 3: 'n/a'; line 5: 'oops'"),
    ("arm,y,spend\nA,1,3\nA,0,\nB,1,2\nB,0,1\n", [], "column 'spend' has 1 missing value(s)"),
    ("arm,y,spend\nX,1,3\nX,0,1\nB,1,2\nB,0,1\n", [], "control arm 'A' not found in column 'arm'; "
                                                     "arms present: 'B' (2), 'X' (2)"),
    ("arm,y,spend\nA,1,3\nA,0,1\nB,1,2\nB,0,1\n", ["--split", "A=0.34", "--split", "B=0.33", "--split", "C=0.33"],
     "arm(s) 'C' have no rows"),
    ("arm,y,spend\nA,1,3\nA,0,1\nB,1,2\nB,0,1\n", ["--split", "A=0.9", "--split", "B=1.8"],
     "--split shares must add up to 1, one per arm; A=0.9, B=1.8 add up to 2.7"),
    ("arm,y,spend\nA,1,3\nA,0,1\nB,1,2\n", [], "arm(s) 'B' have fewer than 2 customers"),
])
def test_analyze_bad_input_is_a_clear_error_and_writes_nothing(tmp_path, content, args, expected):
    csv = tmp_path / "export.csv" if content is None else _write(tmp_path, "export.csv", content)
    out = tmp_path / "comparison.csv"
    result = runner.invoke(app, ["analyze", str(csv), "--arm", "arm", "--control", "A", "--metric", "y",
                                 "--metric", "spend", *args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert expected in result.output, result.output
    assert "Traceback" not in result.output and not out.exists()


def test_analyze_rejects_a_bad_guardrail(tmp_path):
    csv = _write(tmp_path, "e.csv", "arm,y\nA,1\nA,0\nB,1\nB,0\n")
    result = runner.invoke(app, ["analyze", str(csv), "--arm", "arm", "--control", "A", "--metric", "y",
                                 "--guardrail", "y:lots"])
    assert result.exit_code == 2 and "COLUMN:MARGIN" in result.output


def test_plan_sample_size_equals_normal_ind_power():
    h = smp.proportion_effectsize(0.06, 0.05)
    expected = math.ceil(NormalIndPower().solve_power(abs(h), alpha=0.05, power=0.8))
    result = runner.invoke(app, ["plan", "--baseline", "0.05", "--mde", "0.01"])
    assert result.exit_code == 0, result.output
    assert f"{expected:,}" in result.output and f"{2 * expected:,}" in result.output
    three = plan(baseline=0.05, mde=0.01, arms=3, power=0.9)
    assert three.n_per_arm == math.ceil(NormalIndPower().solve_power(abs(h), alpha=0.025, power=0.9))
    assert three.total == 3 * three.n_per_arm


def test_plan_detectable_effect_and_money():
    p = plan(baseline=0.05, n=10_000)
    h = smp.proportion_effectsize(0.05 + p.mde, 0.05)
    assert h == pytest.approx(NormalIndPower().solve_power(None, nobs1=10_000, alpha=0.05, power=0.8), rel=1e-9)
    result = runner.invoke(app, ["plan", "--baseline", "0.05", "--n", "10000"])
    assert result.exit_code == 0 and f"{p.mde * 100:+.2f} points" in result.output
    money = plan(sd=40.0, mde=2.0)
    assert money.n_per_arm == math.ceil(TTestIndPower().solve_power(0.05, alpha=0.05, power=0.8))
    result = runner.invoke(app, ["plan", "--sd", "40", "--n", "5000"])
    d = TTestIndPower().solve_power(None, nobs1=5000, alpha=0.05, power=0.8)
    assert result.exit_code == 0 and f"{40 * d:+,.2f} yuan" in result.output


@pytest.mark.parametrize("args, expected", [
    (["--baseline", "1.2", "--mde", "0.01"], "baseline is a rate strictly between 0 and 1"),
    (["--baseline", "0.95", "--mde", "0.06"], "baseline + mde = 0.95 + 0.06 = 1.01"),
    (["--baseline", "0.05", "--mde", "0.01", "--n", "500"], "exactly one of mde"),
    (["--baseline", "0.05"], "exactly one of mde"),
    (["--mde", "2"], "give baseline"),
    (["--baseline", "0.05", "--sd", "30", "--mde", "2"], "not both"),
])
def test_plan_impossible_input_exits_2(args, expected):
    result = runner.invoke(app, ["plan", *args])
    assert result.exit_code == 2 and expected in result.output and "Traceback" not in result.output
    with pytest.raises(InputError):
        plan(**{a.lstrip("-"): float(v) for a, v in zip(args[::2], args[1::2])})


def test_analyze_ratio_metric_and_bootstrap_interval(tmp_path):
    import numpy as np
    import pandas as pd

    from sim.analysis import compare_ratios
    from sim.studies.experiment_analysis import analyze_experiment

    rng = np.random.default_rng(8)
    n = 4000
    arm = np.where(rng.random(n) < 0.5, "mail", "none")
    orders = rng.poisson(0.3 + 0.1 * (arm == "mail"))
    spend = orders * rng.gamma(2.0, 60.0, n)
    path = tmp_path / "x.csv"
    pd.DataFrame({"arm": arm, "orders": orders, "spend": spend}).to_csv(path, index=False)
    result = analyze_experiment(path, "arm", "none", ["spend"], ratios={"aov": ("spend", "orders")},
                                bootstrap="bca", seed=1)
    rows = result.table.set_index("metric")
    a, c = arm == "mail", arm == "none"
    direct = compare_ratios(spend[a], orders[a], spend[c], orders[c])
    assert rows.loc["aov", "difference"] == pytest.approx(direct.difference)
    assert rows.loc["aov", "ci_low"] == pytest.approx(direct.ci_low)
    assert "bootstrap" in rows.loc["spend", "method"].lower() or "bca" in rows.loc["spend", "method"].lower()
    assert rows.loc["spend", "ci_low"] < rows.loc["spend", "difference"] < rows.loc["spend", "ci_high"]
    bad = runner.invoke(app, ["analyze", str(path), "--arm", "arm", "--control", "none", "--metric", "spend",
                              "--ratio", "aov=spend"])
    assert bad.exit_code == 2 and "NAME=NUMERATOR/DENOMINATOR" in bad.output


def test_a_constant_covariate_skips_cuped_instead_of_giving_nan(tmp_path):
    csv = _write(tmp_path, "export.csv", "arm,spend,history\n" + "".join(
        f"{'A' if i % 2 else 'B'},{(i * 7) % 11},5\n" for i in range(40)))
    result = runner.invoke(app, ["analyze", str(csv), "--arm", "arm", "--control", "A", "--metric", "spend",
                                 "--covariate", "history"])
    assert result.exit_code == 0, result.output
    assert "CUPED skipped: history is constant" in result.output and "nan" not in result.output.lower()
