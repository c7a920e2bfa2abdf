"""Scenario files: defaults, documented example, and clear messages for bad input."""

from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.config.loader import load_scenario

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))


def write(tmp_path, text, name="s.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_bundled_scenarios_are_valid(path):
    assert load_scenario(path).name


def test_minimal_scenario_takes_documented_defaults(tmp_path):
    s = load_scenario(write(tmp_path, "version: 1\nname: tiny\n"))
    assert s.population.size == 10_000
    assert s.population.buying.r == 0.243
    assert list(s.policies) == ["baseline"]
    assert abs(sum(s.population.segments.values()) - 1) < 1e-9


def problems(tmp_path, text):
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, text))
    return "\n".join(info.value.problems)


def test_unknown_key_names_field_and_line(tmp_path):
    msg = problems(tmp_path, "version: 1\nname: x\npopulation:\n  size: 10\n  sise: 5\n")
    assert "population.sise (line 5)" in msg and "unknown field" in msg


def test_wrong_type_and_negative_size(tmp_path):
    msg = problems(tmp_path, "version: 1\nname: x\npopulation: {size: -3}\nrun: {replications: many}\n")
    assert "population.size (line 3)" in msg and "greater than 0" in msg
    assert "run.replications (line 4)" in msg and "'many'" in msg


def test_probability_outside_unit_interval(tmp_path):
    msg = problems(tmp_path, "version: 1\nname: x\ntraffic:\n  conversion: 1.5\n")
    assert "traffic.conversion (line 4)" in msg and "less than or equal to 1" in msg


def test_shares_must_sum_to_one(tmp_path):
    msg = problems(tmp_path, "version: 1\nname: x\npopulation:\n  segments: {general: 0.5, important_value: 0.2}\n")
    assert "population.segments" in msg and "sum to 1" in msg


def test_days_outside_calendar(tmp_path):
    text = ("version: 1\nname: x\ncalendar:\n  start_day: -5\n  end_day: 5\n"
            "  season: [{start_day: 3, end_day: 9, multiplier: 2}]\n")
    msg = problems(tmp_path, text)
    assert "calendar" in msg and "outside the calendar" in msg


def test_missing_version_and_bad_yaml(tmp_path):
    assert "version" in problems(tmp_path, "name: x\n") and "missing" in problems(tmp_path, "name: x\n")
    assert "line 2" in problems(tmp_path, "version: 1\nname: [x\n")


def test_missing_file_and_missing_population_file(tmp_path):
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "nope.yaml")
    msg = problems(tmp_path, "version: 1\nname: x\npopulation: {from: fitted.yaml}\n")
    assert "population.from (line 3)" in msg and "not found" in msg


def test_population_file_fills_in_fitted_parameters(tmp_path):
    write(tmp_path, "version: 1\nkind: population\nsize: 123\nbuying: {r: 0.3, alpha: 5, a: 0.7, b: 2}\n"
                    "spend: {p: 5, q: 3, gamma: 10}\n", name="pop.yaml")
    s = load_scenario(write(tmp_path, "version: 1\nname: x\npopulation: {from: pop.yaml, size: 50}\n"))
    assert s.population.size == 50  # the scenario's own value wins
    assert s.population.buying.alpha == 5 and s.population.spend.q == 3


def test_population_file_without_categories_keeps_its_fitted_order_value(tmp_path):
    write(tmp_path, "version: 1\nkind: population\nsize: 10\nbuying: {r: 0.25, alpha: 5, a: 0.7, b: 2}\n"
                    "spend: {p: 6, q: 4, gamma: 15}\n", name="pop.yaml")
    s = load_scenario(write(tmp_path, "version: 1\nname: x\npopulation: {from: pop.yaml}\n"))
    (only,) = s.population.categories.values()
    assert only.share == 1 and only.order_value == pytest.approx(6 * 15 / 3)
    assert only.cycle_days == pytest.approx(7 * 5 / 0.25)
