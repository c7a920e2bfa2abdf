"""`sim response fit`, `sim response predict` and `sim target` end to end on the Hillstrom test."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import sim
from cli_response import app
from sim.io.datasets import load_hillstrom

FEATURES = ["recency", "history", "mens", "womens", "zip_code", "newbie", "channel"]
runner = CliRunner()


@pytest.fixture(scope="module")
def hillstrom(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hillstrom")
    path = folder / "hillstrom.csv"
    load_hillstrom().to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def fitted(hillstrom):
    out = hillstrom.parent / "model"
    args = ["response", "fit", str(hillstrom), "--arm", "segment", "--control", "No E-Mail",
            "--outcome", "visit", "--outcome", "spend", *sum((["--feature", f] for f in FEATURES), []),
            "--method", "t-linear", "--bootstrap", "8", "--seed", "3", "--out", str(out)]
    result = runner.invoke(app, args, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return out, result.output


def test_fit_writes_a_described_model_and_a_report(fitted, hillstrom):
    out, printed = fitted
    described = sim.load_response(out)
    assert described.arms == ("Mens E-Mail", "Womens E-Mail") and described.control == "No E-Mail"
    assert described.outcomes == {"visit": "rate", "spend": "money"}
    assert described.features == FEATURES
    assert described.sha256 == hashlib.sha256(hillstrom.read_bytes()).hexdigest()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Qini" in html and "data:image/png;base64," in html
    assert all(len(line) <= 80 for line in printed.splitlines())
    womens = described.response("Womens E-Mail", "visit").validation
    assert womens.qini_low > 0  # the Womens e-mail's visit uplift ranks customers better than random


def test_womens_visit_lift_is_strongly_heterogeneous_as_published(fitted, hillstrom):
    """Top half by predicted uplift gains about 7.6 visit points, the bottom half about 1."""
    out, _ = fitted
    data = load_hillstrom()
    model = sim.load_response(out)
    X = model.encoding.transform(data[FEATURES].astype(str))
    score = model.response("Womens E-Mail", "visit").model.uplift(X)
    top = score >= np.median(score)
    lifts = []
    for half in (top, ~top):
        t = data.visit[half & (data.segment == "Womens E-Mail")].mean()
        c = data.visit[half & (data.segment == "No E-Mail")].mean()
        lifts.append(t - c)
    assert lifts[0] == pytest.approx(0.076, abs=0.012)
    assert lifts[1] == pytest.approx(0.010, abs=0.012)


def test_average_predicted_uplift_agrees_with_the_experiment(fitted):
    out, _ = fitted
    data = load_hillstrom()
    model = sim.load_response(out)
    X = model.encoding.transform(data[FEATURES].astype(str))
    for arm in model.arms:
        for outcome in model.outcomes:
            observed = data[outcome][data.segment == arm].mean() - data[outcome][data.segment == "No E-Mail"].mean()
            predicted = model.response(arm, outcome).model.uplift(X).mean()
            assert predicted == pytest.approx(observed, rel=0.1), (arm, outcome)


def test_predict_gives_one_row_per_customer_arm_and_outcome(fitted, hillstrom, tmp_path):
    out, _ = fitted
    customers = tmp_path / "customers.csv"
    load_hillstrom().head(500).assign(customer=lambda d: [f"c{i}" for i in range(len(d))]).to_csv(customers, index=False)
    result = runner.invoke(app, ["response", "predict", str(out), str(customers), "--id", "customer",
                                 "--out", str(tmp_path / "uplift.csv")], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "uplift.csv")
    assert list(table.columns) == ["id", "arm", "outcome", "baseline", "uplift", "uplift_low", "uplift_high"]
    assert len(table) == 500 * 2 * 2
    assert (table.uplift_low <= table.uplift_high).all()
    assert table.groupby(["arm", "outcome"]).size().eq(500).all()


def test_target_respects_the_budget_and_beats_blanket_policies(fitted, tmp_path):
    out, _ = fitted
    customers = tmp_path / "customers.csv"
    load_hillstrom().sample(3000, random_state=1).to_csv(customers, index=False)
    costs = ["--cost", "Mens E-Mail=0.1", "--cost", "Womens E-Mail=0.1"]
    free = runner.invoke(app, ["target", str(out), str(customers), *costs, "--value", "spend", "--margin", "0.35",
                               "--out", str(tmp_path / "a.csv")], env={"COLUMNS": "80"})
    assert free.exit_code == 0, free.output
    table = pd.read_csv(tmp_path / "a.csv")
    assert list(table.columns) == ["id", "arm", "expected_incremental_value", "cost", "expected_incremental_profit"]
    assert (table.expected_incremental_profit[table.arm != "none"] > 0).all()
    result = sim.target_customers(out, customers, tmp_path / "b.csv", costs={"Mens E-Mail": 0.1, "Womens E-Mail": 0.1},
                                  value="spend", margin=0.35, budget=50.0)
    assignment = result.policies[0]
    assert assignment.cost <= 50.0 and result.assignment.cost.sum() <= 50.0
    blanket = {p.policy: p for p in result.policies}
    assert blanket["nobody"].profit == 0.0
    unlimited = sim.target_customers(out, customers, tmp_path / "c.csv", costs={"Mens E-Mail": 0.1, "Womens E-Mail": 0.1},
                                     value="spend", margin=0.35)
    best = unlimited.policies[0]
    assert all(best.profit >= p.profit - 1e-9 for p in unlimited.policies[1:])
    assert set(result.assignment.arm) <= {"Mens E-Mail", "Womens E-Mail", "none"}


@pytest.mark.parametrize("args,expected", [
    (["--arm", "nope"], "no column 'nope'"),
    (["--control", "Nobody"], "control arm 'Nobody' not found"),
    (["--feature", "visit"], "given as outcome and as feature"),
    (["--method", "forest"], "--method 'forest'"),
    (["--validation-share", "0.9"], "--validation-share 0.9"),
])
def test_fit_refuses_bad_input_with_exit_2_and_writes_nothing(hillstrom, tmp_path, args, expected):
    base = {"--arm": "segment", "--control": "No E-Mail", "--outcome": "visit", "--feature": "recency"}
    extra = dict(zip(args[::2], args[1::2]))
    merged = [*sum(([k, v] for k, v in {**base, **extra}.items() if k not in ("--feature",)), []),
              "--feature", "recency"] + (["--feature", extra["--feature"]] if "--feature" in extra else [])
    out = tmp_path / "model"
    result = runner.invoke(app, ["response", "fit", str(hillstrom), *merged, "--bootstrap", "2", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert not out.exists()


def test_scoring_refuses_a_model_folder_edited_or_missing_features(fitted, tmp_path):
    out, _ = fitted
    lacking = tmp_path / "lacking.csv"
    load_hillstrom().head(50).drop(columns=["channel"]).to_csv(lacking, index=False)
    result = runner.invoke(app, ["response", "predict", str(out), str(lacking), "--out", str(tmp_path / "u.csv")])
    assert result.exit_code == 2 and "lacks the feature column(s) 'channel'" in result.output
    assert not (tmp_path / "u.csv").exists()
    result = runner.invoke(app, ["target", str(tmp_path), str(lacking), "--cost", "x=1", "--value", "spend",
                                 "--out", str(tmp_path / "a.csv")])
    assert result.exit_code == 2 and "not a response model folder" in result.output
    good = tmp_path / "good.csv"
    load_hillstrom().head(50).to_csv(good, index=False)
    for bad, message in ((["--cost", "Mens E-Mail"], "expected ARM=YUAN"), (["--cost", "Kids=1"], "lacks"),
                         (["--cost", "Mens E-Mail=-1"], "0 or more"), (["--cost", "Mens E-Mail=1", "--margin", "0"], "--margin")):
        result = runner.invoke(app, ["target", str(out), str(good), *bad, "--value", "spend", "--out", str(tmp_path / "a.csv")])
        assert result.exit_code == 2 and message in result.output, result.output
    (tmp_path / "exists.csv").write_text("mine\n")
    result = runner.invoke(app, ["response", "predict", str(out), str(good), "--out", str(tmp_path / "exists.csv")])
    assert result.exit_code == 2 and "--force" in result.output
    assert (tmp_path / "exists.csv").read_text() == "mine\n"
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("response.yaml", "models.pkl"):
        (copy / name).write_bytes((out / name).read_bytes())
    with open(copy / "models.pkl", "ab") as handle:
        handle.write(b"x")
    result = runner.invoke(app, ["response", "predict", str(copy), str(good), "--out", str(tmp_path / "u.csv")])
    assert result.exit_code == 2 and "does not belong to" in result.output
