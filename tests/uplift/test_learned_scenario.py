"""A scenario whose sends take their response from a fitted model: the Hillstrom test replayed."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

import sim
from cli_response import app
from sim.io.datasets import load_hillstrom
from sim.studies.response import fit_response, write_example

FEATURES = ["recency", "history", "mens", "womens", "zip_code", "newbie", "channel"]
N = 64000


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    folder = tmp_path_factory.mktemp("example") / "hillstrom"
    write_example("hillstrom", folder)
    fit_response(folder / "hillstrom.csv", folder / "model", arm="segment", control="No E-Mail",
                 outcomes=["conversion", "spend"], features=FEATURES, method="t-linear", bootstrap=10, seed=1)
    return folder


@pytest.fixture(scope="module")
def replayed(example):
    scenario = sim.load_scenario(example / "emails.yaml")
    return sim.run(scenario, replications=12).replications.set_index(["policy", "replication"])


def _experiment_lift(arm: str, outcome: str) -> tuple[float, float]:
    data = load_hillstrom()
    t, c = data[outcome][data.segment == arm], data[outcome][data.segment == "No E-Mail"]
    return t.mean() - c.mean(), float(np.sqrt(t.var() / len(t) + c.var() / len(c)))


@pytest.mark.parametrize("policy,arm", [("mens_to_all", "Mens E-Mail"), ("womens_to_all", "Womens E-Mail")])
def test_simulated_two_week_lifts_agree_with_the_experiment(replayed, policy, arm):
    """Buyers and spend per customer over the two weeks: within the test's 95 % intervals."""
    for metric, outcome in (("buyers", "conversion"), ("gmv", "spend")):
        simulated = ((replayed.loc[policy, metric] - replayed.loc["none", metric]) / N).mean()
        measured, se = _experiment_lift(arm, outcome)
        assert abs(simulated - measured) < 1.96 * se, (policy, metric, simulated, measured, se)


def test_the_better_email_per_customer_sends_one_email_each_and_does_at_least_as_well(replayed):
    better = replayed.loc["better_email_per_customer"]
    assert (better["messages"] <= N).all()
    mens = replayed.loc["mens_to_all"]
    gain = (better["buyers"] - mens["buyers"]).mean()
    assert gain > -0.0005 * N  # no worse than the better blanket e-mail by more than 0.05 points


def test_no_customer_is_created_or_lost_by_a_learned_send(replayed):
    sizes = replayed.groupby(level="policy")["alive_end"].mean()
    assert sizes.max() - sizes.min() < 0.002 * N
    assert (replayed["orders"] >= replayed["buyers"]).all()
    assert (replayed["new_buyers"] == 0).all()  # the replay has no newcomers: every buyer is a test customer
    assert (replayed["buyers"] <= N).all() and (replayed["alive_end"] <= replayed["alive_start"]).all()
    starts = replayed["alive_start"].unstack(level="policy")
    assert starts.nunique(axis=1).eq(1).all()  # every policy starts from the same customers


def test_same_seed_same_numbers_and_a_plain_policy_is_not_moved(example):
    scenario = sim.load_scenario(example / "emails.yaml")
    a = sim.run(scenario, replications=2, seed=5).replications
    b = sim.run(scenario, replications=2, seed=5).replications
    assert a.equals(b)
    plain = sim.scenario_from_dict({**scenario.model_dump(by_alias=True, mode="json"),
                                    "policies": {"none": {}}})
    c = sim.run(plain, replications=2, seed=5).replications
    np.testing.assert_array_equal(a[a.policy == "none"]["orders"].to_numpy(), c["orders"].to_numpy())


def test_each_replication_draws_a_bootstrap_refit(example):
    from sim.marketing.learned import LearnedFeatures, model_at

    scenario = sim.load_scenario(example / "emails.yaml")
    model = model_at(str(example / "model"))
    drawn = {id(LearnedFeatures(scenario, 7, r).refit(model, "Mens E-Mail", "conversion")) for r in range(12)}
    assert len(drawn) > 3


@pytest.mark.parametrize("edit,message", [
    (("arm: Mens E-Mail}}]", "arm: Kids E-Mail}}]"), "has no arm 'Kids E-Mail'"),
    (("response: {from: model, arm: Womens E-Mail}}]", "response: {from: model, arm: Womens E-Mail, outcome: spend}}]"),
     "is money, not a 0/1 outcome"),
    (("  features: hillstrom.csv\n", ""), "fitted with feature(s) recency, history"),
    (("from: model, arm: Mens E-Mail}}]", "from: nowhere, arm: Mens E-Mail}}]"), "not a response model folder"),
])
def test_a_model_the_scenario_cannot_use_is_refused_before_running(example, tmp_path, edit, message):
    text = (example / "emails.yaml").read_text(encoding="utf-8")
    assert edit[0] in text
    broken = example / f"broken_{abs(hash(edit))}.yaml"
    broken.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(broken)])
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_scoring_a_learned_targeting_against_the_true_effects(example):
    from sim.studies.uplift_check import score_uplift

    scenario = sim.load_scenario(example / "emails.yaml")
    score = score_uplift(scenario, replication=0, policy="mens_to_all", control="none", method="t-linear")
    assert score.customers == N and 0.25 * N < score.scored < 0.35 * N
    measured, se = _experiment_lift("Mens E-Mail", "spend")
    assert abs(score.true_lift - measured) < 1.96 * se
    assert score.gain_share > 0.1  # the e-mail's effect depends on the customers' features: they rank it
    profit = score.profit
    assert profit["nobody"] == 0.0
    assert profit["oracle"] >= max(profit["model"], profit["everyone"])
    assert score.profit_lost == pytest.approx(profit["oracle"] - profit["model"])
    assert score.contacted["everyone"] == 1.0 and 0.0 < score.contacted["model"] <= 1.0


def test_experiment_score_uplift_through_the_command_line(example):
    result = CliRunner().invoke(app, ["experiment", str(example / "emails.yaml"), "--score-uplift",
                                      "--policy", "womens_to_all", "--control", "none"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "Profit lost against the oracle" in result.output and "true gain captured" in result.output
    refused = CliRunner().invoke(app, ["experiment", str(example / "emails.yaml"), "--score-uplift",
                                       "--policy", "none", "--control", "none"])
    assert refused.exit_code == 2 and "expected a policy other than the control" in refused.output


def test_an_assignment_file_chooses_the_audience_of_each_arm(example, tmp_path):
    customers = example / "hillstrom.csv"
    result = sim.target_customers(example / "model", customers, example / "assignment.csv",
                                  costs={"Mens E-Mail": 0.1, "Womens E-Mail": 0.1}, value="spend", margin=0.35,
                                  force=True)
    counts = result.assignment.arm.value_counts()
    text = (example / "emails.yaml").read_text(encoding="utf-8")
    waves = "".join(f"\n      - {{day: 0, hour: 0, channel: email, response: {{from: model, arm: {arm}}}, "
                    f"audience: {{assignment: {{file: assignment.csv, arm: {arm}}}}}}}"
                    for arm in ("Mens E-Mail", "Womens E-Mail"))
    assigned = example / "assigned.yaml"
    assigned.write_text(text.replace("policies:\n", f"policies:\n  as_assigned:\n    waves:{waves}\n", 1), encoding="utf-8")
    run = sim.run(sim.load_scenario(assigned), replications=1).replications.set_index("policy")
    sent = counts.get("Mens E-Mail", 0) + counts.get("Womens E-Mail", 0)
    assert run.loc["as_assigned", "messages"] == sent  # every simulated customer is the test's row i
    assert run.loc["as_assigned", "marketing_spend"] == pytest.approx(0.1 * sent)
    wrong = example / "wrong.yaml"
    wrong.write_text(assigned.read_text(encoding="utf-8").replace("arm: Womens E-Mail}}}", "arm: Kids}}}"),
                     encoding="utf-8")
    refused = CliRunner().invoke(app, ["validate", str(wrong)])
    assert refused.exit_code == 2 and "gives arm 'Kids' to no customer" in refused.output
