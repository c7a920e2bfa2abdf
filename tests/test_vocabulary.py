"""The metric vocabulary covers every metric a replication records, with units and directions."""

from pathlib import Path

import pytest

import sim
from sim.forecast.event_day import PRESALE_METRICS
from sim.marketing.evaluation import MARKETING_METRICS
from sim.model.measures import METRICS as HEADLINE_METRICS
from sim.simulation.replication import simulate_replication
from sim.studies.comparison import lower_is_better
from sim.vocabulary import METRICS, metric

SCENARIOS = sorted((Path(__file__).resolve().parent.parent / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_recorded_metric_is_in_the_vocabulary(path):
    scenario = sim.load_scenario(path)
    small = scenario.model_copy(update={"population": scenario.population.model_copy(update={"size": 1500})})
    record = simulate_replication(small, 0).metrics[0]
    unknown = set(record) - set(METRICS) - {"replication", "policy"}
    assert not unknown


def test_feature_metric_lists_are_in_the_vocabulary():
    assert set(HEADLINE_METRICS + MARKETING_METRICS + PRESALE_METRICS) <= set(METRICS)


def test_units_kinds_and_directions():
    assert {m.kind for m in METRICS.values()} <= {"money", "count", "share", "ratio", "time"}
    assert all(m.unit == "yuan" for m in METRICS.values() if m.kind == "money")
    assert metric("gmv").higher_is_better and not metric("coupon_cost").higher_is_better
    assert lower_is_better("churned") and lower_is_better("opt_outs") and lower_is_better("ops_p95_wait_s")
    assert not lower_is_better("incremental_net_profit") and not lower_is_better("ops_service_level")
    assert metric("a_users_column").kind == "number"  # outside the vocabulary: no unit, higher is better
