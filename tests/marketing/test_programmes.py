"""Triggered programmes: cycles, stop on purchase, triggers, and the horizon table."""

import numpy as np

import sim
from tests.conftest import make_scenario
from tests.marketing.test_policies import played

FIVE_CYCLES = {
    "name": "thanks", "trigger": "first_purchase", "trigger_days": [0, 0], "min_spend": 299,
    "after_days": 30, "every_days": 30, "cycles": 5, "channel": "sms",
    "coupon": {"threshold": 199, "discount": 20, "valid_for_days": 14, "budget": 5000},
}


def scenario(**policy):
    return make_scenario(calendar={"start_day": -2, "end_day": 180}, population={"size": 2000},
                         traffic={"daily_visitors": 8000, "event_conversion": 0.05},
                         policies={"p": {"holdout": 0.2, "programmes": [FIVE_CYCLES], **policy}})


def test_five_cycle_programme_follows_its_rules():
    s = scenario()
    engine, rt, orders = played(s, "p")
    pop = engine.pop
    sends = [e for e in rt.exposures if e.action == "thanks"]
    assert sends, "the programme never sent"
    count = np.zeros(len(pop), dtype=int)
    for e in sends:
        count[e.assigned] += 1
        who = e.assigned
        # Only 11.11 newcomers who paid at least 299 for their first order are enrolled.
        assert np.all(pop.acquired[who]) and np.all((pop.joined[who] >= 0) & (pop.joined[who] < 24))
        paid = engine.first_value[who] * (1 - s.economics.event_discount)
        assert np.all(paid >= 299 - 1e-9)
        # Sends happen 30, 60, ... days after the first order, and stop once the customer buys again.
        assert np.all(e.t >= pop.joined[who] + 30 * 24)
        repeat = orders["customer"][~orders["first"] & (orders["time"] < e.t)]
        assert not np.any(np.isin(who, repeat))
    assert count.max() <= 5 and count.max() >= 2


def test_repurchase_table_has_each_horizon():
    result = sim.run(scenario(), replications=2)
    table = result.tables["repurchase"]
    assert set(table.horizon_days) == {2, 10, 30}
    assert set(table.action) == {"thanks"} and set(table.channel) == {"sms"}
    assert table[["assigned_rate", "held_out_rate"]].stack().dropna().between(0, 1).all()
    # The segment rows add up to the row for everyone.
    for _, g in table.groupby(["replication", "horizon_days"]):
        whole = g[g.segment == "all"].iloc[0]
        parts = g[g.segment != "all"]
        assert parts.assigned_n.sum() == whole.assigned_n and parts.held_out_n.sum() == whole.held_out_n
        assert np.isclose((parts.assigned_rate.fillna(0) * parts.assigned_n).sum(), whole.assigned_rate * whole.assigned_n)


def test_inactive_trigger_wins_back_lapsed_customers():
    winback = {"name": "winback", "trigger": "inactive", "inactive_days": 120,
               "audience": {"segments": ["important_retention", "important_maintenance"]},
               "channel": "sms", "cycles": 2, "every_days": 20}
    s = make_scenario(population={"size": 4000}, policies={"p": {"programmes": [winback]}})
    engine, rt, _ = played(s, "p")
    sent = np.concatenate([e.assigned for e in rt.exposures])
    assert sent.size > 0
    assert set(np.unique(engine.pop.segment[sent])) <= {2, 3}
    counts = np.bincount(sent)
    assert counts.max() <= 2
