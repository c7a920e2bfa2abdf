"""`derive`: the one way to change scenario fields, with the file format's checks."""

import pytest

from sim.config.variants import derive
from sim.errors import ScenarioError
from tests.conftest import make_scenario


def test_derive_sets_nested_fields_and_leaves_the_original_alone():
    s = make_scenario(population={"size": 3000})
    v = derive(s, {"population.size": 1200, "run.seed": 9, "traffic.conversion": 0.03})
    assert (v.population.size, v.run.seed, v.traffic.conversion) == (1200, 9, 0.03)
    assert s.population.size == 3000 and s.traffic.conversion != 0.03


def test_derive_refuses_what_a_scenario_file_would_refuse():
    s = make_scenario()
    with pytest.raises(ScenarioError) as bad:
        derive(s, {"traffic.conversion": 1.5}, "sweep over traffic.conversion")
    assert "sweep over traffic.conversion" in str(bad.value) and "conversion" in str(bad.value)
    with pytest.raises(ScenarioError, match="has no field 'nowhere'"):
        derive(s, {"nowhere.size": 1})
    with pytest.raises(ScenarioError, match="is a value, not a section"):
        derive(s, {"population.size.7": 1})


def test_derive_takes_scenario_parts_as_values():
    s = make_scenario()
    name = next(iter(s.policies))
    v = derive(s, {"policies": {name: s.policies[name]}})
    assert list(v.policies) == [name] and v.policies[name] == s.policies[name]
