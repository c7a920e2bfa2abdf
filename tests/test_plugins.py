"""The engine's plugin interface: features register themselves; plugins may bring newcomers."""

from dataclasses import fields

import numpy as np

from sim.model.calendar import Calendar
from sim.model.customers import Customers
from sim.model.engine import Engine
from sim.model.measures import headline, order_table
from sim.model.plugins import Newcomers, Plugin, features
from sim.simulation.replication import draw_world
from tests.conftest import make_scenario


class Referrals(Plugin):
    """Brings `k` newcomers in the first stretch that contains hour `at`."""

    def __init__(self, donor, at: float, k: int):
        self.donor, self.at, self.k, self.brought = donor, at, k, 0

    def arrivals(self, t0, t1):
        if self.brought or not (t0 <= self.at < t1):
            return None
        pick = {f.name: getattr(self.donor, f.name)[: self.k].copy() for f in fields(self.donor)}
        pick.update(acquired=np.ones(self.k, bool), is_new=np.ones(self.k, bool),
                    joined=np.full(self.k, self.at), last_order=np.full(self.k, self.at),
                    orders=np.zeros(self.k, np.int64))
        self.brought = self.k
        return Newcomers(Customers(**pick), np.full(self.k, 100.0))


def test_the_features_register_in_order():
    assert [f.name for f in features()] == ["marketing", "forecast", "operations"]
    for feature in features():
        assert feature.tables, feature.name


def test_an_arrival_hook_adds_customers_with_their_first_orders():
    s = make_scenario(population={"size": 2000}, traffic={"daily_visitors": 0})
    cal = Calendar.from_scenario(s)
    world = draw_world(s, cal, s.run.seed, 0)
    plugin = Referrals(world.population, at=-50.0, k=37)
    engine = Engine(cal, world.population.copy(), world.first_value, s.population.spend.p, s.run.seed, 0,
                    [plugin])
    engine.run([-50.0])
    orders = order_table(engine, s, False)
    m = headline(engine, orders, world.visitors)
    n_world = len(world.population)
    assert len(engine.pop) == n_world + 37  # nobody lost, exactly the newcomers added
    assert len(engine.first_value) == len(engine.churned_at) == len(engine.pop)
    newcomers = np.arange(n_world, n_world + 37)
    first = orders.first & np.isin(orders.customer, newcomers)
    assert first.sum() == 37 and np.all(orders.time[first] == -50.0)
    assert np.all(orders.value[first] == 100.0)
    assert m["customers_end"] == len(engine.pop)
    assert (orders.paid >= 0).all()
