"""The engine: exact Poisson draws, the BG/NBD closed form, and the bookkeeping invariants."""

import numpy as np
import pytest
from scipy import stats
from scipy.special import hyp2f1

from sim.model.calendar import Calendar
from sim.model.measures import order_table
from sim.simulation.replication import draw_world, simulate_replication
from tests.conftest import QUIET_TRAFFIC, make_scenario


def bgnbd_expected(t, r, alpha, a, b):
    """E[X(t)] of the BG/NBD model (Fader, Hardie and Lee 2005, eq. 9)."""
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))


def one_category(size, **extra):
    """One category; every base customer a one-time buyer, so all are alive at the start (a fresh
    cohort, as the BG/NBD closed forms assume)."""
    return {"size": size, "new_share": 1.0, "categories": {"only": {"share": 1.0, "cycle_days": 30, "order_value": 100}}, **extra}


@pytest.mark.parametrize("days", [28, 70])
def test_repeat_purchases_match_bgnbd_closed_form(days):
    """No marketing, no surge, no newcomers: mean repeat purchases = E[X(t)] within 4 standard errors."""
    s = make_scenario(calendar={"start_day": -(days - 1), "end_day": 0},
                      population=one_category(100_000),
                      traffic={"daily_visitors": 0, **QUIET_TRAFFIC})
    b = s.population.buying
    per_customer = [simulate_replication(s, rep).metrics[0]["orders"] / 100_000 for rep in range(4)]
    expected = bgnbd_expected(days / 7, b.r, b.alpha, b.a, b.b)
    se = np.std(per_customer, ddof=1) / np.sqrt(len(per_customer))
    assert abs(np.mean(per_customer) - expected) < max(4 * se, 0.004 * expected)


def test_event_surge_follows_the_time_changed_closed_form():
    """With a calendar multiplier g(t), E[orders] = E[X(G(t))] with G the integrated multiplier."""
    s = make_scenario(calendar={"start_day": -20, "end_day": 3},
                      population=one_category(100_000, buying={"r": 0.5, "alpha": 3.0, "a": 0.8, "b": 2.5}),
                      traffic={"daily_visitors": 0, "repeat_multiplier": 6.0, "preheat_days": 5,
                               "preheat_multiplier": 0.5, "preheat_lost_share": 0.0, "afterglow": [2.0],
                               "hourly_shape": "double11"})
    b = s.population.buying
    cal = Calendar.from_scenario(s)
    clock_weeks = float(cal.cum_buying[-1] + cal.cum_waiting[-1]) / 168  # waiting shoppers buy on days 0-1
    per_customer = np.mean([simulate_replication(s, rep).metrics[0]["orders"] / 100_000 for rep in range(3)])
    assert per_customer == pytest.approx(bgnbd_expected(clock_weeks, b.r, b.alpha, b.a, b.b), rel=0.01)


def test_category_mix_keeps_the_mean_rate():
    """Categories rescale rates around r/alpha: short-horizon orders ~ size * r/alpha * weeks."""
    s = make_scenario(calendar={"start_day": -2, "end_day": 0},
                      population={"size": 200_000, "new_share": 1.0, "buying": {"r": 1.0, "alpha": 2.0, "a": 1.0, "b": 1e6}},
                      traffic={"daily_visitors": 0, **QUIET_TRAFFIC})
    orders = simulate_replication(s, 0).metrics[0]["orders"]
    expected = 200_000 * 0.5 * 3 / 7
    assert abs(orders - expected) < 4 * np.sqrt(expected * 1.5)


def run_one(s, rep=0, policy="baseline"):
    from sim.simulation.replication import play

    cal = Calendar.from_scenario(s)
    world = draw_world(s, cal, s.run.seed, rep)
    engine, _, _ = play(s, cal, world, policy, s.run.seed, rep, [])
    return engine, order_table(engine, s, s.policies[policy].discount_profit_items), world.visitors


def test_invariants_customers_orders_and_money():
    s = make_scenario(population={"size": 5000}, traffic={"daily_visitors": 3000})
    engine, orders, visitors = run_one(s)
    pop, m = engine.pop, simulate_replication(s, 0).metrics[0]
    # Nobody appears or disappears except by acquisition.
    assert m["customers_end"] == 5000 + m["new_buyers"]
    assert m["alive_start"] + m["new_buyers"] == m["alive_end"] + m["churned"]
    assert np.count_nonzero(pop.acquired & (pop.joined < engine.calendar.end)) == m["new_buyers"]
    # Every order belongs to a customer who had joined, inside the calendar.
    assert np.all(orders["time"] >= pop.joined[orders["customer"]] - 1e-9)
    assert np.all((orders["time"] >= engine.calendar.start) & (orders["time"] < engine.calendar.end))
    # Each newcomer has exactly one first order; the base has none.
    firsts = orders["customer"][orders["first"]]
    assert len(firsts) == len(np.unique(firsts)) == m["new_buyers"]
    assert not np.any(~pop.acquired[firsts])
    # Money is never negative; discount only on the event day.
    for col in ("value", "paid", "discount", "coupon"):
        assert np.all(orders[col] >= 0)
    off_day = (orders["time"] < 0) | (orders["time"] >= 24)
    assert np.all(orders["discount"][off_day] == 0)
    assert np.allclose(orders["paid"] + orders["discount"] + orders["coupon"], orders["value"])
    # Profit items keep full price unless the policy discounts them; traffic drivers are cut deepest.
    day0 = ~off_day
    assert np.all(orders["discount"][day0 & (orders["role"] == 1)] == 0)
    traffic = day0 & (orders["role"] == 0)
    assert np.allclose(orders["discount"][traffic], orders["value"][traffic] * 0.15 * 1.5)
    # Dead customers place no order after their last one.
    dead = np.flatnonzero(~np.isnan(engine.churned_at))
    last = np.full(len(pop), -np.inf)
    np.maximum.at(last, orders["customer"], orders["time"])
    assert np.allclose(last[dead], engine.churned_at[dead])
    assert visitors.sum() == m["visitors"]


def test_segments_have_the_requested_shares_and_meaning():
    s = make_scenario(population={"size": 20_000})
    engine, _, _ = run_one(s)
    base = ~engine.pop.acquired
    seg = engine.pop.segment[base]
    shares = np.bincount(seg, minlength=5) / base.sum()
    np.testing.assert_allclose(shares, list(s.population.segments.values()), atol=1e-4)
    value = engine.pop.value[base]
    assert value[seg == 0].mean() > 2 * value[seg == 4].mean()  # important value spends more than general


def test_purchases_do_not_depend_on_the_block_of_customers_drawn_together(monkeypatch):
    """Gaps are drawn in blocks of customers (for the CPU cache); the uniforms are keyed by
    customer and purchase number, so any block size gives the very same purchases."""
    import sim.model.purchases as purchases

    s = make_scenario(population={"size": 5_000}, traffic={"daily_visitors": 500})
    cal = Calendar.from_scenario(s)
    drawn = []
    for block in (1 << 30, 1000, 7):
        monkeypatch.setattr(purchases, "BLOCK", block)
        drawn.append(draw_world(s, cal, s.run.seed, 0).purchases)
    for other in drawn[1:]:
        for column in ("customer", "time", "value"):
            assert np.array_equal(getattr(drawn[0], column), getattr(other, column))


def test_a_finished_policy_is_freed_before_the_next_is_played(monkeypatch):
    """Peak memory does not grow with the number of policies: at a large population (here any,
    by lowering the threshold) each policy's engine, plugins and copy of the world are gone
    before the next policy, or counterfactual, is played."""
    import weakref

    import sim.simulation.replication as replication
    from sim.config.loader import load_scenario
    from sim.config.variants import derive

    monkeypatch.setattr(replication, "LARGE", 0)
    played, alive_at_play = [], []
    play = replication.play

    def tracked(*args, **kwargs):
        alive_at_play.append(sum(ref() is not None for ref in played))
        out = play(*args, **kwargs)
        played.append(weakref.ref(out[0]))
        return out

    monkeypatch.setattr(replication, "play", tracked)
    s = derive(load_scenario("scenarios/ad_budget_split.yaml"), {"population.size": 3000}, "test")
    replication.simulate_replication(s, 0)
    assert len(played) >= len(s.policies) and alive_at_play == [0] * len(played)
