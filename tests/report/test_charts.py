"""Chart rendering: Chinese labels drawn with a CJK font when one is installed, quiet without;
axes that read on one scale."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from PIL import Image

from sim.report import charts, fonts, ticks


def _render(text: str) -> np.ndarray:
    with fonts.chart_style():
        fig = Figure(figsize=(1.2, 0.8))
        fig.text(0.1, 0.3, text, fontsize=24)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("L"))


@pytest.mark.skipif(fonts.cjk_family() is None, reason="no CJK font installed (e.g. Debian fonts-noto-cjk)")
def test_chinese_characters_are_drawn_not_boxes():
    # Missing glyphs all render as the same box; real glyphs differ from each other.
    assert not np.array_equal(_render("双"), _render("十"))
    assert (_render("双") < 128).any()
    assert fonts.label("GMV", "成交额") == "GMV 成交额"


def test_without_a_cjk_font_labels_are_english_and_quiet(monkeypatch):
    monkeypatch.setattr(fonts, "cjk_family", lambda: None)
    assert fonts.label("GMV", "成交额") == "GMV"
    reps = pd.DataFrame({"policy": ["三波预热", "三波预热", "无", "无"], "gmv": [1e6, 1.1e6, 9e5, 9.5e5]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = charts.distributions(reps, [("gmv", "GMV", "成交额")], ["三波预热", "无"],
                                   charts.policy_colors(["三波预热", "无"], "无"))
    assert png.startswith(b"\x89PNG")
    assert [str(w.message) for w in caught] == []


@pytest.mark.parametrize("value, step, text", [
    (5_400_000, 100_000, "¥5.4M"), (1_880_000, 20_000, "¥1.88M"), (200_000, 200_000, "¥200K"),
    (350, 50, "¥350"), (-1_200, None, "−¥1K"), (2_500_000, None, "¥2.5M"),
])
def test_yuan_ticks_have_the_decimals_the_spacing_needs(value, step, text):
    """A tick `step` below `value` sets its decimals; a value alone (no axis) reads as ¥1K, ¥2.5M."""
    shown = ticks.YUAN.format_ticks([value - step, value])[-1] if step else ticks.YUAN(value)
    assert shown == text


@pytest.mark.parametrize("formatter, ticks, labels", [
    (ticks.YUAN, [0, 500, 1000, 1500, 2000], ["¥0", "¥0.5K", "¥1.0K", "¥1.5K", "¥2.0K"]),
    (ticks.YUAN, [500_000, 750_000, 1_000_000, 1_250_000], ["¥0.50M", "¥0.75M", "¥1.00M", "¥1.25M"]),
    (ticks.YUAN, [-20_000, 0, 20_000], ["−¥20K", "¥0", "¥20K"]),
    (ticks.COUNT, [500, 1000, 1500, 2000, 2500, 3000, 3500], ["500", "1,000", "1,500", "2,000", "2,500", "3,000",
                                                               "3,500"]),
    (ticks.COUNT, [0, 2500, 5000, 7500, 10_000], ["0", "2.5K", "5.0K", "7.5K", "10.0K"]),
    (ticks.COUNT, [0, 1_000_000, 2_000_000], ["0", "1M", "2M"]),
    (ticks.LOG_COUNT, [10, 100, 1000, 10_000, 100_000, 1_000_000], ["10", "100", "1,000", "10K", "100K", "1M"]),
    (ticks.PERCENT, [0, 0.006, 0.012, 0.018], ["0%", "0.6%", "1.2%", "1.8%"]),
    (ticks.PERCENT, [0.06, 0.075, 0.09], ["6.0%", "7.5%", "9.0%"]),
    (ticks.PERCENT, [0.25, 0.5], ["25%", "50%"]),
])
def test_an_axis_reads_on_one_scale_and_every_tick_is_exact(formatter, ticks, labels):
    """No "2,500" beside "3K", no "¥500" beside "¥1.0K", 7,500 is never rounded to 8K, a log
    axis reads 10K (not 10⁴), and shares carry no idle zero (1.2%, not 1.20%)."""
    assert formatter.format_ticks(ticks) == labels


@pytest.mark.parametrize("x, text", [(80 / 163_762, "0.049%"), (0.0049, "0.49%"), (0.012, "1.2%"), (0.0, "0%"),
                                     (float("nan"), "n/a")])
def test_a_small_share_keeps_two_significant_digits(x, text):
    """80 redemptions of 163,762 messages is 0.049 %, not 0.0 %."""
    assert ticks.share(x) == text


def _repurchase(actions: int) -> pd.DataFrame:
    rows = [{"replication": r, "policy": "daily", "action": f"wave{a}", "horizon_days": h,
             "assigned_n": 100.0, "assigned_rate": 0.02 + 0.001 * h, "held_out_n": 10.0, "held_out_rate": 0.01}
            for r in range(2) for a in range(actions) for h in (2, 10, 30) if not (a == actions - 1 and h == 30)]
    return pd.DataFrame(rows)


def test_repurchase_chart_has_a_panel_per_horizon_and_a_row_per_action():
    """Eighteen actions make a taller chart, not a wider one (a row each, a panel per horizon);
    the last send, too late for the 30-day horizon, is drawn in the other two."""
    colors = charts.policy_colors(["daily"], "none")
    few, many = (Image.open(io.BytesIO(charts.repurchase_curves(_repurchase(n), colors))).size for n in (2, 18))
    assert few[0] == many[0] and many[1] > few[1] + 300
