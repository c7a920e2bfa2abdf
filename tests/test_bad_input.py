"""Bad scenario files: each is refused before anything runs, with exit 2, the file, the field
or line and what was expected, and nothing is written."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli import app

HEAD = "version: 1\nname: bad\npopulation: {size: 2000}\nrun: {replications: 2, seed: 1}\n"
WAVE = "policies:\n  p:\n    waves:\n      - {day: -3, hour: 10, channel: sms%s}\n"
COUPON = WAVE % ", coupon: {%s}"

# (case id, file text, a fragment the message must contain)
CASES = [
    ("not-yaml", "version: 1\nname: [unclosed\n", "not valid YAML"),
    ("not-a-mapping", "- 1\n- 2\n", "expected a mapping"),
    ("empty", "", "expected a mapping"),
    ("missing-version", "name: x\n", "version: required field is missing"),
    ("wrong-version", "version: 2\nname: x\n", "version"),
    ("bad-name", "version: 1\nname: 'a b/c'\n", "name"),
    ("unknown-section", HEAD + "marketting: {}\n", "unknown field"),
    ("unknown-field", HEAD + "traffic: {daily_visitor: 3}\n", "unknown field"),
    ("duplicate-section", HEAD + "economics: {margin: 0.3}\neconomics: {margin: 0.4}\n", "duplicate key 'economics'"),
    ("duplicate-policy", HEAD + "policies:\n  a: {}\n  a: {}\n", "duplicate key 'a' (first on line 6)"),
    ("yes-as-number", HEAD + (WAVE % "").replace("day: -3", "day: yes"), "day"),
    ("true-as-number", HEAD + (WAVE % "").replace("day: -3", "day: true"), "yes/no value true"),
    ("true-as-size", "version: 1\nname: x\npopulation: {size: true}\n", "yes/no value true"),
    ("negative-size", "version: 1\nname: x\npopulation: {size: -5}\n", "population.size"),
    ("zero-size", "version: 1\nname: x\npopulation: {size: 0}\n", "population.size"),
    ("text-size", "version: 1\nname: x\npopulation: {size: many}\n", "population.size"),
    ("huge-size", "version: 1\nname: x\npopulation: {size: 1000000000000}\n", "beyond the limit"),
    ("large-size", "version: 1\nname: x\npopulation: {size: 200000000}\n", "beyond the limit"),
    ("long-calendar", HEAD + "calendar: {start_day: -1000000, end_day: 3}\n", "days is beyond the limit"),
    ("no-event-day", HEAD + "calendar: {start_day: 1, end_day: 30}\n", "event day"),
    ("infinite-visitors", HEAD + "traffic: {daily_visitors: .inf}\n", "not a finite number"),
    ("nan-margin", HEAD + "economics: {margin: .nan}\n", "not a finite number"),
    ("conversion-above-one", HEAD + "traffic: {conversion: 1.5}\n", "traffic.conversion"),
    ("negative-visitors", HEAD + "traffic: {daily_visitors: -1}\n", "traffic.daily_visitors"),
    ("margin-above-one", HEAD + "economics: {margin: 2}\n", "economics.margin"),
    ("discount-above-one", HEAD + "economics: {event_discount: 1.5}\n", "economics.event_discount"),
    ("replications-zero", "version: 1\nname: x\nrun: {replications: 0}\n", "run.replications"),
    ("replications-huge", "version: 1\nname: x\nrun: {replications: 100001}\n", "run.replications"),
    ("negative-seed", "version: 1\nname: x\nrun: {seed: -1}\n", "run.seed"),
    ("holdout-all", HEAD + "policies:\n  p: {holdout: 1.0}\n", "holdout"),
    ("holdout-negative", HEAD + "policies:\n  p: {holdout: -0.1}\n", "holdout"),
    ("hour-25", HEAD + (WAVE % "").replace("hour: 10", "hour: 25"), "hour"),
    ("unknown-channel", HEAD + (WAVE % "").replace("channel: sms", "channel: pigeon"), "pigeon"),
    ("coupon-above-threshold", HEAD + COUPON % "threshold: 100, discount: 150", "smaller than threshold"),
    ("coupon-no-threshold", HEAD + COUPON % "threshold: 0, discount: 500", "smaller than threshold"),
    ("coupon-zero-discount", HEAD + COUPON % "threshold: 100, discount: 0", "discount"),
    ("coupon-days-reversed", HEAD + COUPON % "threshold: 299, discount: 30, valid_days: [3, 1]",
     "first <= last"),
    ("coupon-negative-budget", HEAD + COUPON % "threshold: 299, discount: 30, budget: -5", "budget"),
    ("audience-min-above-max", HEAD + WAVE % ", audience: {min_days_since_purchase: 90, max_days_since_purchase: 30}",
     "no customer could be in this audience"),
    ("audience-empty-segments", HEAD + WAVE % ", audience: {segments: []}", "selects nobody"),
    ("audience-unknown-segment", HEAD + WAVE % ", audience: {segments: [vip]}", "vip"),
    ("pull-forward-above-one", HEAD + "channels: {sms: {pull_forward: 1.5}}\n", "channels.sms.pull_forward"),
    ("pull-forward-negative-on-wave", HEAD + WAVE % ", pull_forward: -0.2", "pull_forward"),
    ("response-unreachable", HEAD + "channels: {sms: {response: 0.999}}\n" + WAVE % "",
     "channels.sms.response: a response of 0.999"),
    ("preheat-lost-above-one", HEAD + "traffic: {preheat_lost_share: 2}\n", "traffic.preheat_lost_share"),
    ("wave-outside-calendar", HEAD + (WAVE % "").replace("day: -3", "day: -300"), "calendar"),
    ("sweep-too-large", HEAD + "sweep:\n  population.size: [%s]\n  run.seed: [%s]\n"
     % (",".join(str(1000 * i) for i in range(1, 201)), ",".join(str(i) for i in range(100))),
     "grid points is beyond the limit"),
    ("sweep-unknown-path", HEAD + "sweep:\n  population.sise: [1000, 2000]\n", "sise"),
    ("sweep-bad-value", HEAD + "sweep:\n  traffic.conversion: [0.01, 7]\n", "conversion"),
    ("deep-nesting", "a: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than"),
    ("alias-bomb", "a: &a [1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefghijklmno", "bcdefghijklmnop")),
     "expansion bomb"),
    ("union-noise", HEAD + "operations: {enabled: true, service: {agents: x}}\n", "operations.service.agents (line"),
    ("population-file-missing", HEAD.replace("population: {size: 2000}", "population: {from: nowhere.yaml}"),
     "not found"),
]


@pytest.mark.parametrize("text,fragment", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_scenario_is_refused_with_a_clear_message(text, fragment, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    results = tmp_path / "results"
    result = CliRunner().invoke(app, ["run", str(path), "--results", str(results)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert str(path) in result.output or "sweep" in result.output
    assert fragment in result.output, result.output
    assert not results.exists()  # nothing written
    assert "constrained-" not in result.output and "function-after" not in result.output


def test_a_yes_no_value_is_named_beside_the_other_problems_of_its_section(tmp_path):
    """A `true` where a number belongs does not hide the section's other mistakes."""
    path = tmp_path / "bad.yaml"
    path.write_text(HEAD + "policies:\n  p:\n    waves:\n      - {day: true, hour: 25, channel: sms, colour: red}\n",
                    encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    for field, problem in (("day", "yes/no value true"), ("hour", "less than or equal to 23"), ("colour", "unknown field")):
        assert f"policies.p.waves.0.{field} (line 8): " in result.output and problem in result.output, result.output


def test_size_written_with_an_exponent_is_a_number(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("version: 1\nname: ok\npopulation: {size: 1e4}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "10,000 customers" in result.output


def test_memory_is_estimated_against_the_machine():
    from sim.config.limits import problems
    from tests.conftest import make_scenario

    scenario = make_scenario(population={"size": 20_000_000})
    assert problems(scenario, memory=64 * 2**30) == []
    (line,) = problems(scenario, memory=2**30)
    assert "GiB of memory (estimate)" in line and "customers (base and newcomers) fit" in line
