"""What it takes: each lever's needed level is re-simulated, bounded, and flagged when not feasible."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.forecast.decomposition import quantile_interval
from sim.forecast.levers import BOUNDS, Trial, find_factor, gaps
from sim.studies.forecast import forecast
from tests.conftest import make_scenario

SHOP = {"calendar": {"start_day": -5, "end_day": 1}, "population": {"size": 1000},
        "traffic": {"daily_visitors": 300}}
NEW_COLUMNS = ("achieved", "achieved_low", "achieved_high", "feasible", "reason", "input", "input_value", "runs")


def _linear(share: float, scale: float, spread: float = 0.0):
    """A lever moving `share` of GMV, mean R(f) = (1 - share) + share x f, base mean 1 and a
    fixed shape: (evaluate, base, level, target) for find_factor at p = 0.8."""
    shape = 1.0 + spread * np.linspace(-1, 1, 19)

    def evaluate(f: float) -> Trial:
        return Trial(math.log((1 - share) + share * f), shape)
    q = float(np.quantile(shape, 0.2, method="weibull"))
    return evaluate, Trial(0.0, shape), 0.2, scale * q


@pytest.mark.parametrize("scale", [0.8, 1.035, 1.5, 3.0])
def test_the_search_solves_a_non_proportional_response_in_a_few_runs(scale):
    f, status, trials = find_factor(*_linear(0.7, scale, spread=0.05), *BOUNDS)
    assert status == "found" and len(trials) <= 3
    assert (0.3 + 0.7 * f) == pytest.approx(scale, rel=0.005)


def test_the_search_stops_at_its_bounds():
    f, status, trials = find_factor(*_linear(0.7, 13.0), *BOUNDS)
    assert status == "below" and f == pytest.approx(BOUNDS[1]) and len(trials) == 1
    f, status, _ = find_factor(*_linear(0.0, 1.5), *BOUNDS)  # no effect
    assert status == "below" and f == pytest.approx(BOUNDS[1])
    f, status, _ = find_factor(*_linear(1.0, 0.1), *BOUNDS)
    assert status == "above" and f == pytest.approx(BOUNDS[0])


def test_the_smoothed_chance_pools_the_shapes_of_all_runs():
    wide, narrow = Trial(0.0, np.array([0.9, 1.0, 1.1])), Trial(0.0, np.array([1.0, 1.0, 1.0]))
    assert gaps({0.0: wide}, 0.25, 1.0)[0.0] == pytest.approx(math.log(0.9))
    assert gaps({0.0: wide, 0.1: narrow}, 0.25, 1.0)[0.1] == pytest.approx(math.log(0.975))


def test_needed_levers_reach_the_target_when_re_simulated():
    """At each found value the re-simulated share's Wilson interval holds the requested chance."""
    s = make_scenario(**SHOP)
    fc = forecast(s, target=14_000, probability=0.8, replications=16, seed=4, sensitivity=False)
    assert [r.lever for r in fc.required] == ["traffic", "conversion", "aov"]
    for r in fc.required:
        assert r.feasible, r
        assert r.achieved_low <= 0.8 <= r.achieved_high, r
        assert 1 <= r.runs <= 6 and r.scale > 1 and r.needed > r.current
    by = {r.lever: r for r in fc.required}
    # the inputs really moved, and conversion's input is day-0 conversion, a share
    assert by["traffic"].input == "traffic.event_multiplier"
    assert by["traffic"].input_value == pytest.approx(s.traffic.event_multiplier * by["traffic"].scale)
    assert by["conversion"].input == "traffic.event_conversion" and by["conversion"].input_value <= 1
    # order value moves all of GMV, day-0 conversion only the newcomers' part
    assert by["aov"].scale < by["conversion"].scale


def test_a_huge_target_is_not_feasible_and_says_why():
    fc = forecast(make_scenario(**SHOP), target=20_000_000, replications=6, seed=4, sensitivity=False)
    by = {r.lever: r for r in fc.required}
    assert not any(r.feasible for r in fc.required)
    assert by["conversion"].reason == "conversion would exceed 100 %"
    assert by["conversion"].input_value == pytest.approx(1.0) and math.isnan(by["conversion"].needed)
    assert "out of reach within x5" in by["traffic"].reason and by["aov"].scale == pytest.approx(BOUNDS[1])
    assert all(r.achieved == 0 and r.runs == 1 for r in fc.required)


def test_a_lever_without_effect_is_not_feasible():
    """No new visitors: neither the event-day traffic multiplier nor its conversion moves GMV."""
    s = make_scenario(**{**SHOP, "traffic": {"daily_visitors": 0}})
    fc = forecast(s, target=20_000, replications=6, seed=4, sensitivity=False)
    by = {r.lever: r for r in fc.required}
    for lever in ("traffic", "conversion"):
        assert not by[lever].feasible and by[lever].reason == "the lever has no effect within the bounds"
    assert by["aov"].reason != "the lever has no effect within the bounds"


def test_the_table_and_api_carry_achieved_and_feasible():
    fc = forecast(make_scenario(**SHOP), target=20_000_000, replications=6, seed=4, sensitivity=False)
    table = fc.table()
    needed = table[table["section"] == "required_at_p80"]
    assert list(needed["quantity"]) == ["traffic", "conversion", "aov"]
    assert set(NEW_COLUMNS) <= set(table.columns)
    assert needed["feasible"].tolist() == [False] * 3 and needed["reason"].str.len().gt(0).all()
    assert "traffic_check" not in set(table["section"])
    gmv = table.set_index("quantity").loc["gmv"]
    assert np.isnan(gmv["p10_low"]) and gmv["p50_low"] <= gmv["p50"] <= gmv["p50_high"]


def test_without_re_simulation_levers_are_proportional_and_unchecked():
    fc = forecast(make_scenario(**SHOP), target=14_000, replications=6, seed=4, sensitivity=False,
                  resimulate=False)
    scales = {r.scale for r in fc.required}
    assert len(scales) == 1 and all(r.runs == 0 and np.isnan(r.achieved) for r in fc.required)


def test_quantile_intervals_are_order_statistics_with_95_percent_coverage():
    x = np.arange(1.0, 21.0)
    assert quantile_interval(x, 0.5) == (6.0, 15.0)
    low, high = quantile_interval(x, 0.1)
    assert math.isnan(low) and high == 6.0
    assert not math.isnan(quantile_interval(np.arange(36.0), 0.1)[0])
    assert all(math.isnan(v) for v in quantile_interval(pd.Series([], dtype=float), 0.5))


@pytest.mark.parametrize("target", [14_000, 20_000_000])
def test_the_needed_table_fits_80_columns_and_says_which_levers_work(target):
    from rich.console import Console

    from sim.report.console_studies import print_forecast

    fc = forecast(make_scenario(**SHOP), target=target, replications=6, seed=4, sensitivity=False)
    out = Console(width=80, record=True)
    print_forecast(out, fc, "folder")
    text = out.export_text()
    table = text[text.index("Needed for"):text.index("x: factor")]
    assert all(len(line) <= 80 for line in table.splitlines()) and "…" not in table
    assert "achieved" in table and " ok " in table
    works = [r.lever for r in fc.required if r.feasible]
    assert f"Works alone: {', '.join(works) if works else 'none'}." in " ".join(text.split())
    for r in fc.required:
        assert r.feasible or r.reason in " ".join(text.split())


def test_every_event_day_amount_of_money_is_shown_in_yuan():
    """The pre-sale's deposits and GMV are money like gmv and aov; its counts are not."""
    from sim.report.console_studies import _show

    assert _show("presale_gmv", 223_372.4) == "¥223,372" and _show("presale_deposits_kept", 14_270) == "¥14,270"
    assert _show("aov", 207.2) == "¥207" and _show("gmv", 1_589_969) == "¥1,589,969"
    assert _show("presale_deposits", 1_632) == "1,632" and _show("traffic", 181_842) == "181,842"
    assert _show("conversion", 0.0423) == "4.23%"
